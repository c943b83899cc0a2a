import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/**
 * A consumer project's runner (compiled inside the project by test/examples/consumers.test.ts, so
 * it uses the project's own @pulumi/pulumi): runs the program `./index` under the SDK's mock monitor
 * and writes every resource it registered and every call it made, as JSON, to the file named by the
 * first argument. Further arguments are `key=value` config of the project `two-services`.
 */

const PROJECT = "two-services";
const ACCOUNT = "123456789012";

/** A resource as the mock monitor saw it; secret inputs stay wrapped in the SDK's secret marker. */
interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

const resources: Recorded[] = [];
const calls: { token: string; inputs: Record<string, unknown> }[] = [];

function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

const mocks: pulumi.runtime.Mocks = {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "aws:ecr/repository:Repository") {
            state.repositoryUrl = `${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/${args.name}`;
            state.registryId = ACCOUNT;
        } else if (args.type === "docker:index/image:Image") {
            // What the provider reports after a push: the repository, pinned by the manifest digest.
            const imageName = String(args.inputs.imageName);
            state.repoDigest = `${imageName.slice(0, imageName.lastIndexOf(":"))}@sha256:${sha256(imageName)}`;
        } else if (args.type.startsWith("kubernetes:")) {
            // Kubernetes auto-naming: the logical name plus a suffix, unless the program set a name.
            const metadata = (args.inputs.metadata ?? {}) as Record<string, unknown>;
            state.metadata = { ...metadata, name: metadata.name ?? `${args.name}-${sha256(args.name).slice(0, 8)}` };
        }
        return { id: `${args.name}-id`, state };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        calls.push({ token: args.token, inputs: args.inputs });
        if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken") {
            return {
                userName: "AWS",
                password: "mock-ecr-password",
                proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com`,
                id: "eu-central-1",
            };
        }
        throw new Error(`unexpected call ${args.token}`);
    },
};

async function main(): Promise<void> {
    const [out, ...config] = process.argv.slice(2);
    for (const entry of config) {
        const eq = entry.indexOf("=");
        pulumi.runtime.setConfig(`${PROJECT}:${entry.slice(0, eq)}`, entry.slice(eq + 1));
    }
    await pulumi.runtime.setMocks(mocks, PROJECT, "dev", false);
    // The program is the project's, chosen at run time as the Pulumi language host does it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program loads inside runInPulumiStack, not at import
    await pulumi.runtime.runInPulumiStack(async () => require(path.join(__dirname, "index")));
    await pulumi.runtime.disconnect();
    fs.writeFileSync(out, JSON.stringify({ resources, calls }, null, 2));
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
