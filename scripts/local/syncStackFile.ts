/**
 * `--sync-stack-file`: the repository's stack file over the runner's work-directory copy. Pure: the
 * runner reads and writes the files.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

type StackFile = { config?: Record<string, unknown>; encryptionsalt?: unknown; [key: string]: unknown };

/**
 * The repository's stack file as a whole (its config, and its secrets provider and key when it names
 * them), keeping two things the work directory owns: its `encryptionsalt` (the local passphrase's,
 * which encrypted its secrets) and its `image` (set by `local:up` after each build).
 */
export function mergeStackFile(repoText: string, currentText: string | undefined, project: string): string {
    const repo = (parseYaml(repoText) ?? {}) as StackFile;
    const current = (currentText === undefined ? {} : (parseYaml(currentText) ?? {})) as StackFile;
    const config: Record<string, unknown> = { ...(repo.config ?? {}) };
    const image = current.config?.[`${project}:image`];
    if (image !== undefined) config[`${project}:image`] = image;
    const merged: StackFile = { ...repo, config };
    if (current.encryptionsalt !== undefined) merged.encryptionsalt = current.encryptionsalt;
    return stringifyYaml(merged);
}
