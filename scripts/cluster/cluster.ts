/**
 * The one client of the cluster the stack deploys to: the project's own single-node cluster
 * (scripts/cluster/cluster.sh), or an existing kube context (kind, minikube, Docker Desktop) whose
 * kubeconfig is copied so a later context switch never moves the stack.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runScript } from "../lib/process";

const script = "scripts/cluster/cluster.sh";

/** Runs `cluster.sh <command>` (up, down, preflight, reset) with its output on the terminal. */
export function cluster(command: "up" | "down" | "reset", env: NodeJS.ProcessEnv = process.env): Promise<void> {
    return runScript(script, [command], env);
}

/** The project cluster's state directory, as cluster.sh resolves it (RUST_SERVICE_CLUSTER_DIR, else its default). */
export function clusterDir(): string {
    return execFileSync("bash", [path.resolve(__dirname, "cluster.sh"), "dir"], { encoding: "utf8" }).trim();
}

/** The project cluster's admin kubeconfig. */
export function clusterKubeconfig(): string {
    return path.join(clusterDir(), "kubeconfig");
}

/** True when the project's cluster answers and its node is Ready. */
export function clusterUp(): boolean {
    try {
        execFileSync("bash", [path.resolve(__dirname, "cluster.sh"), "status"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

/** Why `cluster.sh up` could not work here (root, ports), or undefined; needs no toolchain. */
export function clusterPreflightProblem(): string | undefined {
    try {
        execFileSync("bash", [path.resolve(__dirname, "cluster.sh"), "preflight"], { stdio: ["ignore", "ignore", "pipe"] });
        return undefined;
    } catch (error) {
        return String((error as { stderr?: Buffer }).stderr ?? (error as Error).message)
            .replace(/^\[cluster\] ERROR: /, "")
            .trim();
    }
}

/**
 * Writes the kubeconfig of one existing kube context to `file` (mode 0600): only that context, with
 * its credentials inlined. `kubectl` is the client to ask (the caller's, or the toolchain's).
 */
export function writeContextKubeconfig(context: string, file: string, kubectl = "kubectl"): void {
    const raw = execFileSync(kubectl, ["config", "view", "--minify", "--flatten", "--context", context], { encoding: "utf8" });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, raw, { mode: 0o600 });
}
