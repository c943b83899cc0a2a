import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DEFAULT_RESOURCES, DEFAULTS, RustServiceArgs, resolveBuildPaths, resolveResources } from "./args";
import { contextProblems } from "./contextHash";
import { isServiceLogFilter, LOG_FILTER_RULE } from "./logFilter";
import { OWNED_LABEL_KEYS } from "./labels";
import { INT32_MAX, MAX_GRACE_PERIOD_SECONDS, MAX_OBJECT_DATA_BYTES } from "./limits";
import { DIGEST_PINNED_IMAGE, DNS1035_LABEL, DNS1123_LABEL, ENV_VAR_NAME, IMAGE_TAG, LABEL_KEY, LABEL_VALUE, MAX_NAME_LENGTH, SECRET_LIKE_NAME } from "./names";
import { parseQuantity } from "./quantity";
import { asRecord } from "./record";
import { imageRepository, parseEcrRepositoryUrl } from "./registry";
import { DEFAULT_SETTINGS, GRACE_MARGIN_SECONDS, SETTINGS_ENV, UNREAD_ENV_NAMES } from "./settings";

/** A mention of another field in a problem's text; whoever shows the problem names the field its own way. */
export interface FieldRef {
    /** Dot path of the field, e.g. `settings.port`. */
    field: string;
}

/** The text of a rule or fix: words, and mentions of other fields. */
export type ProblemText = readonly (string | FieldRef)[];

/** One problem with the args: the field, the rule its value breaks, the fix, and the value found. */
export interface ArgsProblem {
    /** Dot-separated path of the offending field, e.g. `resources.limits.memory` (`args` for the args themselves). */
    path: string;
    /** The rule, e.g. "must be an integer >= 1". */
    rule: ProblemText;
    /** How to fix it, when the rule alone does not say. */
    fix?: ProblemText;
    /** The offending value as shown (JSON, shortened); absent when it may be secret. */
    got?: string;
}

const ref = (field: string): FieldRef => ({ field });

/** Problem text from a template; a {@link FieldRef} (or problem text) in a placeholder stays a mention. */
function t(strings: TemplateStringsArray, ...values: (string | number | FieldRef | ProblemText)[]): ProblemText {
    const parts: (string | FieldRef)[] = [];
    for (const part of strings.flatMap((text, i) => [text, ...[values[i] ?? []].flat()])) {
        const last = parts.length - 1;
        if (typeof part === "object") {
            parts.push(part);
        } else if (typeof parts[last] === "string") {
            parts[last] = `${parts[last] as string}${part}`;
        } else if (part !== "") {
            parts.push(String(part));
        }
    }
    return parts;
}

function intRule(min: number, max?: number): string {
    return max === undefined ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`;
}

/** An integer from `min` to `max`; without `max`, up to the largest a Kubernetes integer field holds. */
function int(min: number, max?: number, tooLarge = intRule(min, max)) {
    const error = intRule(min, max);
    const schema = z.number({ error }).int({ error }).min(min, { error });
    return max === undefined
        ? schema.max(INT32_MAX, { error: `must be at most ${INT32_MAX}, the largest value a Kubernetes integer field holds` })
        : schema.max(max, { error: tooLarge });
}

function nonNegative(rule: string) {
    return z.number({ error: rule }).finite({ error: rule }).min(0, { error: rule });
}

function quantity(example: string) {
    const error = `must be a positive Kubernetes quantity such as ${example}`;
    return z.string({ error }).refine((q) => (parseQuantity(q) ?? 0) > 0, { error, abort: true });
}

// Legal quantities that cannot be meant: Kubernetes accepts them and then runs something else.
const cpu = (example: string) =>
    quantity(example).refine((q) => parseQuantity(q)! >= 0.001, { error: "is below 1m, the smallest CPU amount Kubernetes schedules: use at least 1m" });
const memory = (example: string) =>
    quantity(example).refine((q) => !/^[^a-zA-Z]*[mun]$/.test(q), {
        error: "is in thousandths of a byte (the suffix m is milli, not mega): write mebibytes as Mi, e.g. 128Mi",
    });

const quantities = (cpuExample: string, memoryExample: string) => z.strictObject({ cpu: cpu(cpuExample).optional(), memory: memory(memoryExample).optional() });

const stringMap = z.record(z.string(), z.string({ error: "must be a string" }));

// A pulumi.Input<string>: the value itself, an Output or a promise (an Output's content is known only
// at deployment, so only a plain string is checked further).
const inputString = (plain: z.ZodType<string> = z.string(), error = "must be a string or a pulumi.Output<string> (pulumi.secret(...))") =>
    z.custom((value) => (typeof value === "string" ? plain.safeParse(value).success : pulumi.Output.isInstance(value) || value instanceof Promise), { error });

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/;

const dns1123 = (what: string) =>
    z
        .string({ error: `must be a string (${what})` })
        .max(63, { error: `must be at most 63 characters (${what})` })
        .regex(DNS1123_LABEL, { error: `must be a DNS-1123 label (${what}): lowercase letters, digits and '-', starting and ending with a letter or digit` });

function argsSchema() {
    return z.strictObject({
        appName: dns1123("it becomes the app.kubernetes.io/name label").optional(),
        namespace: dns1123("a Kubernetes namespace name").optional(),
        createNamespace: z.boolean({ error: "must be true or false" }).optional(),
        build: z
            .strictObject({
                context: z.string({ error: "must be a directory path" }).min(1, { error: "must be a directory path" }).optional(),
                dockerfile: z.string({ error: "must be a file path" }).min(1, { error: "must be a file path" }).optional(),
                platform: z
                    .string({ error: "must be an OS/architecture such as linux/amd64" })
                    .regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, { error: "must be an OS/architecture such as linux/amd64 or linux/arm64" })
                    .optional(),
                args: stringMap.optional(),
                target: z
                    .string({ error: "must be a Dockerfile stage name" })
                    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "must be a Dockerfile stage name" })
                    .optional(),
                cacheFrom: z.array(z.string({ error: "must be an image reference" }), { error: "must be a list of image references" }).optional(),
                buildOnPreview: z.boolean({ error: "must be true or false" }).optional(),
                tag: z
                    .string({ error: "must be a Docker tag" })
                    .regex(IMAGE_TAG, { error: "must be a Docker tag: up to 128 letters, digits, '_', '.', '-', not starting with '.' or '-'" })
                    .optional(),
            })
            .optional(),
        image: z
            .string({ error: "must be an image reference pinned by digest" })
            .regex(DIGEST_PINNED_IMAGE, {
                error: "must be pinned by digest (`repository@sha256:<64 hex digits>`); a tag can change under a running Deployment, so resolve it with `docker buildx imagetools inspect` or `crane digest`",
            })
            .optional(),
        repository: z
            .strictObject({
                name: z
                    .string({ error: "must be an ECR repository name" })
                    .min(2, { error: "must be 2-256 characters" })
                    .max(256, { error: "must be 2-256 characters" })
                    .regex(/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/, {
                        error: "must be an ECR repository name: lowercase letters, digits and '.', '_', '-', '/' separators",
                    })
                    .optional(),
                imageTagMutability: z.enum(["IMMUTABLE", "MUTABLE"], { error: "must be IMMUTABLE or MUTABLE" }).optional(),
                scanOnPush: z.boolean({ error: "must be true or false" }).optional(),
                kmsKeyArn: inputString(
                    z.string().regex(KMS_KEY_ARN),
                    "must be a KMS key ARN such as arn:aws:kms:<region>:<account>:key/<id>, or a pulumi.Output<string>",
                ).optional(),
                forceDelete: z.boolean({ error: "must be true or false" }).optional(),
                untaggedImageExpiryDays: int(1).optional(),
                keepLastImages: int(1).optional(),
                tags: stringMap.optional(),
            })
            .optional(),
        existingRepositoryUrl: z
            .string({ error: "must be an ECR repository URL" })
            .refine((url) => parseEcrRepositoryUrl(url) !== undefined, {
                error: "must be an ECR repository URL",
                params: {
                    rule: t`must be an ECR repository URL \`<12-digit account>.dkr.ecr.<region>.amazonaws.com/<name>\`; for another registry use ${ref("registry")}`,
                },
            })
            .optional(),
        registry: z
            .strictObject({
                server: z
                    .string({ error: "must be a registry host such as 127.0.0.1:5000" })
                    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, { error: "must be a registry host[:port] such as 127.0.0.1:5000, without scheme or path" }),
                repository: z.string({ error: "must be a repository path" }).regex(/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/, {
                    error: "must be a lowercase repository path such as team/rust-service",
                }),
                username: inputString().optional(),
                password: inputString().optional(),
            })
            .optional(),
        settings: z
            .strictObject({
                port: int(1, 65535).optional(),
                logLevel: z
                    .string({ error: "must be a log level or EnvFilter directive" })
                    .min(1, { error: "must not be empty: use a level such as info" })
                    .refine(isServiceLogFilter, { error: LOG_FILTER_RULE })
                    .optional(),
                greeting: z.string({ error: "must be a string" }).optional(),
                drainDelaySeconds: nonNegative("must be a number of seconds >= 0").optional(),
                shutdownDeadlineSeconds: nonNegative("must be a number of seconds >= 0").optional(),
                requestTimeoutSeconds: z
                    .number({ error: "must be a number of seconds > 0" })
                    .finite()
                    .positive({ error: "must be a number of seconds > 0" })
                    .optional(),
                bodyLimitBytes: int(1).optional(),
                workerThreads: int(1).optional(),
            })
            .optional(),
        env: stringMap.optional(),
        secretEnv: z.record(z.string(), inputString()).optional(),
        replicas: int(1).optional(),
        resources: z
            .strictObject({
                requests: quantities('"100m" or "0.5"', '"64Mi" or "1Gi"').optional(),
                limits: quantities('"500m" or "1"', '"128Mi" or "1Gi"').optional(),
            })
            .optional(),
        autoscaling: z
            .strictObject({
                minReplicas: int(1),
                maxReplicas: int(1),
                targetCpuUtilizationPercent: int(1, 1000).optional(),
            })
            .optional(),
        terminationGracePeriodSeconds: int(
            1,
            MAX_GRACE_PERIOD_SECONDS,
            `must be at most ${MAX_GRACE_PERIOD_SECONDS} (an hour): a pod that takes longer to stop holds up node drains and rollouts`,
        ).optional(),
        servicePort: int(1, 65535).optional(),
        rolloutTimeoutSeconds: int(1).optional(),
        spreadWhenUnsatisfiable: z.enum(["ScheduleAnyway", "DoNotSchedule"], { error: "must be ScheduleAnyway or DoNotSchedule" }).optional(),
        labels: stringMap.optional(),
    });
}

/** How a message names a field: the component says `settings.port`, the stack config its key. */
export type Namer = (path: string) => string;

/** Names a field by its arg path, in backticks. */
export const argPath: Namer = (p) => `\`${p}\``;

/** A problem as it reads after its field: the rule, `: fix`, `, got <value>`, with fields named by `name`. */
export function problemMessage(problem: ArgsProblem, name: Namer = argPath): string {
    const text = (parts: ProblemText) => parts.map((part) => (typeof part === "string" ? part : name(part.field))).join("");
    return `${text(problem.rule)}${problem.fix ? `: ${text(problem.fix)}` : ""}${problem.got === undefined ? "" : `, got ${problem.got}`}`;
}

type Ctx = { add(path: string, rule: string | ProblemText, more?: { fix?: string | ProblemText; got?: string }): void };

function checkNames(name: string, ctx: Ctx): void {
    if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME_LENGTH || !DNS1035_LABEL.test(name)) {
        ctx.add(
            "name",
            `must be a DNS-1035 label of at most ${MAX_NAME_LENGTH} characters (lowercase letters, digits and '-', starting with a letter) because Kubernetes names derive from it`,
            { got: `${JSON.stringify(name)}` },
        );
    }
}

/** Env names the service reads, and the setting each comes from. */
const RESERVED_ENV = new Map(Object.entries(SETTINGS_ENV).map(([setting, env]) => [env, setting]));

/** Map keys Pulumi's Node.js SDK drops when it sends inputs (it builds them by assignment). */
const DROPPED_KEY = "__proto__";

function checkEnv(args: RustServiceArgs, ctx: Ctx): void {
    const env = asRecord(args.env) ?? {};
    const secretEnv = asRecord(args.secretEnv) ?? {};
    for (const [field, values] of [
        ["env", env],
        ["secretEnv", secretEnv],
    ] as const) {
        for (const key of Object.keys(values)) {
            const setting = RESERVED_ENV.get(key) ?? UNREAD_ENV_NAMES.get(key);
            if (!ENV_VAR_NAME.test(key)) {
                ctx.add(`${field}.${key}`, "is not a valid environment variable name", { fix: "use letters, digits and '_', not starting with a digit" });
            } else if (key === DROPPED_KEY) {
                ctx.add(
                    `${field}.${key}`,
                    "cannot be carried: Pulumi's Node.js SDK drops a map key named __proto__ on its way to the cluster, so the variable would silently vanish",
                    {
                        fix: "rename it",
                    },
                );
            } else if (RESERVED_ENV.has(key)) {
                ctx.add(`${field}.${key}`, t`is set by the component from ${ref(`settings.${setting}`)}`, { fix: "set that instead" });
            } else if (setting !== undefined) {
                ctx.add(`${field}.${key}`, "is not read by the service", { fix: t`set ${ref(`settings.${setting}`)} instead` });
            }
        }
    }
    for (const key of Object.keys(env)) {
        if (Object.hasOwn(secretEnv, key)) {
            ctx.add(`secretEnv.${key}`, t`is also in ${ref("env")}`, { fix: t`keep the name in one of them (secrets belong in ${ref("secretEnv")} only)` });
        }
    }
}

/** Bytes of the plain strings among `values`, counting the keys too when `withKeys`. */
function dataBytes(values: Record<string, unknown>, withKeys: boolean): number {
    let bytes = 0;
    for (const [key, value] of Object.entries(values)) {
        if (typeof value === "string") {
            bytes += Buffer.byteLength(value) + (withKeys ? Buffer.byteLength(key) : 0);
        }
    }
    return bytes;
}

function checkSizes(args: RustServiceArgs, ctx: Ctx): void {
    const limit = `${MAX_OBJECT_DATA_BYTES} bytes (1 MiB)`;
    // Kubernetes counts a ConfigMap's keys and values, a Secret's values only (api validation of each).
    const plain = dataBytes(asRecord(args.env) ?? {}, true);
    if (plain > MAX_OBJECT_DATA_BYTES) {
        ctx.add("env", `holds ${plain} bytes of names and values, more than the ${limit} a ConfigMap may hold`, {
            fix: "move large values into a file the image carries",
        });
    }
    const secret = dataBytes(asRecord(args.secretEnv) ?? {}, false);
    if (secret > MAX_OBJECT_DATA_BYTES) {
        ctx.add("secretEnv", `holds ${secret} bytes of values, more than the ${limit} a Secret may hold`, {
            fix: "keep large secrets in a secret store and pass a reference",
        });
    }
}

function checkImageSource(args: RustServiceArgs, ctx: Ctx): void {
    const registry = asRecord(args.registry);
    if (args.image !== undefined) {
        if (args.build !== undefined) {
            ctx.add("image", t`and ${ref("build")} are mutually exclusive`, { fix: "give a prebuilt image or build settings, not both" });
        }
        if (args.repository !== undefined) {
            ctx.add("repository", t`has no effect with a prebuilt ${ref("image")} (nothing is pushed)`, { fix: "remove it" });
        }
        if (typeof args.image !== "string") {
            return;
        }
        // A stack may name its registry and still deploy an image pushed there by someone else (a CI
        // job, the local harness): that is consistent as long as the image lives in that repository.
        const imageRepo = imageRepository(args.image);
        const named: [string, string | undefined][] = [
            ["existingRepositoryUrl", args.existingRepositoryUrl],
            ["registry", registry ? `${String(registry.server)}/${String(registry.repository)}` : undefined],
        ];
        for (const [field, repo] of named) {
            if (repo !== undefined && repo !== imageRepo) {
                ctx.add(field, t`names the repository ${repo}, but the prebuilt ${ref("image")} is in ${imageRepo}`, {
                    fix: t`push the image there, or remove ${ref(field)}`,
                });
            }
        }
        return;
    }
    if (args.existingRepositoryUrl !== undefined && args.registry !== undefined) {
        ctx.add("registry", t`and ${ref("existingRepositoryUrl")} are mutually exclusive`, { fix: "choose one registry mode" });
    }
    if (args.repository !== undefined && (args.existingRepositoryUrl !== undefined || args.registry !== undefined)) {
        ctx.add(
            "repository",
            t`configures the ECR repository the component creates, which it does not with ${ref("existingRepositoryUrl")} or ${ref("registry")}`,
            {
                fix: "remove it",
            },
        );
    }
    if (registry && (registry.username === undefined) !== (registry.password === undefined)) {
        ctx.add("registry", "needs both `username` and `password`, or neither for a registry without authentication");
    }
    checkBuild(asRecord(args.build ?? {}), ctx);
}

function checkBuild(build: Record<string, unknown> | undefined, ctx: Ctx): void {
    if (!build || ![build.context, build.dockerfile].every((p) => p === undefined || typeof p === "string")) {
        return;
    }
    const { context, dockerfile } = resolveBuildPaths(build);
    if (build.context !== undefined && !isDirectory(context)) {
        ctx.add("build.context", `must be an existing directory (relative to ${process.cwd()})`, { got: JSON.stringify(context) });
    } else if (!fs.existsSync(dockerfile)) {
        ctx.add(
            build.dockerfile !== undefined ? "build.dockerfile" : "build.context",
            "must lead to an existing Dockerfile (paths are relative to the program's working directory, not the context)",
            { got: JSON.stringify(dockerfile) },
        );
    } else {
        for (const problem of contextProblems(context, dockerfile)) ctx.add("build.context", problem);
    }
    for (const key of Object.keys(asRecord(build.args) ?? {})) {
        if (SECRET_LIKE_NAME.test(key)) {
            ctx.add(`build.args.${key}`, "looks like a secret, and build args are stored in the image history", {
                fix: t`pass it at run time through ${ref("secretEnv")}`,
            });
        }
    }
}

function isDirectory(dir: string): boolean {
    try {
        return fs.statSync(dir).isDirectory();
    } catch {
        // Absent or unreadable: either way not a build context.
        return false;
    }
}

function checkResources(args: RustServiceArgs, ctx: Ctx): void {
    const resources = asRecord(args.resources) ?? {};
    const { requests, limits } = resolveResources({ requests: asRecord(resources.requests), limits: asRecord(resources.limits) });
    for (const kind of ["cpu", "memory"] as const) {
        // A quantity of the wrong type is reported by the schema; the comparison then uses its default.
        const request = typeof requests[kind] === "string" ? requests[kind] : DEFAULT_RESOURCES.requests[kind];
        const limit = typeof limits[kind] === "string" ? limits[kind] : DEFAULT_RESOURCES.limits[kind];
        const [requested, limited] = [parseQuantity(request), parseQuantity(limit)];
        if (requested !== undefined && limited !== undefined && limited < requested) {
            ctx.add(`resources.limits.${kind}`, `must be >= the request (${request})`, {
                fix: "raise the limit or lower the request",
                got: JSON.stringify(limit),
            });
        }
    }
}

function checkAutoscaling(args: RustServiceArgs, ctx: Ctx): void {
    const scaling = asRecord(args.autoscaling);
    if (
        scaling &&
        Number.isInteger(scaling.minReplicas) &&
        Number.isInteger(scaling.maxReplicas) &&
        Number(scaling.minReplicas) > Number(scaling.maxReplicas)
    ) {
        ctx.add("autoscaling.minReplicas", t`must be <= ${ref("autoscaling.maxReplicas")} (${String(scaling.maxReplicas)})`, {
            got: String(scaling.minReplicas),
        });
    }
}

/** A number of seconds from `settings`, or its default when it has the wrong type (the schema reports that). */
function seconds(settings: Record<string, unknown>, key: "drainDelaySeconds" | "shutdownDeadlineSeconds"): number {
    const value = settings[key];
    return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : DEFAULT_SETTINGS[key];
}

function checkGracePeriod(args: RustServiceArgs, ctx: Ctx): void {
    const settings = asRecord(args.settings) ?? {};
    const [drainDelay, deadline] = [seconds(settings, "drainDelaySeconds"), seconds(settings, "shutdownDeadlineSeconds")];
    const drain = drainDelay + deadline;
    const both = t`${ref("settings.drainDelaySeconds")} + ${ref("settings.shutdownDeadlineSeconds")}`;
    if (Math.ceil(drain) + GRACE_MARGIN_SECONDS > MAX_GRACE_PERIOD_SECONDS) {
        ctx.add(
            drainDelay > deadline ? "settings.drainDelaySeconds" : "settings.shutdownDeadlineSeconds",
            t`makes ${both} ${drain}s, so pods would take over an hour (${MAX_GRACE_PERIOD_SECONDS}s) to stop and hold up node drains and rollouts`,
            { fix: `keep the sum under ${MAX_GRACE_PERIOD_SECONDS - GRACE_MARGIN_SECONDS}s` },
        );
    }
    const grace = args.terminationGracePeriodSeconds;
    if (typeof grace === "number" && grace <= drain) {
        ctx.add("terminationGracePeriodSeconds", t`must be longer than ${both} (${drain}s), or Kubernetes kills pods mid-drain`, {
            fix: "raise it or leave it unset",
            got: String(grace),
        });
    }
}

/** Namespaces the cluster's own components live in; a workload there shares their privileges and quotas. */
const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"];

/** Namespaces every cluster has; creating one fails with "already exists". */
const BUILT_IN_NAMESPACES = ["default", ...SYSTEM_NAMESPACES];

function checkNamespace(args: RustServiceArgs, ctx: Ctx): void {
    const namespace = args.namespace ?? DEFAULTS.namespace;
    if (SYSTEM_NAMESPACES.includes(namespace)) {
        ctx.add("namespace", `is ${namespace}, which belongs to the cluster's own components`, { fix: "choose a namespace of your own" });
    } else if (args.createNamespace === true && BUILT_IN_NAMESPACES.includes(namespace)) {
        ctx.add("createNamespace", `cannot create the built-in namespace ${JSON.stringify(namespace)}, which every cluster already has`, {
            fix: t`set it to false or choose another ${ref("namespace")}`,
        });
    }
}

function checkLabels(args: RustServiceArgs, ctx: Ctx): void {
    for (const [key, value] of Object.entries(asRecord(args.labels) ?? {})) {
        if (OWNED_LABEL_KEYS.includes(key)) {
            ctx.add(`labels.${key}`, "is set by the component (it is part of the selector)", { fix: "remove it" });
        } else if (!LABEL_KEY.test(key) || key.split("/").pop()!.length > 63) {
            ctx.add(`labels.${key}`, "is not a valid label key", { fix: "use an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_', '.'" });
        } else if (typeof value === "string" && (value.length > 63 || !LABEL_VALUE.test(value))) {
            ctx.add(`labels.${key}`, "must be a label value: up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric", {
                got: JSON.stringify(value),
            });
        }
    }
}

/** Paths whose values may be secret and are never echoed in messages. */
const REDACTED_PATHS = [/^secretEnv(\.|$)/, /^registry\.(password|username)$/, /^repository\.kmsKeyArn$/];

function describe(value: unknown): string {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Every problem with `name` and `args`, in one pass (an empty list means valid). Pure apart from
 * checking that the build context and Dockerfile exist. Secret values are never echoed. Each problem
 * is data (path, rule, fix, value); {@link problemMessage} turns it into text.
 */
export function rustServiceArgsProblems(name: string, args: RustServiceArgs): ArgsProblem[] {
    const problems: ArgsProblem[] = [];
    const problem = (path: string, rule: string | ProblemText, more: { fix?: string | ProblemText; got?: string } = {}): ArgsProblem => {
        const text = (value: string | ProblemText) => (typeof value === "string" ? [value] : value);
        return { path, rule: text(rule), ...(more.fix === undefined ? {} : { fix: text(more.fix) }), ...(more.got === undefined ? {} : { got: more.got }) };
    };
    const ctx: Ctx = { add: (...a) => problems.push(problem(...a)) };
    checkNames(name, ctx);

    // Omitted args are no args; anything else (null, a number, a list) must be an object, which the schema checks.
    const parsed = argsSchema().safeParse(args === undefined ? {} : args, {
        reportInput: true,
        // Only for fields whose schema says nothing itself (records and objects).
        error: (issue) =>
            issue.code === "invalid_type"
                ? `must be ${issue.expected === "object" || issue.expected === "record" ? "an object" : `a ${issue.expected}`}`
                : undefined,
    });
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            const p = issue.path.map(String).join(".") || "args";
            if (issue.code === "unrecognized_keys") {
                ctx.add(p, `has unknown field(s) ${issue.keys.map((k) => `\`${k}\``).join(", ")}`, { fix: "remove or correct them" });
                continue;
            }
            const shown = !REDACTED_PATHS.some((re) => re.test(p)) && issue.input !== undefined && typeof issue.input !== "object";
            const rule = issue.code === "custom" ? (issue.params?.rule as ProblemText | undefined) : undefined;
            ctx.add(p, rule ?? issue.message, { got: shown ? describe(issue.input) : undefined });
        }
    }
    // Cross-field checks run even when some fields are invalid, so every problem is reported at once.
    // They read a field only when it has the type they expect, else its default (the schema reports
    // the field), and a field reported once is not reported again. A path is looked up with each of its
    // prefixes, so this stays linear in the number of problems.
    const typed = new Set(problems.map((p) => p.path));
    const reported = (p: string) => p.split(".").some((_, i, parts) => typed.has(parts.slice(0, i + 1).join(".")));
    const crossCtx: Ctx = { add: (p, ...a) => reported(p) || problems.push(problem(p, ...a)) };
    const all = asRecord(args) ?? {};
    for (const check of [checkImageSource, checkEnv, checkSizes, checkNamespace, checkResources, checkAutoscaling, checkGracePeriod, checkLabels]) {
        check(all as RustServiceArgs, crossCtx);
    }
    return problems;
}

/**
 * How a message shows a path: a `secretEnv` entry whose name is not a valid env var name is shown without
 * it, since a name that malformed may be a value put in the wrong place.
 */
export function displayPath(path: string): string {
    const [field, ...rest] = path.split(".");
    return field === "secretEnv" && rest.length > 0 && !ENV_VAR_NAME.test(rest.join(".")) ? "secretEnv.<name not shown>" : path;
}

/** One message listing every problem, one per line. */
export function formatProblems(subject: string, problems: readonly ArgsProblem[]): string {
    const lines = problems.map((p) => `  - \`${displayPath(p.path)}\` ${problemMessage(p)}`);
    return `${subject} has ${problems.length} invalid setting${problems.length === 1 ? "" : "s"}:\n${lines.join("\n")}`;
}

/** Throws an Error listing every problem if `args` are invalid. */
export function assertValidRustServiceArgs(name: string, args: RustServiceArgs): void {
    const problems = rustServiceArgsProblems(name, args);
    if (problems.length > 0) {
        throw new Error(formatProblems(`RustService "${name}"`, problems));
    }
}
