/** The cluster toolchain's binaries, as scripts/cluster/toolchain.sh reports them (building what is missing). */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

let cached: Record<string, string> | undefined;

/**
 * Path of every tool by name (`pulumi`, `pulumi-resource-kubernetes`, `kubectl`, `kubelet`, ...); only
 * those RUST_SERVICE_TOOLCHAIN_TOOLS names when it is set (toolchain.sh reads it from the environment).
 */
export function toolchain(): Record<string, string> {
    cached ??= Object.fromEntries(
        execFileSync("bash", [path.join(__dirname, "toolchain.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
            .trim()
            .split("\n")
            .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    return cached;
}

/** Path of one tool; throws naming it when toolchain.sh did not report it. */
export function tool(name: string): string {
    const found = toolchain()[name];
    if (!found) {
        const limit = process.env.RUST_SERVICE_TOOLCHAIN_TOOLS;
        throw new Error(`scripts/cluster/toolchain.sh reported no ${name}${limit ? ` (RUST_SERVICE_TOOLCHAIN_TOOLS="${limit}" leaves it out)` : ""}`);
    }
    return found;
}
