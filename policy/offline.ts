/**
 * Checks a stack against the pack's rules without the Pulumi CLI or any credentials: evaluates the
 * Pulumi program for the stack under the SDK's mock monitor (the evaluation `npm run plan` uses) and
 * applies every rule at the levels a `--policy-pack-config` file sets.
 *
 *   npx ts-node --transpile-only policy/offline.ts --stack dev [--policy-pack-config FILE] [--project-dir DIR]
 *
 * Values only a provider knows (image digests, auto-generated names) are unknown here, exactly as in
 * `pulumi preview`, so the checks that read them are left to `pulumi up --policy-pack policy`.
 * Exit status: 0 no mandatory violation, 1 at least one, 2 bad usage or the program failed.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import type { RecordedResource } from "../scripts/plan/evaluate";
import { HPA_TYPES, PDB_TYPES } from "./rules/availability";
import { LIFECYCLE_POLICY_TYPE } from "./rules/ecr";
import { SERVICE_TYPE } from "./rules/services";
import { enforcementLevel, EnforcementLevel, evaluate, PackConfig, ruleProperties, rules, StackResource, UNKNOWN } from "./rules";

/** The marker `npm run plan` writes for a value only a provider can know. */
const COMPUTED_MARKER = "<computed: ";

/** A plan value with provider-computed markers turned into `UNKNOWN` (a string built from one is unknown too). */
export function unknownsFromPlan(value: unknown): unknown {
    if (typeof value === "string") {
        return value.includes(COMPUTED_MARKER) ? UNKNOWN : value;
    }
    if (Array.isArray(value)) {
        return value.map(unknownsFromPlan);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unknownsFromPlan(v)]));
    }
    return value;
}

/** The managed resources of a plan, as the rules see them. */
export function planResources(resources: readonly RecordedResource[]): StackResource[] {
    return resources
        .filter((r) => !r.read)
        .map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: unknownsFromPlan(r.inputs) as Record<string, unknown> }));
}

/** One reported violation with the level it is enforced at. */
export interface Report {
    rule: string;
    level: EnforcementLevel;
    resource: string;
    message: string;
}

/** Every violation in `resources` at its configured level; disabled rules report nothing. */
export function check(resources: readonly StackResource[], config: PackConfig = {}): Report[] {
    const levels = new Map(rules.map((r) => [r.name, enforcementLevel(r, config)]));
    const properties = Object.fromEntries(rules.map((r) => [r.name, ruleProperties(config, r.name)]));
    return evaluate(resources, properties)
        .map((f) => ({ ...f, level: levels.get(f.rule)! }))
        .filter((r) => r.level !== "disabled")
        .map((r) => ({ ...r, level: r.level === "remediate" ? "mandatory" : r.level }));
}

/** `1 Deployment, 1 Service, ...`: the resources at least one rule looked at, so a clean result is not an empty one. */
export function checkedSummary(resources: readonly StackResource[]): string {
    const checkedTypes = new Set(rules.flatMap((r) => (r.kind === "resource" ? r.types : [])));
    for (const type of [SERVICE_TYPE, LIFECYCLE_POLICY_TYPE, ...PDB_TYPES, ...HPA_TYPES]) {
        checkedTypes.add(type);
    }
    const counts = new Map<string, number>();
    for (const r of resources.filter((r) => checkedTypes.has(r.type))) {
        const kind = r.type.slice(r.type.lastIndexOf(":") + 1);
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    return [...counts].map(([kind, n]) => `${n} ${kind}`).join(", ") || "no checked resources";
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            "policy-pack-config": { type: "string" },
            "project-dir": { type: "string", default: "." },
        },
    });
    if (!values.stack) {
        console.error("usage: ts-node --transpile-only policy/offline.ts --stack NAME [--policy-pack-config FILE] [--project-dir DIR]");
        return 2;
    }
    const config: PackConfig = values["policy-pack-config"] ? JSON.parse(fs.readFileSync(values["policy-pack-config"], "utf8")) : {};
    // Loaded here so that importing this module (tests) does not start the Pulumi runtime.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { evaluateProgram } = require("../scripts/plan/evaluate") as typeof import("../scripts/plan/evaluate");
    const evaluation = await evaluateProgram(path.resolve(values["project-dir"] ?? "."), values.stack);
    const resources = planResources(evaluation.resources);
    const reports = check(resources, config);
    for (const r of reports) {
        console.log(`${r.level.padEnd(9)} ${r.rule} [${r.resource}] ${r.message}`);
    }
    const mandatory = reports.filter((r) => r.level === "mandatory").length;
    console.log(
        `policy check of stack ${values.stack}: ${mandatory} mandatory and ${reports.length - mandatory} advisory violation(s) in ${checkedSummary(resources)}`,
    );
    return mandatory > 0 ? 1 : 0;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (err: unknown) => {
            console.error(`policy check failed: ${err instanceof Error ? err.message : String(err)}`);
            process.exit(2);
        },
    );
}
