/**
 * Runs the project's own program (index.ts) on the real Pulumi engine, with a local file backend and a
 * passphrase, through the Automation API's inline mode: the SDK serves the language runtime itself, so
 * no Node.js language host plugin is needed. One process per operation, so index.ts is evaluated once.
 *
 *   ts-node scripts/local/stack.ts <command> [args] [--dir DIR] [--stack NAME] [--sync-stack-file]
 *     up | preview | refresh | destroy     run the operation; the result is one JSON document on stdout
 *     up [--no-rollback]                   after a rollout that cannot become ready, deploy the last good
 *                                          release again (DIR/last-good-release.json), then fail naming both
 *     config-set KEY VALUE [--secret]      set `rust-service:KEY` in the stack (VALUE "-" reads stdin;
 *                                          with --list, a JSON array of strings for an array key)
 *     config-rm KEY
 *     export                               the exported state (secrets encrypted)
 *     outputs                              the stack outputs, as JSON on stdout
 *
 * The engine's own output streams to stderr. DIR (default .local/pulumi) holds the backend, PULUMI_HOME,
 * the work directory with copies of Pulumi.yaml and Pulumi.<stack>.yaml, and the generated passphrase
 * (unless PULUMI_CONFIG_PASSPHRASE is set), and the record of the last successful `up` (its stack file,
 * secrets encrypted, and the image digest it ran). `--sync-stack-file` refreshes the work directory's stack
 * file from the repository's before the command, keeping its encryption salt and its `image`.
 * The tools (pulumi, pulumi-resource-kubernetes, kubectl) come from scripts/cluster/toolchain.sh.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, LocalWorkspace, OpMap, Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { RustServiceArgs } from "../../components/args";
import { STACK_LABEL, stackLabelValue } from "../../components/labels";
import { BUILD_KEYS, parseStackConfig, PROJECT, StackConfigError } from "../../config";
import { tool, toolchain } from "../cluster/tools";
import { repoRoot } from "../lib/process";
import { isRolloutFailure, LAST_GOOD_FILE, parseRelease, Release, rollbackStackFile } from "./lastGood";
import { isStaleLock, LockInfo, PendingOperation, planRecovery } from "./recovery";
import { runStack } from "./runStack";

/** One resource step the engine reported. */
export interface Step {
    op: string;
    type: string;
    urn: string;
}

/** What a command prints on stdout. */
export interface StackResult {
    command: string;
    ok: boolean;
    durationMs: number;
    /** Operation counts (`same`, `update`, `replace`, ...) from the engine's summary. */
    changes?: OpMap;
    /** Every step of the operation, in engine order (`same` ones included). */
    steps?: Step[];
    outputs?: Record<string, unknown>;
    /** The exported deployment (`export`); secrets stay encrypted in it. */
    state?: unknown;
    error?: string;
    /** The operation was stopped by SIGINT or SIGTERM (its state is consistent unless the budget ran out). */
    interrupted?: { signal: string; killedAfterBudget: boolean };
    /** After a failed `up`: the last good release this run deployed again, and how that went. */
    rollback?: { ok: boolean; to: { imageRef: string; deployedAt: string }; durationMs: number; changes?: OpMap; error?: string };
}

/** The passphrase of the local state: PULUMI_CONFIG_PASSPHRASE, else DIR/passphrase, created on first use. */
function passphrase(dir: string): string {
    if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) return process.env.PULUMI_CONFIG_PASSPHRASE;
    const file = path.join(dir, "passphrase");
    if (!fs.existsSync(file)) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(file, randomBytes(24).toString("base64url"), { mode: 0o600, flag: "wx" });
    }
    return fs.readFileSync(file, "utf8").trim();
}

/** Copies the repository's stack file over the work directory's, keeping what the work directory owns. */
function syncStackFile(workDir: string, stackName: string): void {
    const name = `Pulumi.${stackName}.yaml`;
    const repoFile = parseYaml(fs.readFileSync(path.join(repoRoot, name), "utf8")) as { config?: Record<string, unknown> };
    const target = path.join(workDir, name);
    const current = fs.existsSync(target) ? (parseYaml(fs.readFileSync(target, "utf8")) as Record<string, unknown>) : {};
    const config: Record<string, unknown> = { ...(repoFile.config ?? {}) };
    const image = (current.config as Record<string, unknown> | undefined)?.[`${PROJECT}:image`];
    if (image !== undefined) config[`${PROJECT}:image`] = image;
    const merged: Record<string, unknown> = {};
    if (current.encryptionsalt !== undefined) merged.encryptionsalt = current.encryptionsalt;
    merged.config = config;
    fs.writeFileSync(target, stringifyYaml(merged));
}

/** Opens (creating on first use) the stack in DIR, running the project's index.ts as an inline program. */
export async function openStack(dir: string, stackName: string, options: { sync?: boolean } = {}): Promise<Stack> {
    const tools = toolchain();
    const workDir = path.join(dir, "project");
    const backend = path.join(dir, "backend");
    // PULUMI_HOME holds plugins: a caller may share the user's own (local:up does); else one per state folder.
    const home = process.env.PULUMI_HOME ?? path.join(dir, "home");
    for (const d of [workDir, backend, home]) fs.mkdirSync(d, { recursive: true });
    // The project file as it is (its config schema and defaults apply), less `main`: the program is inline.
    const project = parseYaml(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    delete project.main;
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), stringifyYaml(project));
    const stackFile = path.join(workDir, `Pulumi.${stackName}.yaml`);
    if (options.sync || !fs.existsSync(stackFile)) syncStackFile(workDir, stackName);

    const binDirs = [...new Set(["pulumi", "pulumi-resource-kubernetes", "kubectl"].map((t) => path.dirname(tools[t])))];
    const env: Record<string, string> = {
        PATH: [...binDirs, process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase(dir),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    // The CLI itself is found through PATH, in this process too.
    process.env.PATH = env.PATH;
    return LocalWorkspace.createOrSelectStack(
        {
            stackName,
            projectName: PROJECT,
            program: async () => {
                // The project's own composition root; its exports become the stack outputs. A
                // require, not an import: it must run inside the engine's run, which registers its resources.
                try {
                    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program must load inside the engine's run, not at import
                    const outputs = require(path.join(repoRoot, "index.ts")) as Record<string, unknown>;
                    return { ...outputs };
                } catch (error) {
                    // A problem list (bad config, bad component args) is logged once, as the Node.js
                    // language host does; rethrown, the inline runtime would also log it as unhandled
                    // and print it twice. The logged error still fails the run before any resource.
                    if (pulumi.RunError.isInstance(error) || (pulumi.ResourceError.isInstance(error) && error.hideStack)) {
                        pulumi.log.error(error.message, pulumi.ResourceError.isInstance(error) ? error.resource : undefined);
                        return {};
                    }
                    throw error;
                }
            },
        },
        { workDir, pulumiHome: home, envVars: env },
    );
}

/**
 * `pulumi config set`, the value on stdin: the Automation API's setConfig puts it on the command
 * line, where any local user could read a secret from the process list.
 */
function configSet(stack: Stack, key: string, value: string, options: { secret: boolean; path?: boolean }): void {
    const workspace = stack.workspace as LocalWorkspace;
    execFileSync(
        "pulumi",
        ["config", "set", ...(options.path ? ["--path"] : []), options.secret ? "--secret" : "--plaintext", "--stack", stack.name, "--non-interactive", key],
        {
            cwd: workspace.workDir,
            env: { ...process.env, ...workspace.envVars },
            input: value,
            stdio: ["pipe", "ignore", "pipe"],
        },
    );
}

/** `pulumi stack export`, secrets encrypted (the Automation API's exportStack passes --show-secrets). */
function exportState(stack: Stack): unknown {
    const workspace = stack.workspace as LocalWorkspace;
    const out = execFileSync("pulumi", ["stack", "export", "--stack", stack.name, "--non-interactive"], {
        cwd: workspace.workDir,
        env: { ...process.env, ...workspace.envVars },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out);
}

/** Collects the resource steps, the error diagnostics and the types they were about from the engine's events. */
function collectEvents(steps: Step[], errors: string[], failedTypes = new Set<string>()): (event: EngineEvent) => void {
    return (event) => {
        const pre = event.resourcePreEvent;
        if (pre) steps.push({ op: pre.metadata.op, type: pre.metadata.type, urn: pre.metadata.urn });
        const diagnostic = event.diagnosticEvent;
        // The engine's closing "update failed" and the SDK's "One or more errors occurred" add nothing
        // to the diagnostics that caused them.
        if (diagnostic?.severity === "error" && !/^(update failed|One or more errors occurred)/.test(diagnostic.message)) {
            const message = diagnostic.message.trimEnd();
            if (!errors.includes(message)) errors.push(message);
            // urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>
            const type = diagnostic.urn?.split("::")[2]?.split("$").pop();
            if (type) failedTypes.add(type);
        }
    };
}

/** A clearer line for the errors a user can fix, with the engine's text kept below it. */
export function explainError(message: string, dir: string): string {
    if (/incorrect passphrase|failed to decrypt|passphrase must be set/i.test(message)) {
        return (
            `the passphrase does not open the existing local state in ${dir}: restore ${path.join(dir, "passphrase")} ` +
            "(or set PULUMI_CONFIG_PASSPHRASE to the one it was created with); nothing was changed\n" +
            message
        );
    }
    return message;
}

/** Why each failing pod of the namespace fails, with the container's last log lines where Kubernetes kept them. */
export function podFailures(kubectl: string, namespace: string): string[] {
    let pods: { items: k8s.types.output.core.v1.Pod[] };
    try {
        pods = JSON.parse(execFileSync(kubectl, ["get", "pods", "-n", namespace, "-o", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    } catch {
        return [];
    }
    const lines: string[] = [];
    for (const pod of pods.items) {
        for (const c of pod.status?.containerStatuses ?? []) {
            if (c.ready) continue;
            const waiting = c.state?.waiting;
            const last = c.lastState?.terminated ?? c.state?.terminated;
            if (!waiting && !last) continue;
            const parts = [`pod ${pod.metadata.name}: container ${c.name}`];
            if (waiting) parts.push(`is ${waiting.reason}`);
            if (last) parts.push(`exited with code ${last.exitCode} (${last.reason})`);
            if (c.restartCount) parts.push(`after ${c.restartCount} restart(s)`);
            let line = parts.join(" ");
            const message = String(last?.message ?? "").trim();
            if (message) line += `; its last output:\n    ${message.split("\n").slice(-5).join("\n    ")}`;
            lines.push(line);
        }
    }
    return lines;
}

/** A namespace in the cluster, as far as ownership goes. */
interface NamespaceOwner {
    exists: boolean;
    /** The `rust-service/stack` label of the stack that created it, if one did. */
    stackLabel?: string;
}

/** Reads whether the namespace exists and which stack's label it carries. */
function namespaceOwner(kubectl: string, namespace: string): NamespaceOwner {
    try {
        const ns = JSON.parse(execFileSync(kubectl, ["get", "namespace", namespace, "-o", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
        return { exists: true, stackLabel: ns.metadata?.labels?.[STACK_LABEL] };
    } catch (error) {
        if (/NotFound|not found/.test(String((error as { stderr?: string }).stderr ?? ""))) return { exists: false };
        throw error;
    }
}

/**
 * Why `up` must not create this namespace: it exists in the cluster but not in this stack's state, so
 * creating it would adopt another stack's namespace (the Kubernetes provider's server-side apply turns
 * a create into an upsert), and a later destroy would delete that stack's workload with it.
 */
export function namespaceTakeoverProblem(namespace: string, owner: NamespaceOwner, inState: boolean): string | undefined {
    if (inState || !owner.exists) return undefined;
    const by = owner.stackLabel
        ? `the stack ${owner.stackLabel} (its ${STACK_LABEL} label)`
        : "something other than a rust-service stack (it has no rust-service/stack label)";
    return (
        `the namespace ${namespace} already exists and is not in this stack's state: it was created by ${by}. ` +
        "This stack neither adopts nor deletes it: choose another namespace (`pulumi config set namespace <name>`), " +
        "or set `createNamespace` to false to deploy into it without owning it; nothing was changed"
    );
}

/** The component args this stack's config gives, read through the program's own parsing; undefined when the config has problems (the program reports them in full). */
async function configuredArgs(stack: Stack): Promise<RustServiceArgs | undefined> {
    const prefix = `${PROJECT}:`;
    const raw = Object.fromEntries(
        Object.entries(await stack.getAllConfig())
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value.value]),
    );
    try {
        return parseStackConfig(raw).args;
    } catch (error) {
        if (error instanceof StackConfigError) return undefined;
        throw error;
    }
}

/** The namespace this stack's program creates, if it creates one. */
async function createdNamespace(stack: Stack): Promise<string | undefined> {
    const args = await configuredArgs(stack);
    return args?.createNamespace ? args.namespace : undefined;
}

/** Refuses, before the engine runs, an `up` that would take over another stack's namespace. */
async function checkNamespaceOwnership(stack: Stack): Promise<void> {
    const namespace = await createdNamespace(stack);
    if (!namespace) return;
    const resources =
        (exportState(stack) as { deployment?: { resources?: { type: string; outputs?: { metadata?: { name?: string } } }[] } }).deployment?.resources ?? [];
    const inState = resources.some((r) => r.type === "kubernetes:core/v1:Namespace" && r.outputs?.metadata?.name === namespace);
    const problem = namespaceTakeoverProblem(namespace, namespaceOwner(tool("kubectl"), namespace), inState);
    if (problem) throw new RefusedBeforeEngine(problem);
}

/** The Kubernetes object of a type and name in the cluster (its labels), or undefined when there is none. */
function clusterObject(type: string, name: string, namespace: string | undefined): { labels: Record<string, string> } | undefined {
    // kubernetes:apps/v1:Deployment -> deployment.apps; kubernetes:core/v1:ConfigMap -> configmap
    const [, groupVersion, kind] = /^kubernetes:([^:]+):(.+)$/.exec(type) ?? [];
    const group = groupVersion?.split("/")[0];
    const resource = `${kind?.toLowerCase()}${group && group !== "core" ? `.${group}` : ""}`;
    try {
        const out = execFileSync(tool("kubectl"), ["get", resource, name, ...(namespace ? ["-n", namespace] : []), "-o", "json"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
        return { labels: JSON.parse(out).metadata?.labels ?? {} };
    } catch (error) {
        if (/NotFound|not found/.test(String((error as { stderr?: string }).stderr ?? ""))) return undefined;
        throw error;
    }
}

function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/**
 * Before an engine command: clears what an interrupted (killed) run left. A lock whose process is gone
 * is removed (`pulumi cancel`); a pending create of one of this stack's Kubernetes objects that exists
 * in the cluster is put in the state under its ID, so it is neither orphaned nor created again under a
 * new name; other pending operations are dropped with a warning naming them; then a refresh of what
 * was touched reads the real state. Prints one line per thing it did.
 */
async function recoverInterrupted(stack: Stack, dir: string, onOutput: (text: string) => void): Promise<void> {
    const started = Date.now();
    const say = (line: string) => process.stderr.write(`[recovery] ${line}\n`);
    const lockDir = path.join(dir, "backend", ".pulumi", "locks", "organization", PROJECT, stack.name);
    const locks = fs.existsSync(lockDir) ? fs.readdirSync(lockDir).filter((f) => f.endsWith(".json")) : [];
    const stale = locks
        .map((f) => JSON.parse(fs.readFileSync(path.join(lockDir, f), "utf8")) as LockInfo)
        .filter((l) => isStaleLock(l, os.hostname(), pidAlive));
    if (stale.length > 0 && stale.length === locks.length) {
        await stack.cancel();
        for (const lock of stale) say(`removed the lock of an interrupted run (pid ${lock.pid}, taken ${lock.timestamp ?? "at an unknown time"})`);
    }
    const state = exportState(stack) as { deployment?: { pending_operations?: PendingOperation[]; resources?: Record<string, unknown>[] } };
    const pending = state.deployment?.pending_operations ?? [];
    if (!state.deployment || pending.length === 0) return;
    const plan = planRecovery(pending, [STACK_LABEL, stackLabelValue(PROJECT, stack.name)], clusterObject);
    // The object's inputs carry its apiVersion and kind, which the provider's read needs; the refresh fills in the rest.
    state.deployment.resources = [
        ...(state.deployment.resources ?? []),
        ...plan.adopt.map(({ op, id }) => ({ ...op.resource, id, outputs: op.resource.inputs ?? {} })),
    ];
    state.deployment.pending_operations = [];
    await stack.importStack(state as Parameters<Stack["importStack"]>[0]);
    for (const { op, id } of plan.adopt) say(`kept ${op.resource.urn}: its create was interrupted, and the cluster has it as ${id} with this stack's label`);
    for (const { op, reason } of plan.drop) say(`warning: dropped the pending operation on ${op.resource.urn}: ${reason}`);
    const touched = pending.map((op) => op.resource.urn);
    await stack.refresh({ onOutput, target: touched });
    say(`refreshed ${touched.length} resource(s) the interrupted run touched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function stackFilePath(stack: Stack): string {
    return path.join((stack.workspace as LocalWorkspace).workDir, `Pulumi.${stack.name}.yaml`);
}

/** Records the release an `up` just deployed, beside the state (written whole, then renamed). */
function recordRelease(dir: string, stack: Stack, imageRef: unknown): void {
    if (typeof imageRef !== "string") return;
    const release: Release = { deployedAt: new Date().toISOString(), imageRef, stackFile: fs.readFileSync(stackFilePath(stack), "utf8") };
    const file = path.join(dir, LAST_GOOD_FILE);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(release, null, 2), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
}

function lastRelease(dir: string): Release | undefined {
    const file = path.join(dir, LAST_GOOD_FILE);
    return fs.existsSync(file) ? parseRelease(fs.readFileSync(file, "utf8")) : undefined;
}

/**
 * Deploys the last good release again after a failed rollout: its stack file (the image pinned to the
 * digest it ran) goes back in place and `up` runs with it, which returns the Deployment to the
 * ReplicaSet that served, removes the failed release's pods and records good inputs in the state.
 * The `up` runs in a process of its own: the program is evaluated once per process.
 */
async function rollBack(dir: string, stack: Stack, release: Release): Promise<NonNullable<StackResult["rollback"]>> {
    const started = Date.now();
    const to = { imageRef: release.imageRef, deployedAt: release.deployedAt };
    process.stderr.write(`\n[rollback] the rollout failed: deploying the last good release again (${release.imageRef}, deployed ${release.deployedAt})\n`);
    fs.writeFileSync(stackFilePath(stack), rollbackStackFile(release, PROJECT, BUILD_KEYS));
    const { result } = await runStack(["up", "--no-rollback"], { dir, stack: stack.name, kubeconfig: process.env.KUBECONFIG ?? "", showEngineOutput: true });
    const durationMs = Date.now() - started;
    if (result.ok) process.stderr.write(`[rollback] rolled back to ${release.imageRef} in ${(durationMs / 1000).toFixed(1)} s\n`);
    return { ok: result.ok, to, durationMs, changes: result.changes, error: result.error };
}

/** Seconds an interrupted operation gets to stop by itself before the engine is killed (RUST_SERVICE_STOP_BUDGET). */
const STOP_BUDGET_SECONDS = Number(process.env.RUST_SERVICE_STOP_BUDGET ?? 30);

/**
 * SIGINT or SIGTERM (Ctrl-C, a cancelled CI job) stops the running operation as the CLI's own Ctrl-C
 * does: SIGINT to the engine, which lets the resource operations in flight finish, records them in the
 * state and releases the lock. A second signal, or the budget running out, kills the engine.
 */
function interruptible(engineOutput: () => string): { signal: AbortSignal; interrupted: () => StackResult["interrupted"] } {
    const controller = new AbortController();
    let interrupted: StackResult["interrupted"];
    const kill = () => {
        if (interrupted) interrupted.killedAfterBudget = true;
        execFileSync("pkill", ["-KILL", "-P", String(process.pid), "-x", "pulumi"], { stdio: "ignore" });
    };
    const onSignal = (signal: NodeJS.Signals) => {
        if (interrupted) return kill();
        interrupted = { signal, killedAfterBudget: false };
        process.stderr.write(`\n[${signal}] stopping: the engine finishes what is in flight (at most ${STOP_BUDGET_SECONDS} s)\n`);
        // Ctrl-C at a terminal (and a CI runner's cancel) signals the engine too, and a second SIGINT
        // would make it stop at once: forward the signal only when the engine has not said it got one.
        const seen = engineOutput().length;
        setTimeout(() => {
            if (!/\^C received|cancelling/i.test(engineOutput().slice(seen))) controller.abort();
        }, 500).unref();
        setTimeout(kill, STOP_BUDGET_SECONDS * 1000).unref();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    return { signal: controller.signal, interrupted: () => interrupted };
}

/** A command refused before the engine ran: nothing was touched, and the cluster's pods are not its story. */
class RefusedBeforeEngine extends Error {}

async function run(argv: string[]): Promise<number> {
    const flags = new Set(argv.filter((a) => a.startsWith("--") && !["--dir", "--stack"].includes(a)));
    const valueOf = (flag: string) => {
        const i = argv.indexOf(flag);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const positional = argv.filter((a, i) => !a.startsWith("--") && !["--dir", "--stack"].includes(argv[i - 1]));
    const [command, ...rest] = positional;
    const dir = path.resolve(valueOf("--dir") ?? process.env.RUST_SERVICE_LOCAL_DIR ?? path.join(repoRoot, ".local", "pulumi"));
    const stackName = valueOf("--stack") ?? "local";
    const started = Date.now();
    const engineCommand = ["up", "preview", "refresh", "destroy"].includes(command ?? "");
    const print = (result: Omit<StackResult, "durationMs">) => {
        const durationMs = Date.now() - started;
        if (engineCommand) {
            const counts = Object.entries(result.changes ?? {}).map(([op, n]) => `${n} ${op}`);
            const outcome = result.ok ? `done${counts.length > 0 ? ` (${counts.join(", ")})` : ""}` : "failed";
            process.stderr.write(`[${command}] ${outcome} in ${(durationMs / 1000).toFixed(1)} s\n`);
        }
        process.stdout.write(`${JSON.stringify({ ...result, durationMs }, null, 2)}\n`);
        return result.ok ? 0 : 1;
    };
    if (!command) {
        process.stderr.write(
            "usage: stack.ts up|preview|refresh|destroy|config-set KEY VALUE [--secret]|config-rm KEY|export|outputs [--dir DIR] [--stack NAME]\n",
        );
        return 2;
    }
    const stack = await openStack(dir, stackName, { sync: flags.has("--sync-stack-file") });
    if (engineCommand) process.stderr.write(`[${command}] stack ${stackName} in ${dir}\n`);
    let engineOutput = "";
    const onOutput = (text: string) => {
        engineOutput += text;
        process.stderr.write(text);
    };
    // Only the engine's operations stop gracefully; the others end on a signal as any process does.
    const { signal, interrupted } = engineCommand ? interruptible(() => engineOutput) : { signal: undefined, interrupted: () => undefined };
    const steps: Step[] = [];
    const failedTypes = new Set<string>();
    // What the engine reported as errors: the result's `error`, without the CLI's whole transcript
    // (which the engine already streamed to stderr) around it.
    const errors: string[] = [];
    try {
        if (engineCommand) await recoverInterrupted(stack, dir, onOutput);
        switch (command) {
            case "config-set": {
                const [key, raw] = rest;
                const value = raw === "-" ? fs.readFileSync(0, "utf8") : raw;
                const secret = flags.has("--secret");
                if (flags.has("--list")) {
                    const items = JSON.parse(value) as unknown;
                    if (!Array.isArray(items) || !items.every((i) => typeof i === "string")) throw new Error(`--list needs a JSON array of strings for ${key}`);
                    await stack.removeConfig(`${PROJECT}:${key}`);
                    items.forEach((item, i) => configSet(stack, `${PROJECT}:${key}[${i}]`, item, { secret, path: true }));
                } else {
                    configSet(stack, `${PROJECT}:${key}`, value, { secret });
                }
                return print({ command, ok: true });
            }
            case "config-rm":
                await stack.removeConfig(`${PROJECT}:${rest[0]}`);
                return print({ command, ok: true });
            case "preview": {
                await checkNamespaceOwnership(stack);
                const result = await stack.preview({ onOutput, signal, onEvent: collectEvents(steps, errors) });
                return print({ command, ok: true, changes: result.changeSummary, steps });
            }
            case "up": {
                await checkNamespaceOwnership(stack);
                const result = await stack.up({ onOutput, signal, onEvent: collectEvents(steps, errors, failedTypes) });
                const outputs = Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
                recordRelease(dir, stack, outputs.imageRef);
                return print({ command, ok: true, changes: result.summary.resourceChanges, steps, outputs });
            }
            case "refresh": {
                const result = await stack.refresh({ onOutput, signal, onEvent: collectEvents(steps, errors) });
                return print({ command, ok: true, changes: result.summary.resourceChanges, steps });
            }
            case "destroy": {
                const result = await stack.destroy({ onOutput, signal, onEvent: collectEvents(steps, errors) });
                return print({ command, ok: true, changes: result.summary.resourceChanges, steps });
            }
            case "export":
                return print({ command, ok: true, state: exportState(stack) });
            case "outputs": {
                const outputs = await stack.outputs();
                return print({ command, ok: true, outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])) });
            }
            default:
                process.stderr.write(`unknown command ${command}\n`);
                return 2;
        }
    } catch (error) {
        let message = errors.length > 0 ? errors.join("\n") : explainError(error instanceof Error ? error.message : String(error), dir);
        if (interrupted()) {
            return print({ command, ok: false, steps, interrupted: interrupted(), error: `interrupted by ${interrupted()!.signal}\n${message}` });
        }
        if (command === "up" && !(error instanceof RefusedBeforeEngine)) {
            const namespace = (await configuredArgs(stack))?.namespace;
            const failures = namespace ? podFailures(tool("kubectl"), namespace) : [];
            if (failures.length > 0) message = `${failures.join("\n")}\n\n${message}`;
            const release = lastRelease(dir);
            if (!flags.has("--no-rollback") && release && isRolloutFailure(failedTypes)) {
                const rollback = await rollBack(dir, stack, release);
                return print({ command, ok: false, steps, error: message, rollback });
            }
        }
        return print({ command, ok: false, steps, error: message });
    }
}

if (require.main === module) {
    run(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: Error) => {
            process.stderr.write(`${error.stack ?? error.message}\n`);
            process.exit(1);
        },
    );
}
