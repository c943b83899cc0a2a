import * as fs from "fs";
import * as path from "path";
import { diffPlans, renderMarkdown, renderText } from "../../scripts/plan/diff";
import { runTs, tempDir } from "./plan-runner";

jest.setTimeout(120_000);

/** Writes a plan directory from a path -> content map. */
function writePlan(files: Record<string, string>): string {
    const dir = tempDir("plan-diff");
    for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), content);
    }
    return dir;
}

const base = {
    "plan.yaml": "stack: dev\n",
    "kubernetes/deployment-web.yaml": "kind: Deployment\nspec:\n  replicas: 2\n",
    "kubernetes/configmap-web.yaml": "kind: ConfigMap\n",
};

describe("plan diff", () => {
    it("reports no changes for identical plans", () => {
        const a = writePlan(base);
        expect(diffPlans(a, writePlan(base))).toEqual([]);
        expect(renderText([])).toBe("plan diff: no changes\n");
    });

    it("shows a changed value as a unified diff of that manifest", () => {
        const changes = diffPlans(writePlan(base), writePlan({ ...base, "kubernetes/deployment-web.yaml": "kind: Deployment\nspec:\n  replicas: 3\n" }));
        expect(changes.map((c) => [c.file, c.status])).toEqual([["kubernetes/deployment-web.yaml", "changed"]]);
        expect(changes[0].patch).toContain("--- a/kubernetes/deployment-web.yaml\n+++ b/kubernetes/deployment-web.yaml\n");
        expect(changes[0].patch).toContain("-  replicas: 2\n+  replicas: 3\n");
    });

    it("lists added and removed manifests against /dev/null", () => {
        const rest = Object.fromEntries(Object.entries(base).filter(([file]) => file !== "kubernetes/configmap-web.yaml"));
        const changes = diffPlans(writePlan(base), writePlan({ ...rest, "kubernetes/service-web.yaml": "kind: Service\n" }));
        expect(changes.map((c) => [c.file, c.status])).toEqual([
            ["kubernetes/configmap-web.yaml", "removed"],
            ["kubernetes/service-web.yaml", "added"],
        ]);
        expect(changes[0].patch).toContain("+++ /dev/null");
        expect(changes[1].patch).toContain("--- /dev/null");
        expect(renderText(changes)).toMatch(/^plan diff: 0 changed, 1 added, 1 removed\n/);
    });

    it("treats a missing plan as empty only when asked to", () => {
        const missing = path.join(tempDir("plan-diff"), "absent");
        expect(() => diffPlans(missing, writePlan(base))).toThrow(/no plan at .*absent/);
        expect(diffPlans(missing, writePlan(base), true).map((c) => c.status)).toEqual(["added", "added", "added"]);
    });

    it("refuses a directory that is not a plan", () => {
        expect(() => diffPlans(writePlan({ "other.txt": "x" }), writePlan(base))).toThrow(/is not a plan directory/);
    });

    it("renders Markdown with a fence that manifest content cannot close", () => {
        const changes = diffPlans(writePlan(base), writePlan({ ...base, "plan.yaml": "stack: dev\ngreeting: '```'\n" }));
        const md = renderMarkdown(changes, "Stack `dev`");
        expect(md.startsWith("### Stack `dev`: 1 changed, 0 added, 0 removed\n")).toBe(true);
        expect(md).toContain("\n````diff\n");
        expect(md.trimEnd().endsWith("\n````")).toBe(true);
    });

    it("exits 0 on changes by default, 1 with --exit-code, 2 on a missing plan", async () => {
        const a = writePlan(base);
        const b = writePlan({ ...base, "plan.yaml": "stack: dev2\n" });
        const plain = await runTs("plan-diff", [a, b]);
        expect([plain.status, plain.stdout.split("\n")[0]]).toEqual([0, "plan diff: 1 changed, 0 added, 0 removed"]);
        expect((await runTs("plan-diff", [a, b, "--exit-code"])).status).toBe(1);
        expect((await runTs("plan-diff", [a, a, "--exit-code"])).status).toBe(0);
        const missing = await runTs("plan-diff", [a, path.join(a, "absent")]);
        expect([missing.status, missing.stderr]).toEqual([2, expect.stringContaining("no plan at")]);
    });
});
