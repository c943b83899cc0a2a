import { parse as parseYaml } from "yaml";
import { RustService } from "../components";
import { BUILD_KEYS, parseStackConfig, PROJECT } from "../config";
import { isRolloutFailure, parseRelease, Release, rollbackStackFile } from "../scripts/local/lastGood";
import { constructionRecorder, installMocks, settled, valueOf } from "./mocks";

const DIGEST = `123456789012.dkr.ecr.us-west-2.amazonaws.com/rust-service@sha256:${"b".repeat(64)}`;

/** The config of a rolled-back stack file, without the project prefix. */
function rolledBackConfig(release: Release): Record<string, unknown> {
    const config = (parseYaml(rollbackStackFile(release, PROJECT, BUILD_KEYS)) as { config: Record<string, unknown> }).config;
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.slice(PROJECT.length + 1), v]));
}

describe("rollbackStackFile", () => {
    it("deploys a prebuilt-image release with its own stack file unchanged, secrets still encrypted", () => {
        const stackFile = `encryptionsalt: v1:abc\nconfig:\n  rust-service:image: ${DIGEST}\n  rust-service:greeting: hi\n  rust-service:secretEnv:\n    - secure: v1:ciphertext\n`;
        const out = parseYaml(rollbackStackFile({ deployedAt: "t", imageRef: DIGEST, stackFile }, PROJECT, BUILD_KEYS));
        expect(out).toEqual(parseYaml(stackFile));
    });

    it.each([
        [
            "a release the component built (no image key)",
            { "rust-service:greeting": "hi", "rust-service:platform": "linux/arm64", "rust-service:buildArgs": ["A=1"] },
        ],
        [
            "a release whose image key held another reference",
            { "rust-service:image": "localhost:5001/other@sha256:" + "c".repeat(64), "rust-service:greeting": "hi" },
        ],
    ])("pins %s to the digest it ran and drops the build keys, keeping the rest", (_case, config) => {
        const release = { deployedAt: "t", imageRef: DIGEST, stackFile: JSON.stringify({ config }) };
        expect(rolledBackConfig(release)).toEqual({ image: DIGEST, greeting: "hi" });
    });

    it("redeploys a built release from its digest without building: the program gets a prebuilt image and the component no docker.Image", async () => {
        const release = { deployedAt: "t", imageRef: DIGEST, stackFile: "config:\n  rust-service:greeting: hi\n  rust-service:imageTag: v7\n" };
        const { args, name } = parseStackConfig(rolledBackConfig(release));
        expect(args.image).toBe(DIGEST);
        expect(args.build).toBeUndefined();

        const mocks = installMocks();
        const { constructed, transformation } = constructionRecorder();
        const service = new RustService(name, { ...args, secretEnv: {} }, { transformations: [transformation] });
        await settled(mocks, constructed);
        expect(mocks.ofType("docker:index/image:Image")).toEqual([]);
        expect(await valueOf(service.imageRef)).toBe(DIGEST);
        const spec = mocks.get("kubernetes:apps/v1:Deployment").inputs.spec as { template: { spec: { containers: { image: string }[] } } };
        expect(spec.template.spec.containers[0].image).toBe(DIGEST);
    });
});

describe("parseRelease", () => {
    it.each([
        ['{"deployedAt":"t","imageRef":"r","stackFile":"s"}', { deployedAt: "t", imageRef: "r", stackFile: "s" }],
        ['{"deployedAt":"t","stackFile":"s"}', undefined],
        ['{"deployedAt":1,"imageRef":"r","stackFile":"s"}', undefined],
    ])("reads %s as %j", (text, expected) => {
        expect(parseRelease(text)).toEqual(expected);
    });
});

describe("isRolloutFailure", () => {
    const deployment = "kubernetes:apps/v1:Deployment";
    // The Kubernetes provider's texts (pulumi-kubernetes provider.go: the update's and the create's partial errors).
    const updated = `the Kubernetes API server reported that "ns/app" failed to fully initialize or become live: 'app' timed out waiting to be Ready`;
    const created =
        "resource ns/app was successfully created, but the Kubernetes API server reported that it failed to fully initialize or become live: timed out";
    it.each<[string, { type: string; message: string }[], boolean]>([
        ["an updated Deployment that did not become ready", [{ type: deployment, message: updated }], true],
        ["a created Deployment that did not become ready", [{ type: deployment, message: created }], true],
        [
            "that, beside the stack's closing error",
            [
                { type: "pulumi:pulumi:Stack", message: "update failed" },
                { type: deployment, message: updated },
            ],
            true,
        ],
        [
            "an unreachable cluster",
            [{ type: deployment, message: "configured Kubernetes cluster is unreachable: unable to load Kubernetes client configuration" }],
            false,
        ],
        ["a refused patch", [{ type: deployment, message: 'Deployment.apps "app" is invalid: spec.template.spec.containers[0].image: Required value' }], false],
        ["a ConfigMap that did not become live", [{ type: "kubernetes:core/v1:ConfigMap", message: updated }], false],
        ["bad config", [{ type: "pulumi:pulumi:Stack", message: "The stack configuration has 1 problem" }], false],
        ["nothing", [], false],
    ])("%s -> %s", (_, failures, expected) => {
        expect(isRolloutFailure(failures)).toBe(expected);
    });
});
