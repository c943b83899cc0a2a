/**
 * The pull-request workflow's e2e job: the Pulumi CLI from Pulumi's action, the cluster from kind, a
 * local registry and routes from the runner, and a toolchain that is found on the runner, not built.
 * The job's own scripts run here against stand-ins for the tools they call.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { repoRoot } from "./tools";

jest.setTimeout(120_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed workflow YAML: arbitrary nested data, read field by field in assertions
type Yaml = any;

const job: Yaml = parse(fs.readFileSync(path.join(repoRoot, ".github/workflows/pull-request.yml"), "utf8")).jobs.e2e;
const steps: Yaml[] = job.steps;

/** One variable of scripts/cluster/versions.sh, as the shell reads it. */
function pinned(name: string): string {
    return execFileSync("bash", ["-c", `source scripts/cluster/versions.sh && printf %s "$${name}"`], { cwd: repoRoot, encoding: "utf8" });
}

function stepUsing(prefix: string): Yaml {
    const found = steps.find((s) => String(s.uses ?? "").startsWith(prefix));
    if (!found) throw new Error(`the e2e job has no step using ${prefix}`);
    return found;
}

function stepRunning(fragment: string): Yaml {
    const found = steps.find((s) => String(s.run ?? "").includes(fragment));
    if (!found) throw new Error(`the e2e job has no step running ${fragment}`);
    return found;
}

/** Runs a step's script as GitHub does (`bash -e`), in the repository, with these variables. */
function runStep(step: Yaml, env: NodeJS.ProcessEnv): ReturnType<typeof spawnSync> {
    return spawnSync("bash", ["-e", "-c", step.run], {
        cwd: repoRoot,
        env: { ...process.env, ...job.env, ...step.env, ...env },
        encoding: "utf8",
        timeout: 60_000,
    });
}

/** An executable shell script at `file`. */
function script(file: string, body: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

const kind = stepUsing("helm/kind-action@");
const kindConfig: Yaml = parse(fs.readFileSync(path.join(repoRoot, kind.with.config), "utf8"));
const minor = (version: string) => /^v?(\d+\.\d+)\./.exec(version)?.[1];

describe("the pull-request workflow's e2e job", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-job-"));
    afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("builds nothing from source: no Go, no toolchain cache, no node packages", () => {
        const uses = steps.map((s) => String(s.uses ?? ""));
        expect(uses.filter((u) => u.startsWith("actions/setup-go@") || u.startsWith("actions/cache@"))).toEqual([]);
        const runs = steps.map((s) => String(s.run ?? "")).join("\n");
        expect(runs).not.toMatch(/apt-get|containernetworking-plugins|scripts\/cluster\/cluster\.sh/);
        // toolchain.sh runs once, as a check, with the module proxy off so it cannot fall back to a build.
        expect(stepRunning("scripts/cluster/toolchain.sh").env).toEqual({ GOPROXY: "off" });
    });

    it("installs the Pulumi CLI with Pulumi's action, only installing, at the version versions.sh pins", () => {
        const action = stepUsing("pulumi/actions@");
        expect(action.uses).toBe("pulumi/actions@v6");
        expect(action.with.command).toBeUndefined();
        expect(action.with["pulumi-version"]).toBe("${{ steps.versions.outputs.pulumi }}");
        const versions = steps.find((s) => s.id === "versions");
        expect(steps.indexOf(versions)).toBeLessThan(steps.indexOf(action));
        const outputs = path.join(scratch, "github-output");
        const result = runStep(versions, { GITHUB_OUTPUT: outputs });
        expect(result.status).toBe(0);
        expect(fs.readFileSync(outputs, "utf8")).toBe(`pulumi=${pinned("PULUMI_VERSION")}\n`);
    });

    it("installs the Kubernetes provider plugin versions.sh pins with `pulumi plugin install`", () => {
        const step = stepRunning("pulumi plugin install");
        expect(steps.indexOf(step)).toBeGreaterThan(steps.indexOf(stepUsing("pulumi/actions@")));
        const bin = path.join(scratch, "plugin-bin");
        const calls = path.join(scratch, "pulumi-calls");
        script(path.join(bin, "pulumi"), `echo "$*" >> "${calls}"`);
        const result = runStep(step, { PATH: `${bin}${path.delimiter}${process.env.PATH}` });
        expect(result.status).toBe(0);
        expect(fs.readFileSync(calls, "utf8")).toBe(`version\nplugin install resource kubernetes ${pinned("PULUMI_KUBERNETES_VERSION")}\n`);
    });

    it("creates a kind cluster named rust-service on the pinned Kubernetes minor, and hands its context to the tests", () => {
        expect(kind.uses).toMatch(/^helm\/kind-action@v\d+\.\d+\.\d+$/);
        expect(kind.with.version).toMatch(/^v\d+\.\d+\.\d+$/);
        expect(kind.with.cluster_name).toBe("rust-service");
        // kind's release notes: a node image is pinned by digest, or it may not be the one built for that release.
        expect(kind.with.node_image).toMatch(/^kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
        const kubernetes = pinned("KUBERNETES_VERSION");
        expect(minor(kind.with.node_image.split(":")[1])).toBe(minor(kubernetes));
        // toolchain.sh takes kubectl from PATH only at the same minor.
        expect(minor(kind.with.kubectl_version)).toBe(minor(kubernetes));
        expect(job.env.RUST_SERVICE_KUBE_CONTEXT).toBe(`kind-${kind.with.cluster_name}`);
    });

    it("wires the registry on 127.0.0.1:5001 into the node as localhost:5001 with kind's recipe", () => {
        expect(kindConfig.containerdConfigPatches.join("\n")).toMatch(/config_path = "\/etc\/containerd\/certs\.d"/);
        const registry = stepRunning("scripts/local-cluster.sh up");
        expect(steps.indexOf(registry)).toBeGreaterThan(steps.indexOf(kind));
        const recipe = fs.readFileSync(path.join(repoRoot, "scripts/local-cluster.sh"), "utf8");
        expect(recipe).toContain(`CLUSTER_NAME=\${CLUSTER_NAME:-${kind.with.cluster_name}}`);
        expect(recipe).toContain("REGISTRY_PORT=${REGISTRY_PORT:-5001}");
        expect(recipe).toContain('-p "127.0.0.1:${REGISTRY_PORT}:5000"');
        expect(recipe).toContain("certs.d/localhost:${REGISTRY_PORT}");
        const stack = parse(fs.readFileSync(path.join(repoRoot, "Pulumi.local.yaml"), "utf8"));
        expect(stack.config["rust-service:registryServer"]).toBe("localhost:5001");
    });

    it("routes the cluster's Service and pod ranges from the runner through the kind node, and tries both", () => {
        const { serviceSubnet, podSubnet } = kindConfig.networking;
        expect([serviceSubnet, podSubnet]).toEqual(["10.96.0.0/16", "10.244.0.0/16"]);
        const routes = stepRunning("ip route add");
        expect(steps.indexOf(routes)).toBeGreaterThan(steps.indexOf(kind));
        expect(routes.run).toContain(`docker inspect -f '{{ .NetworkSettings.Networks.kind.IPAddress }}' ${kind.with.cluster_name}-control-plane`);
        expect(routes.run).toContain(`sudo ip route add ${serviceSubnet} via "$node_ip"`);
        expect(routes.run).toContain(`sudo ip route add ${podSubnet} via "$node_ip"`);
        expect(routes.run).toMatch(/curl [^\n]*"http:\/\/\$dns_pod:8080\/health"/);
        expect(routes.run).toMatch(/curl [^\n]*"https:\/\/\$api_service\/version"/);
    });

    it("runs the suite as root with the context, the tool list, PATH and HOME preserved", () => {
        const tests = steps.find((s) => s.run === "npm run test:e2e");
        expect(steps.indexOf(tests)).toBe(steps.length - 1);
        expect(tests.env).toEqual({ RUST_SERVICE_E2E: "1" });
        const preserved = /^sudo --preserve-env=(\S+) bash -e \{0\}$/.exec(tests.shell)?.[1].split(",");
        expect(preserved).toEqual(["PATH", "HOME", "CI", "RUST_SERVICE_E2E", "RUST_SERVICE_KUBE_CONTEXT", "RUST_SERVICE_TOOLCHAIN_TOOLS"]);
        expect(job.env.RUST_SERVICE_TOOLCHAIN_TOOLS).toBe("pulumi pulumi-resource-kubernetes kubectl");
    });

    it("has toolchain.sh take the installed CLI, plugin and kubectl, and look for nothing else", () => {
        // The runner as the steps above leave it: the CLI and kubectl on PATH, the plugin in ~/.pulumi.
        const home = path.join(scratch, "home");
        const bin = path.join(scratch, "installed-bin");
        const plugin = path.join(home, ".pulumi", "plugins", `resource-kubernetes-v${pinned("PULUMI_KUBERNETES_VERSION")}`, "pulumi-resource-kubernetes");
        script(path.join(bin, "pulumi"), `echo v${pinned("PULUMI_VERSION")}`);
        // Like kubectl, which has no --version flag.
        script(
            path.join(bin, "kubectl"),
            `[ "$1 $2" = "version --client" ] || { echo "error: unknown flag: $1" >&2; exit 1; }\necho "Client Version: ${kind.with.kubectl_version}"\necho "Kustomize Version: v5.7.1"`,
        );
        script(plugin, "exit 0");
        const toolchainDir = path.join(scratch, "toolchain");
        const result = spawnSync("bash", [path.join(repoRoot, "scripts/cluster/toolchain.sh")], {
            cwd: repoRoot,
            encoding: "utf8",
            timeout: 60_000,
            env: {
                PATH: `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`,
                HOME: home,
                RUST_SERVICE_TOOLCHAIN_DIR: toolchainDir,
                RUST_SERVICE_TOOLCHAIN_TOOLS: job.env.RUST_SERVICE_TOOLCHAIN_TOOLS,
                // Should a build start anyway, it fails at once: no module proxy and an empty module cache.
                GOPROXY: "off",
                GOMODCACHE: path.join(scratch, "gomodcache"),
                GOCACHE: path.join(scratch, "gocache"),
            },
        });
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
        expect(result.stdout).toBe(`pulumi=${path.join(bin, "pulumi")}\npulumi-resource-kubernetes=${plugin}\nkubectl=${path.join(bin, "kubectl")}\n`);
        expect(fs.readdirSync(toolchainDir).sort()).toEqual(["logs", "src"]);
    });
});
