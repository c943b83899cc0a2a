/**
 * A stack runner result (the JSON `stack.ts` prints) as a short Markdown report for a CI job's
 * summary: the outcome, the resource changes, the rollback and the error.
 *
 *   node -r sucrase/register/ts scripts/local/summary.ts RESULT.json >> "$GITHUB_STEP_SUMMARY"
 *
 * A missing or unreadable result (the runner was killed before it printed one) is reported as such.
 */
import * as fs from "node:fs";
import type { StackResult } from "./stack";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const counts = (changes: StackResult["changes"]) =>
    Object.entries(changes ?? {})
        .map(([op, n]) => `${n} ${op}`)
        .join(", ") || "no changes";

/** The report of one result. */
export function summarize(result: StackResult): string {
    const lines = [
        `### \`${result.command}\` ${result.ok ? "succeeded" : result.interrupted ? "was interrupted" : "failed"} in ${seconds(result.durationMs)}`,
        "",
    ];
    if (result.ok || result.changes) lines.push(`Resources: ${counts(result.changes)}.`, "");
    if (result.interrupted) {
        const how = result.interrupted.killedAfterBudget ? "the engine was killed when the stop budget ran out" : "the engine stopped cleanly";
        lines.push(`Stopped by ${result.interrupted.signal}: ${how}; the next run recovers the stack.`, "");
    }
    if (result.rollback) {
        const { to } = result.rollback;
        lines.push(
            result.rollback.ok
                ? `Rolled back to \`${to.imageRef}\` (deployed ${to.deployedAt}) in ${seconds(result.rollback.durationMs)}: the last good release is serving.`
                : `The rollback to \`${to.imageRef}\` failed too: ${result.rollback.error ?? "no error text"}`,
            "",
        );
    }
    if (result.error) lines.push("<details><summary>Error</summary>", "", "```", result.error, "```", "</details>", "");
    return lines.join("\n");
}

if (require.main === module) {
    const file = process.argv[2] ?? "";
    let text = "";
    try {
        text = fs.readFileSync(file, "utf8");
        process.stdout.write(summarize(JSON.parse(text) as StackResult));
    } catch {
        process.stdout.write(
            `### The stack runner printed no result\n\nIt was stopped before it finished (${file}: ${text ? "not JSON" : "empty or missing"}); the job log has its output.\n`,
        );
    }
}
