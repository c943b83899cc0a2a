/**
 * Availability rules that need the whole stack: a replicated workload needs enough replicas
 * (taking a HorizontalPodAutoscaler into account) and exactly one PodDisruptionBudget that still
 * lets a node drain evict a pod.
 */
import { labelSelectorMatches } from "./selectors";
import { at, configNumber, isUnknown, StackResource, StackRule, UNKNOWN, Violation } from "./types";
import { namespaceOf, objectName, POD_CARRIERS, podTemplateOf, REPLICATED_TYPES, sameNamespace, stringMap } from "./workloads";

/** Pulumi type tokens of HorizontalPodAutoscalers. */
export const HPA_TYPES: readonly string[] = [
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
];

/** Pulumi type tokens of PodDisruptionBudgets. */
export const PDB_TYPES: readonly string[] = ["kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:policy/v1beta1:PodDisruptionBudget"];

/** `Deployment` from `kubernetes:apps/v1:Deployment`. */
export function kindOf(type: string): string {
    return type.slice(type.lastIndexOf(":") + 1);
}

function describe(resource: StackResource): string {
    return `${kindOf(resource.type)} "${resource.name}"`;
}

/** How many replicas a workload runs at least, and where that number comes from. */
export interface ReplicaCount {
    replicas: number | typeof UNKNOWN;
    from: string;
}

/**
 * The lowest replica count a workload can run at: an autoscaler's `minReplicas` (default 1) when
 * one targets it, otherwise `spec.replicas` (default 1; for a Patch that leaves it unset, the live
 * object's count, unknown here).
 */
export function minimumReplicas(workload: StackResource, resources: readonly StackResource[]): ReplicaCount {
    const name = objectName(workload.props);
    const kind = POD_CARRIERS[workload.type]?.kind ?? kindOf(workload.type);
    const namespace = namespaceOf(workload.props);
    const autoscalers = resources.filter(
        (r) => HPA_TYPES.includes(r.type) && sameNamespace(namespaceOf(r.props), namespace) && at(r.props, "spec", "scaleTargetRef", "kind") === kind,
    );
    const hpa = autoscalers.find((r) => name !== undefined && at(r.props, "spec", "scaleTargetRef", "name") === name);
    // During preview an autoscaler's target is often the workload's auto-generated name, not known
    // yet: it may own this workload's replica count, so the count cannot be decided.
    const pending = autoscalers.find((r) => isUnknown(at(r.props, "spec", "scaleTargetRef", "name")));
    if (hpa === undefined && pending !== undefined) {
        return { replicas: UNKNOWN, from: `HorizontalPodAutoscaler "${pending.name}", whose target is not known yet` };
    }
    if (hpa !== undefined) {
        const min = at(hpa.props, "spec", "minReplicas");
        return {
            replicas: isUnknown(min) ? UNKNOWN : typeof min === "number" ? min : 1,
            from: `minReplicas of HorizontalPodAutoscaler "${hpa.name}"`,
        };
    }
    const replicas = at(workload.props, "spec", "replicas");
    if (replicas === undefined && POD_CARRIERS[workload.type]?.patch) {
        return { replicas: UNKNOWN, from: "spec.replicas (left to the patched object)" };
    }
    return {
        replicas: isUnknown(replicas) ? UNKNOWN : typeof replicas === "number" ? replicas : 1,
        from: replicas === undefined ? "spec.replicas (unset, defaults to 1)" : "spec.replicas",
    };
}

// kube-score `deployment-replicas`; Polaris `deploymentMissingReplicas`; kube-linter
// `minimum-three-replicas` / `hpa-minimum-three-replicas` (with a configurable minimum here).
/** Every Deployment and StatefulSet runs at least `minReplicas` (default 2) replicas. */
export function checkReplicas(resources: readonly StackResource[], config: Record<string, unknown>): Violation[] {
    const minimum = configNumber(config, "minReplicas", 2);
    return resources
        .filter((r) => REPLICATED_TYPES.includes(r.type))
        .flatMap((workload) => {
            const { replicas, from } = minimumReplicas(workload, resources);
            if (isUnknown(replicas) || replicas >= minimum) {
                return [];
            }
            return [
                {
                    message: `${describe(workload)} runs ${replicas} replica(s) (${from}); at least ${minimum} are needed so one pod can be lost or evicted without downtime.`,
                    urn: workload.urn,
                },
            ];
        });
}

/** Why a PDB admits no eviction at `replicas`, or `undefined` when it admits one (or cannot tell yet). */
export function pdbBlocksEviction(spec: unknown, replicas: number | typeof UNKNOWN): string | undefined {
    const maxUnavailable = at(spec, "maxUnavailable");
    const minAvailable = at(spec, "minAvailable");
    if (isUnknown(maxUnavailable) || isUnknown(minAvailable)) {
        return undefined;
    }
    if (maxUnavailable !== undefined) {
        const allowed = typeof maxUnavailable === "number" ? maxUnavailable : percent(maxUnavailable);
        return allowed === undefined || allowed > 0 ? undefined : `maxUnavailable ${JSON.stringify(maxUnavailable)} allows no eviction`;
    }
    if (minAvailable === undefined) {
        return "sets neither minAvailable nor maxUnavailable";
    }
    if (isUnknown(replicas) || replicas <= 0) {
        return undefined;
    }
    const pct = percent(minAvailable);
    // The disruption controller rounds a percentage of minAvailable up.
    const required = typeof minAvailable === "number" ? minAvailable : pct === undefined ? undefined : Math.ceil((pct * replicas) / 100);
    return required === undefined || required < replicas
        ? undefined
        : `minAvailable ${JSON.stringify(minAvailable)} with ${replicas} replica(s) allows no eviction`;
}

function percent(value: unknown): number | undefined {
    const match = typeof value === "string" ? /^(\d+)%$/.exec(value) : null;
    return match ? Number(match[1]) : undefined;
}

// kube-score `deployment-has-poddisruptionbudget`, `statefulset-has-poddisruptionbudget`; kube-linter
// `pdb-min-available`, `pdb-max-unavailable`; Polaris `missingPodDisruptionBudget`,
// `pdbMinAvailableGreaterThanHPAMinReplicas`. The eviction API refuses pods matched by two PDBs.
/** Every Deployment and StatefulSet is covered by exactly one PDB that still allows an eviction. */
export function checkDisruptionBudget(resources: readonly StackResource[]): Violation[] {
    const pdbs = resources.filter((r) => PDB_TYPES.includes(r.type));
    const violations: Violation[] = [];
    // A Patch modifies an object declared elsewhere, whose PodDisruptionBudget belongs there too.
    for (const workload of resources.filter((r) => REPLICATED_TYPES.includes(r.type) && !POD_CARRIERS[r.type].patch)) {
        const template = podTemplateOf(workload.type, workload.props);
        const labels = at(template?.metadata, "labels");
        if (isUnknown(labels)) {
            continue;
        }
        const podLabels = stringMap(labels);
        const namespace = namespaceOf(workload.props);
        const candidates = pdbs.filter((pdb) => sameNamespace(namespaceOf(pdb.props), namespace));
        const matches = candidates.map((pdb) => ({ pdb, match: labelSelectorMatches(at(pdb.props, "spec", "selector"), podLabels) }));
        const definite = matches.filter((m) => m.match === true).map((m) => m.pdb);
        const maybe = matches.some((m) => isUnknown(m.match));
        if (definite.length === 0) {
            if (!maybe) {
                violations.push({
                    message: `${describe(workload)} has no PodDisruptionBudget selecting its pods in this stack; add one with maxUnavailable: 1.`,
                    urn: workload.urn,
                });
            }
            continue;
        }
        if (definite.length > 1) {
            violations.push({
                message: `${describe(workload)} is selected by ${definite.length} PodDisruptionBudgets (${definite.map((p) => `"${p.name}"`).join(", ")}); the eviction API refuses pods with more than one, so keep exactly one.`,
                urn: workload.urn,
            });
            continue;
        }
        const { replicas } = minimumReplicas(workload, resources);
        const problem = pdbBlocksEviction(at(definite[0].props, "spec"), replicas);
        if (problem !== undefined) {
            violations.push({
                message: `PodDisruptionBudget "${definite[0].name}" for ${describe(workload)}: ${problem}, so node drains block; use maxUnavailable: 1 (or minAvailable below the replica count).`,
                urn: definite[0].urn,
            });
        }
    }
    return violations;
}

/** The availability rules (stack-level). */
export const availabilityRules: StackRule[] = [
    {
        kind: "stack",
        name: "workload-replicas",
        description: "Deployments and StatefulSets must run at least minReplicas (default 2) replicas, counting an autoscaler's minReplicas.",
        enforcementLevel: "mandatory",
        sources: ["kube-score deployment-replicas", "Polaris deploymentMissingReplicas", "kube-linter minimum-three-replicas, hpa-minimum-three-replicas"],
        configSchema: {
            minReplicas: { type: "integer", minimum: 1, default: 2, description: "Lowest replica count a Deployment or StatefulSet may run." },
        },
        check: checkReplicas,
    },
    {
        kind: "stack",
        name: "workload-disruption-budget",
        description: "Deployments and StatefulSets must be selected by exactly one PodDisruptionBudget that still allows an eviction.",
        enforcementLevel: "mandatory",
        sources: [
            "kube-score deployment-has-poddisruptionbudget, statefulset-has-poddisruptionbudget",
            "kube-linter pdb-min-available, pdb-max-unavailable",
            "Polaris missingPodDisruptionBudget, pdbMinAvailableGreaterThanHPAMinReplicas",
        ],
        check: checkDisruptionBudget,
    },
];
