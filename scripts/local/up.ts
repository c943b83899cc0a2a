/**
 * `npm run local:up` / `npm run local:down`: the `local` stack on this machine, no cloud account.
 *
 *   up     Docker and the registry on 127.0.0.1:5001 (installed and started by scripts/provision/provision.sh
 *          on Debian as root; elsewhere Docker must run and the registry is a `registry:2` container),
 *          a cluster (the project's own single-node cluster, or with --context NAME an existing kube
 *          context such as kind-rust-service), the Pulumi CLI and Kubernetes provider (installed ones, else
 *          built), then `up` of the local stack and the service's answer to `GET /`.
 *   down   destroys the stack and stops what `up` started (the cluster, dockerd, the registry).
 *
 * State lives in .local/ (RUST_SERVICE_LOCAL_DIR): the kubeconfig, the Pulumi backend and the
 * generated passphrase. Nothing there is deleted by a failed run.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { PROJECT } from "../../config";
import { cluster, clusterKubeconfig, clusterPreflightProblem, clusterUp, writeContextKubeconfig } from "../cluster/cluster";
import { tool } from "../cluster/tools";
import { checkBuildKit, dockerBin, dockerUnavailableReason } from "../lib/docker";
import { CommandFailed, repoRoot } from "../lib/process";
import { canProvision, provision, registryAddr, registryAnswers, stopStarted } from "../lib/provision";
import { buildAndPush } from "./image";
import { runStack } from "./runStack";
import type { StackResult } from "./stack";

const localDir = path.resolve(process.env.RUST_SERVICE_LOCAL_DIR ?? path.join(repoRoot, ".local"));
/** Bumped when the layout of .local changes; an older folder is reported, never rewritten. */
const LAYOUT = "1";

/** A problem the user can fix: printed as one line, exit code 1, no stack trace. */
class UserError extends Error {}

const started = Date.now();
function phase(text: string): void {
    process.stderr.write(`\n[local +${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${text}\n`);
}

/** The local folder's layout: created on first use, refused when an older version made it. */
function checkLayout(): void {
    const marker = path.join(localDir, "layout");
    if (!fs.existsSync(localDir) || fs.readdirSync(localDir).length === 0) {
        fs.mkdirSync(localDir, { recursive: true });
        fs.writeFileSync(marker, `${LAYOUT}\n`);
        return;
    }
    const found = fs.existsSync(marker) ? fs.readFileSync(marker, "utf8").trim() : "none";
    if (found !== LAYOUT) {
        throw new UserError(
            `${localDir} was made by another version of this project (layout ${found}, this one uses ${LAYOUT}): ` +
                `run \`npm run local:down\` with the version that made it, or move the folder away; nothing was deleted`,
        );
    }
}

/** The toolchain's cache, as scripts/cluster/toolchain.sh computes it. */
function toolchainDir(): string {
    return (
        process.env.RUST_SERVICE_TOOLCHAIN_DIR ??
        path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? "/root", ".cache"), "rust-service-pulumi", "toolchain")
    );
}

/** GiB free on the filesystem holding `dir` (or its nearest existing parent). */
function freeGiB(dir: string): number {
    let existing = dir;
    while (!fs.existsSync(existing)) existing = path.dirname(existing);
    const stats = fs.statfsSync(existing);
    return (stats.bavail * stats.bsize) / 2 ** 30;
}

/**
 * Disk a first run needs, measured on a fresh machine (docs/local.md): the Go module and build
 * caches plus the toolchain, and Docker's images and build cache plus the cluster's containerd.
 */
const DISK_GIB = { toolchainCold: 12, toolchainWarm: 1, docker: 6 };

/** What can be known in the first second: everything that would otherwise fail after the long builds. */
async function preflight(context: string | undefined): Promise<void> {
    const problems: string[] = [];
    const isRoot = process.getuid?.() === 0;
    const provisions = canProvision();
    if (!context && !isRoot) {
        problems.push(
            "the project's own cluster needs root (it runs a kubelet); run as root, or pass `-- --context <kube context>` to use an existing cluster such as kind",
        );
    }
    const toolchainWarm = fs.existsSync(toolchainDir()) && fs.readdirSync(toolchainDir()).some((d) => fs.existsSync(path.join(toolchainDir(), d, ".complete")));
    const needs: [string, number, string][] = [
        [toolchainDir(), toolchainWarm ? DISK_GIB.toolchainWarm : DISK_GIB.toolchainCold, "the toolchain build (Go caches and binaries)"],
        [provisions ? "/var/lib" : localDir, DISK_GIB.docker, "Docker images and the cluster's containers"],
    ];
    for (const [dir, gib, what] of needs) {
        const free = freeGiB(dir);
        if (free < gib) problems.push(`${dir} has ${free.toFixed(1)} GiB free, and ${what} needs about ${gib} GiB: free some space and run again`);
    }
    if (!(await registryAnswers())) {
        const owner = portOwner(Number(registryAddr.split(":")[1]));
        if (owner) problems.push(`port ${registryAddr} is taken by ${owner}, which is not a registry: stop it, then run again`);
    }
    const clusterProblem = !context && isRoot ? clusterPreflightProblem() : undefined;
    if (clusterProblem) problems.push(clusterProblem);
    const dockerProblem = provisions ? undefined : dockerUnavailableReason();
    if (dockerProblem) {
        problems.push(`Docker is not running and cannot be installed here (needs root on Debian): start Docker, then run again (${dockerProblem})`);
    }
    if (problems.length > 0)
        throw new UserError(`this machine cannot run local:up yet; nothing was started or built:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/** The process listening on a loopback TCP port, as `ss` names it, or undefined when the port is free. */
function portOwner(port: number): string | undefined {
    try {
        const out = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        if (out.trim() === "") return undefined;
        const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
        return match ? `${match[1]} (pid ${match[2]})` : "another process";
    } catch {
        return undefined;
    }
}

/**
 * Starts scripts/cluster/toolchain.sh in the background (its progress lines go to the terminal), so
 * the half-hour cold build overlaps provisioning. Resolves when it has finished; `stop` ends it.
 */
function startToolchain(): { done: Promise<void>; stop: () => void } {
    const child = spawn("bash", [path.join(repoRoot, "scripts", "cluster", "toolchain.sh")], { stdio: ["ignore", "ignore", "inherit"], detached: true });
    const done = new Promise<void>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new UserError(`the toolchain build failed (exit ${code}); its lines above name the log`))));
    });
    // Handled where it is awaited; this keeps an early failure elsewhere from also reporting it.
    done.catch(() => undefined);
    const stop = () => {
        if (child.exitCode === null && child.pid) {
            try {
                process.kill(-child.pid, "SIGTERM");
            } catch {
                // Already gone.
            }
        }
    };
    return { done, stop };
}

async function ensureDockerAndRegistry(): Promise<void> {
    if (canProvision()) {
        // Installs what is missing and starts what is not running; records what it started for local:down.
        await provision(path.join(localDir, "started"));
        return;
    }
    if (!(await registryAnswers())) {
        console.error(`starting a registry:2 container on ${registryAddr}`);
        execFileSync(dockerBin(), ["run", "-d", "--restart=always", "--name", "rust-service-registry", "-p", `${registryAddr}:5000`, "registry:2"], {
            stdio: "inherit",
        });
        fs.writeFileSync(path.join(localDir, "registry-container"), "rust-service-registry\n");
    }
}

/** The kubeconfig the stack deploys with, at .local/kubeconfig. */
async function ensureCluster(context: string | undefined): Promise<string> {
    const kubeconfig = path.join(localDir, "kubeconfig");
    if (context) {
        // An existing cluster (kind, minikube, Docker Desktop): only that context, copied so the stack never follows a context switch.
        writeContextKubeconfig(context, kubeconfig);
        fs.writeFileSync(path.join(localDir, "cluster"), `context ${context}\n`);
        return kubeconfig;
    }
    const wasUp = clusterUp();
    await cluster("up", { ...process.env, REGISTRY_ADDR: registryAddr });
    const record = path.join(localDir, "cluster");
    // Stopped by local:down only if a local:up started it (the e2e tests may share the same cluster).
    if (!wasUp || !fs.existsSync(record)) fs.writeFileSync(record, wasUp ? "own shared\n" : "own started\n");
    fs.copyFileSync(clusterKubeconfig(), kubeconfig);
    fs.chmodSync(kubeconfig, 0o600);
    return kubeconfig;
}

/** One operation on the local stack, its engine output on the terminal; a failed one is the user's to fix. */
async function stackCommand(args: string[], kubeconfig: string): Promise<StackResult> {
    const { result } = await runStack(args, {
        dir: path.join(localDir, "pulumi"),
        stack: "local",
        kubeconfig,
        env: { PULUMI_HOME: pulumiHome() },
        syncStackFile: true,
        showEngineOutput: true,
    });
    if (!result.ok) throw new UserError(`pulumi ${args[0]} failed: ${result.error}`);
    return result;
}

/** The user's own Pulumi home, so installed plugins (docker, kubernetes) are used. */
function pulumiHome(): string {
    return process.env.PULUMI_HOME ?? path.join(process.env.HOME ?? "", ".pulumi");
}

/** True when the docker provider plugin is installed, so the component can build the image itself. */
function dockerPluginInstalled(): boolean {
    const plugins = path.join(pulumiHome(), "plugins");
    return fs.existsSync(plugins) && fs.readdirSync(plugins).some((d) => d.startsWith("resource-docker-v"));
}

/** `kubectl port-forward` to the Service on a free local port; resolves with the port and the process. */
function portForward(kubeconfig: string, namespace: string, service: string): Promise<{ port: number; child: ChildProcess }> {
    return new Promise((resolve, reject) => {
        const kubectl = process.env.KUBECTL ?? tool("kubectl");
        const child = spawn(kubectl, ["--kubeconfig", kubeconfig, "-n", namespace, "port-forward", `svc/${service}`, ":80"], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        let seen = "";
        const timer = setTimeout(() => reject(new Error(`kubectl port-forward printed no port: ${seen}`)), 20_000);
        child.stdout.on("data", (d: Buffer) => {
            seen += d.toString();
            const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(seen);
            if (match) {
                clearTimeout(timer);
                resolve({ port: Number(match[1]), child });
            }
        });
        child.stderr.on("data", (d: Buffer) => (seen += d.toString()));
        child.on("error", reject);
    });
}

/** `kubectl` when it is on PATH, else a link to the toolchain's in .local/bin. */
function kubectlCommand(): string {
    try {
        execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
        return "kubectl";
    } catch {
        const bin = path.join(localDir, "bin");
        fs.mkdirSync(bin, { recursive: true });
        fs.rmSync(path.join(bin, "kubectl"), { force: true });
        fs.symlinkSync(tool("kubectl"), path.join(bin, "kubectl"));
        return path.relative(process.cwd(), path.join(bin, "kubectl"));
    }
}

async function up(context: string | undefined): Promise<void> {
    checkLayout();
    phase("preflight: root, disk space, ports, Docker");
    await preflight(context);
    phase("toolchain: the Pulumi CLI, the Kubernetes provider and Kubernetes, built in the background when missing (about 30 min the first time)");
    const toolchain = startToolchain();
    try {
        phase("Docker and the local registry");
        await ensureDockerAndRegistry();
        // Read only now: provisioning may have installed the one client that can build.
        await checkBuildKit().catch((error: Error) => {
            throw new UserError(error.message);
        });
        phase("waiting for the toolchain");
        await toolchain.done;
    } finally {
        toolchain.stop();
    }
    phase(context ? `cluster: the existing kube context ${context}` : "cluster: the project's single-node Kubernetes");
    const kubeconfig = await ensureCluster(context);
    tool("pulumi");

    const stackFile = parseYaml(fs.readFileSync(path.join(repoRoot, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, string> };
    const registry = stackFile.config[`${PROJECT}:registryServer`];
    const repository = stackFile.config[`${PROJECT}:registryRepository`];
    if (dockerPluginInstalled()) {
        phase("image: built and pushed by the component (docker provider plugin found)");
        await stackCommand(["config-rm", "image"], kubeconfig);
    } else {
        phase("image: the docker provider plugin is not installed, so the same Dockerfile is built with the docker CLI and deployed by digest");
        const image = await buildAndPush(registry, repository, (line) => console.error(line));
        console.error(`image ${image}`);
        await stackCommand(["config-set", "image", image], kubeconfig);
    }

    phase("pulumi up --stack local");
    const result = await stackCommand(["up"], kubeconfig);
    const outputs = result.outputs ?? {};
    const changes = Object.entries(result.changes ?? {})
        .map(([op, n]) => `${n} ${op}`)
        .join(", ");
    phase(`deployed (${changes})`);
    for (const [key, value] of Object.entries(outputs)) console.log(`  ${key.padEnd(15)} ${String(value)}`);

    const namespace = String(outputs.namespace);
    const service = String(outputs.serviceName);
    const forward = await portForward(kubeconfig, namespace, service);
    try {
        const res = await fetch(`http://127.0.0.1:${forward.port}/`, { signal: AbortSignal.timeout(5_000) });
        console.log(`\nGET / -> ${res.status} ${await res.text()}`);
    } finally {
        forward.child.kill();
    }
    const kubeconfigShown = path.relative(process.cwd(), kubeconfig) || kubeconfig;
    const kubectl = kubectlCommand();
    console.log(`\nReach it:\n  KUBECONFIG=${kubeconfigShown} ${kubectl} -n ${namespace} port-forward svc/${service} 8080:80 &\n  curl http://127.0.0.1:8080/`);
    console.log(`See it:\n  KUBECONFIG=${kubeconfigShown} ${kubectl} get pods -A\nStop it:\n  npm run local:down`);
    phase("done");
}

async function down(): Promise<void> {
    if (!fs.existsSync(localDir)) {
        console.error(`nothing to stop: ${localDir} does not exist`);
        return;
    }
    checkLayout();
    const kubeconfig = path.join(localDir, "kubeconfig");
    const record = fs.existsSync(path.join(localDir, "cluster")) ? fs.readFileSync(path.join(localDir, "cluster"), "utf8").trim() : "";
    if (fs.existsSync(path.join(localDir, "pulumi", "backend")) && fs.existsSync(kubeconfig)) {
        phase("pulumi destroy --stack local");
        if (record.startsWith("own")) await cluster("up", { ...process.env, REGISTRY_ADDR: registryAddr });
        const result = await stackCommand(["destroy"], kubeconfig);
        const changes = Object.entries(result.changes ?? {}).map(([op, n]) => `${n} ${op}`);
        phase(`destroyed (${changes.join(", ") || "nothing was deployed"})`);
    }
    if (record === "own started") {
        phase("stopping the cluster");
        await cluster("down");
    }
    const startedFile = path.join(localDir, "started");
    if (fs.existsSync(startedFile)) {
        phase("stopping dockerd and the registry this machine's local:up started");
        await stopStarted(startedFile);
    }
    const container = path.join(localDir, "registry-container");
    if (fs.existsSync(container)) {
        execFileSync(dockerBin(), ["rm", "-f", fs.readFileSync(container, "utf8").trim()], { stdio: "inherit" });
        fs.rmSync(container);
    }
    fs.rmSync(path.join(localDir, "cluster"), { force: true });
    phase("stopped; .local keeps the (empty) stack state and the passphrase");
}

async function main(argv: string[]): Promise<void> {
    const [command] = argv;
    const contextIndex = argv.indexOf("--context");
    const context = contextIndex >= 0 ? argv[contextIndex + 1] : undefined;
    if (command === "up") return up(context);
    if (command === "down") return down();
    throw new UserError("usage: ts-node scripts/local/up.ts up [--context NAME] | down");
}

main(process.argv.slice(2)).catch((error: Error) => {
    if (error instanceof UserError || error instanceof CommandFailed) {
        process.stderr.write(`\nlocal:${process.argv[2] ?? "up"}: ${error.message}\n`);
    } else {
        process.stderr.write(`\n${error.stack ?? error.message}\n`);
    }
    process.exit(1);
});
