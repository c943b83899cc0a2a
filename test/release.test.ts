import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// scripts/release.sh against a throwaway git repository holding a package of one file.

const repoRoot = path.resolve(__dirname, "..");
const script = path.join(repoRoot, "scripts", "release.sh");
const created: string[] = [];
afterAll(() => created.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function git(repo: string, ...args: string[]): string {
    const result = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
}

function release(repo: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync("bash", [script, ...args], { cwd: repo, encoding: "utf8", timeout: 120_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const DATED =
    "# Changelog\n\n## [1.2.0] - 2026-12-06\n\nCommit: (recorded at release)\n\n### Added\n\n- a key\n\n## [1.1.0] - 2026-11-01\n\nCommit: (recorded at release)\n";

/** A repository whose HEAD commits package.json (version 1.2.0) and `changelog`. */
function repository(changelog: string): string {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "release-"));
    created.push(repo);
    git(repo, "init", "--quiet");
    git(repo, "config", "user.name", "Release Test");
    git(repo, "config", "user.email", "release-test@example.com");
    fs.writeFileSync(path.join(repo, "package.json"), JSON.stringify({ name: "demo-pkg", version: "1.2.0", files: ["CHANGELOG.md"] }));
    fs.writeFileSync(path.join(repo, "CHANGELOG.md"), changelog);
    git(repo, "add", ".");
    git(repo, "commit", "--quiet", "-m", "demo");
    return repo;
}

describe("scripts/release.sh", () => {
    it("checks a dated entry with a commit line still to fill, a clean tree and a new tag, and says so", () => {
        const repo = repository(DATED);
        const result = release(repo, "check");
        expect(result.stdout).toBe(`demo-pkg 1.2.0 is ready to release from ${git(repo, "rev-parse", "--short=7", "HEAD")}\n`);
        expect(result.status).toBe(0);
    });

    it("lists every problem at once: uncommitted changes and an undated entry", () => {
        const repo = repository(DATED.replace("## [1.2.0] - 2026-12-06", "## [1.2.0] - Unreleased"));
        fs.writeFileSync(path.join(repo, "package.json"), JSON.stringify({ name: "demo-pkg", version: "1.2.0", description: "edited" }));
        const result = release(repo, "check");
        expect(result.stderr).toBe(
            "demo-pkg 1.2.0 is not ready to release:\n" +
                "  - the working tree has uncommitted changes: commit or stash them, so the tag names what is released\n" +
                "  - CHANGELOG.md's entry for 1.2.0 is not dated ('## [1.2.0] - Unreleased'): write '## [1.2.0] - YYYY-MM-DD'\n",
        );
        expect(result.status).toBe(1);
    });

    it("refuses a version the changelog has no entry for", () => {
        const repo = repository(DATED.replace("## [1.2.0] - 2026-12-06", "## [1.1.9] - 2026-12-06"));
        const result = release(repo, "check");
        expect(result.stderr).toContain("CHANGELOG.md has no entry for 1.2.0: add '## [1.2.0] - YYYY-MM-DD' with what changed for users");
        expect(result.status).toBe(1);
    });

    it("tags HEAD, packs the tarball, and records the tagged commit in that version's entry only", () => {
        const repo = repository(DATED);
        const released = git(repo, "rev-parse", "--short=7", "HEAD");
        const result = release(repo, "tag", "out");
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(git(repo, "rev-parse", "--short=7", "v1.2.0^{commit}")).toBe(released);
        expect(git(repo, "cat-file", "-t", "v1.2.0")).toBe("tag");
        expect(fs.existsSync(path.join(repo, "out", "demo-pkg-1.2.0.tgz"))).toBe(true);
        expect(fs.readFileSync(path.join(repo, "CHANGELOG.md"), "utf8")).toBe(
            DATED.replace("Commit: (recorded at release)", `Commit: ${released} (tag \`v1.2.0\`)`),
        );
        expect(git(repo, "show", "--name-only", "--format=%s", "HEAD").split("\n")).toEqual([
            `changelog: record the commit of release 1.2.0 (${released}, tag v1.2.0)`,
            "",
            "CHANGELOG.md",
        ]);
    });

    it("refuses to release a version twice", () => {
        const repo = repository(DATED);
        expect(release(repo, "tag", "out").status).toBe(0);
        fs.rmSync(path.join(repo, "out"), { recursive: true });
        const again = release(repo, "tag", "out");
        expect(again.stderr).toContain(
            `the tag v1.2.0 exists already (at ${git(repo, "rev-parse", "--short=7", "v1.2.0^{commit}")}): bump the version in package.json`,
        );
        expect(again.status).toBe(1);
        expect(git(repo, "tag", "--list")).toBe("v1.2.0");
    });
});

describe("CHANGELOG.md", () => {
    const changelog = fs.readFileSync(path.join(repoRoot, "CHANGELOG.md"), "utf8");
    const entries = changelog.split(/^(?=## \[)/m).slice(1);

    it("has an entry for package.json's version", () => {
        const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
        expect(entries.map((e) => e.split("\n")[0])).toContainEqual(expect.stringMatching(new RegExp(`^## \\[${version.replace(/\./g, "\\.")}\\] - `)));
    });

    it("names each release's commit, or says it is recorded at release", () => {
        expect(entries.length).toBeGreaterThan(1);
        for (const entry of entries) {
            expect([entry.split("\n")[0], /^Commit: (\(recorded at release\)|[0-9a-f]{7} \(tag `v[0-9.]+`\))$/m.test(entry)]).toEqual([
                entry.split("\n")[0],
                true,
            ]);
        }
    });

    it("records release 0.1.0 at the commit it was cut from", () => {
        expect(entries.find((e) => e.startsWith("## [0.1.0]"))).toContain("Commit: c3d06b2 (tag `v0.1.0`)");
    });
});
