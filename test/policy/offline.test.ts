/**
 * `policy/offline.ts`: the pack's rules on a real stack's program (index.ts + Pulumi.<stack>.yaml),
 * without the Pulumi CLI. The committed stacks must pass at the levels their docs prescribe.
 */
import { execFile } from "child_process";
import * as path from "path";
import { check, checkedSummary, planResources, unknownsFromPlan } from "../../policy/offline";
import { UNKNOWN } from "../../policy/rules";
import { compliantStack, stackResource } from "./fixtures";

const ROOT = path.join(__dirname, "..", "..");
const TS_NODE = path.join(ROOT, "node_modules", ".bin", "ts-node");

function offline(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(TS_NODE, ["--transpile-only", "policy/offline.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 240_000 }, (err, stdout, stderr) =>
            resolve({ status: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
        );
    });
}

describe("plan values", () => {
    it("turn provider-computed markers, and strings built from them, into unknowns", () => {
        expect(unknownsFromPlan({ image: "repo@<computed: image digest>", name: "web", ports: [80, "<computed: port>"] })).toEqual({
            image: UNKNOWN,
            name: "web",
            ports: [80, UNKNOWN],
        });
    });

    it("leave out what the program only reads (stack references)", () => {
        const read = {
            urn: "u",
            type: "pulumi:pulumi:StackReference",
            name: "other",
            parent: "",
            provider: "",
            custom: true,
            read: true,
            inputs: {},
            secretInputs: [],
        };
        expect(planResources([read])).toEqual([]);
    });
});

describe("check", () => {
    const oneReplica = () => {
        const resources = compliantStack();
        ((resources[0].props.spec as Record<string, unknown>).replicas as number) = 1;
        return resources;
    };

    it("reports at each rule's default level", () => {
        expect(check(oneReplica()).map((r) => [r.rule, r.level])).toEqual([["workload-replicas", "mandatory"]]);
    });

    it("takes a level given as a string or as enforcementLevel, and rule properties", () => {
        expect(check(oneReplica(), { "workload-replicas": "advisory" }).map((r) => r.level)).toEqual(["advisory"]);
        expect(check(compliantStack(), { "workload-replicas": { enforcementLevel: "advisory", minReplicas: 3 } }).map((r) => [r.level, r.message])).toEqual([
            ["advisory", expect.stringContaining("at least 3")],
        ]);
    });

    it("drops disabled rules and enforces remediate as mandatory, as CrossGuard does", () => {
        expect(check(oneReplica(), { "workload-replicas": "disabled" })).toEqual([]);
        expect(check(oneReplica(), { "workload-replicas": "remediate" }).map((r) => r.level)).toEqual(["mandatory"]);
    });

    it("summarises what the rules looked at", () => {
        expect(checkedSummary([...compliantStack(), stackResource("pulumi:providers:kubernetes", "k8s", {})])).toBe(
            "1 Deployment, 1 Service, 1 PodDisruptionBudget, 1 Repository, 1 LifecyclePolicy",
        );
    });
});

describe("the committed stacks", () => {
    // One process per stack: the Pulumi runtime is global to a process.
    const runs = {
        dev: offline(["--stack", "dev"]),
        local: offline(["--stack", "local"]),
        localWithConfig: offline(["--stack", "local", "--policy-pack-config", "policy/config/local.json"]),
    };

    it("dev passes every rule at its default level", async () => {
        const run = await runs.dev;
        expect(run.stderr).toBe("");
        expect(run.stdout).toMatch(/^policy check of stack dev: 0 mandatory and 0 advisory violation\(s\) in .*1 Deployment/m);
        for (const kind of ["1 Repository", "1 LifecyclePolicy", "1 Service", "1 PodDisruptionBudget"]) expect(run.stdout).toContain(kind);
        expect(run.status).toBe(0);
    }, 250_000);

    it("local runs one replica, which fails the default enforcement", async () => {
        const run = await runs.local;
        expect(run.stdout).toContain('mandatory workload-replicas [rust-service] Deployment "rust-service" runs 1 replica(s)');
        expect(run.status).toBe(1);
    }, 250_000);

    it("local passes with its documented config, keeping the replica finding as advisory", async () => {
        const run = await runs.localWithConfig;
        expect(run.stdout).toMatch(/^advisory +workload-replicas /m);
        expect(run.stdout).toContain("0 mandatory and 1 advisory violation(s)");
        expect(run.status).toBe(0);
    }, 250_000);
});
