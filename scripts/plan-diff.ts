/**
 * Diffs two plans written by `npm run plan` as readable unified diffs (or Markdown for a
 * pull-request comment).
 *
 *   npm run plan:diff -- OLD_PLAN_DIR NEW_PLAN_DIR [--markdown [--title TEXT]] [--missing-as-empty] [--exit-code]
 *
 * Exits 0 whether or not the plans differ, unless --exit-code is given: then 1 means "changed".
 * Any error (a missing plan, a bad argument) exits 2.
 */
import { parseArgs } from "util";
import { diffPlans, renderMarkdown, renderText } from "./plan/diff";

const USAGE = "usage: npm run plan:diff -- OLD_PLAN_DIR NEW_PLAN_DIR [--markdown [--title TEXT]] [--missing-as-empty] [--exit-code]";

function main(): number {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: {
            markdown: { type: "boolean", default: false },
            title: { type: "string", default: "Plan" },
            "missing-as-empty": { type: "boolean", default: false },
            "exit-code": { type: "boolean", default: false },
            help: { type: "boolean", default: false },
        },
    });
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    if (positionals.length !== 2) throw new Error(`expected two plan directories, got ${positionals.length}\n${USAGE}`);
    const changes = diffPlans(positionals[0], positionals[1], values["missing-as-empty"]);
    process.stdout.write(values.markdown ? renderMarkdown(changes, values.title ?? "Plan") : renderText(changes));
    return values["exit-code"] && changes.length > 0 ? 1 : 0;
}

try {
    process.exitCode = main();
} catch (err) {
    console.error(`plan:diff failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
}
