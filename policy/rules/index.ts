/**
 * Every rule of the pack, in report order. `policy/policies.ts` turns these into CrossGuard
 * policies; tests call the `check` functions directly.
 */
import { availabilityRules } from "./availability";
import { ecrResourceRules, ecrStackRules } from "./ecr";
import { pssRules } from "./pss";
import { reliabilityRules } from "./reliability";
import { secretRules } from "./secrets";
import { serviceRules } from "./services";
import { DefaultEnforcement, Rule, StackResource } from "./types";

export * from "./types";

/** All rules of the pack. */
export const rules: readonly Rule[] = [
    ...pssRules,
    ...reliabilityRules,
    ...availabilityRules,
    ...secretRules,
    ...serviceRules,
    ...ecrResourceRules,
    ...ecrStackRules,
];

/** A finding of `evaluate`: which rule, on which resource (logical name), and what. */
export interface Finding {
    rule: string;
    resource: string;
    message: string;
}

/**
 * Runs every rule the way the engine does: each resource rule on each resource of its types, then
 * each stack rule on the whole stack. `config` is keyed by rule name, like `--policy-pack-config`.
 */
export function evaluate(resources: readonly StackResource[], config: Record<string, Record<string, unknown>> = {}): Finding[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r.name]));
    const findings: Finding[] = [];
    for (const rule of rules) {
        const ruleConfig = config[rule.name] ?? {};
        if (rule.kind === "resource") {
            for (const resource of resources.filter((r) => rule.types.includes(r.type))) {
                for (const v of rule.check(resource, ruleConfig)) {
                    findings.push({ rule: rule.name, resource: resource.name, message: v.message });
                }
            }
        } else {
            for (const v of rule.check(resources, ruleConfig)) {
                findings.push({ rule: rule.name, resource: (v.urn && byUrn.get(v.urn)) ?? "(stack)", message: v.message });
            }
        }
    }
    return findings;
}

/** A `--policy-pack-config` document: per policy, a level or an object with `enforcementLevel` and properties. */
export type PackConfig = Record<string, string | ({ enforcementLevel?: string } & Record<string, unknown>)>;

/** An enforcement level, as CrossGuard knows them. */
export type EnforcementLevel = DefaultEnforcement | "disabled" | "remediate";

/** The level a rule runs at under `config`, as CrossGuard resolves it: the config's, else the rule's default. */
export function enforcementLevel(rule: Rule, config: PackConfig = {}): EnforcementLevel {
    const entry = config[rule.name];
    const level = typeof entry === "string" ? entry : entry?.enforcementLevel;
    return level === "advisory" || level === "mandatory" || level === "disabled" || level === "remediate" ? level : rule.enforcementLevel;
}

/** The rule properties of a `--policy-pack-config` entry (everything but `enforcementLevel`). */
export function ruleProperties(config: PackConfig, name: string): Record<string, unknown> {
    const entry = config[name];
    if (typeof entry !== "object" || entry === null) {
        return {};
    }
    return Object.fromEntries(Object.entries(entry).filter(([key]) => key !== "enforcementLevel"));
}
