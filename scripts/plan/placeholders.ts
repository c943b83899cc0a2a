/** Marker that replaces every secret value in a plan (secure config, provider-issued credentials). */
export const REDACTED = "<redacted secret>";

/** Marker for a value only a provider can know, e.g. `computed("docker image digest")`. */
export function computed(what: string): string {
    return `<computed: ${what}>`;
}

/**
 * The name Pulumi auto-names a resource with: the logical name plus a random suffix the provider
 * picks at create time, e.g. `web-<computed: random suffix>`.
 */
export function autoName(logicalName: string): string {
    return `${logicalName}-${computed("random suffix")}`;
}
