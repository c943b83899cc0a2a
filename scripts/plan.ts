/**
 * Credential-free plan: evaluates the Pulumi program for a stack under the SDK's mock monitor and
 * writes the Kubernetes manifests, registry/image settings and resource list it would create.
 *
 *   npm run plan -- --stack dev [--out plan/dev] [--project-dir .] [--config-file FILE]
 *                   [--stack-outputs STACK=plan/dev/plan.yaml ...]
 *
 * --config-file reads the stack settings from FILE instead of Pulumi.<stack>.yaml (as the Pulumi
 * CLI's flag of that name does); --stack-outputs answers `new pulumi.StackReference(STACK)` with the
 * outputs recorded in another plan.
 *
 * Deterministic: the same program and stack file always give byte-identical files.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { parse } from "yaml";
import { replaceOwnedDir } from "./lib/ownedDir";
import { evaluateProgram } from "./plan/evaluate";
import { renderPlan } from "./plan/render";

const USAGE = "usage: npm run plan -- --stack NAME [--out DIR] [--project-dir DIR] [--config-file FILE] [--stack-outputs STACK=PLAN.yaml ...]";

function readStackOutputs(specs: string[]): Record<string, Record<string, unknown>> {
    return Object.fromEntries(
        specs.map((spec) => {
            const eq = spec.indexOf("=");
            if (eq <= 0) throw new Error(`--stack-outputs expects STACK=PLAN.yaml, got ${spec}`);
            const plan = parse(fs.readFileSync(spec.slice(eq + 1), "utf8")) as { outputs?: Record<string, unknown> };
            return [spec.slice(0, eq), plan.outputs ?? {}];
        }),
    );
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            out: { type: "string" },
            "project-dir": { type: "string", default: "." },
            "config-file": { type: "string" },
            "stack-outputs": { type: "string", multiple: true, default: [] },
            help: { type: "boolean", default: false },
        },
    });
    if (values.help) {
        console.log(USAGE);
        return;
    }
    if (!values.stack) throw new Error(`--stack is required\n${USAGE}`);
    const projectDir = path.resolve(values["project-dir"] ?? ".");
    const outArg = values.out ?? path.join("plan", values.stack);
    if (outArg.trim() === "") throw new Error(`--out must name a directory (an empty value would mean the current directory)\n${USAGE}`);
    const out = path.resolve(outArg);

    const configFile = values["config-file"] ? path.resolve(values["config-file"]) : undefined;
    const evaluation = await evaluateProgram(projectDir, values.stack, {
        configFile,
        stackOutputs: readStackOutputs(values["stack-outputs"] ?? []),
    });
    const files = renderPlan(evaluation);

    // Replace the whole directory so files of resources that disappeared do not linger; only a
    // directory an earlier plan made (its marker file says so) is ever removed.
    const { removed } = replaceOwnedDir(out, "npm run plan");
    if (removed > 0) console.error(`replaced the previous plan in ${path.relative(process.cwd(), out) || "."} (${removed} entries)`);
    for (const [file, content] of files) {
        const target = path.join(out, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
    }
    const manifests = [...files.keys()].filter((f) => f.startsWith("kubernetes/")).length;
    console.error(
        `plan for stack ${values.stack}: ${evaluation.resources.length} resources, ${manifests} Kubernetes manifests -> ${path.relative(process.cwd(), out) || "."}`,
    );
}

main().catch((err: unknown) => {
    console.error(`plan failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
});
