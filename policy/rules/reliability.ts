/**
 * Workload reliability and hardening beyond the Pod Security Standards: resources, probes, image
 * pinning, read-only root filesystem and service account token automount. Each rule names the
 * kube-score / kube-linter / Polaris checks it mirrors.
 */
import { asRecord, isUnknown, ResourceInput, ResourceRule, show, Violation } from "./types";
import { containersOf, LONG_RUNNING_TYPES, POD_TEMPLATE_TYPES, untouched, withPodSpec } from "./workloads";

const RESOURCE_FIELDS = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const;

// kube-score `container-resources`; kube-linter `unset-cpu-requirements`, `unset-memory-requirements`;
// Polaris `cpuRequestsMissing`, `cpuLimitsMissing`, `memoryRequestsMissing`, `memoryLimitsMissing`.
/** Every container and init container sets cpu and memory requests and limits. */
export function checkResources({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) =>
        containersOf(spec, ["containers", "initContainers"]).flatMap((c) => {
            const resources = c.value.resources;
            if (isUnknown(resources)) {
                return [];
            }
            const missing = RESOURCE_FIELDS.filter((field) => {
                const [group, name] = field.split(".");
                const value = asRecord(asRecord(resources)?.[group])?.[name];
                return !untouched(value, template) && (value === undefined || value === null || value === "");
            });
            return missing.length === 0
                ? []
                : [{ message: `${c.label}: resources ${missing.join(", ")} must be set; the scheduler and the OOM killer need them.` }];
        }),
    );
}

const PROBE_HANDLERS = ["httpGet", "tcpSocket", "exec", "grpc"] as const;

/** The handler part of a probe (what it calls), or `undefined` when it has none. */
function probeHandler(probe: Record<string, unknown>): string | undefined {
    const handler = PROBE_HANDLERS.find((key) => probe[key] !== undefined && probe[key] !== null);
    return handler === undefined ? undefined : JSON.stringify({ [handler]: probe[handler] });
}

// kube-score `pod-probes` (readiness present, not identical to liveness); kube-linter
// `no-liveness-probe`, `no-readiness-probe`; Polaris `readinessProbeMissing`, `livenessProbeMissing`.
// Identical probes restart pods exactly when they should only be taken out of rotation.
/** Every long-running container has a readiness and a liveness probe that call different things. */
export function checkProbes({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) =>
        containersOf(spec, ["containers"]).flatMap((c) => {
            const violations: Violation[] = [];
            const handlers: Record<string, string | undefined> = {};
            for (const probe of ["readinessProbe", "livenessProbe"] as const) {
                const value = c.value[probe];
                if (isUnknown(value)) {
                    return [];
                }
                const record = asRecord(value);
                handlers[probe] = record === undefined ? undefined : probeHandler(record);
                // A Patch merges its probe into the live one, which keeps its handler unless the Patch clears the probe.
                const liveDecides = template.partial && value !== null;
                if (handlers[probe] === undefined && !liveDecides) {
                    violations.push({ message: `${c.label}: ${probe} with an httpGet, tcpSocket, exec or grpc handler must be set.` });
                }
            }
            if (handlers.readinessProbe !== undefined && handlers.readinessProbe === handlers.livenessProbe) {
                violations.push({
                    message: `${c.label}: readinessProbe and livenessProbe call the same ${handlers.readinessProbe}; point liveness at a cheap health endpoint (/healthz) and readiness at the ready endpoint (/readyz).`,
                });
            }
            return violations;
        }),
    );
}

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/** Why an image reference is not pinned by digest, or `undefined` when it is. */
export function imagePinProblem(image: string): string | undefined {
    if (DIGEST.test(image)) {
        return undefined;
    }
    if (image.includes("@")) {
        return "has a malformed digest (expected @sha256: and 64 hex digits)";
    }
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    if (!lastSegment.includes(":")) {
        return "has no tag or digest, so it means :latest";
    }
    if (lastSegment.endsWith(":latest")) {
        return "uses the :latest tag";
    }
    return "is pinned by a tag only, which can be moved";
}

// kube-score `container-image-tag`; kube-linter `latest-tag`; Polaris `tagNotSpecified`. Stricter:
// a digest is required, because a tag can be re-pushed and does not roll pods when it moves.
/** Every container image is pinned by digest (`repo@sha256:...`). */
export function checkImageDigest({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) =>
        containersOf(spec).flatMap((c) => {
            const image = c.value.image;
            if (isUnknown(image) || untouched(image, template)) {
                return [];
            }
            if (typeof image !== "string" || image === "") {
                return [{ message: `${c.label}: image must be set and pinned by digest (repo@sha256:...).` }];
            }
            const problem = imagePinProblem(image);
            return problem === undefined ? [] : [{ message: `${c.label}: image "${image}" ${problem}; pin it by digest (repo@sha256:...).` }];
        }),
    );
}

// kube-score `container-security-context-readonlyrootfilesystem`; kube-linter `no-read-only-root-fs`;
// Polaris `notReadOnlyRootFilesystem`.
/** Every container and init container mounts its root filesystem read-only. */
export function checkReadOnlyRootFilesystem({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) =>
        containersOf(spec, ["containers", "initContainers"]).flatMap((c) => {
            const value = asRecord(c.value.securityContext)?.readOnlyRootFilesystem;
            return value === true || isUnknown(value) || untouched(value, template)
                ? []
                : [
                      {
                          message: `${c.label}: securityContext.readOnlyRootFilesystem must be true (got ${show(value)}); mount an emptyDir where the process writes.`,
                      },
                  ];
        }),
    );
}

// Polaris `automountServiceAccountToken`; CIS Kubernetes Benchmark 5.1.6. Set on the pod so it holds
// whichever ServiceAccount the pod ends up using.
/** The pod does not mount a service account token. */
export function checkServiceAccountToken({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) => {
        const value = spec.automountServiceAccountToken;
        return value === false || isUnknown(value) || untouched(value, template)
            ? []
            : [{ message: `pod: spec.automountServiceAccountToken must be false (got ${show(value)}); the service does not call the Kubernetes API.` }];
    });
}

/** The workload reliability rules that look at one resource at a time. */
export const reliabilityRules: ResourceRule[] = [
    {
        kind: "resource",
        name: "workload-resources",
        description: "Every container must set cpu and memory requests and limits.",
        enforcementLevel: "mandatory",
        sources: [
            "kube-score container-resources",
            "kube-linter unset-cpu-requirements, unset-memory-requirements",
            "Polaris cpuRequestsMissing, cpuLimitsMissing, memoryRequestsMissing, memoryLimitsMissing",
        ],
        types: POD_TEMPLATE_TYPES,
        check: checkResources,
    },
    {
        kind: "resource",
        name: "workload-probes",
        description: "Every long-running container must have readiness and liveness probes that are not identical.",
        enforcementLevel: "mandatory",
        sources: ["kube-score pod-probes", "kube-linter no-liveness-probe, no-readiness-probe", "Polaris readinessProbeMissing, livenessProbeMissing"],
        types: LONG_RUNNING_TYPES,
        check: checkProbes,
    },
    {
        kind: "resource",
        name: "workload-image-digest",
        description: "Every container image must be pinned by digest (no latest, no bare or tag-only reference).",
        enforcementLevel: "mandatory",
        sources: ["kube-score container-image-tag", "kube-linter latest-tag", "Polaris tagNotSpecified"],
        types: POD_TEMPLATE_TYPES,
        check: checkImageDigest,
    },
    {
        kind: "resource",
        name: "workload-read-only-root-filesystem",
        description: "Every container must mount its root filesystem read-only.",
        enforcementLevel: "mandatory",
        sources: ["kube-score container-security-context-readonlyrootfilesystem", "kube-linter no-read-only-root-fs", "Polaris notReadOnlyRootFilesystem"],
        types: POD_TEMPLATE_TYPES,
        check: checkReadOnlyRootFilesystem,
    },
    {
        kind: "resource",
        name: "workload-service-account-token",
        description: "Pods must set automountServiceAccountToken: false.",
        enforcementLevel: "mandatory",
        sources: ["Polaris automountServiceAccountToken", "CIS Kubernetes Benchmark 5.1.6"],
        types: POD_TEMPLATE_TYPES,
        check: checkServiceAccountToken,
    },
];
