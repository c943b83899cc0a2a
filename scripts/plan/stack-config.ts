import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { asRecord } from "../../components/record";
import { STACK_FILE_SCHEMA } from "../../config";
import { formatStackProblem, readStackFile } from "../../stackFile";
import { REDACTED } from "./placeholders";

/** Config for one stack, in the form the Pulumi language host hands to a program. */
export interface StackConfig {
    /** Project name from Pulumi.yaml. */
    project: string;
    /** Stack name. */
    stack: string;
    /** Fully qualified key (`project:key`, `aws:region`) -> value as the CLI passes it (strings; JSON for objects). */
    values: Record<string, string>;
    /** Keys whose value is (or contains) a `secure:` value; those values are {@link REDACTED}. */
    secretKeys: string[];
    /** The stack settings file the values come from. */
    file: string;
}

type Yaml = unknown;

const SCHEMA_FIELDS = new Set(["type", "default", "value", "description", "secret", "items"]);

function isSecure(v: Yaml): boolean {
    const record = asRecord(v);
    return record !== undefined && Object.keys(record).length === 1 && typeof record.secure === "string";
}

/**
 * Replaces every `{ secure: ... }` leaf with the redaction marker; reports whether there was one.
 * A secure list item becomes `REDACTED_<index>=<redacted secret>` instead: this project's secret
 * lists (`secretEnv`) hold NAME=value pairs, and the NAME is encrypted along with the value.
 */
function redactSecure(v: Yaml, index?: number): { value: Yaml; secret: boolean } {
    if (isSecure(v)) return { value: index === undefined ? REDACTED : `REDACTED_${index}=${REDACTED}`, secret: true };
    if (Array.isArray(v)) {
        const items = v.map((item, i) => redactSecure(item, i));
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    const record = asRecord(v);
    if (record !== undefined) {
        const entries = Object.entries(record).map(([k, x]) => [k, redactSecure(x)] as const);
        return {
            value: Object.fromEntries(entries.map(([k, x]) => [k, x.value])),
            secret: entries.some(([, x]) => x.secret),
        };
    }
    return { value: v, secret: false };
}

/** Renders a config value the way the Pulumi CLI passes it to a program. */
function toConfigString(v: Yaml): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

function qualify(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

function readYaml(file: string): Record<string, Yaml> {
    const doc = asRecord(parse(fs.readFileSync(file, "utf8")) ?? {});
    if (doc === undefined) throw new Error(`${file}: expected a YAML mapping at the top level`);
    return doc;
}

/**
 * Loads the config a `pulumi preview --stack <stack>` would give the program: the project's
 * `config:` defaults from Pulumi.yaml, overridden by Pulumi.<stack>.yaml (or `configFile`, like the
 * CLI's `--config-file`). Secure values cannot be
 * decrypted without the Pulumi CLI and are replaced by {@link REDACTED}.
 */
export function loadStackConfig(projectDir: string, stack: string, configFile?: string): StackConfig {
    const projectFile = path.join(projectDir, "Pulumi.yaml");
    const stackFile = configFile ?? path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        const known = fs
            .readdirSync(projectDir)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined)
            .sort();
        throw new Error(`no stack file ${stackFile}; stacks here: ${known.join(", ") || "none"}`);
    }
    const projectDoc = readYaml(projectFile);
    const project = projectDoc.name;
    if (typeof project !== "string") throw new Error(`${projectFile}: \`name\` must be a string`);

    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();

    const projectConfig = asRecord(projectDoc.config ?? {});
    if (projectConfig === undefined) throw new Error(`${projectFile}: \`config\` must be a mapping`);
    for (const [key, decl] of Object.entries(projectConfig)) {
        const qualified = qualify(project, key);
        const schema = asRecord(decl);
        const isSchema = schema !== undefined && Object.keys(schema).every((k) => SCHEMA_FIELDS.has(k));
        const value = isSchema ? (schema.value ?? schema.default) : decl;
        if (value !== undefined) values[qualified] = toConfigString(value);
    }

    // Read with the program's own linter. Mistakes the program can run with are left to the program, which
    // lints the same file (evaluateProgram names it) and reports them with the problems of the values, as
    // `pulumi up` would; only a file that cannot be read as data stops the plan here.
    const schema = project === STACK_FILE_SCHEMA.project ? STACK_FILE_SCHEMA : { project };
    const { problems, sections } = readStackFile(fs.readFileSync(stackFile), path.basename(stackFile), schema);
    if (sections === undefined) throw new Error(problems.map(formatStackProblem).join("\n"));
    if (sections.environment !== undefined) {
        throw new Error(`${stackFile}: \`environment\` (Pulumi ESC) cannot be resolved without the Pulumi CLI`);
    }
    for (const [key, raw] of Object.entries(sections.config)) {
        const qualified = qualify(project, key);
        const { value, secret } = redactSecure(raw);
        values[qualified] = toConfigString(value);
        if (secret) secretKeys.add(qualified);
    }

    return { project, stack, values, secretKeys: [...secretKeys].sort(), file: stackFile };
}
