/**
 * The one client of the real `docker` CLI, for `npm run local:up`, the image tests and the image
 * benchmark: choose a client that can build with BuildKit, run a command, build the service image,
 * run and inspect containers. Nothing here is mocked.
 */
import { execFile, execFileSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { repoRoot } from "./process";

/** The Docker build context of the service image. */
export const serviceContext = path.join(repoRoot, "service");

/** Every executable `docker` on PATH, in PATH order. */
function dockersOnPath(): string[] {
    const found: string[] = [];
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir || ".", "docker");
        try {
            accessSync(candidate, constants.X_OK);
            if (!found.includes(candidate)) found.push(candidate);
        } catch {
            // Not in this directory.
        }
    }
    return found;
}

/**
 * Why `client` cannot build with BuildKit, or undefined when it can. Clients before 23.0 carry
 * BuildKit themselves; later ones need the buildx plugin (a 28.x client without it fails every
 * build with "BuildKit is enabled but the buildx component is missing or broken"). Needs no daemon.
 */
export function buildKitProblem(client: string): string | undefined {
    const run = (args: string[]) => execFileSync(client, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
    let version: string;
    try {
        version = /(\d+)\.(\d+)\.(\d+)/.exec(run(["--version"]))?.[0] ?? "";
    } catch (error) {
        return `\`${client} --version\` failed: ${(error as Error).message.split("\n")[0]}`;
    }
    if (version === "") return `\`${client} --version\` printed no version`;
    if (Number(version.split(".")[0]) < 23) return undefined;
    try {
        run(["buildx", "version"]);
        return undefined;
    } catch {
        return `${client} is docker ${version} without its buildx plugin, so it cannot build with BuildKit`;
    }
}

let chosen: string | undefined;

/**
 * The docker client to use, chosen when first needed (never at import: provisioning may install
 * the only usable one after this module is loaded): `$DOCKER`, else the first `docker` on PATH
 * that can build with BuildKit, else the first `docker` on PATH (its builds then fail with
 * {@link buildKitProblem}'s reason). A usable choice is kept; an unusable one is looked up again.
 */
export function dockerBin(): string {
    if (process.env.DOCKER) return process.env.DOCKER;
    if (chosen) return chosen;
    const candidates = dockersOnPath();
    const usable = candidates.find((client) => buildKitProblem(client) === undefined);
    if (usable) chosen = usable;
    return usable ?? candidates[0] ?? "docker";
}

/**
 * Builds a one-file `FROM scratch` image with BuildKit and removes it: the check that the chosen
 * client and the daemon can build at all, made in a second before anything long starts. Rejects
 * with the reason and the fix.
 */
export async function checkBuildKit(): Promise<void> {
    const client = dockerBin();
    const dir = mkdtempSync(path.join(os.tmpdir(), "rust-service-buildkit-"));
    const tag = `rust-service-buildkit-check:${process.pid}`;
    try {
        writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\nCOPY probe /probe\n");
        writeFileSync(path.join(dir, "probe"), "BuildKit probe\n");
        await docker(["build", "--quiet", "--tag", tag, dir], { timeoutMs: 60_000 });
        await docker(["rmi", tag]);
    } catch (error) {
        const reason = buildKitProblem(client) ?? (error as Error).message.split("\n").slice(0, 3).join(" ");
        throw new Error(
            `${client} cannot build the service image with BuildKit: ${reason}. ` +
                "Install a client with BuildKit (Debian's docker.io, or Docker's docker-buildx-plugin) or point DOCKER at one",
        );
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

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
        const client = dockerBin();
        execFile(client, args, { env: dockerEnv, maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 }, (error, stdout, stderr) => {
            if (error) {
                reject(new Error(`${client} ${args.join(" ")} failed: ${error.message}\n${stderr.slice(-4000)}`));
            } else {
                resolve({ stdout, stderr });
            }
        });
    });
}

/** Why Docker cannot be used here, or undefined when the daemon answers. Synchronous, 10 s at most. */
export function dockerUnavailableReason(): string | undefined {
    const client = dockerBin();
    try {
        execFileSync(client, ["version", "--format", "{{.Server.Version}}"], {
            env: dockerEnv,
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 10_000,
        });
        return undefined;
    } catch (error) {
        const err = error as { stderr?: Buffer; message: string };
        const detail = err.stderr?.toString().trim() || err.message;
        return `\`${client} version\` could not reach a Docker Engine: ${detail.split("\n")[0]}`;
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
