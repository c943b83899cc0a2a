/**
 * Directories a command writes and may later replace. A command deletes a directory only when a
 * marker file it wrote there proves that it made it; anything else is refused, nothing touched.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Name of the marker file inside an owned directory. */
export const OWNER_MARKER = ".rust-service-owner";

/**
 * Empties `dir` for a new run of `owner` (e.g. `npm run plan`) and marks it as that command's: a
 * missing or empty directory is created; one holding this owner's marker is removed and created
 * again (returns how many entries went, for the caller to say); anything else throws, untouched.
 */
export function replaceOwnedDir(dir: string, owner: string): { removed: number } {
    if (dir.trim() === "") throw new Error(`${owner}: the output directory must not be empty (it would mean the current directory)`);
    const target = path.resolve(dir);
    let removed = 0;
    if (fs.existsSync(target)) {
        if (!fs.statSync(target).isDirectory()) throw new Error(`${owner}: ${target} exists and is not a directory; choose another output directory`);
        const entries = fs.readdirSync(target);
        if (entries.length > 0) {
            const marker = path.join(target, OWNER_MARKER);
            const mine = fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() === owner;
            if (!mine) {
                throw new Error(
                    `${owner}: refusing to replace ${target}: it holds ${entries.length} entries and was not made by ${owner} ` +
                        `(no ${OWNER_MARKER} file naming it); choose a new or empty output directory, nothing was deleted`,
                );
            }
            removed = entries.filter((e) => e !== OWNER_MARKER).length;
            fs.rmSync(target, { recursive: true });
        }
    }
    fs.mkdirSync(target, { recursive: true });
    fs.writeFileSync(path.join(target, OWNER_MARKER), `${owner}\n`);
    return { removed };
}
