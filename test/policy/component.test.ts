/**
 * The policy pack against the real RustService component: its resources, captured under Pulumi mocks,
 * pass every rule with default args (`new RustService("web")`, building the bundled service/); taking
 * away any one hardening setting (through args or a transformation on the component) makes at least
 * one named rule fail.
 */
import * as pulumi from "@pulumi/pulumi";
import { RustService, RustServiceArgs } from "../../components";
import { evaluate, Finding, StackResource } from "../../policy/rules";
import { constructionRecorder, RecordingMocks, settled, unwrapSecrets } from "../mocks";

/** Records each resource's provider outputs too: stack policies see outputs (a repository's computed name). */
class CapturingMocks extends RecordingMocks {
    readonly states = new Map<string, Record<string, unknown>>();

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const result = super.newResource(args);
        this.states.set(`${args.type}::${args.name}`, result.state);
        return result;
    }
}

// Manifests as the mocks recorded them: arbitrary nested JSON, read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Constructs the component under fresh mocks and returns every registered resource as a policy would see it. */
async function capture(args: RustServiceArgs = {}, transformations: pulumi.ResourceTransformation[] = []): Promise<StackResource[]> {
    const mocks = new CapturingMocks();
    pulumi.runtime.setMocks(mocks, "rust-service", "dev", false);
    const recorder = constructionRecorder();
    new RustService("web", args, { transformations: [recorder.transformation, ...transformations] });
    await settled(mocks, recorder.constructed);
    return mocks.resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: `urn:pulumi:dev::rust-service::rust-service:index:RustService$${r.type}::${r.name}`,
        props: unwrapSecrets(mocks.states.get(`${r.type}::${r.name}`) ?? r.inputs) as Record<string, unknown>,
    }));
}

/** A transformation that edits the props of resources of one type before they are registered. */
function onType(type: string, change: (props: Json) => void): pulumi.ResourceTransformation {
    return (args) => {
        if (args.type !== type) {
            return undefined;
        }
        change(args.props);
        return { props: args.props, opts: args.opts };
    };
}

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const onPod = (change: (spec: Json) => void) => onType(DEPLOYMENT, (p) => change(p.spec.template.spec));
const onContainer = (change: (c: Json) => void) => onPod((spec) => change(spec.containers[0]));

function rulesFailing(findings: Finding[]): string[] {
    return [...new Set(findings.map((f) => f.rule))].sort();
}

describe("the RustService component under the policy pack", () => {
    it("passes every rule with default args", async () => {
        const resources = await capture();
        expect(resources.map((r) => r.type).sort()).toEqual(
            [
                "aws:ecr/lifecyclePolicy:LifecyclePolicy",
                "aws:ecr/repository:Repository",
                "docker:index/image:Image",
                "kubernetes:apps/v1:Deployment",
                "kubernetes:core/v1:Service",
                "kubernetes:core/v1:ServiceAccount",
                "kubernetes:policy/v1:PodDisruptionBudget",
                "rust-service:index:RustService",
            ].sort(),
        );
        expect(evaluate(resources)).toEqual([]);
    });

    it("passes every rule with plain and secret env, a namespace and an autoscaler", async () => {
        const resources = await capture({
            namespace: "apps",
            createNamespace: true,
            env: { APP_FOO: "bar", LOG_FORMAT: "json" },
            secretEnv: { API_TOKEN: "s3cr3t-token-value", DATABASE_URL: "postgres://app:pw@db/app" },
            autoscaling: { minReplicas: 2, maxReplicas: 6 },
        });
        expect(resources.map((r) => r.type)).toEqual(
            expect.arrayContaining(["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"]),
        );
        expect(evaluate(resources)).toEqual([]);
    });

    it("reports a deliberately mutable repository only through the advisory rule", async () => {
        const findings = evaluate(await capture({ repository: { imageTagMutability: "MUTABLE", tags: { "mutable-tags-reason": "dev re-pushes :dev" } } }));
        expect(rulesFailing(findings)).toEqual(["ecr-mutable-tags-acknowledged"]);
    });

    const removals: { setting: string; args?: RustServiceArgs; transform?: pulumi.ResourceTransformation; fails: string }[] = [
        {
            setting: "runAsNonRoot (pod and container)",
            transform: onPod((spec) => {
                delete spec.securityContext.runAsNonRoot;
                delete spec.containers[0].securityContext.runAsNonRoot;
            }),
            fails: "pss-run-as-non-root",
        },
        {
            setting: "runAsUser (pod and container)",
            transform: onPod((spec) => {
                delete spec.securityContext.runAsUser;
                delete spec.containers[0].securityContext.runAsUser;
            }),
            fails: "pss-run-as-non-root",
        },
        { setting: "capabilities drop ALL", transform: onContainer((c) => delete c.securityContext.capabilities), fails: "pss-capabilities" },
        {
            setting: "seccompProfile (pod and container)",
            transform: onPod((spec) => {
                delete spec.securityContext.seccompProfile;
                delete spec.containers[0].securityContext.seccompProfile;
            }),
            fails: "pss-seccomp",
        },
        {
            setting: "allowPrivilegeEscalation: false",
            transform: onContainer((c) => delete c.securityContext.allowPrivilegeEscalation),
            fails: "pss-privilege-escalation",
        },
        {
            setting: "readOnlyRootFilesystem",
            transform: onContainer((c) => delete c.securityContext.readOnlyRootFilesystem),
            fails: "workload-read-only-root-filesystem",
        },
        { setting: "resource requests", transform: onContainer((c) => delete c.resources.requests), fails: "workload-resources" },
        { setting: "resource limits", transform: onContainer((c) => delete c.resources.limits), fails: "workload-resources" },
        { setting: "livenessProbe", transform: onContainer((c) => delete c.livenessProbe), fails: "workload-probes" },
        { setting: "readinessProbe", transform: onContainer((c) => delete c.readinessProbe), fails: "workload-probes" },
        {
            setting: "distinct probes (readiness made equal to liveness)",
            transform: onContainer((c) => (c.readinessProbe = c.livenessProbe)),
            fails: "workload-probes",
        },
        {
            setting: "the digest pin (image by tag)",
            transform: onContainer((c) => (c.image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/web:v1")),
            fails: "workload-image-digest",
        },
        {
            setting: "automountServiceAccountToken: false on the pod",
            transform: onPod((spec) => delete spec.automountServiceAccountToken),
            fails: "workload-service-account-token",
        },
        { setting: "the second replica (replicas: 1)", args: { replicas: 1 }, fails: "workload-replicas" },
        { setting: "the autoscaler's second replica (minReplicas: 1)", args: { autoscaling: { minReplicas: 1, maxReplicas: 3 } }, fails: "workload-replicas" },
        {
            setting: "the PodDisruptionBudget's selector (it no longer selects the pods)",
            transform: onType("kubernetes:policy/v1:PodDisruptionBudget", (p) => (p.spec.selector = { matchLabels: { "app.kubernetes.io/name": "nothing" } })),
            fails: "workload-disruption-budget",
        },
        {
            setting: "the PodDisruptionBudget's maxUnavailable",
            transform: onType("kubernetes:policy/v1:PodDisruptionBudget", (p) => delete p.spec.maxUnavailable),
            fails: "workload-disruption-budget",
        },
        { setting: "the container port declaration", transform: onContainer((c) => delete c.ports), fails: "service-targets-pods" },
        {
            setting: "the Service's matching selector",
            transform: onType("kubernetes:core/v1:Service", (p) => (p.spec.selector = { "app.kubernetes.io/name": "other" })),
            fails: "service-targets-pods",
        },
        {
            setting: "the secretKeyRef (secret env becomes a literal)",
            args: { secretEnv: { API_TOKEN: "s3cr3t-token-value" } },
            transform: onContainer((c) => (c.env = c.env.map((e: Json) => (e.valueFrom ? { name: e.name, value: "s3cr3t-token-value" } : e)))),
            fails: "secret-env-literal",
        },
        { setting: "the Secret (a password passed as plain env)", args: { env: { DB_PASSWORD: "hunter2" } }, fails: "secret-configmap-entries" },
        { setting: "scanOnPush", args: { repository: { scanOnPush: false } }, fails: "ecr-scan-on-push" },
        { setting: "tag immutability", args: { repository: { imageTagMutability: "MUTABLE" } }, fails: "ecr-tag-immutability" },
        {
            setting: "encryptionConfigurations",
            transform: onType("aws:ecr/repository:Repository", (p) => delete p.encryptionConfigurations),
            fails: "ecr-encryption",
        },
        {
            setting: "the lifecycle policy's rules",
            transform: onType("aws:ecr/lifecyclePolicy:LifecyclePolicy", (p) => (p.policy = JSON.stringify({ rules: [] }))),
            fails: "ecr-lifecycle-policy",
        },
        {
            setting: "the lifecycle policy (attached to another repository)",
            transform: onType("aws:ecr/lifecyclePolicy:LifecyclePolicy", (p) => (p.repository = "some-other-repository")),
            fails: "ecr-lifecycle-policy",
        },
    ];

    it.each(removals.map((r) => [r.setting, r.fails, r] as const))("without %s fails %s", async (_setting, rule, removal) => {
        const findings = evaluate(await capture(removal.args, removal.transform ? [removal.transform] : []));
        expect(rulesFailing(findings)).toContain(rule);
    });

    const weakenings: { change: string; transform: pulumi.ResourceTransformation; fails: string }[] = [
        { change: "a privileged container", transform: onContainer((c) => (c.securityContext.privileged = true)), fails: "pss-privileged" },
        { change: "hostNetwork", transform: onPod((spec) => (spec.hostNetwork = true)), fails: "pss-host-namespaces" },
        { change: "a hostPort", transform: onContainer((c) => (c.ports = [{ ...c.ports[0], hostPort: 8080 }])), fails: "pss-host-ports" },
        { change: "a hostPath volume", transform: onPod((spec) => (spec.volumes = [{ name: "tmp", hostPath: { path: "/tmp" } }])), fails: "pss-volume-types" },
        {
            change: "an added SYS_ADMIN capability",
            transform: onContainer((c) => (c.securityContext.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] })),
            fails: "pss-capabilities",
        },
        {
            change: "an unsafe sysctl",
            transform: onPod((spec) => (spec.securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }])),
            fails: "pss-kernel-hardening",
        },
    ];

    it.each(weakenings.map((w) => [w.change, w.fails, w] as const))("with %s fails %s", async (_change, rule, weakening) => {
        const findings = evaluate(await capture({}, [weakening.transform]));
        expect(rulesFailing(findings)).toContain(rule);
    });
});
