import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The metadata every namespaced child shares; `name` stays unset so Kubernetes objects are auto-named. */
export interface ChildMetadata {
    /** The namespace the workload runs in. */
    namespace: pulumi.Input<string>;
    /** Labels of every object. */
    labels: Record<string, string>;
}

/** Labels that make a namespace enforce, audit and warn on the restricted Pod Security Standard. */
const RESTRICTED_NAMESPACE_LABELS: Readonly<Record<string, string>> = Object.freeze({
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
});

/** The Namespace (named, unlike the other children), labelled for the restricted Pod Security Standard. */
export function namespaceArgs(name: string, labels: Record<string, string>): k8s.core.v1.NamespaceArgs {
    return { metadata: { name, labels: { ...labels, ...RESTRICTED_NAMESPACE_LABELS } } };
}

/** The ServiceAccount the pods run as; it mounts no API token. */
export function serviceAccountArgs(metadata: ChildMetadata): k8s.core.v1.ServiceAccountArgs {
    return { metadata, automountServiceAccountToken: false };
}

/**
 * The ConfigMap of the plain env. Immutable and auto-named: a change replaces the object under a new
 * name, which changes the pod template and rolls the pods (kubelet never hot-swaps env).
 */
export function envConfigMapArgs(metadata: ChildMetadata, env: Record<string, string>): k8s.core.v1.ConfigMapArgs {
    // The data goes in as an Output: the SDK stringifies a plain top-level input for its debug labels,
    // which throws for a map with an entry named `toString` or `valueOf`.
    return { metadata, immutable: true, data: pulumi.output(env) };
}

/** The names of the secret env, sorted: the Secret's keys and the order of the pod's `secretKeyRef` entries. */
export function secretEnvNames(secretEnv: Record<string, pulumi.Input<string>>): string[] {
    return Object.keys(secretEnv).sort();
}

/** The Secret of the secret env: immutable and auto-named like the ConfigMap, every value a Pulumi secret. */
export function envSecretArgs(metadata: ChildMetadata, secretEnv: Record<string, pulumi.Input<string>>): k8s.core.v1.SecretArgs {
    return {
        metadata,
        immutable: true,
        type: "Opaque",
        stringData: pulumi.output(Object.fromEntries(secretEnvNames(secretEnv).map((key) => [key, pulumi.secret(secretEnv[key])]))),
    };
}

/** What the Deployment is built from. */
export interface DeploymentInput {
    /** Namespace and labels; the pod template gets the same labels. */
    metadata: ChildMetadata;
    /** The selector labels (pods of this instance). */
    selector: Record<string, string>;
    /** Seconds a rollout may go without progress, for the cluster and for Pulumi. */
    rolloutTimeoutSeconds: number;
    /** Replica count, unless `autoscaled`. */
    replicas: number;
    /** Whether a HorizontalPodAutoscaler owns the replica count. */
    autoscaled: boolean;
    /** The pod spec (see `podSpec`). */
    podSpec: k8s.types.input.core.v1.PodSpec;
}

/** The Deployment: rolling updates that never lower availability, and a rollout deadline shared with Pulumi. */
export function deploymentArgs(input: DeploymentInput): k8s.apps.v1.DeploymentArgs {
    return {
        // One timeout for both sides: the cluster marks the rollout failed when Pulumi stops waiting.
        metadata: { ...input.metadata, annotations: { "pulumi.com/timeoutSeconds": String(input.rolloutTimeoutSeconds) } },
        spec: {
            progressDeadlineSeconds: input.rolloutTimeoutSeconds,
            // With an autoscaler the HPA owns the count; setting it here would fight it on every update.
            replicas: input.autoscaled ? undefined : input.replicas,
            revisionHistoryLimit: 5,
            selector: { matchLabels: input.selector },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
                metadata: { labels: input.metadata.labels },
                spec: input.podSpec,
            },
        },
    };
}

/** The ClusterIP Service: `port` to the container port named `http`. */
export function serviceArgs(metadata: ChildMetadata, selector: Record<string, string>, port: number): k8s.core.v1.ServiceArgs {
    return {
        metadata,
        spec: {
            type: "ClusterIP",
            selector,
            ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }],
        },
    };
}

/** The PodDisruptionBudget of the instance's pods. */
export function podDisruptionBudgetArgs(metadata: ChildMetadata, selector: Record<string, string>): k8s.policy.v1.PodDisruptionBudgetArgs {
    // maxUnavailable 1 always leaves room for one voluntary eviction, so node drains never deadlock.
    return { metadata, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } };
}

/** What the HorizontalPodAutoscaler is built from. */
export interface AutoscalerInput {
    /** Namespace and labels. */
    metadata: ChildMetadata;
    /** The (auto-generated) name of the Deployment it scales. */
    deploymentName: pulumi.Input<string>;
    /** Lowest replica count. */
    minReplicas: number;
    /** Highest replica count. */
    maxReplicas: number;
    /** Target average CPU utilisation, in percent of requests. */
    targetCpuUtilizationPercent: number;
}

/** The HorizontalPodAutoscaler (autoscaling/v2) of the Deployment, on CPU utilisation. */
export function horizontalPodAutoscalerArgs(input: AutoscalerInput): k8s.autoscaling.v2.HorizontalPodAutoscalerArgs {
    return {
        metadata: input.metadata,
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: input.deploymentName },
            minReplicas: input.minReplicas,
            maxReplicas: input.maxReplicas,
            metrics: [
                {
                    type: "Resource",
                    resource: {
                        name: "cpu",
                        target: { type: "Utilization", averageUtilization: input.targetCpuUtilizationPercent },
                    },
                },
            ],
        },
    };
}
