import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bundledServiceContext } from "../components/args";
import { buildFingerprint, contextFilter, isIgnored, mayReincludeBelow } from "../components/contextHash";
import {
    DEFAULT_SETTINGS,
    DIGEST_PINNED_IMAGE,
    DNS1035_LABEL,
    DNS1123_LABEL,
    ENV_VAR_NAME,
    buildLabels,
    stackLabelValue,
    defaultTerminationGracePeriod,
    imageRepository,
    lifecyclePolicyDocument,
    parseEcrRepositoryUrl,
    parseEnvPairs,
    parseQuantity,
    registryHost,
    resolveSettings,
    settingsEnv,
    settingsFromEnvFile,
} from "../components/helpers";

describe("parseQuantity", () => {
    it.each([
        ["100m", 0.1],
        ["0.5", 0.5],
        ["2", 2],
        [".5", 0.5],
        ["64Mi", 64 * 2 ** 20],
        ["1Gi", 2 ** 30],
        ["128M", 128e6],
        ["1k", 1000],
        ["1Ki", 1024],
        ["1e3", 1000],
        ["1E-3", 0.001],
        ["500n", 5e-7],
    ])("parses %s", (quantity, expected) => {
        expect(parseQuantity(quantity)).toBeCloseTo(expected, 12);
    });

    it.each(["", "1GB", "100 m", "m", "1.2.3", "abc", "1mi", "--1"])("rejects %j", (quantity) => {
        expect(parseQuantity(quantity)).toBeUndefined();
    });
});

describe("name rules", () => {
    it.each([
        ["APP_MODE", true],
        ["_PRIVATE", true],
        ["a1", true],
        ["1A", false],
        ["APP-MODE", false],
        ["APP.MODE", false],
        ["", false],
        ["A B", false],
    ])("env var name %j valid: %s", (name, valid) => {
        expect(ENV_VAR_NAME.test(name)).toBe(valid);
    });

    it.each([
        ["api", true, true],
        ["a-1", true, true],
        ["1api", true, false],
        ["api-", false, false],
        ["Api", false, false],
        ["a_b", false, false],
        ["a.b", false, false],
    ])("label %j: DNS-1123 %s, DNS-1035 %s", (name, dns1123, dns1035) => {
        expect(DNS1123_LABEL.test(name)).toBe(dns1123);
        expect(DNS1035_LABEL.test(name)).toBe(dns1035);
    });

    it.each([
        [`ghcr.io/acme/api@sha256:${"0".repeat(64)}`, true],
        [`localhost:5000/api@sha256:${"f".repeat(64)}`, true],
        [`api:1.2@sha256:${"a".repeat(64)}`, true],
        [`api@sha256:${"A".repeat(64)}`, false],
        [`api@sha256:${"a".repeat(63)}`, false],
        ["api:latest", false],
        ["api", false],
    ])("image %j pinned by digest: %s", (ref, pinned) => {
        expect(DIGEST_PINNED_IMAGE.test(ref)).toBe(pinned);
    });
});

describe("parseEnvPairs", () => {
    it("splits NAME=value at the first '=' and keeps empty values", () => {
        expect(parseEnvPairs(["A=1", "B=x=y", "C="])).toEqual({ values: { A: "1", B: "x=y", C: "" }, problems: [], indexes: new Map([["A", 0], ["B", 1], ["C", 2]]) });
    });

    it("reports entries without a name or '=' and repeated names by index, never by their text", () => {
        expect(parseEnvPairs(["A=1", "novalue", "=x", "A=2"]).problems).toEqual([
            "entry 1 must have the form NAME=value",
            "entry 2 must have the form NAME=value",
            "entry 3 repeats the name of entry 0: keep one",
        ]);
    });

    it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("keeps %s as a plain name", (name) => {
        const { values, problems } = parseEnvPairs([`${name}=x`]);
        expect(problems).toEqual([]);
        expect(Object.keys(values)).toEqual([name]);
        expect(Object.getOwnPropertyDescriptor(values, name)?.value).toBe("x");
    });
});

describe("registry references", () => {
    it.each([
        ["123456789012.dkr.ecr.us-east-1.amazonaws.com/api", { registryId: "123456789012", region: "us-east-1", server: "123456789012.dkr.ecr.us-east-1.amazonaws.com", repositoryName: "api" }],
        ["123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/api", { registryId: "123456789012", region: "eu-central-1", server: "123456789012.dkr.ecr.eu-central-1.amazonaws.com", repositoryName: "team/api" }],
        ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api", { registryId: "123456789012", region: "cn-north-1", server: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", repositoryName: "api" }],
    ])("parses the ECR URL %s", (url, expected) => {
        expect(parseEcrRepositoryUrl(url)).toEqual(expected);
    });

    it.each(["ghcr.io/acme/api", "12345.dkr.ecr.us-east-1.amazonaws.com/api", "123456789012.dkr.ecr.us-east-1.amazonaws.com/", "123456789012.dkr.ecr.us-east-1.amazonaws.com/API", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/api"])(
        "rejects %s as an ECR URL",
        (url) => {
            expect(parseEcrRepositoryUrl(url)).toBeUndefined();
        },
    );

    it.each([
        ["ghcr.io/acme/api:1.2@sha256:abc", "ghcr.io/acme/api"],
        ["localhost:5000/api@sha256:abc", "localhost:5000/api"],
        ["localhost:5000/api:tag", "localhost:5000/api"],
        ["api", "api"],
    ])("takes the repository of %s", (ref, repo) => {
        expect(imageRepository(ref)).toBe(repo);
    });

    it("takes the registry host of a repository", () => {
        expect(registryHost("127.0.0.1:5000/team/api")).toBe("127.0.0.1:5000");
    });
});

describe("settings", () => {
    it("fills unset settings with the service's defaults", () => {
        expect(resolveSettings({ port: 9000, logLevel: undefined })).toEqual({ ...DEFAULT_SETTINGS, port: 9000 });
    });

    it("turns settings into the env vars the service reads", () => {
        expect(settingsEnv(resolveSettings({ drainDelaySeconds: 2.5 }))).toEqual([
            { name: "PORT", value: "8080" },
            { name: "LOG_LEVEL", value: "info" },
            { name: "GREETING", value: "Hello from rust-service" },
            { name: "DRAIN_DELAY_SECONDS", value: "2.5" },
            { name: "SHUTDOWN_DEADLINE_SECONDS", value: "20" },
            { name: "REQUEST_TIMEOUT_SECONDS", value: "10" },
            { name: "BODY_LIMIT_BYTES", value: "1048576" },
        ]);
    });

    it("takes its defaults from the service's defaults.env, which the service's own tests check against its code", () => {
        const file = fs.readFileSync(path.join(__dirname, "..", "service", "defaults.env"), "utf8");
        expect(DEFAULT_SETTINGS).toEqual({
            port: 8080,
            logLevel: "info",
            greeting: "Hello from rust-service",
            drainDelaySeconds: 5,
            shutdownDeadlineSeconds: 20,
            requestTimeoutSeconds: 10,
            bodyLimitBytes: 1048576,
        });
        expect(settingsFromEnvFile(file)).toEqual(DEFAULT_SETTINGS);
    });

    it("reads settings from NAME=value lines and names a missing variable", () => {
        const lines = settingsEnv(resolveSettings({ port: 9000, greeting: "a=b" })).map(({ name, value }) => `${name}=${value}`);
        expect(settingsFromEnvFile(`# comment\n${lines.join("\n")}\n`)).toEqual({ ...DEFAULT_SETTINGS, port: 9000, greeting: "a=b" });
        expect(() => settingsFromEnvFile(lines.slice(1).join("\n"))).toThrow("PORT is missing from the service's defaults");
    });

    it.each([
        [{}, 30],
        [{ drainDelaySeconds: 0, shutdownDeadlineSeconds: 0 }, 5],
        [{ drainDelaySeconds: 2.5, shutdownDeadlineSeconds: 10.2 }, 18],
    ])("derives a grace period from %j: %d s", (settings, expected) => {
        expect(defaultTerminationGracePeriod(resolveSettings(settings))).toBe(expected);
    });
});

describe("labels", () => {
    it("builds stable selector labels with the owning stack and adds managed-by and extra labels to the rest", () => {
        expect(buildLabels("rust-service", "api", "shop.prod", { team: "x", "app.kubernetes.io/name": "ignored" })).toEqual({
            selector: { "app.kubernetes.io/name": "rust-service", "app.kubernetes.io/instance": "api", "rust-service/stack": "shop.prod" },
            labels: {
                team: "x",
                "app.kubernetes.io/name": "rust-service",
                "app.kubernetes.io/instance": "api",
                "rust-service/stack": "shop.prod",
                "app.kubernetes.io/managed-by": "pulumi",
            },
        });
    });

    it.each([
        ["rust-service", "local", "rust-service.local"],
        // Changed to fit the label syntax: the hash keeps `acme/dev` apart from `acme-dev`.
        ["rust-service", "acme/dev", "rust-service.acme-dev-cb6bf93a2c"],
        ["_x", "dev_", "x.dev-0410ed75a6"],
        // Too long: the first 52 characters, then the first 10 hex digits of the whole name's SHA-256.
        ["p".repeat(40), "s".repeat(40), `${"p".repeat(40)}.${"s".repeat(11)}-4a2405a168`],
    ])("names project %s, stack %s as the label value %s", (project, stack, expected) => {
        expect(stackLabelValue(project, stack)).toBe(expected);
    });

    it("keeps two long stack names apart even when their first 52 characters agree", () => {
        const long = "a".repeat(60);
        expect(stackLabelValue("p", `${long}1`)).not.toBe(stackLabelValue("p", `${long}2`));
    });
});

describe("lifecyclePolicyDocument", () => {
    it("expires untagged images first, then keeps the last N of any tag", () => {
        expect(JSON.parse(lifecyclePolicyDocument(7, 30))).toEqual({
            rules: [
                {
                    rulePriority: 1,
                    description: "Expire untagged images older than 7 days",
                    selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
                    action: { type: "expire" },
                },
                {
                    rulePriority: 2,
                    description: "Keep only the last 30 images",
                    selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 },
                    action: { type: "expire" },
                },
            ],
        });
    });
});

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

describe("bundledServiceContext", () => {
    it("points at the bundled service/ relative to the working directory", () => {
        expect(path.resolve(bundledServiceContext())).toBe(path.resolve(__dirname, "..", "service"));
        expect(path.isAbsolute(bundledServiceContext())).toBe(false);
    });
});
