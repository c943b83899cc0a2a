/**
 * `up --config KEY=VALUE`, as `pulumi up --config` does: plain values written into the stack file
 * before the run. Pure: the runner reads and writes the file.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { KeySpec } from "../../config";

/**
 * The stack file with each `KEY=VALUE` set under the project's namespace, stored as `pulumi config
 * set` stores it (a string, which the CLI checks against the declared type). Refused, naming the key
 * and never the value: a key the program does not read, and secret or list keys, which go through
 * `config-set` (it keeps a secret off the command line). Nothing is set when any pair is refused.
 */
export function setConfigFlags(stackFile: string, pairs: readonly string[], project: string, keys: Readonly<Record<string, KeySpec>>): string {
    const document = (parseYaml(stackFile) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, unknown> = { ...(document.config ?? {}) };
    for (const pair of pairs) {
        const at = pair.indexOf("=");
        const key = at < 0 ? pair : pair.slice(0, at);
        const spec = Object.hasOwn(keys, key) ? keys[key] : undefined;
        if (at < 1 || !spec) {
            throw new Error(
                `--config needs KEY=VALUE with a key of ${project} (Pulumi.yaml lists them), got the key ${JSON.stringify(key)}; nothing was changed`,
            );
        }
        if (spec.secret || spec.type === "array") {
            const flags = `${spec.type === "array" ? " --list" : ""}${spec.secret ? " --secret" : ""}`;
            throw new Error(`--config cannot set ${key}: use \`config-set ${key} -${flags}\` (the value on stdin); nothing was changed`);
        }
        config[`${project}:${key}`] = pair.slice(at + 1);
    }
    return stringifyYaml({ ...document, config });
}
