import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { repoRoot } from "./tools";

jest.setTimeout(600_000);

// Parsed workflow YAML: arbitrary nested data, read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;

/** Files a plan needs: the program, its config, the component, the service build context. */
const PROGRAM_PATHS = [
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.local.yaml",
    "index.ts",
    "config.ts",
    "stackFile.ts",
    "components",
    "service",
    "scripts",
    "package.json",
    "tsconfig.json",
];

/** A checkout of the program as the workflow's actions/checkout would leave it, sharing node_modules. */
function checkout(dir: string): void {
    for (const p of PROGRAM_PATHS) {
        fs.cpSync(path.join(repoRoot, p), path.join(dir, p), {
            recursive: true,
            filter: (src) => !src.includes(`${path.sep}target`),
        });
    }
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
}

/** Sets `rust-service:replicas` in a stack file; returns the previous value. */
function setReplicas(file: string, replicas: number): number {
    const text = fs.readFileSync(file, "utf8");
    const match = /^ {2}rust-service:replicas: (\d+)$/m.exec(text);
    if (!match) throw new Error(`${file} sets no rust-service:replicas`);
    fs.writeFileSync(file, text.replace(match[0], `  rust-service:replicas: ${replicas}`));
    return Number(match[1]);
}

describe("the pull-request workflow's plan job scripts", () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "plan-job-"));
    const planDir = path.join(workspace, "plan-diff");
    const outputs = path.join(workspace, "github-output");
    const summary = path.join(workspace, "step-summary");
    const steps: Yaml[] = parse(fs.readFileSync(path.join(repoRoot, ".github/workflows/pull-request.yml"), "utf8")).jobs.plan.steps;
    const script = (name: string): string => steps.find((s) => s.name === name).run;

    let comment: string;
    let renderStatus: number | null;
    let devReplicas: number;

    beforeAll(() => {
        checkout(path.join(workspace, "base"));
        checkout(path.join(workspace, "head"));
        // The pull request scales dev up and breaks the local stack's config.
        devReplicas = setReplicas(path.join(workspace, "head", "Pulumi.dev.yaml"), 7);
        setReplicas(path.join(workspace, "head", "Pulumi.local.yaml"), 0);
        const env = {
            ...process.env,
            STACKS: "dev local",
            PLAN_DIR: planDir,
            GITHUB_OUTPUT: outputs,
            GITHUB_STEP_SUMMARY: summary,
            BASE_SHA: "1111111aaaaaaa",
            HEAD_SHA: "2222222bbbbbbb",
        };
        // The shell GitHub Actions uses for `run:` steps on Linux.
        const bash = (name: string) =>
            spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script(name)], { cwd: workspace, env, encoding: "utf8", timeout: 400_000 });
        const render = bash("Render plans");
        renderStatus = render.status;
        const diff = bash("Diff plans");
        if (diff.status !== 0) throw new Error(`Diff plans failed:\n${diff.stdout}\n${diff.stderr}`);
        comment = fs.readFileSync(path.join(planDir, "comment.md"), "utf8");
    });

    afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

    it("completes the render step and records that a plan failed", () => {
        expect(renderStatus).toBe(0);
        expect(fs.readFileSync(outputs, "utf8")).toBe("failed=1\n");
    });

    it("writes a comment that starts with the marker plan-comment.yml requires", () => {
        expect(comment.startsWith("<!-- rust-service-plan-diff -->\n## Credential-free plan: base `1111111` → pull request `2222222`\n")).toBe(true);
        expect(fs.readFileSync(summary, "utf8")).toBe(comment);
    });

    it("shows the changed replica count as a diff of the dev Deployment", () => {
        expect(comment).toContain("### Stack `dev`: 2 changed, 0 added, 0 removed");
        expect(devReplicas).not.toBe(7);
        expect(comment).toContain("```diff\n--- a/kubernetes/deployment-rust-service.yaml\n+++ b/kubernetes/deployment-rust-service.yaml\n");
        expect(comment).toContain(`\n-  replicas: ${devReplicas}\n+  replicas: 7\n`);
    });

    it("shows the local stack's config error instead of a diff", () => {
        expect(comment).toContain("### Stack `local`: the plan failed\n\n````text\nplan failed: The stack configuration has 1 problem");
        expect(comment).toContain("`rust-service:replicas` must be an integer >= 1, got 0");
    });
});
