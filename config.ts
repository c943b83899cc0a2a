import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
// The pure modules only: reading config must not load the cloud provider SDKs.
import { DEFAULT_RESOURCES, DEFAULTS, RustServiceArgs } from "./components/args";
import { parseEnvPairs } from "./components/envPairs";
import { asRecord } from "./components/record";
import { DEFAULT_SETTINGS } from "./components/settings";
import { rustServiceArgsProblems } from "./components/validation";
import { ENCRYPTED_NOT_SECRET, SECRET_IN_PLAIN_TEXT, StackFileSchema, StackProblem, formatStackProblem, lintConfigKey, lintStackFile } from "./stackFile";

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
    workerThreads: key.integer(0, "settings.workerThreads"),
    env: key.array("env"),
    secretEnv: key.array("secretEnv", { secret: true }),
} as const satisfies Record<string, KeySpec>;

/** A key this program reads. */
export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Typed values of every key. */
export type ConfigValues = { [K in ConfigKey]: TypeOf<(typeof CONFIG_KEYS)[K]["type"]> };

const SPECS = Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][];

/** Whether `k` is a key this program reads (an own key of {@link CONFIG_KEYS}: `constructor` is not one). */
const isConfigKey = (k: string): k is ConfigKey => Object.hasOwn(CONFIG_KEYS, k);

/** This program's keys, as the stack-file linter checks them. */
export const STACK_FILE_SCHEMA: StackFileSchema = {
    project: PROJECT,
    keys: new Map(SPECS.map(([k, spec]) => [k, { type: spec.type, secret: spec.secret === true }])),
};

/** What the program needs from the stack config. */
export interface StackConfig {
    /** Component name. */
    name: string;
    /** Component args. */
    args: RustServiceArgs;
}

/**
 * Raised with every problem in the stack config at once. A `RunError`: the Pulumi Node.js runtime prints
 * its message alone, with no stack trace, and fails the update.
 */
export class StackConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(
            `The stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"} (fix them in the stack file or with \`pulumi config set\`; keys are listed in Pulumi.yaml):\n` +
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
    return argPath.split(".").reduce<unknown>((value, part) => asRecord(value)?.[part], args);
}

/** Where an arg path comes from in the stack config: its keys, and the entry of a `NAME=value` list it is. */
interface KeyRef {
    /** The keys (an arg object with no key of its own stands for several); the arg path itself if no key fills it. */
    keys: string[];
    /** The entry name, for a path into a `NAME=value` list (`env.FOO`). */
    entry?: string;
}

/**
 * The stack config keys an arg path such as `settings.port` or `env.FOO` comes from. An arg object with
 * no key of its own stands for its keys that `args` sets (all of them without `args`). Work is
 * proportional to the number of keys this program reads, whatever the stack config holds.
 */
function keyRefForArg(argPath: string, args?: RustServiceArgs): KeyRef {
    const exact = SPECS.find(([, spec]) => spec.arg === argPath || spec.represents === argPath);
    if (exact) {
        return { keys: [exact[0]] };
    }
    const parent = SPECS.filter(([, spec]) => argPath.startsWith(`${spec.arg}.`)).sort(([, a], [, b]) => b.arg.length - a.arg.length)[0];
    if (parent) {
        return { keys: [parent[0]], entry: argPath.slice(parent[1].arg.length + 1) };
    }
    const below = SPECS.filter(([, spec]) => spec.arg.startsWith(`${argPath}.`));
    const set = below.filter(([, spec]) => argAt(args, spec.arg) !== undefined);
    return { keys: below.length > 0 ? (set.length > 0 ? set : below).map(([k]) => k) : [argPath] };
}

/** Entry indexes of each parsed `NAME=value` list, by key: how a secret list's entries are named. */
type EntryIndexes = Partial<Record<ConfigKey, ReadonlyMap<string, number>>>;

/**
 * A key reference as messages show it: `` `rust-service:env` entry `FOO` ``. An entry of a secret list is
 * named by its index only, since the text before its `=` may be a misplaced value.
 */
function showKeyRef(ref: KeyRef, indexes: EntryIndexes = {}): string {
    const named = `\`${full(ref.keys.join("/"))}\``;
    if (ref.entry === undefined) {
        return named;
    }
    const k = ref.keys[0];
    if (isConfigKey(k) && CONFIG_KEYS[k].secret) {
        const index = indexes[k]?.get(ref.entry);
        return `${named} ${index === undefined ? "has an entry that" : `entry ${index}`}`;
    }
    return `${named} entry \`${ref.entry}\``;
}

/**
 * The stack config key (and entry name) an arg path such as `settings.port` or `env.FOO` comes from.
 * An arg object with no key of its own names its keys that `args` sets (all of them without `args`).
 */
export function configKeyForArg(argPath: string, args?: RustServiceArgs): string {
    const ref = keyRefForArg(argPath, args);
    return ref.entry === undefined ? full(ref.keys.join("/")) : `${full(ref.keys[0])}\` entry \`${ref.entry}`;
}

/** Whether a key holds its declared default. */
function unchanged(k: ConfigKey, values: ConfigValues): boolean {
    return JSON.stringify(values[k]) === JSON.stringify(CONFIG_KEYS[k].default);
}

/** The component args the typed values describe; the problems of NAME=value lists go to `problems`, their entries' indexes to `indexes`. */
function toArgs(v: ConfigValues, problems: string[], indexes: EntryIndexes): RustServiceArgs {
    const pairs = (k: "env" | "secretEnv" | "buildArgs" | "repositoryTags"): Record<string, string> | undefined => {
        const { values, problems: pairProblems, indexes: entries } = parseEnvPairs(v[k]);
        problems.push(...pairProblems.map((p) => `\`${full(k)}\` ${p}`));
        indexes[k] = entries;
        return Object.keys(values).length > 0 ? values : undefined;
    };
    const optional = (value: string) => (value === "" ? undefined : value);
    const secretEnv = pairs("secretEnv") ?? {};

    // Under the CLI every key arrives with a value (Pulumi.yaml's default when the stack sets none), so
    // "unset" and "set to the default" look the same; a group that does not apply to the chosen mode
    // is passed on only with the values that differ from their defaults, for the component to report.
    const usesImage = v.image !== "";
    // Any registry key selects the generic registry, so a password without a server is reported, not dropped.
    const usesRegistry = v.registryServer !== "" || v.registryRepository !== "" || v.registryUsername !== "" || v.registryPassword !== "";
    const createsRepository = !usesImage && v.existingRepositoryUrl === "" && !usesRegistry;
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
        registry: usesRegistry
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
            workerThreads: v.workerThreads === 0 ? undefined : v.workerThreads,
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

/** How {@link parseStackConfig} reads the config. */
export interface ParseOptions {
    /** Fully qualified keys the engine holds encrypted; when absent, whether a value was encrypted is unknown (tests, plans). */
    secretKeys?: ReadonlySet<string>;
    /**
     * Problems already found in the stack file and in keys of other namespaces (reported first). A project
     * key they name is not reported again for the same rule; one whose value is unusable is checked with
     * its default.
     */
    lint?: readonly StackProblem[];
}

/**
 * Turns raw stack config (keys without the `rust-service:` prefix; values as the engine passes them,
 * strings or JSON) into component args. Unset keys take their declared defaults. Throws a
 * {@link StackConfigError} listing every problem. Pure: no Pulumi runtime needed. Linear in the number
 * of keys: each is looked up once, and each problem is mapped to its key in time independent of them.
 */
export function parseStackConfig(raw: Record<string, unknown>, options: ParseOptions = {}): StackConfig {
    const lint = options.lint ?? [];
    const problems: string[] = lint.map(formatStackProblem);
    const projectKey = (p: StackProblem) => (p.key?.startsWith(`${PROJECT}:`) ? [p.key.slice(PROJECT.length + 1)] : []);
    const linted = new Set(lint.flatMap(projectKey));
    const values: Record<string, unknown> = {};
    // Keys whose value is not used (its default stands in): problems naming them are not reported twice.
    const mistyped = new Set(lint.filter((p) => p.unusable).flatMap(projectKey));

    for (const k of Object.keys(raw).sort()) {
        const problem = isConfigKey(k) || linted.has(k) ? undefined : lintConfigKey(full(k), STACK_FILE_SCHEMA);
        if (problem !== undefined) {
            problems.push(formatStackProblem(problem));
        }
    }
    for (const [k, spec] of SPECS) {
        const given = Object.hasOwn(raw, k) ? raw[k] : undefined;
        const encrypted = options.secretKeys?.has(full(k)) === true;
        if (mistyped.has(k) || (encrypted && !spec.secret)) {
            if (!linted.has(k)) {
                problems.push(`\`${full(k)}\` ${ENCRYPTED_NOT_SECRET}`);
            }
            // Its value is not used, so no message shows it; the other keys are checked with the default.
            mistyped.add(k);
            values[k] = spec.default;
            continue;
        }
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
        if (spec.secret && given !== undefined && !empty && options.secretKeys && !encrypted && !linted.has(k)) {
            problems.push(`\`${full(k)}\` ${SECRET_IN_PLAIN_TEXT}`);
        }
    }
    const v = values as ConfigValues;
    const indexes: EntryIndexes = {};
    const args = toArgs(v, problems, indexes);

    const fieldName = (argPath: string) => showKeyRef(keyRefForArg(argPath, args));
    for (const problem of rustServiceArgsProblems(v.instanceName, args, fieldName)) {
        const ref = keyRefForArg(problem.path, args);
        // A key already reported as mistyped was checked with its default; don't report it twice.
        if (!ref.keys.some((k) => mistyped.has(k))) {
            problems.push(`${showKeyRef(ref, indexes)} ${problem.message}`);
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

/**
 * Environment variable naming the stack file the engine runs with, when it is not `Pulumi.<stack>.yaml` in
 * the working directory (the CLI's `--config-file`, which the engine does not pass on); `npm run plan` sets it.
 */
export const STACK_FILE_ENV = "RUST_SERVICE_STACK_FILE";

/** The problems of the stack file the program runs with, when it can see it. */
function stackFileProblems(): StackProblem[] {
    const file = process.env[STACK_FILE_ENV] || `Pulumi.${pulumi.getStack()}.yaml`;
    return fs.existsSync(file) ? lintStackFile(fs.readFileSync(file), path.basename(file), STACK_FILE_SCHEMA) : [];
}

/**
 * Reads this stack's config (the only place the program does) and returns validated component args.
 * The engine passes every key of every namespace but drops what it does not understand in the stack
 * file (a misspelt section, YAML it reads differently), so the stack file itself is linted too.
 */
export function loadStackConfig(): StackConfig {
    const config = new pulumi.Config(PROJECT);
    const prefix = `${PROJECT}:`;
    const allKeys = Object.keys(pulumi.runtime.allConfig());
    const fileProblems = stackFileProblems();
    const inFile = new Set(fileProblems.map((p) => p.key));
    // The project's own keys are checked by parseStackConfig; a key the file's problems name is reported once.
    const otherKeys = allKeys.filter((k) => !k.startsWith(prefix) && !inFile.has(k)).flatMap((k) => lintConfigKey(k, STACK_FILE_SCHEMA) ?? []);
    const raw = new Map(allKeys.filter((k) => k.startsWith(prefix)).map((k) => [k.slice(prefix.length), config.get(k.slice(prefix.length))]));
    return parseStackConfig(Object.fromEntries(raw), { secretKeys: secretConfigKeys(allKeys), lint: [...fileProblems, ...otherKeys] });
}
