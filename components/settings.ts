import * as fs from "fs";
import * as path from "path";
import { parseEnvPairs } from "./envPairs";

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
