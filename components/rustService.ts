// The ECR submodule, not the package root: the root loads every AWS service (about 0.1 s of every
// run, ECR or not).
import * as ecr from "@pulumi/aws/ecr";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS, RustServiceArgs, defaultBuildOnPreview, resolveBuildPaths, resolveResources } from "./args";
import { buildFingerprint } from "./contextHash";
import { lifecyclePolicyArgs, repositoryArgs, resolveRepositorySettings } from "./ecr";
import {
    deploymentArgs,
    envConfigMapArgs,
    envSecretArgs,
    horizontalPodAutoscalerArgs,
    namespaceArgs,
    podDisruptionBudgetArgs,
    secretEnvNames,
    serviceAccountArgs,
    serviceArgs,
} from "./kubernetes";
import { buildLabels, stackLabelValue } from "./labels";
import { podSpec } from "./podSpec";
import { imageRepository, parseEcrRepositoryUrl, registryHost } from "./registry";
import { defaultTerminationGracePeriod, resolveSettings } from "./settings";
import { formatProblems, rustServiceArgsProblems } from "./validation";

/** Type token of {@link RustService}. */
export const RUST_SERVICE_TYPE = "rust-service:index:RustService";

interface PushedImage {
    imageRef: pulumi.Output<string>;
    repositoryUrl: pulumi.Output<string>;
}

/**
 * Builds a container image (or takes a digest-pinned one), pushes it to ECR or another registry, and
 * runs it on Kubernetes with restricted pod security, probes, a PodDisruptionBudget and env from a
 * ConfigMap and a Secret. Pass AWS and Kubernetes providers through `opts.providers`.
 */
export class RustService extends pulumi.ComponentResource {
    /** The deployed image, pinned by digest (`repository@sha256:...`). */
    public readonly imageRef: pulumi.Output<string>;
    /** The repository the image lives in (without tag or digest). */
    public readonly repositoryUrl: pulumi.Output<string>;
    /** The namespace the workload runs in. */
    public readonly namespace: pulumi.Output<string>;
    /** The Deployment's (auto-generated) name. */
    public readonly deploymentName: pulumi.Output<string>;
    /** The Service's (auto-generated) name. */
    public readonly serviceName: pulumi.Output<string>;
    /** In-cluster URL of the service: `http://<service>.<namespace>.svc.cluster.local:<port>`. */
    public readonly url: pulumi.Output<string>;

    /** The ECR repository, when the component created one. */
    public readonly repository?: ecr.Repository;
    /** The image build, unless a prebuilt `image` was given. */
    public readonly image?: docker.Image;
    /** The Deployment. */
    public readonly deployment: k8s.apps.v1.Deployment;
    /** The ClusterIP Service. */
    public readonly service: k8s.core.v1.Service;
    /** The ConfigMap holding the plain env, when there is any. */
    public readonly envConfigMap?: k8s.core.v1.ConfigMap;
    /** The Secret holding the secret env, when there is any. */
    public readonly envSecret?: k8s.core.v1.Secret;

    constructor(name: string, args: RustServiceArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super(RUST_SERVICE_TYPE, name, {}, opts);

        const problems = rustServiceArgsProblems(name, args);
        if (problems.length > 0) {
            // hideStack: the engine prints the message under this resource, without a stack trace or a dump of it.
            throw new pulumi.ResourceError(formatProblems(`RustService "${name}"`, problems), this, true);
        }

        const settings = resolveSettings(args.settings);
        const appName = args.appName ?? DEFAULTS.appName;
        const { labels, selector } = buildLabels(appName, name, stackLabelValue(pulumi.getProject(), pulumi.getStack()), args.labels);

        const pushed = args.image !== undefined ? prebuilt(args.image) : this.buildAndPush(name, args);
        this.image = pushed.image;
        this.repository = pushed.repository;

        const namespace = this.namespaceFor(name, args, labels);
        const meta = { namespace, labels };

        const serviceAccount = new k8s.core.v1.ServiceAccount(name, serviceAccountArgs(meta), { parent: this });

        // Both immutable and auto-named: an env change replaces them under new names, which rolls the pods.
        const env = args.env ?? {};
        const configMap = Object.keys(env).length > 0 ? new k8s.core.v1.ConfigMap(`${name}-env`, envConfigMapArgs(meta, env), { parent: this }) : undefined;
        const secretEnv = args.secretEnv ?? {};
        const secretNames = secretEnvNames(secretEnv);
        const secret = secretNames.length > 0 ? new k8s.core.v1.Secret(`${name}-secret-env`, envSecretArgs(meta, secretEnv), { parent: this }) : undefined;

        this.envConfigMap = configMap;
        this.envSecret = secret;

        this.deployment = new k8s.apps.v1.Deployment(
            name,
            deploymentArgs({
                metadata: meta,
                selector,
                rolloutTimeoutSeconds: args.rolloutTimeoutSeconds ?? DEFAULTS.rolloutTimeoutSeconds,
                replicas: args.replicas ?? DEFAULTS.replicas,
                autoscaled: Boolean(args.autoscaling),
                podSpec: podSpec({
                    image: pushed.imageRef,
                    settings,
                    secretEnvFrom: secret ? { secretName: secret.metadata.name, keys: secretNames } : undefined,
                    configMapName: configMap?.metadata.name,
                    serviceAccountName: serviceAccount.metadata.name,
                    resources: resolveResources(args.resources),
                    terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? defaultTerminationGracePeriod(settings),
                    spreadWhenUnsatisfiable: args.spreadWhenUnsatisfiable ?? DEFAULTS.spreadWhenUnsatisfiable,
                    selector,
                }),
            }),
            { parent: this },
        );

        const servicePort = args.servicePort ?? DEFAULTS.servicePort;
        // After the Deployment: when a selector change replaces the Deployment, the Service
        // switches to the new selector only once the new pods are Available, never to an empty set.
        this.service = new k8s.core.v1.Service(name, serviceArgs(meta, selector, servicePort), { parent: this, dependsOn: [this.deployment] });

        new k8s.policy.v1.PodDisruptionBudget(name, podDisruptionBudgetArgs(meta, selector), { parent: this });

        if (args.autoscaling) {
            const { minReplicas, maxReplicas, targetCpuUtilizationPercent } = args.autoscaling;
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                name,
                horizontalPodAutoscalerArgs({
                    metadata: meta,
                    deploymentName: this.deployment.metadata.name,
                    minReplicas,
                    maxReplicas,
                    targetCpuUtilizationPercent: targetCpuUtilizationPercent ?? DEFAULTS.targetCpuUtilizationPercent,
                }),
                { parent: this },
            );
        }

        this.imageRef = pushed.imageRef;
        this.repositoryUrl = pushed.repositoryUrl;
        this.namespace = pulumi.output(namespace);
        this.deploymentName = this.deployment.metadata.name;
        this.serviceName = this.service.metadata.name;
        this.url = pulumi.interpolate`http://${this.service.metadata.name}.${namespace}.svc.cluster.local:${servicePort}`;

        this.registerOutputs({
            imageRef: this.imageRef,
            repositoryUrl: this.repositoryUrl,
            namespace: this.namespace,
            deploymentName: this.deploymentName,
            serviceName: this.serviceName,
            url: this.url,
        });
    }

    private namespaceFor(name: string, args: RustServiceArgs, labels: Record<string, string>): pulumi.Output<string> {
        const namespaceName = args.namespace ?? DEFAULTS.namespace;
        if (!(args.createNamespace ?? DEFAULTS.createNamespace)) {
            return pulumi.output(namespaceName);
        }
        const ns = new k8s.core.v1.Namespace(name, namespaceArgs(namespaceName, labels), { parent: this });
        return ns.metadata.name;
    }

    private buildAndPush(name: string, args: RustServiceArgs): PushedImage & { image: docker.Image; repository?: ecr.Repository } {
        const build = args.build ?? {};
        const { context, dockerfile } = resolveBuildPaths(build);
        const platform = build.platform ?? DEFAULTS.platform;
        const tag =
            build.tag ?? buildFingerprint({ context, dockerfile, platform, args: build.args, target: build.target, cacheFrom: build.cacheFrom }).slice(0, 32);

        let repositoryUrl: pulumi.Output<string>;
        let registry: docker.types.input.Registry | undefined;
        let repository: ecr.Repository | undefined;

        if (args.registry) {
            const { server, username, password } = args.registry;
            repositoryUrl = pulumi.output(`${server}/${args.registry.repository}`);
            registry = username !== undefined ? { server, username, password: pulumi.secret(password!) } : undefined;
        } else if (args.existingRepositoryUrl) {
            const ecr = parseEcrRepositoryUrl(args.existingRepositoryUrl)!;
            repositoryUrl = pulumi.output(args.existingRepositoryUrl);
            registry = this.ecrCredentials(pulumi.output(ecr.server), ecr.registryId, ecr.region);
        } else {
            repository = this.createRepository(name, args);
            repositoryUrl = repository.repositoryUrl;
            registry = this.ecrCredentials(repository.repositoryUrl.apply(registryHost), repository.registryId);
        }

        const image = new docker.Image(
            name,
            {
                imageName: pulumi.interpolate`${repositoryUrl}:${tag}`,
                build: {
                    context,
                    dockerfile,
                    platform,
                    args: build.args,
                    target: build.target,
                    cacheFrom: build.cacheFrom ? { images: build.cacheFrom } : undefined,
                },
                // A preview then runs the whole build (not the push), so a broken Dockerfile fails the preview.
                buildOnPreview: build.buildOnPreview ?? defaultBuildOnPreview(),
                registry,
            },
            { parent: this },
        );
        return { image, repository, repositoryUrl, imageRef: image.repoDigest };
    }

    private ecrCredentials(server: pulumi.Output<string>, registryId: pulumi.Input<string>, region?: string): docker.types.input.Registry {
        const token = ecr.getAuthorizationTokenOutput({ registryId, region }, { parent: this });
        return { server, username: token.userName, password: pulumi.secret(token.password) };
    }

    private createRepository(name: string, args: RustServiceArgs): ecr.Repository {
        const settings = resolveRepositorySettings(args.repository);
        const repository = new ecr.Repository(name, repositoryArgs(settings), { parent: this });
        new ecr.LifecyclePolicy(name, lifecyclePolicyArgs(repository.name, settings), { parent: this });
        return repository;
    }
}

/** What a {@link RustService} exports, as a stack would export it (its output properties). */
export type RustServiceOutputs = Pick<RustService, "imageRef" | "repositoryUrl" | "namespace" | "deploymentName" | "serviceName" | "url">;

function prebuilt(reference: string): PushedImage & { image?: undefined; repository?: undefined } {
    return { imageRef: pulumi.output(reference), repositoryUrl: pulumi.output(imageRepository(reference)) };
}
