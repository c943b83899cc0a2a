/**
 * Runs the policy pack the way `pulumi preview --policy-pack policy` does: the CLI's
 * `pulumi-analyzer-policy` plugin starts `@pulumi/pulumi/cmd/run-policy-pack` with node in the pack
 * directory, which compiles `policy/index.ts` with ts-node and serves the Analyzer gRPC protocol on
 * the port it prints. This test plays the engine's part over that protocol (the CLI itself cannot be
 * installed here): analyzer info, configuration, resource and stack analysis, unknowns and secrets.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import type * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { rules } from "../../policy/rules";
import { compliantStack, containerSecurity, deploymentProps, deploymentWith, stackResource } from "./fixtures";

// gRPC and protobuf exactly as @pulumi/pulumi loads them (message classes are checked with instanceof).
const fromPulumi = (id: string) => require.resolve(id, { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] });
/* eslint-disable @typescript-eslint/no-require-imports */
const grpc: typeof grpcTypes = require(fromPulumi("@grpc/grpc-js"));
const { Struct }: typeof structPb = require(fromPulumi("google-protobuf/google/protobuf/struct_pb"));
const { Empty }: typeof emptyPb = require(fromPulumi("google-protobuf/google/protobuf/empty_pb"));
const pb: typeof analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const { AnalyzerClient }: typeof analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const PACK_DIR = path.join(__dirname, "..", "..", "policy");
const STARTUP_TIMEOUT_MS = 180_000;

let pack: ChildProcess;
let client: InstanceType<typeof AnalyzerClient>;
let packStderr = "";

/** Starts the pack like the CLI's analyzer plugin and resolves with the port it prints. */
function startPack(): Promise<number> {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });
    pack = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
    pack.stderr!.on("data", (chunk) => (packStderr += chunk));
    return new Promise((resolve, reject) => {
        let stdout = "";
        const timer = setTimeout(
            () => reject(new Error(`policy pack printed no port within ${STARTUP_TIMEOUT_MS} ms; stderr:\n${packStderr}`)),
            STARTUP_TIMEOUT_MS,
        );
        pack.stdout!.on("data", (chunk) => {
            stdout += chunk;
            const match = /^(\d+)\s*$/m.exec(stdout);
            if (match) {
                clearTimeout(timer);
                resolve(Number(match[1]));
            }
        });
        pack.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`policy pack exited with ${code}; stderr:\n${packStderr}`));
        });
    });
}

beforeAll(async () => {
    const port = await startPack();
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, STARTUP_TIMEOUT_MS + 10_000);

afterAll(() => {
    client?.close();
    if (pack?.exitCode === null) {
        pack.removeAllListeners("exit");
        pack.kill();
    }
});

function call<Req, Res>(method: (req: Req, cb: (err: grpcTypes.ServiceError | null, res: Res) => void) => unknown, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => method.call(client, request, (err, res) => (err ? reject(err) : resolve(res))));
}

function options(): analyzerPb.AnalyzerResourceOptions {
    return new pb.AnalyzerResourceOptions();
}

interface Diagnostic {
    policy: string;
    level: "advisory" | "mandatory" | "disabled" | "remediate";
    message: string;
    urn: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

function diagnostics(response: analyzerPb.AnalyzeResponse): Diagnostic[] {
    return response.getDiagnosticsList().map((d) => ({
        policy: d.getPolicyname(),
        level: LEVELS[d.getEnforcementlevel()],
        message: d.getMessage(),
        urn: d.getUrn(),
    }));
}

async function analyze(type: string, props: Record<string, unknown>): Promise<Diagnostic[]> {
    const request = new pb.AnalyzeRequest()
        .setType(type)
        .setName("web")
        .setUrn(`urn:pulumi:dev::rust-service::${type}::web`)
        .setProperties(Struct.fromJavaScript(props as Record<string, structPb.JavaScriptValue>))
        .setOptions(options());
    return diagnostics(await call(client.analyze, request));
}

async function analyzeStack(resources: ReturnType<typeof compliantStack>): Promise<Diagnostic[]> {
    const request = new pb.AnalyzeStackRequest().setResourcesList(
        resources.map((r) =>
            new pb.AnalyzerResource()
                .setType(r.type)
                .setName(r.name)
                .setUrn(r.urn)
                .setProperties(Struct.fromJavaScript(r.props as Record<string, structPb.JavaScriptValue>))
                .setOptions(options()),
        ),
    );
    return diagnostics(await call(client.analyzeStack, request));
}

async function configure(config: Record<string, { level: analyzerPb.EnforcementLevel; properties?: Record<string, unknown> }>): Promise<void> {
    const request = new pb.ConfigureAnalyzerRequest();
    for (const [name, { level, properties }] of Object.entries(config)) {
        request
            .getPolicyconfigMap()
            .set(
                name,
                new pb.PolicyConfig()
                    .setEnforcementlevel(level)
                    .setProperties(Struct.fromJavaScript((properties ?? {}) as Record<string, structPb.JavaScriptValue>)),
            );
    }
    await call(client.configure, request);
}

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("the policy pack served as the CLI runs it", () => {
    it("announces the pack and one policy per rule with its default enforcement", async () => {
        const info = await call<emptyPb.Empty, analyzerPb.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
        expect(info.getName()).toBe("rust-service");
        expect(info.getVersion()).toBe("0.1.0");
        expect(info.getPoliciesList().map((p) => [p.getName(), LEVELS[p.getEnforcementlevel()]])).toEqual(rules.map((r) => [r.name, r.enforcementLevel]));
        const replicas = info.getPoliciesList().find((p) => p.getName() === "workload-replicas")!;
        expect(replicas.getConfigschema()!.getProperties()!.toJavaScript()).toEqual({
            minReplicas: expect.objectContaining({ type: "integer", default: 2 }),
        });
    });

    it("finds nothing wrong with a compliant Deployment", async () => {
        expect(await analyze(DEPLOYMENT, deploymentProps())).toEqual([]);
    });

    it("reports a root, tag-pinned Deployment as mandatory violations", async () => {
        const props = deploymentWith((p) => {
            containerSecurity(p).runAsUser = 0;
            (p.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0].image = "nginx:latest";
        });
        const found = await analyze(DEPLOYMENT, props);
        expect(found.map((d) => [d.policy, d.level])).toEqual([
            ["pss-run-as-non-root", "mandatory"],
            ["workload-image-digest", "mandatory"],
        ]);
        expect(found[1].message).toContain('image "nginx:latest" uses the :latest tag');
    });

    it("in preview, checks everything but the unknown image instead of skipping the resource", async () => {
        const props = deploymentWith((p) => {
            containerSecurity(p).allowPrivilegeEscalation = true;
            (p.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0].image = unknownValue;
        });
        expect((await analyze(DEPLOYMENT, props)).map((d) => d.policy)).toEqual(["pss-privilege-escalation"]);
    });

    it("sees through Pulumi secrets: a secret literal in env is still a literal in the cluster", async () => {
        const props = deploymentWith((p) => {
            const c = (p.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0];
            c.env = [{ name: "API_TOKEN", value: { [specialSigKey]: specialSecretSig, value: "s3cr3t-token-value" } }];
        });
        const found = await analyze(DEPLOYMENT, props);
        expect(found.map((d) => d.policy)).toEqual(["secret-env-literal"]);
        expect(found[0].message).not.toContain("s3cr3t-token-value");
    });

    it("passes a compliant stack and blames the Deployment when its PDB is missing", async () => {
        expect(await analyzeStack(compliantStack())).toEqual([]);
        const withoutPdb = compliantStack().filter((r) => !r.type.endsWith("PodDisruptionBudget"));
        const found = await analyzeStack(withoutPdb);
        expect(found.map((d) => [d.policy, d.urn])).toEqual([["workload-disruption-budget", withoutPdb[0].urn]]);
    });

    it("applies --policy-pack-config: a lowered enforcement level and a rule property", async () => {
        await configure({ "workload-replicas": { level: pb.EnforcementLevel.ADVISORY, properties: { minReplicas: 3 } } });
        try {
            const found = await analyzeStack(compliantStack());
            expect(found.map((d) => [d.policy, d.level])).toEqual([["workload-replicas", "advisory"]]);
            expect(found[0].message).toContain("at least 3");
        } finally {
            await configure({});
        }
    });

    it("skips a disabled policy", async () => {
        const mutable = stackResource("aws:ecr/repository:Repository", "web", {
            imageTagMutability: "MUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "AES256" }],
        });
        expect((await analyze(mutable.type, mutable.props)).map((d) => d.policy)).toEqual(["ecr-tag-immutability"]);
        await configure({ "ecr-tag-immutability": { level: pb.EnforcementLevel.DISABLED } });
        try {
            expect(await analyze(mutable.type, mutable.props)).toEqual([]);
        } finally {
            await configure({});
        }
    });
});
