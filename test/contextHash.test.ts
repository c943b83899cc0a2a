import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildFingerprint, contextFilter, isIgnored, mayReincludeBelow } from "../components/contextHash";

describe(".dockerignore matching", () => {
    // Docker's pattern syntax is Go's filepath.Match plus `**`, where `[!ab]` is a class of '!', 'a'
    // and 'b' (Go negates with `^`), so it matches "a.txt".
    it.each([
        ["*.md", "README.md", true],
        ["*.md", "docs/README.md", false],
        ["**/*.md", "docs/README.md", true],
        ["**/*.md", "README.md", true],
        ["target", "target/debug/app", true],
        ["target/", "target/debug/app", true],
        ["/target", "target", true],
        ["src/*/mod.rs", "src/a/mod.rs", true],
        ["src/*/mod.rs", "src/a/b/mod.rs", false],
        ["src/**/mod.rs", "src/a/b/mod.rs", true],
        ["file?.txt", "file1.txt", true],
        ["file?.txt", "file10.txt", false],
        ["[ab].txt", "a.txt", true],
        ["[^ab].txt", "a.txt", false],
        ["[!ab].txt", "a.txt", true],
        ["a.b", "axb", false],
        ["README.md", "readme.md", false],
    ])("%j matches %j: %s", (pattern, file, expected) => {
        expect(isIgnored(contextFilter(pattern), file)).toBe(expected);
    });

    it("lets the last matching rule win, so '!' re-includes", () => {
        const filter = contextFilter("# build output\n*.log\n!keep.log\n\n  ");
        expect(filter.reincludes).toEqual(["keep.log"]);
        expect(isIgnored(filter, "a.log")).toBe(true);
        expect(isIgnored(filter, "keep.log")).toBe(false);
        expect(isIgnored(filter, "src/main.rs")).toBe(false);
    });

    it.each([
        ["*\n!src/\n!Cargo.toml", "target", false],
        ["*\n!src/\n!Cargo.toml", "src", true],
        ["target/\n!target/app", "target", true],
        ["target/\n!target/release/app", "target/debug", false],
        ["target/\n!target/*/app", "target/debug", true],
        ["target/\n!**/keep", "target/debug", true],
        ["target/", "target", false],
    ])("with rules %j, a '!' rule may re-include below %j: %s", (text, dir, expected) => {
        expect(mayReincludeBelow(contextFilter(text), dir)).toBe(expected);
    });
});

describe("buildFingerprint", () => {
    let dir: string;
    const fingerprint = (extra: Partial<Parameters<typeof buildFingerprint>[0]> = {}) =>
        buildFingerprint({ context: dir, dockerfile: path.join(dir, "Dockerfile"), platform: "linux/amd64", ...extra });

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "rust-service-fp-"));
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
        fs.mkdirSync(path.join(dir, "src"));
        fs.writeFileSync(path.join(dir, "src", "main.rs"), "fn main() {}\n");
        fs.mkdirSync(path.join(dir, "target"));
        fs.writeFileSync(path.join(dir, "target", "app"), "binary v1");
        fs.writeFileSync(path.join(dir, ".dockerignore"), "target/\n");
    });

    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is stable for unchanged inputs", () => {
        expect(fingerprint()).toBe(fingerprint());
        expect(fingerprint()).toMatch(/^[a-f0-9]{64}$/);
    });

    it("changes when a context file, the Dockerfile, a build setting or .dockerignore changes", () => {
        const base = fingerprint();
        expect(fingerprint({ platform: "linux/arm64" })).not.toBe(base);
        expect(fingerprint({ args: { A: "1" } })).not.toBe(base);
        expect(fingerprint({ target: "runtime" })).not.toBe(base);
        expect(fingerprint({ cacheFrom: ["x/y:z"] })).not.toBe(base);
        fs.writeFileSync(path.join(dir, "src", "main.rs"), "fn main() { println!(); }\n");
        const afterSource = fingerprint();
        expect(afterSource).not.toBe(base);
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\nUSER 65532\n");
        const afterDockerfile = fingerprint();
        expect(afterDockerfile).not.toBe(afterSource);
        fs.writeFileSync(path.join(dir, "src", "new.rs"), "");
        expect(fingerprint()).not.toBe(afterDockerfile);
    });

    it("changes when a file's permissions change", () => {
        const base = fingerprint();
        fs.chmodSync(path.join(dir, "src", "main.rs"), 0o755);
        expect(fingerprint()).not.toBe(base);
    });

    it("prefers <Dockerfile>.dockerignore over the context's .dockerignore, as BuildKit does", () => {
        fs.writeFileSync(path.join(dir, "Dockerfile.dockerignore"), "target/\nsrc/\n");
        const base = fingerprint();
        fs.writeFileSync(path.join(dir, "src", "main.rs"), "changed");
        expect(fingerprint()).toBe(base);
        fs.writeFileSync(path.join(dir, "target", "app"), "changed");
        expect(fingerprint()).toBe(base);
    });

    it("ignores files that .dockerignore keeps out of the build context", () => {
        const base = fingerprint();
        fs.writeFileSync(path.join(dir, "target", "app"), "binary v2");
        fs.writeFileSync(path.join(dir, "target", "other"), "x");
        expect(fingerprint()).toBe(base);
    });

    it("hashes only the re-included files of an allow-list .dockerignore", () => {
        fs.writeFileSync(path.join(dir, ".dockerignore"), "*\n!src/\n");
        const base = fingerprint();
        fs.writeFileSync(path.join(dir, "target", "app"), "binary v2");
        fs.writeFileSync(path.join(dir, "notes.txt"), "x");
        expect(fingerprint()).toBe(base);
        fs.writeFileSync(path.join(dir, "src", "main.rs"), "fn main() { loop {} }\n");
        expect(fingerprint()).not.toBe(base);
    });

    it("hashes an ignored file that a '!' rule re-includes", () => {
        fs.writeFileSync(path.join(dir, ".dockerignore"), "target/\n!target/app\n");
        const base = fingerprint();
        fs.writeFileSync(path.join(dir, "target", "app"), "binary v2");
        expect(fingerprint()).not.toBe(base);
    });

    it("does not depend on the order files were created in", () => {
        const base = fingerprint();
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(path.join(dir, "target"), { recursive: true });
        fs.writeFileSync(path.join(dir, ".dockerignore"), "target/\n");
        fs.writeFileSync(path.join(dir, "target", "app"), "binary v1");
        fs.mkdirSync(path.join(dir, "src"));
        fs.writeFileSync(path.join(dir, "src", "main.rs"), "fn main() {}\n");
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
        expect(fingerprint()).toBe(base);
    });
});
