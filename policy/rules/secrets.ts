/**
 * Secret material must reach pods through Kubernetes Secrets (`secretKeyRef` / `secretRef`), never
 * as a literal env value or ConfigMap entry: both are plaintext in the cluster, in `kubectl get -o
 * yaml`, and in every backup. Messages name the variable or key, never the value.
 */
import { asArray, asRecord, ConfigProperty, configStrings, isUnknown, ResourceInput, ResourceRule, Violation } from "./types";
import { containersOf, POD_TEMPLATE_TYPES, withPodSpec } from "./workloads";

// Anywhere in the name, even glued to other words (`DBPASSWORD`, `clientsecret`).
const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)/;

// Abbreviations that only count as whole words: `DB_PASS`, `dbPass`, `MYSQL_PWD`, but not
// `PASSENGER_COUNT` or `OLDPWD`.
const SECRET_WORDS = ["PASS", "PWD"];

// Names that mention a secret but hold metadata about it (a file path, a lifetime, an id).
const METADATA_WORDS = [
    "FILE",
    "PATH",
    "DIR",
    "NAME",
    "ID",
    "TTL",
    "SECONDS",
    "TIMEOUT",
    "URL",
    "URI",
    "ENDPOINT",
    "HEADER",
    "ENABLED",
    "LENGTH",
    "EXPIRY",
    "REF",
];

// A `*_KEY` is a credential (`STRIPE_KEY`, `SIGNING_KEY`, `tls.key`) unless the word before says it
// is public or a lookup key of a cache, a table or a queue.
const PUBLIC_KEY_KINDS = ["PUBLIC", "PUB", "PUBLISHABLE", "CACHE", "PARTITION", "SORT", "PRIMARY", "ROUTING", "SHARD", "IDEMPOTENCY", "LOCK"];

/** The upper-cased words of a name: `dbPass` and `db-pass` and `DB_PASS` are all `DB`, `PASS`. */
function nameWords(name: string): string[] {
    return name
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .split(/[^A-Za-z0-9]+/)
        .filter((word) => word !== "")
        .map((word) => word.toUpperCase());
}

/**
 * True when a variable or key name says it holds a secret (`DB_PASSWORD`, `apiKey`, `GITHUB_TOKEN`,
 * `DB_PASS`, `MYSQL_PWD`, `STRIPE_KEY`). The verdicts for borderline names are tabled in
 * `test/policy/secrets.test.ts`.
 */
export function looksLikeSecretName(name: string): boolean {
    const words = nameWords(name);
    const last = words[words.length - 1];
    if (words.length === 0 || (words.length > 1 && METADATA_WORDS.includes(last))) {
        return false;
    }
    if (SECRET_NAME.test(words.join("_"))) {
        return true;
    }
    // Alone, `PWD` is the shell's working directory and `KEY` the key of a map entry.
    if (words.length === 1) {
        return last === "PASS";
    }
    if (words.some((word) => SECRET_WORDS.includes(word))) {
        return true;
    }
    return (last === "KEY" || last === "KEYS") && !PUBLIC_KEY_KINDS.includes(words[words.length - 2]);
}

// A Kubernetes dependent env var reference: `$(DB_PASSWORD)` expands another variable (typically one
// from a secretKeyRef) at container start, so the literal holds no secret itself. `${DB_PASSWORD}`
// is the same placeholder in a config file that the application or envsubst expands.
const ENV_REFERENCE = /^\$(\([A-Za-z_][A-Za-z0-9_]*\)|\{[A-Za-z_][A-Za-z0-9_]*\})$/;

/** Values that cannot be a credential: empty, booleans, plain numbers, a `$(VAR)` or `${VAR}` reference. */
function isTrivialValue(value: string): boolean {
    return /^\s*$/.test(value) || /^(true|false|yes|no|on|off)$/i.test(value) || /^-?\d+(\.\d+)?$/.test(value) || ENV_REFERENCE.test(value);
}

/** Credential formats recognisable by their shape, whatever the variable is called. */
export const SECRET_VALUE_PATTERNS: readonly { label: string; pattern: RegExp }[] = [
    { label: "an AWS access key id", pattern: /\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
    { label: "a PEM private key", pattern: /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/ },
    { label: "a GitHub token", pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/ },
    { label: "a Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
    { label: "a Stripe live key", pattern: /\b[sr]k_live_[0-9A-Za-z]{16,}/ },
    { label: "a Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
    { label: "a JSON Web Token", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
    // The password part may not be a `$(VAR)` / `${VAR}` reference, which is how a URL is composed from a Secret.
    { label: "a URL with an embedded password", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:(?!\$[({])[^/\s@]+@/i },
];

/** A node of a JSON document on the walk: where it sits, the name it is judged by, and the name of the object holding it. */
interface JsonNode {
    parent?: JsonNode;
    key?: string;
    value: unknown;
    name?: string;
    holder?: string;
    /** An array element, which takes the array's name but gives its own members none. */
    element?: boolean;
}

/**
 * The first string member of a JSON object or array whose name says it holds a secret, as a dotted
 * path (`db.password`, `users.0.pass`), or `undefined`. A member is judged by its own name and by
 * that name joined to the name of the object holding it, because nesting splits a name:
 * `{"smtp": {"pwd": ...}}` reads as `SMTP_PWD`, `{"stripe": {"key": ...}}` as `STRIPE_KEY`. A string
 * in an array is judged by the array's name (`{"apiKeys": [...]}`); an object in an array gives its
 * members no holder (`{"headers": [{"key": ...}]}` stays `key`).
 */
export function secretJsonMember(document: unknown): string | undefined {
    // Breadth-first over a work list, so a deeply nested document cannot exhaust the call stack.
    const pending: JsonNode[] = [{ value: document }];
    for (let i = 0; i < pending.length; i++) {
        const current = pending[i];
        const { value: node, name, holder, element } = current;
        if (Array.isArray(node)) {
            node.forEach((child, index) => pending.push({ parent: current, key: String(index), value: child, name, holder, element: true }));
        } else if (typeof node === "object" && node !== null) {
            for (const [key, child] of Object.entries(node)) {
                pending.push({ parent: current, key, value: child, name: key, holder: element ? undefined : name });
            }
        } else if (typeof node === "string" && name !== undefined && !isTrivialValue(node)) {
            if (looksLikeSecretName(name) || (holder !== undefined && looksLikeSecretName(`${holder}.${name}`))) {
                return jsonPath(current);
            }
        }
    }
    return undefined;
}

/** `value` parsed, when it is a JSON object or array; `undefined` otherwise. */
function jsonDocument(value: string): unknown {
    if (!/^\s*[[{]/.test(value)) {
        return undefined;
    }
    try {
        return JSON.parse(value);
    } catch {
        return undefined;
    }
}

function jsonPath(node: JsonNode): string {
    const keys: string[] = [];
    for (let cursor: JsonNode | undefined = node; cursor?.key !== undefined; cursor = cursor.parent) {
        keys.push(cursor.key);
    }
    return keys.reverse().join(".");
}

/**
 * What kind of credential `value` looks like, or `undefined`. Also walks a JSON document and scans
 * the `key: value` lines of other config files.
 */
export function secretValueKind(value: string): string | undefined {
    const match = SECRET_VALUE_PATTERNS.find(({ pattern }) => pattern.test(value));
    if (match !== undefined) {
        return match.label;
    }
    // A JSON document is judged by its structure, not line by line: `"password": {` opens an object.
    const document = jsonDocument(value);
    if (document !== undefined) {
        const member = secretJsonMember(document);
        return member === undefined ? undefined : `a JSON document assigning "${member}"`;
    }
    for (const line of value.split("\n")) {
        const assignment = /^\s*["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*["']?([^"'\s#]+)/.exec(line);
        if (assignment !== null && value.includes("\n") && looksLikeSecretName(assignment[1]) && !isTrivialValue(assignment[2])) {
            return `a config file assigning "${assignment[1]}"`;
        }
    }
    return undefined;
}

/** Why a name/value pair looks like a secret, or `undefined`. */
export function secretReason(name: string, value: string, allowedNames: readonly string[] = []): string | undefined {
    if (allowedNames.includes(name) || isTrivialValue(value)) {
        return undefined;
    }
    const kind = secretValueKind(value);
    if (kind !== undefined) {
        return `its value looks like ${kind}`;
    }
    return looksLikeSecretName(name) ? "its name says it holds a secret and it has a literal value" : undefined;
}

const ALLOWED_NAMES: Record<string, ConfigProperty> = {
    allowedNames: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Exact names that may hold a literal value even though they look secret (for example MAX_TOKENS).",
    },
};

// kube-linter `env-var-secret` (name pattern with a literal value); Polaris `sensitiveContainerEnvVar`;
// Kubernetes docs "Good practices for Kubernetes Secrets".
/** No container env var holds a literal value that looks like a secret. */
export function checkSecretEnv({ type, props }: ResourceInput, config: Record<string, unknown>): Violation[] {
    const allowed = configStrings(config, "allowedNames");
    return withPodSpec(type, props, (spec) =>
        containersOf(spec).flatMap((c) =>
            asArray(c.value.env).flatMap((entry) => {
                const env = asRecord(entry);
                const name = env?.name;
                const value = env?.value;
                if (typeof name !== "string" || typeof value !== "string") {
                    return [];
                }
                const reason = secretReason(name, value, allowed);
                return reason === undefined
                    ? []
                    : [{ message: `${c.label}: env ${name} must not be a literal: ${reason}; put it in a Secret and use valueFrom.secretKeyRef.` }];
            }),
        ),
    );
}

/** Pulumi type tokens of ConfigMaps, whose entries pods read through `envFrom` and volumes. */
export const CONFIG_MAP_TYPES: readonly string[] = ["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch"];

// Polaris `sensitiveConfigmapContent`; Kubernetes docs: "ConfigMap does not provide secrecy or
// encryption. If the data you want to store are confidential, use a Secret".
/** No ConfigMap entry is named like, or looks like, a secret. */
export function checkConfigMapSecrets({ props }: ResourceInput, config: Record<string, unknown>): Violation[] {
    const allowed = configStrings(config, "allowedNames");
    const violations: Violation[] = [];
    for (const field of ["data", "binaryData"] as const) {
        const entries = asRecord(props[field]) ?? {};
        for (const [key, value] of Object.entries(entries)) {
            if (isUnknown(value) || allowed.includes(key)) {
                continue;
            }
            const reason =
                typeof value === "string" && field === "data"
                    ? secretReason(key, value, allowed)
                    : looksLikeSecretName(key)
                      ? "its name says it holds a secret"
                      : undefined;
            if (reason !== undefined) {
                violations.push({ message: `${field}.${key}: ${reason}; move it to a Secret (ConfigMaps are not confidential).` });
            }
        }
    }
    return violations;
}

/** The secret-handling rules. */
export const secretRules: ResourceRule[] = [
    {
        kind: "resource",
        name: "secret-env-literal",
        description: "No container env var may hold a literal value that looks like a secret (by name or by value).",
        enforcementLevel: "mandatory",
        sources: ["kube-linter env-var-secret", "Polaris sensitiveContainerEnvVar", "Kubernetes: Good practices for Kubernetes Secrets"],
        types: POD_TEMPLATE_TYPES,
        configSchema: ALLOWED_NAMES,
        check: checkSecretEnv,
    },
    {
        kind: "resource",
        name: "secret-configmap-entries",
        description: "No ConfigMap key may be named like a secret or hold a value that looks like one.",
        enforcementLevel: "mandatory",
        sources: ["Polaris sensitiveConfigmapContent", "Kubernetes: ConfigMaps (not for confidential data)"],
        types: CONFIG_MAP_TYPES,
        configSchema: ALLOWED_NAMES,
        check: checkConfigMapSecrets,
    },
];
