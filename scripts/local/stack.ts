/**
 * Runs the project's own program (index.ts) on the real Pulumi engine through the Automation API's
 * inline mode: the SDK serves the language runtime itself, so no Node.js language host plugin is
 * needed. The backend is a local file backend with a passphrase, or the stack's own (`--backend`).
 * One process per user command, so index.ts is evaluated once. `npm run local:up`, the e2e tests
 * and the deploy workflow all run it.
 *
 *   npm run stack -- <command> [args] [--dir DIR] [--stack NAME] [--backend URL] [--sync-stack-file]
 *   (or node -r sucrase/register/ts scripts/local/stack.ts ..., without npm's own start-up)
 *     up | preview | refresh | destroy     run the operation; the result is one JSON document on stdout
 *     up [--no-rollback]                   after a rollout that cannot become ready, deploy the last good
 *                                          release again (DIR/last-good-release.json), then fail naming both
 *     up [--config KEY=VALUE]...           set plain keys in the stack file first, as `pulumi up --config`
 *     up | preview [--policy-pack DIR]...  run with these policy packs
 *     config-set KEY VALUE [--secret]      set `rust-service:KEY` in the stack (VALUE "-" reads stdin;
 *                                          with --list, a JSON array of strings for an array key)
 *     config-rm KEY
 *     export                               the exported state (secrets encrypted)
 *     outputs                              the stack outputs, as JSON on stdout
 *
 * DIR (default .local/pulumi) holds the file backend, PULUMI_HOME (unless set), the work directory with
 * copies of Pulumi.yaml and Pulumi.<stack>.yaml, the generated passphrase (unless
 * PULUMI_CONFIG_PASSPHRASE is set) and the record of the last successful `up` (its stack file, secrets
 * encrypted, and the image digest it ran). `--backend URL` uses the stack's own backend (Pulumi Cloud,
 * s3://...) and its secrets provider instead; NAME may then be fully qualified (acme/dev), and the
 * stack file is still Pulumi.dev.yaml. `--sync-stack-file` refreshes the work directory's stack file
 * from the repository's before the command, keeping its encryption salt and its `image`.
 *
 * Each command runs the CLI once, for the operation itself: on the file backend the state is read
 * from its checkpoint, an existing stack is not selected again, and results come from the engine's
 * events. The engine's own output streams to stderr, with one line per phase and its elapsed time.
 * The tools (pulumi, pulumi-resource-kubernetes, kubectl) come from scripts/cluster/toolchain.sh.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, LocalWorkspace, OpMap, Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { RustServiceArgs } from "../../components/args";
import { STACK_LABEL, stackLabelValue } from "../../components/labels";
import { BUILD_KEYS, CONFIG_KEYS, loadStackConfig, PROJECT, StackConfigError } from "../../config";
import { tool, toolchain } from "../cluster/tools";
import { repoRoot } from "../lib/process";
import { Deployment, readCheckpoint } from "./checkpoint";
import { setConfigFlags } from "./configFlags";
import { mergeStackFile } from "./syncStackFile";
import { isRolloutFailure, LAST_GOOD_FILE, parseRelease, Release, ResourceFailure, rollbackStackFile } from "./lastGood";
import { isStaleLock, LockInfo, PendingOperation, pidAlive, planRecovery } from "./recovery";
import { runStack } from "./runStack";

const execFileAsync = promisify(execFile);

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

/** The stack file of a stack: `Pulumi.dev.yaml` for `dev` and for a backend's fully named `acme/dev`. */
function stackFileName(stackName: string): string {
    return `Pulumi.${stackName.split("/").pop()}.yaml`;
}

/** Copies the repository's stack file over the work directory's, keeping what the work directory owns. */
function syncStackFile(workDir: string, stackName: string): void {
    const name = stackFileName(stackName);
    const target = path.join(workDir, name);
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    fs.writeFileSync(target, mergeStackFile(fs.readFileSync(path.join(repoRoot, name), "utf8"), current, PROJECT));
}

/** What openStack can add around the program and the CLI. */
export interface OpenOptions {
    /** Refresh the work directory's stack file from the repository's first. */
    sync?: boolean;
    /**
     * The stack's backend (`https://api.pulumi.com`, `s3://...`) when it is not the file backend in
     * DIR; its own secrets provider then applies, and a passphrase only if PULUMI_CONFIG_PASSPHRASE is set.
     */
    backendUrl?: string;
    /** Runs inside the engine's run before index.ts; a RunError it throws fails the operation before any resource. */
    beforeProgram?: () => Promise<void>;
}

/** Opens (creating on first use) the stack in DIR, running the project's index.ts as an inline program. */
export async function openStack(dir: string, stackName: string, options: OpenOptions = {}): Promise<Stack> {
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
    const stackFile = path.join(workDir, stackFileName(stackName));
    if (options.sync || !fs.existsSync(stackFile)) syncStackFile(workDir, stackName);

    const binDirs = [...new Set(["pulumi", "pulumi-resource-kubernetes", "kubectl"].map((t) => path.dirname(tools[t])))];
    const env: Record<string, string> = {
        PATH: [...binDirs, process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: options.backendUrl ?? `file://${backend}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    if (!options.backendUrl || process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) env.PULUMI_CONFIG_PASSPHRASE = passphrase(dir);
    // The CLI itself is found through PATH, in this process too.
    process.env.PATH = env.PATH;
    const workspace = await LocalWorkspace.create({
        workDir,
        pulumiHome: home,
        envVars: env,
        program: async () => {
            // The project's own composition root; its exports become the stack outputs. A
            // require, not an import: it must run inside the engine's run, which registers its resources.
            try {
                await options.beforeProgram?.();
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
    });
    // Every command the stack runs names it (`--stack`), so selecting an existing one would only cost
    // a CLI run; a new stack is created as before.
    if (options.backendUrl || readCheckpoint(backend, PROJECT, stackName) === undefined) return Stack.createOrSelect(stackName, workspace);
    workspace.selectStack = async () => undefined;
    return Stack.select(stackName, workspace);
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

/**
 * What the engine reported through its events: every resource step, the error diagnostics and the
 * types they were about, the stack's outputs and the operation counts. The events carry all a
 * result needs, so nothing is asked of the CLI after the operation.
 */
class EngineReport {
    readonly steps: Step[] = [];
    readonly errors: string[] = [];
    readonly failures: ResourceFailure[] = [];
    outputs: Record<string, unknown> = {};
    changes?: OpMap;

    readonly onEvent = (event: EngineEvent): void => {
        const pre = event.resourcePreEvent;
        if (pre) this.steps.push({ op: pre.metadata.op, type: pre.metadata.type, urn: pre.metadata.urn });
        // The root resource's outputs are the stack outputs (secret values come masked as "[secret]").
        const done = event.resOutputsEvent?.metadata;
        if (done?.type === "pulumi:pulumi:Stack") this.outputs = done.new?.outputs ?? {};
        if (event.summaryEvent) this.changes = event.summaryEvent.resourceChanges;
        const diagnostic = event.diagnosticEvent;
        // The engine's closing "update failed" and the SDK's "One or more errors occurred" add nothing
        // to the diagnostics that caused them.
        if (diagnostic?.severity === "error" && !/^(update failed|One or more errors occurred)/.test(diagnostic.message)) {
            const message = diagnostic.message.trimEnd();
            if (!this.errors.includes(message)) this.errors.push(message);
            // urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>
            const type = diagnostic.urn?.split("::")[2]?.split("$").pop();
            if (type) this.failures.push({ type, message });
        }
    };
}

/**
 * Stack.up() asks the CLI for the outputs (twice) and the last history entry once the engine is
 * done, three CLI runs that each pay the passphrase's key derivation, for what the engine's events
 * already gave: answered from the report instead.
 */
function answerFromEvents(stack: Stack, report: EngineReport): void {
    stack.outputs = async () => Object.fromEntries(Object.entries(report.outputs).map(([k, value]) => [k, { value, secret: value === "[secret]" }]));
    stack.info = async () => undefined;
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
async function namespaceOwner(kubectl: string, namespace: string): Promise<NamespaceOwner> {
    try {
        const { stdout } = await execFileAsync(kubectl, ["get", "namespace", namespace, "-o", "json"], { encoding: "utf8" });
        return { exists: true, stackLabel: JSON.parse(stdout).metadata?.labels?.[STACK_LABEL] };
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

/**
 * Refuses, inside the engine's run and before index.ts registers anything, an `up` or preview that
 * would take over another stack's namespace. It reads the config as the program does (a config with
 * problems is left to the program, which reports them all) and the state as the run began; it keeps
 * the args it read, for the failure report.
 */
class NamespaceGuard {
    args?: RustServiceArgs;
    refused = false;

    /** The state as the run began. */
    state?: Deployment;

    readonly check = async (): Promise<void> => {
        try {
            this.args = loadStackConfig().args;
        } catch (error) {
            if (error instanceof StackConfigError) return;
            throw error;
        }
        const namespace = this.args.createNamespace ? this.args.namespace : undefined;
        if (!namespace) return;
        const inState = (this.state?.resources ?? []).some(
            (r) => r.type === "kubernetes:core/v1:Namespace" && (r.outputs?.metadata as { name?: string } | undefined)?.name === namespace,
        );
        // A namespace the state has is this stack's: no need to ask the cluster.
        if (inState) return;
        const problem = namespaceTakeoverProblem(namespace, await namespaceOwner(tool("kubectl"), namespace), inState);
        if (problem) {
            this.refused = true;
            throw new pulumi.RunError(problem);
        }
    };
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

/** The locks' files of the stack, parsed. */
function readLocks(lockDir: string): LockInfo[] {
    const files = fs.existsSync(lockDir) ? fs.readdirSync(lockDir).filter((f) => f.endsWith(".json")) : [];
    return files.map((f) => JSON.parse(fs.readFileSync(path.join(lockDir, f), "utf8")) as LockInfo);
}

/**
 * Before an engine command: clears what an interrupted (killed) run left. A lock whose process is gone
 * is removed (`pulumi cancel`); a pending create of one of this stack's Kubernetes objects that exists
 * in the cluster is put in the state under its ID, so it is neither orphaned nor created again under a
 * new name; other pending operations are dropped with a warning naming them; then a refresh of what
 * was touched reads the real state. Prints one line per thing it did.
 */
async function recoverInterrupted(stack: Stack, dir: string, current: Deployment | undefined, onOutput: (text: string) => void): Promise<void> {
    const started = Date.now();
    const say = (line: string) => process.stderr.write(`[recovery] ${line}\n`);
    const lockDir = path.join(dir, "backend", ".pulumi", "locks", "organization", PROJECT, stack.name);
    let locks = readLocks(lockDir);
    // A run killed a moment ago may still be exiting: give its process two seconds to go.
    for (let waited = 0; waited < 2_000 && locks.some((l) => !isStaleLock(l, os.hostname(), pidAlive)); waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        locks = readLocks(lockDir);
    }
    const stale = locks.filter((l) => isStaleLock(l, os.hostname(), pidAlive));
    if (stale.length > 0 && stale.length === locks.length) {
        await stack.cancel();
        for (const lock of stale) say(`removed the lock of an interrupted run (pid ${lock.pid}, taken ${lock.timestamp ?? "at an unknown time"})`);
    }
    if ((current?.pending_operations ?? []).length === 0) return;
    // The round trip through `stack import` takes the exported form, which the CLI gives.
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
    return path.join((stack.workspace as LocalWorkspace).workDir, stackFileName(stack.name));
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
async function rollBack(dir: string, stack: Stack, release: Release, upArgs: readonly string[]): Promise<NonNullable<StackResult["rollback"]>> {
    const started = Date.now();
    const to = { imageRef: release.imageRef, deployedAt: release.deployedAt };
    process.stderr.write(`\n[rollback] the rollout failed: deploying the last good release again (${release.imageRef}, deployed ${release.deployedAt})\n`);
    fs.writeFileSync(stackFilePath(stack), rollbackStackFile(release, PROJECT, BUILD_KEYS));
    const { result } = await runStack(["up", "--no-rollback", ...upArgs], {
        dir,
        stack: stack.name,
        kubeconfig: process.env.KUBECONFIG ?? "",
        showEngineOutput: true,
    });
    const durationMs = Date.now() - started;
    if (result.ok) process.stderr.write(`[rollback] rolled back to ${release.imageRef} in ${(durationMs / 1000).toFixed(1)} s\n`);
    return { ok: result.ok, to, durationMs, changes: result.changes, error: result.error };
}

/** Seconds an interrupted operation gets to stop by itself before the engine is killed (RUST_SERVICE_STOP_BUDGET). */
const STOP_BUDGET_SECONDS = Number(process.env.RUST_SERVICE_STOP_BUDGET ?? 30);

/**
 * SIGINT or SIGTERM (Ctrl-C, a cancelled CI job) stops the running operation as the CLI's own Ctrl-C
 * does: SIGINT to the engine, which lets the resource operations in flight finish, records them in the
 * state and releases the lock. The same signal again, or the budget running out, kills the engine.
 */
function interruptible(engineOutput: () => string): { signal: AbortSignal; interrupted: () => StackResult["interrupted"] } {
    const controller = new AbortController();
    let interrupted: StackResult["interrupted"];
    const kill = () => {
        if (interrupted) interrupted.killedAfterBudget = true;
        execFileSync("pkill", ["-KILL", "-P", String(process.pid), "-x", "pulumi"], { stdio: "ignore" });
    };
    const onSignal = (signal: NodeJS.Signals) => {
        // The same signal twice (Ctrl-C twice) kills at once; SIGTERM after SIGINT is a CI runner
        // still waiting (GitHub sends it 7.5 s after SIGINT and kills 2.5 s later), so it changes nothing.
        if (interrupted?.signal === signal) return kill();
        if (interrupted) return;
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

async function run(argv: string[]): Promise<number> {
    const valued = ["--dir", "--stack", "--config", "--backend", "--policy-pack"];
    const flags = new Set(argv.filter((a) => a.startsWith("--") && !valued.includes(a)));
    const valueOf = (flag: string) => {
        const i = argv.indexOf(flag);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const valuesOf = (flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1] ?? ""] : []));
    const configPairs = valuesOf("--config");
    const policyPacks = valuesOf("--policy-pack").map((p) => path.resolve(p));
    const positional = argv.filter((a, i) => !a.startsWith("--") && !valued.includes(argv[i - 1]));
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
    if (configPairs.length > 0 && command !== "up") {
        process.stderr.write("--config goes with up only\n");
        return 2;
    }
    // The engine and its provider run in the work directory: a relative KUBECONFIG (`.local/kubeconfig`)
    // would name nothing there.
    if (process.env.KUBECONFIG) {
        process.env.KUBECONFIG = process.env.KUBECONFIG.split(path.delimiter)
            .map((p) => (p ? path.resolve(p) : p))
            .join(path.delimiter);
    }
    const backendUrl = valueOf("--backend");
    const guard = new NamespaceGuard();
    const stack = await openStack(dir, stackName, {
        sync: flags.has("--sync-stack-file"),
        backendUrl,
        beforeProgram: command === "up" || command === "preview" ? guard.check : undefined,
    });
    // The state as the run begins: the file backend's checkpoint, else what the backend exports.
    const state = !engineCommand
        ? undefined
        : backendUrl
          ? (exportState(stack) as { deployment?: Deployment }).deployment
          : readCheckpoint(path.join(dir, "backend"), PROJECT, stackName);
    guard.state = state;
    if (engineCommand) process.stderr.write(`[${command}] stack ${stackName} in ${dir}\n`);
    let engineOutput = "";
    const onOutput = (text: string) => {
        engineOutput += text;
        process.stderr.write(text);
    };
    // Only the engine's operations stop gracefully; the others end on a signal as any process does.
    const { signal, interrupted } = engineCommand ? interruptible(() => engineOutput) : { signal: undefined, interrupted: () => undefined };
    const report = new EngineReport();
    const { steps } = report;
    try {
        if (configPairs.length > 0) {
            const file = stackFilePath(stack);
            fs.writeFileSync(file, setConfigFlags(fs.readFileSync(file, "utf8"), configPairs, PROJECT, CONFIG_KEYS));
        }
        if (engineCommand) await recoverInterrupted(stack, dir, state, onOutput);
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
                await stack.preview({ onOutput, signal, onEvent: report.onEvent, policyPacks });
                return print({ command, ok: true, changes: report.changes, steps });
            }
            case "up": {
                answerFromEvents(stack, report);
                await stack.up({ onOutput, signal, onEvent: report.onEvent, policyPacks });
                recordRelease(dir, stack, report.outputs.imageRef);
                return print({ command, ok: true, changes: report.changes, steps, outputs: report.outputs });
            }
            case "refresh":
            case "destroy": {
                answerFromEvents(stack, report);
                await stack[command]({ onOutput, signal, onEvent: report.onEvent });
                return print({ command, ok: true, changes: report.changes, steps });
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
        // What the engine reported as errors, without the CLI's whole transcript (already streamed) around it.
        let message = report.errors.length > 0 ? report.errors.join("\n") : explainError(error instanceof Error ? error.message : String(error), dir);
        if (interrupted()) {
            return print({ command, ok: false, steps, interrupted: interrupted(), error: `interrupted by ${interrupted()!.signal}\n${message}` });
        }
        // A refused namespace is another stack's: its pods are not this failure's story.
        if (command === "up" && !guard.refused) {
            const namespace = guard.args?.namespace;
            const failures = namespace ? podFailures(tool("kubectl"), namespace) : [];
            if (failures.length > 0) message = `${failures.join("\n")}\n\n${message}`;
            const release = lastRelease(dir);
            if (!flags.has("--no-rollback") && release && isRolloutFailure(report.failures)) {
                // The same backend and policy packs; not the --config values, which are in the failed release.
                const upArgs = [...(backendUrl ? ["--backend", backendUrl] : []), ...policyPacks.flatMap((p) => ["--policy-pack", p])];
                const rollback = await rollBack(dir, stack, release, upArgs);
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
