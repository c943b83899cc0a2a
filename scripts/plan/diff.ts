import * as fs from "fs";
import * as path from "path";
import { createTwoFilesPatch } from "diff";

/** How one plan file changed between two plans. */
export interface FileChange {
    file: string;
    status: "added" | "removed" | "changed";
    /** Unified diff (`--- a/FILE`, `+++ b/FILE`, hunks). */
    patch: string;
}

function listFiles(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const child = rel ? `${rel}/${entry.name}` : entry.name;
            if (entry.isDirectory()) walk(child);
            else out.push(child);
        }
    };
    walk("");
    return out;
}

function readPlan(dir: string, missingAsEmpty: boolean): Map<string, string> {
    if (!fs.existsSync(dir)) {
        if (missingAsEmpty) return new Map();
        throw new Error(`no plan at ${dir} (run \`npm run plan -- --stack NAME --out ${dir}\`, or pass --missing-as-empty)`);
    }
    if (!fs.existsSync(path.join(dir, "plan.yaml"))) {
        throw new Error(`${dir} is not a plan directory: it has no plan.yaml`);
    }
    return new Map(listFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

/**
 * Compares two plan directories file by file. A missing directory counts as an empty plan when
 * `missingAsEmpty` is set (a base branch that predates a stack or the plan command).
 */
export function diffPlans(oldDir: string, newDir: string, missingAsEmpty = false): FileChange[] {
    const before = readPlan(oldDir, missingAsEmpty);
    const after = readPlan(newDir, missingAsEmpty);
    const files = [...new Set([...before.keys(), ...after.keys()])].sort();
    const changes: FileChange[] = [];
    for (const file of files) {
        const a = before.get(file);
        const b = after.get(file);
        if (a === b) continue;
        const status = a === undefined ? "added" : b === undefined ? "removed" : "changed";
        const patch = createTwoFilesPatch(
            a === undefined ? "/dev/null" : `a/${file}`,
            b === undefined ? "/dev/null" : `b/${file}`,
            a ?? "",
            b ?? "",
            undefined,
            undefined,
            { context: 3 },
        ).replace(/^=+\n/, "");
        changes.push({ file, status, patch });
    }
    return changes;
}

/** "2 changed, 1 added, 0 removed" or "no changes". */
export function summarize(changes: FileChange[]): string {
    if (changes.length === 0) return "no changes";
    const count = (s: FileChange["status"]): number => changes.filter((c) => c.status === s).length;
    return `${count("changed")} changed, ${count("added")} added, ${count("removed")} removed`;
}

/** Plain-text report: a summary line, then the unified diff of every changed file. */
export function renderText(changes: FileChange[]): string {
    return [`plan diff: ${summarize(changes)}`, ...changes.map((c) => c.patch)].join("\n").replace(/\n*$/, "\n");
}

/** Markdown report for a pull-request comment: a heading with the summary and a `diff` block. */
export function renderMarkdown(changes: FileChange[], title: string): string {
    const heading = `### ${title}: ${summarize(changes)}`;
    if (changes.length === 0) return `${heading}\n\n`;
    const files = changes.map((c) => `\`${c.file}\` (${c.status})`).join(", ");
    const body = changes.map((c) => c.patch).join("\n");
    // A fence longer than any backtick run in the body, so no manifest content can close it.
    const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = "`".repeat(longest + 1);
    return `${heading}\n\n${files}\n\n${fence}diff\n${body.replace(/\n*$/, "")}\n${fence}\n\n`;
}
