import * as fs from "fs";
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Node, parseDocument, YAMLMap } from "yaml";

/** The sections of a stack file (Pulumi's `workspace.ProjectStack`); the engine ignores any other. */
export const STACK_FILE_SECTIONS = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"] as const;

/** Config namespaces this program's providers read; `pulumi` is the engine's own (its keys are not checked). */
const PROVIDER_NAMESPACES = ["kubernetes", "aws", "docker"] as const;
const ENGINE_NAMESPACE = "pulumi";

/** What the linter knows of a project's own config keys. */
export interface StackFileSchema {
    /** The project name: the namespace of its keys, and of unqualified ones. */
    project: string;
    /** The project's keys by name, with the Pulumi.yaml type and whether the value is a secret; unknown when undefined (then they are not checked). */
    keys?: ReadonlyMap<string, { type: "string" | "integer" | "boolean" | "array"; secret: boolean }>;
}

/** One mistake in a stack file, or in a config key the engine passed. */
export interface StackProblem {
    /** The stack file, when the problem was found in one. */
    file?: string;
    /** The 1-based line of the file. */
    line?: number;
    /** The fully qualified config key the problem is about (`rust-service:greeting`), if any. */
    key?: string;
    /** The key's value cannot be used as given; the program checks everything else with the key's default. */
    unusable?: boolean;
    /** Rule and fix. Never contains a value: any value may be a secret. */
    message: string;
}

/** A problem as one line: `file:line: `key` rule: fix`. */
export function formatStackProblem(problem: StackProblem): string {
    const where = problem.file === undefined ? "" : `${problem.file}${problem.line === undefined ? "" : `:${problem.line}`}: `;
    return `${where}${problem.key === undefined ? "" : `\`${problem.key}\` `}${problem.message}`;
}

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of neighbours as one edit
 * (optimal string alignment), ignoring case: `namepsace` is one edit from `namespace`.
 */
export function editDistance(a: string, b: string): number {
    const [s, t] = [a.toLowerCase(), b.toLowerCase()];
    // Three rows of the table: two rows back (for swaps), the previous one and the current one. Minimums are
    // taken by comparison: this runs once per key and candidate, and Math.min is slow under jest's sandbox.
    let [before, previous, current] = [new Uint32Array(t.length + 1), new Uint32Array(t.length + 1), new Uint32Array(t.length + 1)];
    for (let j = 0; j <= t.length; j++) {
        previous[j] = j;
    }
    for (let i = 1; i <= s.length; i++) {
        current[0] = i;
        for (let j = 1; j <= t.length; j++) {
            let best = previous[j - 1] + (s.charCodeAt(i - 1) === t.charCodeAt(j - 1) ? 0 : 1);
            best = previous[j] + 1 < best ? previous[j] + 1 : best;
            best = current[j - 1] + 1 < best ? current[j - 1] + 1 : best;
            if (i > 1 && j > 1 && s.charCodeAt(i - 1) === t.charCodeAt(j - 2) && s.charCodeAt(i - 2) === t.charCodeAt(j - 1) && before[j - 2] + 1 < best) {
                best = before[j - 2] + 1;
            }
            current[j] = best;
        }
        [before, previous, current] = [previous, current, before];
    }
    return previous[t.length];
}

/** The candidate nearest to `word`, if one is near enough to be a misspelling of it (a third of its letters, 1 to 3 edits). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
    const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
    let best: { candidate: string; distance: number } | undefined;
    for (const candidate of candidates) {
        if (Math.abs(word.length - candidate.length) > limit) {
            continue;
        }
        const distance = editDistance(word, candidate);
        if (distance <= limit && (best === undefined || distance < best.distance)) {
            best = { candidate, distance };
        }
    }
    return best?.candidate;
}

let providerKeyCache: ReadonlyMap<string, ReadonlySet<string>> | undefined;

/**
 * Each provider's config keys, read from the declarations its installed SDK ships (`config/vars.d.ts`;
 * the kubernetes SDK declares them only as `ProviderArgs`), so the list follows every upgrade.
 */
export function providerConfigKeys(): ReadonlyMap<string, ReadonlySet<string>> {
    const declared = (file: string, pattern: RegExp, within?: RegExp) => {
        const text = fs.readFileSync(require.resolve(file), "utf8");
        const names = new Set([...(within?.exec(text)?.[0] ?? text).matchAll(pattern)].map((m) => m[1]));
        if (names.size === 0) {
            throw new Error(`no config keys found in ${file}: its format changed, update providerConfigKeys`);
        }
        return names;
    };
    providerKeyCache ??= new Map([
        ["kubernetes", declared("@pulumi/kubernetes/provider.d.ts", /^ {4}(\w+)\?:/gm, /^export interface ProviderArgs \{[^]*?^\}/m)],
        ["aws", declared("@pulumi/aws/config/vars.d.ts", /^export declare const (\w+)/gm)],
        ["docker", declared("@pulumi/docker/config/vars.d.ts", /^export declare const (\w+)/gm)],
    ]);
    return providerKeyCache;
}

const namespaceCache = new WeakMap<StackFileSchema, ReadonlyMap<string, ReadonlySet<string> | undefined>>();

/** Namespaces this program reads, each with its key names (undefined: any key). */
function namespaces(schema: StackFileSchema): ReadonlyMap<string, ReadonlySet<string> | undefined> {
    let known = namespaceCache.get(schema);
    if (known === undefined) {
        const providers = providerConfigKeys();
        known = new Map<string, ReadonlySet<string> | undefined>([
            [schema.project, schema.keys && new Set(schema.keys.keys())],
            ...PROVIDER_NAMESPACES.map((ns) => [ns, providers.get(ns)] as const),
            [ENGINE_NAMESPACE, undefined],
        ]);
        namespaceCache.set(schema, known);
    }
    return known;
}

/** The first namespace (the project's first) that has a key called `name`, as a qualified key. */
function elsewhere(name: string, known: ReadonlyMap<string, ReadonlySet<string> | undefined>): string | undefined {
    const ns = [...known].find(([, names]) => names?.has(name))?.[0];
    return ns === undefined ? undefined : `${ns}:${name}`;
}

/**
 * The problem with a fully qualified config key (`kubernets:context`, `rust-service:replica`), if it is in a
 * namespace nothing here reads or is not a key of its namespace, with the nearest valid key when one is near.
 * Constant work per key (a map lookup, and distances to a fixed set of names), so checking N keys is linear.
 */
export function lintConfigKey(key: string, schema: StackFileSchema): StackProblem | undefined {
    const colon = key.indexOf(":");
    const [ns, name] = colon < 0 ? [schema.project, key] : [key.slice(0, colon), key.slice(colon + 1)];
    const known = namespaces(schema);
    const names = known.get(ns);
    if (known.has(ns) && (names === undefined || names.has(name))) {
        return undefined;
    }
    const remove = `or remove it with \`pulumi config rm ${key}\``;
    if (!known.has(ns)) {
        const nearNamespace = closest(ns, known.keys());
        const near = nearNamespace !== undefined ? `${nearNamespace}:${name}` : elsewhere(name, known);
        const fix = near !== undefined ? `did you mean \`${near}\`?` : `check the spelling, ${remove}`;
        return { key, message: `is in the namespace \`${ns}\`, which nothing in this program reads (it reads ${[...known.keys()].join(", ")}): ${fix}` };
    }
    const nearName = closest(name, names!);
    const near = nearName !== undefined ? `${ns}:${nearName}` : elsewhere(name, known);
    const fix = near !== undefined ? `did you mean \`${near}\`?` : `check the spelling${ns === schema.project ? " against Pulumi.yaml" : ""}, ${remove}`;
    return { key, message: `${ns === schema.project ? "is not a setting of this program" : `is not a setting of the ${ns} provider`}: ${fix}` };
}

/** Codes of YAML errors whose message is fixed text; the others may quote the file, which may hold a secret. */
const QUOTABLE_YAML_ERRORS = new Set([
    "BAD_INDENT",
    "BLOCK_AS_IMPLICIT_KEY",
    "BLOCK_IN_FLOW",
    "DUPLICATE_KEY",
    "KEY_OVER_1024_CHARS",
    "MISSING_CHAR",
    "MULTILINE_IMPLICIT_KEY",
    "MULTIPLE_ANCHORS",
    "MULTIPLE_DOCS",
    "MULTIPLE_TAGS",
    "TAB_AS_INDENT",
]);

const SECURE = "secure";

/** The tags of YAML's type repository (`!!str`, `!!binary`, ...): the only ones a message names. */
const CORE_TAGS = new Set(["binary", "bool", "float", "int", "map", "merge", "null", "omap", "pairs", "seq", "set", "str", "timestamp", "value", "yaml"]);

/** Whether a node is an encrypted value: a mapping with `secure` only. */
function isSecure(node: unknown): boolean {
    return isMap(node) && node.items.length === 1 && isScalar(node.items[0].key) && node.items[0].key.value === SECURE;
}

/** How a node's kind reads in a message. */
function kind(node: unknown): string {
    return isSeq(node) ? "a list" : isMap(node) ? "a mapping" : "a single value";
}

/**
 * Every node of a value (a depth-first walk), aliases resolved (an alias whose anchor is missing is yielded
 * as it is); each node once, so a cycle of aliases ends.
 */
function* nodes(node: unknown, resolve: (node: unknown) => unknown, seen = new Set<unknown>()): Generator<Node> {
    const target = resolve(node);
    if (seen.has(target)) {
        return;
    }
    seen.add(target);
    if (isAlias(target)) {
        yield target;
    } else if (isMap(target) || isSeq(target)) {
        yield target;
        for (const item of target.items) {
            if (isPair(item)) {
                yield* nodes(item.key, resolve, seen);
                yield* nodes(item.value, resolve, seen);
            } else {
                yield* nodes(item, resolve, seen);
            }
        }
    } else if (isScalar(target)) {
        yield target;
    }
}

function isMergeKey(map: YAMLMap): boolean {
    return map.items.some((pair) => isScalar(pair.key) && pair.key.value === "<<");
}

/** The second occurrence of a plain key given twice in a mapping, if any. */
function repeatedKey(map: YAMLMap): unknown {
    const seen = new Set<unknown>();
    for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) {
            return pair.key;
        }
        seen.add(key);
    }
    return undefined;
}

/** The rule for an encrypted value on a key whose value is not kept secret (the program's choice: refuse it). */
export const ENCRYPTED_NOT_SECRET =
    "is encrypted, but it is not a secret setting: its value would reach the cluster in plain text. Put a secret in `secretEnv` (`pulumi config set --secret --path 'secretEnv[N]' NAME=value`), or set this key in plain text";

/** The rule for a secret key holding plain text. */
export const SECRET_IN_PLAIN_TEXT = "holds a secret in plain text: set it again with `pulumi config set --secret`";

const TYPE_NAMES = { string: "a string", integer: "an integer", boolean: "true or false", array: "a list of strings" } as const;

/** A stack file as data, with its mistakes. */
export interface StackFileReading {
    /** Every mistake, as {@link lintStackFile} finds them. */
    problems: StackProblem[];
    /** The sections, unless the text is not UTF-8 or YAML, or is not a mapping with a mapping (or nothing) under `config`. */
    sections?: { config: Record<string, unknown>; environment?: unknown };
}

/**
 * Every mistake in the text of a stack file (`Pulumi.<stack>.yaml`) that the engine would pass on silently
 * or misread: text that is not UTF-8 or not YAML, sections and keys nothing reads (with the nearest valid
 * one), keys given twice (qualified and not), empty values, YAML tags and merge keys, a value of the wrong
 * shape for its key, secrets in plain text and encrypted values on keys that are not secret. Pure; no
 * message contains a value from the file. Linear in the number of keys.
 */
export function lintStackFile(content: string | Buffer, file: string, schema: StackFileSchema): StackProblem[] {
    return readStackFile(content, file, schema).problems;
}

/** A stack file's sections as data, and its mistakes ({@link lintStackFile}). */
export function readStackFile(content: string | Buffer, file: string, schema: StackFileSchema): StackFileReading {
    let text: string;
    try {
        text = typeof content === "string" ? content : new TextDecoder("utf-8", { fatal: true }).decode(content);
    } catch {
        return { problems: [{ file, message: "is not UTF-8 text: save it as UTF-8, the only encoding Pulumi reads" }] };
    }
    const lines = new LineCounter();
    // Keys given twice are found below with a map per mapping: the parser's own check compares each key
    // with every earlier one, which takes seconds for a file of ten thousand keys.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    if (doc.errors.length > 0) {
        // The structure is unknown past a syntax error, so nothing else can be checked reliably.
        return {
            problems: doc.errors.map((error) => ({
                file,
                line: lines.linePos(error.pos[0]).line,
                message: `is not valid YAML${QUOTABLE_YAML_ERRORS.has(error.code) ? `: ${error.message}` : ` (${error.code})`}: correct the syntax`,
            })),
        };
    }
    const problems: StackProblem[] = [];
    const lineOf = (node: unknown) =>
        node instanceof Object && "range" in node && Array.isArray(node.range) ? lines.linePos(node.range[0] as number).line : undefined;
    const add = (node: unknown, message: string, key?: string, unusable?: boolean) => problems.push({ file, line: lineOf(node), key, unusable, message });

    const root = doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) {
        return { problems, sections: { config: {} } };
    }
    if (!isMap(root)) {
        add(root, `is ${kind(root)}, but a stack file is a mapping of sections (${STACK_FILE_SECTIONS.join(", ")}): put the settings under \`config:\``);
        return { problems };
    }
    let config: unknown;
    const sections = new Map<string, number | undefined>();
    for (const pair of root.items) {
        const section = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (section !== undefined && sections.has(section)) {
            add(pair.key, `has the section \`${section}\` twice (first on line ${sections.get(section)}): keep one`);
            continue;
        }
        if (section !== undefined) {
            sections.set(section, lineOf(pair.key));
        }
        if (section === "config") {
            config = pair.value;
        } else if (section === "<<") {
            add(pair.key, "uses a YAML merge key (`<<`), which Pulumi does not expand: write the sections out");
        } else if (section === undefined || !(STACK_FILE_SECTIONS as readonly string[]).includes(section)) {
            const near = section === undefined ? undefined : closest(section, STACK_FILE_SECTIONS);
            add(
                pair.key,
                `${section === undefined ? "has a section name that is not plain text" : `has the section \`${section}\``}, which Pulumi ignores with everything under it (the sections are ${STACK_FILE_SECTIONS.join(", ")}): ${near !== undefined ? `did you mean \`${near}\`?` : "remove it"}`,
            );
        }
    }
    if (config !== undefined && config !== null && !(isScalar(config) && config.value === null) && !isMap(config)) {
        add(config, `has a \`config\` section that is ${kind(config)}: make it a mapping of keys to values`);
        return { problems };
    }

    // Linear: one map lookup per key to find a key given twice.
    const seen = new Map<string, { written: string; line?: number }>();
    for (const pair of isMap(config) ? config.items : []) {
        const written = isScalar(pair.key) && pair.key.value !== null && typeof pair.key.value !== "object" ? String(pair.key.value) : undefined;
        if (written === undefined) {
            add(pair.key, "has a config key that is not plain text: write keys as `namespace:name`");
            continue;
        }
        if (written === "<<") {
            add(pair.key, "uses a YAML merge key (`<<`) in `config`, which Pulumi does not expand: write the keys out");
            continue;
        }
        const key = written.includes(":") ? written : `${schema.project}:${written}`;
        const first = seen.get(key);
        if (first !== undefined) {
            add(
                pair.key,
                first.written === written
                    ? `is set twice (first on line ${first.line}): keep one`
                    : `is set twice, as \`${first.written}\` (line ${first.line}) and as \`${written}\`: an unqualified key is the project's, so keep one`,
                key,
            );
            continue;
        }
        seen.set(key, { written, line: lineOf(pair.key) });
        const keyProblem = lintConfigKey(key, schema);
        if (keyProblem !== undefined) {
            add(pair.key, keyProblem.message, key);
        }
        const spec = keyProblem === undefined && key.startsWith(`${schema.project}:`) ? schema.keys?.get(key.slice(schema.project.length + 1)) : undefined;
        lintValue(pair.key, pair.value, key, spec, add, doc);
    }
    let data: { config?: Record<string, unknown> | null; environment?: unknown };
    try {
        data = doc.toJS();
    } catch {
        // The only failure left after parsing: an alias (`*name`) to an anchor that is not defined, which
        // the config's own checks have reported unless it is in another section.
        if (problems.length === 0) {
            add(root, "has an alias (`*name`) to an anchor that is not defined before it: define the anchor (`&name`) or write the value out");
        }
        return { problems };
    }
    return { problems, sections: { config: data.config ?? {}, environment: data.environment } };
}

/** The problems with one config value; `spec` is the project key's declaration, when the key is the project's and known. */
function lintValue(
    keyNode: unknown,
    value: unknown,
    key: string,
    spec: { type: keyof typeof TYPE_NAMES; secret: boolean } | undefined,
    add: (node: unknown, message: string, key?: string, unusable?: boolean) => void,
    doc: Document,
): void {
    // An alias (`*name`) stands for the node its anchor (`&name`) marks, as Pulumi reads it.
    const resolve = (node: unknown) => (isAlias(node) ? (node.resolve(doc) ?? node) : node);
    const unresolved = [...nodes(value, resolve)].find((node) => isAlias(node));
    if (unresolved !== undefined) {
        add(unresolved, "refers to an anchor that is not defined before it: define the anchor (`&name`) first, or write the value out", key, true);
        return;
    }
    value = resolve(value);
    if (value === null || value === undefined || (isScalar(value) && value.value === null && value.tag === undefined)) {
        add(keyNode, "has no value (YAML reads it as null): give it one, or remove the line to use the default", key, true);
        return;
    }
    let unusable = false;
    for (const node of nodes(value, resolve)) {
        if (node.tag !== undefined) {
            // Only YAML's own tags are named: an unquoted value starting with `!` (a password, say) is read as a tag.
            const core = /^tag:yaml\.org,2002:([a-z]+)$/.exec(node.tag)?.[1];
            const tag = core !== undefined && CORE_TAGS.has(core) ? `the YAML tag \`!!${core}\`` : "a YAML tag (a value starting with `!`)";
            add(node, `uses ${tag}, which Pulumi does not apply: write the value as plain text (in quotes to keep it a string)`, key, true);
            unusable = true;
        }
        if (isMap(node) && isMergeKey(node)) {
            add(node, "uses a YAML merge key (`<<`), which Pulumi does not expand: write the keys out", key, true);
            unusable = true;
        }
        const repeated = isMap(node) ? repeatedKey(node) : undefined;
        if (repeated !== undefined) {
            add(repeated, "has a mapping with a key given twice: keep one", key, true);
            unusable = true;
        }
    }
    if (unusable || spec === undefined) {
        return;
    }
    const secure = isSecure(value);
    const items = isSeq(value) ? value.items.map(resolve) : [];
    const secureItems = items.filter(isSecure).length;
    if (!spec.secret && (secure || secureItems > 0)) {
        add(value, ENCRYPTED_NOT_SECRET, key, true);
        return;
    }
    if (!secure && spec.type !== "array" && !isScalar(value)) {
        add(value, `is ${kind(value)}, but it takes ${TYPE_NAMES[spec.type]}: give a single value`, key, true);
        return;
    }
    if (!secure && spec.type === "array") {
        if (isMap(value)) {
            add(value, `is a mapping, but it takes ${TYPE_NAMES.array}: write one \`- NAME=value\` line per entry`, key, true);
            return;
        }
        const nested = items.findIndex((item) => !isScalar(item) && !isSecure(item));
        if (nested >= 0) {
            add(
                items[nested],
                `has entry ${nested} that is ${kind(items[nested])}, but entries are strings: write one \`- NAME=value\` line per entry`,
                key,
                true,
            );
            return;
        }
    }
    if (spec.secret && !secure) {
        const plain = isSeq(value) ? items.flatMap((item, i) => (isSecure(item) ? [] : [i])) : isScalar(value) && value.value !== "" ? [0] : [];
        if (plain.length > 0 && secureItems > 0) {
            add(
                items[plain[0]],
                `mixes encrypted and plain-text entries (entr${plain.length === 1 ? "y" : "ies"} ${plain.join(", ")} in plain text): encrypt each with \`pulumi config set --secret --path '${key.slice(key.indexOf(":") + 1)}[N]' NAME=value\``,
                key,
            );
        } else if (plain.length > 0) {
            add(value, SECRET_IN_PLAIN_TEXT, key);
        }
    }
}
