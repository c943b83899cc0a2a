import { stringify } from "yaml";
import type { Evaluation, RecordedResource } from "./evaluate";
import { asRecord } from "../../components/record";
import { shortUrn } from "./mocks";
import { REDACTED } from "./placeholders";

/** A rendered plan: file path (relative, `/`-separated) -> content. */
export type PlanFiles = Map<string, string>;

/** Provider inputs never written to a plan: they hold credentials or whole kubeconfig files. */
const SENSITIVE_PROVIDER_INPUTS = /^(kubeconfig|accessKey|secretKey|token|password|clientKeyData|clientCertificateData)$/i;

/** Calls the SDK makes for itself, not the program. */
const INTERNAL_CALLS = new Set(["pulumi:pulumi:getResource"]);

const HEADER = [
    "# Rendered by `npm run plan` under Pulumi mocks: no cloud, cluster or Pulumi CLI was contacted.",
    "# <computed: ...> marks a value only a provider knows; <redacted secret> marks a secret.",
].join("\n");

/** Deep copy with every mapping's keys sorted, so output never depends on registration order. */
export function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    const record = asRecord(value);
    if (record === undefined) return value;
    return Object.fromEntries(
        Object.keys(record)
            .sort()
            .map((k) => [k, sortKeys(record[k])]),
    );
}

function toYaml(value: unknown, header?: string): string {
    const body = stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
    return header ? `${header}\n${body}` : body;
}

function isKubernetesObject(r: RecordedResource): boolean {
    return r.type.startsWith("kubernetes:") && r.custom && !r.read;
}

function isRegistryResource(type: string): boolean {
    return type.startsWith("aws:ecr") || type.startsWith("docker:");
}

/** JSON strings (ECR lifecycle policies, repository policies) as data, so diffs show the changed rule. */
function expandJsonStrings(value: unknown): unknown {
    if (typeof value === "string" && /^\s*[[{]/.test(value)) {
        try {
            return expandJsonStrings(JSON.parse(value));
        } catch {
            return value;
        }
    }
    if (Array.isArray(value)) return value.map(expandJsonStrings);
    const record = asRecord(value);
    if (record !== undefined) return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expandJsonStrings(v)]));
    return value;
}

/** The manifest the provider would send, with Secret payloads redacted whatever their origin. */
export function toManifest(r: RecordedResource): Record<string, unknown> {
    const { apiVersion, kind, metadata, ...rest } = sortKeys(r.inputs) as Record<string, unknown>;
    const meta = { ...asRecord(metadata) };
    meta.name ??= `${r.name}-<computed: random suffix>`;
    if (kind === "Secret") {
        for (const field of ["data", "stringData"]) {
            const payload = asRecord(rest[field]);
            if (payload !== undefined) rest[field] = Object.fromEntries(Object.keys(payload).map((k) => [k, REDACTED]));
        }
    }
    return { apiVersion, kind, metadata: sortKeys(meta), ...rest };
}

function configView(evaluation: Evaluation): Record<string, unknown> {
    const { values } = evaluation.config;
    return Object.fromEntries(
        Object.keys(values)
            .sort()
            .map((k) => [k, sortKeys(expandJsonStrings(values[k]))]),
    );
}

function resourceEntry(r: RecordedResource): Record<string, unknown> {
    const entry: Record<string, unknown> = { type: r.type, name: r.name };
    if (r.parent && !r.parent.split("::")[2]?.endsWith("pulumi:pulumi:Stack")) entry.parent = shortUrn(r.parent);
    if (r.provider) entry.provider = shortUrn(r.provider);
    if (r.read) entry.read = true;
    if (r.secretInputs.length > 0) entry.secretInputs = r.secretInputs;
    return entry;
}

function providerInputs(r: RecordedResource): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(sortKeys(r.inputs) as Record<string, unknown>).map(([k, v]) => [k, SENSITIVE_PROVIDER_INPUTS.test(k) ? "<omitted: credentials>" : v]),
    );
}

function byTypeThenName(a: RecordedResource, b: RecordedResource): number {
    return a.type.localeCompare(b.type) || a.name.localeCompare(b.name) || a.urn.localeCompare(b.urn);
}

/**
 * Renders an evaluation as plan files:
 * - `plan.yaml`: project, stack, effective config, stack outputs, every resource (type, name,
 *   parent, provider, which inputs are secret), provider configuration and provider calls;
 * - `kubernetes/<kind>-<name>.yaml`: one manifest per Kubernetes object;
 * - `registry.yaml`: the ECR repository, lifecycle policy, image build/push settings and registry
 *   logins.
 */
export function renderPlan(evaluation: Evaluation): PlanFiles {
    const resources = evaluation.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").sort(byTypeThenName);
    const files: PlanFiles = new Map();
    const calls = evaluation.calls
        .filter((c) => !INTERNAL_CALLS.has(c.token))
        .map((c) => ({ token: c.token, ...(c.provider ? { provider: shortUrn(c.provider) } : {}), inputs: sortKeys(c.inputs) }))
        .sort((a, b) => a.token.localeCompare(b.token) || JSON.stringify(a.inputs).localeCompare(JSON.stringify(b.inputs)));

    files.set(
        "plan.yaml",
        toYaml(
            {
                project: evaluation.config.project,
                stack: evaluation.config.stack,
                config: configView(evaluation),
                outputs: sortKeys(evaluation.outputs),
                resources: resources.map(resourceEntry),
                providers: resources
                    .filter((r) => r.type.startsWith("pulumi:providers:"))
                    .map((r) => ({ type: r.type, name: r.name, inputs: providerInputs(r) })),
                calls,
            },
            HEADER,
        ),
    );

    const taken = new Set<string>();
    for (const r of resources.filter(isKubernetesObject)) {
        const manifest = toManifest(r);
        const base = `kubernetes/${String(manifest.kind).toLowerCase()}-${r.name}`;
        let file = `${base}.yaml`;
        for (let i = 2; taken.has(file); i++) file = `${base}-${i}.yaml`;
        taken.add(file);
        files.set(file, toYaml(manifest));
    }

    const registry = resources.filter((r) => isRegistryResource(r.type));
    const registryCalls = calls.filter((c) => isRegistryResource(c.token));
    files.set(
        "registry.yaml",
        toYaml(
            {
                resources: registry.map((r) => ({
                    ...resourceEntry(r),
                    inputs: sortKeys(expandJsonStrings(r.inputs)),
                })),
                calls: registryCalls,
            },
            HEADER,
        ),
    );
    return files;
}
