/**
 * A Service must route to pods this stack runs: its selector must match a pod template in the same
 * namespace, and every port's targetPort must be a port those pods declare (by number or by name).
 * Kubernetes would accept a numeric targetPort the container does not declare, but then nothing
 * records that the process listens there, so the rule asks for the declaration.
 */
import { mapSelectorMatches } from "./selectors";
import { asArray, asRecord, at, isUnknown, StackResource, StackRule, UNKNOWN, Violation } from "./types";
import { containersOf, namespaceOf, POD_CARRIERS, podTemplateOf, sameNamespace, stringMap } from "./workloads";

/** Pulumi type token of a core/v1 Service. */
export const SERVICE_TYPE = "kubernetes:core/v1:Service";

interface DeclaredPort {
    number?: number;
    name?: string;
    protocol: string;
}

function declaredPorts(spec: Record<string, unknown>): DeclaredPort[] {
    return containersOf(spec, ["containers"]).flatMap((c) =>
        asArray(c.value.ports).flatMap((entry) => {
            const port = asRecord(entry);
            if (port === undefined) {
                return [];
            }
            return [
                {
                    number: typeof port.containerPort === "number" ? port.containerPort : undefined,
                    name: typeof port.name === "string" ? port.name : undefined,
                    protocol: typeof port.protocol === "string" ? port.protocol : "TCP",
                },
            ];
        }),
    );
}

interface TemplateView {
    labels: unknown;
    spec: Record<string, unknown>;
    namespace: string | typeof UNKNOWN;
}

// kube-score `service-targets-pod`; kube-linter `dangling-service`, `invalid-target-ports`.
/** Every selector-based Service selects pods of this stack, on ports those pods declare. */
export function checkServiceTargets(resources: readonly StackResource[]): Violation[] {
    // A PodTemplate runs nothing, and a Patch may carry only part of the labels and ports of pods
    // declared elsewhere: a Service selecting those is treated like one selecting another stack's pods.
    const runners = resources.filter((r) => POD_CARRIERS[r.type]?.runsPods && !POD_CARRIERS[r.type].patch);
    const templates = runners.flatMap((r): TemplateView[] => {
        const template = podTemplateOf(r.type, r.props);
        if (template === undefined || isUnknown(template.spec) || template.spec === undefined) {
            return [];
        }
        const labels = at(template.metadata, "labels");
        return [{ labels, spec: template.spec, namespace: namespaceOf(r.props) }];
    });
    const violations: Violation[] = [];
    for (const service of resources.filter((r) => r.type === SERVICE_TYPE)) {
        const spec = asRecord(service.props.spec);
        const selector = spec?.selector;
        if (spec === undefined || spec.type === "ExternalName" || isUnknown(selector)) {
            continue;
        }
        const selectorMap = asRecord(selector);
        if (selectorMap === undefined || Object.keys(selectorMap).length === 0) {
            continue; // No selector: endpoints are managed by hand.
        }
        const namespace = namespaceOf(service.props);
        const candidates = templates.filter((t) => sameNamespace(t.namespace, namespace));
        if (candidates.some((t) => isUnknown(t.labels))) {
            continue;
        }
        const results = candidates.map((t) => ({ t, match: mapSelectorMatches(selectorMap, stringMap(t.labels)) }));
        if (results.some((r) => isUnknown(r.match))) {
            continue;
        }
        const selected = results.filter((r) => r.match === true).map((r) => r.t);
        const where = `Service "${service.name}"`;
        if (selected.length === 0) {
            violations.push({
                message: `${where} selects ${JSON.stringify(selectorMap)} but no pod template in this stack and namespace carries those labels; fix the selector or the pod labels.`,
                urn: service.urn,
            });
            continue;
        }
        const ports = selected.flatMap((t) => declaredPorts(t.spec));
        for (const entry of asArray(spec.ports)) {
            const port = asRecord(entry);
            if (port === undefined) {
                continue;
            }
            const target = port.targetPort !== undefined ? port.targetPort : port.port;
            const protocol = typeof port.protocol === "string" ? port.protocol : "TCP";
            if (isUnknown(target) || (typeof target !== "number" && typeof target !== "string")) {
                continue;
            }
            const found = ports.some((p) => p.protocol === protocol && (typeof target === "number" ? p.number === target : p.name === target));
            if (!found) {
                const declared = ports.map((p) => (p.name ? `${p.name}/${p.number}` : String(p.number))).join(", ") || "none";
                violations.push({
                    message: `${where} port ${show(port.name ?? port.port)} targets ${JSON.stringify(target)}/${protocol}, which no selected container declares (declared: ${declared}); make targetPort name or match a containerPort.`,
                    urn: service.urn,
                });
            }
        }
    }
    return violations;
}

function show(value: unknown): string {
    return typeof value === "string" ? `"${value}"` : String(value);
}

/** The Service rule (stack-level). */
export const serviceRules: StackRule[] = [
    {
        kind: "stack",
        name: "service-targets-pods",
        description: "Every Service with a selector must select pods of this stack and target ports they declare (by name or number).",
        enforcementLevel: "mandatory",
        sources: ["kube-score service-targets-pod", "kube-linter dangling-service, invalid-target-ports"],
        check: checkServiceTargets,
    },
];
