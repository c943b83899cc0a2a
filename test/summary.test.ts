import { summarize } from "../scripts/local/summary";
import type { StackResult } from "../scripts/local/stack";

const base: StackResult = { command: "up", ok: true, durationMs: 12_345, changes: { same: 7, update: 1 } };

describe("summarize", () => {
    it.each<[string, StackResult, string[]]>([
        ["a successful up", base, ["### `up` succeeded in 12.3 s", "Resources: 7 same, 1 update."]],
        ["an up with nothing to do", { ...base, changes: {} }, ["Resources: no changes."]],
        [
            "a failed rollout that rolled back",
            {
                ...base,
                ok: false,
                changes: undefined,
                error: "pod p: container app is CrashLoopBackOff",
                rollback: { ok: true, to: { imageRef: "r/s@sha256:ab", deployedAt: "2026-12-06T20:00:00Z" }, durationMs: 5_700 },
            },
            [
                "### `up` failed in 12.3 s",
                "Rolled back to `r/s@sha256:ab` (deployed 2026-12-06T20:00:00Z) in 5.7 s: the last good release is serving.",
                "```\npod p: container app is CrashLoopBackOff\n```",
            ],
        ],
        [
            "a rollback that failed too",
            { ...base, ok: false, rollback: { ok: false, to: { imageRef: "r/s@sha256:ab", deployedAt: "t" }, durationMs: 1, error: "cluster unreachable" } },
            ["The rollback to `r/s@sha256:ab` failed too: cluster unreachable"],
        ],
        [
            "an interrupted up",
            { ...base, ok: false, changes: undefined, interrupted: { signal: "SIGINT", killedAfterBudget: false }, error: "interrupted by SIGINT" },
            ["### `up` was interrupted in 12.3 s", "Stopped by SIGINT: the engine stopped cleanly; the next run recovers the stack."],
        ],
    ])("reports %s", (_, result, expected) => {
        const text = summarize(result);
        for (const line of expected) expect(text).toContain(line);
    });

    it("names no rollback and no error for a success", () => {
        expect(summarize(base)).not.toMatch(/Rolled back|Error|interrupted/);
    });
});
