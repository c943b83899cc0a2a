import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { describeRun, itNeeding, repoRoot, runScript } from "./tools";

jest.setTimeout(300_000);

const workflowDir = path.join(repoRoot, ".github", "workflows");
const workflowFiles = fs.readdirSync(workflowDir).filter((f) => f.endsWith(".yml"));

// Parsed workflow YAML: arbitrary nested data, read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;
const workflows: Record<string, Yaml> = Object.fromEntries(workflowFiles.map((f) => [f, parse(fs.readFileSync(path.join(workflowDir, f), "utf8"))]));
const allJobs = Object.entries(workflows).flatMap(([file, wf]) => Object.entries(wf.jobs as Record<string, Yaml>).map(([id, job]) => ({ file, id, job })));

function step(job: Yaml, uses: string): Yaml {
    const found = (job.steps as Yaml[]).find((s) => typeof s.uses === "string" && s.uses.startsWith(uses));
    if (!found) throw new Error(`no step uses ${uses}`);
    return found;
}

describe("actionlint", () => {
    itNeeding("go", "python3")("finds nothing in .github/workflows", () => {
        const result = runScript("scripts/actionlint.sh");
        expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: "" });
    });

    itNeeding("go", "python3")("flags an unknown action input, script injection and a shellcheck finding", () => {
        const result = runScript("scripts/actionlint.sh", ["test/workflow/fixtures/broken.yml"]);
        expect(result.status).toBe(1);
        expect(result.stdout).toContain('input "stack" is not defined in action "pulumi/actions@v6"');
        expect(result.stdout).toContain('"github.event.pull_request.title" is potentially untrusted');
        expect(result.stdout).toContain("SC2086");
    });
});

describe("shellcheck", () => {
    itNeeding("python3")("finds nothing in scripts/", () => {
        const result = runScript("scripts/shellcheck.sh");
        expect(result.status).toBe(0);
        if (result.status !== 0) throw new Error(describeRun(result));
    });
});

describe("workflow policy", () => {
    it("never triggers on pull_request_target (which would run fork code with a write token)", () => {
        for (const wf of Object.values(workflows)) {
            expect(Object.keys(wf.on)).not.toContain("pull_request_target");
        }
    });

    it("gives every job explicit permissions, with id-token only where an AWS role is assumed", () => {
        for (const { file, id, job } of allJobs) {
            expect([file, id, typeof job.permissions]).toEqual([file, id, "object"]);
            const assumesRole = (job.steps as Yaml[]).some((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
            expect([file, id, job.permissions["id-token"]]).toEqual([file, id, assumesRole ? "write" : undefined]);
            expect([file, id, job.permissions.contents ?? "none"]).not.toEqual([file, id, "write"]);
        }
    });

    it("takes credentials only from secrets and variables, never from literals", () => {
        for (const { file, id, job } of allJobs) {
            for (const s of job.steps as Yaml[]) {
                const token = s.env?.PULUMI_ACCESS_TOKEN;
                if (token !== undefined) expect([file, id, token]).toEqual([file, id, "${{ secrets.PULUMI_ACCESS_TOKEN }}"]);
                const role = s.with?.["role-to-assume"];
                if (role !== undefined) expect([file, id, role]).toEqual([file, id, expect.stringMatching(/^\$\{\{ vars\.[A-Z_]+ \}\}$/)]);
                expect(s.with?.["aws-access-key-id"]).toBeUndefined();
                expect(s.with?.["aws-secret-access-key"]).toBeUndefined();
            }
        }
        for (const file of workflowFiles) {
            expect(fs.readFileSync(path.join(workflowDir, file), "utf8")).not.toMatch(/AKIA[0-9A-Z]{16}|pul-[0-9a-f]{40}/);
        }
    });

    it("runs every part of the test command on pull requests", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
        const parts = String(pkg.scripts.test)
            .split("&&")
            .map((p) => p.trim());
        const runs = Object.values(workflows["pull-request.yml"].jobs as Record<string, Yaml>).flatMap((job) =>
            (job.steps as Yaml[]).map((s) => String(s.run ?? "").trim()),
        );
        expect(parts.length).toBeGreaterThan(3);
        for (const part of parts) expect([part, runs.includes(part)]).toEqual([part, true]);
    });

    it("previews every configured stack with the official action, posting the diff on the pull request", () => {
        const preview = workflows["pull-request.yml"].jobs.preview;
        const action = step(preview, "pulumi/actions@");
        expect(action.uses).toBe("pulumi/actions@v6");
        expect(action.with).toMatchObject({ command: "preview", diff: true, "comment-on-pr": true, policyPacks: "policy" });
        const stacks = (preview.strategy.matrix.include as Yaml[]).map((m) => m.stack);
        expect(stacks).toContain("dev");
        for (const stack of stacks) {
            expect(fs.existsSync(path.join(repoRoot, `Pulumi.${stack}.yaml`))).toBe(true);
        }
    });

    it("builds the image in the preview (buildOnPreview), so a pull request that breaks the build fails it", () => {
        const action = step(workflows["pull-request.yml"].jobs.preview, "pulumi/actions@");
        expect(parse(String(action.with["config-map"]))).toEqual({ buildOnPreview: { value: "true", secret: false } });
        const project = parse(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"));
        expect(project.config.buildOnPreview).toMatchObject({ type: "string", default: "auto" });
    });

    it("renders the credential-free plan for every stack file in the repository, without secrets", () => {
        const plan = workflows["pull-request.yml"].jobs.plan;
        const stackFiles = fs.readdirSync(repoRoot).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));
        const planned = String(plan.env.STACKS)
            .split(/\s+/)
            .map((s) => `Pulumi.${s}.yaml`);
        expect(planned.sort()).toEqual(stackFiles.sort());
        expect(JSON.stringify(plan)).not.toContain("secrets.");
    });

    it("deploys dev on pushes to main one run at a time, behind the dev environment", () => {
        const deploy = workflows["deploy.yml"];
        expect(deploy.on.push.branches).toEqual(["main"]);
        expect(deploy.concurrency).toEqual({ group: "pulumi-up-dev", "cancel-in-progress": false });
        expect(deploy.jobs.up.environment.name).toBe("dev");
        // Pulumi's action only installs the CLI: the deploy itself is the project's runner.
        expect(step(deploy.jobs.up, "pulumi/actions@").with.command).toBeUndefined();
    });

    it("deploys through the stack runner, with the dev backend, the policy pack and the last good release beside it", () => {
        const job = workflows["deploy.yml"].jobs.up;
        const steps = job.steps as Yaml[];
        const deploy = steps.find((s) => String(s.run).includes("scripts/local/stack.ts up"));
        expect(deploy).toBeDefined();
        const command = String(deploy.run).replace(/\\\n\s*/g, "");
        for (const flag of ['--stack "$STACK"', "--backend https://api.pulumi.com", '--dir "$RUNNER_DIR"', "--sync-stack-file", "--policy-pack policy"]) {
            expect(command).toContain(flag);
        }
        expect(deploy.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        // The record is restored before the deploy and saved after it, at the path the runner writes.
        const restore = steps.findIndex((s) => String(s.uses).startsWith("actions/cache/restore@"));
        const save = steps.findIndex((s) => String(s.uses).startsWith("actions/cache/save@"));
        expect(restore).toBeGreaterThan(-1);
        expect([restore < steps.indexOf(deploy), steps.indexOf(deploy) < save]).toEqual([true, true]);
        expect(steps[restore].with.path).toBe("${{ env.RUNNER_DIR }}/last-good-release.json");
        expect(steps[save].with.path).toBe(steps[restore].with.path);
        expect(steps[save].with.key).toBe(steps[restore].with.key);
        expect(steps[save].if).toBeUndefined(); // only after a successful deploy
        const summary = steps.find((s) => String(s.run).includes("scripts/local/summary.ts"));
        expect(summary.if).toBe("always()");
        // Every provider the dev stack uses is installed for the runner, which downloads none.
        const plugins = String(steps.find((s) => String(s.run).includes("pulumi plugin install")).run);
        for (const provider of ["kubernetes", "aws", "docker"]) expect(plugins).toContain(`pulumi plugin install resource ${provider}`);
    });

    it("comments for forks only from the base repository, without checking out their code", () => {
        const comment = workflows["plan-comment.yml"];
        expect(Object.keys(comment.on)).toEqual(["workflow_run"]);
        const uses = (comment.jobs.comment.steps as Yaml[]).map((s) => String(s.uses));
        expect(uses.some((u) => u.startsWith("actions/checkout@"))).toBe(false);
    });
});
