/**
 * A stack's state as the file backend keeps it, read without running the CLI. Read only: writes go
 * through the engine or `stack import`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { PendingOperation } from "./recovery";

/** The exported form of a stack's state (`stack export`'s `deployment`, the checkpoint's `latest`). */
export interface Deployment {
    resources?: { urn: string; type: string; id?: string; outputs?: Record<string, unknown>; [key: string]: unknown }[];
    pending_operations?: PendingOperation[];
}

/**
 * The latest state of a stack in the file backend at `backend` (the folder `file://` names), from its
 * checkpoint `.pulumi/stacks/<project>/<stack>.json` (`.json.gz` when the backend was told to compress,
 * PULUMI_SELF_MANAGED_STATE_GZIP); undefined before the stack's first operation.
 */
export function readCheckpoint(backend: string, project: string, stackName: string): Deployment | undefined {
    const file = path.join(backend, ".pulumi", "stacks", project, `${stackName}.json`);
    let text: string;
    if (fs.existsSync(file)) text = fs.readFileSync(file, "utf8");
    else if (fs.existsSync(`${file}.gz`)) text = zlib.gunzipSync(fs.readFileSync(`${file}.gz`)).toString("utf8");
    else return undefined;
    return (JSON.parse(text) as { checkpoint?: { latest?: Deployment } }).checkpoint?.latest ?? {};
}
