import { lifecyclePolicyDocument } from "../components/ecr";

describe("lifecyclePolicyDocument", () => {
    it("expires untagged images first, then keeps the last N of any tag", () => {
        expect(JSON.parse(lifecyclePolicyDocument(7, 30))).toEqual({
            rules: [
                {
                    rulePriority: 1,
                    description: "Expire untagged images older than 7 days",
                    selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
                    action: { type: "expire" },
                },
                {
                    rulePriority: 2,
                    description: "Keep only the last 30 images",
                    selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 },
                    action: { type: "expire" },
                },
            ],
        });
    });
});
