import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RustService } from "../components";
import { formatProblems, rustServiceArgsProblems } from "../components/validation";
import { PROJECT, STACK_FILE_ENV, STACK_FILE_SCHEMA, loadStackConfig, parseStackConfig } from "../config";
import { loadStackConfig as loadPlanConfig } from "../scripts/plan/stack-config";
import { formatStackProblem, lintStackFile } from "../stackFile";
import { installMocks } from "./mocks";

// No message, problem or log line may contain a secret value, however malformed the entry holding it.
// Each case runs an error path (the test checks that it does fail) and looks for the sentinel everywhere.

/** A sentinel that looks like an env var name, and one that looks like nothing at all. */
const SENTINELS = ["S3CR3T_SENTINEL_LOOKS_LIKE_A_NAME", "s3cr3t sentinel-v@lue"];

/** Malformed (or valid) `secretEnv` lists holding a sentinel `s`, as stack config gives them. */
const SECRET_ENV_SHAPES: [string, (s: string) => string[]][] = [
    ["an entry without '='", (s) => [s]],
    ["an entry with no name before '='", (s) => [`=${s}`]],
    ["the value where the name goes", (s) => [`${s}=APP_TOKEN`]],
    ["a lowercase name", (s) => [`app_token=${s}`]],
    ["a name with spaces", (s) => [`APP TOKEN=${s}`]],
    ["a repeated name", (s) => [`APP_TOKEN=${s}`, `APP_TOKEN=${s}`]],
    ["the value as a repeated name", (s) => [`${s}=a`, `${s}=b`]],
    ["a value with newlines", (s) => [`APP_TOKEN=line\n${s}\n`]],
    ["a name with a newline", (s) => [`APP\n${s}=x`]],
    ["__proto__ as the name", (s) => [`__proto__=${s}`]],
    ["constructor as the name", (s) => [`constructor=${s}`]],
    ["a name the component sets", (s) => [`PORT=${s}`]],
    ["the runtime's variable", (s) => [`TOKIO_WORKER_THREADS=${s}`]],
    ["a variable the service ignores", (s) => [`RUST_LOG=${s}`]],
    ["a value over the Secret size limit", (s) => [`APP_TOKEN=${s}${"x".repeat(1024 * 1024)}`]],
];

/** What one error path left behind: the thrown message and everything logged. */
function traces(run: () => unknown): { thrown: string; logged: string } {
    const spies = [
        ...(["log", "info", "warn", "error", "debug"] as const).map((m) => jest.spyOn(console, m).mockImplementation(() => undefined)),
        ...(["debug", "info", "warn", "error"] as const).map((m) => jest.spyOn(pulumi.log, m).mockImplementation(() => Promise.resolve())),
    ];
    let thrown = "";
    try {
        run();
    } catch (err) {
        thrown = err instanceof Error ? `${err.message}\n${err.stack}` : String(err);
    } finally {
        for (const spy of spies) {
            spy.mockRestore();
        }
    }
    return { thrown, logged: JSON.stringify(spies.map((spy) => spy.mock.calls)) };
}

/** Asserts that `run` fails and leaves the sentinel nowhere. */
function expectFailsWithout(sentinel: string, run: () => unknown): void {
    const { thrown, logged } = traces(run);
    expect(thrown).not.toBe("");
    expect(thrown).not.toContain(sentinel);
    expect(logged).not.toContain(sentinel);
}

afterEach(() => {
    pulumi.runtime.setAllConfig({}, []);
    delete process.env[STACK_FILE_ENV];
});

describe.each(SENTINELS)("the sentinel %j", (s) => {
    describe.each(SECRET_ENV_SHAPES)("in a secretEnv list with %s", (_description, shape) => {
        const engineValue = JSON.stringify(shape(s));

        it("stays out of the problems when the list is encrypted", () => {
            // A second, certain problem makes every shape an error path, valid ones included.
            expectFailsWithout(s, () => parseStackConfig({ secretEnv: engineValue, replicas: "0" }, { secretKeys: new Set([`${PROJECT}:secretEnv`]) }));
        });

        it("stays out of the problems when the list is in plain text", () => {
            expectFailsWithout(s, () => parseStackConfig({ secretEnv: engineValue }, { secretKeys: new Set() }));
        });

        it("stays out of the problems when env holds the same name", () => {
            expectFailsWithout(s, () =>
                parseStackConfig({ secretEnv: engineValue, env: '["APP_TOKEN=1","PORT=1"]' }, { secretKeys: new Set([`${PROJECT}:secretEnv`]) }),
            );
        });

        it("stays out of the stack file's problems when the entry is in plain text among encrypted ones", () => {
            const text = `config:\n  rust-service:secretEnv:\n    - secure: v1:abc\n${shape(s)
                .map((entry) => `    - ${JSON.stringify(entry)}`)
                .join("\n")}\n`;
            expectFailsWithout(s, () => {
                const problems = lintStackFile(text, "Pulumi.dev.yaml", STACK_FILE_SCHEMA);
                throw new Error(JSON.stringify(problems) + problems.map(formatStackProblem).join("\n"));
            });
        });

        it("stays out of what the program throws, reading the engine's config and the stack file", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-"));
            const file = path.join(dir, "Pulumi.ci.yaml");
            fs.writeFileSync(
                file,
                `config:\n  rust-service:secretEnv:\n${shape(s)
                    .map((entry) => `    - ${JSON.stringify(entry)}`)
                    .join("\n")}\n`,
            );
            process.env[STACK_FILE_ENV] = file;
            pulumi.runtime.setAllConfig({ [`${PROJECT}:secretEnv`]: engineValue }, []);
            expectFailsWithout(s, () => loadStackConfig());
        });
    });

    it.each<[string, Record<string, string>]>([
        ["a secretEnv that is not JSON", { secretEnv: `not json ${s}` }],
        ["a secretEnv that is a JSON object", { secretEnv: JSON.stringify({ APP_TOKEN: s }) }],
        ["a secretEnv list of objects", { secretEnv: JSON.stringify([{ APP_TOKEN: s }]) }],
        ["a secretEnv list with a number", { secretEnv: JSON.stringify([1, `A=${s}`]) }],
        ["a registry password with no registry", { registryPassword: s }],
        [
            "a registry password with a user but a bad server",
            { registryServer: "https://x", registryRepository: "api", registryUsername: "ci", registryPassword: s },
        ],
    ])("stays out of the problems of %s", (_description, raw) => {
        expectFailsWithout(s, () => parseStackConfig(raw, { secretKeys: new Set([`${PROJECT}:secretEnv`, `${PROJECT}:registryPassword`]) }));
        expectFailsWithout(s, () => parseStackConfig(raw, { secretKeys: new Set() }));
    });

    it.each<[string, Record<string, string>]>([
        ["greeting", { greeting: s }],
        ["replicas, where it is not a number either", { replicas: s }],
        ["namespace, where it is not a name either", { namespace: s }],
        ["an env entry", { env: JSON.stringify([`APP_TOKEN=${s}`]) }],
        ["an env entry that is not NAME=value", { env: JSON.stringify([s]) }],
    ])("stays out of the problems when it is encrypted on %s, which is not a secret setting", (_description, raw) => {
        const secretKeys = new Set(Object.keys(raw).map((k) => `${PROJECT}:${k}`));
        expectFailsWithout(s, () => parseStackConfig(raw, { secretKeys }));
    });

    it.each<[string, string]>([
        ["an unclosed list", `config:\n  rust-service:secretEnv: [${s}\n`],
        ["a bad escape", `config:\n  rust-service:registryPassword: "${s}\\q"\n`],
        ["a mapping inside a compact mapping", `config:\n  rust-service:registryPassword: ${s}: x\n`],
        ["an unclosed quote", `config:\n  rust-service:registryPassword: '${s}\n`],
        ["a value read as a tag", `config:\n  rust-service:registryPassword: !${s.replace(/ /g, "")}\n`],
        ["a value read as an alias", `config:\n  rust-service:registryPassword: *${s.replace(/ /g, "")}\n`],
        ["a value read as an anchor", `config:\n  rust-service:registryPassword: &${s.replace(/ /g, "")}\n`],
        ["a value under a misspelt section", `confg:\n  rust-service:registryPassword: ${JSON.stringify(s)}\n`],
        ["a value under a misspelt key", `config:\n  rust-service:registryPasword: ${JSON.stringify(s)}\n`],
        ["a value under a misspelt namespace", `config:\n  rust-sevice:secretEnv: [${JSON.stringify(`A=${s}`)}]\n`],
        ["a plain-text registry password", `config:\n  rust-service:registryPassword: ${JSON.stringify(s)}\n`],
        ["a plain-text password given twice", `config:\n  registryPassword: ${JSON.stringify(s)}\n  rust-service:registryPassword: ${JSON.stringify(s)}\n`],
        ["a merge key", `config:\n  aws:secretKey:\n    <<: {a: ${JSON.stringify(s)}}\n`],
        ["a key given twice inside a value", `config:\n  aws:secretKey: {a: ${JSON.stringify(s)}, a: ${JSON.stringify(s)}}\n`],
        ["a list where a string goes", `config:\n  rust-service:registryPassword: [${JSON.stringify(s)}]\n`],
    ])("stays out of the stack file's problems with %s", (_description, text) => {
        const sentinel = s.replace(/ /g, "");
        expectFailsWithout(sentinel, () => {
            const problems = lintStackFile(text, "Pulumi.dev.yaml", STACK_FILE_SCHEMA);
            throw new Error(JSON.stringify(problems) + problems.map(formatStackProblem).join("\n"));
        });
    });

    it("stays out of the problems of a file that is not UTF-8", () => {
        const bytes = Buffer.concat([Buffer.from(`config:\n  rust-service:registryPassword: ${s}`), Buffer.from([0xff, 0x0a])]);
        expectFailsWithout(s, () => {
            throw new Error(lintStackFile(bytes, "Pulumi.dev.yaml", STACK_FILE_SCHEMA).map(formatStackProblem).join("\n"));
        });
    });

    it("stays out of what npm run plan throws for a stack file it cannot read", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-plan-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: rust-service\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), `config:\n  rust-service:secretEnv: [${JSON.stringify(`A=${s}`)}\n`);
        expectFailsWithout(s, () => loadPlanConfig(dir, "dev"));
    });

    it("stays out of the component's error for secret env it cannot use", () => {
        installMocks();
        const secretEnv = { [`${s} x`]: "v", "1BAD": s, PORT: s, OK: pulumi.secret(s) };
        expectFailsWithout(s, () => {
            throw new Error(formatProblems("RustService", rustServiceArgsProblems("api", { secretEnv, env: { OK: "1" } })));
        });
        expectFailsWithout(s, () => new RustService("api", { secretEnv, env: { OK: "1" } }));
    });
});
