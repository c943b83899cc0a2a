import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { autoName, computed, REDACTED } from "./placeholders";
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

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
  if (!isRecord(value)) return value;
  const sig = value[pulumi.runtime.specialSigKey];
  if (sig === pulumi.runtime.specialSecretSig) {
    onSecret(at);
    return normalize(value.value, onSecret, at);
  }
  if (sig === pulumi.runtime.specialResourceSig) return `<resource: ${String(value.urn)}>`;
  if (sig === pulumi.runtime.specialAssetSig || sig === pulumi.runtime.specialArchiveSig) {
    return `<asset: ${String(value.path ?? value.uri ?? "inline")}>`;
  }
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, normalize(v, onSecret, at ? `${at}.${k}` : k)]),
  );
}

/** `repo:tag` -> `repo` (a port in `host:5000/repo` is kept). */
function withoutTag(imageName: string): string {
  return imageName.replace(/:[\w][\w.-]{0,127}$/, (m, offset: number) =>
    imageName.lastIndexOf("/") < offset ? "" : m,
  );
}

/** Name of the resource a provider reference (`urn::id`) points at. */
function providerKey(ref: string): string {
  const parts = ref.split("::");
  return parts.length >= 4 ? `${parts[2].split("$").pop()}::${parts[3]}` : ref;
}

/**
 * Mocks that answer like the real providers would, with clearly marked placeholders for what only a
 * provider can know (digests, repository URLs, account ids, random name suffixes) and the redaction
 * marker for provider-issued credentials.
 */
class PlanMocks implements pulumi.runtime.Mocks {
  private readonly providerInputs = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly config: StackConfig,
    private readonly options: EvaluateOptions,
  ) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const inputs = normalize(args.inputs) as Record<string, unknown>;
    const state: Record<string, unknown> = { ...inputs };
    if (args.type.startsWith("pulumi:providers:")) {
      this.providerInputs.set(`${args.type}::${args.name}`, inputs);
    } else if (args.type.startsWith("kubernetes:")) {
      const metadata = { ...(isRecord(inputs.metadata) ? inputs.metadata : {}) };
      metadata.name ??= autoName(args.name);
      const kind = String(inputs.kind ?? args.type.split(":").pop());
      if (!CLUSTER_SCOPED_KINDS.has(kind)) {
        const provider = this.providerInputs.get(providerKey(args.provider ?? ""));
        metadata.namespace ??= provider?.namespace ?? "default";
      }
      state.metadata = metadata;
    } else if (args.type === "aws:ecr/repository:Repository") {
      state.name ??= autoName(args.name);
      state.repositoryUrl = computed("ECR repository URL");
      state.registryId = computed("AWS account id");
      state.arn = computed("ECR repository ARN");
    } else if (args.type === "docker:index/image:Image") {
      const base = withoutTag(String(inputs.imageName ?? args.name));
      state.repoDigest = `${base}@${computed("image digest")}`;
      state.baseImageName = base;
      const registry = isRecord(inputs.registry) ? inputs.registry : {};
      state.registryServer = registry.server ?? "";
    } else if (args.type === "pulumi:pulumi:StackReference") {
      const name = String(inputs.name ?? args.name);
      state.outputs = this.options.stackOutputs?.[name] ?? {};
      state.secretOutputNames = [];
    }
    return { id: args.id || (args.custom === false ? undefined : computed("id")), state };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const inputs = normalize(args.inputs) as Record<string, unknown>;
    switch (args.token) {
      case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return {
          ...inputs,
          registryId: inputs.registryId ?? computed("AWS account id"),
          userName: "AWS",
          password: REDACTED,
          authorizationToken: REDACTED,
          proxyEndpoint: `https://${computed("ECR registry host")}`,
          expiresAt: computed("token expiry (12 hours)"),
          id: computed("id"),
        };
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: computed("AWS account id"), arn: computed("caller ARN"), userId: computed("caller id"), id: computed("id") };
      case "aws:index/getRegion:getRegion": {
        const region = this.config.values["aws:region"] ?? computed("AWS region");
        return { name: region, region, id: region };
      }
      default:
        return { ...inputs };
    }
  }
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
  await pulumi.runtime.setMocks(new PlanMocks(config, options), config.project, stack, false);

  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];
  let stackOutputs: unknown = {};
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
  const registerResource = monitor.registerResource.bind(monitor);
  const record = (req: MockRequest | MockReadRequest, urn: string, properties: unknown, custom: boolean, read: boolean): void => {
    const secretInputs = new Set<string>();
    const inputs = normalize(pulumi.runtime.deserializeProperties(properties as never), (p) =>
      secretInputs.add(p.split(/[.[]/)[0]),
    ) as Record<string, unknown>;
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
  process.chdir(projectDir);
  try {
    // The program is chosen at run time, as the Pulumi language host does it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await pulumi.runtime.runInPulumiStack(async () => require(entry));
    await pulumi.runtime.disconnect();
  } finally {
    process.chdir(cwd);
  }

  const outputs = Object.fromEntries(
    Object.entries(isRecord(stackOutputs) ? stackOutputs : {}).map(([k, v]) => {
      let secret = false;
      const plain = normalize(v, () => (secret = true));
      return [k, secret ? REDACTED : plain];
    }),
  );
  return { config, resources, calls, outputs };
}
