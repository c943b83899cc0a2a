import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ProviderFacts, ProviderMocks } from "../scripts/plan/mocks";

/** AWS account the mocked ECR lives in. */
export const MOCK_ACCOUNT = "123456789012";
/** Region of the mocked ECR. */
export const MOCK_REGION = "us-west-2";
/** Password the mocked `getAuthorizationToken` returns. */
export const MOCK_ECR_PASSWORD = "mock-ecr-password-5f0c";
/** Marker the SDK puts on a secret value in serialized inputs. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A resource as the engine (here: the mock monitor) saw it. */
export interface Registered {
    type: string;
    name: string;
    /** Resolved inputs; secrets stay wrapped as `{ "4dabf...": SECRET_SIG, value }`. */
    inputs: Record<string, unknown>;
    /** Provider reference (`urn::id`), when the resource has an explicit provider. */
    provider?: string;
}

/** A call (invoke) as the mock monitor saw it. */
export interface Invoked {
    token: string;
    inputs: Record<string, unknown>;
    /** Provider reference (`urn::id`), when the call has an explicit provider. */
    provider?: string;
}

function shortHash(value: unknown): string {
    return createHash("sha256")
        .update(JSON.stringify(value) ?? "")
        .digest("hex")
        .slice(0, 8);
}

/** The digest the mocked registry reports for a pushed image name. */
export function mockDigest(imageName: string): string {
    return `sha256:${createHash("sha256").update(imageName).digest("hex")}`;
}

/** Concrete answers for what only a provider knows, so tests can assert on them. */
const TEST_FACTS: ProviderFacts = {
    // Kubernetes auto-naming: a new name whenever the object is (re)created with other inputs.
    autoName: (logicalName, inputs) => `${logicalName}-${shortHash(inputs)}`,
    id: (logicalName) => `${logicalName}-id`,
    ecrRepository: (name) => ({
        registryId: MOCK_ACCOUNT,
        repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${name}`,
        arn: `arn:aws:ecr:${MOCK_REGION}:${MOCK_ACCOUNT}:repository/${name}`,
    }),
    imageDigest: mockDigest,
    ecrToken: (registryId) => ({
        password: MOCK_ECR_PASSWORD,
        authorizationToken: Buffer.from(`AWS:${MOCK_ECR_PASSWORD}`).toString("base64"),
        proxyEndpoint: `https://${registryId ?? MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com`,
        expiresAt: "2099-01-01T00:00:00Z",
        id: MOCK_REGION,
    }),
    callerIdentity: () => ({ accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/test`, userId: "AIDTEST", id: MOCK_ACCOUNT }),
    region: MOCK_REGION,
};

/**
 * The plan's provider mocks with concrete answers, recording every resource and invoke. In preview
 * mode they return only the inputs, so provider-computed outputs stay unknown, as in a real
 * `pulumi preview`. A call the mocks do not know fails the test.
 */
export class RecordingMocks extends ProviderMocks {
    readonly resources: Registered[] = [];
    readonly invokes: Invoked[] = [];

    constructor(private readonly preview = false) {
        super(TEST_FACTS, {
            unknownCall: (args) => {
                throw new Error(`unexpected invoke ${args.token}`);
            },
        });
    }

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider || undefined });
        return this.preview ? { id: `${args.name}-id`, state: args.inputs } : super.newResource(args);
    }

    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        this.invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider || undefined });
        return super.call(args);
    }

    /** Resources of a type (e.g. `kubernetes:apps/v1:Deployment`). */
    ofType(type: string): Registered[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of a type and name; throws if absent. */
    get(type: string, name?: string): Registered {
        const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
        if (found.length !== 1) {
            throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
        }
        return found[0];
    }
}

/** Installs fresh recording mocks for project `rust-service`, stack `dev`. */
export function installMocks(options: { preview?: boolean; project?: string; stack?: string } = {}): RecordingMocks {
    const mocks = new RecordingMocks(options.preview ?? false);
    pulumi.runtime.setMocks(mocks, options.project ?? "rust-service", options.stack ?? "dev", options.preview ?? false);
    return mocks;
}

/** Child resources as constructed, with their parent, recorded through a transformation. */
export interface Constructed {
    type: string;
    name: string;
    parent?: pulumi.Resource;
}

/** A transformation that records every resource constructed under the resource it is given to. */
export function constructionRecorder(): { constructed: Constructed[]; transformation: pulumi.ResourceTransformation } {
    const constructed: Constructed[] = [];
    return {
        constructed,
        transformation: (args) => {
            constructed.push({ type: args.type, name: args.name, parent: args.opts.parent });
            return undefined;
        },
    };
}

/** Waits until the mock monitor has seen every constructed resource (registration is asynchronous). */
export async function settled(mocks: RecordingMocks, constructed: readonly Constructed[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const seen = () => constructed.every((c) => mocks.resources.some((r) => r.type === c.type && r.name === c.name));
    while (!seen()) {
        if (Date.now() > deadline) {
            const missing = constructed.filter((c) => !mocks.resources.some((r) => r.type === c.type && r.name === c.name));
            throw new Error(`resources never registered: ${missing.map((m) => `${m.type}::${m.name}`).join(", ")}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}

/** The value of an Output (resolves only when known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Whether a serialized input is a wrapped secret. */
export function isWrappedSecret(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && Object.values(value).includes(SECRET_SIG) && "value" in value;
}

/** A serialized input with secret wrappers removed. */
export function unwrapSecrets(value: unknown): unknown {
    if (isWrappedSecret(value)) {
        return unwrapSecrets(value.value);
    }
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}
