import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** A Kubernetes DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 characters. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes DNS-1035 label (Service names): like DNS-1123 but must start with a letter. */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Environment variable names accepted everywhere (POSIX shells, older Kubernetes, envFrom): a C identifier. */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A Kubernetes label value: empty, or up to 63 alphanumerics, '-', '_', '.', beginning and ending alphanumeric. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes label key: optional DNS-1123 subdomain prefix and '/', then a name of up to 63 characters. */
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** An OCI image reference pinned by digest: `repository@sha256:<64 hex>`. */
export const DIGEST_PINNED_IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$/;

/** A Docker image tag. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Longest component name: Kubernetes auto-naming appends `-` and 8 characters to a 63-character label. */
export const MAX_NAME_LENGTH = 54;

/** The service's own settings, passed to the container env and to the ports/probes from one place. */
export interface ServiceSettings {
    /** Port the service listens on (env PORT). Default 8080. */
    port: number;
    /** Log level or tracing EnvFilter directive (env LOG_LEVEL). Default `info`. */
    logLevel: string;
    /** Greeting returned by `GET /` (env GREETING). Default "Hello from rust-service". */
    greeting: string;
    /** Seconds the service keeps serving after readiness fails on SIGTERM (env DRAIN_DELAY_SECONDS). Default 5. */
    drainDelaySeconds: number;
    /** Seconds in-flight requests get to finish after the drain delay (env SHUTDOWN_DEADLINE_SECONDS). Default 20. */
    shutdownDeadlineSeconds: number;
    /** Per-request timeout in seconds (env REQUEST_TIMEOUT_SECONDS). Default 10. */
    requestTimeoutSeconds: number;
    /** Largest request body in bytes (env BODY_LIMIT_BYTES). Default 1048576. */
    bodyLimitBytes: number;
    /** Worker threads of the async runtime (env TOKIO_WORKER_THREADS). Default: one per CPU the container may use. */
    workerThreads?: number;
}

/** Env var name each setting is passed as. */
export const SETTINGS_ENV: Readonly<Record<keyof ServiceSettings, string>> = Object.freeze({
    port: "PORT",
    logLevel: "LOG_LEVEL",
    greeting: "GREETING",
    drainDelaySeconds: "DRAIN_DELAY_SECONDS",
    shutdownDeadlineSeconds: "SHUTDOWN_DEADLINE_SECONDS",
    requestTimeoutSeconds: "REQUEST_TIMEOUT_SECONDS",
    bodyLimitBytes: "BODY_LIMIT_BYTES",
    workerThreads: "TOKIO_WORKER_THREADS",
});

/** Settings the service's defaults file leaves out: unset, the service chooses (see {@link ServiceSettings}). */
const OPTIONAL_SETTINGS: ReadonlySet<keyof ServiceSettings> = new Set(["workerThreads"]);

/** The service's own defaults file: its defaults as the env vars it reads (the service's tests check it against its code). */
export const SERVICE_DEFAULTS_FILE = path.join(__dirname, "..", "service", "defaults.env");

/** Settings from `NAME=value` lines of env var names in {@link SETTINGS_ENV}; numbers where the setting is one. */
export function settingsFromEnvFile(text: string): ServiceSettings {
    const lines = text.split(/\r?\n/).filter((line) => line !== "" && !line.startsWith("#"));
    const { values } = parseEnvPairs(lines);
    const settings = Object.fromEntries(
        (Object.keys(SETTINGS_ENV) as (keyof ServiceSettings)[]).flatMap((key) => {
            const value = values[SETTINGS_ENV[key]];
            if (value === undefined) {
                if (OPTIONAL_SETTINGS.has(key)) {
                    return [];
                }
                throw new Error(`${SETTINGS_ENV[key]} is missing from the service's defaults`);
            }
            return [[key, key === "logLevel" || key === "greeting" ? value : Number(value)]];
        }),
    );
    return settings as unknown as ServiceSettings;
}

/** Defaults of the service settings: the service's own, read from {@link SERVICE_DEFAULTS_FILE}. */
export const DEFAULT_SETTINGS: Readonly<ServiceSettings> = Object.freeze(settingsFromEnvFile(fs.readFileSync(SERVICE_DEFAULTS_FILE, "utf8")));

/** Env var names owned by `settings`; `env`/`secretEnv` may not set them. */
export const RESERVED_ENV_NAMES: readonly string[] = Object.freeze(Object.values(SETTINGS_ENV));

/** Env var names people set expecting an effect the service does not give them, and the setting that has it. */
export const UNREAD_ENV_NAMES: ReadonlyMap<string, keyof ServiceSettings> = new Map([["RUST_LOG", "logLevel"]]);

/** The largest value of a Kubernetes integer field (int32): replicas, ports, seconds. */
export const INT32_MAX = 2_147_483_647;

/**
 * Longest pod termination grace period the component accepts, in seconds: a pod that may take longer to
 * stop holds node drains and every rollout for that long, which no HTTP service's drain needs.
 */
export const MAX_GRACE_PERIOD_SECONDS = 3600;

/** The most a ConfigMap's or Secret's data may hold, in bytes (Kubernetes refuses larger objects). */
export const MAX_OBJECT_DATA_BYTES = 1024 * 1024;

/** Seconds added to drain delay + shutdown deadline for the default termination grace period. */
export const GRACE_MARGIN_SECONDS = 5;

/** Fills unset settings with their defaults. */
export function resolveSettings(settings: Partial<ServiceSettings> | undefined): ServiceSettings {
    const resolved: ServiceSettings = { ...DEFAULT_SETTINGS };
    for (const [key, value] of Object.entries(settings ?? {})) {
        if (value !== undefined) {
            (resolved as unknown as Record<string, unknown>)[key] = value;
        }
    }
    return resolved;
}

/** The container env entries for the settings that are set, in a stable order. */
export function settingsEnv(settings: ServiceSettings): { name: string; value: string }[] {
    return (Object.keys(SETTINGS_ENV) as (keyof ServiceSettings)[])
        .filter((key) => settings[key] !== undefined)
        .map((key) => ({ name: SETTINGS_ENV[key], value: String(settings[key]) }));
}

/** The default termination grace period: drain + deadline rounded up, plus a margin, so Kubernetes never kills a draining pod. */
export function defaultTerminationGracePeriod(settings: ServiceSettings): number {
    return Math.ceil(settings.drainDelaySeconds + settings.shutdownDeadlineSeconds) + GRACE_MARGIN_SECONDS;
}

/**
 * Label naming the stack that owns an object: on the Namespace it makes a second stack's create of
 * the same namespace an apply conflict instead of a silent takeover, and in every selector it keeps
 * two stacks' workloads in one namespace from selecting each other's pods.
 */
export const STACK_LABEL = "rust-service/stack";

/**
 * The {@link STACK_LABEL} value for a project and stack: `<project>.<stack>`, made a valid label value
 * (at most 63 of [A-Za-z0-9._-], alphanumeric at both ends); a longer one keeps its start and ends
 * with a hash of the whole, so distinct stacks keep distinct values.
 */
export function stackLabelValue(project: string, stack: string): string {
    const full = `${project}.${stack}`;
    const cleaned = full.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
    if (cleaned === full && cleaned.length <= 63) return cleaned;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 10);
    return `${cleaned.slice(0, 52).replace(/[^A-Za-z0-9]+$/, "")}-${hash}`;
}

/** Labels for every object and the (smaller, immutable) selector labels. */
export function buildLabels(
    appName: string,
    instance: string,
    stack: string,
    extra: Record<string, string> = {},
): { labels: Record<string, string>; selector: Record<string, string> } {
    const selector = {
        "app.kubernetes.io/name": appName,
        "app.kubernetes.io/instance": instance,
        [STACK_LABEL]: stack,
    };
    return {
        selector,
        labels: { ...extra, ...selector, "app.kubernetes.io/managed-by": "pulumi" },
    };
}

/** Label keys the component sets itself; `labels` may not override them. */
export const OWNED_LABEL_KEYS: readonly string[] = Object.freeze([
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    STACK_LABEL,
]);

/**
 * Splits `NAME=value` strings (stack config form) into a record; reports entries without `=` or repeated
 * names. Any name is a plain key (`constructor`, `__proto__`). Problems name entries by index only, never
 * by their text: in a secret list the text before `=` may be a misplaced value.
 */
export function parseEnvPairs(entries: readonly string[]): { values: Record<string, string>; problems: string[]; indexes: ReadonlyMap<string, number> } {
    const pairs = new Map<string, string>();
    const indexes = new Map<string, number>();
    const problems: string[] = [];
    entries.forEach((entry, index) => {
        const eq = entry.indexOf("=");
        if (eq <= 0) {
            problems.push(`entry ${index} must have the form NAME=value`);
            return;
        }
        const key = entry.slice(0, eq);
        const first = indexes.get(key);
        if (first !== undefined) {
            problems.push(`entry ${index} repeats the name of entry ${first}: keep one`);
            return;
        }
        indexes.set(key, index);
        pairs.set(key, entry.slice(eq + 1));
    });
    // fromEntries defines own properties, so even `__proto__` stays a key rather than a prototype.
    return { values: Object.fromEntries(pairs), problems, indexes };
}

const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIX: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a Kubernetes resource quantity ("100m", "0.5", "64Mi", "1e3") to a number of base units; undefined if malformed. */
export function parseQuantity(quantity: string): number | undefined {
    const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(quantity);
    if (!match) {
        return undefined;
    }
    const base = Number(match[1]);
    if (match[2] !== undefined) {
        return base * 10 ** Number(match[2].slice(1));
    }
    const suffix = match[3] ?? "";
    return base * (BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix]);
}

/** The parts of an ECR repository URL (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`), or undefined. */
export function parseEcrRepositoryUrl(
    url: string,
): { registryId: string; region: string; server: string; repositoryName: string } | undefined {
    const match = /^((\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?)\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)$/.exec(url);
    if (!match) {
        return undefined;
    }
    return { server: match[1], registryId: match[2], region: match[3], repositoryName: match[4] };
}

/** The repository part of an image reference (`host/path` without tag or digest). */
export function imageRepository(reference: string): string {
    const withoutDigest = reference.split("@")[0];
    const lastSlash = withoutDigest.lastIndexOf("/");
    const lastColon = withoutDigest.lastIndexOf(":");
    return lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

/** The registry host of a repository (`host[:port]` before the first '/'). */
export function registryHost(repository: string): string {
    return repository.split("/")[0];
}

/** The ECR lifecycle policy: expire untagged images after `untaggedDays`, keep at most `keepLast` images. */
export function lifecyclePolicyDocument(untaggedDays: number, keepLast: number): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images older than ${untaggedDays} days`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep only the last ${keepLast} images`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepLast },
                action: { type: "expire" },
            },
        ],
    });
}

/** Build-arg names that suggest a secret; build args end up in the image history. */
export const SECRET_LIKE_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY)/i;

/** Whether a value is a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
