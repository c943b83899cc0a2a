/**
 * The last release that deployed successfully on a stack, recorded beside its state after every
 * successful `up`, and what a rollback deploys from it. Pure: reading and writing the file is the
 * runner's job. The stack file is kept as the stack holds it, so secret values stay `secure:`
 * ciphertext under the stack's own key.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

/** A successful deploy: when, the image it ran, and the stack file it ran with. */
export interface Release {
    /** ISO time of the successful `up`. */
    deployedAt: string;
    /** The digest-pinned image it ran (the `imageRef` output). */
    imageRef: string;
    /** The stack file (`Pulumi.<stack>.yaml`) as it was: config with secrets encrypted, and the salt. */
    stackFile: string;
}

/** The file name of the record, in the runner's state folder. */
export const LAST_GOOD_FILE = "last-good-release.json";

/** Parses a record; undefined when it is missing fields (never half-trusted). */
export function parseRelease(text: string): Release | undefined {
    const value = JSON.parse(text) as Partial<Release>;
    const ok = typeof value.deployedAt === "string" && typeof value.imageRef === "string" && typeof value.stackFile === "string";
    return ok ? (value as Release) : undefined;
}

/**
 * The stack file a rollback deploys: the release's own config, with its image pinned to the digest
 * it ran. A release whose image the component built (no `image` key) is redeployed from that digest
 * as a prebuilt image, without rebuilding, so its build keys go (they conflict with `image`); a later
 * `pulumi config rm image` builds again.
 */
export function rollbackStackFile(release: Release, project: string, buildKeys: readonly string[]): string {
    const file = (parseYaml(release.stackFile) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, unknown> = { ...(file.config ?? {}) };
    const imageKey = `${project}:image`;
    if (config[imageKey] !== release.imageRef) {
        for (const k of buildKeys) delete config[`${project}:${k}`];
        config[imageKey] = release.imageRef;
    }
    return stringifyYaml({ ...file, config });
}

/** An error diagnostic of the engine, and the type of the resource it was about. */
export interface ResourceFailure {
    type: string;
    message: string;
}

/**
 * Whether a failed `up` is the workload's (it did not become ready), which a rollback answers, as
 * opposed to bad input, an unreachable cluster or a refused change, which it would only repeat: the
 * Kubernetes provider's error for a Deployment it applied that then did not become ready (a partial
 * failure, which the state records as an init error). An error raised before the Deployment was
 * applied does not say this.
 */
export function isRolloutFailure(failures: readonly ResourceFailure[]): boolean {
    return failures.some((f) => f.type === "kubernetes:apps/v1:Deployment" && /failed to fully initialize or become live/.test(f.message));
}
