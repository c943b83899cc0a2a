import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { autoName, computed, REDACTED } from "./placeholders";
import { asRecord } from "../../components/record";
import { STACK_FILE_ENV } from "../../config";
import { ProviderFacts, ProviderMocks } from "./mocks";
import { loadStackConfig, StackConfig } from "./stack-config";

/** A resource the program registered, with its inputs in plain form (see {@link normalize}). */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** URN of the parent resource ("" for the stack itself). */
    parent: string;
    /** URN of the explicit provider, if one was passed. */
    provider: string;
    /** Whether a provider manages it (false for components). */
    custom: boolean;
    /** Whether the program only reads it (`StackReference`, `.get()`): Pulumi will not manage it. */
    read: boolean;
    inputs: Record<string, unknown>;
    /** Top-level input names that Pulumi treats as secret (encrypted in state, hidden in previews). */
    secretInputs: string[];
}

/** A provider function the program invoked (for example `aws.ecr.getAuthorizationToken`). */
export interface RecordedCall {
    token: string;
    /** URN of the explicit provider the call went to ("" for the default provider). */
    provider: string;
    inputs: Record<string, unknown>;
}

/** Everything one evaluation of a program recorded. */
export interface Evaluation {
    config: StackConfig;
    resources: RecordedResource[];
    calls: RecordedCall[];
    /** Stack outputs; secret outputs are {@link REDACTED}. */
    outputs: Record<string, unknown>;
}

/** Options for {@link evaluateProgram}. */
export interface EvaluateOptions {
    /** Stack settings file to use instead of Pulumi.<stack>.yaml (the CLI's `--config-file`). */
    configFile?: string;
    /**
     * Outputs to answer `new pulumi.StackReference(name)` with, by stack name (for example the
     * `outputs` of another stack's plan). A reference to a stack not listed gets no outputs.
     */
    stackOutputs?: Record<string, Record<string, unknown>>;
}

const UNKNOWN = pulumi.runtime.unknownValue;
/**
 * Converts the SDK's wire representation into plain data: secrets are unwrapped (their paths are
 * reported through `onSecret`), unknowns and resource references become readable markers.
 */
export function normalize(value: unknown, onSecret: (path: string) => void = () => undefined, at = ""): unknown {
    if (value === UNKNOWN) return computed("unknown until the provider runs");
    if (pulumi.Resource.isInstance(value)) {
        const r = value as unknown as { __pulumiType?: string; __name?: string };
        return `<resource: ${r.__pulumiType ?? "?"}::${r.__name ?? "?"}>`;
    }
    if (Array.isArray(value)) return value.map((v, i) => normalize(v, onSecret, `${at}[${i}]`));
    const record = asRecord(value);
    if (record === undefined) return value;
    const sig = record[pulumi.runtime.specialSigKey];
    if (sig === pulumi.runtime.specialSecretSig) {
        onSecret(at);
        return normalize(record.value, onSecret, at);
    }
    if (sig === pulumi.runtime.specialResourceSig) return `<resource: ${String(record.urn)}>`;
    if (sig === pulumi.runtime.specialAssetSig || sig === pulumi.runtime.specialArchiveSig) {
        return `<asset: ${String(record.path ?? record.uri ?? "inline")}>`;
    }
    return Object.fromEntries(
        Object.entries(record)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, normalize(v, onSecret, at ? `${at}.${k}` : k)]),
    );
}

/** The plan's answers to what only a provider knows: marked placeholders, and redacted credentials. */
function planFacts(config: StackConfig): ProviderFacts {
    const region = config.values["aws:region"] ?? computed("AWS region");
    return {
        autoName: (logicalName) => autoName(logicalName),
        id: () => computed("id"),
        ecrRepository: () => ({ repositoryUrl: computed("ECR repository URL"), registryId: computed("AWS account id"), arn: computed("ECR repository ARN") }),
        imageDigest: () => computed("image digest"),
        ecrToken: (registryId) => ({
            registryId: registryId ?? computed("AWS account id"),
            password: REDACTED,
            authorizationToken: REDACTED,
            proxyEndpoint: `https://${computed("ECR registry host")}`,
            expiresAt: computed("token expiry (12 hours)"),
            id: computed("id"),
        }),
        callerIdentity: () => ({ accountId: computed("AWS account id"), arn: computed("caller ARN"), userId: computed("caller id"), id: computed("id") }),
        region,
    };
}

interface MockRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getCustom(): boolean;
    getObject(): unknown;
}
interface MockReadRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getProperties(): unknown;
}
interface MockMonitorLike {
    registerResource(req: MockRequest, cb: (err: unknown, res?: { getUrn(): string }) => void): Promise<void>;
    readResource(req: MockReadRequest, cb: (err: unknown, res?: { getUrn(): string }) => void): Promise<void>;
    registerResourceOutputs(req: { getUrn(): string; getOutputs(): { toJavaScript(): unknown } | undefined }, cb: (err: unknown, res?: unknown) => void): void;
    invoke(req: { getTok(): string; getArgs(): unknown; getProvider(): string }, cb: (err: unknown, res?: unknown) => void): Promise<void>;
}

/** The module a Pulumi Node.js program starts from: Pulumi.yaml `main`, else package.json `main`, else index. */
export function programEntry(projectDir: string): string {
    const project = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { main?: string };
    if (typeof project.main === "string") return path.resolve(projectDir, project.main);
    return require.resolve(projectDir);
}

/**
 * Runs the Pulumi program in `projectDir` for `stack` under the SDK's mock monitor (no CLI, no
 * plugins, no credentials) and records every resource, provider call and stack output.
 * Call once per process: the Pulumi runtime is global.
 */
export async function evaluateProgram(projectDir: string, stack: string, options: EvaluateOptions = {}): Promise<Evaluation> {
    const config = loadStackConfig(projectDir, stack, options.configFile);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    const mocks = new ProviderMocks(planFacts(config), {
        echo: (inputs) => normalize(inputs) as Record<string, unknown>,
        stackOutputs: options.stackOutputs,
    });
    await pulumi.runtime.setMocks(mocks, config.project, stack, false);

    const resources: RecordedResource[] = [];
    const calls: RecordedCall[] = [];
    let stackOutputs: unknown = {};
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
    const registerResource = monitor.registerResource.bind(monitor);
    const record = (req: MockRequest | MockReadRequest, urn: string, properties: unknown, custom: boolean, read: boolean): void => {
        const secretInputs = new Set<string>();
        const inputs = normalize(pulumi.runtime.deserializeProperties(properties as never), (p) => secretInputs.add(p.split(/[.[]/)[0])) as Record<
            string,
            unknown
        >;
        resources.push({
            urn,
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            provider: req.getProvider(),
            custom,
            read,
            inputs,
            secretInputs: [...secretInputs].sort(),
        });
    };
    monitor.registerResource = (req, cb) =>
        registerResource(req, (err, res) => {
            if (!err && res) record(req, res.getUrn(), req.getObject(), req.getCustom(), false);
            cb(err, res);
        });
    const readResource = monitor.readResource.bind(monitor);
    monitor.readResource = (req, cb) =>
        readResource(req, (err, res) => {
            if (!err && res) record(req, res.getUrn(), req.getProperties(), true, true);
            cb(err, res);
        });
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
        if (req.getUrn().split("::")[2] === "pulumi:pulumi:Stack") {
            stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
        }
        registerOutputs(req, cb);
    };
    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = (req, cb) => {
        calls.push({
            token: req.getTok(),
            provider: req.getProvider(),
            inputs: normalize(pulumi.runtime.deserializeProperties(req.getArgs() as never)) as Record<string, unknown>,
        });
        return invoke(req, cb);
    };

    const entry = programEntry(projectDir);
    const cwd = process.cwd();
    const stackFileEnv = process.env[STACK_FILE_ENV];
    process.chdir(projectDir);
    // The program lints the stack file itself; with --config-file it is not the one it would look for.
    process.env[STACK_FILE_ENV] = path.resolve(config.file);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is chosen at run time, as the Pulumi language host does it
        await pulumi.runtime.runInPulumiStack(async () => require(entry));
        await pulumi.runtime.disconnect();
    } finally {
        process.chdir(cwd);
        if (stackFileEnv === undefined) delete process.env[STACK_FILE_ENV];
        else process.env[STACK_FILE_ENV] = stackFileEnv;
    }

    const outputs = Object.fromEntries(
        Object.entries(asRecord(stackOutputs) ?? {}).map(([k, v]) => {
            let secret = false;
            const plain = normalize(v, () => (secret = true));
            return [k, secret ? REDACTED : plain];
        }),
    );
    return { config, resources, calls, outputs };
}
