import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RustServiceArgs } from "../components";
import { ArgsProblem, assertValidRustServiceArgs, displayPath, formatProblems, Namer, problemMessage, rustServiceArgsProblems } from "../components/validation";

let context: string;

beforeAll(() => {
    context = fs.mkdtempSync(path.join(os.tmpdir(), "rust-service-validate-"));
    fs.writeFileSync(path.join(context, "Dockerfile"), "FROM scratch\n");
});

afterAll(() => fs.rmSync(context, { recursive: true, force: true }));

const digest = "a".repeat(64);

/** Each problem's path and its message as the component words it (or with fields named by `name`). */
function messages(problems: ArgsProblem[], name?: Namer): { path: string; message: string }[] {
    return problems.map((p) => ({ path: p.path, message: problemMessage(p, name) }));
}

/** [description, args (the fixture build context is added), expected path, expected message fragment] */
const BAD: [string, RustServiceArgs, string, string][] = [
    ["replicas below 1", { replicas: 0 }, "replicas", "must be an integer >= 1, got 0"],
    ["fractional replicas", { replicas: 1.5 }, "replicas", "must be an integer >= 1, got 1.5"],
    ["replicas as a string", { replicas: "3" as unknown as number }, "replicas", 'must be an integer >= 1, got "3"'],
    ["an env name with a dash", { env: { "APP-MODE": "x" } }, "env.APP-MODE", "is not a valid environment variable name"],
    ["an env name starting with a digit", { env: { "1APP": "x" } }, "env.1APP", "not starting with a digit"],
    ["a secret env name with a space", { secretEnv: { "API KEY": "x" } }, "secretEnv.API KEY", "is not a valid environment variable name"],
    ["the same key in env and secretEnv", { env: { APP_TOKEN: "a" }, secretEnv: { APP_TOKEN: "b" } }, "secretEnv.APP_TOKEN", "is also in `env`"],
    ["a settings-owned name in env", { env: { PORT: "9000" } }, "env.PORT", "is set by the component from `settings.port`"],
    ["a settings-owned name in secretEnv", { secretEnv: { LOG_LEVEL: "debug" } }, "secretEnv.LOG_LEVEL", "from `settings.logLevel`"],
    ["a non-string env value", { env: { APP_N: 3 as unknown as string } }, "env.APP_N", "must be a string, got 3"],
    ["a namespace with capitals", { namespace: "Payments" }, "namespace", "must be a DNS-1123 label"],
    ["a namespace longer than 63", { namespace: "a".repeat(64) }, "namespace", "must be at most 63 characters"],
    ["creating the default namespace", { createNamespace: true }, "createNamespace", 'cannot create the built-in namespace "default"'],
    [
        "creating kube-system",
        { createNamespace: true, namespace: "kube-system" },
        "namespace",
        "is kube-system, which belongs to the cluster's own components: choose a namespace of your own",
    ],
    [
        "a secret env value that is not a string",
        { secretEnv: { APP_N: 3 as unknown as string } },
        "secretEnv.APP_N",
        "must be a string or a pulumi.Output<string>",
    ],
    ["an appName with an underscore", { appName: "rust_service" }, "appName", "must be a DNS-1123 label"],
    ["a port of 0", { settings: { port: 0 } }, "settings.port", "must be an integer from 1 to 65535, got 0"],
    ["a port above 65535", { settings: { port: 70000 } }, "settings.port", "must be an integer from 1 to 65535, got 70000"],
    ["a service port above 65535", { servicePort: 65536 }, "servicePort", "must be an integer from 1 to 65535"],
    ["a negative drain delay", { settings: { drainDelaySeconds: -1 } }, "settings.drainDelaySeconds", "must be a number of seconds >= 0, got -1"],
    ["a zero request timeout", { settings: { requestTimeoutSeconds: 0 } }, "settings.requestTimeoutSeconds", "must be a number of seconds > 0"],
    ["an empty log level", { settings: { logLevel: "" } }, "settings.logLevel", "must not be empty"],
    [
        "a grace period shorter than the drain",
        { terminationGracePeriodSeconds: 20 },
        "terminationGracePeriodSeconds",
        "must be longer than `settings.drainDelaySeconds` + `settings.shutdownDeadlineSeconds` (25s)",
    ],
    ["a grace period equal to the drain", { terminationGracePeriodSeconds: 25 }, "terminationGracePeriodSeconds", "(25s)"],
    [
        "a malformed cpu quantity",
        { resources: { requests: { cpu: "100 millicores" } } },
        "resources.requests.cpu",
        'must be a positive Kubernetes quantity such as "100m"',
    ],
    ["a malformed memory quantity", { resources: { limits: { memory: "1GB" } } }, "resources.limits.memory", "must be a positive Kubernetes quantity"],
    ["a zero memory request", { resources: { requests: { memory: "0" } } }, "resources.requests.memory", "must be a positive Kubernetes quantity"],
    [
        "a memory limit below the request",
        { resources: { requests: { memory: "512Mi" }, limits: { memory: "256Mi" } } },
        "resources.limits.memory",
        "must be >= the request (512Mi)",
    ],
    ["a cpu limit below the default request", { resources: { limits: { cpu: "50m" } } }, "resources.limits.cpu", "must be >= the request (100m)"],
    [
        "autoscaling min above max",
        { autoscaling: { minReplicas: 5, maxReplicas: 2 } },
        "autoscaling.minReplicas",
        "must be <= `autoscaling.maxReplicas` (2), got 5",
    ],
    ["autoscaling min of 0", { autoscaling: { minReplicas: 0, maxReplicas: 2 } }, "autoscaling.minReplicas", "must be an integer >= 1"],
    ["autoscaling without maxReplicas", { autoscaling: { minReplicas: 2 } as never }, "autoscaling.maxReplicas", "must be an integer >= 1"],
    [
        "an existing repository and a registry",
        { existingRepositoryUrl: `123456789012.dkr.ecr.us-east-1.amazonaws.com/api`, registry: { server: "127.0.0.1:5000", repository: "api" } },
        "registry",
        "and `existingRepositoryUrl` are mutually exclusive",
    ],
    [
        "repository settings with an existing repository",
        { existingRepositoryUrl: `123456789012.dkr.ecr.us-east-1.amazonaws.com/api`, repository: { forceDelete: true } },
        "repository",
        "configures the ECR repository the component creates",
    ],
    ["a non-ECR existing repository URL", { existingRepositoryUrl: "ghcr.io/acme/api" }, "existingRepositoryUrl", "must be an ECR repository URL"],
    [
        "a registry server with a scheme",
        { registry: { server: "https://registry.example.com", repository: "api" } },
        "registry.server",
        "without scheme or path",
    ],
    [
        "a registry repository with capitals",
        { registry: { server: "127.0.0.1:5000", repository: "Team/API" } },
        "registry.repository",
        "must be a lowercase repository path",
    ],
    [
        "a registry username without a password",
        { registry: { server: "127.0.0.1:5000", repository: "api", username: "ci" } },
        "registry",
        "needs both `username` and `password`",
    ],
    ["a zero rollout timeout", { rolloutTimeoutSeconds: 0 }, "rolloutTimeoutSeconds", "must be an integer >= 1, got 0"],
    ["an image pinned by tag only", { image: "ghcr.io/acme/api:1.2.3" }, "image", "must be pinned by digest"],
    ["an image with a short digest", { image: "ghcr.io/acme/api@sha256:abc" }, "image", "must be pinned by digest"],
    [
        "an image and build settings",
        { image: `ghcr.io/acme/api@sha256:${digest}`, build: { platform: "linux/arm64" } },
        "image",
        "and `build` are mutually exclusive",
    ],
    [
        "an image outside the named registry",
        { image: `ghcr.io/acme/api@sha256:${digest}`, registry: { server: "127.0.0.1:5000", repository: "api" } },
        "registry",
        "names the repository 127.0.0.1:5000/api, but the prebuilt `image` is in ghcr.io/acme/api",
    ],
    [
        "an image outside the existing repository",
        { image: `ghcr.io/acme/api@sha256:${digest}`, existingRepositoryUrl: `123456789012.dkr.ecr.us-east-1.amazonaws.com/api` },
        "existingRepositoryUrl",
        "but the prebuilt `image` is in ghcr.io/acme/api",
    ],
    [
        "an image and ECR repository settings",
        { image: `ghcr.io/acme/api@sha256:${digest}`, repository: { forceDelete: true } },
        "repository",
        "has no effect with a prebuilt `image`",
    ],
    ["a build context that does not exist", { build: { context: "/nonexistent/rust-service" } }, "build.context", "must be an existing directory"],
    ["a Dockerfile that does not exist", { build: { dockerfile: "/nonexistent/Dockerfile" } }, "build.dockerfile", "must lead to an existing Dockerfile"],
    ["a malformed platform", { build: { platform: "amd64" } }, "build.platform", "must be an OS/architecture such as linux/amd64"],
    ["a secret-looking build arg", { build: { args: { NPM_TOKEN: "x" } } }, "build.args.NPM_TOKEN", "looks like a secret"],
    ["a tag with a slash", { build: { tag: "feature/x" } }, "build.tag", "must be a Docker tag"],
    [
        "mutability in lower case",
        { repository: { imageTagMutability: "immutable" as "IMMUTABLE" } },
        "repository.imageTagMutability",
        "must be IMMUTABLE or MUTABLE",
    ],
    ["an ECR repository name with capitals", { repository: { name: "Team/API" } }, "repository.name", "must be an ECR repository name"],
    ["zero untagged expiry days", { repository: { untaggedImageExpiryDays: 0 } }, "repository.untaggedImageExpiryDays", "must be an integer >= 1, got 0"],
    [
        "an unknown spread mode",
        { spreadWhenUnsatisfiable: "Sometimes" as "DoNotSchedule" },
        "spreadWhenUnsatisfiable",
        "must be ScheduleAnyway or DoNotSchedule",
    ],
    ["a label overriding the selector", { labels: { "app.kubernetes.io/name": "other" } }, "labels.app.kubernetes.io/name", "is set by the component"],
    ["a label value with a space", { labels: { team: "pay ments" } }, "labels.team", "must be a label value"],
    ["a misspelt field", { replica: 3 } as RustServiceArgs, "args", "has unknown field(s) `replica`"],
    ["a misspelt nested field", { settings: { prot: 8080 } } as unknown as RustServiceArgs, "settings", "has unknown field(s) `prot`"],
    ["a KMS key that is not an ARN", { repository: { kmsKeyArn: "my-key" } }, "repository.kmsKeyArn", "must be a KMS key ARN"],
    ["a KMS key that is a number", { repository: { kmsKeyArn: 42 as unknown as string } }, "repository.kmsKeyArn", "must be a KMS key ARN"],
    [
        "a registry username that is a number",
        { registry: { server: "127.0.0.1:5000", repository: "api", username: 7 as unknown as string, password: "p" } },
        "registry.username",
        "must be a string or a pulumi.Output<string>",
    ],
    [
        "a registry password that is an object",
        { registry: { server: "127.0.0.1:5000", repository: "api", username: "ci", password: {} as unknown as string } },
        "registry.password",
        "must be a string or a pulumi.Output<string>",
    ],
    [
        "a log filter the service rejects",
        { settings: { logLevel: "verbose" } },
        "settings.logLevel",
        "must be a level (trace, debug, info, warn, error, off) or comma-separated `target=level` directives",
    ],
    ["buildOnPreview that is not a boolean", { build: { buildOnPreview: "yes" as unknown as boolean } }, "build.buildOnPreview", "must be true or false"],
    // Values the API server, the node or the service would refuse or misread later.
    [
        "replicas beyond int32",
        { replicas: 2147483648 },
        "replicas",
        "must be at most 2147483647, the largest value a Kubernetes integer field holds, got 2147483648",
    ],
    ["a rollout timeout beyond int32", { rolloutTimeoutSeconds: 2 ** 40 }, "rolloutTimeoutSeconds", "must be at most 2147483647"],
    ["autoscaling max beyond int32", { autoscaling: { minReplicas: 1, maxReplicas: 2 ** 31 } }, "autoscaling.maxReplicas", "must be at most 2147483647"],
    ["keeping more images than int32", { repository: { keepLastImages: 2 ** 31 } }, "repository.keepLastImages", "must be at most 2147483647"],
    [
        "a memory request in millibytes",
        { resources: { requests: { memory: "128m" } } },
        "resources.requests.memory",
        "is in thousandths of a byte (the suffix m is milli, not mega): write mebibytes as Mi, e.g. 128Mi",
    ],
    ["a memory limit in microbytes", { resources: { limits: { memory: "5u" } } }, "resources.limits.memory", "is in thousandths of a byte"],
    [
        "a CPU request below 1m",
        { resources: { requests: { cpu: "0.5m" } } },
        "resources.requests.cpu",
        "is below 1m, the smallest CPU amount Kubernetes schedules: use at least 1m",
    ],
    ["a CPU limit in nanocores", { resources: { limits: { cpu: "100n" } } }, "resources.limits.cpu", "is below 1m"],
    [
        "a grace period over an hour",
        { terminationGracePeriodSeconds: 3601 },
        "terminationGracePeriodSeconds",
        "must be at most 3600 (an hour): a pod that takes longer to stop holds up node drains and rollouts, got 3601",
    ],
    [
        "a drain delay that makes the grace period over an hour",
        { settings: { drainDelaySeconds: 3590 } },
        "settings.drainDelaySeconds",
        "makes `settings.drainDelaySeconds` + `settings.shutdownDeadlineSeconds` 3610s, so pods would take over an hour (3600s) to stop",
    ],
    [
        "a shutdown deadline that makes the grace period over an hour",
        { settings: { drainDelaySeconds: 1, shutdownDeadlineSeconds: 86400 } },
        "settings.shutdownDeadlineSeconds",
        "keep the sum under 3595s",
    ],
    [
        "TOKIO_WORKER_THREADS in env",
        { env: { TOKIO_WORKER_THREADS: "4" } },
        "env.TOKIO_WORKER_THREADS",
        "is set by the component from `settings.workerThreads`: set that instead",
    ],
    [
        "BODY_LIMIT_BYTES in secretEnv",
        { secretEnv: { BODY_LIMIT_BYTES: "1" } },
        "secretEnv.BODY_LIMIT_BYTES",
        "is set by the component from `settings.bodyLimitBytes`",
    ],
    ["RUST_LOG in env", { env: { RUST_LOG: "debug" } }, "env.RUST_LOG", "is not read by the service: set `settings.logLevel` instead"],
    [
        "__proto__ as an env name",
        { env: Object.fromEntries([["__proto__", "x"]]) },
        "env.__proto__",
        "cannot be carried: Pulumi's Node.js SDK drops a map key named __proto__",
    ],
    ["__proto__ as a secret env name", { secretEnv: Object.fromEntries([["__proto__", "x"]]) }, "secretEnv.__proto__", "cannot be carried"],
    ["zero worker threads", { settings: { workerThreads: 0 } }, "settings.workerThreads", "must be an integer >= 1, got 0"],
    ["deploying into kube-public", { namespace: "kube-public" }, "namespace", "is kube-public, which belongs to the cluster's own components"],
    ["deploying into kube-node-lease", { namespace: "kube-node-lease" }, "namespace", "is kube-node-lease, which belongs to the cluster's own components"],
    [
        "plain env over the ConfigMap size limit",
        { env: { BIG: "x".repeat(1024 * 1024) } },
        "env",
        "holds 1048579 bytes of names and values, more than the 1048576 bytes (1 MiB) a ConfigMap may hold",
    ],
    [
        "secret env over the Secret size limit",
        { secretEnv: { A: "x".repeat(600_000), B: "y".repeat(600_000) } },
        "secretEnv",
        "holds 1200000 bytes of values, more than the 1048576 bytes (1 MiB) a Secret may hold",
    ],
];

describe("rustServiceArgsProblems", () => {
    it("accepts the defaults and a fully specified valid set of args", () => {
        expect(rustServiceArgsProblems("api", { build: { context } })).toEqual([]);
        expect(
            rustServiceArgsProblems("api", {
                appName: "payments",
                namespace: "team-a",
                createNamespace: true,
                build: { context, platform: "linux/arm64", args: { RUST_PROFILE: "release" }, target: "runtime", cacheFrom: ["a/b:c"], tag: "v1.2.3" },
                repository: {
                    name: "team/api",
                    imageTagMutability: "MUTABLE",
                    scanOnPush: true,
                    forceDelete: true,
                    untaggedImageExpiryDays: 1,
                    keepLastImages: 5,
                },
                settings: {
                    port: 9000,
                    logLevel: "info,tower_http=debug",
                    drainDelaySeconds: 2.5,
                    shutdownDeadlineSeconds: 10,
                    requestTimeoutSeconds: 0.5,
                    bodyLimitBytes: 1024,
                },
                env: { APP_MODE: "fast", _UNDERSCORE: "ok" },
                secretEnv: { APP_TOKEN: pulumi.secret("t") },
                replicas: 3,
                resources: { requests: { cpu: "0.25", memory: "1e8" }, limits: { cpu: "1", memory: "1Gi" } },
                autoscaling: { minReplicas: 2, maxReplicas: 2 },
                terminationGracePeriodSeconds: 13,
                servicePort: 8080,
                spreadWhenUnsatisfiable: "DoNotSchedule",
                labels: { team: "payments", "example.com/tier": "backend" },
            }),
        ).toEqual([]);
    });

    it("accepts a prebuilt image that lives in the registry or existing repository the stack names", () => {
        const registry = { server: "localhost:5001", repository: "rust-service" };
        expect(rustServiceArgsProblems("api", { image: `localhost:5001/rust-service@sha256:${digest}`, registry })).toEqual([]);
        const ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api";
        expect(rustServiceArgsProblems("api", { image: `${ecr}@sha256:${digest}`, existingRepositoryUrl: ecr })).toEqual([]);
    });

    it("has at least 25 bad inputs in its table", () => {
        expect(BAD.length).toBeGreaterThanOrEqual(25);
    });

    it.each(BAD)("rejects %s", (_description, args, expectedPath, fragment) => {
        const problems = rustServiceArgsProblems("api", { ...args, build: args.image ? args.build : { context, ...args.build } });
        const atPath = problems.filter((p) => p.path === expectedPath);
        expect(atPath.map((p) => problemMessage(p)).join("\n")).toContain(fragment);
    });

    it.each([
        ["an empty name", ""],
        ["a name with capitals", "Api"],
        ["a name starting with a digit", "1api"],
        ["a name longer than 54 characters", "a".repeat(55)],
    ])("rejects %s as the component name", (_description, name) => {
        expect(messages(rustServiceArgsProblems(name, { build: { context } }))).toEqual([
            expect.objectContaining({ path: "name", message: expect.stringContaining("must be a DNS-1035 label of at most 54 characters") }),
        ]);
    });

    it("reports every problem at once, type errors and cross-field checks together", () => {
        const problems = rustServiceArgsProblems("api", {
            build: { context },
            replicas: -2,
            settings: { port: 0 },
            env: { "BAD-NAME": "x", SHARED: "1" },
            secretEnv: { SHARED: "2" },
            resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } },
        });
        expect(problems.map((p) => p.path).sort()).toEqual(["env.BAD-NAME", "replicas", "resources.limits.memory", "secretEnv.SHARED", "settings.port"]);
    });

    it("runs every cross-field check on the fields that have the right type when others do not", () => {
        const problems = rustServiceArgsProblems("api", {
            build: { context },
            registry: null as never,
            secretEnv: "APP_TOKEN=x" as never,
            env: { APP_TOKEN: "1" },
            autoscaling: null as never,
            resources: null as never,
            labels: { "app.kubernetes.io/name": "other" },
            terminationGracePeriodSeconds: 10,
        });
        expect(problems.map((p) => p.path).sort()).toEqual([
            "autoscaling",
            "labels.app.kubernetes.io/name",
            "registry",
            "resources",
            "secretEnv",
            "terminationGracePeriodSeconds",
        ]);
    });

    it("accepts int32's largest value, 1m of CPU, a grace period of an hour and data of exactly 1 MiB", () => {
        expect(
            rustServiceArgsProblems("api", {
                build: { context },
                replicas: 2147483647,
                resources: { requests: { cpu: "1m", memory: "1Mi" } },
                terminationGracePeriodSeconds: 3600,
                env: { A: "x".repeat(1024 * 1024 - 1) },
                secretEnv: { B: "y".repeat(1024 * 1024) },
            }),
        ).toEqual([]);
    });

    it("accepts env names that are members of Object.prototype as plain names", () => {
        const env = { constructor: "a", toString: "b", valueOf: "c" };
        expect(rustServiceArgsProblems("api", { build: { context }, env, secretEnv: { hasOwnProperty: "d" } })).toEqual([]);
    });

    it("still compares the grace period with the drain when the drain delay has the wrong type, using its default", () => {
        const problems = rustServiceArgsProblems("api", {
            build: { context },
            settings: { drainDelaySeconds: "5" as unknown as number },
            terminationGracePeriodSeconds: 20,
        });
        expect(problems.map((p) => p.path).sort()).toEqual(["settings.drainDelaySeconds", "terminationGracePeriodSeconds"]);
        expect(problemMessage(problems.find((p) => p.path === "terminationGracePeriodSeconds")!)).toContain("(25s)");
    });

    it("still compares the grace period with the default drain when settings is not an object", () => {
        const problems = rustServiceArgsProblems("api", { build: { context }, settings: [] as never, terminationGracePeriodSeconds: 10 });
        expect(problems.map((p) => p.path).sort()).toEqual(["settings", "terminationGracePeriodSeconds"]);
    });

    it("still compares a limit with the default request when the request has the wrong type", () => {
        const problems = rustServiceArgsProblems("api", { build: { context }, resources: { requests: { cpu: 2 as never }, limits: { cpu: "50m" } } });
        expect(messages(problems).map((p) => [p.path, p.message])).toEqual([
            ["resources.requests.cpu", 'must be a positive Kubernetes quantity such as "100m" or "0.5", got 2'],
            ["resources.limits.cpu", 'must be >= the request (100m): raise the limit or lower the request, got "50m"'],
        ]);
    });

    it("reports each of 20,000 bad env values exactly once", () => {
        const env = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`BAD-${i}`, i as unknown as string]));
        const problems = rustServiceArgsProblems("api", { build: { context }, env });
        expect(problems).toHaveLength(20_000);
        expect(new Set(problems.map((p) => p.path)).size).toBe(20_000);
    });

    it("accepts a KMS key ARN or alias ARN, and registry credentials as Outputs", () => {
        const registry = { server: "127.0.0.1:5000", repository: "api", username: pulumi.output("ci"), password: pulumi.secret("pw") };
        expect(rustServiceArgsProblems("api", { build: { context }, registry })).toEqual([]);
        for (const kmsKeyArn of [
            "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-west-2:123456789012:alias/ecr",
        ]) {
            expect(rustServiceArgsProblems("api", { build: { context }, repository: { kmsKeyArn } })).toEqual([]);
        }
    });

    it("names other fields through the namer its problems are worded with", () => {
        const problems = rustServiceArgsProblems("api", { build: { context }, env: { PORT: "1" } });
        expect(messages(problems, (p) => `<${p}>`)).toEqual([{ path: "env.PORT", message: "is set by the component from <settings.port>: set that instead" }]);
    });

    it("returns each problem as data: the path, the rule with the fields it mentions, the fix and the value", () => {
        expect(rustServiceArgsProblems("api", { build: { context }, env: { PORT: "1" }, replicas: 0 })).toEqual([
            { path: "replicas", rule: ["must be an integer >= 1"], got: "0" },
            { path: "env.PORT", rule: ["is set by the component from ", { field: "settings.port" }], fix: ["set that instead"] },
        ]);
    });

    it("never echoes a secret value in a message", () => {
        const sentinel = "sentinel-3c1d-secret";
        const problems = rustServiceArgsProblems("api", {
            build: { context },
            secretEnv: { "BAD NAME": sentinel, OK_NAME: null as unknown as string },
            registry: { server: "127.0.0.1:5000", repository: "api", password: sentinel },
        });
        expect(problems.length).toBeGreaterThanOrEqual(3);
        expect(JSON.stringify(problems)).not.toContain(sentinel);
    });
});

describe("assertValidRustServiceArgs", () => {
    it("throws one error listing every problem with its field", () => {
        expect(() => assertValidRustServiceArgs("api", { build: { context }, replicas: 0, servicePort: 0 })).toThrow(
            'RustService "api" has 2 invalid settings:\n  - `replicas` must be an integer >= 1, got 0\n  - `servicePort` must be an integer from 1 to 65535, got 0',
        );
    });

    it("returns quietly for valid args", () => {
        expect(() => assertValidRustServiceArgs("api", { build: { context } })).not.toThrow();
    });

    it("formats a single problem in the singular", () => {
        expect(formatProblems("X", [{ path: "a", rule: ["is wrong"] }])).toBe("X has 1 invalid setting:\n  - `a` is wrong");
    });

    it.each([
        ["secretEnv.APP_TOKEN", "secretEnv.APP_TOKEN"],
        ["secretEnv.hunter2 value", "secretEnv.<name not shown>"],
        ["secretEnv.a.b", "secretEnv.<name not shown>"],
        ["env.BAD NAME", "env.BAD NAME"],
        ["secretEnv", "secretEnv"],
    ])("shows the path %j as %j, hiding a secret env name too malformed to be a name", (path, shown) => {
        expect(displayPath(path)).toBe(shown);
    });
});
