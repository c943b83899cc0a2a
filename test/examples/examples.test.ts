import { execFile, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { readYaml, renderPlan, runTs, tempDir, Yaml } from "../plan/plan-runner";
import { describeRun, itNeeding, repoRoot, runScript } from "../workflow/tools";

jest.setTimeout(600_000);

const twoServices = path.join(repoRoot, "examples", "two-services");
const consumer = path.join(repoRoot, "examples", "consumer");

interface Run {
    status: number | null;
    output: string;
}

function run(command: string, args: string[], cwd = repoRoot): Run {
    const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 300_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function runAsync(command: string, args: string[], cwd = repoRoot): Promise<Run> {
    return new Promise((resolve) => {
        execFile(command, args, { cwd, encoding: "utf8", timeout: 300_000 }, (err, stdout, stderr) => {
            resolve({ status: err ? (typeof err.code === "number" ? err.code : -1) : 0, output: `${stdout}${stderr}` });
        });
    });
}

const tsc = path.join(repoRoot, "node_modules", ".bin", "tsc");

/**
 * What `npm install` does for the example's `"rust-service-pulumi": "file:../.."` dependency: a
 * symlink in its node_modules. Everything else resolves from the repository's node_modules, as a
 * deduplicated install would.
 */
function linkPackage(): void {
    const link = path.join(twoServices, "node_modules", "rust-service-pulumi");
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { force: true, recursive: true });
    fs.symlinkSync(path.relative(path.dirname(link), repoRoot), link, "dir");
}

let twoServicesPlan: string;
let devPlan: string;
let consumerPlan: string;
let twoServicesTypecheck: Run;
let consumerTypecheck: Run;

beforeAll(async () => {
    const build = run("npm", ["run", "--silent", "build"]);
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.output}`);
    linkPackage();
    [twoServicesPlan, devPlan, twoServicesTypecheck, consumerTypecheck] = await Promise.all([
        renderPlan(["--project-dir", twoServices, "--stack", "dev"]),
        renderPlan(["--stack", "dev"]),
        runAsync(tsc, ["--noEmit", "-p", path.join(twoServices, "tsconfig.json")]),
        runAsync(tsc, ["--noEmit", "-p", path.join(consumer, "tsconfig.json")]),
    ]);
    consumerPlan = await renderPlan([
        "--project-dir",
        consumer,
        "--stack",
        "dev",
        "--stack-outputs",
        `acme/rust-service/dev=${path.join(devPlan, "plan.yaml")}`,
    ]);
});

function resources(plan: string): Yaml[] {
    return readYaml(plan, "plan.yaml").resources;
}

describe("the component as a package", () => {
    it("builds JavaScript and declarations for components/ into dist/", () => {
        expect(fs.readFileSync(path.join(repoRoot, "dist", "index.d.ts"), "utf8")).toContain('export { RUST_SERVICE_TYPE, RustService } from "./rustService";');
        expect(fs.readFileSync(path.join(repoRoot, "dist", "rustService.d.ts"), "utf8")).toMatch(
            /export declare class RustService extends pulumi\.ComponentResource/,
        );
        expect(fs.existsSync(path.join(repoRoot, "dist", "index.js"))).toBe(true);
    });

    it("resolves by package name to the built entry point through package.json exports", () => {
        const resolved = run("node", ["-p", "require.resolve('rust-service-pulumi')"], twoServices);
        expect(resolved.status).toBe(0);
        expect(fs.realpathSync(resolved.output.trim())).toBe(path.join(repoRoot, "dist", "index.js"));
    });

    it("typechecks the two-services example against the built declarations", () => {
        expect(twoServicesTypecheck).toEqual({ status: 0, output: "" });
    });

    it("typechecks the consumer example", () => {
        expect(consumerTypecheck).toEqual({ status: 0, output: "" });
    });
});

describe("examples/two-services evaluated under mocks", () => {
    it("creates two RustService components whose children do not collide", () => {
        const all = resources(twoServicesPlan);
        expect(all.filter((r) => r.type === "rust-service:index:RustService").map((r) => r.name)).toEqual(["greeter", "orders"]);
        for (const type of ["aws:ecr/repository:Repository", "docker:index/image:Image", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"]) {
            expect([type, all.filter((r) => r.type === type).map((r) => r.parent)]).toEqual([
                type,
                ["rust-service:index:RustService::greeter", "rust-service:index:RustService::orders"],
            ]);
        }
        const ids = all.map((r) => `${r.type}::${r.name}`);
        expect(new Set(ids).size).toBe(ids.length);
    });

    it("sends every AWS and Kubernetes resource, and the ECR token call, through the explicit providers", () => {
        for (const r of resources(twoServicesPlan)) {
            if (r.type.startsWith("aws:")) expect([r.type, r.name, r.provider]).toEqual([r.type, r.name, "pulumi:providers:aws::aws"]);
            if (r.type.startsWith("kubernetes:")) expect([r.type, r.name, r.provider]).toEqual([r.type, r.name, "pulumi:providers:kubernetes::cluster"]);
        }
        const calls = readYaml(twoServicesPlan, "plan.yaml").calls;
        expect(calls.map((c: Yaml) => [c.token, c.provider])).toEqual([
            ["aws:ecr/getAuthorizationToken:getAuthorizationToken", "pulumi:providers:aws::aws"],
            ["aws:ecr/getAuthorizationToken:getAuthorizationToken", "pulumi:providers:aws::aws"],
        ]);
    });

    it("builds the service bundled with the package, wherever the consuming project lives", () => {
        const images = readYaml(twoServicesPlan, "registry.yaml").resources.filter((r: Yaml) => r.type === "docker:index/image:Image");
        for (const image of images) {
            expect(path.resolve(twoServices, image.inputs.build.context)).toBe(path.join(repoRoot, "service"));
        }
    });

    it("applies each instance's own settings", () => {
        const orders = readYaml(twoServicesPlan, "kubernetes/deployment-orders.yaml");
        const greeter = readYaml(twoServicesPlan, "kubernetes/deployment-greeter.yaml");
        const env = (d: Yaml) => Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: Yaml) => [e.name, e.value]));
        expect(env(greeter).GREETING).toBe("Hello from the greeter");
        expect(env(orders).REQUEST_TIMEOUT_SECONDS).toBe("5");
        expect(readYaml(twoServicesPlan, "kubernetes/horizontalpodautoscaler-orders.yaml").spec.maxReplicas).toBe(6);
        expect(fs.existsSync(path.join(twoServicesPlan, "kubernetes", "horizontalpodautoscaler-greeter.yaml"))).toBe(false);
    });

    it("passes the policy pack offline, counting the autoscaler whose target name only the cluster knows", async () => {
        const result = await runAsync(path.join(repoRoot, "node_modules", ".bin", "ts-node"), [
            "--transpile-only",
            "policy/offline.ts",
            "--stack",
            "dev",
            "--project-dir",
            twoServices,
        ]);
        expect(result.output).toMatch(/^policy check of stack dev: 0 mandatory and 0 advisory violation\(s\) in .*1 HorizontalPodAutoscaler/m);
        expect(result.status).toBe(0);
    });

    itNeeding("python3")("renders manifests that pass the Kubernetes schemas", () => {
        const result = runScript("scripts/validate-manifests.sh", [path.join(twoServicesPlan, "kubernetes"), path.join(consumerPlan, "kubernetes")]);
        if (result.status !== 0) throw new Error(describeRun(result));
        expect(result.stdout).toContain("14 manifest(s) valid against Kubernetes 1.31.0 (strict)");
    });
});

describe("examples/consumer (StackReference) evaluated under mocks", () => {
    it("reads this project's dev stack outputs and hands the service URL to its own workload", () => {
        const dev = readYaml(devPlan, "plan.yaml").outputs;
        const settings = readYaml(consumerPlan, "kubernetes/configmap-rust-service-client.yaml");
        expect(settings.data).toEqual({ RUST_SERVICE_URL: dev.url, RUST_SERVICE_NAMESPACE: "rust-service-dev" });
        expect(settings.metadata.namespace).toBe("web-frontend");
        expect(readYaml(consumerPlan, "plan.yaml").outputs.rustServiceImage).toBe(dev.imageRef);
    });

    it("reads the stack reference without managing it", () => {
        expect(resources(consumerPlan).find((r) => r.type === "pulumi:pulumi:StackReference")).toEqual({
            type: "pulumi:pulumi:StackReference",
            name: "acme/rust-service/dev",
            read: true,
        });
    });

    it("fails naming the output when the referenced stack does not export it", async () => {
        const result = await runTs("plan", ["--project-dir", consumer, "--stack", "dev", "--out", path.join(tempDir("plan"), "x")]);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("Required output 'url' does not exist on stack 'acme/rust-service/dev'");
    });
});
