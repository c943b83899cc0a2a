/** The ECR lifecycle policy: expire untagged images after `untaggedDays`, keep at most `keepLast` images. */
export function lifecyclePolicyDocument(untaggedDays: number, keepLast: number): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images older than ${untaggedDays} days`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep only the last ${keepLast} images`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepLast },
                action: { type: "expire" },
            },
        ],
    });
}
