/**
 * Reuse for real: the package as another team gets it (`npm pack`, installed into a project of its
 * own in a temporary directory, no path into this repository), deployed on the real engine and
 * cluster; a second project reading the first one's outputs through a StackReference; and an upgrade
 * from the previous release (packed from the commit CHANGELOG.md records) that replaces only what the
 * changelog says and drops no request.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../../scripts/lib/process";
import { buildAndPush } from "../../scripts/local/image";
import type { Step } from "../../scripts/local/stack";
import { provisionForTests } from "../harness/machine";
import {
    Json,
    clearLeftoverNamespaces,
    describeLoad,
    e2eSkipReason,
    ensureCluster,
    get,
    kubeconfig,
    kubectl,
    kubectlJson,
    startLoad,
    tool,
    waitFor,
} from "./harness";

jest.setTimeout(20 * 60_000);

const skipReason = e2eSkipReason();
if (skipReason) console.warn(skipReason);
const suite = skipReason ? describe.skip : describe;

function figure(name: string, value: string): void {
    process.stdout.write(`[e2e figure] ${name}: ${value}\n`);
}

function sh(command: string, args: string[], cwd: string): string {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/** `npm pack` of a source tree into a new directory under `dest`; returns the tarball's path. */
function pack(source: string, parent: string): string {
    const dest = fs.mkdtempSync(path.join(parent, "pack-"));
    const out = sh("npm", ["pack", "--silent", "--pack-destination", dest], source).trim().split("\n");
    return path.join(dest, out[out.length - 1]);
}

/** CHANGELOG.md's release sections, newest first: `[Unreleased]` (what this tree adds), then `[x.y.z]`. */
function changelogSections(): string[] {
    const changelog = fs.readFileSync(path.join(repoRoot, "CHANGELOG.md"), "utf8");
    return changelog.split(/^## /m).filter((s) => /^\[(\d+\.\d+\.\d+|Unreleased)\]/.test(s));
}

/**
 * What this tree is, as the changelog names it: `Unreleased` when it has changes after the last
 * release, else its package version.
 */
function thisTree(): string {
    if (changelogSections()[0]?.startsWith("[Unreleased]")) return "Unreleased";
    return JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version as string;
}

/** The release before this tree, and its commit, as CHANGELOG.md records them. */
function previousRelease(): { version: string; commit: string } {
    const current = thisTree();
    const sections = changelogSections();
    const previous = sections[sections.findIndex((s) => s.startsWith(`[${current}]`)) + 1] ?? "";
    const version = /^\[([^\]]+)\]/.exec(previous)?.[1];
    const commit = /Commit:\s*`?([0-9a-f]{7,40})`?/.exec(previous)?.[1];
    if (!version || !commit) throw new Error(`CHANGELOG.md records no release before ${current} with its commit`);
    return { version, commit };
}

/** The Kubernetes kinds the changelog says an upgrade to `version` replaces (`Replaces on upgrade: ...`). */
function declaredReplacements(version: string): string[] {
    const section = changelogSections().find((s) => s.startsWith(`[${version}]`)) ?? "";
    const line = /Replaces on upgrade:\s*(.*)$/m.exec(section)?.[1] ?? "none";
    return line.trim() === "none"
        ? []
        : line
              .split(",")
              .map((k) => k.replace(/[`*.]/g, "").trim())
              .sort();
}

/** A consumer project of its own: package.json, the fixture programs, `npm install` of the given packages. */
function consumerProject(dir: string, dependencies: Record<string, string>): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: path.basename(dir), private: true, dependencies }, null, 2));
    for (const file of fs.readdirSync(path.join(__dirname, "consumer"))) fs.copyFileSync(path.join(__dirname, "consumer", file), path.join(dir, file));
    const started = Date.now();
    sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], dir);
    figure(`npm install in ${path.basename(dir)}`, `${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The Pulumi SDK versions this repository develops against, which a consumer here pins too. */
function sdkVersions(): Record<string, string> {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    const all = { ...pkg.dependencies, ...pkg.devDependencies };
    return Object.fromEntries(["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/aws", "@pulumi/docker"].map((name) => [name, all[name]]));
}

interface ConsumerResult {
    ok: boolean;
    steps?: Step[];
    outputs?: Record<string, string>;
    error?: string;
}

suite("the packed component in other teams' projects, on a real engine and cluster", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "rust-service-reuse-"));
    const backend = path.join(work, "backend");
    const passphrase = randomBytes(16).toString("hex");
    let imageRef = "";
    let tarball = "";
    let stopProvisioned: () => Promise<void> = async () => undefined;
    let stopCluster: () => Promise<void> = async () => undefined;
    const deployed: [string, string, string][] = [];

    /** Runs an operation of a consumer's program (run.js in its directory). */
    const run = (dir: string, program: string, project: string, stack: string, command: string, config: Record<string, string> = {}) =>
        new Promise<ConsumerResult>((resolve, reject) => {
            const binDirs = ["pulumi", "pulumi-resource-kubernetes"].map((t) => path.dirname(tool(t)));
            const child = spawn("node", ["run.js", program, project, stack, command, ...Object.entries(config).map(([k, v]) => `${k}=${v}`)], {
                cwd: dir,
                env: {
                    ...process.env,
                    PATH: [...binDirs, process.env.PATH].join(path.delimiter),
                    PULUMI_BACKEND_URL: `file://${backend}`,
                    PULUMI_CONFIG_PASSPHRASE: passphrase,
                    PULUMI_HOME: path.join(work, "home"),
                },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.on("error", reject);
            child.on("exit", () => {
                try {
                    resolve(JSON.parse(stdout) as ConsumerResult);
                } catch {
                    reject(new Error(`run.js ${command} printed no result:\n${stdout}\n${stderr.slice(-4000)}`));
                }
            });
        });
    const ok = async (...args: Parameters<typeof run>) => {
        const result = await run(...args);
        if (!result.ok) throw new Error(`${args[4]} of ${args[2]}/${args[3]} failed: ${result.error}`);
        return result;
    };
    const serviceUrl = (namespace: string, service: string) => {
        const svc = kubectlJson(["-n", namespace, "get", "service", service]);
        return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}/`;
    };
    const available = (namespace: string) =>
        kubectlJson(["-n", namespace, "get", "deployments"]).items.map((d: Json) => d.status.conditions?.find((c: Json) => c.type === "Available")?.status);

    beforeAll(async () => {
        fs.mkdirSync(backend);
        stopProvisioned = await provisionForTests();
        stopCluster = await ensureCluster();
        clearLeftoverNamespaces((name) => name.startsWith("reuse-") || name.startsWith("upgrade-"));
        imageRef = await buildAndPush("localhost:5001", "rust-service");
        const started = Date.now();
        tarball = pack(repoRoot, work);
        figure("npm pack (this tree)", `${((Date.now() - started) / 1000).toFixed(1)} s, ${path.basename(tarball)}`);
    }, 60 * 60_000);

    afterAll(async () => {
        // Whatever a failed test left deployed goes, then whatever this run started.
        for (const [dir, project, stack] of deployed.reverse()) {
            await run(dir, "two-services.js", project, stack, "destroy").catch(() => undefined);
        }
        await stopCluster();
        await stopProvisioned();
        fs.rmSync(work, { recursive: true, force: true });
    }, 15 * 60_000);

    it("deploys two services from the installed tarball, each Available in its own namespace with its own greeting; a StackReference reads them; destroy leaves nothing", async () => {
        const team = path.join(work, "team-services");
        consumerProject(team, { "rust-service-pulumi": `file:${tarball}`, ...sdkVersions() });
        expect(fs.realpathSync(path.join(team, "node_modules", "rust-service-pulumi")).startsWith(repoRoot)).toBe(false);
        expect(sh("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable"], team).trim().split("\n")).toHaveLength(1);
        const config = { image: imageRef, kubeconfigFile: kubeconfig, namespacePrefix: "reuse" };
        deployed.push([team, "team-services", "dev"]);

        const started = Date.now();
        const up = await ok(team, "two-services.js", "team-services", "dev", "up", config);
        figure("consumer up from empty (two services)", `${((Date.now() - started) / 1000).toFixed(1)} s`);

        for (const [name, greeting] of [
            ["greeter", "Hello from the greeter"],
            ["orders", "orders API"],
        ]) {
            const namespace = up.outputs![`${name}Namespace`];
            expect(namespace).toBe(`reuse-${name}`);
            expect(available(namespace)).toEqual(["True"]);
            const res = await get(serviceUrl(namespace, up.outputs![`${name}Service`]));
            expect(JSON.parse(res.body).greeting).toBe(greeting);
        }

        const readers = path.join(work, "team-web");
        consumerProject(readers, { "@pulumi/pulumi": sdkVersions()["@pulumi/pulumi"] });
        const read = await ok(readers, "reader.js", "team-web", "dev", "up", { serviceStack: "organization/team-services/dev" });
        expect(read.outputs).toEqual({ greeterUrl: up.outputs!.greeterUrl, ordersUrl: up.outputs!.ordersUrl, ordersNamespace: "reuse-orders" });
        await ok(readers, "reader.js", "team-web", "dev", "destroy");

        await ok(team, "two-services.js", "team-services", "dev", "destroy");
        const namespaces = kubectlJson(["get", "namespaces"]).items.map((n: Json) => n.metadata.name);
        expect(namespaces.filter((n: string) => n.startsWith("reuse-"))).toEqual([]);
    });

    it("upgrades a stack deployed with the previous release: only what the changelog names is replaced, and the rollout drops no request", async () => {
        const previous = previousRelease();
        const source = path.join(work, `release-${previous.version}`);
        fs.mkdirSync(source);
        execFileSync("bash", ["-c", `git -C "${repoRoot}" archive "${previous.commit}" | tar -x -C "${source}"`]);
        sh("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], source);
        const oldTarball = pack(source, work);

        const team = path.join(work, "team-upgrade");
        consumerProject(team, { "rust-service-pulumi": `file:${oldTarball}`, ...sdkVersions() });
        const config = { image: imageRef, kubeconfigFile: kubeconfig, namespacePrefix: "upgrade", replicas: "2" };
        deployed.push([team, "team-upgrade", "prod"]);
        await ok(team, "two-services.js", "team-upgrade", "prod", "up", config);

        sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `rust-service-pulumi@file:${tarball}`], team);
        const preview = await ok(team, "two-services.js", "team-upgrade", "prod", "preview");
        const byType: Record<string, string[]> = {};
        for (const step of preview.steps ?? []) {
            const kind = step.type.split(":").pop()!;
            if (step.op !== "same" && !(byType[kind] ?? []).includes(step.op)) (byType[kind] ??= []).push(step.op);
        }
        figure(`upgrade preview ${previous.version} -> this tree (ops by type)`, JSON.stringify(byType));
        const replaced = Object.entries(byType)
            .filter(([, ops]) => ops.some((op) => ["replace", "create-replacement", "delete-replaced"].includes(op)))
            .map(([kind]) => kind)
            .sort();
        expect(replaced).toEqual(declaredReplacements(thisTree()));
        for (const kind of ["Namespace", "Service", "ConfigMap", "Secret"]) expect(replaced).not.toContain(kind);

        const greeter = (await ok(team, "two-services.js", "team-upgrade", "prod", "outputs")).outputs!;
        const load = startLoad(serviceUrl("upgrade-greeter", greeter.greeterService));
        const started = Date.now();
        const up = await run(team, "two-services.js", "team-upgrade", "prod", "up");
        const report = await load.stop();
        figure("upgrade rollout", `${((Date.now() - started) / 1000).toFixed(1)} s, ${describeLoad(report)}`);
        expect(up.error).toBeUndefined();
        expect(report.errors).toBe(0);
        await waitFor("one Available Deployment per namespace", () => available("upgrade-greeter").length === 1, 90_000);
        expect(available("upgrade-greeter")).toEqual(["True"]);

        await ok(team, "two-services.js", "team-upgrade", "prod", "destroy");
        expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain("upgrade-");
    });
});
