import * as fs from "fs";
import * as path from "path";
import { STACK_FILE_SCHEMA } from "../config";
import { closest, editDistance, formatStackProblem, lintConfigKey, lintStackFile, providerConfigKeys, readStackFile, StackProblem } from "../stackFile";

const root = path.join(__dirname, "..");
const FILE = "Pulumi.dev.yaml";

/** The problems of a stack file of this program, one formatted line each. */
function lint(text: string | Buffer): string[] {
    return lintStackFile(text, FILE, STACK_FILE_SCHEMA).map(formatStackProblem);
}

/** A stack file whose `config:` holds the given lines. */
function config(...lines: string[]): string {
    return ["config:", ...lines.map((line) => `  ${line}`)].join("\n") + "\n";
}

describe("lintStackFile", () => {
    it.each(fs.readdirSync(root).filter((file) => /^Pulumi\.[^.]+\.yaml$/.test(file)))("finds nothing wrong with %s", (file) => {
        expect(lintStackFile(fs.readFileSync(path.join(root, file)), file, STACK_FILE_SCHEMA)).toEqual([]);
    });

    it.each([
        ["an empty file", ""],
        ["a file with comments only", "# nothing yet\n"],
        ["an empty config section", "config:\n"],
        [
            "every section a stack file may have",
            "secretsprovider: passphrase\nencryptedkey: abc\nencryptionsalt: v1:abc\nenvironment:\n  - team/dev\nconfig: {}\n",
        ],
    ])("accepts %s", (_description, text) => {
        expect(lint(text)).toEqual([]);
    });

    describe("encodings and syntax", () => {
        it.each([
            ["Latin-1 text", Buffer.from("config:\n  rust-service:greeting: caf\xe9\n", "latin1")],
            ["UTF-16 text", Buffer.from("\ufeffconfig: {}\n", "utf16le")],
            ["a lone continuation byte", Buffer.from([0x80])],
        ])("says that %s is not UTF-8", (_description, bytes) => {
            expect(lint(bytes)).toEqual([`${FILE}: is not UTF-8 text: save it as UTF-8, the only encoding Pulumi reads`]);
        });

        it("reads UTF-8 with a byte-order mark", () => {
            expect(lint(Buffer.from("\ufeffconfig:\n  rust-service:greeting: café\n", "utf8"))).toEqual([]);
        });

        it.each([
            [
                "a mapping inside a compact mapping",
                config("rust-service:greeting: a: b"),
                `${FILE}:2: is not valid YAML: Nested mappings are not allowed in compact mappings: correct the syntax`,
            ],
            [
                "a tab as indentation",
                "config:\n\trust-service:replicas: 3\n",
                `${FILE}:2: is not valid YAML: Tabs are not allowed as indentation: correct the syntax`,
            ],
            // The parser notices these where the value should have ended.
            ["an unclosed quote", config('rust-service:greeting: "hello'), `${FILE}:3: is not valid YAML: Missing closing "quote: correct the syntax`],
            [
                "an unclosed flow sequence",
                config("rust-service:env: [A=1", "rust-service:replicas: 2"),
                `${FILE}:3: is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
            ],
        ])("names the line of %s", (_description, text, expected) => {
            expect(lint(text)[0]).toContain(expected);
        });

        it("gives no more than the parser's code for an error whose message would quote the file", () => {
            expect(lint(config('rust-service:greeting: "bad \\q escape"'))).toEqual([`${FILE}:2: is not valid YAML (BAD_DQ_ESCAPE): correct the syntax`]);
        });
    });

    describe("sections", () => {
        it.each([
            ["confg", "did you mean `config`?"],
            ["Config", "did you mean `config`?"],
            ["enviroment", "did you mean `environment`?"],
            ["encryptionSalt", "did you mean `encryptionsalt`?"],
            ["settings", "remove it"],
        ])("reports the section %s, which the engine ignores with everything under it", (section, fix) => {
            expect(lint(`${section}:\n  rust-service:replicas: 3\n`)).toEqual([
                `${FILE}:1: has the section \`${section}\`, which Pulumi ignores with everything under it (the sections are config, environment, secretsprovider, encryptedkey, encryptionsalt): ${fix}`,
            ]);
        });

        it.each([
            [
                "a list",
                "- config\n",
                `${FILE}:1: is a list, but a stack file is a mapping of sections (config, environment, secretsprovider, encryptedkey, encryptionsalt): put the settings under \`config:\``,
            ],
            ["a single value", "rust-service:replicas=3\n", `${FILE}:1: is a single value, but a stack file is a mapping of sections`],
        ])("reports a file that is %s", (_description, text, expected) => {
            expect(lint(text)[0]).toContain(expected);
        });

        it("reports a config section that is a list", () => {
            expect(lint("config:\n  - rust-service:replicas=3\n")).toEqual([
                `${FILE}:2: has a \`config\` section that is a list: make it a mapping of keys to values`,
            ]);
        });
    });

    describe("keys", () => {
        it.each([
            [
                "kubernets:context",
                "`kubernets:context` is in the namespace `kubernets`, which nothing in this program reads (it reads rust-service, kubernetes, aws, docker, pulumi): did you mean `kubernetes:context`?",
            ],
            ["rust-servic:replicas", "did you mean `rust-service:replicas`?"],
            ["awz:region", "did you mean `aws:region`?"],
            ["k8s:context", "did you mean `kubernetes:context`?"],
            [
                "myteam:owner",
                "`myteam:owner` is in the namespace `myteam`, which nothing in this program reads (it reads rust-service, kubernetes, aws, docker, pulumi): check the spelling, or remove it with `pulumi config rm myteam:owner`",
            ],
            ["kubernetes:contxt", "`kubernetes:contxt` is not a setting of the kubernetes provider: did you mean `kubernetes:context`?"],
            ["kubernetes:kubeConfig", "did you mean `kubernetes:kubeconfig`?"],
            ["aws:regoin", "`aws:regoin` is not a setting of the aws provider: did you mean `aws:region`?"],
            ["docker:hots", "`docker:hots` is not a setting of the docker provider: did you mean `docker:host`?"],
            ["rust-service:replica", "`rust-service:replica` is not a setting of this program: did you mean `rust-service:replicas`?"],
            ["rust-service:namepsace", "did you mean `rust-service:namespace`?"],
            ["replica", "`rust-service:replica` is not a setting of this program: did you mean `rust-service:replicas`?"],
            ["rust-service:context", "`rust-service:context` is not a setting of this program: did you mean `kubernetes:context`?"],
            [
                "rust-service:constructor",
                "`rust-service:constructor` is not a setting of this program: check the spelling against Pulumi.yaml, or remove it with `pulumi config rm rust-service:constructor`",
            ],
            ["__proto__", "`rust-service:__proto__` is not a setting of this program"],
        ])("reports the key %s with the nearest valid one", (key, expected) => {
            const [problem] = lint(config(`${key}: x`));
            expect(problem).toContain(`${FILE}:2: `);
            expect(problem).toContain(expected);
        });

        it.each(["pulumi:disable-default-providers", "aws:region", "kubernetes:context", "docker:host", "greeting", "rust-service:greeting"])(
            "accepts the key %s",
            (key) => {
                expect(lint(config(`${key}: x`))).toEqual([]);
            },
        );

        it("reports an unqualified key that the file also sets qualified", () => {
            expect(lint(config("greeting: a", "rust-service:greeting: b"))).toEqual([
                `${FILE}:3: \`rust-service:greeting\` is set twice, as \`greeting\` (line 2) and as \`rust-service:greeting\`: an unqualified key is the project's, so keep one`,
            ]);
        });

        it("reports a key given twice", () => {
            expect(lint(config("rust-service:replicas: 1", "rust-service:replicas: 2"))).toEqual([
                `${FILE}:3: \`rust-service:replicas\` is set twice (first on line 2): keep one`,
            ]);
        });

        it("reports a section given twice", () => {
            expect(lint("config: {}\nconfig: {}\n")).toEqual([`${FILE}:2: has the section \`config\` twice (first on line 1): keep one`]);
        });

        it("reports a key given twice inside a value", () => {
            expect(lint(config("aws:defaultTags:", "  tags: {team: a, team: b}"))).toEqual([
                `${FILE}:3: \`aws:defaultTags\` has a mapping with a key given twice: keep one`,
            ]);
        });

        it("reports a key that is not plain text", () => {
            expect(lint(config("? [a, b]", ": x"))).toEqual([`${FILE}:2: has a config key that is not plain text: write keys as \`namespace:name\``]);
        });

        it("checks only the structure and the providers' keys of a project whose keys it does not know", () => {
            expect(lintStackFile(config("demo:anything: x", "other: y", "kubernets:context: z"), FILE, { project: "demo" }).map((p) => p.key)).toEqual([
                "kubernets:context",
            ]);
        });

        it("reports each of 20,000 misspelt keys once, with its line", () => {
            const text = config(...Array.from({ length: 20_000 }, (_, i) => `rust-service:replica${i}: ${i}`));
            const problems = lintStackFile(text, FILE, STACK_FILE_SCHEMA);
            expect(problems).toHaveLength(20_000);
            expect(problems[19_999]).toMatchObject({ key: "rust-service:replica19999", line: 20_001 });
        });
    });

    describe("values", () => {
        it.each([
            ["an empty value", "rust-service:greeting:", 2],
            ["a tilde", "rust-service:replicas: ~", 2],
            ["null", "aws:region: null", 2],
        ])("reports %s instead of passing the text null on", (_description, line, at) => {
            const [problem] = lintStackFile(config(line), FILE, STACK_FILE_SCHEMA);
            expect(formatStackProblem(problem)).toMatch(
                new RegExp(`^${FILE}:${at}: \`[^\`]+\` has no value \\(YAML reads it as null\\): give it one, or remove the line to use the default$`),
            );
            expect(problem.unusable).toBe(true);
        });

        it.each([
            ["!!binary", "rust-service:greeting: !!binary aGVsbG8="],
            ["!!str", "rust-service:logLevel: !!str info"],
            ["!!int", "rust-service:replicas: !!int 3"],
        ])("reports the YAML tag %s rather than passing on its reading", (tag, line) => {
            expect(lint(config(line))).toEqual([
                `${FILE}:2: \`${line.split(":").slice(0, 2).join(":")}\` uses the YAML tag \`${tag}\`, which Pulumi does not apply: write the value as plain text (in quotes to keep it a string)`,
            ]);
        });

        it.each([
            ["a custom tag", "aws:region: !secret us-east-1"],
            ["an unquoted password starting with !", "rust-service:registryPassword: !Passw0rd"],
            ["an unknown !! tag", "rust-service:greeting: !!Passw0rd"],
        ])("reports %s without naming it", (_description, line) => {
            expect(lint(config(line))).toEqual([
                `${FILE}:2: \`${line.split(":").slice(0, 2).join(":")}\` uses a YAML tag (a value starting with \`!\`), which Pulumi does not apply: write the value as plain text (in quotes to keep it a string)`,
            ]);
        });

        it("reports a tag on an entry of a list", () => {
            expect(lint(config("rust-service:env:", "  - !!binary QT0x"))).toEqual([
                expect.stringContaining(`${FILE}:3: \`rust-service:env\` uses the YAML tag \`!!binary\``),
            ]);
        });

        it("reports a merge key in config, and in a value", () => {
            expect(lint("config:\n  <<: {rust-service:replicas: 3}\n  rust-service:greeting:\n    <<: {a: 1}\n")).toEqual([
                `${FILE}:2: uses a YAML merge key (\`<<\`) in \`config\`, which Pulumi does not expand: write the keys out`,
                `${FILE}:4: \`rust-service:greeting\` uses a YAML merge key (\`<<\`), which Pulumi does not expand: write the keys out`,
            ]);
        });

        it("reports a merge key at the top of the file", () => {
            expect(lint("base: &base {}\n<<: *base\n")).toContain(
                `${FILE}:2: uses a YAML merge key (\`<<\`), which Pulumi does not expand: write the sections out`,
            );
        });

        it("follows an alias to its anchor, as Pulumi does", () => {
            expect(
                lint(config("rust-service:greeting: &g hi", "rust-service:appName: *g", "rust-service:env: &e [A=1]", "rust-service:cacheFrom: *e")),
            ).toEqual([]);
        });

        it("reports an alias to an anchor that is not defined", () => {
            expect(lint(config("rust-service:greeting: *nope"))).toEqual([
                `${FILE}:2: \`rust-service:greeting\` refers to an anchor that is not defined before it: define the anchor (\`&name\`) first, or write the value out`,
            ]);
        });

        it.each([
            ["a list where a string goes", "rust-service:greeting: [a, b]", "`rust-service:greeting` is a list, but it takes a string: give a single value"],
            [
                "a mapping where a string goes",
                "rust-service:namespace: {name: x}",
                "`rust-service:namespace` is a mapping, but it takes a string: give a single value",
            ],
            ["a list where an integer goes", "rust-service:replicas: [3]", "`rust-service:replicas` is a list, but it takes an integer"],
            [
                "a mapping where true or false goes",
                "rust-service:autoscaling: {on: true}",
                "`rust-service:autoscaling` is a mapping, but it takes true or false",
            ],
            [
                "a mapping where a list goes",
                "rust-service:env: {APP_MODE: fast}",
                "`rust-service:env` is a mapping, but it takes a list of strings: write one `- NAME=value` line per entry",
            ],
            ["a list inside a list", "rust-service:env: [[A=1]]", "`rust-service:env` has entry 0 that is a list, but entries are strings"],
        ])("reports %s as a wrong type", (_description, line, expected) => {
            const [problem] = lintStackFile(config(line), FILE, STACK_FILE_SCHEMA);
            expect(formatStackProblem(problem)).toContain(`${FILE}:2: ${expected}`);
            expect(problem.unusable).toBe(true);
        });
    });

    describe("secrets", () => {
        const secure = (cipher: string) => `{secure: ${cipher}}`;

        it.each([
            ["an encrypted secret env list", `rust-service:secretEnv: [${secure("v1:a")}, ${secure("v1:b")}]`],
            ["a secret env list encrypted as a whole", `rust-service:secretEnv: ${secure("v1:a")}`],
            ["an encrypted registry password", `rust-service:registryPassword: ${secure("v1:a")}`],
            ["an encrypted provider key", `aws:secretKey: ${secure("v1:a")}`],
            ["an empty registry password", 'rust-service:registryPassword: ""'],
        ])("accepts %s", (_description, line) => {
            expect(lint(config(line))).toEqual([]);
        });

        it("reports a secret env list that mixes encrypted and plain-text entries, by index", () => {
            expect(lint(config(`rust-service:secretEnv: [${secure("v1:a")}, APP_TOKEN=plain, ${secure("v1:b")}, B=plain]`))).toEqual([
                `${FILE}:2: \`rust-service:secretEnv\` mixes encrypted and plain-text entries (entries 1, 3 in plain text): encrypt each with \`pulumi config set --secret --path 'secretEnv[N]' NAME=value\``,
            ]);
        });

        it.each([
            ["a plain-text secret env list", "rust-service:secretEnv: [APP_TOKEN=plain]"],
            ["a plain-text registry password", "rust-service:registryPassword: hunter2"],
        ])("reports %s", (_description, line) => {
            expect(lint(config(line))).toEqual([
                expect.stringMatching(/^Pulumi\.dev\.yaml:2: `[^`]+` holds a secret in plain text: set it again with `pulumi config set --secret`$/),
            ]);
        });

        it.each([
            ["greeting", `rust-service:greeting: ${secure("v1:a")}`],
            ["an env entry", `rust-service:env: [A=1, ${secure("v1:a")}]`],
            ["replicas", `rust-service:replicas: ${secure("v1:a")}`],
        ])("refuses an encrypted value on %s, which is not a secret setting", (_description, line) => {
            const [problem] = lintStackFile(config(line), FILE, STACK_FILE_SCHEMA);
            expect(formatStackProblem(problem)).toMatch(
                /^Pulumi\.dev\.yaml:2: `[^`]+` is encrypted, but it is not a secret setting: its value would reach the cluster in plain text\. Put a secret in `secretEnv`/,
            );
            expect(problem.unusable).toBe(true);
        });
    });

    it("reports every problem at once, in the order of the file", () => {
        const text =
            "confg: {}\nconfig:\n  kubernets:context: x\n  rust-service:replica: 3\n  rust-service:greeting: [a]\n  rust-service:env: !!binary QT0x\n  aws:region:\n";
        expect(lintStackFile(text, FILE, STACK_FILE_SCHEMA).map((p: StackProblem) => p.line)).toEqual([1, 3, 4, 5, 6, 7]);
    });
});

describe("readStackFile", () => {
    it("gives the sections as data along with the problems the program can run with", () => {
        const reading = readStackFile("encryptionsalt: x\nconfig:\n  aws:region: eu-west-1\n  rust-service:replica: 3\n", FILE, STACK_FILE_SCHEMA);
        expect(reading.sections).toEqual({ config: { "aws:region": "eu-west-1", "rust-service:replica": 3 }, environment: undefined });
        expect(reading.problems.map((p) => p.key)).toEqual(["rust-service:replica"]);
    });

    it.each([
        ["not UTF-8", Buffer.from([0xff])],
        ["not YAML", "config: [\n"],
        ["not a mapping", "- a\n"],
        ["a config section that is not a mapping", "config: 3\n"],
    ])("gives no sections for a file that is %s", (_description, content) => {
        expect(readStackFile(content, FILE, STACK_FILE_SCHEMA).sections).toBeUndefined();
    });
});

describe("lintConfigKey", () => {
    it.each(["rust-service:replicas", "aws:region", "kubernetes:kubeconfig", "docker:host", "pulumi:disable-default-providers"])("accepts %s", (key) => {
        expect(lintConfigKey(key, STACK_FILE_SCHEMA)).toBeUndefined();
    });

    it("names the key and says the rule and the fix", () => {
        expect(lintConfigKey("kubernetes:namepsace", STACK_FILE_SCHEMA)).toEqual({
            key: "kubernetes:namepsace",
            message: "is not a setting of the kubernetes provider: did you mean `kubernetes:namespace`?",
        });
    });
});

describe("providerConfigKeys", () => {
    it.each([
        ["kubernetes", ["kubeconfig", "context", "cluster", "namespace", "enableServerSideApply", "renderYamlToDirectory"]],
        ["aws", ["region", "profile", "accessKey", "secretKey", "assumeRoles", "defaultTags", "skipCredentialsValidation"]],
        ["docker", ["host", "context", "registryAuth", "caMaterial"]],
    ])("reads the %s provider's keys from its installed SDK", (provider, keys) => {
        const known = providerConfigKeys().get(provider)!;
        expect([...known]).toEqual(expect.arrayContaining(keys));
        expect([...known].every((k) => /^[a-z][A-Za-z0-9]*$/.test(k))).toBe(true);
    });
});

describe("editDistance and closest", () => {
    it.each([
        ["replica", "replicas", 1],
        ["namepsace", "namespace", 1],
        ["Config", "config", 0],
        ["kubernets", "kubernetes", 1],
        ["abc", "", 3],
        ["", "abc", 3],
        // Optimal string alignment: a swapped pair is one edit only if nothing is inserted between them.
        ["ca", "abc", 3],
    ])("counts %j to %j as %d edits", (a, b, distance) => {
        expect(editDistance(a, b)).toBe(distance);
    });

    it.each<[string, string[], string | undefined]>([
        ["replica", ["replicas", "region"], "replicas"],
        ["rust-servic", ["rust-service", "aws"], "rust-service"],
        ["k8s", ["kubernetes", "aws"], undefined],
        ["ab", ["xy"], undefined],
        ["env", ["envs", "env2"], "envs"],
    ])("finds the nearest of %j in %j: %j", (word, candidates, expected) => {
        expect(closest(word, candidates)).toBe(expected);
    });
});
