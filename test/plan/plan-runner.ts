import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { repoRoot } from "../workflow/tools";

const tsNode = path.join(repoRoot, "node_modules", ".bin", "ts-node");

/** Result of one `npm run plan` / `npm run plan:diff` run. */
export interface CliRun {
    status: number;
    stdout: string;
    stderr: string;
}

/** Runs scripts/<script>.ts with ts-node, as `npm run plan` does, from the repository root. */
export function runTs(script: string, args: string[]): Promise<CliRun> {
    return new Promise((resolve) => {
        execFile(
            tsNode,
            ["--transpile-only", path.join(repoRoot, "scripts", `${script}.ts`), ...args],
            { cwd: repoRoot, encoding: "utf8", timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
            (err, stdout, stderr) => {
                const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
                resolve({ status: code, stdout, stderr });
            },
        );
    });
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** Renders a plan into a fresh directory and fails loudly if the command fails. */
export async function renderPlan(args: string[]): Promise<string> {
    const out = path.join(tempDir("plan"), "plan");
    const run = await runTs("plan", [...args, "--out", out]);
    if (run.status !== 0) {
        throw new Error(`npm run plan -- ${args.join(" ")} failed (exit ${run.status}):\n${run.stderr}`);
    }
    return out;
}

/** Every file of a plan directory: relative path -> content. */
export function readTree(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string): void => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const child = rel ? `${rel}/${entry.name}` : entry.name;
            if (entry.isDirectory()) walk(child);
            else out[child] = fs.readFileSync(path.join(dir, child), "utf8");
        }
    };
    walk("");
    return out;
}

// Parsed plan/stack YAML: arbitrary nested data, read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Yaml = any;

/** Parses one file of a plan. */
export function readYaml(dir: string, file: string): Yaml {
    return parse(fs.readFileSync(path.join(dir, file), "utf8"));
}
