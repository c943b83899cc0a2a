/**
 * Where each Kubernetes workload keeps its pod template, and a uniform view of its containers, so
 * every pod-level rule covers Deployments, StatefulSets, DaemonSets, ReplicaSets,
 * ReplicationControllers, Jobs, CronJobs and bare Pods alike.
 */
import { asArray, asRecord, at, isUnknown, UNKNOWN } from "./types";

/** Pulumi type tokens of the resources that carry a pod template. */
export const WORKLOAD_TYPES = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    replicaSet: "kubernetes:apps/v1:ReplicaSet",
    replicationController: "kubernetes:core/v1:ReplicationController",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    pod: "kubernetes:core/v1:Pod",
} as const;

/** Every type that carries a pod template. */
export const POD_TEMPLATE_TYPES: readonly string[] = Object.values(WORKLOAD_TYPES);

/** Workloads that keep pods running (probes make sense; Jobs and bare Pods are excluded). */
export const LONG_RUNNING_TYPES: readonly string[] = [
    WORKLOAD_TYPES.deployment,
    WORKLOAD_TYPES.statefulSet,
    WORKLOAD_TYPES.daemonSet,
    WORKLOAD_TYPES.replicaSet,
    WORKLOAD_TYPES.replicationController,
];

/** Workloads whose replica count a PodDisruptionBudget and an autoscaler reason about. */
export const REPLICATED_TYPES: readonly string[] = [WORKLOAD_TYPES.deployment, WORKLOAD_TYPES.statefulSet];

/** A pod template: its metadata and spec, each possibly unknown during preview. */
export interface PodTemplate {
    metadata: Record<string, unknown> | typeof UNKNOWN | undefined;
    spec: Record<string, unknown> | typeof UNKNOWN | undefined;
}

/** The pod template of a workload's inputs, or `undefined` when `type` carries none. */
export function podTemplateOf(type: string, props: Record<string, unknown>): PodTemplate | undefined {
    let template: unknown;
    switch (type) {
        case WORKLOAD_TYPES.pod:
            return { metadata: recordOrUnknown(props.metadata), spec: recordOrUnknown(props.spec) };
        case WORKLOAD_TYPES.cronJob:
            template = at(props, "spec", "jobTemplate", "spec", "template");
            break;
        default:
            if (!POD_TEMPLATE_TYPES.includes(type)) {
                return undefined;
            }
            template = at(props, "spec", "template");
    }
    if (isUnknown(template)) {
        return { metadata: UNKNOWN, spec: UNKNOWN };
    }
    return { metadata: recordOrUnknown(at(template, "metadata")), spec: recordOrUnknown(at(template, "spec")) };
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
export function withPodSpec<T>(
    type: string,
    props: Record<string, unknown>,
    check: (spec: Record<string, unknown>, template: PodTemplate) => T[],
): T[] {
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
