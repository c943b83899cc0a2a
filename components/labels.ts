import { createHash } from "crypto";

/**
 * Label naming the stack that owns an object: on the Namespace it makes a second stack's create of
 * the same namespace an apply conflict instead of a silent takeover, and in every selector it keeps
 * two stacks' workloads in one namespace from selecting each other's pods.
 */
export const STACK_LABEL = "rust-service/stack";

/**
 * The {@link STACK_LABEL} value for a project and stack: `<project>.<stack>`, made a valid label value
 * (at most 63 of [A-Za-z0-9._-], alphanumeric at both ends); a longer one keeps its start and ends
 * with a hash of the whole, so distinct stacks keep distinct values.
 */
export function stackLabelValue(project: string, stack: string): string {
    const full = `${project}.${stack}`;
    const cleaned = full.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
    if (cleaned === full && cleaned.length <= 63) return cleaned;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 10);
    return `${cleaned.slice(0, 52).replace(/[^A-Za-z0-9]+$/, "")}-${hash}`;
}

/** Labels for every object and the (smaller, immutable) selector labels. */
export function buildLabels(
    appName: string,
    instance: string,
    stack: string,
    extra: Record<string, string> = {},
): { labels: Record<string, string>; selector: Record<string, string> } {
    const selector = {
        "app.kubernetes.io/name": appName,
        "app.kubernetes.io/instance": instance,
        [STACK_LABEL]: stack,
    };
    return {
        selector,
        labels: { ...extra, ...selector, "app.kubernetes.io/managed-by": "pulumi" },
    };
}

/** Label keys the component sets itself; `labels` may not override them. */
export const OWNED_LABEL_KEYS: readonly string[] = Object.freeze([
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    STACK_LABEL,
]);
