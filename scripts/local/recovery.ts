/**
 * What the runner does with the leftovers of an interrupted run (a killed engine): a lock whose
 * process is gone, and pending operations. Pure but for {@link pidAlive}: the runner reads the lock
 * files, the state and the cluster, and applies the plan.
 */

import * as fs from "node:fs";

/** A lock file of the file backend (`.pulumi/locks/.../<id>.json`). */
export interface LockInfo {
    pid: number;
    hostname: string;
    timestamp?: string;
}

/** Whether a lock is stale: taken on this host by a process that no longer runs. */
export function isStaleLock(lock: LockInfo, hostname: string, alive: (pid: number) => boolean): boolean {
    return lock.hostname === hostname && !alive(lock.pid);
}

/**
 * Whether a process runs. A killed engine stays visible until it is reaped, which under a container's
 * init can take a while: a zombie (Linux /proc state Z or X) counts as gone.
 */
export function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
    } catch {
        return true; // no /proc (macOS): the signal's answer stands
    }
}

/** A pending operation as the exported state holds it. */
export interface PendingOperation {
    type: string;
    resource: { urn: string; type: string; inputs?: { metadata?: { name?: string; namespace?: string } }; [key: string]: unknown };
}

/** The Kubernetes object a pending create made, as the cluster has it (labels only), or undefined. */
export type ObjectLookup = (type: string, name: string, namespace: string | undefined) => { labels: Record<string, string> } | undefined;

/** What to do with the pending operations: objects to put in the state by ID, and operations to drop. */
export interface RecoveryPlan {
    /** Pending creates whose object exists and carries this stack's label: recorded with this ID. */
    adopt: { op: PendingOperation; id: string }[];
    /** Everything else, dropped from the state with a warning naming it (a refresh then reads the rest). */
    drop: { op: PendingOperation; reason: string }[];
}

/**
 * Plans the pending operations: a create of a Kubernetes object that exists in the cluster with this
 * stack's label is adopted (so it is neither orphaned nor created twice under a new auto-name); a
 * create of anything else, and every other operation, is dropped, and the refresh that follows reads
 * the resources' real state.
 */
export function planRecovery(pending: readonly PendingOperation[], stackLabel: [string, string], lookup: ObjectLookup): RecoveryPlan {
    const plan: RecoveryPlan = { adopt: [], drop: [] };
    for (const op of pending) {
        const name = op.resource.inputs?.metadata?.name;
        if (op.type !== "creating" || !op.resource.type.startsWith("kubernetes:") || !name) {
            plan.drop.push({
                op,
                reason: op.type === "creating" ? "not a Kubernetes object with a name" : `interrupted while ${op.type}; the refresh reads it`,
            });
            continue;
        }
        const namespace = op.resource.inputs?.metadata?.namespace;
        const found = lookup(op.resource.type, name, namespace);
        if (!found) {
            plan.drop.push({ op, reason: "its create never reached the cluster" });
        } else if (found.labels[stackLabel[0]] !== stackLabel[1]) {
            plan.drop.push({ op, reason: `the object in the cluster is not this stack's (its ${stackLabel[0]} label is not ${stackLabel[1]})` });
        } else {
            plan.adopt.push({ op, id: namespace ? `${namespace}/${name}` : name });
        }
    }
    return plan;
}
