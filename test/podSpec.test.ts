import { DEFAULT_SETTINGS, resolveSettings } from "../components/settings";
import { CONTAINER_NAME, containerSecurityContext, httpProbes, podSecurityContext, podSpec, PodSpecInput } from "../components/podSpec";

// Pure builders: plain input, plain expected output, no mocks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const base: PodSpecInput = {
    image: "registry.example.com/api@sha256:" + "c".repeat(64),
    settings: DEFAULT_SETTINGS,
    serviceAccountName: "api-sa",
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
    terminationGracePeriodSeconds: 30,
    spreadWhenUnsatisfiable: "ScheduleAnyway",
    selector: { "app.kubernetes.io/name": "rust-service", "app.kubernetes.io/instance": "api" },
};

function only(input: Partial<PodSpecInput> = {}): Json {
    const spec = podSpec({ ...base, ...input }) as Json;
    expect(spec.containers).toHaveLength(1);
    return { spec, container: spec.containers[0] };
}

describe("security contexts", () => {
    it("meets the restricted Pod Security Standard at pod level", () => {
        expect(podSecurityContext()).toEqual({
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            fsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
        });
    });

    it("drops every privilege and capability in the container", () => {
        expect(containerSecurityContext()).toEqual({
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
    });
});

describe("httpProbes", () => {
    it.each<[keyof ReturnType<typeof httpProbes>, string, number, number, number]>([
        ["startupProbe", "/healthz", 1, 1, 60],
        ["livenessProbe", "/healthz", 10, 2, 3],
        ["readinessProbe", "/readyz", 5, 2, 2],
    ])("%s checks %s every %d s (timeout %d s), failing after %d misses", (probe, path, periodSeconds, timeoutSeconds, failureThreshold) => {
        expect(httpProbes(9000)[probe]).toEqual({ httpGet: { path, port: 9000, scheme: "HTTP" }, periodSeconds, timeoutSeconds, failureThreshold });
    });
});

describe("podSpec", () => {
    it.each<[string, Partial<PodSpecInput>, (c: Json, spec: Json) => unknown, unknown]>([
        ["the container name", {}, (c) => c.name, CONTAINER_NAME],
        ["the image", {}, (c) => c.image, base.image],
        [
            "the container port from the settings",
            { settings: resolveSettings({ port: 9000 }) },
            (c) => c.ports,
            [{ name: "http", containerPort: 9000, protocol: "TCP" }],
        ],
        ["the probes' port from the settings", { settings: resolveSettings({ port: 9000 }) }, (c) => c.readinessProbe.httpGet.port, 9000],
        ["the crash log in the termination message", {}, (c) => c.terminationMessagePolicy, "FallbackToLogsOnError"],
        ["no envFrom without a ConfigMap", {}, (c) => c.envFrom, undefined],
        ["envFrom with a ConfigMap", { configMapName: "api-env-x" }, (c) => c.envFrom, [{ configMapRef: { name: "api-env-x" } }]],
        ["the grace period", { terminationGracePeriodSeconds: 42 }, (_c, spec) => spec.terminationGracePeriodSeconds, 42],
        ["the spread mode", { spreadWhenUnsatisfiable: "DoNotSchedule" }, (_c, spec) => spec.topologySpreadConstraints[0].whenUnsatisfiable, "DoNotSchedule"],
        ["the spread selector", {}, (_c, spec) => spec.topologySpreadConstraints[0].labelSelector, { matchLabels: base.selector }],
        ["no service account token", {}, (_c, spec) => [spec.automountServiceAccountToken, spec.enableServiceLinks], [false, false]],
        [
            "only an emptyDir at /tmp",
            {},
            (c, spec) => [c.volumeMounts, spec.volumes],
            [[{ name: "tmp", mountPath: "/tmp" }], [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]],
        ],
    ])("sets %s", (_description, input, pick, expected) => {
        const { spec, container } = only(input);
        expect(pick(container, spec)).toEqual(expected);
    });

    it("passes the settings as env first, then each secret through secretKeyRef", () => {
        const { container } = only({ secretEnvFrom: { secretName: "api-secret-env-x", keys: ["APP_A", "APP_B"] } });
        expect(container.env.map((e: Json) => e.name)).toEqual([
            "PORT",
            "LOG_LEVEL",
            "GREETING",
            "DRAIN_DELAY_SECONDS",
            "SHUTDOWN_DEADLINE_SECONDS",
            "REQUEST_TIMEOUT_SECONDS",
            "BODY_LIMIT_BYTES",
            "APP_A",
            "APP_B",
        ]);
        expect(container.env[7]).toEqual({ name: "APP_A", valueFrom: { secretKeyRef: { name: "api-secret-env-x", key: "APP_A" } } });
    });
});
