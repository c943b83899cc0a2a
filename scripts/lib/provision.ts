/**
 * Docker, the registry on 127.0.0.1:5001 and the builder base image, made ready by
 * scripts/provision/provision.sh (Debian, as root) and stopped by scripts/provision/stop.sh: the one
 * client of both, for `npm run local:up` and the tests alike.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docker, dockerUnavailableReason, serviceContext } from "./docker";
import { runScript } from "./process";

/** The registry the local stack and the tests push to, as `host:port` (REGISTRY_ADDR overrides it). */
export const registryAddr = process.env.REGISTRY_ADDR ?? "127.0.0.1:5001";

/** Whether this machine can be provisioned: Debian, as root. */
export function canProvision(): boolean {
    return process.getuid?.() === 0 && existsSync("/etc/debian_version");
}

/** True when a registry answers `GET /v2/` on `addr`. */
export async function registryAnswers(addr = registryAddr): Promise<boolean> {
    try {
        return (await fetch(`http://${addr}/v2/`, { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
        return false;
    }
}

/** The image the Dockerfile's builder stage starts `FROM` (e.g. `rust:1.95.0-slim-bookworm`). */
export function builderBaseImage(): string {
    const dockerfile = readFileSync(path.join(serviceContext, "Dockerfile"), "utf8");
    const match = /^FROM\s+(?:--platform=\S+\s+)?(rust:\S+)/m.exec(dockerfile);
    if (!match) throw new Error("service/Dockerfile has no `FROM rust:<version>` line");
    return match[1];
}

/**
 * Runs provision.sh: installs what is missing and starts what is not running, appending what it
 * started to `startedFile` ("<name> <pid>" lines) for {@link stopStarted}.
 */
export function provision(startedFile: string): Promise<void> {
    return runScript("scripts/provision/provision.sh", [], { ...process.env, HARNESS_STARTED_FILE: startedFile, REGISTRY_ADDR: registryAddr });
}

/** Stops exactly the processes a {@link provision} run recorded in `startedFile`, newest first. */
export function stopStarted(startedFile: string): Promise<void> {
    return runScript("scripts/provision/stop.sh", [startedFile]);
}

/**
 * Ensures Docker, the registry and the builder base image are ready, provisioning when something is
 * missing and `allowed`. Resolves with a function that stops exactly what this call started.
 */
export async function ensureProvisioned(allowed: boolean): Promise<() => Promise<void>> {
    const imagePresent = () =>
        docker(["image", "inspect", builderBaseImage()]).then(
            () => true,
            () => false,
        );
    const ready = dockerUnavailableReason() === undefined && (await registryAnswers()) && (await imagePresent());
    if (ready || !allowed) return async () => undefined;

    const stateDir = mkdtempSync(path.join(os.tmpdir(), "rust-service-provision-"));
    const startedFile = path.join(stateDir, "started");
    const stop = async () => {
        if (readFileSync(startedFile, { encoding: "utf8", flag: "a+" }).trim()) await stopStarted(startedFile);
        rmSync(stateDir, { recursive: true, force: true });
    };
    try {
        await provision(startedFile);
    } catch (error) {
        // A half-finished run may already have started a daemon: stop it before failing.
        await stop();
        throw error;
    }
    return stop;
}
