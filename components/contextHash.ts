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
        args: Object.keys(input.args ?? {})
            .sort()
            .map((key) => [key, (input.args ?? {})[key]]),
    };
    hash.update(JSON.stringify(settings)).update("\0");
    hash.update("dockerfile\0").update(fs.readFileSync(input.dockerfile)).update("\0");

    // BuildKit (and the provider's own hash) prefer `<Dockerfile>.dockerignore` over the context's.
    const ignoreText = dockerignoreText(input.context, input.dockerfile);
    hash.update("dockerignore\0").update(ignoreText).update("\0");
    hashDirectory(hash, input.context, "", contextFilter(ignoreText));
    return hash.digest("hex");
}

/** Directories that are never meant to be sent to Docker, and are large when present. */
const HEAVY_DIRECTORIES = ["node_modules", ".git", "target"];

/** Bounds on what a build context may hold: beyond them the context is almost surely the wrong directory. */
export const CONTEXT_LIMITS = { files: 20_000, bytes: 2 * 2 ** 30 };

/** Reads the `.dockerignore` that applies to a build (BuildKit prefers `<Dockerfile>.dockerignore`). */
function dockerignoreText(context: string, dockerfile: string): string {
    const ignoreFile = [`${dockerfile}.dockerignore`, path.join(context, ".dockerignore")].find((file) => fs.existsSync(file));
    return ignoreFile ? fs.readFileSync(ignoreFile, "utf8") : "";
}

/**
 * Why this build context cannot be hashed and sent as it is, or an empty list: a directory that is
 * never meant for Docker (node_modules/, .git/, a Rust target/) not left out by `.dockerignore`, more
 * files or bytes than {@link CONTEXT_LIMITS}, or a FIFO, socket or device (reading one would hang).
 * Reads names and sizes only; stops at the first limit crossed.
 */
export function contextProblems(context: string, dockerfile: string, limits = CONTEXT_LIMITS): string[] {
    const filter = contextFilter(dockerignoreText(context, dockerfile));
    const problems: string[] = [];
    const totals = { files: 0, bytes: 0 };
    const fix = "narrow the build context to the service's directory, or list it in .dockerignore";
    const walk = (rel: string): boolean => {
        for (const entry of sortedEntries(context, rel)) {
            const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
            const ignored = isIgnored(filter, relPath);
            if (entry.isDirectory()) {
                if (!ignored && HEAVY_DIRECTORIES.includes(entry.name)) {
                    problems.push(`holds ${relPath}/, which Docker would hash and send with every build: ${fix}`);
                } else if ((!ignored || mayReincludeBelow(filter, relPath)) && !walk(relPath)) {
                    return false;
                }
            } else if (!ignored) {
                if (!entry.isFile() && !entry.isSymbolicLink()) {
                    problems.push(`holds ${relPath}, a ${kindOf(entry)} that cannot be part of an image: remove it or list it in .dockerignore`);
                    continue;
                }
                totals.files += 1;
                totals.bytes += ifPresent(() => fs.lstatSync(path.join(context, relPath)).size) ?? 0;
                if (totals.files > limits.files || totals.bytes > limits.bytes) {
                    problems.push(
                        `holds more than ${limits.files} files or ${(limits.bytes / 2 ** 30).toFixed(0)} GiB (stopped counting at ${relPath}), ` +
                            `far more than a service's source: ${fix}`,
                    );
                    return false;
                }
            }
        }
        return true;
    };
    walk("");
    return problems;
}

function kindOf(entry: fs.Dirent): string {
    return entry.isFIFO() ? "FIFO" : entry.isSocket() ? "socket" : entry.isCharacterDevice() || entry.isBlockDevice() ? "device" : "special file";
}

function sortedEntries(root: string, rel: string): fs.Dirent[] {
    const entries = ifPresent(() => fs.readdirSync(path.join(root, rel), { withFileTypes: true })) ?? [];
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function hashDirectory(hash: Hash, root: string, rel: string, filter: ContextFilter): void {
    for (const entry of sortedEntries(root, rel)) {
        const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
        const ignored = isIgnored(filter, relPath);
        const full = path.join(root, relPath);
        if (entry.isDirectory()) {
            // Skip an ignored directory (target/ can hold gigabytes) unless a `!` rule may re-include part of it.
            if (!ignored || mayReincludeBelow(filter, relPath)) {
                hashDirectory(hash, root, relPath, filter);
            }
        } else if (!ignored && (entry.isFile() || entry.isSymbolicLink())) {
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
