// Runs one Pulumi operation on a consumer project's program, inline on the Automation API of the
// consumer's own @pulumi/pulumi (no Node.js language host here), and prints one JSON result:
//   node run.js PROGRAM.js PROJECT STACK up|preview|destroy|outputs [KEY=VALUE ...]
// KEY=VALUE pairs are set as the stack's config (`PROJECT:KEY`). The backend, passphrase, PULUMI_HOME
// and the PATH holding the CLI and the Kubernetes provider come from the environment.
"use strict";
const fs = require("fs");
const path = require("path");
const { LocalWorkspace } = require("@pulumi/pulumi/automation");

async function main() {
    const [programFile, project, stackName, command, ...pairs] = process.argv.slice(2);
    const program = require(path.resolve(programFile));
    // The stack's config file lives here between runs (the Automation API's default is a fresh temp dir).
    const workDir = path.resolve(`.pulumi-${project}`);
    fs.mkdirSync(workDir, { recursive: true });
    const stack = await LocalWorkspace.createOrSelectStack(
        { projectName: project, stackName, program },
        { workDir, envVars: { PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" } },
    );
    for (const pair of pairs) {
        const eq = pair.indexOf("=");
        await stack.setConfig(`${project}:${pair.slice(0, eq)}`, { value: pair.slice(eq + 1) });
    }
    const steps = [];
    const errors = [];
    const onEvent = (event) => {
        const pre = event.resourcePreEvent;
        if (pre) steps.push({ op: pre.metadata.op, type: pre.metadata.type, urn: pre.metadata.urn });
        const diagnostic = event.diagnosticEvent;
        if (diagnostic && diagnostic.severity === "error") errors.push(diagnostic.message.trimEnd());
    };
    const onOutput = (text) => process.stderr.write(text);
    const values = (outputs) => Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
    try {
        if (command === "up") {
            const result = await stack.up({ onEvent, onOutput });
            return { ok: true, steps, changes: result.summary.resourceChanges, outputs: values(result.outputs) };
        }
        if (command === "preview") {
            const result = await stack.preview({ onEvent, onOutput });
            return { ok: true, steps, changes: result.changeSummary };
        }
        if (command === "destroy") {
            const result = await stack.destroy({ onEvent, onOutput });
            return { ok: true, steps, changes: result.summary.resourceChanges };
        }
        if (command === "outputs") return { ok: true, outputs: values(await stack.outputs()) };
        throw new Error(`unknown command ${command}`);
    } catch (error) {
        return { ok: false, steps, error: errors.length > 0 ? errors.join("\n") : String(error.message) };
    }
}

main().then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error) => {
        process.stdout.write(`${JSON.stringify({ ok: false, error: String(error.stack || error) })}\n`);
        process.exitCode = 1;
    },
);
