import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
// The pure modules only: reading config must not load the cloud provider SDKs.
import { DEFAULT_RESOURCES, DEFAULTS, RustServiceArgs } from "./components/args";
import { DEFAULT_SETTINGS, isRecord, parseEnvPairs } from "./components/helpers";
import { rustServiceArgsProblems } from "./components/validation";

/** The Pulumi project name; stack config keys are `rust-service:<key>`. */
export const PROJECT = "rust-service";

/** A config type Pulumi.yaml can declare. */
export type ConfigType = "string" | "integer" | "boolean" | "array";

type TypeOf<T extends ConfigType> = T extends "string" ? string : T extends "integer" ? number : T extends "boolean" ? boolean : string[];

/** One stack config key: its Pulumi.yaml type and default, and the component arg it fills. */
export interface KeySpec<T extends ConfigType = ConfigType> {
    /** Pulumi.yaml `type`. */
    type: T;
    /** Pulumi.yaml `default`; also the value when the program runs without the CLI (tests, `npm run plan`). */
    default: TypeOf<T>;
    /** Dot path of the component arg the key fills, e.g. `settings.port`; problems with that arg name this key. */
    arg: string;
    /** An arg object this key stands for in messages (`build` is named after `buildContext`). */
    represents?: string;
    /** The values a string key accepts, when the component does not check it itself. */
    oneOf?: readonly string[];
    /** The value must be set with `pulumi config set --secret`; it is never echoed. */
    secret?: boolean;
}

const key = {
    string: (fallback: string, arg: string, more: Partial<KeySpec<"string">> = {}): KeySpec<"string"> => ({ type: "string", default: fallback, arg, ...more }),
    integer: (fallback: number, arg: string): KeySpec<"integer"> => ({ type: "integer", default: fallback, arg }),
    boolean: (fallback: boolean, arg: string): KeySpec<"boolean"> => ({ type: "boolean", default: fallback, arg }),
    array: (arg: string, more: Partial<KeySpec<"array">> = {}): KeySpec<"array"> => ({ type: "array", default: [], arg, ...more }),
};

/**
 * Every key this program reads: the one declaration behind parsing, defaults, the arg each fills and
 * the key a problem names. Pulumi.yaml declares the same types and defaults (a test keeps them equal)
 * and adds descriptions. An empty string or 0 means "unset" where Pulumi.yaml says so.
 */
export const CONFIG_KEYS = {
    instanceName: key.string("rust-service", "name"),
    appName: key.string(DEFAULTS.appName, "appName"),
    image: key.string("", "image"),
    buildContext: key.string("service", "build.context", { represents: "build" }),
    dockerfile: key.string("", "build.dockerfile"),
    platform: key.string(DEFAULTS.platform, "build.platform"),
    buildTarget: key.string("", "build.target"),
    buildArgs: key.array("build.args"),
    cacheFrom: key.array("build.cacheFrom"),
    imageTag: key.string("", "build.tag"),
    buildOnPreview: key.string("auto", "build.buildOnPreview", { oneOf: ["auto", "true", "false"] }),
    repositoryName: key.string("", "repository.name"),
    imageTagMutability: key.string(DEFAULTS.imageTagMutability, "repository.imageTagMutability"),
    scanOnPush: key.boolean(DEFAULTS.scanOnPush, "repository.scanOnPush"),
    kmsKeyArn: key.string("", "repository.kmsKeyArn"),
    forceDelete: key.boolean(DEFAULTS.forceDelete, "repository.forceDelete"),
    untaggedImageExpiryDays: key.integer(DEFAULTS.untaggedImageExpiryDays, "repository.untaggedImageExpiryDays"),
    keepLastImages: key.integer(DEFAULTS.keepLastImages, "repository.keepLastImages"),
    repositoryTags: key.array("repository.tags"),
    existingRepositoryUrl: key.string("", "existingRepositoryUrl"),
    registryServer: key.string("", "registry.server", { represents: "registry" }),
    registryRepository: key.string("", "registry.repository"),
    registryUsername: key.string("", "registry.username"),
    registryPassword: key.string("", "registry.password", { secret: true }),
    namespace: key.string("rust-service", "namespace"),
    createNamespace: key.boolean(true, "createNamespace"),
    replicas: key.integer(DEFAULTS.replicas, "replicas"),
    cpuRequest: key.string(DEFAULT_RESOURCES.requests.cpu, "resources.requests.cpu"),
    memoryRequest: key.string(DEFAULT_RESOURCES.requests.memory, "resources.requests.memory"),
    cpuLimit: key.string(DEFAULT_RESOURCES.limits.cpu, "resources.limits.cpu"),
    memoryLimit: key.string(DEFAULT_RESOURCES.limits.memory, "resources.limits.memory"),
    servicePort: key.integer(DEFAULTS.servicePort, "servicePort"),
    terminationGracePeriodSeconds: key.integer(0, "terminationGracePeriodSeconds"),
    rolloutTimeoutSeconds: key.integer(DEFAULTS.rolloutTimeoutSeconds, "rolloutTimeoutSeconds"),
    spreadWhenUnsatisfiable: key.string(DEFAULTS.spreadWhenUnsatisfiable, "spreadWhenUnsatisfiable"),
    autoscaling: key.boolean(false, "autoscaling"),
    autoscalingMinReplicas: key.integer(2, "autoscaling.minReplicas"),
    autoscalingMaxReplicas: key.integer(5, "autoscaling.maxReplicas"),
    autoscalingCpuUtilization: key.integer(DEFAULTS.targetCpuUtilizationPercent, "autoscaling.targetCpuUtilizationPercent"),
    port: key.integer(DEFAULT_SETTINGS.port, "settings.port"),
    logLevel: key.string(DEFAULT_SETTINGS.logLevel, "settings.logLevel"),
    greeting: key.string(DEFAULT_SETTINGS.greeting, "settings.greeting"),
    drainDelaySeconds: key.integer(DEFAULT_SETTINGS.drainDelaySeconds, "settings.drainDelaySeconds"),
    shutdownDeadlineSeconds: key.integer(DEFAULT_SETTINGS.shutdownDeadlineSeconds, "settings.shutdownDeadlineSeconds"),
    requestTimeoutSeconds: key.integer(DEFAULT_SETTINGS.requestTimeoutSeconds, "settings.requestTimeoutSeconds"),
    bodyLimitBytes: key.integer(DEFAULT_SETTINGS.bodyLimitBytes, "settings.bodyLimitBytes"),
    env: key.array("env"),
    secretEnv: key.array("secretEnv", { secret: true }),
} as const satisfies Record<string, KeySpec>;

/** A key this program reads. */
export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Typed values of every key. */
export type ConfigValues = { [K in ConfigKey]: TypeOf<(typeof CONFIG_KEYS)[K]["type"]> };

const SPECS = Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][];

/** What the program needs from the stack config. */
export interface StackConfig {
    /** Component name. */
    name: string;
    /** Component args. */
    args: RustServiceArgs;
}

/** Raised with every problem in the stack config at once. */
export class StackConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `The stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"} (fix them with \`pulumi config set\`, keys are listed in Pulumi.yaml):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "StackConfigError";
    }
}

const NOT_JSON = Symbol("not JSON");

// Values arrive as the engine passes them (strings; JSON for lists) or natively (Pulumi.yaml defaults).
const ENGINE_VALUE: Record<ConfigType, { schema: z.ZodType; rule: string }> = {
    string: { schema: z.string(), rule: "must be a string" },
    integer: {
        schema: z.preprocess((v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v), z.number().int().refine(Number.isSafeInteger)),
        rule: "must be an integer",
    },
    boolean: { schema: z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean()), rule: "must be true or false" },
    array: {
        schema: z.preprocess((v) => {
            if (typeof v !== "string") {
                return v;
            }
            try {
                return JSON.parse(v);
            } catch {
                return NOT_JSON;
            }
        }, z.array(z.string())),
        rule: "must be a list of strings",
    },
};

/** A key as the stack config names it in messages (`rust-service:port`). */
const full = (k: string) => `${PROJECT}:${k}`;

/** The value at a dot path of the args, if set. */
function argAt(args: RustServiceArgs | undefined, argPath: string): unknown {
    return argPath.split(".").reduce<unknown>((value, part) => (isRecord(value) ? value[part] : undefined), args);
}

/**
 * The stack config key (and entry name) an arg path such as `settings.port` or `env.FOO` comes from.
 * An arg object with no key of its own names its keys that `args` sets (all of them without `args`).
 */
export function configKeyForArg(argPath: string, args?: RustServiceArgs): string {
    const exact = SPECS.find(([, spec]) => spec.arg === argPath || spec.represents === argPath);
    if (exact) {
        return full(exact[0]);
    }
    const parent = SPECS.filter(([, spec]) => argPath.startsWith(`${spec.arg}.`)).sort(([, a], [, b]) => b.arg.length - a.arg.length)[0];
    if (parent) {
        return `${full(parent[0])}\` entry \`${argPath.slice(parent[1].arg.length + 1)}`;
    }
    const below = SPECS.filter(([, spec]) => spec.arg.startsWith(`${argPath}.`));
    const set = below.filter(([, spec]) => argAt(args, spec.arg) !== undefined);
    return below.length > 0 ? full((set.length > 0 ? set : below).map(([k]) => k).join("/")) : full(argPath);
}

/** Whether a key holds its declared default. */
function unchanged(k: ConfigKey, values: ConfigValues): boolean {
    return JSON.stringify(values[k]) === JSON.stringify(CONFIG_KEYS[k].default);
}

/** The component args the typed values describe; the problems of NAME=value lists go to `problems`. */
function toArgs(v: ConfigValues, problems: string[]): RustServiceArgs {
    const pairs = (k: "env" | "secretEnv" | "buildArgs" | "repositoryTags"): Record<string, string> | undefined => {
        const { values, problems: pairProblems } = parseEnvPairs(v[k]);
        problems.push(...pairProblems.map((p) => `\`${full(k)}\` ${p}`));
        return Object.keys(values).length > 0 ? values : undefined;
    };
    const optional = (value: string) => (value === "" ? undefined : value);
    const secretEnv = pairs("secretEnv") ?? {};

    // Under the CLI every key arrives with a value (Pulumi.yaml's default when the stack sets none), so
    // "unset" and "set to the default" look the same; a group that does not apply to the chosen mode
    // is passed on only with the values that differ from their defaults, for the component to report.
    const usesImage = v.image !== "";
    const createsRepository = !usesImage && v.existingRepositoryUrl === "" && v.registryServer === "" && v.registryRepository === "";
    const group = (prefix: string, applies: boolean) => {
        const keys = SPECS.filter(([, spec]) => spec.arg.startsWith(`${prefix}.`)).map(([k]) => k);
        const given = new Set(applies ? keys : keys.filter((k) => !unchanged(k, v)));
        return { passed: given.size > 0, has: (k: ConfigKey) => given.has(k) };
    };
    const build = group("build", !usesImage);
    const repository = group("repository", createsRepository);
    const onlyIf = <T>(has: boolean, value: T) => (has ? value : undefined);

    return {
        appName: v.appName,
        namespace: v.namespace,
        createNamespace: v.createNamespace,
        image: optional(v.image),
        build: build.passed
            ? {
                  context: onlyIf(build.has("buildContext"), v.buildContext),
                  dockerfile: onlyIf(build.has("dockerfile"), optional(v.dockerfile)),
                  platform: onlyIf(build.has("platform"), v.platform),
                  target: onlyIf(build.has("buildTarget"), optional(v.buildTarget)),
                  args: onlyIf(build.has("buildArgs"), pairs("buildArgs")),
                  cacheFrom: onlyIf(build.has("cacheFrom"), v.cacheFrom.length > 0 ? v.cacheFrom : undefined),
                  tag: onlyIf(build.has("imageTag"), optional(v.imageTag)),
                  buildOnPreview: onlyIf(build.has("buildOnPreview"), v.buildOnPreview === "auto" ? undefined : v.buildOnPreview === "true"),
              }
            : undefined,
        repository: repository.passed
            ? {
                  name: onlyIf(repository.has("repositoryName"), optional(v.repositoryName)),
                  imageTagMutability: onlyIf(repository.has("imageTagMutability"), v.imageTagMutability as "IMMUTABLE" | "MUTABLE"),
                  scanOnPush: onlyIf(repository.has("scanOnPush"), v.scanOnPush),
                  kmsKeyArn: onlyIf(repository.has("kmsKeyArn"), optional(v.kmsKeyArn)),
                  forceDelete: onlyIf(repository.has("forceDelete"), v.forceDelete),
                  untaggedImageExpiryDays: onlyIf(repository.has("untaggedImageExpiryDays"), v.untaggedImageExpiryDays),
                  keepLastImages: onlyIf(repository.has("keepLastImages"), v.keepLastImages),
                  tags: onlyIf(repository.has("repositoryTags"), pairs("repositoryTags")),
              }
            : undefined,
        existingRepositoryUrl: optional(v.existingRepositoryUrl),
        registry:
            v.registryServer !== "" || v.registryRepository !== ""
                ? {
                      server: v.registryServer,
                      repository: v.registryRepository,
                      username: optional(v.registryUsername),
                      password: v.registryPassword === "" ? undefined : pulumi.secret(v.registryPassword),
                  }
                : undefined,
        settings: {
            port: v.port,
            logLevel: v.logLevel,
            greeting: v.greeting,
            drainDelaySeconds: v.drainDelaySeconds,
            shutdownDeadlineSeconds: v.shutdownDeadlineSeconds,
            requestTimeoutSeconds: v.requestTimeoutSeconds,
            bodyLimitBytes: v.bodyLimitBytes,
        },
        env: pairs("env") ?? {},
        secretEnv: Object.fromEntries(Object.entries(secretEnv).map(([name, value]) => [name, pulumi.secret(value)])),
        replicas: v.replicas,
        resources: {
            requests: { cpu: v.cpuRequest, memory: v.memoryRequest },
            limits: { cpu: v.cpuLimit, memory: v.memoryLimit },
        },
        autoscaling: v.autoscaling
            ? { minReplicas: v.autoscalingMinReplicas, maxReplicas: v.autoscalingMaxReplicas, targetCpuUtilizationPercent: v.autoscalingCpuUtilization }
            : undefined,
        terminationGracePeriodSeconds: v.terminationGracePeriodSeconds === 0 ? undefined : v.terminationGracePeriodSeconds,
        servicePort: v.servicePort,
        rolloutTimeoutSeconds: v.rolloutTimeoutSeconds,
        spreadWhenUnsatisfiable: v.spreadWhenUnsatisfiable as "ScheduleAnyway" | "DoNotSchedule",
    };
}

/**
 * Turns raw stack config (keys without the `rust-service:` prefix; values as the engine passes them,
 * strings or JSON) into component args. Unset keys take their declared defaults. Throws a
 * {@link StackConfigError} listing every problem. Pure: no Pulumi runtime needed.
 */
export function parseStackConfig(raw: Record<string, unknown>, options: { secretKeys?: ReadonlySet<string> } = {}): StackConfig {
    const problems: string[] = [];
    const values: Record<string, unknown> = {};
    const mistyped = new Set<string>();

    for (const k of Object.keys(raw).sort()) {
        if (!(k in CONFIG_KEYS)) {
            problems.push(`\`${full(k)}\` is not a setting of this program: check the spelling against Pulumi.yaml or remove it with \`pulumi config rm ${k}\``);
        }
    }
    for (const [k, spec] of SPECS) {
        const given = raw[k];
        const { schema, rule } = ENGINE_VALUE[spec.type];
        const parsed = schema.safeParse(given ?? spec.default);
        const allowed = parsed.success && (spec.oneOf === undefined || spec.oneOf.includes(parsed.data as string));
        if (!allowed) {
            const shown = spec.secret ? "" : `, got ${JSON.stringify(given)}`;
            problems.push(`\`${full(k)}\` ${spec.oneOf && parsed.success ? `must be one of ${spec.oneOf.join(", ")}` : rule}${shown}`);
            mistyped.add(k);
            // Carry on with the default so the other keys are still checked.
            values[k] = spec.default;
            continue;
        }
        values[k] = parsed.data;
        const empty = parsed.data === "" || (Array.isArray(parsed.data) && parsed.data.length === 0);
        if (spec.secret && given !== undefined && !empty && options.secretKeys && !options.secretKeys.has(full(k))) {
            problems.push(`\`${full(k)}\` holds a secret in plain text: set it again with \`pulumi config set --secret\``);
        }
    }
    const v = values as ConfigValues;
    const args = toArgs(v, problems);

    const fieldName = (argPath: string) => `\`${configKeyForArg(argPath, args)}\``;
    for (const problem of rustServiceArgsProblems(v.instanceName, args, fieldName)) {
        const named = configKeyForArg(problem.path, args);
        // A key already reported as mistyped was checked with its default; don't report it twice.
        const keys = named.split("`")[0].slice(PROJECT.length + 1).split("/");
        if (!keys.some((k) => mistyped.has(k))) {
            problems.push(`\`${named}\` ${problem.message}`);
        }
    }
    if (problems.length > 0) {
        throw new StackConfigError(problems);
    }
    return { name: v.instanceName, args };
}

/** Secret config keys, when the SDK tells (its `isConfigSecret` is internal, so this degrades to "unknown"). */
function secretConfigKeys(keys: readonly string[]): ReadonlySet<string> | undefined {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (key: string) => boolean };
    if (typeof runtimeConfig.isConfigSecret !== "function") {
        return undefined;
    }
    return new Set(keys.filter((k) => runtimeConfig.isConfigSecret!(k)));
}

/** Reads this stack's config (the only place the program does) and returns validated component args. */
export function loadStackConfig(): StackConfig {
    const config = new pulumi.Config(PROJECT);
    const prefix = `${PROJECT}:`;
    const allKeys = Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(prefix));
    const raw: Record<string, unknown> = {};
    for (const fullKey of allKeys) {
        const k = fullKey.slice(prefix.length);
        raw[k] = config.get(k);
    }
    return parseStackConfig(raw, { secretKeys: secretConfigKeys(allKeys) });
}
