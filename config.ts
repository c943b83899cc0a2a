import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
// The pure modules only: reading config must not load the cloud provider SDKs.
import { RustServiceArgs } from "./components/args";
import { parseEnvPairs } from "./components/helpers";
import { rustServiceArgsProblems } from "./components/validation";

/** The Pulumi project name; stack config keys are `rust-service:<key>`. */
export const PROJECT = "rust-service";

/** A config type Pulumi.yaml can declare. */
export type ConfigType = "string" | "integer" | "boolean" | "array";

/** Every key this program reads, with its Pulumi.yaml type. */
export const CONFIG_KEYS = {
    instanceName: "string",
    appName: "string",
    image: "string",
    buildContext: "string",
    dockerfile: "string",
    platform: "string",
    buildTarget: "string",
    buildArgs: "array",
    cacheFrom: "array",
    imageTag: "string",
    repositoryName: "string",
    imageTagMutability: "string",
    scanOnPush: "boolean",
    kmsKeyArn: "string",
    forceDelete: "boolean",
    untaggedImageExpiryDays: "integer",
    keepLastImages: "integer",
    repositoryTags: "array",
    existingRepositoryUrl: "string",
    registryServer: "string",
    registryRepository: "string",
    registryUsername: "string",
    registryPassword: "string",
    namespace: "string",
    createNamespace: "boolean",
    replicas: "integer",
    cpuRequest: "string",
    memoryRequest: "string",
    cpuLimit: "string",
    memoryLimit: "string",
    servicePort: "integer",
    terminationGracePeriodSeconds: "integer",
    rolloutTimeoutSeconds: "integer",
    spreadWhenUnsatisfiable: "string",
    autoscaling: "boolean",
    autoscalingMinReplicas: "integer",
    autoscalingMaxReplicas: "integer",
    autoscalingCpuUtilization: "integer",
    port: "integer",
    logLevel: "string",
    greeting: "string",
    drainDelaySeconds: "integer",
    shutdownDeadlineSeconds: "integer",
    requestTimeoutSeconds: "integer",
    bodyLimitBytes: "integer",
    env: "array",
    secretEnv: "array",
} as const satisfies Record<string, ConfigType>;

/** A key this program reads. */
export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Typed values of every key. */
export type ConfigValues = {
    [K in ConfigKey]: (typeof CONFIG_KEYS)[K] extends "string"
        ? string
        : (typeof CONFIG_KEYS)[K] extends "integer"
          ? number
          : (typeof CONFIG_KEYS)[K] extends "boolean"
            ? boolean
            : string[];
};

/** Keys whose values must be set with `pulumi config set --secret`. */
export const SECRET_KEYS: readonly ConfigKey[] = ["registryPassword", "secretEnv"];

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

/** Reads the `config:` defaults declared in Pulumi.yaml. */
export function projectConfigDefaults(file = path.join(__dirname, "Pulumi.yaml")): Partial<Record<string, unknown>> {
    const project = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, { default?: unknown }> };
    return Object.fromEntries(Object.entries(project.config ?? {}).map(([key, spec]) => [key, spec.default]));
}

const ruleFor: Record<ConfigType, string> = {
    string: "must be a string",
    integer: "must be an integer",
    boolean: "must be true or false",
    array: "must be a list of strings",
};

/** Converts a raw config value (a string from the engine, or a native value from Pulumi.yaml) to its declared type. */
function coerce(type: ConfigType, value: unknown): { ok: true; value: unknown } | { ok: false } {
    if (type === "string") {
        return typeof value === "string" ? { ok: true, value } : { ok: false };
    }
    if (type === "integer") {
        const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
        return Number.isSafeInteger(n) ? { ok: true, value: n } : { ok: false };
    }
    if (type === "boolean") {
        if (typeof value === "boolean") {
            return { ok: true, value };
        }
        return value === "true" || value === "false" ? { ok: true, value: value === "true" } : { ok: false };
    }
    let list = value;
    if (typeof value === "string") {
        try {
            list = JSON.parse(value);
        } catch {
            return { ok: false };
        }
    }
    return z.array(z.string()).safeParse(list).success ? { ok: true, value: list } : { ok: false };
}

/** Where each component arg lives in the stack config (longest prefix wins). */
const ARG_TO_KEY: [string, ConfigKey][] = [
    ["name", "instanceName"],
    ["build.context", "buildContext"],
    ["build.dockerfile", "dockerfile"],
    ["build.platform", "platform"],
    ["build.target", "buildTarget"],
    ["build.args", "buildArgs"],
    ["build.cacheFrom", "cacheFrom"],
    ["build.tag", "imageTag"],
    ["build", "buildContext"],
    ["repository.name", "repositoryName"],
    ["repository.imageTagMutability", "imageTagMutability"],
    ["repository.scanOnPush", "scanOnPush"],
    ["repository.kmsKeyArn", "kmsKeyArn"],
    ["repository.forceDelete", "forceDelete"],
    ["repository.untaggedImageExpiryDays", "untaggedImageExpiryDays"],
    ["repository.keepLastImages", "keepLastImages"],
    ["repository.tags", "repositoryTags"],
    ["registry.server", "registryServer"],
    ["registry.repository", "registryRepository"],
    ["registry.username", "registryUsername"],
    ["registry.password", "registryPassword"],
    ["registry", "registryServer"],
    ["resources.requests.cpu", "cpuRequest"],
    ["resources.requests.memory", "memoryRequest"],
    ["resources.limits.cpu", "cpuLimit"],
    ["resources.limits.memory", "memoryLimit"],
    ["autoscaling.minReplicas", "autoscalingMinReplicas"],
    ["autoscaling.maxReplicas", "autoscalingMaxReplicas"],
    ["autoscaling.targetCpuUtilizationPercent", "autoscalingCpuUtilization"],
    ["settings.port", "port"],
    ["settings.logLevel", "logLevel"],
    ["settings.greeting", "greeting"],
    ["settings.drainDelaySeconds", "drainDelaySeconds"],
    ["settings.shutdownDeadlineSeconds", "shutdownDeadlineSeconds"],
    ["settings.requestTimeoutSeconds", "requestTimeoutSeconds"],
    ["settings.bodyLimitBytes", "bodyLimitBytes"],
];

const REPOSITORY_KEYS: ConfigKey[] = [
    "repositoryName",
    "imageTagMutability",
    "scanOnPush",
    "kmsKeyArn",
    "forceDelete",
    "untaggedImageExpiryDays",
    "keepLastImages",
    "repositoryTags",
];

/** The stack config key (and entry name) an arg path such as `settings.port` or `env.FOO` comes from. */
export function configKeyForArg(argPath: string): string {
    const [head, ...rest] = argPath.split(".");
    if ((head === "env" || head === "secretEnv") && rest.length > 0) {
        return `${PROJECT}:${head}\` entry \`${rest.join(".")}`;
    }
    if (head === "repository" && rest.length === 0) {
        return `${PROJECT}:${REPOSITORY_KEYS.join("/")}`;
    }
    let best: [string, ConfigKey] | undefined;
    for (const entry of ARG_TO_KEY) {
        if ((argPath === entry[0] || argPath.startsWith(`${entry[0]}.`)) && (!best || entry[0].length > best[0].length)) {
            best = entry;
        }
    }
    if (best) {
        const suffix = argPath.slice(best[0].length + 1);
        return suffix ? `${PROJECT}:${best[1]}\` entry \`${suffix}` : `${PROJECT}:${best[1]}`;
    }
    return `${PROJECT}:${argPath}`;
}

function translate(message: string): string {
    // Messages from the component name args (`settings.port`); name the config keys instead.
    return message.replace(/`([A-Za-z.]+)`/g, (whole, argPath: string) =>
        ARG_TO_KEY.some(([arg]) => arg === argPath) || argPath in CONFIG_KEYS ? `\`${configKeyForArg(argPath)}\`` : whole,
    );
}

/**
 * Turns raw stack config (keys without the `rust-service:` prefix; values as the engine passes them,
 * strings or JSON) into component args. Unset keys take their Pulumi.yaml defaults. Throws a
 * {@link StackConfigError} listing every problem. Pure: no Pulumi runtime needed.
 */
export function parseStackConfig(
    raw: Record<string, unknown>,
    options: { defaults?: Partial<Record<string, unknown>>; secretKeys?: ReadonlySet<string> } = {},
): StackConfig {
    const defaults = options.defaults ?? projectConfigDefaults();
    const problems: string[] = [];
    const values: Partial<Record<ConfigKey, unknown>> = {};
    const mistyped = new Set<ConfigKey>();
    let missing = false;

    for (const key of Object.keys(raw).sort()) {
        if (!(key in CONFIG_KEYS)) {
            problems.push(`\`${PROJECT}:${key}\` is not a setting of this program: check the spelling against Pulumi.yaml or remove it with \`pulumi config rm ${key}\``);
        }
    }
    for (const [key, type] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigType][]) {
        const given = raw[key] !== undefined;
        const source = given ? raw[key] : defaults[key];
        if (source === undefined) {
            problems.push(`\`${PROJECT}:${key}\` has no value and no default in Pulumi.yaml: declare a default there`);
            missing = true;
            continue;
        }
        const result = coerce(type, source);
        if (!result.ok) {
            const shown = SECRET_KEYS.includes(key) ? "" : `, got ${JSON.stringify(source)}`;
            problems.push(`\`${PROJECT}:${key}\` ${ruleFor[type]}${shown}`);
            mistyped.add(key);
            // Carry on with the default so the other keys are still checked.
            const fallback = coerce(type, defaults[key]);
            if (fallback.ok) {
                values[key] = fallback.value;
            }
            continue;
        }
        values[key] = result.value;
        const empty = result.value === "" || (Array.isArray(result.value) && result.value.length === 0);
        if (SECRET_KEYS.includes(key) && given && !empty && options.secretKeys && !options.secretKeys.has(`${PROJECT}:${key}`)) {
            problems.push(`\`${PROJECT}:${key}\` holds a secret in plain text: set it again with \`pulumi config set --secret\``);
        }
    }
    if (missing || Object.keys(values).length < Object.keys(CONFIG_KEYS).length) {
        throw new StackConfigError(problems);
    }
    const v = values as ConfigValues;
    const differs = (key: ConfigKey) => JSON.stringify(v[key]) !== JSON.stringify(defaults[key]);

    const pairs = (key: "env" | "secretEnv" | "buildArgs" | "repositoryTags"): Record<string, string> => {
        const { values: record, problems: pairProblems } = parseEnvPairs(v[key]);
        problems.push(...pairProblems.map((p) => `\`${PROJECT}:${key}\` ${p}`));
        return record;
    };
    const env = pairs("env");
    const secretEnvPlain = pairs("secretEnv");
    const buildArgs = pairs("buildArgs");
    const repositoryTags = pairs("repositoryTags");
    const optional = (value: string) => (value === "" ? undefined : value);

    const buildKeys: ConfigKey[] = ["buildContext", "dockerfile", "platform", "buildTarget", "buildArgs", "cacheFrom", "imageTag"];
    const wantBuild = v.image === "" || buildKeys.some(differs);
    const registryMode = v.existingRepositoryUrl !== "" || v.registryServer !== "" || v.registryRepository !== "";
    // The repository settings apply when the component creates the ECR repository; in any other mode
    // only a setting someone changed is passed on, so the component reports the conflict.
    const createsRepository = v.image === "" && !registryMode;
    const repositoryField = (key: ConfigKey) => createsRepository || differs(key);

    const args: RustServiceArgs = {
        appName: v.appName,
        namespace: v.namespace,
        createNamespace: v.createNamespace,
        image: optional(v.image),
        build: wantBuild
            ? {
                  context: v.buildContext,
                  dockerfile: optional(v.dockerfile),
                  platform: v.platform,
                  target: optional(v.buildTarget),
                  args: Object.keys(buildArgs).length > 0 ? buildArgs : undefined,
                  cacheFrom: v.cacheFrom.length > 0 ? v.cacheFrom : undefined,
                  tag: optional(v.imageTag),
              }
            : undefined,
        repository:
            createsRepository || REPOSITORY_KEYS.some(differs)
                ? {
                      name: repositoryField("repositoryName") ? optional(v.repositoryName) : undefined,
                      imageTagMutability: repositoryField("imageTagMutability") ? (v.imageTagMutability as "IMMUTABLE" | "MUTABLE") : undefined,
                      scanOnPush: repositoryField("scanOnPush") ? v.scanOnPush : undefined,
                      kmsKeyArn: repositoryField("kmsKeyArn") ? optional(v.kmsKeyArn) : undefined,
                      forceDelete: repositoryField("forceDelete") ? v.forceDelete : undefined,
                      untaggedImageExpiryDays: repositoryField("untaggedImageExpiryDays") ? v.untaggedImageExpiryDays : undefined,
                      keepLastImages: repositoryField("keepLastImages") ? v.keepLastImages : undefined,
                      tags: repositoryField("repositoryTags") && Object.keys(repositoryTags).length > 0 ? repositoryTags : undefined,
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
        env,
        secretEnv: Object.fromEntries(Object.entries(secretEnvPlain).map(([key, value]) => [key, pulumi.secret(value)])),
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

    for (const problem of rustServiceArgsProblems(v.instanceName, args)) {
        const key = configKeyForArg(problem.path);
        // A key already reported as mistyped was checked with its default; don't report it twice.
        if (![...mistyped].some((k) => key === `${PROJECT}:${k}` || key.startsWith(`${PROJECT}:${k}\``))) {
            problems.push(`\`${key}\` ${translate(problem.message)}`);
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
    return new Set(keys.filter((key) => runtimeConfig.isConfigSecret!(key)));
}

/** Reads this stack's config (the only place the program does) and returns validated component args. */
export function loadStackConfig(): StackConfig {
    const config = new pulumi.Config(PROJECT);
    const prefix = `${PROJECT}:`;
    const allKeys = Object.keys(pulumi.runtime.allConfig()).filter((key) => key.startsWith(prefix));
    const raw: Record<string, unknown> = {};
    for (const fullKey of allKeys) {
        const key = fullKey.slice(prefix.length);
        raw[key] = config.get(key);
    }
    return parseStackConfig(raw, { secretKeys: secretConfigKeys(allKeys) });
}
