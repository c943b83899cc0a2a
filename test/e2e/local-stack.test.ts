/**
 * The `local` stack on a real Pulumi engine and a real single-node Kubernetes: deployed, changed,
 * broken and destroyed for real. The tests run in order and share one stack; each one states the
 * stack it expects and leaves it that way. Figures (times, request counts) are printed as they go.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildAndPush } from "../../scripts/local/image";
import { provisionForTests } from "../harness/machine";
import {
    E2eStack,
    Json,
    LoadReport,
    changedSteps,
    clearLeftoverNamespaces,
    containerProcessEnv,
    crashAndRestartNode,
    describeLoad,
    e2eSkipReason,
    ensureCluster,
    get,
    kubectl,
    kubectlJson,
    kubectlResult,
    pushCrashingImage,
    startLoad,
    waitFor,
} from "./harness";

// Rollouts on two shared cores take tens of seconds; the beforeAll has its own, longer limit.
jest.setTimeout(10 * 60_000);

const NAMESPACE = "rust-service-e2e";
const GREETING = "Hello from the local stack";
const SENTINEL = `e2e-sentinel-${randomBytes(8).toString("hex")}`;
const skipReason = e2eSkipReason();
if (skipReason) console.warn(skipReason);
const suite = skipReason ? describe.skip : describe;

function figure(name: string, value: string): void {
    process.stdout.write(`[e2e figure] ${name}: ${value}\n`);
}

async function timed<T>(name: string, action: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const result = await action();
    figure(name, `${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
}

suite("the local stack on a real engine and cluster", () => {
    let stack: E2eStack;
    let imageRef: string;
    let serviceUrl: string;
    let stopProvisioned: () => Promise<void> = async () => undefined;
    let stopCluster: () => Promise<void> = async () => undefined;
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "rust-service-e2e-"));

    const deployment = (): Json => kubectlJson(["-n", NAMESPACE, "get", "deployment", "-l", "app.kubernetes.io/name=rust-service"]).items[0];
    /** Pods of the current ReplicaSet that run and are not being deleted. */
    const stackPods = (): Json[] => kubectlJson(["-n", NAMESPACE, "get", "pods", "-l", "app.kubernetes.io/name=rust-service"]).items;
    const isLive = (p: Json): boolean => p.status.phase === "Running" && !p.metadata.deletionTimestamp;
    const livePods = (): Json[] => stackPods().filter(isLive);
    /** `up` while clients send GETs through the Service; prints and returns what they saw. */
    const upUnderLoad = async (name: string): Promise<LoadReport> => {
        const load = startLoad(serviceUrl);
        const started = Date.now();
        await stack.ok(["up"]);
        const report = await load.stop();
        figure(name, `${((Date.now() - started) / 1000).toFixed(1)} s, ${describeLoad(report)}`);
        return report;
    };
    /** The kinds of the stack's objects in a namespace, one entry per object, sorted: a duplicate shows twice. */
    const ownedKinds = (namespace: string): string[] =>
        kubectlJson([
            "-n",
            namespace,
            "get",
            "deployments,services,configmaps,secrets,serviceaccounts,poddisruptionbudgets",
            "-l",
            "app.kubernetes.io/name=rust-service",
        ])
            .items.map((o: Json) => o.kind)
            .sort();
    /**
     * The pods once the rollout has settled: as many as the Deployment wants, running, and no other,
     * not even one still draining (a draining pod keeps answering, with the release it runs).
     */
    const settledPods = async (): Promise<Json[]> => {
        const want = deployment().spec.replicas;
        let pods: Json[] = [];
        const settled = () => {
            const all = stackPods();
            pods = all.filter(isLive);
            return all.length === want && pods.length === want;
        };
        await waitFor("the old pods to terminate", settled, 90_000);
        return pods;
    };

    beforeAll(async () => {
        stopProvisioned = await timed("provisioning (docker, registry, base image)", provisionForTests);
        stopCluster = await timed("cluster start", ensureCluster);
        clearLeftoverNamespaces((name) => name === NAMESPACE || name.startsWith(`${NAMESPACE}-`));
        imageRef = await timed("image build and push", () => buildAndPush("localhost:5001", "rust-service", (l) => figure("image", l)));
        stack = new E2eStack(path.join(workDir, "pulumi"), randomBytes(16).toString("hex"));
        // What a user does with `pulumi config set` on top of Pulumi.local.yaml: the harness's image,
        // its own namespace (so a `local:up` deployment on the same cluster is left alone), 2 replicas.
        await stack.setConfig("image", imageRef);
        await stack.setConfig("namespace", NAMESPACE);
        await stack.setConfig("replicas", "2");
    }, 60 * 60_000);

    afterAll(async () => {
        // Whatever a failed test left: the stack's objects go, then whatever this run started.
        if (stack && kubectlJson(["get", "namespaces"]).items.some((n: Json) => n.metadata.name === NAMESPACE)) {
            await stack.run(["destroy"]).catch(() => undefined);
        }
        await stopCluster();
        await stopProvisioned();
        fs.rmSync(workDir, { recursive: true, force: true });
    }, 10 * 60_000);

    it("goes up from empty: Available with the configured replicas, every pod on the exact digest, the greeting through the Service", async () => {
        const up = await timed("up from empty", () => stack.ok(["up"]));
        expect(up.changes?.create).toBeGreaterThanOrEqual(7);
        expect(up.outputs?.imageRef).toBe(imageRef);

        const d = deployment();
        expect(d.status.conditions.find((c: Json) => c.type === "Available").status).toBe("True");
        expect(d.status.availableReplicas).toBe(2);
        const pods = livePods();
        expect(pods).toHaveLength(2);
        const digest = imageRef.split("@")[1];
        for (const pod of pods) {
            expect(pod.spec.containers[0].image).toBe(imageRef);
            expect(pod.status.containerStatuses[0].imageID).toMatch(new RegExp(`@${digest}$`));
        }

        const svc = kubectlJson(["-n", NAMESPACE, "get", "service", String(up.outputs?.serviceName)]);
        serviceUrl = `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}/`;
        const res = await get(serviceUrl);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body).greeting).toBe(GREETING);
    });

    it("previews no changes a second time, and a refresh changes nothing", async () => {
        const preview = await timed("no-op preview", () => stack.ok(["preview"]));
        expect(changedSteps(preview)).toEqual([]);
        expect(Object.keys(preview.changes ?? {})).toEqual(["same"]);

        // A refresh reads every resource back (each step's op is `refresh`); its summary says what differed.
        const refresh = await timed("refresh", () => stack.ok(["refresh"]));
        expect(refresh.changes).toEqual({ same: preview.changes?.same });
    });

    it("refuses a second stack's up into the first stack's namespace, and the second stack's destroy leaves the first stack's objects", async () => {
        // The reproduction of issue 17: a second checkout, its own state, the same stack name and namespace.
        const second = new E2eStack(path.join(workDir, "second"), randomBytes(16).toString("hex"));
        await second.setConfig("image", imageRef);
        await second.setConfig("namespace", NAMESPACE);
        await second.setConfig("greeting", "Hello from the second stack");
        const objectsBefore = kubectl(["-n", NAMESPACE, "get", "deployments,services,configmaps,secrets", "-o", "name"]);

        const up = await second.run(["up"]);

        expect(up.result.ok).toBe(false);
        expect(up.result.error).toContain(
            `the namespace ${NAMESPACE} already exists and is not in this stack's state: it was created by the stack rust-service.local`,
        );
        // Refused inside the engine's run before the program registers anything: only the stack itself.
        expect((up.result.steps ?? []).map((s) => s.type)).toEqual(["pulumi:pulumi:Stack"]);
        const destroy = await second.ok(["destroy"]);
        expect(changedSteps(destroy)).toEqual(["Stack delete"]);
        expect(kubectl(["-n", NAMESPACE, "get", "deployments,services,configmaps,secrets", "-o", "name"])).toBe(objectsBefore);
        expect(JSON.parse((await get(serviceUrl)).body).greeting).toBe(GREETING);
    });

    it("runs a fully named stack on a backend of its own (--backend, as the deploy workflow runs dev on Pulumi Cloud): state there, the release record beside it", async () => {
        const backend = path.join(workDir, "own-backend");
        fs.mkdirSync(backend);
        const own = new E2eStack(path.join(workDir, "own"), randomBytes(16).toString("hex"), {
            stack: "organization/rust-service/local",
            backendUrl: `file://${backend}`,
        });
        await own.setConfig("image", imageRef);
        await own.setConfig("namespace", `${NAMESPACE}-own`);
        await own.setConfig("replicas", "1");

        const up = await own.ok(["up"]);
        expect(up.outputs?.namespace).toBe(`${NAMESPACE}-own`);
        expect(kubectlJson(["-n", `${NAMESPACE}-own`, "get", "deployments"]).items).toHaveLength(1);
        // The state is in that backend, not in the runner's folder; the release record is beside it.
        expect(fs.existsSync(path.join(backend, ".pulumi", "stacks", "rust-service", "local.json"))).toBe(true);
        expect(fs.existsSync(path.join(own.dir, "backend", ".pulumi", "stacks"))).toBe(false);
        expect(JSON.parse(fs.readFileSync(path.join(own.dir, "last-good-release.json"), "utf8")).imageRef).toBe(imageRef);
        expect(changedSteps(await own.ok(["preview"]))).toEqual([]);

        const destroy = await own.ok(["destroy"]);
        expect(destroy.changes?.delete).toBeGreaterThanOrEqual(7);
        const gone = () => !kubectlJson(["get", "namespaces"]).items.some((n: Json) => n.metadata.name === `${NAMESPACE}-own`);
        await waitFor("the namespace to be deleted", gone);
        expect(gone()).toBe(true);
    });

    it("fails a bad stack config on the real engine before any resource is touched, printing exactly the problem list once", async () => {
        const bad = new E2eStack(path.join(workDir, "bad-config"), randomBytes(16).toString("hex"));
        await bad.setConfig("image", imageRef);
        await bad.setConfig("replicas", "3000000000");
        await bad.setConfig("namespace", "kube-system");
        const problems = [
            "The stack configuration has 2 problems (fix them in the stack file or with `pulumi config set`; keys are listed in Pulumi.yaml):",
            "  - `rust-service:replicas` must be at most 2147483647, the largest value a Kubernetes integer field holds, got 3000000000",
            "  - `rust-service:namespace` is kube-system, which belongs to the cluster's own components: choose a namespace of your own",
        ].join("\n");

        const { result, engineOutput } = await bad.run(["up"]);

        expect(result.ok).toBe(false);
        expect(result.error).toBe(problems);
        expect(engineOutput.split(problems.split("\n")[0]).length - 1).toBe(2); // the progress line and the diagnostic
        expect(engineOutput.split(problems.split("\n")[1]).length - 1).toBe(1);
        expect(engineOutput).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        expect(engineOutput).not.toMatch(/Unhandled exception|ComponentResource \{/);
        expect((result.steps ?? []).map((s) => s.type)).toEqual(["pulumi:pulumi:Stack"]);
        expect(await bad.ok(["export"]).then((r) => JSON.stringify(r.state))).not.toContain("kubernetes:");
    });

    it("replaces the ConfigMap under a new name and updates the Deployment on a plain env change, rolling pods without a dropped request", async () => {
        const oldConfigMap = deployment().spec.template.spec.containers[0].envFrom[0].configMapRef.name;
        await stack.setList("env", ["APP_ENVIRONMENT=e2e-changed"]);

        const preview = await stack.ok(["preview"]);
        const changed = changedSteps(preview);
        expect(changed.filter((s) => !s.startsWith("ConfigMap "))).toEqual(["Deployment update"]);
        expect(changed).toContain("ConfigMap replace");
        expect(Object.keys(preview.changes ?? {}).sort()).toEqual(["replace", "same", "update"]);

        const report = await upUnderLoad("env-change rollout");
        expect(report.requests).toBeGreaterThan(100);
        expect(report.errors).toBe(0);

        const newConfigMap = deployment().spec.template.spec.containers[0].envFrom[0].configMapRef.name;
        expect(newConfigMap).not.toBe(oldConfigMap);
        for (const pod of await settledPods()) {
            expect(pod.spec.containers[0].envFrom[0].configMapRef.name).toBe(newConfigMap);
            expect(containerProcessEnv(pod.status.containerStatuses[0].containerID).APP_ENVIRONMENT).toBe("e2e-changed");
        }
        const gone = await kubectlResult(["-n", NAMESPACE, "get", "configmap", oldConfigMap]);
        expect(gone.stderr).toContain("NotFound");
    });

    it("updates only the Deployment on a greeting change, and every new pod answers with the new greeting, no request dropped", async () => {
        await stack.setConfig("greeting", "Hello from the e2e test");
        const preview = await stack.ok(["preview"]);
        expect(changedSteps(preview)).toEqual(["Deployment update"]);

        const report = await upUnderLoad("greeting rollout");
        expect(report.errors).toBe(0);

        for (const pod of await settledPods()) {
            const res = await get(`http://${pod.status.podIP}:8080/`);
            expect(JSON.parse(res.body).greeting).toBe("Hello from the e2e test");
        }
        expect(JSON.parse((await get(serviceUrl)).body).greeting).toBe("Hello from the e2e test");

        // The same change as one command: `up --config` stores the value as `config set` did, so nothing changes.
        const again = await stack.ok(["up", "--config", "greeting=Hello from the e2e test"]);
        expect(changedSteps(again)).toEqual([]);
        const refused = await stack.run(["up", "--config", "registryPassword=not-on-the-command-line"]);
        expect(refused.result.ok).toBe(false);
        expect(refused.result.error).toContain("--config cannot set registryPassword");
        expect(refused.result.steps).toEqual([]);
        expect(refused.engineOutput + JSON.stringify(refused.result)).not.toContain("not-on-the-command-line");
    });

    it("delivers a secret through the Secret and secretKeyRef, and its value is nowhere in plain text: API objects, state, stack file, engine output", async () => {
        await stack.setList("secretEnv", [`E2E_TOKEN=${SENTINEL}`], { secret: true });
        await stack.ok(["up"]);

        const container = deployment().spec.template.spec.containers[0];
        const ref = container.env.find((e: Json) => e.name === "E2E_TOKEN");
        expect(ref.value).toBeUndefined();
        expect(ref.valueFrom.secretKeyRef.key).toBe("E2E_TOKEN");
        const secret = kubectlJson(["-n", NAMESPACE, "get", "secret", ref.valueFrom.secretKeyRef.name]);
        expect(Buffer.from(secret.data.E2E_TOKEN, "base64").toString()).toBe(SENTINEL);

        for (const pod of await settledPods()) {
            expect(containerProcessEnv(pod.status.containerStatuses[0].containerID).E2E_TOKEN).toBe(SENTINEL);
        }
        // Everything but the Secret itself: specs, env literals, annotations (last-applied included).
        const objects = kubectl([
            "-n",
            NAMESPACE,
            "get",
            "configmaps,pods,deployments,replicasets,services,serviceaccounts,poddisruptionbudgets",
            "-o",
            "json",
        ]);
        expect(objects).toContain("E2E_TOKEN");
        for (const form of [SENTINEL, Buffer.from(SENTINEL).toString("base64")]) expect(objects).not.toContain(form);
        expect(JSON.stringify(secret.metadata.annotations ?? {})).not.toContain(SENTINEL);

        // Plain and base64 (a Secret's `data` form) both count as a leak.
        const forms = [SENTINEL, Buffer.from(SENTINEL).toString("base64")];
        const state = JSON.stringify((await stack.ok(["export"])).state);
        expect(state).toContain("E2E_TOKEN");
        expect(state).toContain("ciphertext");
        for (const form of forms) expect(state).not.toContain(form);
        const stackFile = fs.readFileSync(path.join(stack.dir, "project", "Pulumi.local.yaml"), "utf8");
        expect(stackFile).toMatch(/rust-service:secretEnv:\s+- secure: v1:/);
        const files = listFiles(stack.dir);
        expect(files.length).toBeGreaterThan(3);
        for (const file of files) {
            const content = fs.readFileSync(file, "latin1");
            expect({ file, leaks: forms.some((f) => content.includes(f)) }).toEqual({ file, leaks: false });
        }
        for (const form of forms) expect(stack.transcript.join("\n")).not.toContain(form);
    });

    it("with rollback off, fails a rollout that cannot become ready within the rollout timeout, names the pod's failure, keeps the old pods serving, and recovers on revert", async () => {
        const before = JSON.parse((await get(serviceUrl)).body).greeting;
        const crashing = await pushCrashingImage("localhost:5001/rust-service", "fatal: this release cannot start (e2e)");
        await stack.setConfig("rolloutTimeoutSeconds", "30");
        await stack.ok(["up"]);
        await stack.setConfig("image", crashing);

        const load = startLoad(serviceUrl);
        const started = Date.now();
        const { result } = await stack.run(["up", "--no-rollback"]);
        const seconds = (Date.now() - started) / 1000;
        const report = await load.stop();
        expect(result.rollback).toBeUndefined();
        figure("failed rollout", `up failed after ${seconds.toFixed(1)} s (timeout 30 s); ${describeLoad(report)}`);

        expect(result.ok).toBe(false);
        expect(seconds).toBeLessThan(30 + 45);
        expect(result.error).toMatch(/CrashLoopBackOff|exited with code 78/);
        expect(result.error).toContain("fatal: this release cannot start (e2e)");
        expect(report.errors).toBe(0);
        expect(Object.keys(report.bodies).every((body) => JSON.parse(body).greeting === before)).toBe(true);

        await stack.setConfig("image", imageRef);
        await stack.ok(["up"]);
        expect(deployment().status.conditions.find((c: Json) => c.type === "Available").status).toBe("True");
        const pods = await settledPods();
        expect(pods.every((p: Json) => p.status.containerStatuses[0].ready)).toBe(true);
    });

    /**
     * `up` of a release that cannot become ready, under load: it fails, names the failure, deploys the
     * last good release again by itself, and leaves state and cluster agreeing on that release.
     */
    const upRollsBack = async (name: string, failure: RegExp): Promise<void> => {
        const good = JSON.parse((await get(serviceUrl)).body).greeting;
        // Enough requests for the whole sequence (a failed rollout, then the rollback) at about 600 a second.
        const load = startLoad(serviceUrl, 4, 200_000);
        const started = Date.now();
        const { result } = await stack.run(["up"]);
        const seconds = (Date.now() - started) / 1000;
        const report = await load.stop();
        figure(
            name,
            `up failed and rolled back in ${seconds.toFixed(1)} s (rollout timeout 30 s, rollback ${((result.rollback?.durationMs ?? 0) / 1000).toFixed(1)} s); ` +
                `${describeLoad(report)}`,
        );

        expect(result.ok).toBe(false);
        expect(result.error).toMatch(failure);
        expect(result.rollback).toMatchObject({ ok: true, to: { imageRef } });
        expect(report.errors).toBe(0);
        expect(Object.keys(report.bodies).every((body) => JSON.parse(body).greeting === good)).toBe(true);

        // No pod of the failed release remains: every pod runs the good digest with the good limits.
        const pods = await settledPods();
        expect(pods.map((p: Json) => [p.spec.containers[0].image, p.spec.containers[0].resources.limits.memory, p.status.containerStatuses[0].ready])).toEqual(
            pods.map(() => [imageRef, "128Mi", true]),
        );
        const all = kubectlJson(["-n", NAMESPACE, "get", "pods", "-l", "app.kubernetes.io/name=rust-service"]).items;
        expect(all.filter((p: Json) => p.spec.containers[0].image !== imageRef || p.spec.containers[0].resources.limits.memory !== "128Mi")).toEqual([]);
        // State and cluster agree on the restored release: nothing to change, no init errors left.
        expect(changedSteps(await stack.ok(["preview"]))).toEqual([]);
        expect(JSON.stringify((await stack.ok(["export"])).state)).not.toContain("initErrors");
    };

    it("rolls a release whose container exits at start (it crash-loops) back to the last good release by itself, serving every request", async () => {
        await stack.setConfig("image", await pushCrashingImage("localhost:5001/rust-service", "fatal: this release cannot start (e2e)"));
        await upRollsBack("rollback after a crashing image", /fatal: this release cannot start \(e2e\)/);
    });

    it("rolls a configuration that passes validation but cannot become ready (a CPU request no node can give) back by itself", async () => {
        // Pods that can never be scheduled: the rollout times out with nothing crashing meanwhile.
        await stack.setConfig("cpuRequest", "64");
        await stack.setConfig("cpuLimit", "64");
        await upRollsBack("rollback after an unschedulable CPU request", /timed out waiting to be Ready|ProgressDeadlineExceeded/);
        const stackFile = fs.readFileSync(path.join(stack.dir, "project", "Pulumi.local.yaml"), "utf8");
        expect(stackFile).toContain("rust-service:cpuRequest: 50m\n");
        expect(stackFile).toContain("rust-service:cpuLimit: 500m\n");
        const unschedulable = () =>
            kubectlJson(["-n", NAMESPACE, "get", "pods"]).items.filter((p: Json) => p.spec.containers[0].resources.requests.cpu === "64");
        await waitFor("the failed release's pending pods to go", () => unschedulable().length === 0, 30_000);
        expect(unschedulable()).toEqual([]);
    });

    /**
     * Starts an `up` of a new greeting under load and interrupts it (SIGINT, or SIGKILL of the runner and
     * its engine) once the rollout has begun; returns the interrupted run, the load and the objects before.
     */
    const interruptRollout = async (greeting: string, signal: "SIGINT" | "SIGKILL") => {
        const before = ownedKinds(NAMESPACE);
        const generation = deployment().metadata.generation;
        await stack.setConfig("greeting", greeting);
        const interrupt = new AbortController();
        const load = startLoad(serviceUrl, 4, 200_000);
        const running = stack.run(["up"], undefined, interrupt.signal);
        await waitFor("the rollout to start", () => deployment().metadata.generation > generation, 60_000);
        interrupt.abort(signal);
        return { before, load, running, stoppedAt: Date.now() };
    };

    it("stops an up interrupted by SIGINT during a rollout within its budget; the next up completes, with nothing orphaned or duplicated", async () => {
        const { before, load, running, stoppedAt } = await interruptRollout("Hello after an interruption", "SIGINT");
        const { result } = await running;
        const seconds = (Date.now() - stoppedAt) / 1000;
        figure("SIGINT during a rollout", `the runner stopped ${seconds.toFixed(1)} s after SIGINT`);

        expect(result.ok).toBe(false);
        expect(result.interrupted).toEqual({ signal: "SIGINT", killedAfterBudget: false });
        expect(seconds).toBeLessThan(30);

        const next = await stack.ok(["up"]);
        const report = await load.stop();
        figure("up after the interruption", `${describeLoad(report)}`);
        expect(report.errors).toBe(0);
        expect(next.rollback).toBeUndefined();
        expect(changedSteps(await stack.ok(["preview"]))).toEqual([]);
        expect(ownedKinds(NAMESPACE)).toEqual(before);
        const pods = await settledPods();
        for (const pod of pods) expect(JSON.parse((await get(`http://${pod.status.podIP}:8080/`)).body).greeting).toBe("Hello after an interruption");
        await stack.setConfig("greeting", "Hello from the e2e test");
        await stack.ok(["up"]);
    });

    it("recovers from SIGKILL of the runner and the engine during a rollout: the next up clears the lock and the pending operation by itself", async () => {
        const { before, load, running } = await interruptRollout("Hello after a kill", "SIGKILL");
        await expect(running).rejects.toThrow(/printed no result/);

        const started = Date.now();
        const { result, engineOutput } = await stack.run(["up"]);
        const report = await load.stop();
        figure("up after SIGKILL", `${((Date.now() - started) / 1000).toFixed(1)} s; ${describeLoad(report)}`);
        expect(result.error).toBeUndefined();
        expect(result.ok).toBe(true);
        expect(engineOutput).toMatch(/\[recovery\] removed the lock of an interrupted run \(pid \d+/);
        expect(engineOutput).toContain(
            "[recovery] warning: dropped the pending operation on urn:pulumi:local::rust-service::rust-service:index:RustService$kubernetes:apps/v1:Deployment::rust-service: interrupted while updating",
        );
        expect(report.errors).toBe(0);
        expect(changedSteps(await stack.ok(["preview"]))).toEqual([]);
        expect(ownedKinds(NAMESPACE)).toEqual(before);
        for (const pod of await settledPods()) expect(JSON.parse((await get(`http://${pod.status.podIP}:8080/`)).body).greeting).toBe("Hello after a kill");
        await stack.setConfig("greeting", "Hello from the e2e test");
        await stack.ok(["up"]);
    });

    it("stops an up from empty interrupted by SIGINT; the next up completes with one of each object, and destroy leaves nothing", async () => {
        const namespace = "rust-service-e2e-interrupted";
        const fresh = new E2eStack(path.join(workDir, "interrupted"), randomBytes(16).toString("hex"));
        await fresh.setConfig("image", imageRef);
        await fresh.setConfig("namespace", namespace);
        await fresh.setConfig("replicas", "1");

        const interrupt = new AbortController();
        const running = fresh.run(["up"], undefined, interrupt.signal);
        const namespaceExists = () => kubectlJson(["get", "namespaces"]).items.some((n: Json) => n.metadata.name === namespace);
        await waitFor("the namespace to be created", namespaceExists, 60_000);
        const stoppedAt = Date.now();
        interrupt.abort();
        const { result } = await running;
        figure("SIGINT during a create from empty", `the runner stopped ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after SIGINT`);
        expect(result.ok).toBe(false);
        expect(result.interrupted).toEqual({ signal: "SIGINT", killedAfterBudget: false });

        await fresh.ok(["up"]);
        expect(changedSteps(await fresh.ok(["preview"]))).toEqual([]);
        const kinds = ownedKinds(namespace);
        expect(kinds.filter((kind, i) => kinds.indexOf(kind) !== i)).toEqual([]);
        expect(kinds).toEqual(expect.arrayContaining(["Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"]));

        await fresh.ok(["destroy"]);
        await waitFor("the namespace to be deleted", () => !namespaceExists());
    });

    it("rejects a privileged pod in its namespace through the restricted Pod Security label", async () => {
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "privileged-probe", namespace: NAMESPACE },
            spec: { containers: [{ name: "c", image: imageRef, securityContext: { privileged: true } }] },
        };
        const res = await kubectlResult(["apply", "-f", "-"], JSON.stringify(pod));
        expect(res.code).not.toBe(0);
        expect(res.stderr).toMatch(/violates PodSecurity "restricted:/);
        expect(res.stderr).toContain("privileged");
    });

    it("recovers after every cluster process is killed: a second start clears the leftovers and the Service answers again", async () => {
        const crashedAt = Date.now();
        await timed("cluster start after a crash", crashAndRestartNode);
        // The crash took the containers with it: the kubelet restarts them (status left in etcd by the
        // dead kubelet does not count, hence the start times).
        const restarted = () =>
            livePods().filter((p: Json) => {
                const c = p.status.containerStatuses?.[0];
                return c?.ready && Date.parse(c.state.running?.startedAt ?? 0) >= crashedAt - 1_000;
            }).length === 2;
        await waitFor(
            "both pods to run again",
            () => restarted() && deployment().status.conditions.some((c: Json) => c.type === "Available" && c.status === "True"),
            120_000,
        );
        // Ready pods reach the Service once the restarted kube-proxy has programmed their endpoints,
        // a moment later; until then the ClusterIP refuses connections.
        const answers = async () => (await get(serviceUrl).catch(() => undefined))?.status === 200;
        await waitFor("the Service to answer", answers, 30_000);
        figure("Service answering after a crash", `${((Date.now() - crashedAt) / 1000).toFixed(1)} s after the crash`);
        const res = await get(serviceUrl);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body).greeting).toBe("Hello from the e2e test");
    });

    it("destroys every object of the stack, namespace included", async () => {
        const destroy = await timed("destroy", () => stack.ok(["destroy"]));
        expect(destroy.changes?.delete).toBeGreaterThanOrEqual(7);
        await waitFor("the namespace to be deleted", () => !kubectlJson(["get", "namespaces"]).items.some((n: Json) => n.metadata.name === NAMESPACE));
        // Across the cluster, but a `npm run local:up` deployment (its own namespace) may share it.
        const labelled = kubectlJson([
            "get",
            "namespaces,all,configmaps,secrets,serviceaccounts,poddisruptionbudgets",
            "-A",
            "-l",
            "app.kubernetes.io/name=rust-service",
        ]);
        const leftovers = labelled.items.filter((o: Json) => (o.metadata.namespace ?? o.metadata.name) !== "rust-service-local");
        expect(leftovers.map((o: Json) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    });
});

function listFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name));
}
