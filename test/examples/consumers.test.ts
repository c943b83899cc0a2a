import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { tempDir } from "../plan/plan-runner";
import { repoRoot } from "../workflow/tools";

/**
 * The package as a consumer gets it: `npm pack` of this repository, installed with `npm install` into
 * a fresh project that pins the Pulumi SDKs at one end of the supported ranges (package.json
 * `peerDependencies`): the lowest and the newest versions the registry serves in each range. Each
 * project type-checks and runs the two-services example under Pulumi mocks with its own
 * node_modules. Needs the npm registry; the two installs take most of the time.
 */

jest.setTimeout(20 * 60_000);

interface Run {
    status: number;
    stdout: string;
    /** stdout and stderr. */
    output: string;
    seconds: number;
}

function run(command: string, args: string[], cwd: string, timeout = 600_000): Promise<Run> {
    const started = Date.now();
    return new Promise((resolve) => {
        execFile(command, args, { cwd, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            const status = err ? (typeof err.code === "number" ? err.code : -1) : 0;
            resolve({ status, stdout, output: `${stdout}${stderr}`, seconds: (Date.now() - started) / 1000 });
        });
    });
}

async function mustRun(command: string, args: string[], cwd: string): Promise<Run> {
    const result = await run(command, args, cwd);
    if (result.status !== 0) throw new Error(`\`${command} ${args.join(" ")}\` in ${cwd} exited ${result.status}:\n${result.output}`);
    return result;
}

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
const peers: Record<string, string> = pkg.peerDependencies;
const tarballName = `${pkg.name}-${pkg.version}.tgz`;

/** Orders plain `x.y.z` versions (npm leaves prereleases out of a range's matches). */
function compareVersions(a: string, b: string): number {
    const [pa, pb] = [a, b].map((v) => v.split(".").map(Number));
    return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}

/** Whether `version` is in `range`, for the caret ranges (`^x.y.z`, joined by `||`) package.json uses. */
function inCaretRange(version: string, range: string): boolean {
    return range.split("||").some((part) => {
        const floor = part.trim().replace(/^\^/, "");
        return version.split(".")[0] === floor.split(".")[0] && compareVersions(version, floor) >= 0;
    });
}

type End = "low" | "high";
const ENDS: End[] = ["low", "high"];

/** The versions the registry serves in `range`, oldest first. */
async function servedVersions(name: string, range: string): Promise<string[]> {
    const view = await mustRun("npm", ["view", `${name}@${range}`, "version", "--json"], repoRoot);
    const parsed: string | string[] = JSON.parse(view.stdout);
    return (Array.isArray(parsed) ? parsed : [parsed]).sort(compareVersions);
}

/**
 * Packs a copy of the package: the files `npm pack` takes from this checkout, minus dist/, plus what
 * the build needs. `npm pack` there runs `prepack` (the build) as it does here, without rewriting
 * this checkout's dist/ under another test that reads it.
 */
async function pack(into: string): Promise<string> {
    const stage = path.join(into, "stage");
    const listing = await mustRun("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], repoRoot);
    const files: string[] = JSON.parse(listing.stdout)[0].files.map((f: { path: string }) => f.path);
    const sources = [...files.filter((f) => !f.startsWith("dist/")), "tsconfig.json", "tsconfig.build.json"];
    for (const file of sources) {
        fs.mkdirSync(path.dirname(path.join(stage, file)), { recursive: true });
        fs.copyFileSync(path.join(repoRoot, file), path.join(stage, file));
    }
    fs.cpSync(path.join(repoRoot, "components"), path.join(stage, "components"), { recursive: true });
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(stage, "node_modules"), "dir");
    await mustRun("npm", ["pack", "--pack-destination", into], stage);
    return path.join(into, tarballName);
}

/** What one consumer project did. */
interface Consumer {
    dir: string;
    versions: Record<string, string>;
    install: Run;
    /** `npm ls` of the package and its peers: non-zero when a peer is missing or out of range. */
    peersOk: Run;
    /** Paths of every installed @pulumi/pulumi. */
    pulumiCopies: string[];
    /** `tsc` of the program (strict, libraries checked too) into out/. */
    typecheck: Run;
    /** `tsc --noEmit` of the component's source against this project's SDKs. */
    sourceCheck: Run;
    mockRun: Run;
    /** What the program registered under mocks. */
    result: { resources: { type: string; name: string; inputs: Json }[]; calls: { token: string; inputs: Json }[] };
}

// Inputs as the mock monitor recorded them: nested data, read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary recorded resource inputs, read field by field
type Json = any;

const SECRET_TOKEN = "consumer-secret-token-7d1e";

async function consumerProject(root: string, end: End, versions: Record<string, string>, tarball: string): Promise<Consumer> {
    const dir = path.join(root, `consumer-${end}`);
    fs.mkdirSync(path.join(dir, "component-src"), { recursive: true });
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify(
            {
                name: `consumer-${end}`,
                private: true,
                dependencies: { ...versions, [pkg.name]: `file:${tarball}` },
                devDependencies: { typescript: "~5.9.3", "@types/node": "~20.19.0" },
            },
            null,
            2,
        ),
    );
    // A project's usual settings (Pulumi's TypeScript template is strict and checks libraries too).
    const compilerOptions = {
        target: "ES2022",
        module: "commonjs",
        moduleResolution: "node",
        lib: ["ES2022"],
        strict: true,
        esModuleInterop: true,
        types: ["node"],
    };
    fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { ...compilerOptions, outDir: "out" }, files: ["index.ts", "mock-run.ts"] }),
    );
    fs.copyFileSync(path.join(repoRoot, "examples", "two-services", "index.ts"), path.join(dir, "index.ts"));
    fs.copyFileSync(path.join(__dirname, "mock-run.ts"), path.join(dir, "mock-run.ts"));
    // The component's own source, checked against this end's SDKs: what the built JavaScript calls exists there.
    for (const file of fs.readdirSync(path.join(repoRoot, "components"))) {
        fs.copyFileSync(path.join(repoRoot, "components", file), path.join(dir, "component-src", file));
    }
    fs.writeFileSync(
        path.join(dir, "tsconfig.component.json"),
        JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true, skipLibCheck: true, noUnusedLocals: true }, include: ["component-src/*.ts"] }),
    );

    const install = await mustRun("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], dir);
    const peersOk = await run("npm", ["ls", pkg.name, ...Object.keys(peers)], dir);
    const copies = await run("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable"], dir);
    const tsc = path.join(dir, "node_modules", ".bin", "tsc");
    const [typecheck, sourceCheck] = await Promise.all([run(tsc, ["-p", dir], dir), run(tsc, ["-p", path.join(dir, "tsconfig.component.json")], dir)]);
    const out = path.join(dir, "result.json");
    const config = ["region=eu-central-1", "kubeContext=platform", "environment=dev", `ordersApiToken=${SECRET_TOKEN}`];
    const mockRun = typecheck.status === 0 ? await run("node", [path.join(dir, "out", "mock-run.js"), out, ...config], dir) : typecheck;
    return {
        dir,
        versions,
        install,
        peersOk,
        pulumiCopies: [...new Set(copies.stdout.split("\n").filter((line) => line.trim() !== ""))],
        typecheck,
        sourceCheck,
        mockRun,
        result: fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : { resources: [], calls: [] },
    };
}

let root: string;
let tarball: string;
let tarballFiles: string[];
const ends = {} as Record<End, Record<string, string>>;
const consumers = {} as Record<End, Consumer>;

beforeAll(async () => {
    root = tempDir("consumers");
    const served = Object.fromEntries(
        await Promise.all(Object.entries(peers).map(async ([name, range]) => [name, await servedVersions(name, range)] as const)),
    );
    ends.low = Object.fromEntries(Object.entries(served).map(([name, versions]) => [name, versions[0]]));
    ends.high = Object.fromEntries(Object.entries(served).map(([name, versions]) => [name, versions[versions.length - 1]]));
    tarball = await pack(root);
    tarballFiles = (await mustRun("tar", ["-tzf", tarball], root)).stdout.split("\n").filter((f) => f !== "");
    const [low, high] = await Promise.all(ENDS.map((end) => consumerProject(root, end, ends[end], tarball)));
    Object.assign(consumers, { low, high });
    for (const end of ENDS) {
        const c = consumers[end];
        const pinned = Object.entries(c.versions)
            .map(([name, version]) => `${name}@${version}`)
            .join(", ");
        console.info(`consumer-${end}: ${pinned}; npm install ${c.install.seconds.toFixed(1)} s`);
    }
});

// Two projects with their own node_modules: about 440 MB.
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("the packed package", () => {
    it("is named after package.json's name and version, as the install commands in docs/reuse.md use it", () => {
        expect(path.basename(tarball)).toBe(tarballName);
        expect(fs.readFileSync(path.join(repoRoot, "docs", "reuse.md"), "utf8")).toContain(`npm install ../rust-service/${tarballName}`);
    });

    it("holds the built JavaScript and declarations, the bundled service without target/, and the changelog", () => {
        expect(tarballFiles).toEqual(
            expect.arrayContaining([
                "package/dist/index.js",
                "package/dist/index.d.ts",
                "package/service/Dockerfile",
                "package/service/.dockerignore",
                "package/CHANGELOG.md",
            ]),
        );
        expect(tarballFiles.filter((f) => /^package\/(service\/target|components|test|node_modules)\//.test(f))).toEqual([]);
    });

    it("lists the Pulumi SDKs as peers only, and as runtime dependencies only what components/ imports", () => {
        expect(Object.keys(peers).sort()).toEqual(["@pulumi/aws", "@pulumi/docker", "@pulumi/kubernetes", "@pulumi/pulumi"]);
        const imported = new Set(
            fs
                .readdirSync(path.join(repoRoot, "components"))
                .flatMap((file) =>
                    [...fs.readFileSync(path.join(repoRoot, "components", file), "utf8").matchAll(/from "((?:@[^/"]+\/)?[^./"][^/"]*)/g)].map((m) => m[1]),
                )
                .filter((name) => !["crypto", "fs", "path"].includes(name)),
        );
        expect(Object.keys(pkg.dependencies).sort()).toEqual([...imported].filter((name) => !(name in peers)).sort());
        expect([...imported].filter((name) => name in peers).sort()).toEqual(Object.keys(peers).sort());
    });
});

describe.each(ENDS)("a consumer project at the %s end of the supported ranges", (end) => {
    const consumer = () => consumers[end];
    const resource = (type: string, name: string) => {
        const found = consumer().result.resources.find((r) => r.type === type && r.name === name);
        if (!found)
            throw new Error(
                `no ${type} ${name} among ${consumer()
                    .result.resources.map((r) => `${r.type}::${r.name}`)
                    .join(", ")}`,
            );
        return found.inputs;
    };

    it("installs the peers at exactly the pinned versions, each in its supported range", () => {
        expect(consumer().peersOk.status).toBe(0);
        for (const [name, version] of Object.entries(consumer().versions)) {
            // @pulumi/docker 4.5.1 was published with "version": "v4.5.1" in its package.json.
            const installed = String(JSON.parse(fs.readFileSync(path.join(consumer().dir, "node_modules", name, "package.json"), "utf8")).version).replace(
                /^v/,
                "",
            );
            expect([name, installed, inCaretRange(installed, peers[name])]).toEqual([name, version, true]);
        }
    });

    it("has one copy of @pulumi/pulumi, shared by the program, the providers and the component", () => {
        expect(consumer().pulumiCopies).toEqual([path.join(consumer().dir, "node_modules", "@pulumi", "pulumi")]);
    });

    it("type-checks the two-services example against the installed package, libraries included", () => {
        expect(consumer().typecheck.output).toBe("");
        expect(consumer().typecheck.status).toBe(0);
    });

    it("type-checks the component's own source against the SDKs at this end", () => {
        expect(consumer().sourceCheck.output).toBe("");
        expect(consumer().sourceCheck.status).toBe(0);
    });

    it("runs the program under mocks", () => {
        expect(consumer().mockRun.output).toBe("");
        expect(consumer().mockRun.status).toBe(0);
    });

    it("pins each Deployment's image by the digest of the image it pushed", () => {
        for (const name of ["greeter", "orders"]) {
            const image = resource("docker:index/image:Image", name);
            const deployment = resource("kubernetes:apps/v1:Deployment", name);
            const repository = String(image.imageName).replace(/:[^:/]+$/, "");
            expect(deployment.spec.template.spec.containers[0].image).toMatch(new RegExp(`^${repository.replace(/\./g, "\\.")}@sha256:[0-9a-f]{64}$`));
        }
    });

    it("asks ECR for a push token once per instance, through the aws SDK at this end", () => {
        expect(consumer().result.calls).toEqual([
            { token: "aws:ecr/getAuthorizationToken:getAuthorizationToken", inputs: { registryId: "123456789012" } },
            { token: "aws:ecr/getAuthorizationToken:getAuthorizationToken", inputs: { registryId: "123456789012" } },
        ]);
    });

    it("builds the service bundled in the installed package", () => {
        const context = resource("docker:index/image:Image", "greeter").build.context;
        expect(path.resolve(consumer().dir, context)).toBe(path.join(consumer().dir, "node_modules", pkg.name, "service"));
    });

    it("creates each namespace it was given, labelled with the owning stack, and deploys into it", () => {
        for (const name of ["greeter", "orders"]) {
            const namespace = resource("kubernetes:core/v1:Namespace", name);
            expect(namespace.metadata.name).toBe(name);
            expect(namespace.metadata.labels["rust-service/stack"]).toBe("two-services.dev");
            expect(resource("kubernetes:apps/v1:Deployment", name).metadata.namespace).toBe(name);
        }
    });

    it("puts the secret env into a Secret, still marked secret, and refers to it from the Deployment", () => {
        const secret = resource("kubernetes:core/v1:Secret", "orders-secret-env");
        expect(secret.stringData).toEqual({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: { APP_API_TOKEN: SECRET_TOKEN } });
        const env = resource("kubernetes:apps/v1:Deployment", "orders").spec.template.spec.containers[0].env;
        expect(env.find((e: Json) => e.name === "APP_API_TOKEN")).toEqual({
            name: "APP_API_TOKEN",
            valueFrom: { secretKeyRef: { key: "APP_API_TOKEN", name: expect.stringMatching(/^orders-secret-env-/) } },
        });
        expect(JSON.stringify(resource("kubernetes:apps/v1:Deployment", "orders"))).not.toContain(SECRET_TOKEN);
    });
});

describe("docs/reuse.md's table of supported versions", () => {
    const rows = () =>
        [
            ...fs
                .readFileSync(path.join(repoRoot, "docs", "reuse.md"), "utf8")
                .matchAll(/^\| `(@pulumi\/[a-z]+)` \| `([^`]+)` \| ([0-9.]+) \| ([0-9.]+) \|$/gm),
        ].map((m) => ({
            name: m[1],
            // A pipe inside a table cell is written \|.
            range: m[2].replace(/\\\|/g, "|"),
            lowest: m[3],
            newest: m[4],
        }));

    it("states package.json's peer ranges", () => {
        expect(Object.fromEntries(rows().map((r) => [r.name, r.range]))).toEqual(peers);
    });

    it("names the lowest version tested here, and a newest tested version inside each range", () => {
        expect(
            rows()
                .map((r) => r.name)
                .sort(),
        ).toEqual(Object.keys(peers).sort());
        for (const row of rows()) {
            expect([row.name, row.lowest, inCaretRange(row.newest, row.range)]).toEqual([row.name, ends.low[row.name], true]);
        }
    });
});
