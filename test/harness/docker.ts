/**
 * Thin helpers over the real `docker` CLI for the image tests and the image benchmark: run a
 * command, build the service image, run and inspect containers. Nothing here is mocked.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

/** Repository root (this file lives in test/harness/). */
export const repoRoot = path.resolve(__dirname, "..", "..");

/** The Docker build context of the service image. */
export const serviceContext = path.join(repoRoot, "service");

/**
 * The docker client to use: `$DOCKER`, else Debian's /usr/bin/docker (20.10, BuildKit built in;
 * the 28.x client first on this machine's PATH lacks buildx), else `docker` from PATH.
 */
export const dockerBin = process.env.DOCKER ?? (existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker");

/** Network for build steps that download crates; `host` here (see docs/image.md). Empty = default. */
export const buildNetwork = process.env.DOCKER_BUILD_NETWORK ?? "host";

const dockerEnv = { ...process.env, DOCKER_BUILDKIT: "1" };

/** Output of a finished command. */
export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs `docker ...args`; rejects with the command and its stderr when it exits non-zero. */
export function docker(args: string[], options: { timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      dockerBin,
      args,
      { env: dockerEnv, maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${dockerBin} ${args.join(" ")} failed: ${error.message}\n${stderr.slice(-4000)}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** Why Docker cannot be used here, or undefined when the daemon answers. Synchronous, 10 s at most. */
export function dockerUnavailableReason(): string | undefined {
  try {
    execFileSync(dockerBin, ["version", "--format", "{{.Server.Version}}"], {
      env: dockerEnv,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 10_000,
    });
    return undefined;
  } catch (error) {
    const err = error as { stderr?: Buffer; message: string };
    const detail = err.stderr?.toString().trim() || err.message;
    return `\`${dockerBin} version\` could not reach a Docker Engine: ${detail.split("\n")[0]}`;
  }
}

/** A name no other run uses: `<prefix>-<pid>-<random>`, valid as a container name and image repository. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/** Options for {@link buildImage}. */
export interface BuildOptions {
  /** Tag to give the image, e.g. `rust-service-test:abc`. */
  tag: string;
  /** Build context directory; default the repository's service/. */
  context?: string;
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /** Milliseconds before the build is abandoned; default 30 min (a cold build compiles every crate). */
  timeoutMs?: number;
}

/** Builds the Dockerfile in the context with BuildKit; resolves with the image ID. */
export async function buildImage(options: BuildOptions): Promise<string> {
  const args = ["build", "--progress=plain", "--tag", options.tag];
  if (buildNetwork) args.push(`--network=${buildNetwork}`);
  for (const [key, value] of Object.entries(options.buildArgs ?? {})) args.push("--build-arg", `${key}=${value}`);
  args.push(options.context ?? serviceContext);
  await docker(args, { timeoutMs: options.timeoutMs ?? 30 * 60_000 });
  return (await docker(["image", "inspect", "--format", "{{.Id}}", options.tag])).stdout.trim();
}

/** Options for {@link runContainer}. */
export interface RunOptions {
  /** Container name (use {@link uniqueName}). */
  name: string;
  /** Image reference. */
  image: string;
  /** Environment variables passed with `-e`. */
  env?: Record<string, string>;
  /** Extra `docker run` flags, e.g. `--read-only`. */
  flags?: string[];
}

/**
 * Starts a detached container with the service port published on a free loopback port; resolves
 * with the container ID and the `http://127.0.0.1:<port>` base URL.
 */
export async function runContainer(options: RunOptions): Promise<{ id: string; baseUrl: string }> {
  const args = ["run", "--detach", "--name", options.name, "--publish", "127.0.0.1::8080", ...(options.flags ?? [])];
  for (const [key, value] of Object.entries(options.env ?? {})) args.push("--env", `${key}=${value}`);
  args.push(options.image);
  const id = (await docker(args)).stdout.trim();
  const mapping = (await docker(["port", id, "8080/tcp"])).stdout.trim().split("\n")[0];
  const port = mapping.slice(mapping.lastIndexOf(":") + 1);
  return { id, baseUrl: `http://127.0.0.1:${port}` };
}

/** `docker inspect` of one object, parsed. */
export async function inspect<T = Record<string, unknown>>(ref: string): Promise<T> {
  const [first] = JSON.parse((await docker(["inspect", ref])).stdout) as T[];
  return first;
}

/** Removes containers by name or ID, ignoring ones that are already gone. */
export async function removeContainers(refs: string[]): Promise<void> {
  if (refs.length === 0) return;
  await docker(["rm", "--force", "--volumes", ...refs]).catch(() => undefined);
}

/** Removes image references, ignoring ones that are already gone. */
export async function removeImages(refs: string[]): Promise<void> {
  if (refs.length === 0) return;
  await docker(["rmi", "--force", ...refs]).catch(() => undefined);
}

/** Last lines of a container's log, for failure messages. */
export async function containerLogs(ref: string, lines = 40): Promise<string> {
  const { stdout, stderr } = await docker(["logs", "--tail", String(lines), ref]).catch((e: Error) => ({
    stdout: "",
    stderr: e.message,
  }));
  return `${stdout}${stderr}`;
}
