/**
 * The one client of the stack runner (scripts/local/stack.ts), for `npm run local:up` and the e2e
 * tests alike: one process per operation, its JSON result parsed, the engine's output streamed to the
 * terminal or kept.
 */
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../lib/process";
import type { StackResult } from "./stack";

/**
 * How node runs the TypeScript runner: through sucrase's require hook, which only strips types (the
 * type check is `npm run typecheck`'s job). It starts the runner about 0.5 s sooner than ts-node's
 * transpile-only mode, on every command (bench/RESULTS.md).
 */
export const RUNNER_NODE_ARGS = ["-r", require.resolve("sucrase/register/ts")];

/** Where and how a stack operation runs. */
export interface StackRunOptions {
    /** The state folder (backend, work directory, passphrase). */
    dir: string;
    /** The stack name; its stack file is `Pulumi.<stack>.yaml` at the repository root. */
    stack: string;
    /** The kubeconfig the program deploys with. */
    kubeconfig: string;
    /** More environment (PULUMI_CONFIG_PASSPHRASE, PULUMI_HOME). */
    env?: NodeJS.ProcessEnv;
    /** The stack's own backend (`--backend`), instead of the file backend in `dir`. */
    backendUrl?: string;
    /** Refresh the work directory's stack file from the repository's first (`--sync-stack-file`). */
    syncStackFile?: boolean;
    /** Standard input (a config value read from `-`). */
    input?: string;
    /** Stream the engine's output to this process's stderr instead of keeping it. */
    showEngineOutput?: boolean;
    /** Aborting it sends the runner SIGINT, as a cancelled CI job does; aborting with reason "SIGKILL" kills the runner and its engine. */
    signal?: AbortSignal;
}

/** What one operation produced: its result, and the engine's text output unless it was streamed. */
export interface StackRun {
    result: StackResult;
    engineOutput: string;
}

/** Runs `stack.ts <args>`; resolves with its result (ok or not), rejects only when it printed none. */
export function runStack(args: readonly string[], options: StackRunOptions): Promise<StackRun> {
    const argv = [...RUNNER_NODE_ARGS, path.join(__dirname, "stack.ts"), ...args, "--dir", options.dir, "--stack", options.stack];
    if (options.syncStackFile) argv.push("--sync-stack-file");
    if (options.backendUrl) argv.push("--backend", options.backendUrl);
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, argv, {
            cwd: repoRoot,
            env: { ...process.env, ...options.env, KUBECONFIG: options.kubeconfig },
            stdio: ["pipe", "pipe", options.showEngineOutput ? "inherit" : "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        child.stdin!.end(options.input ?? "");
        options.signal?.addEventListener("abort", () => {
            if (options.signal?.reason === "SIGKILL") {
                // Everything at once, as a power cut or a killed CI machine: the runner and the engine under it.
                spawnSync("pkill", ["-KILL", "-P", String(child.pid)]);
                child.kill("SIGKILL");
            } else {
                child.kill("SIGINT");
            }
        });
        child.on("error", reject);
        child.on("exit", () => {
            try {
                resolve({ result: JSON.parse(stdout) as StackResult, engineOutput: stderr });
            } catch {
                reject(new Error(`stack.ts ${args.join(" ")} printed no result:\n${stdout}\n${stderr.slice(-4000)}`));
            }
        });
    });
}
