import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ServiceSettings } from "./settings";

/** How the image is built (default: the bundled `service/`). Mutually exclusive with `image`. */
export interface RustServiceBuildArgs {
    /** Build context directory, relative to the program's working directory. Default: the bundled `service/`. */
    context?: string;
    /** Dockerfile path, relative to the program's working directory (not the context). Default: `<context>/Dockerfile`. */
    dockerfile?: string;
    /** Target platform. Default `linux/amd64`. */
    platform?: string;
    /** Build arguments; never secrets (they are stored in the image history). Default none. */
    args?: Record<string, string>;
    /** Dockerfile stage to build. Default: the last stage. */
    target?: string;
    /** Image references to use as build cache. Default none. */
    cacheFrom?: string[];
    /** Image tag to push. Default: a SHA-256 of the context, Dockerfile and build settings, so immutable tags never clash. */
    tag?: string;
    /** Build the image during `pulumi preview` too (built, not pushed), so a broken build fails the preview. Default: {@link defaultBuildOnPreview}. */
    buildOnPreview?: boolean;
}

/** Settings of the ECR repository the component creates (the default registry mode). */
export interface RustServiceRepositoryArgs {
    /** Repository name. Default: auto-named from the component name. */
    name?: string;
    /** `IMMUTABLE` or `MUTABLE`. Default `IMMUTABLE`. */
    imageTagMutability?: "IMMUTABLE" | "MUTABLE";
    /** Scan images for vulnerabilities on push. Default true. */
    scanOnPush?: boolean;
    /** KMS key ARN for encryption at rest. Default: AES256 with an AWS-owned key. */
    kmsKeyArn?: pulumi.Input<string>;
    /** Delete the repository even if it holds images (throwaway stacks). Default false. */
    forceDelete?: boolean;
    /** Days after which untagged images expire. Default 7. */
    untaggedImageExpiryDays?: number;
    /** Number of most recent images kept; older ones expire. Default 30. */
    keepLastImages?: number;
    /** AWS tags for the repository. Default none. */
    tags?: Record<string, string>;
}

/** Any OCI registry (for example a local `registry:2` on 127.0.0.1:5000). Mutually exclusive with `existingRepositoryUrl`. */
export interface RustServiceRegistryArgs {
    /** Registry host, with port if not 443, e.g. `127.0.0.1:5000`. */
    server: string;
    /** Repository path inside the registry, e.g. `team/rust-service`. */
    repository: string;
    /** User name; omit (with `password`) for a registry without authentication. */
    username?: pulumi.Input<string>;
    /** Password or token; kept a Pulumi secret. */
    password?: pulumi.Input<string>;
}

/** CPU/memory quantities for one of requests/limits. */
export interface RustServiceResourceQuantities {
    /** CPU, e.g. `100m` or `0.5`. */
    cpu?: string;
    /** Memory, e.g. `64Mi`. */
    memory?: string;
}

/** Container requests and limits. */
export interface RustServiceResources {
    /** Requests. Default cpu `100m`, memory `64Mi`. */
    requests?: RustServiceResourceQuantities;
    /** Limits. Default cpu `500m`, memory `128Mi`. */
    limits?: RustServiceResourceQuantities;
}

/** A HorizontalPodAutoscaler (autoscaling/v2) on CPU utilisation. */
export interface RustServiceAutoscaling {
    /** Lowest replica count. */
    minReplicas: number;
    /** Highest replica count (>= minReplicas). */
    maxReplicas: number;
    /** Target average CPU utilisation in percent of requests. Default 70. */
    targetCpuUtilizationPercent?: number;
}

/** Arguments of {@link RustService}. Exactly one image source (`build`, default, or `image`) and one registry mode. */
export interface RustServiceArgs {
    /** Value of the `app.kubernetes.io/name` label. Default `rust-service`. */
    appName?: string;
    /** Namespace to deploy into. Default `default`. */
    namespace?: string;
    /** Create the namespace (labelled for the restricted Pod Security Standard). Default false. */
    createNamespace?: boolean;

    /** Build settings. Default: build the bundled `service/` for linux/amd64. */
    build?: RustServiceBuildArgs;
    /** A prebuilt image pinned by digest (`repo@sha256:<64 hex>`); skips the build and the registry. Default none. */
    image?: string;

    /** Settings of the ECR repository created when neither `existingRepositoryUrl` nor `registry` is given. */
    repository?: RustServiceRepositoryArgs;
    /** Push to this existing ECR repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`) instead of creating one. */
    existingRepositoryUrl?: string;
    /** Push to this non-ECR registry instead of creating an ECR repository. */
    registry?: RustServiceRegistryArgs;

    /** The service's own settings (port, drain delay, ...), passed to env, ports and probes. Defaults: see {@link DEFAULT_SETTINGS}. */
    settings?: Partial<ServiceSettings>;
    /** Plain env values, delivered through a ConfigMap. Default none. */
    env?: Record<string, string>;
    /** Secret env values, delivered through a Secret and `secretKeyRef`. Default none. */
    secretEnv?: Record<string, pulumi.Input<string>>;

    /** Replica count (ignored when `autoscaling` is set). Default 2. */
    replicas?: number;
    /** Container requests and limits. Defaults: see {@link DEFAULT_RESOURCES}. */
    resources?: RustServiceResources;
    /** Create a HorizontalPodAutoscaler. Default none. */
    autoscaling?: RustServiceAutoscaling;
    /** Pod termination grace period in seconds; must exceed drain delay + shutdown deadline. Default: their sum + 5 rounded up. */
    terminationGracePeriodSeconds?: number;
    /** Seconds a rollout may go without progress: the Deployment's `progressDeadlineSeconds` and Pulumi's await timeout. Default 600. */
    rolloutTimeoutSeconds?: number;
    /** Port of the ClusterIP Service. Default 80. */
    servicePort?: number;
    /** Topology spread across nodes when it cannot be satisfied: `ScheduleAnyway` or `DoNotSchedule`. Default `ScheduleAnyway`. */
    spreadWhenUnsatisfiable?: "ScheduleAnyway" | "DoNotSchedule";
    /** Extra labels for every Kubernetes object (not the selector). Default none. */
    labels?: Record<string, string>;
}

/** Default requests and limits. */
export const DEFAULT_RESOURCES = Object.freeze({
    requests: Object.freeze({ cpu: "100m", memory: "64Mi" }),
    limits: Object.freeze({ cpu: "500m", memory: "128Mi" }),
});

/** Defaults for the top-level scalar args. */
export const DEFAULTS = Object.freeze({
    appName: "rust-service",
    namespace: "default",
    createNamespace: false,
    replicas: 2,
    servicePort: 80,
    rolloutTimeoutSeconds: 600,
    platform: "linux/amd64",
    spreadWhenUnsatisfiable: "ScheduleAnyway" as const,
    imageTagMutability: "IMMUTABLE" as const,
    scanOnPush: true,
    forceDelete: false,
    untaggedImageExpiryDays: 7,
    keepLastImages: 30,
    targetCpuUtilizationPercent: 70,
});

/** Whether previews build the image when `build.buildOnPreview` is unset: in CI (`CI=true`, as GitHub Actions sets it), not elsewhere. */
export function defaultBuildOnPreview(env: NodeJS.ProcessEnv = process.env): boolean {
    return env.CI === "true";
}

/** The bundled service's build context, relative to the working directory (state stays machine-independent). */
export function bundledServiceContext(): string {
    return path.relative(process.cwd(), path.join(__dirname, "..", "service")) || ".";
}

/** The build context and Dockerfile a build uses: the given ones, else the bundled service and `<context>/Dockerfile`. */
export function resolveBuildPaths(build: RustServiceBuildArgs = {}): { context: string; dockerfile: string } {
    const context = build.context ?? bundledServiceContext();
    return { context, dockerfile: build.dockerfile ?? path.join(context, "Dockerfile") };
}

/** Requests and limits with every unset quantity taken from {@link DEFAULT_RESOURCES}. */
export function resolveResources(resources: RustServiceResources = {}): {
    requests: Required<RustServiceResourceQuantities>;
    limits: Required<RustServiceResourceQuantities>;
} {
    return {
        requests: { ...DEFAULT_RESOURCES.requests, ...resources.requests },
        limits: { ...DEFAULT_RESOURCES.limits, ...resources.limits },
    };
}
