/**
 * Where each Kubernetes type that carries pods keeps its pod template, and a uniform view of its
 * containers, so every pod-level rule covers Deployments, StatefulSets, DaemonSets, ReplicaSets,
 * ReplicationControllers, Jobs, CronJobs, Pods, PodTemplates and the `*Patch` of each alike.
 */
import { asArray, asRecord, at, isUnknown, UNKNOWN } from "./types";

/** What the rules need to know about a type that carries a pod template. */
export interface PodCarrier {
    /** `Deployment` for both `apps/v1:Deployment` and `apps/v1:DeploymentPatch` (an autoscaler's `scaleTargetRef.kind`). */
    kind: string;
    /** Path from the object to its pod template (`{ metadata, spec }`); empty for a Pod, which is its own template. */
    template: readonly string[];
    /** Its pods serve until replaced, so readiness and liveness probes apply. */
    longRunning: boolean;
    /** A replica minimum and a PodDisruptionBudget apply. */
    replicated: boolean;
    /** Creating it runs pods (a PodTemplate only stores a template), so a Service may select them. */
    runsPods: boolean;
    /**
     * A Server-Side Apply patch of an existing object: a field it leaves unset keeps the live value,
     * so rules judge only the fields it sets (see `untouched`).
     */
    patch: boolean;
}

type Row = Omit<PodCarrier, "kind" | "patch">;

const TEMPLATE = ["spec", "template"];

// The one table of pod-carrying types; the `*Patch` of each is derived below, with the same shape.
const CARRIERS: Record<string, Row> = {
    "kubernetes:apps/v1:Deployment": { template: TEMPLATE, longRunning: true, replicated: true, runsPods: true },
    "kubernetes:apps/v1:StatefulSet": { template: TEMPLATE, longRunning: true, replicated: true, runsPods: true },
    "kubernetes:apps/v1:DaemonSet": { template: TEMPLATE, longRunning: true, replicated: false, runsPods: true },
    "kubernetes:apps/v1:ReplicaSet": { template: TEMPLATE, longRunning: true, replicated: false, runsPods: true },
    "kubernetes:core/v1:ReplicationController": { template: TEMPLATE, longRunning: true, replicated: false, runsPods: true },
    "kubernetes:batch/v1:Job": { template: TEMPLATE, longRunning: false, replicated: false, runsPods: true },
    "kubernetes:batch/v1:CronJob": { template: ["spec", "jobTemplate", "spec", "template"], longRunning: false, replicated: false, runsPods: true },
    "kubernetes:core/v1:Pod": { template: [], longRunning: false, replicated: false, runsPods: true },
    "kubernetes:core/v1:PodTemplate": { template: ["template"], longRunning: false, replicated: false, runsPods: false },
};

/** Every type that carries a pod template, keyed by Pulumi type token, `*Patch` types included. */
export const POD_CARRIERS: Readonly<Record<string, PodCarrier>> = Object.fromEntries(
    Object.entries(CARRIERS).flatMap(([type, row]) => {
        const kind = type.slice(type.lastIndexOf(":") + 1);
        return [
            [type, { ...row, kind, patch: false }],
            [`${type}Patch`, { ...row, kind, patch: true }],
        ];
    }),
);

const typesWhere = (keep: (carrier: PodCarrier) => boolean): readonly string[] =>
    Object.entries(POD_CARRIERS)
        .filter(([, carrier]) => keep(carrier))
        .map(([type]) => type);

/** Every type that carries a pod template. */
export const POD_TEMPLATE_TYPES: readonly string[] = typesWhere(() => true);

/** Workloads that keep pods running (probes make sense; Jobs, bare Pods and PodTemplates are excluded). */
export const LONG_RUNNING_TYPES: readonly string[] = typesWhere((c) => c.longRunning);

/** Workloads whose replica count a PodDisruptionBudget and an autoscaler reason about. */
export const REPLICATED_TYPES: readonly string[] = typesWhere((c) => c.replicated);

/** A pod template: its metadata and spec, each possibly unknown during preview. */
export interface PodTemplate {
    metadata: Record<string, unknown> | typeof UNKNOWN | undefined;
    spec: Record<string, unknown> | typeof UNKNOWN | undefined;
    /** It comes from a `*Patch`, so unset fields are not its to judge. */
    partial: boolean;
}

/** The pod template of a workload's inputs, or `undefined` when `type` carries none. */
export function podTemplateOf(type: string, props: Record<string, unknown>): PodTemplate | undefined {
    const carrier = POD_CARRIERS[type];
    if (carrier === undefined) {
        return undefined;
    }
    const template = at(props, ...carrier.template);
    if (isUnknown(template)) {
        return { metadata: UNKNOWN, spec: UNKNOWN, partial: carrier.patch };
    }
    return {
        metadata: recordOrUnknown(at(template, "metadata")),
        spec: recordOrUnknown(at(template, "spec")),
        partial: carrier.patch,
    };
}

/**
 * True when `value` is a field a Patch leaves alone (unset), so the live object decides it. A Patch
 * is applied on top of an existing object, so only what it sets can make things worse; an explicit
 * `null` is still judged, as it clears the live value.
 */
export function untouched(value: unknown, template: PodTemplate): boolean {
    return template.partial && value === undefined;
}

function recordOrUnknown(value: unknown): Record<string, unknown> | typeof UNKNOWN | undefined {
    return isUnknown(value) ? UNKNOWN : asRecord(value);
}

/** The three container lists of a pod spec. */
export type ContainerList = "containers" | "initContainers" | "ephemeralContainers";

const LIST_LABEL: Record<ContainerList, string> = {
    containers: "container",
    initContainers: "init container",
    ephemeralContainers: "ephemeral container",
};

/** One container of a pod spec, labelled for messages (`container "app"`). */
export interface ContainerRef {
    label: string;
    list: ContainerList;
    value: Record<string, unknown>;
}

/** The containers of `spec` in the given lists; unknown lists and entries are skipped. */
export function containersOf(
    spec: Record<string, unknown>,
    lists: readonly ContainerList[] = ["containers", "initContainers", "ephemeralContainers"],
): ContainerRef[] {
    const refs: ContainerRef[] = [];
    for (const list of lists) {
        asArray(spec[list]).forEach((entry, index) => {
            const value = asRecord(entry);
            if (value === undefined) {
                return;
            }
            const name = typeof value.name === "string" ? `"${value.name}"` : `#${index}`;
            refs.push({ label: `${LIST_LABEL[list]} ${name}`, list, value });
        });
    }
    return refs;
}

/**
 * Runs `check` on the pod spec of a workload. A spec that is unknown during preview is skipped:
 * the engine validates the resource again with real values before `pulumi up` creates it.
 */
export function withPodSpec<T>(type: string, props: Record<string, unknown>, check: (spec: Record<string, unknown>, template: PodTemplate) => T[]): T[] {
    const template = podTemplateOf(type, props);
    if (template === undefined || template.spec === undefined || isUnknown(template.spec)) {
        return [];
    }
    return check(template.spec, template);
}

/** The namespace a namespaced object lives in: its own, `default` when unset, or unknown. */
export function namespaceOf(props: Record<string, unknown>): string | typeof UNKNOWN {
    const namespace = at(props, "metadata", "namespace");
    if (isUnknown(namespace)) {
        return UNKNOWN;
    }
    return typeof namespace === "string" && namespace !== "" ? namespace : "default";
}

/** True when two namespaces may be the same (an unknown namespace may be either). */
export function sameNamespace(a: string | typeof UNKNOWN, b: string | typeof UNKNOWN): boolean {
    return isUnknown(a) || isUnknown(b) || a === b;
}

/** The object's `metadata.name`, if known. */
export function objectName(props: Record<string, unknown>): string | undefined {
    const name = at(props, "metadata", "name");
    return typeof name === "string" ? name : undefined;
}

/** String-valued labels of a label map; unknown values are dropped. */
export function stringMap(value: unknown): Record<string, string> {
    const record = asRecord(value) ?? {};
    const out: Record<string, string> = {};
    for (const [key, entry] of Object.entries(record)) {
        if (typeof entry === "string") {
            out[key] = entry;
        }
    }
    return out;
}
