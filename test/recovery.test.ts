import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { isStaleLock, PendingOperation, pidAlive, planRecovery } from "../scripts/local/recovery";

const LABEL: [string, string] = ["rust-service/stack", "rust-service.local"];
const DEPLOYMENT = "urn:pulumi:local::rust-service::rust-service:index:RustService$kubernetes:apps/v1:Deployment::rust-service";

function op(type: string, resourceType: string, metadata?: { name?: string; namespace?: string }): PendingOperation {
    return { type, resource: { urn: `urn:${resourceType}`, type: resourceType, inputs: metadata ? { metadata } : undefined } };
}

describe("isStaleLock", () => {
    it.each([
        ["this host, process gone", { pid: 10, hostname: "vm" }, true],
        ["this host, process running", { pid: 11, hostname: "vm" }, false],
        ["another host, whatever its pid", { pid: 10, hostname: "laptop" }, false],
    ])("%s -> %s", (_case, lock, expected) => {
        expect(isStaleLock(lock, "vm", (pid) => pid === 11)).toBe(expected);
    });
});

describe("planRecovery", () => {
    const inCluster: Record<string, Record<string, string>> = {
        "ns/app-1": { [LABEL[0]]: LABEL[1] },
        "ns/foreign": { [LABEL[0]]: "other.stack" },
        "ns-cluster-scoped": { [LABEL[0]]: LABEL[1] },
    };
    const lookup = (_type: string, name: string, namespace: string | undefined) => {
        const labels = inCluster[namespace ? `${namespace}/${name}` : name];
        return labels ? { labels } : undefined;
    };

    it("keeps a create whose object the cluster has with this stack's label, under its namespaced ID", () => {
        const pending = op("creating", "kubernetes:apps/v1:Deployment", { name: "app-1", namespace: "ns" });
        expect(planRecovery([pending], LABEL, lookup)).toEqual({ adopt: [{ op: pending, id: "ns/app-1" }], drop: [] });
    });

    it("keeps a cluster-scoped create (a Namespace) under its name", () => {
        const pending = op("creating", "kubernetes:core/v1:Namespace", { name: "ns-cluster-scoped" });
        expect(planRecovery([pending], LABEL, lookup).adopt).toEqual([{ op: pending, id: "ns-cluster-scoped" }]);
    });

    it.each([
        [
            "a create that never reached the cluster",
            op("creating", "kubernetes:core/v1:ConfigMap", { name: "missing", namespace: "ns" }),
            "its create never reached the cluster",
        ],
        [
            "a create whose object is another stack's",
            op("creating", "kubernetes:core/v1:Service", { name: "foreign", namespace: "ns" }),
            "the object in the cluster is not this stack's (its rust-service/stack label is not rust-service.local)",
        ],
        ["a create with no name", op("creating", "kubernetes:core/v1:Service"), "not a Kubernetes object with a name"],
        ["a create of something else", op("creating", "aws:ecr/repository:Repository", { name: "x" }), "not a Kubernetes object with a name"],
        [
            "an interrupted update",
            { type: "updating", resource: { urn: DEPLOYMENT, type: "kubernetes:apps/v1:Deployment" } },
            "interrupted while updating; the refresh reads it",
        ],
        [
            "an interrupted delete",
            op("deleting", "kubernetes:core/v1:ConfigMap", { name: "app-1", namespace: "ns" }),
            "interrupted while deleting; the refresh reads it",
        ],
    ])("drops %s, saying why", (_case, pending, reason) => {
        expect(planRecovery([pending], LABEL, lookup)).toEqual({ adopt: [], drop: [{ op: pending, reason }] });
    });
});

describe("pidAlive", () => {
    it("is true for a running process", () => {
        expect(pidAlive(process.pid)).toBe(true);
    });

    it("is false for a process that has exited and been reaped", () => {
        const pid = Number(execFileSync("bash", ["-c", "sleep 0 & echo $!; wait"], { encoding: "utf8" }).trim());
        expect(pidAlive(pid)).toBe(false);
    });

    // A killed engine whose parent died too stays a zombie until an init reaps it: it holds no lock.
    it("is false for a zombie (Linux's /proc state Z)", async () => {
        // `sleep 0.1` becomes a child of `exec sleep 3`, which never waits for it: a zombie for about 3 s.
        const parent = spawn("bash", ["-c", "sleep 0.1 & echo $!; exec sleep 3"], { stdio: ["ignore", "pipe", "ignore"] });
        const pid = Number(await new Promise<string>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))));
        await new Promise((resolve) => setTimeout(resolve, 500));
        try {
            expect(fs.readFileSync(`/proc/${pid}/stat`, "utf8")).toMatch(/\) Z /);
            expect(pidAlive(pid)).toBe(false);
        } finally {
            parent.kill();
        }
    });
});
