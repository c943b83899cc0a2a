import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// The README promises that its commands work. The ones this machine can run without a cloud
// account (the credential-free plan, its diff and the schema check) are run here exactly as
// written, with /tmp/ mapped to a private directory; its TypeScript snippet is type-checked against
// the component's source.

jest.setTimeout(600_000);

const repoRoot = path.resolve(__dirname, "..");
const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");

/** Fenced code blocks of one language, in order. */
function codeBlocks(language: string): string[] {
    const fence = new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g");
    return [...readme.matchAll(fence)].map((m) => m[1]);
}

/** Shell command lines of the README that start with one of `prefixes`, comments stripped. */
function commandLines(prefixes: string[]): string[] {
    return codeBlocks("sh")
        .flatMap((block) => block.split("\n"))
        .map((line) => line.replace(/\s+#.*$/, "").trim())
        .filter((line) => prefixes.some((prefix) => line.startsWith(prefix)));
}

describe("the README's credential-free commands", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "readme-"));
    const commands = commandLines(["npm run plan", "bash scripts/validate-manifests.sh"]);
    afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("lists the plan, plan diff and schema check commands", () => {
        expect(commands.map((c) => c.split(" -- ")[0].split(" /")[0])).toEqual([
            "npm run plan",
            "npm run plan",
            "npm run plan:diff",
            "bash scripts/validate-manifests.sh",
        ]);
    });

    it("runs each of them as written, in order, and each succeeds", () => {
        const outputs = commands.map((command) => {
            const local = command.replace(/\/tmp\//g, `${scratch}/`);
            const result = spawnSync("bash", ["-c", local], { cwd: repoRoot, encoding: "utf8", timeout: 300_000 });
            const output = `${result.stdout}${result.stderr}`;
            if (result.status !== 0) throw new Error(`\`${command}\` exited ${result.status}:\n${output}`);
            return output;
        });
        expect(fs.existsSync(path.join(scratch, "plan-dev", "plan.yaml"))).toBe(true);
        expect(fs.existsSync(path.join(scratch, "plan-local", "plan.yaml"))).toBe(true);
        // The diff shows what differs between the stacks: the namespace they deploy into.
        expect(outputs[2]).toMatch(/-.*rust-service-dev/);
        expect(outputs[2]).toMatch(/\+.*rust-service-local/);
    });
});

describe("the README's component snippet", () => {
    it("type-checks against the component it documents", () => {
        const [snippet] = codeBlocks("ts");
        expect(snippet).toContain('from "rust-service-pulumi"');
        const dir = fs.mkdtempSync(path.join(repoRoot, "test", ".readme-snippet-"));
        try {
            fs.writeFileSync(path.join(dir, "index.ts"), snippet);
            fs.writeFileSync(
                path.join(dir, "tsconfig.json"),
                JSON.stringify({
                    extends: "../../tsconfig.json",
                    compilerOptions: { baseUrl: ".", paths: { "rust-service-pulumi": ["../../components/index.ts"] } },
                    files: ["index.ts"],
                }),
            );
            const tsc = path.join(repoRoot, "node_modules", ".bin", "tsc");
            const result = spawnSync(tsc, ["--noEmit", "-p", dir], { encoding: "utf8" });
            expect(`${result.stdout}${result.stderr}`).toBe("");
            expect(result.status).toBe(0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
