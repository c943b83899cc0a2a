/**
 * The fresh-machine condition of issue 17: `npm run local:up` loads the docker module before
 * provisioning installs Debian's docker.io, while the only `docker` on PATH is a 28.x client without
 * buildx. The client must be chosen when a build needs it, and a client that cannot build must be
 * reported in seconds, not after the toolchain build.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { imageTestsSkipReason, provisionForTests } from "../harness/machine";

type DockerModule = typeof import("../../scripts/lib/docker");

const skipReason = imageTestsSkipReason();
if (skipReason) console.warn(skipReason);
const describeImage = skipReason ? describe.skip : describe;

/** Every `docker` this machine has, wherever it is installed. */
function installedClients(): string[] {
    const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/local/bin", "/usr/bin"];
    const found = dirs.map((dir) => path.join(dir, "docker")).filter((client, i, all) => all.indexOf(client) === i);
    return found.filter((client) => {
        try {
            execFileSync(client, ["--version"], { stdio: "ignore" });
            return true;
        } catch {
            return false;
        }
    });
}

/** A fresh copy of the docker module, as a new `npm run local:up` process loads it. */
function loadDockerModule(): DockerModule {
    let loaded: DockerModule | undefined;
    jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module instance per test
        loaded = require("../../scripts/lib/docker") as DockerModule;
    });
    return loaded!;
}

describeImage("choosing the docker client (real clients, real Docker Engine)", () => {
    const saved = { PATH: process.env.PATH, DOCKER: process.env.DOCKER };
    let stopProvisioned: () => Promise<void> = async () => undefined;
    let work = "";
    let usable = "";
    let withoutBuildx = "";
    let firstOnPath = "";
    let installedLater = "";

    beforeAll(async () => {
        stopProvisioned = await provisionForTests();
        const { buildKitProblem } = loadDockerModule();
        const clients = installedClients();
        usable = clients.find((client) => buildKitProblem(client) === undefined) ?? "";
        work = mkdtempSync(path.join(os.tmpdir(), "rust-service-docker-client-"));
        // This machine's own 28.x client lacks buildx; where every client has it (a GitHub runner),
        // a wrapper answers exactly as that client does: version 28.2.2, no buildx, builds refused.
        withoutBuildx = clients.find((client) => /without its buildx plugin/.test(buildKitProblem(client) ?? "")) ?? "";
        if (!withoutBuildx && usable) {
            withoutBuildx = path.join(work, "docker-28-without-buildx");
            writeFileSync(
                withoutBuildx,
                [
                    "#!/bin/sh",
                    'case "$1" in',
                    '  --version) echo "Docker version 28.2.2, build e6534b4" ;;',
                    "  buildx) echo \"docker: 'buildx' is not a docker command.\" >&2; exit 1 ;;",
                    '  build) echo "ERROR: BuildKit is enabled but the buildx component is missing or broken." >&2; exit 1 ;;',
                    `  *) exec ${usable} "$@" ;;`,
                    "esac",
                    "",
                ].join("\n"),
            );
            chmodSync(withoutBuildx, 0o755);
        }
        firstOnPath = path.join(work, "first-on-path");
        installedLater = path.join(work, "installed-by-provisioning");
        execFileSync("mkdir", ["-p", firstOnPath, installedLater]);
        symlinkSync(withoutBuildx, path.join(firstOnPath, "docker"));
    }, 40 * 60_000);

    beforeEach(() => {
        delete process.env.DOCKER;
        // Nothing else: /bin is /usr/bin on Debian, where the usable client lives.
        process.env.PATH = [firstOnPath, installedLater].join(path.delimiter);
        rmSync(path.join(installedLater, "docker"), { force: true });
    });

    afterAll(async () => {
        process.env.PATH = saved.PATH;
        if (saved.DOCKER !== undefined) process.env.DOCKER = saved.DOCKER;
        if (work) rmSync(work, { recursive: true, force: true });
        await stopProvisioned();
    });

    it("has a client that can build and one that cannot, as on a fresh machine after provisioning", () => {
        expect(usable).not.toBe("");
        expect(withoutBuildx).not.toBe("");
    });

    it("chooses the client provisioning installed after the module was loaded, not the one first on PATH", () => {
        const docker = loadDockerModule();
        symlinkSync(usable, path.join(installedLater, "docker"));

        expect(docker.dockerBin()).toBe(path.join(installedLater, "docker"));
    });

    it("builds with BuildKit through the client installed after the module was loaded", async () => {
        const docker = loadDockerModule();
        symlinkSync(usable, path.join(installedLater, "docker"));

        await expect(docker.checkBuildKit()).resolves.toBeUndefined();
    }, 120_000);

    it("says that the only client cannot build with BuildKit, and how to fix it", async () => {
        const docker = loadDockerModule();

        const failure = docker.checkBuildKit();

        await expect(failure).rejects.toThrow(/without its buildx plugin, so it cannot build with BuildKit/);
        await expect(failure).rejects.toThrow(/Install a client with BuildKit .* or point DOCKER at one/);
    }, 120_000);

    it("uses $DOCKER as given, whatever is on PATH", () => {
        const docker = loadDockerModule();
        process.env.DOCKER = usable;

        expect(docker.dockerBin()).toBe(usable);
    });
});
