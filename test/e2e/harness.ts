/**
 * The e2e harness: a real single-node cluster (scripts/cluster/cluster.sh), the real Pulumi engine
 * running the project's index.ts (scripts/local/stack.ts, one process per operation) and plain
 * HTTP clients against the Service's ClusterIP. Nothing here is mocked.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cluster, clusterDir, clusterKubeconfig, clusterUp, writeContextKubeconfig } from "../../scripts/cluster/cluster";
import { tool } from "../../scripts/cluster/tools";
import { buildImage, docker, dockerUnavailableReason } from "../../scripts/lib/docker";
import { runStack, StackRun } from "../../scripts/local/runStack";
import type { StackResult } from "../../scripts/local/stack";
import { HttpResponse, request } from "../harness/http";

export { tool };

/**
 * An existing kube context to test against (kind on GitHub Actions), or undefined for the project's own
 * single-node cluster. An existing cluster is neither started nor stopped by the tests.
 */
export const kubeContext = process.env.RUST_SERVICE_KUBE_CONTEXT || undefined;

/** The kubeconfig every test uses: the project cluster's, or a copy of the existing context's. */
export const kubeconfig = kubeContext ? path.join(os.tmpdir(), `rust-service-e2e-${process.pid}`, "kubeconfig") : clusterKubeconfig();

const inCi = process.env.CI === "true";

/** Why the e2e suite cannot run here, or undefined. With CI=true it always runs (and fails instead). */
export function e2eSkipReason(): string | undefined {
    if (inCi || process.env.RUST_SERVICE_E2E === "1") return undefined;
    const missing = [
        process.getuid?.() !== 0 ? "root (the kubelet mounts and creates network interfaces)" : undefined,
        dockerUnavailableReason(),
        kubeContext || fs.existsSync("/usr/bin/containerd") ? undefined : "Debian's containerd",
    ].filter(Boolean);
    if (missing.length === 0) return undefined;
    return `e2e tests skipped, missing: ${missing.join("; ")}. Run them as root on Debian with RUST_SERVICE_E2E=1 (docs/e2e.md); with CI=true this is a failure.`;
}

/** Makes the cluster answer; resolves with a function that stops it only if this call started it. */
export async function ensureCluster(): Promise<() => Promise<void>> {
    if (kubeContext) {
        writeContextKubeconfig(kubeContext, kubeconfig, tool("kubectl"));
        return async () => undefined;
    }
    if (clusterUp()) return async () => undefined;
    await cluster("up");
    return () => cluster("down");
}

/** The node's container name when the context is a kind cluster (`kind-NAME` runs on `NAME-control-plane`). */
function kindNode(): string | undefined {
    return kubeContext?.startsWith("kind-") ? `${kubeContext.slice("kind-".length)}-control-plane` : undefined;
}

/** Runs a command on the node: here for the project's cluster, through `docker exec` for kind. */
function onNode(command: string, args: string[]): string {
    const node = kindNode();
    if (kubeContext && !node) throw new Error(`reading the node's processes needs the project's cluster or kind, not ${kubeContext}`);
    return node
        ? execFileSync("docker", ["exec", node, command, ...args], { encoding: "utf8" })
        : execFileSync(command, command === "ctr" ? ["--address", path.join(clusterDir(), "run", "containerd.sock"), ...args] : args, { encoding: "utf8" });
}

/**
 * Kills every process of the node at once, as a crash or the end of a CI session does, and starts it
 * again: the project's cluster with `kill -9` of each process and `cluster.sh up`, a kind node with
 * `docker kill` and `docker start`.
 */
export async function crashAndRestartNode(): Promise<void> {
    const node = kindNode();
    if (node) {
        execFileSync("docker", ["kill", node]);
        execFileSync("docker", ["start", node]);
        return;
    }
    if (kubeContext) throw new Error(`crashing the node needs the project's cluster or kind, not ${kubeContext}`);
    const runDir = path.join(clusterDir(), "run");
    for (const file of fs.readdirSync(runDir).filter((f) => f.endsWith(".pid"))) {
        process.kill(Number(fs.readFileSync(path.join(runDir, file), "utf8")), "SIGKILL");
    }
    await cluster("up");
}

/**
 * Deletes the namespaces a suite owns (by exact name or `prefix-*`) that an earlier run left behind:
 * the cluster's state outlives a run, and a run killed before its `afterAll` (a cancelled job, a
 * closed laptop) leaves its objects, which this run's server-side apply would then adopt silently.
 * Says what it deletes; waits until they are gone.
 */
export function clearLeftoverNamespaces(owned: (name: string) => boolean): void {
    const leftovers = kubectlJson(["get", "namespaces"])
        .items.map((n: Json) => n.metadata.name as string)
        .filter(owned);
    if (leftovers.length === 0) return;
    process.stdout.write(`[e2e] deleting namespaces an earlier interrupted run left: ${leftovers.join(", ")}\n`);
    kubectl(["delete", "namespace", "--wait=true", "--timeout=180s", ...leftovers]);
}

/** kubectl against the harness cluster; JSON output parsed when `-o json` is asked for. */
export function kubectl(args: string[], input?: string): string {
    return execFileSync(tool("kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

// kubectl's JSON output: arbitrary nested API objects, read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function kubectlJson(args: string[]): Json {
    return JSON.parse(kubectl([...args, "-o", "json"]));
}

/** Like {@link kubectl}, resolving with the exit status and both streams instead of throwing. */
export function kubectlResult(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = execFile(tool("kubectl"), ["--kubeconfig", kubeconfig, ...args], (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        if (input !== undefined) child.stdin?.end(input);
    });
}

/** A Pulumi stack on the harness cluster, with its own backend, passphrase and work directory. */
export class E2eStack {
    /** All the engine printed so far, for leak checks. */
    readonly transcript: string[] = [];

    /** `stack` (default `local`) on `backendUrl`, else on the file backend in `dir`. */
    constructor(
        readonly dir: string,
        private readonly passphrase: string,
        private readonly where: { stack?: string; backendUrl?: string } = {},
    ) {}

    /** Runs one operation; aborting `signal` interrupts it with SIGINT. */
    async run(args: string[], input?: string, signal?: AbortSignal): Promise<StackRun> {
        const run = await runStack(args, {
            dir: this.dir,
            stack: this.where.stack ?? "local",
            backendUrl: this.where.backendUrl,
            kubeconfig,
            env: { PULUMI_CONFIG_PASSPHRASE: this.passphrase },
            input,
            signal,
        });
        this.transcript.push(JSON.stringify(run.result, null, 2), run.engineOutput);
        return run;
    }

    /** Runs an operation that must succeed; rejects with the engine's output otherwise. */
    async ok(args: string[], input?: string): Promise<StackResult> {
        const { result, engineOutput } = await this.run(args, input);
        if (!result.ok) throw new Error(`stack.ts ${args[0]} failed: ${result.error}\n${engineOutput.slice(-4000)}`);
        return result;
    }

    setConfig(key: string, value: string, options: { secret?: boolean } = {}): Promise<StackResult> {
        // The value goes through stdin so a secret never appears in a process list.
        return this.ok(["config-set", key, "-", ...(options.secret ? ["--secret"] : [])], value);
    }

    /** Sets an array key (`env`, `secretEnv`) to these entries. */
    setList(key: string, items: string[], options: { secret?: boolean } = {}): Promise<StackResult> {
        return this.ok(["config-set", key, "-", "--list", ...(options.secret ? ["--secret"] : [])], JSON.stringify(items));
    }
}

/** Non-`same` steps as "Type op" strings, sorted: what a reviewer sees in a preview. */
export function changedSteps(result: StackResult): string[] {
    return (result.steps ?? [])
        .filter((s) => s.op !== "same")
        .map((s) => `${s.type.split(":").pop()} ${s.op}`)
        .sort();
}

/** One GET on a fresh connection. */
export function get(url: string, timeoutMs = 3_000): Promise<HttpResponse> {
    return request(url, { timeoutMs });
}

/** Counts of a load run. */
export interface LoadReport {
    requests: number;
    errors: number;
    /** The slowest answer, in ms, and how many took longer than a second. */
    slowestMs: number;
    slow: number;
    /** Responses by status code, and failures by message. */
    outcomes: Record<string, number>;
    /** Bodies seen, with counts (the greeting shows which pods answered). */
    bodies: Record<string, number>;
}

/**
 * Sends GETs from `clients` loops, each on a new connection, until `stop()` is called; at most
 * `maxRequests` in all, so the load stays bounded whatever the rollout time.
 */
/** A load report as a figure: requests, errors, the slowest answer and the outcomes. */
export function describeLoad(report: LoadReport): string {
    return `${report.requests} requests, ${report.errors} errors, slowest ${report.slowestMs} ms (${report.slow} over 1 s) ${JSON.stringify(report.outcomes)}`;
}

/**
 * Clients that request `url` one after another until stopped. An error is a failed request: a status
 * other than 2xx, or no answer within 10 s. A slower answer than a second is latency, which the report
 * shows (slowestMs, slow) rather than hides. Each request opens a new connection (so a rollout is
 * seen by new connections, as a load balancer's are), about 500 a second: once the 28,000 client
 * ports wrap (after about 30 s), a reused port can meet the node's connection-tracking entry of its
 * last connection, still in TIME_WAIT (120 s), and the connection is made on TCP's retransmission,
 * 1 s (or 1 + 2 s) later. Measured on an idle Service for 70 s: 49 of 34,291 answers took 1-2 s, none
 * before 17 s; with keep-alive connections, 0 of 46,984. The entries outlive a load by two minutes,
 * so a short load right after another can see a few too.
 */
export function startLoad(url: string, clients = 4, maxRequests = 20_000): { stop: () => Promise<LoadReport> } {
    const report: LoadReport = { requests: 0, errors: 0, slowestMs: 0, slow: 0, outcomes: {}, bodies: {} };
    let running = true;
    const loop = async () => {
        while (running && report.requests < maxRequests) {
            report.requests += 1;
            const sent = Date.now();
            try {
                const res = await get(url, 10_000);
                const took = Date.now() - sent;
                report.slowestMs = Math.max(report.slowestMs, took);
                if (took > 1_000) report.slow += 1;
                report.outcomes[res.status] = (report.outcomes[res.status] ?? 0) + 1;
                if (res.status < 200 || res.status >= 300) report.errors += 1;
                report.bodies[res.body] = (report.bodies[res.body] ?? 0) + 1;
            } catch (error) {
                report.errors += 1;
                const key = (error as Error).message;
                report.outcomes[key] = (report.outcomes[key] ?? 0) + 1;
            }
            // A short pause keeps four clients from starving the two cores the rollout needs.
            await new Promise((r) => setTimeout(r, 5));
        }
    };
    const loops = Array.from({ length: clients }, loop);
    return {
        stop: async () => {
            running = false;
            await Promise.all(loops);
            return report;
        },
    };
}

/** The environment of a running container's process, read from /proc on this node. */
export function containerProcessEnv(containerId: string): Record<string, string> {
    const id = containerId.replace(/^containerd:\/\//, "");
    const line = onNode("ctr", ["-n", "k8s.io", "tasks", "ls"])
        .split("\n")
        .find((l) => l.startsWith(id));
    if (!line) throw new Error(`container ${id} has no running task`);
    const pid = line.split(/\s+/)[1];
    const raw = onNode("cat", [`/proc/${pid}/environ`]);
    return Object.fromEntries(
        raw
            .split("\0")
            .filter(Boolean)
            .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
}

/**
 * A release whose binary dies at start with an error line, pushed to `repository` and pinned by
 * digest: a failure no stack config check can see coming (the config would have been refused).
 * A static C program in a `FROM scratch` image, built with the machine's gcc and the docker CLI.
 */
export async function pushCrashingImage(repository: string, errorLine: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rust-service-crash-"));
    try {
        fs.writeFileSync(path.join(dir, "crash.c"), `#include <stdio.h>\nint main(void) { fputs(${JSON.stringify(`${errorLine}\n`)}, stderr); return 78; }\n`);
        execFileSync("gcc", ["-static", "-Os", "-o", path.join(dir, "crash"), path.join(dir, "crash.c")]);
        fs.writeFileSync(path.join(dir, "Dockerfile"), 'FROM scratch\nCOPY crash /crash\nUSER 65532:65532\nENTRYPOINT ["/crash"]\n');
        const tag = `${repository}:crash-${process.pid}`;
        await buildImage({ tag, context: dir, timeoutMs: 5 * 60_000 });
        const pushed = await docker(["push", tag]);
        const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed.stdout)?.[1];
        if (!digest) throw new Error(`docker push ${tag} printed no digest:\n${pushed.stdout}`);
        return `${repository}@${digest}`;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Polls `check` every 500 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 500));
    }
}
