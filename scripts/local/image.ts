/**
 * Prebuilt-image mode without the docker provider plugin: builds service/ with the real Dockerfile
 * through the docker CLI, pushes it to the stack's registry and returns the `repo@sha256:` reference
 * the component deploys. The tag is the image ID, so an unchanged build pushes nothing new and the
 * digest, and therefore the Deployment, stays the same.
 */
import { buildImage, docker, serviceContext } from "../lib/docker";

/** Builds and pushes; resolves with the digest-pinned reference in `<registry>/<repository>`. */
export async function buildAndPush(registry: string, repository: string, log: (line: string) => void = () => undefined): Promise<string> {
    const repo = `${registry}/${repository}`;
    const scratchTag = `${repo}:build`;
    const started = Date.now();
    log(`building ${serviceContext} with its Dockerfile (docker CLI; a cold build compiles every crate)`);
    const id = await buildImage({ tag: scratchTag });
    const tag = `${repo}:${id.replace(/^sha256:/, "").slice(0, 20)}`;
    await docker(["tag", id, tag]);
    log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s; pushing`);
    const pushed = await docker(["push", tag], { timeoutMs: 10 * 60_000 });
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed.stdout)?.[1];
    if (!digest) throw new Error(`docker push ${tag} printed no digest:\n${pushed.stdout}`);
    return `${repo}@${digest}`;
}
