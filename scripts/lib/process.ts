/** Runs the project's own scripts with their output on the terminal: one way, for the main command and the tests. */
import { spawn } from "node:child_process";
import * as path from "node:path";

/** The repository's root directory. */
export const repoRoot = path.resolve(__dirname, "..", "..");

/** A command that failed after printing its own output: the message names it and points above. */
export class CommandFailed extends Error {
    constructor(command: string, exit: string) {
        super(`${command} failed (exit ${exit}); its output is above`);
        this.name = "CommandFailed";
    }
}

/**
 * Runs a bash script of the repository with stdout and stderr on the terminal (long steps show their
 * own progress); resolves on exit 0, else rejects with a {@link CommandFailed} naming the script as
 * the repository does (`scripts/cluster/cluster.sh up`).
 */
export function runScript(script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const file = path.resolve(repoRoot, script);
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [file, ...args], { env, stdio: ["ignore", "inherit", "inherit"] });
        child.on("error", reject);
        child.on("exit", (code, signal) =>
            code === 0 ? resolve() : reject(new CommandFailed([path.relative(repoRoot, file), ...args].join(" "), String(code ?? signal))),
        );
    });
}
