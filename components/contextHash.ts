import { createHash, Hash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** One `.dockerignore` rule: a compiled pattern and whether it re-includes (`!pattern`). */
export interface IgnoreRule {
    /** The pattern as written, without the leading `!`. */
    pattern: string;
    /** Anchored regular expression for a slash-separated path relative to the context. */
    regex: RegExp;
    /** True for `!pattern` (re-include). */
    negate: boolean;
}

/** Converts a `.dockerignore` pattern (Go filepath.Match syntax plus `**`) to an anchored RegExp. */
export function dockerignorePatternToRegExp(pattern: string): RegExp {
    let source = "";
    for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i];
        if (ch === "*") {
            if (pattern[i + 1] === "*") {
                i++;
                if (pattern[i + 1] === "/") {
                    i++;
                    source += "(?:.*/)?";
                } else {
                    source += ".*";
                }
            } else {
                source += "[^/]*";
            }
        } else if (ch === "?") {
            source += "[^/]";
        } else if (ch === "\\" && i + 1 < pattern.length) {
            i++;
            source += escapeRegExp(pattern[i]);
        } else if (ch === "[") {
            const end = pattern.indexOf("]", i + 1);
            if (end < 0) {
                source += "\\[";
            } else {
                let body = pattern.slice(i + 1, end);
                if (body.startsWith("!") || body.startsWith("^")) {
                    body = "^" + body.slice(1);
                }
                source += `[${body.replace(/\\/g, "\\\\")}]`;
                i = end;
            }
        } else {
            source += escapeRegExp(ch);
        }
    }
    return new RegExp(`^${source}$`);
}

function escapeRegExp(ch: string): string {
    return /[.+^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

/** Parses `.dockerignore` text into rules, as Docker does: comments and blank lines skipped, paths cleaned, leading `/` dropped. */
export function parseDockerignore(text: string): IgnoreRule[] {
    const rules: IgnoreRule[] = [];
    for (const rawLine of text.split(/\r?\n/)) {
        let line = rawLine.trim();
        if (line === "" || line.startsWith("#")) {
            continue;
        }
        const negate = line.startsWith("!");
        if (negate) {
            line = line.slice(1).trim();
        }
        let cleaned = path.posix.normalize(line).replace(/^\/+/, "").replace(/\/+$/, "");
        if (cleaned === "" || cleaned === ".") {
            cleaned = "**";
        }
        rules.push({ pattern: cleaned, regex: dockerignorePatternToRegExp(cleaned), negate });
    }
    return rules;
}

/** Whether Docker leaves `relPath` (slash-separated, relative to the context) out: the last rule matching it or a parent wins. */
export function isIgnored(rules: readonly IgnoreRule[], relPath: string): boolean {
    const parts = relPath.split("/");
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let ignored = false;
    for (const rule of rules) {
        if (prefixes.some((prefix) => rule.regex.test(prefix))) {
            ignored = !rule.negate;
        }
    }
    return ignored;
}

/**
 * Whether a `!` rule could re-include something below directory `relDir`, so an ignored directory
 * must still be walked. Conservative: answers true whenever it cannot rule a match out.
 */
export function mayReincludeBelow(rules: readonly IgnoreRule[], relDir: string): boolean {
    const dirParts = relDir.split("/");
    return rules.some((rule) => {
        if (!rule.negate) {
            return false;
        }
        const parts = rule.pattern.split("/");
        for (let i = 0; i < dirParts.length; i++) {
            const part = parts[i];
            if (part === undefined || part.includes("**")) {
                return true;
            }
            if (!dockerignorePatternToRegExp(part).test(dirParts[i])) {
                return false;
            }
        }
        return true;
    });
}

/** What the image build depends on, hashed into the default image tag. */
export interface BuildFingerprintInput {
    /** Build context directory (as given to docker.Image). */
    context: string;
    /** Dockerfile path (as given to docker.Image). */
    dockerfile: string;
    /** Target platform, e.g. linux/amd64. */
    platform: string;
    /** Build arguments. */
    args?: Record<string, string>;
    /** Build target stage. */
    target?: string;
    /** Cache-from image references. */
    cacheFrom?: string[];
}

/**
 * A SHA-256 over everything the build reads: the files Docker would send as context (honouring
 * `.dockerignore`), the Dockerfile, and the build settings. Errs on the side of hashing more: a file
 * hashed needlessly only costs a new tag, while a missed change would reuse an immutable tag.
 */
export function buildFingerprint(input: BuildFingerprintInput): string {
    const hash = createHash("sha256");
    const settings = {
        context: input.context,
        dockerfile: input.dockerfile,
        platform: input.platform,
        target: input.target ?? "",
        cacheFrom: input.cacheFrom ?? [],
        args: Object.keys(input.args ?? {}).sort().map((key) => [key, (input.args ?? {})[key]]),
    };
    hash.update(JSON.stringify(settings)).update("\0");
    hash.update("dockerfile\0").update(fs.readFileSync(input.dockerfile)).update("\0");

    // BuildKit (and the provider's own hash) prefer `<Dockerfile>.dockerignore` over the context's.
    const ignoreFile = [`${input.dockerfile}.dockerignore`, path.join(input.context, ".dockerignore")].find((file) => fs.existsSync(file));
    const ignoreText = ignoreFile ? fs.readFileSync(ignoreFile, "utf8") : "";
    hash.update("dockerignore\0").update(ignoreText).update("\0");
    hashDirectory(hash, input.context, "", parseDockerignore(ignoreText));
    return hash.digest("hex");
}

function hashDirectory(hash: Hash, root: string, rel: string, rules: readonly IgnoreRule[]): void {
    const entries = ifPresent(() => fs.readdirSync(path.join(root, rel), { withFileTypes: true })) ?? [];
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
        const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
        const ignored = isIgnored(rules, relPath);
        const full = path.join(root, relPath);
        if (entry.isDirectory()) {
            // Skip an ignored directory (target/ can hold gigabytes) unless a `!` rule may re-include part of it.
            if (!ignored || mayReincludeBelow(rules, relPath)) {
                hashDirectory(hash, root, relPath, rules);
            }
        } else if (!ignored) {
            const file = ifPresent(() => ({
                // Permission bits end up in the image layer, and the provider hashes them too.
                mode: (fs.lstatSync(full).mode & 0o7777).toString(8),
                content: entry.isSymbolicLink() ? Buffer.from(fs.readlinkSync(full)) : fs.readFileSync(full),
            }));
            if (file) {
                hash.update(`${relPath}\0${file.mode}\0${file.content.length}\0`).update(file.content).update("\0");
            }
        }
    }
}

/** Runs `read`, treating a file that vanished meanwhile (a build writing into the context) as absent. */
function ifPresent<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") {
            return undefined;
        }
        throw err;
    }
}
