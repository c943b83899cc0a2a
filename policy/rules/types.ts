/**
 * Shapes shared by every rule. Rules are pure functions over plain JSON-like data: they never touch
 * the Pulumi engine, so tests call them with literal objects.
 */

/** Stands for a value Pulumi cannot know yet (during `pulumi preview`, a property computed from another resource's output). */
export const UNKNOWN: unique symbol = Symbol.for("rust-service-policy.unknown");

/** One finding. `urn` is set by stack rules to point at the offending resource. */
export interface Violation {
    message: string;
    urn?: string;
}

/** A resource as a resource rule sees it: its type token, logical name and resolved inputs. */
export interface ResourceInput {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

/** A resource as a stack rule sees it. */
export interface StackResource extends ResourceInput {
    urn: string;
    /** URNs of the resources each input property was computed from, when the engine knows them. */
    propertyDependencies?: Record<string, string[]>;
}

/** The enforcement levels a rule may default to. */
export type DefaultEnforcement = "advisory" | "mandatory";

/** JSON schema of one policy config property, in the subset CrossGuard accepts. */
export interface ConfigProperty {
    type: "string" | "number" | "integer" | "boolean" | "array" | "object";
    items?: { type: "string" };
    default?: string | number | boolean | string[];
    minimum?: number;
    description?: string;
}

interface RuleMeta {
    /** Policy name (kebab-case, unique in the pack); also the key in `--policy-pack-config`. */
    name: string;
    /** One sentence: what the rule requires. */
    description: string;
    enforcementLevel: DefaultEnforcement;
    /** Where the requirement comes from (PSS field list, kube-score/kube-linter/Polaris ids, Security Hub controls). */
    sources: string[];
    /** Config properties other than `enforcementLevel`, as a JSON schema. */
    configSchema?: Record<string, ConfigProperty>;
}

/** A rule over one resource at a time; `types` are the Pulumi type tokens it applies to. */
export interface ResourceRule extends RuleMeta {
    kind: "resource";
    types: readonly string[];
    check(resource: ResourceInput, config: Record<string, unknown>): Violation[];
}

/** A rule over the whole stack (needs to see several resources together). */
export interface StackRule extends RuleMeta {
    kind: "stack";
    check(resources: readonly StackResource[], config: Record<string, unknown>): Violation[];
}

/** Any rule in the pack. */
export type Rule = ResourceRule | StackRule;

/** True when `value` is Pulumi's not-yet-known marker. */
export function isUnknown(value: unknown): value is typeof UNKNOWN {
    return value === UNKNOWN;
}

/** `value` as a plain object, or `undefined` when it is absent, unknown or not an object. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `value` as an array, or `[]` when it is absent, unknown or not an array. */
export function asArray(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

/** Reads a nested property; stops (returning the marker) at the first unknown on the path. */
export function at(value: unknown, ...path: string[]): unknown {
    let current = value;
    for (const key of path) {
        if (isUnknown(current)) {
            return UNKNOWN;
        }
        const record = asRecord(current);
        if (record === undefined) {
            return undefined;
        }
        current = record[key];
    }
    return current;
}

/** True when any value of `values` is unknown: the rule cannot decide until `pulumi up`. */
export function anyUnknown(...values: unknown[]): boolean {
    return values.some(isUnknown);
}

/** Renders a value for a message: `unset` for undefined, JSON otherwise. */
export function show(value: unknown): string {
    return value === undefined ? "unset" : JSON.stringify(value);
}

/** Reads a string-array config property, falling back to `fallback` when absent or malformed. */
export function configStrings(config: Record<string, unknown>, key: string, fallback: string[] = []): string[] {
    const value = config[key];
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : fallback;
}

/** Reads a numeric config property, falling back to `fallback` when absent or malformed. */
export function configNumber(config: Record<string, unknown>, key: string, fallback: number): number {
    const value = config[key];
    return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** Reads a boolean config property, falling back to `fallback` when absent or malformed. */
export function configBoolean(config: Record<string, unknown>, key: string, fallback: boolean): boolean {
    const value = config[key];
    return typeof value === "boolean" ? value : fallback;
}
