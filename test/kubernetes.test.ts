import * as pulumi from "@pulumi/pulumi";
import {
    AutoscalerInput,
    ChildMetadata,
    DeploymentInput,
    deploymentArgs,
    envConfigMapArgs,
    envSecretArgs,
    horizontalPodAutoscalerArgs,
    namespaceArgs,
    podDisruptionBudgetArgs,
    secretEnvNames,
    serviceAccountArgs,
    serviceArgs,
} from "../components/kubernetes";
import { valueOf } from "./mocks";

// Pure builders: plain input, plain expected output, no mocks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- builder output, read field by field in assertions
type Json = any;

const meta: ChildMetadata = { namespace: "team-a", labels: { "app.kubernetes.io/name": "rust-service", "app.kubernetes.io/instance": "api", team: "x" } };
const selector = { "app.kubernetes.io/name": "rust-service", "app.kubernetes.io/instance": "api" };

describe("namespaceArgs", () => {
    it("names the namespace and adds the restricted Pod Security Standard labels to the given ones", () => {
        expect(namespaceArgs("team-a", { team: "x" })).toEqual({
            metadata: {
                name: "team-a",
                labels: {
                    team: "x",
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        });
    });

    it("keeps the Pod Security Standard labels even when the given labels set them", () => {
        expect(
            (namespaceArgs("team-a", { "pod-security.kubernetes.io/enforce": "privileged" }).metadata as Json).labels["pod-security.kubernetes.io/enforce"],
        ).toBe("restricted");
    });
});

describe("serviceAccountArgs", () => {
    it("mounts no API token and leaves the name to auto-naming", () => {
        expect(serviceAccountArgs(meta)).toEqual({ metadata: meta, automountServiceAccountToken: false });
    });
});

describe("envConfigMapArgs", () => {
    it("is immutable and auto-named", () => {
        const args = envConfigMapArgs(meta, { APP_MODE: "fast" });
        expect([args.metadata, args.immutable]).toEqual([meta, true]);
    });

    it.each<[string, Record<string, string>]>([
        ["plain names", { APP_MODE: "fast", APP_REGION: "eu" }],
        ["names that are object methods", { toString: "a", valueOf: "b", constructor: "c" }],
    ])("passes %s as data through an Output", async (_description, env) => {
        const args = envConfigMapArgs(meta, env);
        expect(pulumi.Output.isInstance(args.data)).toBe(true);
        expect(await valueOf(pulumi.output(args.data))).toEqual(env);
    });
});

describe("secretEnvNames", () => {
    it.each<[Record<string, string>, string[]]>([
        [{}, []],
        [{ B: "2", A: "1" }, ["A", "B"]],
        [{ APP_TOKEN: "t", API_KEY: "k", app_lower: "l" }, ["API_KEY", "APP_TOKEN", "app_lower"]],
    ])("sorts the names of %j: %j", (secretEnv, expected) => {
        expect(secretEnvNames(secretEnv)).toEqual(expected);
    });
});

describe("envSecretArgs", () => {
    it("is immutable, Opaque and auto-named", () => {
        const args = envSecretArgs(meta, { APP_TOKEN: "t" });
        expect([args.metadata, args.immutable, args.type]).toEqual([meta, true, "Opaque"]);
    });

    it("holds every value, keys sorted, as a Pulumi secret in stringData", async () => {
        const args = envSecretArgs(meta, { B_TOKEN: "two", A_TOKEN: pulumi.output("one") });
        const stringData = pulumi.output(args.stringData);
        expect(await pulumi.isSecret(stringData)).toBe(true);
        const value = await valueOf(stringData);
        expect(Object.keys(value ?? {})).toEqual(["A_TOKEN", "B_TOKEN"]);
        expect(value).toEqual({ A_TOKEN: "one", B_TOKEN: "two" });
    });
});

describe("deploymentArgs", () => {
    const podSpec = { containers: [{ name: "app", image: "registry.example.com/api@sha256:" + "c".repeat(64) }] };
    const base: DeploymentInput = { metadata: meta, selector, rolloutTimeoutSeconds: 600, replicas: 2, autoscaled: false, podSpec };

    it.each<[string, Partial<DeploymentInput>, (d: Json) => unknown, unknown]>([
        ["the replica count", { replicas: 3 }, (d) => d.spec.replicas, 3],
        ["no replica count when an autoscaler owns it", { replicas: 3, autoscaled: true }, (d) => d.spec.replicas, undefined],
        ["the rollout deadline", { rolloutTimeoutSeconds: 45 }, (d) => d.spec.progressDeadlineSeconds, 45],
        ["Pulumi's await timeout to the rollout deadline", { rolloutTimeoutSeconds: 45 }, (d) => d.metadata.annotations, { "pulumi.com/timeoutSeconds": "45" }],
        ["the namespace and labels, and no name", {}, (d) => [d.metadata.namespace, d.metadata.labels, d.metadata.name], ["team-a", meta.labels, undefined]],
        ["the selector", {}, (d) => d.spec.selector, { matchLabels: selector }],
        ["the pod labels to the object's labels", {}, (d) => d.spec.template.metadata, { labels: meta.labels }],
        ["the pod spec as given", {}, (d) => d.spec.template.spec, podSpec],
        [
            "a rolling update that never lowers availability",
            {},
            (d) => d.spec.strategy,
            { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        ],
        ["five old ReplicaSets", {}, (d) => d.spec.revisionHistoryLimit, 5],
    ])("sets %s", (_description, input, pick, expected) => {
        expect(pick(deploymentArgs({ ...base, ...input }))).toEqual(expected);
    });
});

describe("serviceArgs", () => {
    it.each([80, 8081])("exposes port %d as a ClusterIP to the container port named http", (port) => {
        expect(serviceArgs(meta, selector, port)).toEqual({
            metadata: meta,
            spec: { type: "ClusterIP", selector, ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }] },
        });
    });
});

describe("podDisruptionBudgetArgs", () => {
    it("lets one pod of the instance be evicted at a time", () => {
        expect(podDisruptionBudgetArgs(meta, selector)).toEqual({ metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } });
    });
});

describe("horizontalPodAutoscalerArgs", () => {
    const base: AutoscalerInput = { metadata: meta, deploymentName: "api-1234abcd", minReplicas: 2, maxReplicas: 4, targetCpuUtilizationPercent: 70 };

    it.each<[string, Partial<AutoscalerInput>, (h: Json) => unknown, unknown]>([
        ["the Deployment it scales", {}, (h) => h.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "api-1234abcd" }],
        ["the replica bounds", { minReplicas: 1, maxReplicas: 9 }, (h) => [h.spec.minReplicas, h.spec.maxReplicas], [1, 9]],
        [
            "the CPU target",
            { targetCpuUtilizationPercent: 50 },
            (h) => h.spec.metrics,
            [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }],
        ],
        ["the namespace and labels", {}, (h) => h.metadata, meta],
    ])("sets %s", (_description, input, pick, expected) => {
        expect(pick(horizontalPodAutoscalerArgs({ ...base, ...input }))).toEqual(expected);
    });
});
