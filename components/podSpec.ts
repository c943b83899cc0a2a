import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ServiceSettings, settingsEnv } from "./settings";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;

/** Name of the application container in the pod. */
export const CONTAINER_NAME = "app";

/** UID/GID the image runs as (`USER 65532:65532` in the Dockerfile). */
export const RUN_AS_ID = 65532;

/** The pod-level security context of the restricted Pod Security Standard. */
export function podSecurityContext(): k8s.types.input.core.v1.PodSecurityContext {
    return { runAsNonRoot: true, runAsUser: RUN_AS_ID, runAsGroup: RUN_AS_ID, fsGroup: RUN_AS_ID, seccompProfile: { type: "RuntimeDefault" } };
}

/** The container's security context: no privileges, no capabilities, a read-only root filesystem. */
export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: RUN_AS_ID,
        runAsGroup: RUN_AS_ID,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Startup, liveness and readiness probes against the service's `/healthz` and `/readyz` on `port`. */
export function httpProbes(port: number): { startupProbe: Probe; livenessProbe: Probe; readinessProbe: Probe } {
    const httpGet = (probePath: string) => ({ path: probePath, port, scheme: "HTTP" });
    return {
        // Startup gives a cold start up to 60 s before liveness applies. Checked every second: the
        // period is what a rollout waits, on average half of it, for each new pod to be seen started.
        startupProbe: { httpGet: httpGet("/healthz"), periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 60 },
        livenessProbe: { httpGet: httpGet("/healthz"), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
        readinessProbe: { httpGet: httpGet("/readyz"), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    };
}

/** What the pod spec is built from. */
export interface PodSpecInput {
    /** The image, pinned by digest. */
    image: pulumi.Input<string>;
    /** The service's settings (env, container port, probe port). */
    settings: ServiceSettings;
    /** Secret env: variable name -> the Secret holding it under that key. */
    secretEnvFrom?: { secretName: pulumi.Input<string>; keys: string[] };
    /** The ConfigMap holding the plain env, if any. */
    configMapName?: pulumi.Input<string>;
    /** The ServiceAccount the pods run as. */
    serviceAccountName: pulumi.Input<string>;
    /** Requests and limits. */
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    /** Termination grace period in seconds. */
    terminationGracePeriodSeconds: number;
    /** Topology spread when it cannot be satisfied. */
    spreadWhenUnsatisfiable: "ScheduleAnyway" | "DoNotSchedule";
    /** The selector labels (pods of this instance). */
    selector: Record<string, string>;
}

/** The Deployment's pod spec: one restricted container with probes, env from settings, a ConfigMap and a Secret. */
export function podSpec(input: PodSpecInput): PodSpec {
    const secretEnv = input.secretEnvFrom;
    return {
        serviceAccountName: input.serviceAccountName,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: input.terminationGracePeriodSeconds,
        securityContext: podSecurityContext(),
        topologySpreadConstraints: [
            {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: input.spreadWhenUnsatisfiable,
                labelSelector: { matchLabels: input.selector },
            },
        ],
        containers: [
            {
                name: CONTAINER_NAME,
                image: input.image,
                imagePullPolicy: "IfNotPresent",
                // A crash's last log lines (the service's own error) land in the pod status.
                terminationMessagePolicy: "FallbackToLogsOnError",
                ports: [{ name: "http", containerPort: input.settings.port, protocol: "TCP" }],
                env: [
                    ...settingsEnv(input.settings),
                    ...(secretEnv?.keys ?? []).map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: secretEnv!.secretName, key } } })),
                ],
                envFrom: input.configMapName !== undefined ? [{ configMapRef: { name: input.configMapName } }] : undefined,
                resources: input.resources,
                securityContext: containerSecurityContext(),
                ...httpProbes(input.settings.port),
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
        ],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    };
}
