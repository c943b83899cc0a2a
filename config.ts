import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
// The pure modules only: reading config must not load the cloud provider SDKs.
import { RustServiceArgs } from "./components/args";
import { parseEnvPairs } from "./components/envPairs";
import { asRecord } from "./components/record";
import { problemMessage, rustServiceArgsProblems } from "./components/validation";
import { ENCRYPTED_NOT_SECRET, SECRET_IN_PLAIN_TEXT, StackFileSchema, StackProblem, formatStackProblem, lintConfigKey, lintStackFile } from "./stackFile";

/** The project file: its name and the typed declaration of every key, with the stack's defaults. */
const PROJECT_FILE = path.join(__dirname, "Pulumi.yaml");
const projectFile = parseYaml(fs.readFileSync(PROJECT_FILE, "utf8")) as { name: string; config?: Record<string, { default?: unknown }> };

/** The Pulumi project name, as Pulumi.yaml gives it; stack config keys are `rust-service:<key>`. */
export const PROJECT: string = projectFile.name;

/** A config type Pulumi.yaml can declare. */
export type ConfigType = "string" | "integer" | "boolean" | "array";

type TypeOf<T extends ConfigType> = T extends "string" ? string : T extends "integer" ? number : T extends "boolean" ? boolean : string[];

/** One stack config key: its Pulumi.yaml type and the component arg it fills. Its default is in Pulumi.yaml only. */
export interface KeySpec {
    /** Pulumi.yaml `type`. */
    type: ConfigType;
    /** What a string key holds when it is not text: an integer or true/false, or "" for the component's default. */
    holds?: "integer" | "boolean";
    /** Dot path of the component arg the key fills, e.g. `settings.port`; problems with that arg name this key. */
    arg: string;
    /** An arg object this key stands for in messages (`build` is named after `buildContext`). */
    represents?: string;
    /** The values a string key accepts, when the component does not check it itself. */
    oneOf?: readonly string[];
    /** The value must be set with `pulumi config set --secret`; it is never echoed. */
    secret?: boolean;
}

type Extra = Pick<KeySpec, "represents" | "oneOf" | "secret">;

const key = {
    string: (arg: string, more: Extra = {}) => ({ ...more, type: "string" as const, arg }),
    integer: (arg: string) => ({ type: "integer" as const, arg }),
    boolean: (arg: string) => ({ type: "boolean" as const, arg }),
    array: (arg: string, more: Extra = {}) => ({ ...more, type: "array" as const, arg }),
    /** An integer in a string key, so that "" can mean the component's default (0 is a value the component refuses). */
    optionalInteger: (arg: string) => ({ type: "string" as const, holds: "integer" as const, arg }),
    /** true or false in a string key, so that "" can mean the component's default. */
    optionalBoolean: (arg: string) => ({ type: "string" as const, holds: "boolean" as const, arg }),
};

/**
 * Every key this program reads: the one declaration behind parsing, the arg each fills and the key a
 * problem names. Pulumi.yaml declares the same keys and types (a test keeps them equal), with the
 * descriptions and the defaults; config.ts reads the defaults from there. Where the component has a
 * default, Pulumi.yaml's is "unset" ("", [] or 0 where it says so), which becomes no arg at all.
 */
export const CONFIG_KEYS = {
    instanceName: key.string("name"),
    appName: key.string("appName"),
    image: key.string("image"),
    buildContext: key.string("build.context", { represents: "build" }),
    dockerfile: key.string("build.dockerfile"),
    platform: key.string("build.platform"),
    buildTarget: key.string("build.target"),
    buildArgs: key.array("build.args"),
    cacheFrom: key.array("build.cacheFrom"),
    imageTag: key.string("build.tag"),
    buildOnPreview: key.string("build.buildOnPreview", { oneOf: ["auto", "true", "false"] }),
    repositoryName: key.string("repository.name"),
    imageTagMutability: key.string("repository.imageTagMutability"),
    scanOnPush: key.optionalBoolean("repository.scanOnPush"),
    kmsKeyArn: key.string("repository.kmsKeyArn"),
    forceDelete: key.optionalBoolean("repository.forceDelete"),
    untaggedImageExpiryDays: key.optionalInteger("repository.untaggedImageExpiryDays"),
    keepLastImages: key.optionalInteger("repository.keepLastImages"),
    repositoryTags: key.array("repository.tags"),
    existingRepositoryUrl: key.string("existingRepositoryUrl"),
    registryServer: key.string("registry.server", { represents: "registry" }),
    registryRepository: key.string("registry.repository"),
    registryUsername: key.string("registry.username"),
    registryPassword: key.string("registry.password", { secret: true }),
    namespace: key.string("namespace"),
    createNamespace: key.boolean("createNamespace"),
    replicas: key.optionalInteger("replicas"),
    cpuRequest: key.string("resources.requests.cpu"),
    memoryRequest: key.string("resources.requests.memory"),
    cpuLimit: key.string("resources.limits.cpu"),
    memoryLimit: key.string("resources.limits.memory"),
    servicePort: key.optionalInteger("servicePort"),
    terminationGracePeriodSeconds: key.integer("terminationGracePeriodSeconds"),
    rolloutTimeoutSeconds: key.optionalInteger("rolloutTimeoutSeconds"),
    spreadWhenUnsatisfiable: key.string("spreadWhenUnsatisfiable"),
    autoscaling: key.boolean("autoscaling"),
    autoscalingMinReplicas: key.integer("autoscaling.minReplicas"),
    autoscalingMaxReplicas: key.integer("autoscaling.maxReplicas"),
    autoscalingCpuUtilization: key.optionalInteger("autoscaling.targetCpuUtilizationPercent"),
    port: key.optionalInteger("settings.port"),
    logLevel: key.string("settings.logLevel"),
    greeting: key.string("settings.greeting"),
    drainDelaySeconds: key.optionalInteger("settings.drainDelaySeconds"),
    shutdownDeadlineSeconds: key.optionalInteger("settings.shutdownDeadlineSeconds"),
    requestTimeoutSeconds: key.optionalInteger("settings.requestTimeoutSeconds"),
    bodyLimitBytes: key.optionalInteger("settings.bodyLimitBytes"),
    workerThreads: key.integer("settings.workerThreads"),
    env: key.array("env"),
    secretEnv: key.array("secretEnv", { secret: true }),
} as const satisfies Record<string, KeySpec>;

/** The keys of the image build (args under `build`), which a prebuilt `image` rules out. */
export const BUILD_KEYS: readonly string[] = Object.entries(CONFIG_KEYS)
    .filter(([, spec]) => spec.arg.startsWith("build."))
    .map(([k]) => k);

/** A key this program reads. */
export type ConfigKey = keyof typeof CONFIG_KEYS;

type ValueOf<S extends KeySpec> = S extends { holds: "integer" }
    ? number | undefined
    : S extends { holds: "boolean" }
      ? boolean | undefined
      : TypeOf<S["type"]>;

/** Typed values of every key; an optional integer or boolean left "" is undefined. */
export type ConfigValues = { [K in ConfigKey]: ValueOf<(typeof CONFIG_KEYS)[K]> };

const SPECS = Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][];

/** Whether `k` is a key this program reads (an own key of {@link CONFIG_KEYS}: `constructor` is not one). */
const isConfigKey = (k: string): k is ConfigKey => Object.hasOwn(CONFIG_KEYS, k);

/** This program's keys, as the stack-file linter checks them. */
export const STACK_FILE_SCHEMA: StackFileSchema = {
    project: PROJECT,
    keys: new Map(SPECS.map(([k, spec]) => [k, { type: spec.holds ?? spec.type, secret: spec.secret === true }])),
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

/** A value as the engine (or Pulumi.yaml) gives it, parsed; "" in a key that holds an integer or true/false is unset. */
function parseValue(spec: KeySpec, value: unknown): { ok: true; value: unknown } | { ok: false; rule: string } {
    if (spec.holds !== undefined && value === "") {
        return { ok: true, value: undefined };
    }
    const { schema, rule } = ENGINE_VALUE[spec.holds ?? spec.type];
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
        return { ok: false, rule };
    }
    return spec.oneOf === undefined || spec.oneOf.includes(parsed.data as string)
        ? { ok: true, value: parsed.data }
        : { ok: false, rule: `must be one of ${spec.oneOf.join(", ")}` };
}

/**
 * Pulumi.yaml's default of every key, parsed: the one place the stack's defaults are written. The CLI
 * passes them for the keys a stack does not set; tests and `npm run plan` get them from here.
 */
const DEFAULT_VALUES = readDefaults(PROJECT_FILE);

function readDefaults(file: string): ConfigValues {
    const declared = projectFile.config ?? {};
    const defaults = SPECS.map(([k, spec]) => {
        const parsed = parseValue(spec, declared[k]?.default);
        if (!parsed.ok) {
            throw new Error(`${file}: the default of \`${k}\` ${parsed.rule}`);
        }
        return [k, parsed.value];
    });
    return Object.fromEntries(defaults) as ConfigValues;
}

/** A key as the stack config names it in messages (`rust-service:port`). */
const full = (k: string) => `${PROJECT}:${k}`;

/** The value at a dot path of the args, if set. */
function argAt(args: RustServiceArgs | undefined, argPath: string): unknown {
    return argPath.split(".").reduce<unknown>((value, part) => asRecord(value)?.[part], args);
}

/** The key each arg path comes from, and the key an arg object stands for (`build`, `registry`): one map, built once. */
const KEY_OF_ARG = new Map<string, ConfigKey>(
    SPECS.flatMap(([k, spec]) => [...(spec.represents ? [[spec.represents, k] as const] : []), [spec.arg, k] as const]),
);

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
    const parts = argPath.split(".");
    for (let i = parts.length; i > 0; i--) {
        const k = KEY_OF_ARG.get(parts.slice(0, i).join("."));
        if (k !== undefined) {
            return i === parts.length ? { keys: [k] } : { keys: [k], entry: parts.slice(i).join(".") };
        }
    }
    // An arg object no key fills as a whole (`repository`, `resources.limits`).
    const under = SPECS.filter(([, spec]) => spec.arg.startsWith(`${argPath}.`));
    const set = under.filter(([, spec]) => argAt(args, spec.arg) !== undefined);
    return { keys: under.length > 0 ? (set.length > 0 ? set : under).map(([k]) => k) : [argPath] };
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
    if (isConfigKey(k) && (CONFIG_KEYS[k] as KeySpec).secret) {
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

/** The object without its unset fields; undefined when none is set. */
function setFields<T extends object>(fields: T): T | undefined {
    const set = Object.entries(fields).filter(([, value]) => value !== undefined);
    return set.length > 0 ? (Object.fromEntries(set) as T) : undefined;
}

/**
 * The component args the typed values describe; the problems of NAME=value lists go to `problems`, their
 * entries' indexes to `indexes`. A key the stack does not set holds Pulumi.yaml's default, which is unset
 * ("", [], 0 where its description says so) wherever the component has a default of its own, so an arg is
 * passed exactly when the stack sets it, and the component's default applies otherwise.
 */
function toArgs(v: ConfigValues, problems: string[], indexes: EntryIndexes): RustServiceArgs {
    const pairs = (k: "env" | "secretEnv" | "buildArgs" | "repositoryTags"): Record<string, string> | undefined => {
        const { values, problems: pairProblems, indexes: entries } = parseEnvPairs(v[k]);
        problems.push(...pairProblems.map((p) => `\`${full(k)}\` ${p}`));
        indexes[k] = entries;
        return Object.keys(values).length > 0 ? values : undefined;
    };
    const optional = (value: string) => (value === "" ? undefined : value);
    const secretEnv = pairs("secretEnv") ?? {};
    // Any registry key selects the generic registry, so a password without a server is reported, not dropped.
    const usesRegistry = v.registryServer !== "" || v.registryRepository !== "" || v.registryUsername !== "" || v.registryPassword !== "";

    return {
        appName: optional(v.appName),
        namespace: v.namespace,
        createNamespace: v.createNamespace,
        image: optional(v.image),
        build: setFields({
            context: optional(v.buildContext),
            dockerfile: optional(v.dockerfile),
            platform: optional(v.platform),
            target: optional(v.buildTarget),
            args: pairs("buildArgs"),
            cacheFrom: v.cacheFrom.length > 0 ? v.cacheFrom : undefined,
            tag: optional(v.imageTag),
            buildOnPreview: v.buildOnPreview === "auto" ? undefined : v.buildOnPreview === "true",
        }),
        repository: setFields({
            name: optional(v.repositoryName),
            imageTagMutability: optional(v.imageTagMutability) as "IMMUTABLE" | "MUTABLE" | undefined,
            scanOnPush: v.scanOnPush,
            kmsKeyArn: optional(v.kmsKeyArn),
            forceDelete: v.forceDelete,
            untaggedImageExpiryDays: v.untaggedImageExpiryDays,
            keepLastImages: v.keepLastImages,
            tags: pairs("repositoryTags"),
        }),
        existingRepositoryUrl: optional(v.existingRepositoryUrl),
        registry: usesRegistry
            ? {
                  server: v.registryServer,
                  repository: v.registryRepository,
                  username: optional(v.registryUsername),
                  password: v.registryPassword === "" ? undefined : pulumi.secret(v.registryPassword),
              }
            : undefined,
        settings: setFields({
            port: v.port,
            logLevel: optional(v.logLevel),
            greeting: optional(v.greeting),
            drainDelaySeconds: v.drainDelaySeconds,
            shutdownDeadlineSeconds: v.shutdownDeadlineSeconds,
            requestTimeoutSeconds: v.requestTimeoutSeconds,
            bodyLimitBytes: v.bodyLimitBytes,
            workerThreads: v.workerThreads === 0 ? undefined : v.workerThreads,
        }),
        env: pairs("env") ?? {},
        secretEnv: Object.fromEntries(Object.entries(secretEnv).map(([name, value]) => [name, pulumi.secret(value)])),
        replicas: v.replicas,
        resources: setFields({
            requests: setFields({ cpu: optional(v.cpuRequest), memory: optional(v.memoryRequest) }),
            limits: setFields({ cpu: optional(v.cpuLimit), memory: optional(v.memoryLimit) }),
        }),
        autoscaling: v.autoscaling
            ? { minReplicas: v.autoscalingMinReplicas, maxReplicas: v.autoscalingMaxReplicas, targetCpuUtilizationPercent: v.autoscalingCpuUtilization }
            : undefined,
        terminationGracePeriodSeconds: v.terminationGracePeriodSeconds === 0 ? undefined : v.terminationGracePeriodSeconds,
        servicePort: v.servicePort,
        rolloutTimeoutSeconds: v.rolloutTimeoutSeconds,
        spreadWhenUnsatisfiable: optional(v.spreadWhenUnsatisfiable) as "ScheduleAnyway" | "DoNotSchedule" | undefined,
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
 * strings or JSON) into component args. Unset keys take Pulumi.yaml's defaults. Throws a
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
            values[k] = DEFAULT_VALUES[k];
            continue;
        }
        const parsed = given === undefined ? { ok: true as const, value: DEFAULT_VALUES[k] } : parseValue(spec, given);
        if (!parsed.ok) {
            problems.push(`\`${full(k)}\` ${parsed.rule}${spec.secret ? "" : `, got ${JSON.stringify(given)}`}`);
            mistyped.add(k);
            // Carry on with the default so the other keys are still checked.
            values[k] = DEFAULT_VALUES[k];
            continue;
        }
        values[k] = parsed.value;
        const empty = parsed.value === "" || (Array.isArray(parsed.value) && parsed.value.length === 0);
        if (spec.secret && given !== undefined && !empty && options.secretKeys && !encrypted && !linted.has(k)) {
            problems.push(`\`${full(k)}\` ${SECRET_IN_PLAIN_TEXT}`);
        }
    }
    const v = values as ConfigValues;
    const indexes: EntryIndexes = {};
    const args = toArgs(v, problems, indexes);

    const fieldName = (argPath: string) => showKeyRef(keyRefForArg(argPath, args));
    for (const problem of rustServiceArgsProblems(v.instanceName, args)) {
        const ref = keyRefForArg(problem.path, args);
        // A key already reported as mistyped was checked with its default; don't report it twice.
        if (!ref.keys.some((k) => mistyped.has(k))) {
            problems.push(`${showKeyRef(ref, indexes)} ${problemMessage(problem, fieldName)}`);
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
