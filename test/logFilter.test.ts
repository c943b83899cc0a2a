import * as fs from "fs";
import * as path from "path";
import { isServiceLogFilter } from "../components/logFilter";
import { rustServiceArgsProblems } from "../components/validation";

// The same table service/tests/api/config.rs runs against the service's own parser.
const table = fs
    .readFileSync(path.join(__dirname, "..", "service", "tests", "log_filters.txt"), "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
        const tab = line.indexOf("\t");
        return [line.slice(tab + 1), line.slice(0, tab) === "accept"] as [string, boolean];
    });

describe("isServiceLogFilter", () => {
    it("reads the shared table, which covers both verdicts", () => {
        expect(table.filter(([, accepted]) => accepted).length).toBeGreaterThan(5);
        expect(table.filter(([, accepted]) => !accepted).length).toBeGreaterThan(5);
    });

    it.each(table)("judges LOG_LEVEL=%j as the service does (accepted: %s)", (value, accepted) => {
        expect(isServiceLogFilter(value)).toBe(accepted);
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
    it("rejects a filter the service would refuse at start-up, with the service's rule", () => {
        expect(rustServiceArgsProblems("api", { settings: { logLevel: "verbose" } })).toEqual([
            {
                path: "settings.logLevel",
                message:
                    'must be a level (trace, debug, info, warn, error, off) or tracing filter directives such as `info,rust_service=debug` (the service refuses to start otherwise), got "verbose"',
            },
        ]);
    });
});
