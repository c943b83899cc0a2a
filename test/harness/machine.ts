/**
 * What the image and e2e tests may do to this machine: with CI=true (or RUST_SERVICE_PROVISION=1)
 * they provision what is missing and fail when they cannot; elsewhere they skip when Docker is absent.
 */
import { dockerUnavailableReason } from "../../scripts/lib/docker";
import { ensureProvisioned } from "../../scripts/lib/provision";

const inCi = process.env.CI === "true";

/**
 * Why the image tests must be skipped here, or undefined when they run. With CI=true they always
 * run (and fail if Docker cannot be provisioned); elsewhere they skip only when no Docker Engine
 * answers.
 */
export function imageTestsSkipReason(): string | undefined {
    if (inCi) return undefined;
    const reason = dockerUnavailableReason();
    if (!reason) return undefined;
    return (
        `${reason}.\nImage tests skipped: start Docker (or, on Debian as root, run ` +
        "`CI=true bash scripts/provision/provision.sh`) and run `npm run test:image` again. With CI=true this is a failure."
    );
}

/** Docker, the registry and the base image, provisioned when allowed; resolves with what stops what this call started. */
export function provisionForTests(): Promise<() => Promise<void>> {
    return ensureProvisioned(inCi || process.env.RUST_SERVICE_PROVISION === "1");
}
