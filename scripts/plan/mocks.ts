import * as pulumi from "@pulumi/pulumi";
import { asRecord } from "../../components/record";

/**
 * What only a provider can know. The plan answers with marked placeholders, the unit tests with
 * concrete values they can assert on; the shape of every answer is the same.
 */
export interface ProviderFacts {
    /** The name a provider gives a resource the program left unnamed. */
    autoName(logicalName: string, inputs: Record<string, unknown>): string;
    /** The id of a new resource. */
    id(logicalName: string): string;
    /** What AWS reports for an ECR repository of that name. */
    ecrRepository(name: string): { repositoryUrl: string; registryId: string; arn: string };
    /** The digest the registry reports for a pushed image name (`sha256:...`). */
    imageDigest(imageName: string): string;
    /** What `aws.ecr.getAuthorizationToken` answers besides the user name, for a registry id (the caller's account if none). */
    ecrToken(registryId: string | undefined): Record<string, unknown>;
    /** What `aws.getCallerIdentity` answers. */
    callerIdentity(): Record<string, unknown>;
    /** The AWS region. */
    region: string;
}

/** Options of {@link ProviderMocks}. */
export interface ProviderMocksOptions {
    /** The inputs as the resource's state echoes them (the plan unwraps secrets and unknowns first). */
    echo?: (inputs: Record<string, unknown>) => Record<string, unknown>;
    /** Outputs to answer `new pulumi.StackReference(name)` with, by stack name. */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /** The answer to a call the mocks do not know; by default its inputs are echoed. */
    unknownCall?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>;
}

const CLUSTER_SCOPED_KINDS = new Set([
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "PriorityClass",
    "StorageClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
]);

/** `type::name` of a URN or a provider reference (`urn::id`), or "" for none. */
export function shortUrn(urn: string): string {
    if (!urn) return "";
    const parts = urn.split("::");
    return parts.length >= 4 ? `${parts[2].split("$").pop()}::${parts[3]}` : urn;
}

/** `repo:tag` -> `repo` (a port in `host:5000/repo` is kept). */
export function withoutTag(imageName: string): string {
    return imageName.replace(/:[\w][\w.-]{0,127}$/, (m, offset: number) => (imageName.lastIndexOf("/") < offset ? "" : m));
}

/**
 * Mocks that answer like the providers this program uses: a resource's state is its inputs plus what
 * the provider computes (ECR URLs, image digests, Kubernetes auto-names and default namespaces),
 * calls get the provider's answer; every provider-known value comes from {@link ProviderFacts}.
 */
export class ProviderMocks implements pulumi.runtime.Mocks {
    private readonly providerInputs = new Map<string, Record<string, unknown>>();

    constructor(
        private readonly facts: ProviderFacts,
        private readonly options: ProviderMocksOptions = {},
    ) {}

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const inputs = (this.options.echo ?? ((i) => i))(args.inputs);
        const state: Record<string, unknown> = { ...inputs };
        if (args.type.startsWith("pulumi:providers:")) {
            this.providerInputs.set(`${args.type}::${args.name}`, inputs);
        } else if (args.type.startsWith("kubernetes:")) {
            const metadata = { ...asRecord(inputs.metadata) };
            metadata.name ??= this.facts.autoName(args.name, args.inputs);
            const kind = String(inputs.kind ?? args.type.split(":").pop());
            if (!CLUSTER_SCOPED_KINDS.has(kind)) {
                metadata.namespace ??= this.providerInputs.get(shortUrn(args.provider ?? ""))?.namespace ?? "default";
            }
            state.metadata = metadata;
        } else if (args.type === "aws:ecr/repository:Repository") {
            state.name ??= this.facts.autoName(args.name, args.inputs);
            Object.assign(state, this.facts.ecrRepository(String(state.name)));
        } else if (args.type === "docker:index/image:Image") {
            const imageName = String(inputs.imageName ?? args.name);
            const base = withoutTag(imageName);
            state.repoDigest = `${base}@${this.facts.imageDigest(imageName)}`;
            state.baseImageName = base;
            state.registryServer = asRecord(inputs.registry)?.server ?? "";
        } else if (args.type === "pulumi:pulumi:StackReference") {
            state.outputs = this.options.stackOutputs?.[String(inputs.name ?? args.name)] ?? {};
            state.secretOutputNames = [];
        }
        return { id: args.id || (args.custom === false ? undefined : this.facts.id(args.name)), state };
    }

    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        const inputs = (this.options.echo ?? ((i) => i))(args.inputs);
        switch (args.token) {
            case "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
                const registryId = typeof inputs.registryId === "string" ? inputs.registryId : undefined;
                return { ...inputs, userName: "AWS", ...this.facts.ecrToken(registryId) };
            }
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return this.facts.callerIdentity();
            case "aws:index/getRegion:getRegion":
                return { name: this.facts.region, region: this.facts.region, id: this.facts.region };
            default:
                return this.options.unknownCall ? this.options.unknownCall(args) : { ...inputs };
        }
    }
}
