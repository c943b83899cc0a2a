import { spawnSync, SpawnSyncReturns } from "child_process";
import * as path from "path";

/** Repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..");

/** Exit status the scripts/*.sh tool wrappers use when Go or Python is missing. */
export const MISSING_PREREQUISITE = 3;

/** Whether a command is on PATH. */
export function commandExists(command: string): boolean {
    return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/**
 * `it`, or `it.skip` when a prerequisite command is missing outside CI. With CI=true the test always
 * runs, so a machine without the prerequisite fails instead of silently skipping.
 */
export function itNeeding(...commands: string[]): jest.It {
    const missing = commands.filter((c) => !commandExists(c));
    if (missing.length === 0 || process.env.CI === "true") {
        return it;
    }
    console.warn(`skipping tests that need ${missing.join(", ")} (not on PATH; they run with CI=true)`);
    return it.skip;
}

/** Runs a repository script (path relative to the root) and captures its output. */
export function runScript(script: string, args: string[] = []): SpawnSyncReturns<string> {
    const result = spawnSync("bash", [path.join(repoRoot, script), ...args], {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 300_000,
    });
    if (result.error) {
        throw result.error;
    }
    return result;
}

/** One-line summary of a script run for assertion messages. */
export function describeRun(result: SpawnSyncReturns<string>): string {
    return `exit ${result.status}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}
