/**
 * The README's main-job command, `npm run local:up` (its `npm ci` is what got this suite here), run as
 * written on this machine: what it prints, what it leaves in the cluster, that a second run changes
 * nothing, that bad local state is refused without loss, and that `npm run local:down` clears it.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { clusterUp } from "../../scripts/cluster/cluster";
import { repoRoot } from "../../scripts/lib/process";
import { Json, e2eSkipReason, kubeContext, kubectlJson, tool } from "./harness";

jest.setTimeout(60 * 60_000);

const skipReason = e2eSkipReason();
const suite = skipReason ? describe.skip : describe;

interface Run {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

/** The README's main-job command, e.g. `npm ci && npm run local:up`. */
function mainJobCommand(): string {
    const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const match = /\*\*Set up and run the main job\*\*[\s\S]*?```sh\n(.*)\n```/.exec(readme);
    if (!match) throw new Error("README.md has no main-job command block");
    return match[1].trim();
}

/** `npm run <script>` into `localDir`; against the harness's existing kube context when it has one. */
function npmRun(script: string, localDir: string, env: NodeJS.ProcessEnv = {}, ownCluster = false): Promise<Run> {
    const started = Date.now();
    const contextArgs = kubeContext && script === "local:up" && !ownCluster ? ["--", "--context", kubeContext] : [];
    return new Promise((resolve, reject) => {
        const child = spawn("npm", ["run", "--silent", script, ...contextArgs], {
            cwd: repoRoot,
            env: { ...process.env, RUST_SERVICE_LOCAL_DIR: localDir, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => {
            stderr += d.toString();
            process.stderr.write(d);
        });
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
    });
}

function snapshot(dir: string): Record<string, string> {
    return Object.fromEntries(
        fs
            .readdirSync(dir, { withFileTypes: true, recursive: true })
            .filter((e) => e.isFile())
            .map((e) => path.join(e.parentPath, e.name))
            .map((f) => [f, fs.readFileSync(f, "latin1")]),
    );
}

suite("npm run local:up (the README's main job)", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rust-service-local-up-"));
    const localDir = path.join(scratch, "local");
    let clusterWasUp = false;

    beforeAll(() => {
        clusterWasUp = kubeContext !== undefined || clusterUp();
    });

    afterAll(async () => {
        // A failed test may leave the deployment: local:down clears what local:up made.
        if (fs.existsSync(localDir)) await npmRun("local:down", localDir);
        fs.rmSync(scratch, { recursive: true, force: true });
    });

    it("is the README's main-job command, after its install step", () => {
        expect(mainJobCommand()).toBe("npm ci && npm run local:up");
    });

    it("deploys the local stack and prints the phases, the outputs and the greeting answered by a pod", async () => {
        const script = mainJobCommand()
            .split("&&")
            .pop()!
            .trim()
            .replace(/^npm run /, "");
        const run = await npmRun(script, localDir);
        process.stdout.write(`[e2e figure] local:up (toolchain warm): ${run.seconds.toFixed(1)} s\n`);
        expect({ code: run.code, tail: run.stderr.slice(-1500) }).toEqual({ code: 0, tail: expect.any(String) });
        expect(run.stderr).toMatch(/\[local \+\s*\d+s\] Docker and the local registry/);
        expect(run.stderr).toContain(kubeContext ? `cluster: the existing kube context ${kubeContext}` : "cluster: the project's single-node Kubernetes");
        expect(run.stderr).toContain("the docker provider plugin is not installed, so the same Dockerfile is built with the docker CLI");
        expect(run.stdout).toMatch(/imageRef\s+localhost:5001\/rust-service@sha256:[0-9a-f]{64}/);
        expect(run.stdout).toMatch(/GET \/ -> 200 \{.*"greeting":"Hello from the local stack"/);
        expect(run.stdout).toContain(`KUBECONFIG=`);

        const kubeconfig = path.join(localDir, "kubeconfig");
        const pods = JSON.parse(execFileSync(tool("kubectl"), ["--kubeconfig", kubeconfig, "get", "pods", "-A", "-o", "json"], { encoding: "utf8" }));
        const ours = pods.items.filter((p: Json) => p.metadata.namespace === "rust-service-local");
        expect(ours).toHaveLength(1);
        expect(ours[0].status.containerStatuses[0].ready).toBe(true);
        const deployment = kubectlJson(["-n", "rust-service-local", "get", "deployments"]).items[0];
        expect(deployment.status.conditions.find((c: Json) => c.type === "Available").status).toBe("True");
    });

    it("changes nothing when run again with nothing changed", async () => {
        const run = await npmRun("local:up", localDir);
        process.stdout.write(`[e2e figure] second local:up, nothing changed: ${run.seconds.toFixed(1)} s\n`);
        expect(run.code).toBe(0);
        expect(run.stderr).toMatch(/deployed \(\d+ same\)/);
    });

    it("refuses a wrong passphrase for the existing state in one line, and deletes nothing", async () => {
        const before = snapshot(localDir);
        const run = await npmRun("local:up", localDir, { PULUMI_CONFIG_PASSPHRASE: "not-the-one" });
        expect(run.code).toBe(1);
        expect(run.stderr).toContain("the passphrase does not open the existing local state");
        expect(run.stderr).toContain(path.join(localDir, "pulumi", "passphrase"));
        const after = snapshot(localDir);
        for (const [file, content] of Object.entries(before)) expect({ file, same: after[file] === content }).toEqual({ file, same: true });
    });

    it("stops at the preflight, listing the problem and starting nothing, when a port the cluster needs is taken", async () => {
        // The running cluster's processes belong to another state directory: to this run they are foreign.
        // Against an existing context nothing of the project's cluster runs, so a listener takes its API port.
        const otherClusterDir = path.join(scratch, "other-cluster");
        const fresh = path.join(scratch, "preflight");
        const listener = kubeContext ? net.createServer().listen(6443, "127.0.0.1") : undefined;

        const run = await npmRun("local:up", fresh, { RUST_SERVICE_CLUSTER_DIR: otherClusterDir }, true).finally(() => listener?.close());

        expect(run.code).toBe(1);
        expect(run.stderr).toContain("this machine cannot run local:up yet; nothing was started or built:");
        expect(run.stderr).toMatch(/ {2}- port \d+ is taken by [\w-]+ \(pid \d+\), not started by this script: stop it/);
        expect(run.stderr).not.toContain("Docker and the local registry");
        expect(fs.existsSync(otherClusterDir)).toBe(false);
    });

    it("refuses a .local folder from another layout version in one line, and deletes nothing", async () => {
        const stale = path.join(scratch, "stale");
        fs.mkdirSync(stale);
        fs.writeFileSync(path.join(stale, "kubeconfig"), "kept\n");
        const run = await npmRun("local:up", stale);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/was made by another version of this project \(layout none, this one uses 1\).*nothing was deleted/);
        expect(fs.readFileSync(path.join(stale, "kubeconfig"), "utf8")).toBe("kept\n");
    });

    it("destroys the stack with npm run local:down, and stops the cluster only if local:up started it", async () => {
        const run = await npmRun("local:down", localDir);
        expect(run.code).toBe(0);
        expect(run.stderr).toMatch(/destroyed \(\d+ delete\)/);
        if (clusterWasUp) {
            if (!kubeContext) expect(clusterUp()).toBe(true);
            expect(kubectlJson(["get", "namespaces"]).items.map((n: Json) => n.metadata.name)).not.toContain("rust-service-local");
        } else {
            expect(run.stderr).toContain("stopping the cluster");
            expect(clusterUp()).toBe(false);
        }
    });
});
