import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RUST_SERVICE_TYPE, RustService, RustServiceArgs } from "../components";
import { containerSecurityContext, podSecurityContext } from "../components/podSpec";
import {
    MOCK_ACCOUNT,
    MOCK_ECR_PASSWORD,
    RecordingMocks,
    Registered,
    constructionRecorder,
    installMocks,
    isWrappedSecret,
    mockDigest,
    settled,
    unwrapSecrets,
    valueOf,
} from "./mocks";

const T = {
    repository: "aws:ecr/repository:Repository",
    lifecycle: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    image: "docker:index/image:Image",
    namespace: "kubernetes:core/v1:Namespace",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    configMap: "kubernetes:core/v1:ConfigMap",
    secret: "kubernetes:core/v1:Secret",
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
};

const SENTINEL = "sentinel-9b1f0c77-do-not-leak";

// A test registers ten or so resources through the mock monitor; on a loaded two-core runner that
// has taken over 5 s (jest's default), while a hang still fails well before this.
jest.setTimeout(30_000);

let context: string;

beforeAll(() => {
    context = fs.mkdtempSync(path.join(os.tmpdir(), "rust-service-ctx-"));
    fs.writeFileSync(path.join(context, "Dockerfile"), "FROM scratch\nCOPY app /app\n");
    fs.writeFileSync(path.join(context, "app"), "v1");
});

afterAll(() => fs.rmSync(context, { recursive: true, force: true }));

interface Deployed {
    mocks: RecordingMocks;
    component: RustService;
    children: { type: string; name: string; parent?: pulumi.Resource }[];
}

async function deploy(args: RustServiceArgs = {}, options: { name?: string; preview?: boolean } = {}): Promise<Deployed> {
    const mocks = installMocks({ preview: options.preview });
    const recorder = constructionRecorder();
    const component = new RustService(options.name ?? "api", { build: { context }, ...args }, { transformations: [recorder.transformation] });
    await settled(mocks, recorder.constructed);
    return { mocks, component, children: recorder.constructed.filter((c) => c.type !== RUST_SERVICE_TYPE) };
}

// Manifests as the mocks recorded them: arbitrary nested JSON, read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function inputs(r: Registered): Json {
    return unwrapSecrets(r.inputs);
}

function podSpec(mocks: RecordingMocks): Json {
    return inputs(mocks.get(T.deployment)).spec.template.spec;
}

function container(mocks: RecordingMocks): Json {
    return podSpec(mocks).containers[0];
}

describe("resource graph", () => {
    it("registers the registry, image and Kubernetes objects, all parented to the component", async () => {
        const { mocks, component, children } = await deploy();
        expect(children.map((c) => `${c.type}::${c.name}`).sort()).toEqual(
            [T.repository, T.lifecycle, T.image, T.serviceAccount, T.deployment, T.service, T.pdb].map((t) => `${t}::api`).sort(),
        );
        for (const child of children) {
            expect(child.parent).toBe(component);
        }
        expect(mocks.ofType(T.configMap)).toHaveLength(0);
        expect(mocks.ofType(T.secret)).toHaveLength(0);
    });

    it("adds a ConfigMap, a Secret, a Namespace and an autoscaler only when asked", async () => {
        const { children } = await deploy({
            env: { APP_MODE: "x" },
            secretEnv: { APP_TOKEN: "t" },
            createNamespace: true,
            namespace: "team-a",
            autoscaling: { minReplicas: 2, maxReplicas: 4 },
        });
        expect(children.map((c) => `${c.type}::${c.name}`)).toEqual(
            expect.arrayContaining([`${T.configMap}::api-env`, `${T.secret}::api-secret-env`, `${T.namespace}::api`, `${T.hpa}::api`]),
        );
    });

    it("gives two instances in one stack distinct resources, selectors and names", async () => {
        const mocks = installMocks();
        const recorder = constructionRecorder();
        const a = new RustService("api", { build: { context } }, { transformations: [recorder.transformation] });
        const b = new RustService("worker", { build: { context } }, { transformations: [recorder.transformation] });
        await settled(mocks, recorder.constructed);
        const keys = mocks.resources.map((r) => `${r.type}::${r.name}`);
        expect(new Set(keys).size).toBe(keys.length);
        const [deployA, deployB] = [inputs(mocks.get(T.deployment, "api")), inputs(mocks.get(T.deployment, "worker"))];
        expect(deployA.spec.selector.matchLabels).not.toEqual(deployB.spec.selector.matchLabels);
        expect(await valueOf(a.serviceName)).not.toEqual(await valueOf(b.serviceName));
        expect(await valueOf(a.imageRef)).not.toEqual(await valueOf(b.imageRef));
    });
});

describe("providers", () => {
    it("uses the AWS and Kubernetes providers given in opts.providers for every child and the token call", async () => {
        const mocks = installMocks();
        const cluster = new k8s.Provider("cluster", { context: "kind-test" });
        const eu = new aws.Provider("eu", { region: "eu-west-1" });
        const recorder = constructionRecorder();
        new RustService(
            "api",
            { build: { context }, env: { A: "1" } },
            { providers: { aws: eu, kubernetes: cluster }, transformations: [recorder.transformation] },
        );
        await settled(mocks, recorder.constructed);
        const [clusterRef, euRef] = [`${await valueOf(cluster.urn)}::${await valueOf(cluster.id)}`, `${await valueOf(eu.urn)}::${await valueOf(eu.id)}`];
        const k8sChildren = mocks.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:"));
        expect(k8sChildren.length).toBeGreaterThanOrEqual(5);
        for (const child of k8sChildren) {
            expect([child.type, child.provider]).toEqual([child.type, clusterRef]);
        }
        for (const child of mocks.resources.filter((r) => r.type.startsWith("aws:"))) {
            expect([child.type, child.provider]).toEqual([child.type, euRef]);
        }
        expect(mocks.invokes.map((i) => i.provider)).toEqual([euRef]);
    });
});

describe("image", () => {
    it("pins the Deployment to the digest the registry reported for the pushed image", async () => {
        const { mocks, component } = await deploy();
        const imageName = inputs(mocks.get(T.image)).imageName as string;
        const expected = `${imageName.slice(0, imageName.lastIndexOf(":"))}@${mockDigest(imageName)}`;
        expect(container(mocks).image).toBe(expected);
        expect(container(mocks).image).toMatch(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[^:@]+@sha256:[a-f0-9]{64}$/);
        expect(await valueOf(component.imageRef)).toBe(expected);
    });

    it("builds the given context for linux/amd64 by default, with the Dockerfile inside the context", async () => {
        const { mocks } = await deploy();
        expect(inputs(mocks.get(T.image)).build).toEqual({ context, dockerfile: path.join(context, "Dockerfile"), platform: "linux/amd64" });
    });

    it("passes platform, build args, target and cache-from through to the build", async () => {
        const { mocks } = await deploy({
            build: { context, platform: "linux/arm64", args: { RUST_PROFILE: "release" }, target: "runtime", cacheFrom: ["example.com/cache:main"] },
        });
        expect(inputs(mocks.get(T.image)).build).toEqual({
            context,
            dockerfile: path.join(context, "Dockerfile"),
            platform: "linux/arm64",
            args: { RUST_PROFILE: "release" },
            target: "runtime",
            cacheFrom: { images: ["example.com/cache:main"] },
        });
    });

    it("tags the image with a content hash that changes when a context file changes", async () => {
        const tagOf = (m: RecordingMocks) => (inputs(m.get(T.image)).imageName as string).split(":").pop();
        const first = tagOf((await deploy()).mocks);
        expect(first).toMatch(/^[a-f0-9]{32}$/);
        expect(tagOf((await deploy()).mocks)).toBe(first);
        fs.writeFileSync(path.join(context, "app"), "v2");
        try {
            expect(tagOf((await deploy()).mocks)).not.toBe(first);
        } finally {
            fs.writeFileSync(path.join(context, "app"), "v1");
        }
    });

    it("uses an explicit tag when one is given", async () => {
        const { mocks } = await deploy({ build: { context, tag: "git-3f2a1c9" } });
        expect(inputs(mocks.get(T.image)).imageName).toMatch(/:git-3f2a1c9$/);
    });

    it("deploys a prebuilt digest-pinned image without building, pushing or creating a repository", async () => {
        const image = `ghcr.io/acme/rust-service@sha256:${"a".repeat(64)}`;
        const mocks = installMocks();
        const recorder = constructionRecorder();
        const component = new RustService("api", { image }, { transformations: [recorder.transformation] });
        await settled(mocks, recorder.constructed);
        expect(mocks.ofType(T.image)).toHaveLength(0);
        expect(mocks.ofType(T.repository)).toHaveLength(0);
        expect(mocks.invokes).toHaveLength(0);
        expect(container(mocks).image).toBe(image);
        expect(await valueOf(component.repositoryUrl)).toBe("ghcr.io/acme/rust-service");
    });
});

describe("registry", () => {
    it("creates an ECR repository that scans on push, has immutable tags, AES256 encryption and no force delete", async () => {
        const { mocks } = await deploy();
        expect(inputs(mocks.get(T.repository))).toMatchObject({
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "AES256" }],
            forceDelete: false,
        });
    });

    it("applies KMS encryption, mutable tags, force delete and a name when asked", async () => {
        const kmsKeyArn = `arn:aws:kms:us-west-2:${MOCK_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
        const { mocks } = await deploy({ repository: { name: "team/api", kmsKeyArn, imageTagMutability: "MUTABLE", forceDelete: true } });
        expect(inputs(mocks.get(T.repository))).toMatchObject({
            name: "team/api",
            imageTagMutability: "MUTABLE",
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: kmsKeyArn }],
            forceDelete: true,
        });
    });

    it("attaches a lifecycle policy that expires untagged images and keeps the last N", async () => {
        const { mocks, component } = await deploy({ repository: { untaggedImageExpiryDays: 3, keepLastImages: 12 } });
        const policy = inputs(mocks.get(T.lifecycle));
        expect(policy.repository).toBe(await valueOf(component.repository!.name));
        const rules = JSON.parse(policy.policy).rules;
        expect(rules).toEqual([
            expect.objectContaining({ selection: expect.objectContaining({ tagStatus: "untagged", countType: "sinceImagePushed", countNumber: 3 }) }),
            expect.objectContaining({ selection: expect.objectContaining({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: 12 }) }),
        ]);
    });

    it("logs in to ECR with a token from getAuthorizationToken, kept secret", async () => {
        const { mocks } = await deploy();
        const image = mocks.get(T.image);
        expect(isWrappedSecret(image.inputs.registry) || isWrappedSecret((image.inputs.registry as Json)?.password)).toBe(true);
        expect(inputs(image).registry).toEqual({ server: `${MOCK_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`, username: "AWS", password: MOCK_ECR_PASSWORD });
        expect(mocks.invokes).toEqual([{ token: "aws:ecr/getAuthorizationToken:getAuthorizationToken", inputs: { registryId: MOCK_ACCOUNT } }]);
        for (const other of mocks.resources.filter((r) => r.type !== T.image)) {
            expect(JSON.stringify(other.inputs)).not.toContain(MOCK_ECR_PASSWORD);
        }
    });

    it("pushes to an existing ECR repository without creating one, with a token for its account and region", async () => {
        const url = "210987654321.dkr.ecr.eu-central-1.amazonaws.com/platform/api";
        const { mocks } = await deploy({ existingRepositoryUrl: url });
        expect(mocks.ofType(T.repository)).toHaveLength(0);
        expect(mocks.ofType(T.lifecycle)).toHaveLength(0);
        expect(inputs(mocks.get(T.image)).imageName).toMatch(new RegExp(`^${url.replace(/\./g, "\\.")}:[a-f0-9]{32}$`));
        expect(inputs(mocks.get(T.image)).registry.server).toBe("210987654321.dkr.ecr.eu-central-1.amazonaws.com");
        expect(mocks.invokes).toEqual([
            { token: "aws:ecr/getAuthorizationToken:getAuthorizationToken", inputs: { registryId: "210987654321", region: "eu-central-1" } },
        ]);
        expect(container(mocks).image).toMatch(new RegExp(`^${url.replace(/\./g, "\\.")}@sha256:[a-f0-9]{64}$`));
    });

    it("pushes to a generic registry with secret credentials, creating nothing in AWS", async () => {
        const { mocks } = await deploy({ registry: { server: "registry.example.com:5000", repository: "team/api", username: "ci", password: SENTINEL } });
        expect(mocks.ofType(T.repository)).toHaveLength(0);
        expect(mocks.invokes).toHaveLength(0);
        const image = mocks.get(T.image);
        expect(isWrappedSecret(image.inputs.registry)).toBe(true);
        expect(inputs(image).registry).toEqual({ server: "registry.example.com:5000", username: "ci", password: SENTINEL });
        expect(inputs(image).imageName).toMatch(/^registry\.example\.com:5000\/team\/api:[a-f0-9]{32}$/);
    });

    it("pushes to a registry without authentication using no credentials", async () => {
        const { mocks } = await deploy({ registry: { server: "127.0.0.1:5000", repository: "rust-service" } });
        expect(inputs(mocks.get(T.image)).registry).toBeUndefined();
        expect(container(mocks).image).toMatch(/^127\.0\.0\.1:5000\/rust-service@sha256:[a-f0-9]{64}$/);
    });
});

describe("env", () => {
    it("delivers plain env through an immutable, auto-named ConfigMap referenced by envFrom", async () => {
        const { mocks, component } = await deploy({ env: { APP_MODE: "fast", APP_REGION: "eu" } });
        const configMap = inputs(mocks.get(T.configMap));
        expect(configMap.data).toEqual({ APP_MODE: "fast", APP_REGION: "eu" });
        expect(configMap.immutable).toBe(true);
        expect(configMap.metadata.name).toBeUndefined();
        const configMapName = await valueOf(component.envConfigMap!.metadata.name);
        expect(configMapName).toMatch(/^api-env-[a-f0-9]{8}$/);
        expect(container(mocks).envFrom).toEqual([{ configMapRef: { name: configMapName } }]);
        expect(container(mocks).env.map((e: Json) => e.name)).not.toEqual(expect.arrayContaining(["APP_MODE"]));
    });

    it("delivers secret env through a Secret and secretKeyRef, never as a literal value", async () => {
        const { mocks, component } = await deploy({ secretEnv: { APP_TOKEN: SENTINEL } });
        const secret = mocks.get(T.secret);
        expect(isWrappedSecret(secret.inputs.stringData)).toBe(true);
        expect(inputs(secret)).toMatchObject({ immutable: true, type: "Opaque", stringData: { APP_TOKEN: SENTINEL } });
        const secretName = await valueOf(component.envSecret!.metadata.name);
        const entry = container(mocks).env.find((e: Json) => e.name === "APP_TOKEN");
        expect(entry).toEqual({ name: "APP_TOKEN", valueFrom: { secretKeyRef: { name: secretName, key: "APP_TOKEN" } } });
    });

    it("keeps a sentinel secret out of every other resource's inputs, labels and annotations", async () => {
        const { mocks } = await deploy({ env: { APP_MODE: "fast" }, secretEnv: { APP_TOKEN: SENTINEL } });
        const others = mocks.resources.filter((r) => r.type !== T.secret);
        expect(others.length).toBeGreaterThan(5);
        for (const other of others) {
            expect(JSON.stringify(other.inputs)).not.toContain(SENTINEL);
        }
    });

    it("keeps secret env out of every output of the component, and secret in the Secret's", async () => {
        const { component } = await deploy({ secretEnv: { APP_TOKEN: SENTINEL } });
        const outputs = {
            imageRef: component.imageRef,
            repositoryUrl: component.repositoryUrl,
            namespace: component.namespace,
            deploymentName: component.deploymentName,
            serviceName: component.serviceName,
            url: component.url,
        };
        for (const [key, output] of Object.entries(outputs)) {
            // Not tainted as secret either: other stacks read these through a StackReference.
            expect([key, await pulumi.isSecret(output)]).toEqual([key, false]);
            expect([key, await valueOf(output)]).toEqual([key, expect.not.stringContaining(SENTINEL)]);
        }
        // @pulumi/kubernetes marks a Secret's payload secret itself; checked so a switch to another kind is caught.
        expect(await pulumi.isSecret(component.envSecret!.stringData)).toBe(true);
    });

    it("changes the pod template, not the Deployment's identity, when a plain env value changes", async () => {
        const before = await deploy({ env: { APP_MODE: "fast" } });
        const after = await deploy({ env: { APP_MODE: "slow" } });
        const [a, b] = [inputs(before.mocks.get(T.deployment)), inputs(after.mocks.get(T.deployment))];
        expect(b.spec.template).not.toEqual(a.spec.template);
        expect(b.spec.template.spec.containers[0].envFrom).not.toEqual(a.spec.template.spec.containers[0].envFrom);
        // The rollout comes from the new ConfigMap's name in the pod template (no checksum annotation).
        expect(b.spec.template.spec.containers[0].envFrom).toEqual([{ configMapRef: { name: await valueOf(after.component.envConfigMap!.metadata.name) } }]);
        expect(b.metadata).toEqual(a.metadata);
        expect(b.spec.selector).toEqual(a.spec.selector);
    });

    it("changes the pod template when a secret env value changes, without exposing either value", async () => {
        const before = await deploy({ secretEnv: { APP_TOKEN: "one-0001" } });
        const after = await deploy({ secretEnv: { APP_TOKEN: "two-0002" } });
        const [a, b] = [inputs(before.mocks.get(T.deployment)), inputs(after.mocks.get(T.deployment))];
        expect(b.spec.template).not.toEqual(a.spec.template);
        expect(JSON.stringify([a, b])).not.toMatch(/one-0001|two-0002/);
    });

    it("passes the service settings as env from the same values as the port, probes and grace period", async () => {
        const { mocks } = await deploy({ settings: { port: 9090, drainDelaySeconds: 10, shutdownDeadlineSeconds: 40, logLevel: "debug" } });
        const c = container(mocks);
        const env = Object.fromEntries(c.env.filter((e: Json) => "value" in e).map((e: Json) => [e.name, e.value]));
        expect(env).toEqual({
            PORT: "9090",
            LOG_LEVEL: "debug",
            GREETING: "Hello from rust-service",
            DRAIN_DELAY_SECONDS: "10",
            SHUTDOWN_DEADLINE_SECONDS: "40",
            REQUEST_TIMEOUT_SECONDS: "10",
            BODY_LIMIT_BYTES: "1048576",
        });
        expect(c.ports).toEqual([{ name: "http", containerPort: 9090, protocol: "TCP" }]);
        for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
            expect(probe.httpGet.port).toBe(9090);
        }
        expect(podSpec(mocks).terminationGracePeriodSeconds).toBe(55);
    });
});

describe("pod", () => {
    it("runs as uid/gid 65532 under the restricted Pod Security Standard", async () => {
        const { mocks } = await deploy();
        const spec = podSpec(mocks);
        // The values themselves are asserted on the pure builders in test/podSpec.test.ts.
        expect(spec.securityContext).toEqual(podSecurityContext());
        expect(container(mocks).securityContext).toEqual(containerSecurityContext());
        expect(spec.securityContext.runAsUser).toBe(65532);
        expect(spec.hostNetwork ?? false).toBe(false);
        expect(spec.automountServiceAccountToken).toBe(false);
        expect(inputs(mocks.get(T.serviceAccount)).automountServiceAccountToken).toBe(false);
    });

    it("mounts only an emptyDir at /tmp next to the read-only root filesystem", async () => {
        const { mocks } = await deploy();
        expect(podSpec(mocks).volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
        expect(container(mocks).volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    });

    it("probes /healthz for startup and liveness and /readyz for readiness", async () => {
        const c = container((await deploy()).mocks);
        expect(c.startupProbe.httpGet.path).toBe("/healthz");
        expect(c.livenessProbe.httpGet.path).toBe("/healthz");
        expect(c.readinessProbe.httpGet.path).toBe("/readyz");
        expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(30);
    });

    it("sets default requests and limits, and the given ones", async () => {
        expect(container((await deploy()).mocks).resources).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } });
        const custom = await deploy({ resources: { requests: { cpu: "250m" }, limits: { memory: "1Gi" } } });
        expect(container(custom.mocks).resources).toEqual({ requests: { cpu: "250m", memory: "64Mi" }, limits: { cpu: "500m", memory: "1Gi" } });
    });

    it("defaults the grace period to drain delay + deadline + 5 s", async () => {
        expect(podSpec((await deploy()).mocks).terminationGracePeriodSeconds).toBe(30);
        expect(podSpec((await deploy({ terminationGracePeriodSeconds: 90 })).mocks).terminationGracePeriodSeconds).toBe(90);
    });

    it("gives the cluster's progress deadline and Pulumi's await timeout the same rollout timeout", async () => {
        const byDefault = inputs((await deploy()).mocks.get(T.deployment));
        expect(byDefault.spec.progressDeadlineSeconds).toBe(600);
        expect(byDefault.metadata.annotations["pulumi.com/timeoutSeconds"]).toBe("600");
        const short = inputs((await deploy({ rolloutTimeoutSeconds: 45 })).mocks.get(T.deployment));
        expect(short.spec.progressDeadlineSeconds).toBe(45);
        expect(short.metadata.annotations["pulumi.com/timeoutSeconds"]).toBe("45");
    });

    it("puts a crashed container's last log lines into its termination message", async () => {
        expect(container((await deploy()).mocks).terminationMessagePolicy).toBe("FallbackToLogsOnError");
    });

    it("rolls out one extra pod at a time without losing capacity", async () => {
        const spec = inputs((await deploy({ replicas: 3 })).mocks.get(T.deployment)).spec;
        expect(spec.replicas).toBe(3);
        expect(spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    });

    it("spreads pods across nodes, scheduling anyway by default", async () => {
        const { mocks } = await deploy();
        const selector = inputs(mocks.get(T.deployment)).spec.selector.matchLabels;
        expect(podSpec(mocks).topologySpreadConstraints).toEqual([
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
        ]);
        const strict = await deploy({ spreadWhenUnsatisfiable: "DoNotSchedule" });
        expect(podSpec(strict.mocks).topologySpreadConstraints[0].whenUnsatisfiable).toBe("DoNotSchedule");
    });

    it("labels everything with app.kubernetes.io labels and selects pods by name, instance and owning stack only", async () => {
        const { mocks } = await deploy({ labels: { team: "payments" } });
        const deployment = inputs(mocks.get(T.deployment));
        expect(deployment.spec.selector.matchLabels).toEqual({
            "app.kubernetes.io/name": "rust-service",
            "app.kubernetes.io/instance": "api",
            "rust-service/stack": "rust-service.dev",
        });
        expect(deployment.spec.template.metadata.labels).toEqual({
            team: "payments",
            "app.kubernetes.io/name": "rust-service",
            "app.kubernetes.io/instance": "api",
            "rust-service/stack": "rust-service.dev",
            "app.kubernetes.io/managed-by": "pulumi",
        });
    });
});

describe("service, disruption budget and autoscaler", () => {
    it("exposes the named container port through a ClusterIP Service that selects the pods", async () => {
        const { mocks } = await deploy({ servicePort: 8081 });
        const service = inputs(mocks.get(T.service));
        const podLabels = inputs(mocks.get(T.deployment)).spec.template.metadata.labels;
        expect(service.spec.type).toBe("ClusterIP");
        expect(podLabels).toMatchObject(service.spec.selector);
        expect(service.spec.ports).toEqual([{ name: "http", port: 8081, targetPort: "http", protocol: "TCP" }]);
        expect(container(mocks).ports.map((p: Json) => p.name)).toContain("http");
    });

    it("allows one voluntary eviction at a time for the pods", async () => {
        const { mocks } = await deploy();
        const pdb = inputs(mocks.get(T.pdb));
        expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: inputs(mocks.get(T.deployment)).spec.selector.matchLabels } });
    });

    it("scales on CPU with an autoscaler that owns the replica count", async () => {
        const { mocks, component } = await deploy({ autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuUtilizationPercent: 60 } });
        const hpa = inputs(mocks.get(T.hpa));
        expect(hpa.spec).toEqual({
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: await valueOf(component.deploymentName) },
            minReplicas: 2,
            maxReplicas: 6,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }],
        });
        expect(inputs(mocks.get(T.deployment)).spec.replicas).toBeUndefined();
    });

    it("creates the namespace labelled for the restricted Pod Security Standard and deploys into it", async () => {
        const { mocks, component } = await deploy({ createNamespace: true, namespace: "payments" });
        const ns = inputs(mocks.get(T.namespace));
        expect(ns.metadata.name).toBe("payments");
        expect(ns.metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        });
        for (const type of [T.deployment, T.service, T.pdb, T.serviceAccount]) {
            expect(inputs(mocks.get(type)).metadata.namespace).toBe("payments");
        }
        expect(await valueOf(component.namespace)).toBe("payments");
    });

    it("labels the namespace it creates with the owning stack, so another stack's create of it conflicts", async () => {
        const { mocks } = await deploy({ createNamespace: true, namespace: "payments" });
        expect(inputs(mocks.get(T.namespace)).metadata.labels["rust-service/stack"]).toBe("rust-service.dev");
    });
});

describe("outputs", () => {
    it("exposes the digest-pinned image, repository, namespace, names and in-cluster URL", async () => {
        const { mocks, component } = await deploy();
        const serviceName = await valueOf(component.serviceName);
        expect(serviceName).toMatch(/^api-[a-f0-9]{8}$/);
        expect(await valueOf(component.url)).toBe(`http://${serviceName}.default.svc.cluster.local:80`);
        expect(await valueOf(component.namespace)).toBe("default");
        expect(await valueOf(component.deploymentName)).toMatch(/^api-[a-f0-9]{8}$/);
        expect(await valueOf(component.repositoryUrl)).toMatch(new RegExp(`^${MOCK_ACCOUNT}\\.dkr\\.ecr\\.us-west-2\\.amazonaws\\.com/api-`));
        expect(await valueOf(component.imageRef)).toBe(container(mocks).image);
    });
});

describe("preview", () => {
    it("completes with unknown provider outputs, leaving the image digest unknown", async () => {
        const { mocks, component } = await deploy({ env: { APP_MODE: "x" } }, { preview: true });
        const c = mocks.get(T.deployment).inputs as Json;
        expect(pulumi.isUnknown(c.spec.template.spec.containers[0].image)).toBe(true);
        expect(pulumi.isUnknown(inputs(mocks.get(T.deployment)).spec.template.spec.containers[0].resources)).toBe(false);
        expect(mocks.invokes).toHaveLength(0);
        // `isKnown` is internal to Output (no public API tells a preview unknown apart).
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        expect(await (component.imageRef as any).isKnown).toBe(false);
    });
});

describe("build on preview", () => {
    const ci = process.env.CI;
    afterEach(() => (ci === undefined ? delete process.env.CI : (process.env.CI = ci)));

    it.each<[string, boolean | undefined, string | undefined, boolean]>([
        ["asked to", true, undefined, true],
        ["told not to, even in CI", false, "true", false],
        ["left to the default in CI (CI=true)", undefined, "true", true],
        ["left to the default outside CI", undefined, undefined, false],
    ])("builds the image during a preview when %s", async (_description, buildOnPreview, ciValue, expected) => {
        if (ciValue === undefined) {
            delete process.env.CI;
        } else {
            process.env.CI = ciValue;
        }
        const { mocks } = await deploy({ build: { context, buildOnPreview } }, { preview: true });
        expect(inputs(mocks.get(T.image)).buildOnPreview).toBe(expected);
    });
});

describe("invalid args", () => {
    it("throws a ResourceError naming every problem before registering any child", async () => {
        const mocks = installMocks();
        const recorder = constructionRecorder();
        let error: unknown;
        try {
            new RustService("api", { replicas: 0, env: { "BAD-NAME": "x" } }, { transformations: [recorder.transformation] });
        } catch (err) {
            error = err;
        }
        expect(error).toBeInstanceOf(pulumi.ResourceError);
        expect((error as Error).message).toContain("`replicas` must be an integer >= 1, got 0");
        expect((error as Error).message).toContain("`env.BAD-NAME` is not a valid environment variable name");
        expect(recorder.constructed.map((c) => c.type)).toEqual([RUST_SERVICE_TYPE]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(mocks.resources.filter((r) => r.type !== RUST_SERVICE_TYPE)).toHaveLength(0);
    });

    it("asks the engine to print its problem list without a stack trace or a dump of the component", () => {
        installMocks();
        const error = thrownBy(() => new RustService("api", { replicas: 0 }));
        expect(pulumi.ResourceError.isInstance(error)).toBe(true);
        expect((error as pulumi.ResourceError).hideStack).toBe(true);
        expect((error as Error).message).toBe('RustService "api" has 1 invalid setting:\n  - `replicas` must be an integer >= 1, got 0');
    });

    it.each<[string, unknown, string]>([
        ["null args", null, "`args` must be an object"],
        ["a number for args", 42, "`args` must be an object, got 42"],
        ["a string for args", "str", '`args` must be an object, got "str"'],
        ["a list for args", [], "`args` must be an object"],
        ["env set to null", { env: null }, "`env` must be an object"],
        ["settings set to a list", { settings: [] }, "`settings` must be an object"],
        ["secretEnv set to null", { secretEnv: null }, "`secretEnv` must be an object"],
        ["resources set to a string", { resources: "big" }, "`resources` must be an object"],
        ["autoscaling set to a number", { autoscaling: 5 }, "`autoscaling` must be an object"],
        ["labels set to a list", { labels: [] }, "`labels` must be an object"],
        ["build set to null", { build: null }, "`build` must be an object"],
        ["registry set to a number", { registry: 42 }, "`registry` must be an object"],
        ["env values that are objects", { env: { A: {} } }, "`env.A` must be a string"],
    ])("answers %s with its problem list, never a TypeError", (_description, args, fragment) => {
        installMocks();
        const error = thrownBy(() => new RustService("api", args as RustServiceArgs));
        expect(pulumi.ResourceError.isInstance(error)).toBe(true);
        expect((error as Error).message).toMatch(/^RustService "api" has \d+ invalid settings?:\n/);
        expect((error as Error).message).toContain(fragment);
    });
});

describe("env names that are members of Object.prototype", () => {
    const names = ["constructor", "toString", "valueOf", "hasOwnProperty"];

    it("delivers them through the ConfigMap like any other name", async () => {
        const { mocks } = await deploy({ env: Object.fromEntries(names.map((n) => [n, `v-${n}`])) });
        expect(inputs(mocks.get(T.configMap)).data).toEqual(Object.fromEntries(names.map((n) => [n, `v-${n}`])));
    });

    it("delivers them through the Secret like any other name", async () => {
        const { mocks } = await deploy({ secretEnv: Object.fromEntries(names.map((n) => [n, `s-${n}`])) });
        expect(Object.keys(inputs(mocks.get(T.secret)).stringData).sort()).toEqual([...names].sort());
    });

    it("refuses __proto__, which Pulumi's Node.js SDK would drop on the way to the cluster", () => {
        installMocks();
        const error = thrownBy(() => new RustService("api", { build: { context }, env: Object.fromEntries([["__proto__", "x"]]) }));
        expect((error as Error).message).toContain("`env.__proto__` cannot be carried: Pulumi's Node.js SDK drops a map key named __proto__");
    });
});

/** What `run` throws (undefined if it returns). */
function thrownBy(run: () => unknown): unknown {
    try {
        run();
    } catch (err) {
        return err;
    }
    return undefined;
}
