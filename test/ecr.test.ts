import * as pulumi from "@pulumi/pulumi";
import { lifecyclePolicyArgs, lifecyclePolicyDocument, RepositorySettings, repositoryArgs, resolveRepositorySettings } from "../components/ecr";
import { valueOf } from "./mocks";

// Pure builders: plain input, plain expected output, no mocks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- builder output, read field by field in assertions
type Json = any;

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

describe("resolveRepositorySettings", () => {
    it("fills unset settings with the defaults: immutable tags, scan on push, no force delete, 7 days, 30 images", () => {
        expect(resolveRepositorySettings()).toEqual({
            imageTagMutability: "IMMUTABLE",
            scanOnPush: true,
            forceDelete: false,
            untaggedImageExpiryDays: 7,
            keepLastImages: 30,
        });
    });

    it("keeps every setting that is given", () => {
        const given = {
            name: "team/api",
            imageTagMutability: "MUTABLE",
            scanOnPush: false,
            kmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/k",
            forceDelete: true,
            untaggedImageExpiryDays: 2,
            keepLastImages: 3,
            tags: { team: "x" },
        } as const;
        expect(resolveRepositorySettings(given)).toEqual(given);
    });
});

describe("repositoryArgs", () => {
    const base = resolveRepositorySettings();

    it.each<[string, Partial<RepositorySettings>, (r: Json) => unknown, unknown]>([
        ["no name by default (auto-named)", {}, (r) => r.name, undefined],
        ["the given name", { name: "team/api" }, (r) => r.name, "team/api"],
        ["the tag mutability", { imageTagMutability: "MUTABLE" }, (r) => r.imageTagMutability, "MUTABLE"],
        ["scan on push", { scanOnPush: false }, (r) => r.imageScanningConfiguration, { scanOnPush: false }],
        ["AES256 encryption without a KMS key", {}, (r) => r.encryptionConfigurations, [{ encryptionType: "AES256" }]],
        [
            "KMS encryption with the given key",
            { kmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/k" },
            (r) => r.encryptionConfigurations,
            [{ encryptionType: "KMS", kmsKey: "arn:aws:kms:us-west-2:123456789012:key/k" }],
        ],
        ["force delete", { forceDelete: true }, (r) => r.forceDelete, true],
        ["no tags by default", {}, (r) => r.tags, undefined],
    ])("sets %s", (_description, input, pick, expected) => {
        expect(pick(repositoryArgs({ ...base, ...input }))).toEqual(expected);
    });

    it("passes tags through an Output", async () => {
        const tags = repositoryArgs({ ...base, tags: { team: "x" } }).tags;
        expect(pulumi.Output.isInstance(tags)).toBe(true);
        expect(await valueOf(pulumi.output(tags))).toEqual({ team: "x" });
    });
});

describe("lifecyclePolicyArgs", () => {
    it("applies the lifecycle policy document of the settings to the given repository", () => {
        const settings = resolveRepositorySettings({ untaggedImageExpiryDays: 2, keepLastImages: 3 });
        expect(lifecyclePolicyArgs("api-1234abcd", settings)).toEqual({ repository: "api-1234abcd", policy: lifecyclePolicyDocument(2, 3) });
    });
});
