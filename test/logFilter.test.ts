import * as fs from "fs";
import * as path from "path";
import { isServiceLogFilter, LOG_FILTER_RULE } from "../components/logFilter";
import { problemMessage, rustServiceArgsProblems } from "../components/validation";

// The same table service/tests/api/config.rs runs against the service's own parser.
const table = fs
    .readFileSync(path.join(__dirname, "..", "service", "tests", "log_filters.txt"), "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
        const tab = line.indexOf("\t");
        return [line.slice(tab + 1), line.slice(0, tab) === "accept"] as [string, boolean];
    });

/** Values of the table the service accepts but a stack may not set: outside the documented subset. */
const OUTSIDE_SUBSET = [
    "info,,debug",
    "tower_http=",
    "tower_http=3",
    "[request]=debug",
    "[request{method=GET}]=trace",
    "rust_service[request]=info",
    "info,[{status=500}]=warn",
];

describe("isServiceLogFilter", () => {
    it("reads the shared table, which covers both verdicts", () => {
        expect(table.filter(([, accepted]) => accepted).length).toBeGreaterThan(5);
        expect(table.filter(([, accepted]) => !accepted).length).toBeGreaterThan(5);
    });

    it.each(table)("judges LOG_LEVEL=%j as the service does, or refuses it as outside the subset (the service accepts it: %s)", (value, accepted) => {
        expect(isServiceLogFilter(value)).toBe(accepted && !OUTSIDE_SUBSET.includes(value));
    });

    it("accepts only what the service accepts, and most of the table's accepted values", () => {
        const acceptedHere = table.filter(([value]) => isServiceLogFilter(value));
        expect(acceptedHere.filter(([, accepted]) => !accepted)).toEqual([]);
        expect(OUTSIDE_SUBSET.every((value) => table.some(([v, accepted]) => v === value && accepted))).toBe(true);
        expect(acceptedHere.length).toBeGreaterThan(OUTSIDE_SUBSET.length);
    });

    it.each<[string, boolean]>([
        ["verbose", false],
        ["info", true],
        ["info,tower_http=debug", true],
        ["warn,access=off", true],
    ])("includes %j (accepted: %s) in the shared table", (value, accepted) => {
        expect(table).toContainEqual([value, accepted]);
    });
});

describe("settings.logLevel", () => {
    it("rejects a filter the service would refuse at start-up, naming the subset it accepts", () => {
        expect(rustServiceArgsProblems("api", { settings: { logLevel: "verbose" } }).map((p) => ({ path: p.path, message: problemMessage(p) }))).toEqual([
            {
                path: "settings.logLevel",
                message:
                    'must be a level (trace, debug, info, warn, error, off) or comma-separated `target=level` directives such as `info,rust_service=debug` (no spaces, span or field filters), got "verbose"',
            },
        ]);
    });

    it("rejects a span filter, which the service takes but the subset leaves out, with the same rule", () => {
        expect(rustServiceArgsProblems("api", { settings: { logLevel: "[request]=debug" } }).map((p) => problemMessage(p))).toEqual([
            `${LOG_FILTER_RULE}, got "[request]=debug"`,
        ]);
    });
});
