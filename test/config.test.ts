import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { DEFAULTS, DEFAULT_RESOURCES, resolveBuildPaths, resolveResources } from "../components/args";
import { DEFAULT_SETTINGS, resolveSettings } from "../components/settings";
import {
    CONFIG_KEYS,
    PROJECT,
    STACK_FILE_ENV,
    StackConfig,
    StackConfigError,
    configKeyForArg,
    loadStackConfig,
    parseStackConfig,
    ParseOptions,
} from "../config";
import { ENCRYPTED_NOT_SECRET } from "../stackFile";
import { RecordingMocks, isWrappedSecret, unwrapSecrets } from "./mocks";

const root = path.join(__dirname, "..");
const project = parseYaml(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
const devStack = parseYaml(fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8"));
const digest = "b".repeat(64);

/** Stack config as the engine passes it to the program: every value a string, structured values as JSON. */
function engineConfig(stackFile: { config: Record<string, unknown> }): Record<string, string> {
    return Object.fromEntries(Object.entries(stackFile.config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}

/** This project's keys of a stack file, without the `rust-service:` prefix, as parseStackConfig takes them. */
function projectKeys(stackFile: { config: Record<string, unknown> }): Record<string, string> {
    return Object.fromEntries(
        Object.entries(engineConfig(stackFile))
            .filter(([key]) => key.startsWith(`${PROJECT}:`))
            .map(([key, value]) => [key.slice(PROJECT.length + 1), value]),
    );
}

/** Pulumi.yaml's defaults as the CLI passes them for the keys a stack does not set (`%v` of each; JSON for lists). */
const engineDefaults: Record<string, string> = Object.fromEntries(
    Object.entries(project.config as Record<string, { default: unknown }>).map(([key, spec]) => [
        key,
        Array.isArray(spec.default) ? JSON.stringify(spec.default) : String(spec.default),
    ]),
);

/** The default the component gives an arg (the service's own for `settings`), by the arg's path; undefined if none. */
function componentDefault(arg: string): unknown {
    const [head, ...rest] = arg.split(".");
    if (head === "settings") {
        return DEFAULT_SETTINGS[rest[0] as keyof typeof DEFAULT_SETTINGS];
    }
    if (head === "resources") {
        return DEFAULT_RESOURCES[rest[0] as "requests" | "limits"][rest[1] as "cpu" | "memory"];
    }
    return (DEFAULTS as Record<string, unknown>)[arg.split(".").pop()!];
}

/** Keys whose Pulumi.yaml default deliberately differs from the component's (the comment above each says why). */
const PROGRAM_OWN = ["namespace", "createNamespace"];

function problemsOf(raw: Record<string, unknown>, secretKeys?: ReadonlySet<string>, options: ParseOptions = {}): readonly string[] {
    try {
        parseStackConfig(raw, { secretKeys, ...options });
    } catch (err) {
        if (err instanceof StackConfigError) {
            return err.problems;
        }
        throw err;
    }
    return [];
}

describe("Pulumi.yaml", () => {
    it("declares a TypeScript nodejs project named rust-service", () => {
        expect(project.name).toBe(PROJECT);
        expect(project.main).toBe("index.ts");
        expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: true, packagemanager: "npm" } });
        expect(typeof project.description).toBe("string");
    });

    it("declares exactly the keys config.ts reads, with the same types", () => {
        const declared = Object.fromEntries(Object.entries(project.config as Record<string, { type: string }>).map(([key, spec]) => [key, spec.type]));
        expect(declared).toEqual(Object.fromEntries(Object.entries(CONFIG_KEYS).map(([key, spec]) => [key, spec.type])));
    });

    it("is where config.ts takes its defaults from: the program gets the same args with or without the CLI passing them", () => {
        expect(parseStackConfig(engineDefaults)).toEqual(parseStackConfig({}));
    });

    it("gives every key a description and a default of its type (a key without one would be required)", () => {
        for (const [key, spec] of Object.entries(
            project.config as Record<string, { type: string; default: unknown; description: string; items?: { type: string } }>,
        )) {
            expect([key, typeof spec.description]).toEqual([key, "string"]);
            const expectedType = { string: "string", integer: "number", boolean: "boolean", array: "object" }[spec.type];
            expect([key, typeof spec.default]).toEqual([key, expectedType]);
            if (spec.type === "array") {
                expect(spec.items).toEqual({ type: "string" });
                expect(Array.isArray(spec.default)).toBe(true);
            }
            if (spec.type === "integer") {
                expect(Number.isInteger(spec.default)).toBe(true);
            }
        }
    });

    it("leaves each default the component has to the component: unset here, named in words, or one of the program's own", () => {
        const declared = project.config as Record<string, { default: unknown; description: string }>;
        const withComponentDefault = Object.entries(CONFIG_KEYS).filter(([, spec]) => componentDefault(spec.arg) !== undefined);
        expect(withComponentDefault.length).toBeGreaterThan(20);
        for (const [key, spec] of withComponentDefault) {
            const value = componentDefault(spec.arg);
            if (PROGRAM_OWN.includes(key)) {
                expect([key, declared[key].default]).not.toEqual([key, value]);
                continue;
            }
            const owner = spec.arg.startsWith("settings.") ? "service" : "component";
            expect([key, declared[key].default, declared[key].description]).toEqual([
                key,
                "",
                expect.stringContaining(`Empty = the ${owner}'s default, ${String(value)}.`),
            ]);
        }
    });

    it("says above the program's own namespace defaults, truly, what the component's are", () => {
        const comment = /((?: {2}#.*\n)+) {2}namespace:/.exec(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"))?.[1];
        expect(comment).toContain(`The component deploys into \`${DEFAULTS.namespace}\` and creates no namespace`);
        expect(DEFAULTS.createNamespace).toBe(false);
    });

    it("passes no arg for a key it leaves to the component, so the component's default applies", () => {
        const { args } = parseStackConfig({});
        const passed = (arg: string) => arg.split(".").reduce<unknown>((value, part) => (value as Record<string, unknown> | undefined)?.[part], args);
        const leftToComponent = Object.entries(CONFIG_KEYS).filter(([key, spec]) => componentDefault(spec.arg) !== undefined && !PROGRAM_OWN.includes(key));
        expect(leftToComponent.filter(([, spec]) => passed(spec.arg) !== undefined)).toEqual([]);
    });
});

describe("parseStackConfig", () => {
    it("turns an empty stack config into the Pulumi.yaml defaults, and the component's where those leave it to the component", () => {
        const { name, args } = parseStackConfig({});
        expect(name).toBe("rust-service");
        expect(args).toMatchObject({ namespace: "rust-service", createNamespace: true, env: {}, secretEnv: {} });
        // As the component resolves what it is not given (components/rustService.ts).
        const repository = { ...DEFAULTS, ...args.repository };
        expect({
            build: { context: resolveBuildPaths(args.build).context, platform: args.build?.platform ?? DEFAULTS.platform },
            repository: {
                imageTagMutability: repository.imageTagMutability,
                scanOnPush: repository.scanOnPush,
                forceDelete: repository.forceDelete,
                untaggedImageExpiryDays: repository.untaggedImageExpiryDays,
                keepLastImages: repository.keepLastImages,
            },
            replicas: args.replicas ?? DEFAULTS.replicas,
            settings: resolveSettings(args.settings),
            resources: resolveResources(args.resources),
        }).toMatchObject({
            build: { context: "service", platform: "linux/amd64" },
            repository: { imageTagMutability: "IMMUTABLE", scanOnPush: true, forceDelete: false, untaggedImageExpiryDays: 7, keepLastImages: 30 },
            replicas: 2,
            settings: DEFAULT_SETTINGS,
            resources: DEFAULT_RESOURCES,
        });
        expect(args.image).toBeUndefined();
        expect(args.existingRepositoryUrl).toBeUndefined();
        expect(args.registry).toBeUndefined();
        expect(args.autoscaling).toBeUndefined();
        expect(args.terminationGracePeriodSeconds).toBeUndefined();
    });

    it("reads the dev stack file as the engine passes it", () => {
        const { args } = parseStackConfig(projectKeys(devStack));
        expect(args).toMatchObject({
            namespace: "rust-service-dev",
            replicas: 3,
            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
            env: { APP_ENVIRONMENT: "dev", APP_FEATURE_ECHO: "enabled" },
            repository: { forceDelete: true },
        });
    });

    it.each(fs.readdirSync(root).filter((file) => /^Pulumi\.[^.]+\.yaml$/.test(file)))("accepts every key in %s", (file) => {
        const raw = projectKeys(parseYaml(fs.readFileSync(path.join(root, file), "utf8")));
        expect(Object.keys(raw).length).toBeGreaterThan(0);
        expect(problemsOf(raw)).toEqual([]);
    });

    it("parses integers, booleans and NAME=value lists from engine strings", () => {
        const { args } = parseStackConfig({
            replicas: "4",
            createNamespace: "false",
            env: '["A=1","B=x=y"]',
            buildArgs: '["RUST_PROFILE=release"]',
            cacheFrom: '["example.com/cache:main"]',
            autoscaling: "true",
            autoscalingMaxReplicas: "8",
            terminationGracePeriodSeconds: "60",
            rolloutTimeoutSeconds: "90",
        });
        expect(args).toMatchObject({
            replicas: 4,
            createNamespace: false,
            env: { A: "1", B: "x=y" },
            build: { args: { RUST_PROFILE: "release" }, cacheFrom: ["example.com/cache:main"] },
            autoscaling: { minReplicas: 2, maxReplicas: 8 },
            terminationGracePeriodSeconds: 60,
            rolloutTimeoutSeconds: 90,
        });
        expect(args.autoscaling!.targetCpuUtilizationPercent ?? DEFAULTS.targetCpuUtilizationPercent).toBe(70);
    });

    it('parses the integers and true/false of string keys, leaving "" to the component', () => {
        const { args } = parseStackConfig({
            replicas: "",
            servicePort: "8080",
            drainDelaySeconds: "0",
            scanOnPush: "false",
            forceDelete: "",
            autoscaling: "true",
            autoscalingCpuUtilization: "85",
        });
        expect(args.replicas).toBeUndefined();
        expect(args.servicePort).toBe(8080);
        expect(args.settings).toEqual({ drainDelaySeconds: 0 });
        expect(args.repository).toEqual({ scanOnPush: false });
        expect(args.autoscaling).toEqual({ minReplicas: 2, maxReplicas: 5, targetCpuUtilizationPercent: 85 });
        expect(problemsOf({ scanOnPush: "yes", keepLastImages: "many" })).toEqual([
            '`rust-service:scanOnPush` must be true or false, got "yes"',
            '`rust-service:keepLastImages` must be an integer, got "many"',
        ]);
    });

    it("passes repository tags to the ECR repository it creates, so a stack can declare mutable tags deliberate", () => {
        const { args } = parseStackConfig({ imageTagMutability: "MUTABLE", repositoryTags: '["mutable-tags-reason=dev re-pushes :dev","team=payments"]' });
        expect(args.repository).toMatchObject({ imageTagMutability: "MUTABLE", tags: { "mutable-tags-reason": "dev re-pushes :dev", team: "payments" } });
        expect(parseStackConfig({}).args.repository?.tags).toBeUndefined();
        expect(problemsOf({ repositoryTags: '["team"]' })).toEqual(["`rust-service:repositoryTags` entry 0 must have the form NAME=value"]);
    });

    it("wraps secret env values and the registry password as Pulumi secrets", async () => {
        const { args } = parseStackConfig(
            {
                secretEnv: '["APP_TOKEN=s3cr3t"]',
                registryServer: "127.0.0.1:5000",
                registryRepository: "rust-service",
                registryUsername: "ci",
                registryPassword: "pw",
            },
            { secretKeys: new Set([`${PROJECT}:secretEnv`, `${PROJECT}:registryPassword`]) },
        );
        expect(Object.keys(args.secretEnv!)).toEqual(["APP_TOKEN"]);
        expect(await pulumi.isSecret(pulumi.output(args.secretEnv!.APP_TOKEN))).toBe(true);
        expect(await pulumi.isSecret(pulumi.output(args.registry!.password!))).toBe(true);
    });

    it("selects the prebuilt-image mode without build or repository settings", () => {
        const { args } = parseStackConfig({ image: `ghcr.io/acme/api@sha256:${digest}` });
        expect(args.image).toBe(`ghcr.io/acme/api@sha256:${digest}`);
        expect(args.build).toBeUndefined();
        expect(args.repository).toBeUndefined();
    });

    it("selects the existing-repository and generic-registry modes without repository settings", () => {
        const existing = parseStackConfig({ existingRepositoryUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api" }).args;
        expect(existing.repository).toBeUndefined();
        expect(resolveBuildPaths(existing.build).context).toBe("service");
        const generic = parseStackConfig({ registryServer: "127.0.0.1:5000", registryRepository: "rust-service" }).args;
        expect(generic.repository).toBeUndefined();
        expect(generic.registry).toEqual({ server: "127.0.0.1:5000", repository: "rust-service", username: undefined, password: undefined });
    });

    it.each<[string, Record<string, unknown>, string]>([
        ["a replica count below 1", { replicas: "0" }, "`rust-service:replicas` must be an integer >= 1, got 0"],
        ["a replica count that is not a number", { replicas: "three" }, '`rust-service:replicas` must be an integer, got "three"'],
        ["a boolean that is not true/false", { createNamespace: "yes" }, '`rust-service:createNamespace` must be true or false, got "yes"'],
        ["env that is not a list", { env: '{"A":"1"}' }, "`rust-service:env` must be a list of strings"],
        ["an env entry without '='", { env: '["APP_MODE"]' }, "`rust-service:env` entry 0 must have the form NAME=value"],
        ["an invalid env name", { env: '["APP-MODE=x"]' }, "`rust-service:env` entry `APP-MODE` is not a valid environment variable name"],
        [
            "a name in env and secretEnv",
            { env: '["APP_TOKEN=a"]', secretEnv: '["APP_TOKEN=b"]' },
            "`rust-service:secretEnv` entry 0 is also in `rust-service:env`",
        ],
        [
            "a settings-owned env name",
            { env: '["PORT=1"]' },
            "`rust-service:env` entry `PORT` is set by the component from `rust-service:port`: set that instead",
        ],
        ["a bad memory limit", { memoryLimit: "1GB" }, "`rust-service:memoryLimit` must be a positive Kubernetes quantity"],
        ["a limit below the request", { cpuRequest: "2", cpuLimit: "1" }, "`rust-service:cpuLimit` must be >= the request (2)"],
        ["a zero rollout timeout", { rolloutTimeoutSeconds: "0" }, "`rust-service:rolloutTimeoutSeconds` must be an integer >= 1, got 0"],
        [
            "a grace period shorter than the drain",
            { terminationGracePeriodSeconds: "10" },
            "`rust-service:terminationGracePeriodSeconds` must be longer than `rust-service:drainDelaySeconds` + `rust-service:shutdownDeadlineSeconds` (25s)",
        ],
        [
            "autoscaling min above max",
            { autoscaling: "true", autoscalingMinReplicas: "6", autoscalingMaxReplicas: "3" },
            "`rust-service:autoscalingMinReplicas` must be <= `rust-service:autoscalingMaxReplicas` (3), got 6",
        ],
        [
            "an existing repository and a registry",
            { existingRepositoryUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api", registryServer: "127.0.0.1:5000", registryRepository: "api" },
            "`rust-service:registryServer` and `rust-service:existingRepositoryUrl` are mutually exclusive",
        ],
        [
            "an ECR setting with another registry",
            { registryServer: "127.0.0.1:5000", registryRepository: "api", forceDelete: "true" },
            "configures the ECR repository the component creates",
        ],
        [
            "repository tags with an existing repository",
            { existingRepositoryUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api", repositoryTags: '["team=x"]' },
            "configures the ECR repository the component creates",
        ],
        [
            "a build setting with a prebuilt image",
            { image: `ghcr.io/acme/api@sha256:${digest}`, platform: "linux/arm64" },
            "`rust-service:image` and `rust-service:buildContext` are mutually exclusive",
        ],
        ["an unpinned image", { image: "ghcr.io/acme/api:latest" }, "`rust-service:image` must be pinned by digest"],
        ["an instance name with capitals", { instanceName: "RustService" }, "`rust-service:instanceName` must be a DNS-1035 label"],
        ["a misspelt key", { replica: "3" }, "`rust-service:replica` is not a setting of this program"],
        [
            "registry credentials without a registry",
            { registryUsername: "ci" },
            '`rust-service:registryServer` must be a registry host[:port] such as 127.0.0.1:5000, without scheme or path, got ""',
        ],
        [
            "a misspelt key, offering the nearest valid one",
            { namepsace: "x" },
            "`rust-service:namepsace` is not a setting of this program: did you mean `rust-service:namespace`?",
        ],
        ["a key named like a member of Object.prototype", { constructor: "x" }, "`rust-service:constructor` is not a setting of this program"],
        [
            "__proto__ as an env name",
            { env: '["__proto__=x"]' },
            "`rust-service:env` entry `__proto__` cannot be carried: Pulumi's Node.js SDK drops a map key named __proto__",
        ],
        [
            "the runtime's worker count set through env",
            { env: '["TOKIO_WORKER_THREADS=4"]' },
            "`rust-service:env` entry `TOKIO_WORKER_THREADS` is set by the component from `rust-service:workerThreads`: set that instead",
        ],
        [
            "RUST_LOG, which the service does not read",
            { env: '["RUST_LOG=debug"]' },
            "`rust-service:env` entry `RUST_LOG` is not read by the service: set `rust-service:logLevel` instead",
        ],
        [
            "a settings-owned name in secretEnv, by index",
            { secretEnv: '["APP_A=1","PORT=1"]' },
            "`rust-service:secretEnv` entry 1 is set by the component from `rust-service:port`: set that instead",
        ],
        [
            "a repeated secret env name, by index",
            { secretEnv: '["APP_A=1","APP_A=2"]' },
            "`rust-service:secretEnv` entry 1 repeats the name of entry 0: keep one",
        ],
        [
            "a replica count beyond int32",
            { replicas: "2147483648" },
            "`rust-service:replicas` must be at most 2147483647, the largest value a Kubernetes integer field holds, got 2147483648",
        ],
        [
            "a memory limit in millibytes",
            { memoryLimit: "128m" },
            "`rust-service:memoryLimit` is in thousandths of a byte (the suffix m is milli, not mega): write mebibytes as Mi, e.g. 128Mi",
        ],
        ["a CPU request below 1m", { cpuRequest: "0.1m" }, "`rust-service:cpuRequest` is below 1m, the smallest CPU amount Kubernetes schedules"],
        [
            "a drain that makes pods take over an hour to stop",
            { drainDelaySeconds: "4000" },
            "`rust-service:drainDelaySeconds` makes `rust-service:drainDelaySeconds` + `rust-service:shutdownDeadlineSeconds` 4020s, so pods would take over an hour",
        ],
        [
            "a grace period over an hour",
            { terminationGracePeriodSeconds: "7200" },
            "`rust-service:terminationGracePeriodSeconds` must be at most 3600 (an hour)",
        ],
        [
            "a namespace of the cluster's own",
            { namespace: "kube-system", createNamespace: "false" },
            "`rust-service:namespace` is kube-system, which belongs to the cluster's own components: choose a namespace of your own",
        ],
        [
            "plain env over the ConfigMap size limit",
            { env: JSON.stringify([`BIG=${"x".repeat(1024 * 1024)}`]) },
            "`rust-service:env` holds 1048579 bytes of names and values, more than the 1048576 bytes (1 MiB) a ConfigMap may hold",
        ],
    ])("rejects %s", (_description, raw, expected) => {
        expect(problemsOf(raw).join("\n")).toContain(expected);
    });

    it("reports every problem at once", () => {
        const problems = problemsOf({ replicas: "0", port: "99999", memoryLimit: "lots", env: '["1BAD=x"]', createNamespace: "maybe", typo: "x" });
        expect(problems).toHaveLength(6);
    });

    it("rejects secrets stored in plain text and never echoes them", () => {
        const problems = problemsOf(
            {
                secretEnv: '["APP_TOKEN=plain-sentinel-77"]',
                registryServer: "127.0.0.1:5000",
                registryRepository: "api",
                registryUsername: "ci",
                registryPassword: "plain-sentinel-77",
            },
            new Set(),
        );
        expect(problems).toEqual([
            "`rust-service:registryPassword` holds a secret in plain text: set it again with `pulumi config set --secret`",
            "`rust-service:secretEnv` holds a secret in plain text: set it again with `pulumi config set --secret`",
        ]);
        expect(problemsOf({ secretEnv: "not json plain-sentinel-77" }).join()).not.toContain("plain-sentinel-77");
    });

    it("throws an error whose message lists each problem on its own line", () => {
        expect(() => parseStackConfig({ replicas: "0", servicePort: "0" })).toThrow(
            /has 2 problems.*\n {2}- `rust-service:replicas` must be an integer >= 1, got 0\n {2}- `rust-service:servicePort` must be an integer from 1 to 65535, got 0$/,
        );
    });

    it("throws a RunError, which the Pulumi runtime prints without a stack trace", () => {
        let error: unknown;
        try {
            parseStackConfig({ replicas: "0" });
        } catch (err) {
            error = err;
        }
        expect(pulumi.RunError.isInstance(error)).toBe(true);
        expect(error).toBeInstanceOf(StackConfigError);
    });

    it("passes the worker thread count to the service, and leaves it to the service at 0", () => {
        expect(parseStackConfig({ workerThreads: "4" }).args.settings!.workerThreads).toBe(4);
        expect(parseStackConfig({}).args.settings?.workerThreads).toBeUndefined();
    });

    it("keeps env names that are members of Object.prototype as plain names", () => {
        const { env } = parseStackConfig({ env: '["constructor=a","toString=b","valueOf=c"]' }).args;
        expect(Object.entries(env!)).toEqual([
            ["constructor", "a"],
            ["toString", "b"],
            ["valueOf", "c"],
        ]);
    });

    it("refuses encrypted values on keys that are not secret, checking the rest with their defaults and showing neither", () => {
        const problems = problemsOf(
            { replicas: "encrypted-sentinel-1", greeting: "encrypted-sentinel-2" },
            new Set([`${PROJECT}:replicas`, `${PROJECT}:greeting`]),
        );
        expect(problems).toEqual([`\`${PROJECT}:replicas\` ${ENCRYPTED_NOT_SECRET}`, `\`${PROJECT}:greeting\` ${ENCRYPTED_NOT_SECRET}`]);
    });

    it("still checks the grace period against the drain when the drain delay is mistyped, using its default", () => {
        expect(problemsOf({ drainDelaySeconds: "soon", terminationGracePeriodSeconds: "10" })).toEqual([
            '`rust-service:drainDelaySeconds` must be an integer, got "soon"',
            "`rust-service:terminationGracePeriodSeconds` must be longer than `rust-service:drainDelaySeconds` + `rust-service:shutdownDeadlineSeconds` (25s), or Kubernetes kills pods mid-drain: raise it or leave it unset, got 10",
        ]);
    });

    it("reports the stack file's problems first, and a key they name not again", () => {
        const lint = [
            { file: "Pulumi.dev.yaml", line: 4, key: `${PROJECT}:replica`, message: "is not a setting of this program: did you mean `rust-service:replicas`?" },
        ];
        expect(problemsOf({ replica: "3", replicas: "0" }, undefined, { lint })).toEqual([
            "Pulumi.dev.yaml:4: `rust-service:replica` is not a setting of this program: did you mean `rust-service:replicas`?",
            "`rust-service:replicas` must be an integer >= 1, got 0",
        ]);
    });

    it("checks everything else with the default of a key whose value the stack file cannot give", () => {
        const lint = [
            {
                file: "Pulumi.dev.yaml",
                line: 2,
                key: `${PROJECT}:replicas`,
                unusable: true,
                message: "is a list, but it takes an integer: give a single value",
            },
        ];
        expect(problemsOf({ replicas: "[3]", terminationGracePeriodSeconds: "10" }, undefined, { lint })).toEqual([
            "Pulumi.dev.yaml:2: `rust-service:replicas` is a list, but it takes an integer: give a single value",
            expect.stringContaining("`rust-service:terminationGracePeriodSeconds` must be longer than"),
        ]);
    });

    it("reports each of 20,000 misspelt keys once", () => {
        const raw = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`replica${i}`, "3"]));
        expect(problemsOf(raw)).toHaveLength(20_000);
    });
});

describe("one declaration per key", () => {
    const localStack = parseYaml(fs.readFileSync(path.join(root, "Pulumi.local.yaml"), "utf8"));

    it("accepts the local stack with a prebuilt image from its own registry, as the end-to-end tests run it", () => {
        const raw = { ...projectKeys(localStack), image: `localhost:5001/rust-service@sha256:${digest}` };
        expect(problemsOf(raw)).toEqual([]);
        const { args } = parseStackConfig(raw);
        expect(args.build).toBeUndefined();
        expect(args.repository).toBeUndefined();
        expect(args.registry).toMatchObject({ server: "localhost:5001", repository: "rust-service" });
    });

    it.each<[string, Record<string, unknown>, boolean | undefined]>([
        ["auto (the default) to the component's CI rule", {}, undefined],
        ["true", { buildOnPreview: "true" }, true],
        ["false", { buildOnPreview: "false" }, false],
    ])("passes buildOnPreview %s", (_description, raw, expected) => {
        expect(parseStackConfig(raw).args.build?.buildOnPreview).toBe(expected);
    });

    it.each<[string, Record<string, unknown>, string]>([
        [
            "a buildOnPreview that is not auto/true/false",
            { buildOnPreview: "yes" },
            '`rust-service:buildOnPreview` must be one of auto, true, false, got "yes"',
        ],
        [
            "a log filter the service refuses at start-up",
            { logLevel: "verbose" },
            '`rust-service:logLevel` must be a level (trace, debug, info, warn, error, off) or comma-separated `target=level` directives such as `info,rust_service=debug` (no spaces, span or field filters), got "verbose"',
        ],
        ["a KMS key that is not an ARN", { kmsKeyArn: "my-key" }, "`rust-service:kmsKeyArn` must be a KMS key ARN"],
        [
            "an ECR setting with another registry, naming the key that was set",
            { registryServer: "127.0.0.1:5000", registryRepository: "api", forceDelete: "true" },
            "`rust-service:forceDelete` configures the ECR repository the component creates, which it does not with `rust-service:existingRepositoryUrl` or `rust-service:registryServer`: remove it",
        ],
        [
            "a registry URL for ECR, pointing at the generic registry keys",
            { existingRepositoryUrl: "ghcr.io/acme/api" },
            "for another registry use `rust-service:registryServer`",
        ],
    ])("rejects %s", (_description, raw, expected) => {
        expect(problemsOf(raw).join("\n")).toContain(expected);
    });

    it.each(["info", "info,tower_http=debug", "warn,access=off"])("accepts the log filter %j", (logLevel) => {
        expect(problemsOf({ logLevel })).toEqual([]);
    });

    it("treats a key set to its default like an unset one, since the engine passes Pulumi.yaml's defaults as values", () => {
        const { args } = parseStackConfig({ ...engineDefaults, image: `ghcr.io/acme/api@sha256:${digest}` });
        expect(args.build).toBeUndefined();
        expect(args.repository).toBeUndefined();
    });

    it("reports a build or ECR key that a stack sets in a mode where it does nothing, even to the component's default", () => {
        expect(problemsOf({ image: `ghcr.io/acme/api@sha256:${digest}`, platform: "linux/amd64" }).join("\n")).toContain(
            "`rust-service:image` and `rust-service:buildContext` are mutually exclusive",
        );
        expect(problemsOf({ registryServer: "127.0.0.1:5000", registryRepository: "api", scanOnPush: "true" }).join("\n")).toContain(
            "`rust-service:scanOnPush` configures the ECR repository the component creates",
        );
    });
});

describe("configKeyForArg", () => {
    it("names the keys an arg object's set fields come from, or all of them", () => {
        expect(configKeyForArg("repository", { repository: { forceDelete: true, keepLastImages: 3 } })).toBe("rust-service:forceDelete/keepLastImages");
        expect(configKeyForArg("repository")).toBe(
            "rust-service:repositoryName/imageTagMutability/scanOnPush/kmsKeyArn/forceDelete/untaggedImageExpiryDays/keepLastImages/repositoryTags",
        );
        expect(configKeyForArg("build")).toBe("rust-service:buildContext");
        expect(configKeyForArg("registry")).toBe("rust-service:registryServer");
    });

    it.each([
        ["settings.port", "rust-service:port"],
        ["resources.limits.memory", "rust-service:memoryLimit"],
        ["build.args.NPM_TOKEN", "rust-service:buildArgs` entry `NPM_TOKEN"],
        ["env.FOO", "rust-service:env` entry `FOO"],
        ["registry.password", "rust-service:registryPassword"],
        ["autoscaling.targetCpuUtilizationPercent", "rust-service:autoscalingCpuUtilization"],
        ["replicas", "rust-service:replicas"],
        ["name", "rust-service:instanceName"],
    ])("maps %s to %s", (arg, key) => {
        expect(configKeyForArg(arg)).toBe(key);
    });
});

describe("loadStackConfig", () => {
    // loadStackConfig reads the runtime config when called, not when imported, so no module isolation is needed.
    afterEach(() => {
        pulumi.runtime.setAllConfig({}, []);
        delete process.env[STACK_FILE_ENV];
    });

    function load(config: Record<string, string>, secretKeys: string[] = []): StackConfig {
        pulumi.runtime.setAllConfig(config, secretKeys);
        return loadStackConfig();
    }

    /** A stack file with this text, named by the variable the program reads when it is not Pulumi.<stack>.yaml. */
    function stackFile(text: string): void {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-")), "Pulumi.ci.yaml");
        fs.writeFileSync(file, text);
        process.env[STACK_FILE_ENV] = file;
    }

    function messageOf(run: () => unknown): string {
        try {
            run();
        } catch (err) {
            return (err as Error).message;
        }
        return "";
    }

    it("reads this project's keys from the stack config and accepts the providers' keys", () => {
        const { name, args } = load({
            "rust-service:replicas": "5",
            "rust-service:instanceName": "api",
            "aws:region": "eu-west-1",
            "kubernetes:context": "kind",
        });
        expect(name).toBe("api");
        expect(args.replicas).toBe(5);
    });

    it("accepts secrets the CLI encrypted and rejects the same values in plain text", () => {
        const config = { "rust-service:secretEnv": '["APP_TOKEN=x"]' };
        expect(Object.keys(load(config, ["rust-service:secretEnv"]).args.secretEnv!)).toEqual(["APP_TOKEN"]);
        expect(() => load(config)).toThrow("`rust-service:secretEnv` holds a secret in plain text");
    });

    it("reports a misspelt key of this project", () => {
        expect(() => load({ "rust-service:namepsace": "x" })).toThrow("`rust-service:namepsace` is not a setting of this program");
    });

    it("checks the keys of every namespace, offering the nearest valid one", () => {
        expect(() => load({ "kubernets:context": "kind", "aws:regoin": "eu-west-1" })).toThrow(
            /`kubernets:context` is in the namespace `kubernets`, which nothing in this program reads .*: did you mean `kubernetes:context`\?\n {2}- `aws:regoin` is not a setting of the aws provider: did you mean `aws:region`\?$/,
        );
    });

    it("refuses an encrypted value on a key that is not secret", () => {
        expect(() => load({ "rust-service:greeting": "hi" }, ["rust-service:greeting"])).toThrow(`\`rust-service:greeting\` ${ENCRYPTED_NOT_SECRET}`);
    });

    it("reports the mistakes of the stack file it runs with, by line, with those of the values", () => {
        stackFile("confg:\n  rust-service:replicas: 3\nconfig:\n  rust-service:greeting: [a]\n");
        const message = messageOf(() => load({ "rust-service:greeting": '["a"]', "rust-service:replicas": "0" }));
        expect(message).toContain("The stack configuration has 3 problems");
        expect(message).toContain("  - Pulumi.ci.yaml:1: has the section `confg`, which Pulumi ignores with everything under it");
        expect(message).toContain("  - Pulumi.ci.yaml:4: `rust-service:greeting` is a list, but it takes a string: give a single value");
        expect(message).toContain("  - `rust-service:replicas` must be an integer >= 1, got 0");
    });

    it("reports a key that the stack file and the engine both hold only once, with its line", () => {
        stackFile("config:\n  kubernets:context: kind\n");
        const message = messageOf(() => load({ "kubernets:context": "kind" }));
        expect(message).toContain("The stack configuration has 1 problem ");
        expect(message).toContain("  - Pulumi.ci.yaml:2: `kubernets:context` is in the namespace `kubernets`");
    });

    it("looks for Pulumi.<stack>.yaml in the working directory when no other file is named", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-dir-"));
        fs.writeFileSync(path.join(dir, "Pulumi.lint-test.yaml"), "config:\n  rust-service:replicas: [3]\n");
        const cwd = process.cwd();
        pulumi.runtime.setMocks(new RecordingMocks(), PROJECT, "lint-test");
        process.chdir(dir);
        try {
            expect(() => load({ "rust-service:replicas": '["3"]' })).toThrow(
                "Pulumi.lint-test.yaml:2: `rust-service:replicas` is a list, but it takes an integer",
            );
        } finally {
            process.chdir(cwd);
        }
    });
});

describe("the program (index.ts) on the dev stack", () => {
    // Each test loads the program and every provider SDK afresh (index.ts reads config on import),
    // which takes seconds on a busy two-core machine.
    const LOAD_TIMEOUT_MS = 60_000;

    /** Loads index.ts afresh (it reads config on import) with the dev stack's config under mocks. */
    function runProgram(preview: boolean): { mocks: RecordingMocks; program: Record<string, pulumi.Output<string>> } {
        const mocks = new RecordingMocks(preview);
        let program: Record<string, pulumi.Output<string>> = {};
        const config = engineConfig(devStack);
        config["rust-service:secretEnv"] = '["APP_API_TOKEN=dev-sentinel-42"]';
        // A fresh module registry per run: the program reads its config and mocks at import,
        // which only `require` inside `isolateModules` can repeat.
        jest.isolateModules(() => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const isolated = require("@pulumi/pulumi") as typeof pulumi;
            isolated.runtime.setAllConfig(config, ["rust-service:secretEnv"]);
            isolated.runtime.setMocks(mocks, PROJECT, "dev", preview);
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            program = require("../index");
        });
        return { mocks, program };
    }

    it(
        "previews with unknown provider outputs without hanging",
        async () => {
            const { mocks, program } = runProgram(true);
            // eslint-disable-next-line @typescript-eslint/no-explicit-any -- `isKnown` is internal to Output: no public API tells a preview unknown apart
            expect(await (program.imageRef as any).isKnown).toBe(false);
            expect(await new Promise((resolve) => program.namespace.apply(resolve))).toBe("rust-service-dev");
            await settledCount(mocks, 11);
            expect(
                pulumi.isUnknown(
                    (mocks.get("kubernetes:apps/v1:Deployment").inputs as { spec: { template: { spec: { containers: { image: unknown }[] } } } }).spec.template
                        .spec.containers[0].image,
                ),
            ).toBe(true);
        },
        LOAD_TIMEOUT_MS,
    );

    it(
        "registers the service under one RustService and exports its outputs",
        async () => {
            const { mocks, program } = runProgram(false);
            const outputs = Object.fromEntries(
                await Promise.all(Object.entries(program).map(async ([key, output]) => [key, await new Promise((resolve) => output.apply(resolve))])),
            );
            const listed = mocks.resources.filter((r) => !r.type.startsWith("pulumi:providers:")).map((r) => `${r.type}::${r.name}`);
            expect(listed.sort()).toEqual(
                [
                    "rust-service:index:RustService::rust-service",
                    "aws:ecr/repository:Repository::rust-service",
                    "aws:ecr/lifecyclePolicy:LifecyclePolicy::rust-service",
                    "docker:index/image:Image::rust-service",
                    "kubernetes:core/v1:Namespace::rust-service",
                    "kubernetes:core/v1:ServiceAccount::rust-service",
                    "kubernetes:core/v1:ConfigMap::rust-service-env",
                    "kubernetes:core/v1:Secret::rust-service-secret-env",
                    "kubernetes:apps/v1:Deployment::rust-service",
                    "kubernetes:core/v1:Service::rust-service",
                    "kubernetes:policy/v1:PodDisruptionBudget::rust-service",
                ].sort(),
            );
            expect(Object.keys(outputs).sort()).toEqual(["deploymentName", "imageRef", "namespace", "repositoryUrl", "serviceName", "url"]);
            expect(outputs.namespace).toBe("rust-service-dev");
            expect(outputs.imageRef).toMatch(/@sha256:[a-f0-9]{64}$/);
            expect(outputs.url).toBe(`http://${outputs.serviceName}.rust-service-dev.svc.cluster.local:80`);
            const deployment = unwrapSecrets(mocks.get("kubernetes:apps/v1:Deployment").inputs) as { spec: { replicas: number } };
            expect(deployment.spec.replicas).toBe(3);
            expect(isWrappedSecret(mocks.get("kubernetes:core/v1:Secret").inputs.stringData)).toBe(true);
            for (const r of mocks.resources.filter((x) => x.type !== "kubernetes:core/v1:Secret")) {
                expect(JSON.stringify(r.inputs)).not.toContain("dev-sentinel-42");
            }
        },
        LOAD_TIMEOUT_MS,
    );
});

/** Waits until the mocks have seen `count` resources other than providers. */
async function settledCount(mocks: RecordingMocks, count: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (mocks.resources.filter((r) => !r.type.startsWith("pulumi:providers:")).length < count) {
        if (Date.now() > deadline) {
            throw new Error(`only ${mocks.resources.length} resources registered`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}
