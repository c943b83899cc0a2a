/**
 * The service image, built from the real service/Dockerfile by a real Docker Engine, run as a
 * container and pushed to and pulled from a real registry. One file, so the image is built once
 * and the provisioning it may start is stopped only after every test is done.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildImage, containerLogs, docker, inspect, removeContainers, removeImages, runContainer, uniqueName } from "../../scripts/lib/docker";
import { request, waitForStatus } from "../harness/http";
import { repoRoot } from "../../scripts/lib/process";
import { builderBaseImage, registryAddr } from "../../scripts/lib/provision";
import { imageTestsSkipReason, provisionForTests } from "../harness/machine";

const skipReason = imageTestsSkipReason();
if (skipReason) console.warn(skipReason);
const describeImage = skipReason ? describe.skip : describe;

const MINUTE = 60_000;
const runId = uniqueName("rust-service-test");
const imageTag = `${runId}:latest`;
const buildArgs = {
    SOURCE_URL: "https://example.com/acme/rust-service",
    REVISION: execFileSync("git", ["rev-parse", "HEAD"], { cwd: repoRoot }).toString().trim(),
    VERSION: `0.1.0-${runId}`,
};

interface ContainerInfo {
    State: { Status: string; ExitCode: number; OOMKilled: boolean; Health?: { Status: string; Log: { ExitCode: number }[] } };
    HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[] | null; SecurityOpt: string[] | null };
}

interface ImageInfo {
    Id: string;
    RepoDigests: string[];
    Config: {
        User: string;
        Entrypoint: string[];
        Cmd: string[] | null;
        ExposedPorts: Record<string, object>;
        Env: string[] | null;
        Labels: Record<string, string>;
        Healthcheck: { Test: string[] };
    };
}

/** `/proc/<pid>/status` fields of the container's PID 1, read from a sidecar in its PID namespace. */
async function processStatus(containerId: string): Promise<Record<string, string>> {
    const { stdout } = await docker(["run", "--rm", "--network", "none", "--pid", `container:${containerId}`, builderBaseImage(), "cat", "/proc/1/status"]);
    return Object.fromEntries(
        stdout
            .trim()
            .split("\n")
            .map((line) => line.split(/:\s*/, 2) as [string, string]),
    );
}

describeImage("service image (real Docker Engine and registry)", () => {
    let stopProvisioned: () => Promise<void> = async () => undefined;
    let imageId = "";
    const containers: string[] = [];
    const images: string[] = [imageTag];
    const registryManifests: string[] = [];

    async function start(suffix: string, options: { env?: Record<string, string>; flags?: string[]; image?: string } = {}) {
        const name = `${runId}-${suffix}`;
        containers.push(name);
        return runContainer({ name, image: options.image ?? imageTag, env: options.env, flags: options.flags });
    }

    beforeAll(async () => {
        stopProvisioned = await provisionForTests();
        imageId = await buildImage({ tag: imageTag, buildArgs });
    }, 40 * MINUTE);

    afterAll(async () => {
        await removeContainers(containers);
        await removeImages(images);
        for (const manifest of registryManifests) {
            await fetch(manifest, { method: "DELETE" }).catch(() => undefined);
        }
        await stopProvisioned();
    }, 5 * MINUTE);

    describe("image configuration", () => {
        let image: ImageInfo;
        beforeAll(async () => {
            image = await inspect<ImageInfo>(imageId);
        });

        it("runs as the numeric non-root user 65532:65532", () => {
            expect(image.Config.User).toBe("65532:65532");
        });

        it("starts the binary directly through an exec-form entrypoint on port 8080", () => {
            expect(image.Config.Entrypoint).toEqual(["/rust-service"]);
            expect(image.Config.Cmd ?? []).toEqual([]);
            expect(Object.keys(image.Config.ExposedPorts)).toEqual(["8080/tcp"]);
        });

        it("declares a HEALTHCHECK that uses the binary's own healthcheck mode", () => {
            expect(image.Config.Healthcheck.Test).toEqual(["CMD", "/rust-service", "healthcheck"]);
        });

        it("carries the OCI source, revision and version labels from the build args", () => {
            expect(image.Config.Labels).toMatchObject({
                "org.opencontainers.image.source": buildArgs.SOURCE_URL,
                "org.opencontainers.image.revision": buildArgs.REVISION,
                "org.opencontainers.image.version": buildArgs.VERSION,
            });
        });

        it(
            "contains only the binary and the CA bundle",
            async () => {
                const dir = mkdtempSync(path.join(os.tmpdir(), "rust-service-image-"));
                try {
                    await docker(["save", "--output", path.join(dir, "image.tar"), imageTag]);
                    execFileSync("tar", ["-xf", "image.tar"], { cwd: dir });
                    const [manifest] = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as { Layers: string[] }[];
                    const files = manifest.Layers.flatMap((layer) =>
                        execFileSync("tar", ["-tf", path.join(dir, layer)])
                            .toString()
                            .trim()
                            .split("\n"),
                    ).filter((entry) => !entry.endsWith("/"));
                    expect(files.sort()).toEqual(["etc/ssl/certs/ca-certificates.crt", "rust-service"]);
                } finally {
                    rmSync(dir, { recursive: true, force: true });
                }
            },
            2 * MINUTE,
        );
    });

    describe("a running container", () => {
        let id = "";
        let baseUrl = "";
        const greeting = `Hello from ${runId}`;

        beforeAll(async () => {
            ({ id, baseUrl } = await start("main", { env: { GREETING: greeting } }));
            await waitForStatus(`${baseUrl}/healthz`, 200, 30_000).catch(async (error: Error) => {
                throw new Error(`${error.message}\ncontainer log:\n${await containerLogs(id)}`);
            });
        }, 2 * MINUTE);

        it("answers 200 on /healthz through the published port", async () => {
            const res = await request(`${baseUrl}/healthz`);
            expect(res.status).toBe(200);
        });

        it("shows the GREETING passed with `docker run -e` in GET /", async () => {
            const res = await request(`${baseUrl}/`);
            expect(res.status).toBe(200);
            expect(JSON.parse(res.body)).toMatchObject({ service: "rust-service", greeting });
        });

        it(
            "becomes healthy through its HEALTHCHECK",
            async () => {
                // The first probe runs one interval (10 s) after start.
                const deadline = Date.now() + 45_000;
                let health = (await inspect<ContainerInfo>(id)).State.Health;
                while (health?.Status !== "healthy" && Date.now() < deadline) {
                    await new Promise((r) => setTimeout(r, 500));
                    health = (await inspect<ContainerInfo>(id)).State.Health;
                }
                expect(health?.Status).toBe("healthy");
                expect(health?.Log.at(-1)?.ExitCode).toBe(0);
            },
            MINUTE,
        );
    });

    describe("hardened run", () => {
        it(
            "serves as uid/gid 65532 with a read-only root filesystem, no capabilities and no-new-privileges",
            async () => {
                const { id, baseUrl } = await start("hardened", {
                    flags: ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"],
                });
                await waitForStatus(`${baseUrl}/healthz`, 200, 30_000);

                const status = await processStatus(id);
                expect(status.Uid.split(/\s+/)).toEqual(["65532", "65532", "65532", "65532"]);
                expect(status.Gid.split(/\s+/)).toEqual(["65532", "65532", "65532", "65532"]);
                expect(status.CapEff).toBe("0000000000000000");
                expect(status.CapBnd).toBe("0000000000000000");
                expect(status.NoNewPrivs).toBe("1");
                expect((await inspect<ContainerInfo>(id)).HostConfig.ReadonlyRootfs).toBe(true);
            },
            2 * MINUTE,
        );
    });

    describe("graceful shutdown", () => {
        const drainSeconds = 1;
        const deadlineSeconds = 5;

        it(
            "lets an in-flight request finish on `docker stop` and exits 0 within drain delay + deadline",
            async () => {
                const { id, baseUrl } = await start("shutdown", {
                    env: { DRAIN_DELAY_SECONDS: String(drainSeconds), SHUTDOWN_DEADLINE_SECONDS: String(deadlineSeconds) },
                });
                await waitForStatus(`${baseUrl}/healthz`, 200, 30_000);

                // A 16 KiB body sent over ~3 s: the request is still arriving when SIGTERM lands.
                const chunks = Array.from({ length: 16 }, () => Buffer.alloc(1024, "x"));
                let firstChunkSent: () => void = () => undefined;
                const inFlight = new Promise<void>((resolve) => (firstChunkSent = resolve));
                let respondedAt = 0;
                const response = request(`${baseUrl}/echo`, {
                    method: "POST",
                    chunks,
                    chunkIntervalMs: 200,
                    timeoutMs: 30_000,
                    onFirstChunk: () => firstChunkSent(),
                }).then((res) => {
                    respondedAt = performance.now();
                    return res;
                });
                await inFlight;
                await new Promise((r) => setTimeout(r, 300));

                const stopIssuedAt = performance.now();
                // -t 30: if SIGTERM were ignored, Docker would SIGKILL only after 30 s and the exit code would be 137.
                await docker(["stop", "--time", "30", id], { timeoutMs: MINUTE });
                const stopSeconds = (performance.now() - stopIssuedAt) / 1000;

                const res = await response;
                expect(res.status).toBe(200);
                expect(JSON.parse(res.body)).toEqual({ bytes: 16 * 1024 });
                expect(respondedAt).toBeGreaterThan(stopIssuedAt);

                const state = (await inspect<ContainerInfo>(id)).State;
                expect(state.ExitCode).toBe(0);
                expect(state.OOMKilled).toBe(false);
                expect(stopSeconds).toBeLessThan(drainSeconds + deadlineSeconds + 1);
            },
            2 * MINUTE,
        );
    });

    // Last: it removes every local reference to the built image.
    describe("registry round trip", () => {
        it(
            "pushes to the registry, pulls back by digest after removing the local image, and runs it",
            async () => {
                const repository = `${registryAddr}/${runId}`;
                images.push(`${repository}:push`);
                await docker(["tag", imageTag, `${repository}:push`]);
                const pushed = await docker(["push", `${repository}:push`], { timeoutMs: 5 * MINUTE });
                const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
                expect(digest).toBeDefined();
                registryManifests.push(`http://${repository.replace(`${registryAddr}/`, `${registryAddr}/v2/`)}/manifests/${digest}`);

                // Every local trace of the image goes, so the pull below must fetch it from the registry.
                await removeContainers(containers);
                await docker(["rmi", imageTag, `${repository}:push`]);
                await expect(docker(["image", "inspect", imageId])).rejects.toThrow(/No such image/);

                const byDigest = `${repository}@${digest}`;
                images.push(byDigest);
                await docker(["pull", byDigest], { timeoutMs: 5 * MINUTE });
                expect((await inspect<ImageInfo>(byDigest)).Id).toBe(imageId);

                const { baseUrl } = await start("pulled", { image: byDigest });
                await waitForStatus(`${baseUrl}/healthz`, 200, 30_000);
            },
            10 * MINUTE,
        );
    });
});
