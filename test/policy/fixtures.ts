/**
 * Plain Kubernetes and ECR objects, shaped like the resolved inputs Pulumi hands a policy, for the
 * rule tests. Every builder returns a fresh, fully compliant object; tests break one thing at a time.
 */
import { StackResource } from "../../policy/rules";

/** A digest-pinned image reference. */
export const PINNED_IMAGE = `123456789012.dkr.ecr.us-west-2.amazonaws.com/web@sha256:${"ab".repeat(32)}`;

/** Labels on the compliant pod template (and the selector of the Service and PDB). */
export const POD_LABELS = { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "web" };

/** A container that satisfies every rule. */
export function compliantContainer(name = "app"): Record<string, unknown> {
    return {
        name,
        image: PINNED_IMAGE,
        ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        env: [
            { name: "PORT", value: "8080" },
            { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "web-secret", key: "API_TOKEN" } } },
        ],
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
        securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            runAsUser: 65532,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10 },
        readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5 },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
}

/** A pod spec that satisfies every rule. */
export function compliantPodSpec(): Record<string, unknown> {
    return {
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
        containers: [compliantContainer()],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    };
}

/** A compliant apps/v1 Deployment's props. */
export function deploymentProps(replicas = 2): Record<string, unknown> {
    return {
        metadata: { name: "web-abc123", namespace: "apps", labels: POD_LABELS },
        spec: {
            replicas,
            selector: { matchLabels: POD_LABELS },
            template: { metadata: { labels: POD_LABELS }, spec: compliantPodSpec() },
        },
    };
}

/**
 * Every type the pack reads a pod template from, spelled out here rather than taken from the pack,
 * so that a type dropped from the pack's table fails a test.
 */
export const POD_TYPES = [
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:core/v1:ReplicationController",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
    "kubernetes:core/v1:PodTemplate",
].flatMap((type) => [type, `${type}Patch`]);

/** The types of `POD_TYPES` whose pods serve until replaced (the ones `workload-probes` applies to). */
export const LONG_RUNNING_POD_TYPES = POD_TYPES.filter((t) => /:(Deployment|StatefulSet|DaemonSet|ReplicaSet|ReplicationController)(Patch)?$/.test(t));

/** Where the pod spec sits in the Kubernetes shape of `type` (a Patch has the shape of the object it patches). */
function podSpecPath(type: string): string[] {
    switch (type.replace(/Patch$/, "")) {
        case "kubernetes:core/v1:Pod":
            return ["spec"];
        case "kubernetes:core/v1:PodTemplate":
            return ["template", "spec"];
        case "kubernetes:batch/v1:CronJob":
            return ["spec", "jobTemplate", "spec", "template", "spec"];
        default:
            return ["spec", "template", "spec"];
    }
}

/** The pod spec inside workload props of any supported kind. */
export function podSpec(props: Record<string, unknown>, type = "kubernetes:apps/v1:Deployment"): Record<string, unknown> {
    return podSpecPath(type).reduce((node, key) => node[key] as Record<string, unknown>, props);
}

/** Props of `type` with `spec` as the pod spec and `labels` on the pod template (or Pod). */
export function workloadProps(type: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const metadata = { name: "w", namespace: "apps", labels: POD_LABELS };
    const path = podSpecPath(type);
    const props: Record<string, unknown> = { metadata };
    let node = props;
    path.slice(0, -1).forEach((key, index) => {
        // The object's own spec keeps `extra` (replicas, selector, schedule); the template gets the labels.
        const child: Record<string, unknown> = index === 0 && key === "spec" ? { ...extra } : {};
        node[key] = child;
        node = child;
    });
    if (path.length > 1) {
        node.metadata = { labels: POD_LABELS };
    }
    node[path[path.length - 1]] = spec;
    return props;
}

/** The first container of a Deployment's props. */
export function container(props: Record<string, unknown>): Record<string, unknown> {
    return (podSpec(props).containers as Record<string, unknown>[])[0];
}

/** The first container's securityContext. */
export function containerSecurity(props: Record<string, unknown>): Record<string, unknown> {
    return container(props).securityContext as Record<string, unknown>;
}

/** Applies `change` to fresh compliant Deployment props and returns them. */
export function deploymentWith(change: (props: Record<string, unknown>) => void): Record<string, unknown> {
    const props = deploymentProps();
    change(props);
    return props;
}

/** A compliant workload of each supported kind, keyed by type token. */
export function workloadOfType(type: string): Record<string, unknown> {
    const base = type.replace(/Patch$/, "");
    const extra =
        base === "kubernetes:batch/v1:CronJob"
            ? { schedule: "0 * * * *" }
            : base.endsWith(":Job") || base.endsWith(":Pod") || base.endsWith(":PodTemplate")
              ? {}
              : { replicas: 2, selector: { matchLabels: POD_LABELS } };
    return workloadProps(type, compliantPodSpec(), extra);
}

/** A compliant ClusterIP Service's props, selecting the compliant pods on the named port. */
export function serviceProps(): Record<string, unknown> {
    return {
        metadata: { name: "web-svc", namespace: "apps" },
        spec: { type: "ClusterIP", selector: { ...POD_LABELS }, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    };
}

/** A compliant policy/v1 PodDisruptionBudget's props. */
export function pdbProps(spec: Record<string, unknown> = { maxUnavailable: 1 }): Record<string, unknown> {
    return { metadata: { name: "web-pdb", namespace: "apps" }, spec: { selector: { matchLabels: { ...POD_LABELS } }, ...spec } };
}

/** A compliant ECR repository's props. */
export function repositoryProps(): Record<string, unknown> {
    return {
        name: "web-1a2b3c",
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: false,
    };
}

/** A lifecycle policy document with one rule. */
export const LIFECYCLE_DOCUMENT = JSON.stringify({
    rules: [
        {
            rulePriority: 1,
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
            action: { type: "expire" },
        },
    ],
});

/** A stack resource with a URN derived from type and name. */
export function stackResource(type: string, name: string, props: Record<string, unknown>): StackResource {
    return { type, name, urn: `urn:pulumi:dev::rust-service::${type}::${name}`, props };
}

/** A compliant stack: Deployment, Service, PDB, ECR repository and its lifecycle policy. */
export function compliantStack(): StackResource[] {
    return [
        stackResource("kubernetes:apps/v1:Deployment", "web", deploymentProps()),
        stackResource("kubernetes:core/v1:Service", "web", serviceProps()),
        stackResource("kubernetes:policy/v1:PodDisruptionBudget", "web", pdbProps()),
        stackResource("aws:ecr/repository:Repository", "web", repositoryProps()),
        stackResource("aws:ecr/lifecyclePolicy:LifecyclePolicy", "web", { repository: "web-1a2b3c", policy: LIFECYCLE_DOCUMENT }),
    ];
}
