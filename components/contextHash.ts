import { createHash, Hash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import ignore, { Ignore } from "@balena/dockerignore";

/** What Docker leaves out of a build context: the `.dockerignore` matcher plus the `!` patterns it was given. */
export interface ContextFilter {
    /** Docker's own matching rules (a path is out if it or a parent matches; the last rule wins). */
    matcher: Ignore;
    /** The re-include (`!`) patterns, cleaned, for deciding whether an ignored directory must be walked. */
    reincludes: string[];
}

/** Reads `.dockerignore` text as Docker does on Linux (case-sensitive). */
export function contextFilter(text: string): ContextFilter {
    const reincludes = text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line.startsWith("!"))
        .map((line) => path.posix.normalize(line.slice(1).trim()).replace(/^\/+/, "").replace(/\/+$/, ""));
    return { matcher: ignore({ ignorecase: false }).add(text), reincludes };
}

/** Whether Docker leaves `relPath` (slash-separated, relative to the context) out of the build context. */
export function isIgnored(filter: ContextFilter, relPath: string): boolean {
    return filter.matcher.ignores(relPath);
}

/**
 * Whether a `!` pattern could re-include something below directory `relDir`, so an ignored directory
 * must still be walked. Conservative: answers true whenever it cannot rule a match out, since hashing
 * a file needlessly only costs a new tag.
 */
export function mayReincludeBelow(filter: ContextFilter, relDir: string): boolean {
    const dirParts = relDir.split("/");
    return filter.reincludes.some((pattern) => {
        const parts = pattern.split("/");
        for (const [i, dirPart] of dirParts.entries()) {
            // From a pattern that ends here or spans levels (`**`) on, anything below may match.
            if (parts[i] === undefined || parts[i].includes("**")) {
                return true;
            }
            if (!ignore({ ignorecase: false }).add(parts[i]).ignores(dirPart)) {
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
    hashDirectory(hash, input.context, "", contextFilter(ignoreText));
    return hash.digest("hex");
}

function hashDirectory(hash: Hash, root: string, rel: string, filter: ContextFilter): void {
    const entries = ifPresent(() => fs.readdirSync(path.join(root, rel), { withFileTypes: true })) ?? [];
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
        const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
        const ignored = isIgnored(filter, relPath);
        const full = path.join(root, relPath);
        if (entry.isDirectory()) {
            // Skip an ignored directory (target/ can hold gigabytes) unless a `!` rule may re-include part of it.
            if (!ignored || mayReincludeBelow(filter, relPath)) {
                hashDirectory(hash, root, relPath, filter);
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
