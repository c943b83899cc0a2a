/**
 * Decides whether the image tests run here and makes sure what they need is up: a Docker Engine,
 * a registry on $REGISTRY_ADDR and the builder base image. Provisioning goes through
 * test/harness/provision.sh (the same script .ci/run uses); whatever that run started is stopped
 * again by the returned function, and nothing else is.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docker, dockerUnavailableReason, repoRoot, serviceContext } from "../../scripts/lib/docker";

/** Registry the push/pull test uses, as `host:port`. */
export const registryAddr = process.env.REGISTRY_ADDR ?? "127.0.0.1:5001";

const inCi = process.env.CI === "true";
const provisionAllowed = inCi || process.env.RUST_SERVICE_PROVISION === "1";

/** The image the Dockerfile's builder stage starts `FROM` (e.g. `rust:1.95.0-slim-bookworm`). */
export function builderBaseImage(): string {
  const dockerfile = readFileSync(path.join(serviceContext, "Dockerfile"), "utf8");
  const match = /^FROM\s+(?:--platform=\S+\s+)?(rust:\S+)/m.exec(dockerfile);
  if (!match) throw new Error("service/Dockerfile has no `FROM rust:<version>` line");
  return match[1];
}

/**
 * Why the image tests must be skipped here, or undefined when they run. With CI=true they always
 * run (and fail if Docker cannot be provisioned); elsewhere they skip only when no Docker Engine
 * answers.
 */
export function imageTestsSkipReason(): string | undefined {
  if (inCi) return undefined;
  const reason = dockerUnavailableReason();
  if (!reason) return undefined;
  return (
    `${reason}.\nImage tests skipped: start Docker (or, on Debian as root, run ` +
    "`CI=true bash test/harness/provision.sh`) and run `npm run test:image` again. With CI=true this is a failure."
  );
}

async function registryAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`http://${registryAddr}/v2/`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function imagePresent(ref: string): Promise<boolean> {
  return docker(["image", "inspect", ref]).then(
    () => true,
    () => false,
  );
}

function runScript(script: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    // Output goes straight to the terminal: provisioning a fresh machine takes minutes.
    const child = spawn("bash", [path.join(repoRoot, "test", "harness", script), ...args], {
      env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`test/harness/${script} failed (exit ${code ?? signal}); its output is above`)),
    );
  });
}

/**
 * Ensures Docker, the registry and the builder base image are ready, running provision.sh when
 * something is missing and provisioning is allowed (CI=true or RUST_SERVICE_PROVISION=1).
 * Resolves with a function that stops exactly what this call started.
 */
export async function ensureProvisioned(): Promise<() => Promise<void>> {
  const ready =
    dockerUnavailableReason() === undefined && (await registryAnswers()) && (await imagePresent(builderBaseImage()));
  if (ready || !provisionAllowed) return async () => undefined;

  const stateDir = mkdtempSync(path.join(os.tmpdir(), "rust-service-provision-"));
  const startedFile = path.join(stateDir, "started");
  const stop = async () => {
    const started = readFileSync(startedFile, { encoding: "utf8", flag: "a+" }).trim();
    if (started) await runScript("stop.sh", process.env, [startedFile]);
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await runScript("provision.sh", { ...process.env, HARNESS_STARTED_FILE: startedFile, REGISTRY_ADDR: registryAddr });
  } catch (error) {
    // A half-finished run may already have started a daemon: stop it before failing.
    await stop();
    throw error;
  }
  return stop;
}
