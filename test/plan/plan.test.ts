import * as fs from "fs";
import * as path from "path";
import { itNeeding, repoRoot, runScript, describeRun } from "../workflow/tools";
import { readTree, readYaml, renderPlan, runTs, tempDir, Yaml } from "./plan-runner";

jest.setTimeout(600_000);

const REDACTED = "<redacted secret>";
const fixtureProject = path.join("test", "plan", "fixtures", "program");
const secretsConfig = path.join("test", "plan", "fixtures", "Pulumi.secrets.yaml");

// Plans are rendered once, two at a time (the machine has two cores), and shared by the tests.
let fixture: string;
let fixtureAgain: string;
let dev: string;
let devAgain: string;
let local: string;
let devWithSecrets: string;

beforeAll(async () => {
    [fixture, fixtureAgain] = await Promise.all([
        renderPlan(["--project-dir", fixtureProject, "--stack", "ci"]),
        renderPlan(["--project-dir", fixtureProject, "--stack", "ci"]),
    ]);
    [dev, devAgain] = await Promise.all([renderPlan(["--stack", "dev"]), renderPlan(["--stack", "dev"])]);
    [local, devWithSecrets] = await Promise.all([renderPlan(["--stack", "local"]), renderPlan(["--stack", "dev", "--config-file", secretsConfig])]);
});

function resourcesOf(plan: string): Yaml[] {
    return readYaml(plan, "plan.yaml").resources;
}

function container(plan: string): Yaml {
    return readYaml(plan, "kubernetes/deployment-rust-service.yaml").spec.template.spec.containers[0];
}

describe("npm run plan (the plan machinery, on a fixture program)", () => {
    it("writes plan.yaml, registry.yaml and one manifest per Kubernetes object", () => {
        expect(Object.keys(readTree(fixture)).sort()).toEqual([
            ".rust-service-owner",
            "kubernetes/configmap-fixture.yaml",
            "kubernetes/deployment-fixture.yaml",
            "kubernetes/namespace-fixture.yaml",
            "kubernetes/secret-fixture.yaml",
            "plan.yaml",
            "registry.yaml",
        ]);
    });

    it("renders byte-identical files on every run", () => {
        expect(readTree(fixtureAgain)).toEqual(readTree(fixture));
    });

    it("applies Pulumi.yaml defaults under the stack file's values", () => {
        const config = readYaml(fixture, "plan.yaml").config;
        expect(config["plan-fixture:appName"]).toBe("fixture");
        expect(config["plan-fixture:replicas"]).toBe("3");
        expect(config["aws:region"]).toBe("eu-west-1");
        expect(readYaml(fixture, "kubernetes/deployment-fixture.yaml").spec.replicas).toBe(3);
    });

    it("never writes a secure config value, only the redaction marker", () => {
        const everything = Object.values(readTree(fixture)).join("\n");
        expect(everything).not.toMatch(/bm90LWEtcmVhbC1jaXBoZXJ0ZXh0|YW5vdGhlci1jaXBoZXJ0ZXh0|v1:AAAA|v1:BBBB/);
        expect(readYaml(fixture, "plan.yaml").config["plan-fixture:apiKey"]).toBe(REDACTED);
        expect(readYaml(fixture, "plan.yaml").config["plan-fixture:nested"]).toEqual({ token: REDACTED, user: "alice" });
        expect(readYaml(fixture, "plan.yaml").outputs.leakedKey).toBe(REDACTED);
    });

    it("redacts every value of a Kubernetes Secret and the registry password", () => {
        expect(readYaml(fixture, "kubernetes/secret-fixture.yaml").stringData).toEqual({ API_KEY: REDACTED, TOKEN: REDACTED });
        const image = readYaml(fixture, "registry.yaml").resources.find((r: Yaml) => r.type === "docker:index/image:Image");
        expect(image.inputs.registry).toEqual({ password: REDACTED, server: "<computed: ECR repository URL>", username: "AWS" });
        expect(image.secretInputs).toEqual(["registry"]);
    });

    it("marks values only a provider knows as <computed: ...> placeholders", () => {
        const deployment = readYaml(fixture, "kubernetes/deployment-fixture.yaml");
        expect(deployment.spec.template.spec.containers[0].image).toBe("<computed: ECR repository URL>@<computed: image digest>");
        expect(deployment.metadata.name).toBe("fixture-<computed: random suffix>");
        expect(deployment.metadata.namespace).toBe("fixture-<computed: random suffix>");
    });

    it("shows lifecycle policies as data rather than a JSON string", () => {
        const policy = readYaml(fixture, "registry.yaml").resources.find((r: Yaml) => r.type === "aws:ecr/lifecyclePolicy:LifecyclePolicy");
        expect(policy.inputs.policy.rules[0].selection.tagStatus).toBe("untagged");
    });

    it("fails naming the stacks that exist when the stack file is missing", async () => {
        const run = await runTs("plan", ["--stack", "nope", "--out", path.join(tempDir("plan"), "x")]);
        expect(run.status).toBe(1);
        expect(run.stderr).toMatch(/no stack file .*Pulumi\.nope\.yaml; stacks here: dev, local/);
    });
});

describe("npm run plan (this project's stacks)", () => {
    it("renders the dev stack: ECR repository, lifecycle policy, image and the workload", () => {
        expect(Object.keys(readTree(dev)).sort()).toEqual([
            ".rust-service-owner",
            "kubernetes/configmap-rust-service-env.yaml",
            "kubernetes/deployment-rust-service.yaml",
            "kubernetes/namespace-rust-service.yaml",
            "kubernetes/poddisruptionbudget-rust-service.yaml",
            "kubernetes/service-rust-service.yaml",
            "kubernetes/serviceaccount-rust-service.yaml",
            "plan.yaml",
            "registry.yaml",
        ]);
        const types = readYaml(dev, "registry.yaml").resources.map((r: Yaml) => r.type);
        expect(types).toEqual(["aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ecr/repository:Repository", "docker:index/image:Image"]);
        expect(container(dev).image).toBe("<computed: ECR repository URL>@<computed: image digest>");
        expect(readYaml(dev, "kubernetes/deployment-rust-service.yaml").metadata.namespace).toBe("rust-service-dev");
    });

    it("renders the dev stack identically twice", () => {
        expect(readTree(devAgain)).toEqual(readTree(dev));
    });

    it("parents every resource of the dev stack under the RustService component", () => {
        const children = resourcesOf(dev).filter((r) => r.type !== "rust-service:index:RustService");
        expect(children.length).toBeGreaterThan(5);
        for (const r of children) expect([r.type, r.parent]).toEqual([r.type, "rust-service:index:RustService::rust-service"]);
    });

    it("renders the local stack against the local registry, with no AWS resource or call", () => {
        expect(resourcesOf(local).filter((r) => r.type.startsWith("aws:"))).toEqual([]);
        expect(readYaml(local, "plan.yaml").calls).toEqual([]);
        expect(container(local).image).toBe("localhost:5001/rust-service@<computed: image digest>");
        expect(readYaml(local, "plan.yaml").outputs.repositoryUrl).toBe("localhost:5001/rust-service");
        expect(readYaml(local, "kubernetes/deployment-rust-service.yaml").metadata.namespace).toBe("rust-service-local");
    });

    it("keeps secret env out of the plan: no ciphertext, names and values redacted, delivered by secretKeyRef", () => {
        const everything = Object.values(readTree(devWithSecrets)).join("\n");
        expect(everything).not.toMatch(/c2VudGluZWw|Q0lQSEVSVEVYVC1TRU5USU5FTC/);
        const secret = readYaml(devWithSecrets, "kubernetes/secret-rust-service-secret-env.yaml");
        expect(secret.stringData).toEqual({ REDACTED_0: REDACTED, REDACTED_1: REDACTED });
        const fromSecret = container(devWithSecrets).env.filter((e: Yaml) => e.valueFrom?.secretKeyRef);
        expect(fromSecret.map((e: Yaml) => e.name)).toEqual(["REDACTED_0", "REDACTED_1"]);
    });
});

describe("npm run plan (invalid stack config)", () => {
    it("fails before rendering anything, listing every problem with the key to fix", async () => {
        const out = path.join(tempDir("plan"), "invalid");
        const run = await runTs("plan", ["--stack", "dev", "--config-file", path.join("test", "plan", "fixtures", "Pulumi.invalid.yaml"), "--out", out]);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("The stack configuration has 3 problems");
        expect(run.stderr).toContain("`rust-service:replica` is not a setting of this program");
        expect(run.stderr).toContain("`rust-service:namespace` must be a DNS-1123 label");
        expect(run.stderr).toContain("`rust-service:replicas` must be an integer >= 1, got 0");
        expect(fs.existsSync(out)).toBe(false);
    });
});

describe("Kubernetes schema validation (offline, strict)", () => {
    itNeeding("python3")("accepts every manifest the dev, local and fixture plans render", () => {
        const dirs = [fixture, dev, local, devWithSecrets].map((d) => path.join(d, "kubernetes"));
        const result = runScript("scripts/validate-manifests.sh", dirs);
        if (result.status !== 0) throw new Error(describeRun(result));
        expect(result.stdout).toMatch(/^\d+ manifest\(s\) valid against Kubernetes 1\.31\.0 \(strict\)$/m);
        expect(result.stdout).toMatch(/^\d+ manifest\(s\) valid against Kubernetes 1\.37\.0 \(strict\)$/m);
    });

    itNeeding("python3")("rejects an unknown field, a wrong type and a non-string ConfigMap value", () => {
        const result = runScript("scripts/validate-manifests.sh", [path.join(repoRoot, "test/plan/fixtures/invalid")]);
        expect(result.status).toBe(1);
        const report = result.stdout + result.stderr;
        expect(report).toContain(
            "deployment/unknown-field against version 1.31: spec.template.spec.containers.0.securityContext: Additional properties are not allowed ('readOnlyRootFileSystem' was unexpected)",
        );
        expect(report).toContain("deployment/wrong-type against version 1.31: spec.replicas: 'three' is not of type 'integer'");
        expect(report).toContain("configmap/invalid against version 1.37: data.replicas: {'nested': 'object'} is not of type 'string'");
    });
});
