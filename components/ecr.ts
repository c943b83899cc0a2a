import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS, RustServiceRepositoryArgs } from "./args";

/** Settings of the ECR repository with every default applied. */
export type RepositorySettings = RustServiceRepositoryArgs &
    Required<Pick<RustServiceRepositoryArgs, "imageTagMutability" | "scanOnPush" | "forceDelete" | "untaggedImageExpiryDays" | "keepLastImages">>;

/** The repository settings with every unset one taken from {@link DEFAULTS}. */
export function resolveRepositorySettings(settings: RustServiceRepositoryArgs = {}): RepositorySettings {
    return {
        ...settings,
        imageTagMutability: settings.imageTagMutability ?? DEFAULTS.imageTagMutability,
        scanOnPush: settings.scanOnPush ?? DEFAULTS.scanOnPush,
        forceDelete: settings.forceDelete ?? DEFAULTS.forceDelete,
        untaggedImageExpiryDays: settings.untaggedImageExpiryDays ?? DEFAULTS.untaggedImageExpiryDays,
        keepLastImages: settings.keepLastImages ?? DEFAULTS.keepLastImages,
    };
}

/** The ECR repository: scan on push, the given tag mutability, KMS encryption with a given key, else AES256. */
export function repositoryArgs(settings: RepositorySettings): aws.ecr.RepositoryArgs {
    return {
        name: settings.name,
        imageTagMutability: settings.imageTagMutability,
        imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
        encryptionConfigurations: [settings.kmsKeyArn !== undefined ? { encryptionType: "KMS", kmsKey: settings.kmsKeyArn } : { encryptionType: "AES256" }],
        forceDelete: settings.forceDelete,
        tags: settings.tags && pulumi.output(settings.tags),
    };
}

/** The repository's lifecycle policy (see {@link lifecyclePolicyDocument}). */
export function lifecyclePolicyArgs(repository: pulumi.Input<string>, settings: RepositorySettings): aws.ecr.LifecyclePolicyArgs {
    return { repository, policy: lifecyclePolicyDocument(settings.untaggedImageExpiryDays, settings.keepLastImages) };
}

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
