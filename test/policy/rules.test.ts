import { evaluate, ResourceRule, rules, StackResource, StackRule, UNKNOWN } from "../../policy/rules";
import { POD_TEMPLATE_TYPES } from "../../policy/rules/workloads";
import {
    compliantContainer,
    compliantStack,
    container,
    containerSecurity,
    deploymentProps,
    deploymentWith,
    LIFECYCLE_DOCUMENT,
    LONG_RUNNING_POD_TYPES,
    pdbProps,
    PINNED_IMAGE,
    podSpec,
    POD_LABELS,
    POD_TYPES,
    repositoryProps,
    stackResource,
    workloadOfType,
    workloadProps,
} from "./fixtures";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const DEPLOYMENT_PATCH = "kubernetes:apps/v1:DeploymentPatch";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const CONFIG_MAP_PATCH = "kubernetes:core/v1:ConfigMapPatch";
const REPOSITORY = "aws:ecr/repository:Repository";

/** One fixture for a resource rule: `fails` is a fragment of the expected message, absent for a passing fixture. */
interface ResourceCase {
    rule: string;
    title: string;
    type?: string;
    props: Record<string, unknown>;
    config?: Record<string, unknown>;
    fails?: string;
}

/** One fixture for a stack rule. */
interface StackCase {
    rule: string;
    title: string;
    resources: StackResource[];
    config?: Record<string, unknown>;
    fails?: string;
}

const withContainerSecurity = (patch: Record<string, unknown>) => deploymentWith((p) => Object.assign(containerSecurity(p), patch));
const withPodSecurity = (patch: Record<string, unknown>) => deploymentWith((p) => Object.assign(podSpec(p).securityContext as Record<string, unknown>, patch));
const withoutContainerSecurity = (...fields: string[]) => deploymentWith((p) => fields.forEach((f) => delete containerSecurity(p)[f]));
const withoutPodSecurity = (...fields: string[]) =>
    deploymentWith((p) => fields.forEach((f) => delete (podSpec(p).securityContext as Record<string, unknown>)[f]));
const withContainer = (patch: Record<string, unknown>) => deploymentWith((p) => Object.assign(container(p), patch));
const withPodSpec = (patch: Record<string, unknown>) => deploymentWith((p) => Object.assign(podSpec(p), patch));
const withEnv = (...env: Record<string, unknown>[]) => withContainer({ env });
const configMap = (data: Record<string, unknown>, binaryData?: Record<string, unknown>) => ({ metadata: { name: "env" }, data, binaryData });
const privileged = (c: Record<string, unknown>) => ({ ...c, securityContext: { ...(c.securityContext as object), privileged: true } });
const ephemeralWithoutEscalationSetting = () => {
    const c = compliantContainer("debug");
    delete (c.securityContext as Record<string, unknown>).allowPrivilegeEscalation;
    return c;
};
const repository = (patch: Record<string, unknown>) => ({ ...repositoryProps(), ...patch });
/** A DeploymentPatch of the "app" container that sets only `container` (and `pod` on the pod spec), as a Patch of a live Deployment does. */
const deploymentPatch = (container: Record<string, unknown>, pod: Record<string, unknown> = {}) => ({
    metadata: { name: "web-abc123", namespace: "apps" },
    spec: { template: { spec: { ...pod, containers: [{ name: "app", ...container }] } } },
});

const resourceCases: ResourceCase[] = [
    // pss-privileged
    { rule: "pss-privileged", title: "privileged: false is compliant", props: withContainerSecurity({ privileged: false }) },
    {
        rule: "pss-privileged",
        title: "a privileged container",
        props: withContainerSecurity({ privileged: true }),
        fails: 'container "app": securityContext.privileged',
    },
    {
        rule: "pss-privileged",
        title: "a privileged init container",
        props: withPodSpec({ initContainers: [privileged(compliantContainer("init"))] }),
        fails: 'init container "init"',
    },
    { rule: "pss-privileged", title: "a Windows HostProcess pod", props: withPodSecurity({ windowsOptions: { hostProcess: true } }), fails: "hostProcess" },
    // pss-host-namespaces
    { rule: "pss-host-namespaces", title: "host namespaces explicitly off", props: withPodSpec({ hostNetwork: false, hostPID: false, hostIPC: false }) },
    { rule: "pss-host-namespaces", title: "hostNetwork", props: withPodSpec({ hostNetwork: true }), fails: "spec.hostNetwork" },
    { rule: "pss-host-namespaces", title: "hostPID", props: withPodSpec({ hostPID: true }), fails: "spec.hostPID" },
    { rule: "pss-host-namespaces", title: "hostIPC", props: withPodSpec({ hostIPC: true }), fails: "spec.hostIPC" },
    // pss-host-ports
    { rule: "pss-host-ports", title: "hostPort 0 is the same as unset", props: withContainer({ ports: [{ containerPort: 8080, hostPort: 0 }] }) },
    {
        rule: "pss-host-ports",
        title: "a hostPort",
        props: withContainer({ ports: [{ containerPort: 8080, hostPort: 8080 }] }),
        fails: "hostPort must be unset (got 8080)",
    },
    // pss-volume-types
    {
        rule: "pss-volume-types",
        title: "configMap, secret, projected, pvc and csi volumes",
        props: withPodSpec({
            volumes: [
                { name: "a", configMap: { name: "c" } },
                { name: "b", secret: { secretName: "s" } },
                { name: "c", projected: { sources: [] } },
                { name: "d", persistentVolumeClaim: { claimName: "x" } },
                { name: "e", csi: { driver: "d" } },
            ],
        }),
    },
    {
        rule: "pss-volume-types",
        title: "a hostPath volume",
        props: withPodSpec({ volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] }),
        fails: 'volume "docker": hostPath',
    },
    {
        rule: "pss-volume-types",
        title: "an nfs volume",
        props: withPodSpec({ volumes: [{ name: "share", nfs: { server: "nfs", path: "/" } }] }),
        fails: 'source "nfs" is not allowed',
    },
    // pss-privilege-escalation
    { rule: "pss-privilege-escalation", title: "allowPrivilegeEscalation false", props: deploymentProps() },
    {
        rule: "pss-privilege-escalation",
        title: "allowPrivilegeEscalation unset",
        props: withoutContainerSecurity("allowPrivilegeEscalation"),
        fails: "allowPrivilegeEscalation must be false (got unset)",
    },
    {
        rule: "pss-privilege-escalation",
        title: "allowPrivilegeEscalation true",
        props: withContainerSecurity({ allowPrivilegeEscalation: true }),
        fails: "(got true)",
    },
    {
        rule: "pss-privilege-escalation",
        title: "an ephemeral container without the setting",
        props: withPodSpec({ ephemeralContainers: [ephemeralWithoutEscalationSetting()] }),
        fails: 'ephemeral container "debug"',
    },
    // pss-run-as-non-root
    { rule: "pss-run-as-non-root", title: "set only at pod level (containers inherit it)", props: withoutContainerSecurity("runAsNonRoot", "runAsUser") },
    { rule: "pss-run-as-non-root", title: "set only at container level", props: withoutPodSecurity("runAsNonRoot", "runAsUser") },
    {
        rule: "pss-run-as-non-root",
        title: "runAsNonRoot missing at both levels",
        props: deploymentWith((p) => {
            delete containerSecurity(p).runAsNonRoot;
            delete (podSpec(p).securityContext as Record<string, unknown>).runAsNonRoot;
        }),
        fails: "runAsNonRoot must be true (got unset)",
    },
    {
        rule: "pss-run-as-non-root",
        title: "a container overriding the pod with runAsNonRoot: false",
        props: withContainerSecurity({ runAsNonRoot: false }),
        fails: "runAsNonRoot must be true (got false)",
    },
    {
        rule: "pss-run-as-non-root",
        title: "pod-level runAsNonRoot: false even when containers set true",
        props: withPodSecurity({ runAsNonRoot: false }),
        fails: "pod: securityContext.runAsNonRoot must not be false",
    },
    { rule: "pss-run-as-non-root", title: "runAsUser 0 on the container", props: withContainerSecurity({ runAsUser: 0 }), fails: "runAsUser must not be 0" },
    {
        rule: "pss-run-as-non-root",
        title: "runAsUser 0 on the pod",
        props: withPodSecurity({ runAsUser: 0 }),
        fails: "pod: securityContext.runAsUser must not be 0",
    },
    {
        rule: "pss-run-as-non-root",
        title: "no numeric uid anywhere (image USER decides)",
        props: deploymentWith((p) => {
            delete containerSecurity(p).runAsUser;
            delete (podSpec(p).securityContext as Record<string, unknown>).runAsUser;
        }),
        fails: "runAsUser must be a numeric non-zero uid",
    },
    // pss-seccomp
    { rule: "pss-seccomp", title: "Localhost profile", props: withContainerSecurity({ seccompProfile: { type: "Localhost", localhostProfile: "p.json" } }) },
    { rule: "pss-seccomp", title: "pod-level RuntimeDefault only", props: withoutContainerSecurity("seccompProfile") },
    {
        rule: "pss-seccomp",
        title: "no profile at either level",
        props: deploymentWith((p) => {
            delete containerSecurity(p).seccompProfile;
            delete (podSpec(p).securityContext as Record<string, unknown>).seccompProfile;
        }),
        fails: "no seccomp profile",
    },
    {
        rule: "pss-seccomp",
        title: "a container opting out with Unconfined",
        props: withContainerSecurity({ seccompProfile: { type: "Unconfined" } }),
        fails: '(got "Unconfined")',
    },
    {
        rule: "pss-seccomp",
        title: "pod-level Unconfined",
        props: withPodSecurity({ seccompProfile: { type: "Unconfined" } }),
        fails: "pod: securityContext.seccompProfile.type",
    },
    // pss-capabilities
    {
        rule: "pss-capabilities",
        title: "drop ALL, add NET_BIND_SERVICE",
        props: withContainerSecurity({ capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } }),
    },
    { rule: "pss-capabilities", title: "no capabilities block", props: withoutContainerSecurity("capabilities"), fails: 'drop must include "ALL"' },
    {
        rule: "pss-capabilities",
        title: "dropping only NET_RAW",
        props: withContainerSecurity({ capabilities: { drop: ["NET_RAW"] } }),
        fails: 'drop must include "ALL"',
    },
    {
        rule: "pss-capabilities",
        title: "adding SYS_ADMIN",
        props: withContainerSecurity({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }),
        fails: 'add may only contain NET_BIND_SERVICE (got ["SYS_ADMIN"])',
    },
    // pss-kernel-hardening
    {
        rule: "pss-kernel-hardening",
        title: "safe sysctl, container_t, Default procMount, runtime/default AppArmor",
        props: deploymentWith((p) => {
            Object.assign(podSpec(p).securityContext as object, {
                sysctls: [{ name: "net.ipv4.tcp_syncookies", value: "1" }],
                seLinuxOptions: { type: "container_t" },
            });
            Object.assign(containerSecurity(p), { procMount: "Default", appArmorProfile: { type: "RuntimeDefault" } });
        }),
    },
    {
        rule: "pss-kernel-hardening",
        title: "an unsafe sysctl",
        props: withPodSecurity({ sysctls: [{ name: "kernel.msgmax", value: "1" }] }),
        fails: 'sysctl "kernel.msgmax"',
    },
    { rule: "pss-kernel-hardening", title: "Unmasked /proc", props: withContainerSecurity({ procMount: "Unmasked" }), fails: "procMount must be Default" },
    {
        rule: "pss-kernel-hardening",
        title: "a custom SELinux user",
        props: withContainerSecurity({ seLinuxOptions: { user: "system_u" } }),
        fails: "seLinuxOptions.user must be unset",
    },
    {
        rule: "pss-kernel-hardening",
        title: "AppArmor unconfined",
        props: withContainerSecurity({ appArmorProfile: { type: "Unconfined" } }),
        fails: "appArmorProfile.type",
    },
    {
        rule: "pss-kernel-hardening",
        title: "AppArmor unconfined by annotation",
        props: deploymentWith((p) => {
            (p.spec as { template: { metadata: Record<string, unknown> } }).template.metadata.annotations = {
                "container.apparmor.security.beta.kubernetes.io/app": "unconfined",
            };
        }),
        fails: "AppArmor profile must be runtime/default",
    },
    // workload-resources
    { rule: "workload-resources", title: "requests and limits for cpu and memory", props: deploymentProps() },
    {
        rule: "workload-resources",
        title: "no resources",
        props: withContainer({ resources: undefined }),
        fails: "requests.cpu, requests.memory, limits.cpu, limits.memory must be set",
    },
    {
        rule: "workload-resources",
        title: "no cpu limit",
        props: withContainer({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } } }),
        fails: "limits.cpu must be set",
    },
    {
        rule: "workload-resources",
        title: "an init container without resources",
        props: withPodSpec({ initContainers: [{ ...compliantContainer("migrate"), resources: {} }] }),
        fails: 'init container "migrate"',
    },
    // workload-probes
    { rule: "workload-probes", title: "different liveness and readiness endpoints", props: deploymentProps() },
    {
        rule: "workload-probes",
        title: "a Job needs no probes",
        type: "kubernetes:batch/v1:Job",
        props: (() => {
            const p = workloadOfType("kubernetes:batch/v1:Job");
            const c = (podSpec(p, "kubernetes:batch/v1:Job").containers as Record<string, unknown>[])[0];
            delete c.livenessProbe;
            delete c.readinessProbe;
            return p;
        })(),
    },
    { rule: "workload-probes", title: "no readiness probe", props: withContainer({ readinessProbe: undefined }), fails: "readinessProbe with an httpGet" },
    { rule: "workload-probes", title: "no liveness probe", props: withContainer({ livenessProbe: undefined }), fails: "livenessProbe with an httpGet" },
    {
        rule: "workload-probes",
        title: "a probe without a handler",
        props: withContainer({ livenessProbe: { periodSeconds: 10 } }),
        fails: "livenessProbe with an httpGet",
    },
    {
        rule: "workload-probes",
        title: "identical handlers with different timings",
        props: withContainer({ livenessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 30 } }),
        fails: "call the same",
    },
    // workload-image-digest
    { rule: "workload-image-digest", title: "a digest-pinned image", props: deploymentProps() },
    { rule: "workload-image-digest", title: "a tag plus digest", props: withContainer({ image: `nginx:1.27@sha256:${"0".repeat(64)}` }) },
    { rule: "workload-image-digest", title: "a bare image", props: withContainer({ image: "nginx" }), fails: "has no tag or digest" },
    {
        rule: "workload-image-digest",
        title: "a registry with a port and no tag",
        props: withContainer({ image: "localhost:5000/web" }),
        fails: "has no tag or digest",
    },
    { rule: "workload-image-digest", title: "the latest tag", props: withContainer({ image: "nginx:latest" }), fails: "uses the :latest tag" },
    { rule: "workload-image-digest", title: "a version tag", props: withContainer({ image: "nginx:1.27" }), fails: "pinned by a tag only" },
    { rule: "workload-image-digest", title: "a truncated digest", props: withContainer({ image: "nginx@sha256:abc" }), fails: "malformed digest" },
    { rule: "workload-image-digest", title: "no image", props: withContainer({ image: undefined }), fails: "image must be set" },
    // workload-read-only-root-filesystem
    { rule: "workload-read-only-root-filesystem", title: "read-only root", props: deploymentProps() },
    {
        rule: "workload-read-only-root-filesystem",
        title: "unset",
        props: withoutContainerSecurity("readOnlyRootFilesystem"),
        fails: "readOnlyRootFilesystem must be true (got unset)",
    },
    { rule: "workload-read-only-root-filesystem", title: "false", props: withContainerSecurity({ readOnlyRootFilesystem: false }), fails: "(got false)" },
    // workload-service-account-token
    { rule: "workload-service-account-token", title: "automount off", props: deploymentProps() },
    {
        rule: "workload-service-account-token",
        title: "automount unset",
        props: withPodSpec({ automountServiceAccountToken: undefined }),
        fails: "automountServiceAccountToken must be false (got unset)",
    },
    { rule: "workload-service-account-token", title: "automount on", props: withPodSpec({ automountServiceAccountToken: true }), fails: "(got true)" },
    // secret-env-literal
    { rule: "secret-env-literal", title: "secretKeyRef and harmless literals", props: deploymentProps() },
    {
        rule: "secret-env-literal",
        title: "metadata about a secret (a file path, a TTL, a number)",
        props: withEnv(
            { name: "DB_PASSWORD_FILE", value: "/run/secrets/db" },
            { name: "TOKEN_TTL_SECONDS", value: "300" },
            { name: "MAX_TOKENS", value: "4096" },
        ),
    },
    {
        rule: "secret-env-literal",
        title: "a URL and a token composed from secretKeyRef variables",
        props: withEnv({ name: "DATABASE_URL", value: "postgres://app:$(DB_PASSWORD)@db:5432/app" }, { name: "AUTH_TOKEN", value: "$(API_TOKEN)" }),
    },
    {
        rule: "secret-env-literal",
        title: "an allow-listed name",
        props: withEnv({ name: "PUBLIC_API_KEY", value: "pk_test_123" }),
        config: { allowedNames: ["PUBLIC_API_KEY"] },
    },
    {
        rule: "secret-env-literal",
        title: "a password literal",
        props: withEnv({ name: "DB_PASSWORD", value: "hunter2" }),
        fails: "env DB_PASSWORD must not be a literal: its name says",
    },
    { rule: "secret-env-literal", title: "a camelCase api key", props: withEnv({ name: "stripeApiKey", value: "abc123" }), fails: "env stripeApiKey" },
    {
        rule: "secret-env-literal",
        title: "an AWS access key under an innocent name",
        props: withEnv({ name: "UPLOAD_USER", value: "AKIAIOSFODNN7EXAMPLE" }),
        fails: "looks like an AWS access key id",
    },
    {
        rule: "secret-env-literal",
        title: "a PEM private key",
        props: withEnv({ name: "TLS", value: "-----BEGIN RSA PRIVATE KEY-----\nMIIE..." }),
        fails: "a PEM private key",
    },
    {
        rule: "secret-env-literal",
        title: "a database URL with a password",
        props: withEnv({ name: "DATABASE_URL", value: "postgres://app:s3cret@db:5432/app" }),
        fails: "a URL with an embedded password",
    },
    {
        rule: "secret-env-literal",
        title: "names that mention a key or a password but are not one",
        props: withEnv(
            { name: "PWD", value: "/app" },
            { name: "AWS_ACCESS_KEY_ID", value: "from-the-instance-role" },
            { name: "CACHE_KEY_PREFIX", value: "web:" },
            { name: "PUBLIC_KEY", value: "ssh-ed25519 AAAAC3Nz" },
            { name: "SIGNING_KEY_FILE", value: "/run/secrets/signing" },
        ),
    },
    {
        rule: "secret-env-literal",
        title: "an abbreviated password (DB_PASS)",
        props: withEnv({ name: "DB_PASS", value: "hunter2" }),
        fails: "env DB_PASS must not be a literal: its name says",
    },
    {
        rule: "secret-env-literal",
        title: "an abbreviated password (MYSQL_PWD)",
        props: withEnv({ name: "MYSQL_PWD", value: "hunter2" }),
        fails: "env MYSQL_PWD",
    },
    { rule: "secret-env-literal", title: "a *_KEY (STRIPE_KEY)", props: withEnv({ name: "STRIPE_KEY", value: "sk_test_abc" }), fails: "env STRIPE_KEY" },
    {
        rule: "secret-env-literal",
        title: "a JSON value assigning a password",
        props: withEnv({ name: "APP_CONFIG", value: '{"db":{"host":"db","password":"hunter2"}}' }),
        fails: 'env APP_CONFIG must not be a literal: its value looks like a JSON document assigning "db.password"',
    },
    {
        rule: "secret-env-literal",
        title: "a literal in an init container",
        props: withPodSpec({
            initContainers: [{ ...compliantContainer("init"), env: [{ name: "GITHUB_TOKEN", value: "ghp_0123456789abcdefghijABCDEFGHIJ012345" }] }],
        }),
        fails: 'init container "init": env GITHUB_TOKEN',
    },
    // secret-configmap-entries
    {
        rule: "secret-configmap-entries",
        title: "plain settings",
        type: CONFIG_MAP,
        props: configMap({ LOG_LEVEL: "info", GREETING: "hi", "app.yaml": "port: 8080\ntoken_ttl: 30\n" }),
    },
    { rule: "secret-configmap-entries", title: "a key named like a secret", type: CONFIG_MAP, props: configMap({ API_KEY: "abc" }), fails: "data.API_KEY" },
    {
        rule: "secret-configmap-entries",
        title: "a value shaped like a JWT",
        type: CONFIG_MAP,
        props: configMap({ SESSION: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U" }),
        fails: "a JSON Web Token",
    },
    {
        rule: "secret-configmap-entries",
        title: "a config file assigning a password",
        type: CONFIG_MAP,
        props: configMap({ "app.yaml": "port: 8080\ndb_password: hunter2\n" }),
        fails: 'a config file assigning "db_password"',
    },
    {
        rule: "secret-configmap-entries",
        title: "a binary entry named like a key",
        type: CONFIG_MAP,
        props: configMap({}, { "tls.private_key": "AAAA" }),
        fails: "binaryData.tls.private_key",
    },
    {
        rule: "secret-configmap-entries",
        title: "a JSON document of plain settings and placeholders",
        type: CONFIG_MAP,
        props: configMap({ "app.json": '{"db":{"host":"db","port":5432,"password":"${DB_PASSWORD}"},"cacheKey":"users","features":["a","b"]}' }),
    },
    {
        rule: "secret-configmap-entries",
        title: "a JSON document with a nested password",
        type: CONFIG_MAP,
        props: configMap({ "app.json": '{"db":{"password":"hunter2"}}' }),
        fails: 'data.app.json: its value looks like a JSON document assigning "db.password"',
    },
    {
        rule: "secret-configmap-entries",
        title: "a JSON document with an abbreviated name",
        type: CONFIG_MAP,
        props: configMap({ "app.json": '{"DB_PASS":"x"}' }),
        fails: 'a JSON document assigning "DB_PASS"',
    },
    {
        rule: "secret-configmap-entries",
        title: "a JSON array of users with passwords",
        type: CONFIG_MAP,
        props: configMap({ "users.json": '[{"name":"admin","pass":"hunter2"}]' }),
        fails: 'a JSON document assigning "0.pass"',
    },
    {
        rule: "secret-configmap-entries",
        title: "a key with an abbreviated name",
        type: CONFIG_MAP,
        props: configMap({ SIGNING_KEY: "abc" }),
        fails: "data.SIGNING_KEY",
    },
    {
        rule: "secret-configmap-entries",
        title: "binaryData is judged by name only",
        type: CONFIG_MAP,
        props: configMap({}, { "app.json": Buffer.from('{"password":"hunter2"}').toString("base64") }),
    },
    { rule: "secret-configmap-entries", title: "a ConfigMapPatch of plain settings", type: CONFIG_MAP_PATCH, props: configMap({ LOG_LEVEL: "debug" }) },
    {
        rule: "secret-configmap-entries",
        title: "a ConfigMapPatch adding a password",
        type: CONFIG_MAP_PATCH,
        props: configMap({ SMTP_PASS: "hunter2" }),
        fails: "data.SMTP_PASS",
    },
    // *Patch types: a Patch applies on top of a live object, so only the fields it sets are judged
    {
        rule: "pss-privilege-escalation",
        title: "a DeploymentPatch setting allowPrivilegeEscalation: true",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ securityContext: { allowPrivilegeEscalation: true } }),
        fails: "allowPrivilegeEscalation must be false (got true)",
    },
    {
        rule: "pss-run-as-non-root",
        title: "a DeploymentPatch setting runAsUser 0",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ securityContext: { runAsUser: 0 } }),
        fails: 'container "app": securityContext.runAsUser must not be 0',
    },
    {
        rule: "pss-run-as-non-root",
        title: "a DeploymentPatch setting runAsNonRoot: false",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ securityContext: { runAsNonRoot: false } }),
        fails: "runAsNonRoot must be true (got false)",
    },
    {
        rule: "pss-seccomp",
        title: "a DeploymentPatch opting out with Unconfined",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ securityContext: { seccompProfile: { type: "Unconfined" } } }),
        fails: '(got "Unconfined")',
    },
    {
        rule: "pss-capabilities",
        title: "a DeploymentPatch adding NET_BIND_SERVICE (drop left to the live object)",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ securityContext: { capabilities: { add: ["NET_BIND_SERVICE"] } } }),
    },
    {
        rule: "pss-capabilities",
        title: "a DeploymentPatch replacing drop without ALL",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ securityContext: { capabilities: { drop: ["NET_RAW"] } } }),
        fails: 'capabilities.drop must include "ALL" (got ["NET_RAW"])',
    },
    {
        rule: "pss-host-namespaces",
        title: "a DeploymentPatch turning on hostNetwork",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({}, { hostNetwork: true }),
        fails: "pod: spec.hostNetwork must not be true",
    },
    {
        rule: "workload-resources",
        title: "a DeploymentPatch raising only the cpu request",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ resources: { requests: { cpu: "200m" } } }),
    },
    {
        rule: "workload-resources",
        title: "a DeploymentPatch clearing the memory limit",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ resources: { limits: { memory: null } } }),
        fails: 'container "app": resources limits.memory must be set',
    },
    {
        rule: "workload-probes",
        title: "a DeploymentPatch tuning the readiness period only",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ readinessProbe: { periodSeconds: 3 } }),
    },
    {
        rule: "workload-probes",
        title: "a DeploymentPatch clearing the readiness probe",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ readinessProbe: null }),
        fails: "readinessProbe with an httpGet, tcpSocket, exec or grpc handler must be set",
    },
    {
        rule: "workload-probes",
        title: "a DeploymentPatch pointing both probes at one endpoint",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({
            readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
            livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
        }),
        fails: "readinessProbe and livenessProbe call the same",
    },
    { rule: "workload-image-digest", title: "a DeploymentPatch pinning a new digest", type: DEPLOYMENT_PATCH, props: deploymentPatch({ image: PINNED_IMAGE }) },
    {
        rule: "workload-image-digest",
        title: "a DeploymentPatch moving to :latest",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ image: "nginx:latest" }),
        fails: 'image "nginx:latest" uses the :latest tag',
    },
    {
        rule: "workload-read-only-root-filesystem",
        title: "a DeploymentPatch making the root filesystem writable",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ securityContext: { readOnlyRootFilesystem: false } }),
        fails: "readOnlyRootFilesystem must be true (got false)",
    },
    {
        rule: "workload-service-account-token",
        title: "a DeploymentPatch mounting the token",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({}, { automountServiceAccountToken: true }),
        fails: "automountServiceAccountToken must be false (got true)",
    },
    {
        rule: "secret-env-literal",
        title: "a DeploymentPatch adding a password literal",
        type: DEPLOYMENT_PATCH,
        props: deploymentPatch({ env: [{ name: "DB_PASSWORD", value: "hunter2" }] }),
        fails: 'container "app": env DB_PASSWORD',
    },
    // ecr-scan-on-push
    { rule: "ecr-scan-on-push", title: "scan on push", type: REPOSITORY, props: repositoryProps() },
    {
        rule: "ecr-scan-on-push",
        title: "scanning off",
        type: REPOSITORY,
        props: repository({ imageScanningConfiguration: { scanOnPush: false } }),
        fails: "ECR.1",
    },
    {
        rule: "ecr-scan-on-push",
        title: "no scanning configuration",
        type: REPOSITORY,
        props: repository({ imageScanningConfiguration: undefined }),
        fails: "scanOnPush must be true",
    },
    // ecr-tag-immutability
    { rule: "ecr-tag-immutability", title: "IMMUTABLE", type: REPOSITORY, props: repositoryProps() },
    {
        rule: "ecr-tag-immutability",
        title: "MUTABLE with a recorded reason",
        type: REPOSITORY,
        props: repository({ imageTagMutability: "MUTABLE", tags: { "mutable-tags-reason": "dev stack re-pushes :dev" } }),
    },
    {
        rule: "ecr-tag-immutability",
        title: "IMMUTABLE_WITH_EXCLUSION",
        type: REPOSITORY,
        props: repository({
            imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters: [{ filter: "dev-*", filterType: "WILDCARD" }],
        }),
    },
    {
        rule: "ecr-tag-immutability",
        title: "MUTABLE",
        type: REPOSITORY,
        props: repository({ imageTagMutability: "MUTABLE" }),
        fails: 'must be IMMUTABLE (got "MUTABLE")',
    },
    {
        rule: "ecr-tag-immutability",
        title: "unset (defaults to MUTABLE)",
        type: REPOSITORY,
        props: repository({ imageTagMutability: undefined }),
        fails: "unset (MUTABLE)",
    },
    {
        rule: "ecr-tag-immutability",
        title: "MUTABLE with an empty reason",
        type: REPOSITORY,
        props: repository({ imageTagMutability: "MUTABLE", tags: { "mutable-tags-reason": " " } }),
        fails: "ECR.2",
    },
    // ecr-mutable-tags-acknowledged
    { rule: "ecr-mutable-tags-acknowledged", title: "IMMUTABLE has nothing to report", type: REPOSITORY, props: repositoryProps() },
    {
        rule: "ecr-mutable-tags-acknowledged",
        title: "MUTABLE without a reason is left to ecr-tag-immutability",
        type: REPOSITORY,
        props: repository({ imageTagMutability: "MUTABLE" }),
    },
    {
        rule: "ecr-mutable-tags-acknowledged",
        title: "MUTABLE with a reason is reported",
        type: REPOSITORY,
        props: repository({ imageTagMutability: "MUTABLE", tags: { "mutable-tags-reason": "dev stack" } }),
        fails: 'deliberately mutable (tag mutable-tags-reason: "dev stack")',
    },
    // ecr-encryption
    { rule: "ecr-encryption", title: "AES256", type: REPOSITORY, props: repositoryProps() },
    {
        rule: "ecr-encryption",
        title: "KMS when KMS is required",
        type: REPOSITORY,
        props: repository({ encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: "arn:aws:kms:us-west-2:123456789012:key/1" }] }),
        config: { requireKms: true },
    },
    {
        rule: "ecr-encryption",
        title: "no encryption configuration",
        type: REPOSITORY,
        props: repository({ encryptionConfigurations: undefined }),
        fails: "must declare encryptionType AES256 or KMS",
    },
    { rule: "ecr-encryption", title: "AES256 when KMS is required", type: REPOSITORY, props: repositoryProps(), config: { requireKms: true }, fails: "ECR.5" },
    {
        rule: "ecr-encryption",
        title: "the AWS-managed KMS key when a customer key is required",
        type: REPOSITORY,
        props: repository({ encryptionConfigurations: [{ encryptionType: "KMS" }] }),
        config: { requireKms: true },
        fails: "customer managed kmsKey",
    },
];

const stackWith = (change: (resources: StackResource[]) => void): StackResource[] => {
    const resources = compliantStack();
    change(resources);
    return resources;
};
const find = (resources: StackResource[], type: string) => resources.find((r) => r.type.endsWith(type))!;
const hpa = (minReplicas?: number) =>
    stackResource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "web", {
        metadata: { namespace: "apps" },
        spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web-abc123" }, minReplicas, maxReplicas: 5 },
    });
const setPdb = (spec: Record<string, unknown>) => (rs: StackResource[]) => {
    find(rs, "PodDisruptionBudget").props = pdbProps(spec);
};
const setReplicas = (n: number | undefined) => (rs: StackResource[]) => {
    (find(rs, "Deployment").props.spec as Record<string, unknown>).replicas = n;
};
const setServicePort = (port: Record<string, unknown>) => (rs: StackResource[]) => {
    (find(rs, "Service").props.spec as Record<string, unknown>).ports = [port];
};

const stackCases: StackCase[] = [
    // workload-replicas
    { rule: "workload-replicas", title: "two replicas", resources: compliantStack() },
    {
        rule: "workload-replicas",
        title: "an autoscaler with minReplicas 2 and no spec.replicas",
        resources: stackWith((rs) => {
            setReplicas(undefined)(rs);
            rs.push(hpa(2));
        }),
    },
    { rule: "workload-replicas", title: "one replica below a configured minimum of 1", resources: stackWith(setReplicas(1)), config: { minReplicas: 1 } },
    { rule: "workload-replicas", title: "one replica", resources: stackWith(setReplicas(1)), fails: 'Deployment "web" runs 1 replica(s) (spec.replicas)' },
    { rule: "workload-replicas", title: "replicas unset", resources: stackWith(setReplicas(undefined)), fails: "(spec.replicas (unset, defaults to 1))" },
    {
        rule: "workload-replicas",
        title: "an autoscaler whose target name is not known yet (preview)",
        resources: stackWith((rs) => {
            setReplicas(undefined)(rs);
            const h = hpa(2);
            (h.props.spec as { scaleTargetRef: Record<string, unknown> }).scaleTargetRef.name = UNKNOWN;
            rs.push(h);
        }),
    },
    {
        rule: "workload-replicas",
        title: "an autoscaler allowing one replica",
        resources: stackWith((rs) => {
            setReplicas(undefined)(rs);
            rs.push(hpa(undefined));
        }),
        fails: 'minReplicas of HorizontalPodAutoscaler "web"',
    },
    {
        rule: "workload-replicas",
        title: "three replicas below a configured minimum of 4",
        resources: stackWith(setReplicas(3)),
        config: { minReplicas: 4 },
        fails: "at least 4",
    },
    {
        rule: "workload-replicas",
        title: "a DeploymentPatch that leaves spec.replicas to the live object",
        resources: [stackResource(DEPLOYMENT_PATCH, "web", deploymentPatch({ image: PINNED_IMAGE }))],
    },
    {
        rule: "workload-replicas",
        title: "a DeploymentPatch scaling down to one replica",
        resources: [stackResource(DEPLOYMENT_PATCH, "web", { metadata: { name: "web-abc123", namespace: "apps" }, spec: { replicas: 1 } })],
        fails: 'DeploymentPatch "web" runs 1 replica(s) (spec.replicas)',
    },
    {
        rule: "workload-replicas",
        title: "an autoscaler allowing one replica of a patched Deployment",
        resources: [stackResource(DEPLOYMENT_PATCH, "web", deploymentPatch({ image: PINNED_IMAGE })), hpa(1)],
        fails: 'DeploymentPatch "web" runs 1 replica(s) (minReplicas of HorizontalPodAutoscaler "web")',
    },
    // workload-disruption-budget
    { rule: "workload-disruption-budget", title: "maxUnavailable 1", resources: compliantStack() },
    { rule: "workload-disruption-budget", title: "minAvailable 1 with two replicas", resources: stackWith(setPdb({ minAvailable: 1 })) },
    { rule: "workload-disruption-budget", title: "minAvailable 50% with two replicas (needs 1)", resources: stackWith(setPdb({ minAvailable: "50%" })) },
    {
        rule: "workload-disruption-budget",
        title: "a matchExpressions selector",
        resources: stackWith((rs) => {
            find(rs, "PodDisruptionBudget").props = {
                metadata: { namespace: "apps" },
                spec: { maxUnavailable: "25%", selector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["web"] }] } },
            };
        }),
    },
    {
        rule: "workload-disruption-budget",
        title: "no PDB",
        resources: stackWith((rs) => rs.splice(rs.indexOf(find(rs, "PodDisruptionBudget")), 1)),
        fails: 'Deployment "web" has no PodDisruptionBudget',
    },
    {
        rule: "workload-disruption-budget",
        title: "a PDB in another namespace",
        resources: stackWith((rs) => {
            (find(rs, "PodDisruptionBudget").props.metadata as Record<string, unknown>).namespace = "other";
        }),
        fails: "has no PodDisruptionBudget",
    },
    {
        rule: "workload-disruption-budget",
        title: "a PDB selecting other pods",
        resources: stackWith((rs) => {
            find(rs, "PodDisruptionBudget").props = {
                metadata: { namespace: "apps" },
                spec: { maxUnavailable: 1, selector: { matchLabels: { app: "other" } } },
            };
        }),
        fails: "has no PodDisruptionBudget",
    },
    {
        rule: "workload-disruption-budget",
        title: "maxUnavailable 0",
        resources: stackWith(setPdb({ maxUnavailable: 0 })),
        fails: "maxUnavailable 0 allows no eviction",
    },
    {
        rule: "workload-disruption-budget",
        title: "maxUnavailable 0%",
        resources: stackWith(setPdb({ maxUnavailable: "0%" })),
        fails: 'maxUnavailable "0%" allows no eviction',
    },
    {
        rule: "workload-disruption-budget",
        title: "minAvailable equal to replicas",
        resources: stackWith(setPdb({ minAvailable: 2 })),
        fails: "minAvailable 2 with 2 replica(s) allows no eviction",
    },
    { rule: "workload-disruption-budget", title: "minAvailable 100%", resources: stackWith(setPdb({ minAvailable: "100%" })), fails: 'minAvailable "100%"' },
    {
        rule: "workload-disruption-budget",
        title: "minAvailable 1 with an autoscaler that may go down to 1",
        resources: stackWith((rs) => {
            setPdb({ minAvailable: 1 })(rs);
            setReplicas(undefined)(rs);
            rs.push(hpa(1));
        }),
        fails: "with 1 replica(s)",
    },
    { rule: "workload-disruption-budget", title: "neither field set", resources: stackWith(setPdb({})), fails: "sets neither minAvailable nor maxUnavailable" },
    {
        rule: "workload-disruption-budget",
        title: "a DeploymentPatch without a PDB (the PDB belongs with the patched Deployment)",
        resources: [stackResource(DEPLOYMENT_PATCH, "web", workloadOfType(DEPLOYMENT_PATCH))],
    },
    {
        rule: "workload-disruption-budget",
        title: "two PDBs over the same pods",
        resources: stackWith((rs) => rs.push(stackResource("kubernetes:policy/v1:PodDisruptionBudget", "web-extra", pdbProps()))),
        fails: "selected by 2 PodDisruptionBudgets",
    },
    // service-targets-pods
    { rule: "service-targets-pods", title: "a named targetPort", resources: compliantStack() },
    { rule: "service-targets-pods", title: "a numeric targetPort", resources: stackWith(setServicePort({ port: 80, targetPort: 8080 })) },
    { rule: "service-targets-pods", title: "no targetPort (defaults to port)", resources: stackWith(setServicePort({ port: 8080 })) },
    {
        rule: "service-targets-pods",
        title: "a selector-less Service (manual endpoints)",
        resources: stackWith((rs) => {
            (find(rs, "Service").props.spec as Record<string, unknown>).selector = undefined;
        }),
    },
    {
        rule: "service-targets-pods",
        title: "an ExternalName Service",
        resources: [
            stackResource("kubernetes:core/v1:Service", "db", { spec: { type: "ExternalName", externalName: "db.example.com", selector: { app: "db" } } }),
        ],
    },
    {
        rule: "service-targets-pods",
        title: "a selector no pod carries",
        resources: stackWith((rs) => {
            (find(rs, "Service").props.spec as Record<string, unknown>).selector = { ...POD_LABELS, tier: "api" };
        }),
        fails: "no pod template in this stack and namespace carries those labels",
    },
    {
        rule: "service-targets-pods",
        title: "pods in another namespace",
        resources: stackWith((rs) => {
            (find(rs, "Service").props.metadata as Record<string, unknown>).namespace = "other";
        }),
        fails: "no pod template",
    },
    {
        rule: "service-targets-pods",
        title: "an unknown port name",
        resources: stackWith(setServicePort({ name: "metrics", port: 9090, targetPort: "metrics" })),
        fails: 'targets "metrics"/TCP, which no selected container declares (declared: http/8080)',
    },
    {
        rule: "service-targets-pods",
        title: "an undeclared port number",
        resources: stackWith(setServicePort({ port: 80, targetPort: 9090 })),
        fails: "targets 9090/TCP",
    },
    {
        rule: "service-targets-pods",
        title: "labels only a PodTemplate carries (it runs no pods)",
        resources: stackWith((rs) => {
            find(rs, "Deployment").type = "kubernetes:core/v1:PodTemplate";
            find(rs, "PodTemplate").props = workloadOfType("kubernetes:core/v1:PodTemplate");
        }),
        fails: "no pod template in this stack and namespace carries those labels",
    },
    {
        rule: "service-targets-pods",
        title: "labels only a DeploymentPatch carries (the pods are declared elsewhere)",
        resources: stackWith((rs) => {
            find(rs, "Deployment").type = DEPLOYMENT_PATCH;
        }),
        fails: "no pod template in this stack and namespace carries those labels",
    },
    {
        rule: "service-targets-pods",
        title: "a Job's pods",
        resources: stackWith((rs) => {
            find(rs, "Deployment").type = "kubernetes:batch/v1:Job";
        }),
    },
    {
        rule: "service-targets-pods",
        title: "a protocol mismatch",
        resources: stackWith(setServicePort({ port: 8080, protocol: "UDP" })),
        fails: "targets 8080/UDP",
    },
    // ecr-lifecycle-policy
    { rule: "ecr-lifecycle-policy", title: "a policy attached by repository name", resources: compliantStack() },
    {
        rule: "ecr-lifecycle-policy",
        title: "a policy attached through a property dependency",
        resources: stackWith((rs) => {
            const p = find(rs, "LifecyclePolicy");
            p.props.repository = UNKNOWN;
            p.propertyDependencies = { repository: [find(rs, "Repository").urn] };
        }),
    },
    {
        rule: "ecr-lifecycle-policy",
        title: "a policy document given as an object",
        resources: stackWith((rs) => {
            find(rs, "LifecyclePolicy").props.policy = JSON.parse(LIFECYCLE_DOCUMENT);
        }),
    },
    {
        rule: "ecr-lifecycle-policy",
        title: "no lifecycle policy",
        resources: stackWith((rs) => rs.splice(rs.indexOf(find(rs, "LifecyclePolicy")), 1)),
        fails: 'ECR repository "web" has no aws.ecr.LifecyclePolicy',
    },
    {
        rule: "ecr-lifecycle-policy",
        title: "a policy for another repository",
        resources: stackWith((rs) => {
            find(rs, "LifecyclePolicy").props.repository = "other";
        }),
        fails: "ECR.3",
    },
    {
        rule: "ecr-lifecycle-policy",
        title: "a policy without rules",
        resources: stackWith((rs) => {
            find(rs, "LifecyclePolicy").props.policy = JSON.stringify({ rules: [] });
        }),
        fails: 'LifecyclePolicy "web" for ECR repository "web" has no rules',
    },
    {
        rule: "ecr-lifecycle-policy",
        title: "a policy that is not JSON",
        resources: stackWith((rs) => {
            find(rs, "LifecyclePolicy").props.policy = "{not json";
        }),
        fails: "has no rules (or is not valid JSON)",
    },
];

function resourceRule(name: string): ResourceRule {
    const rule = rules.find((r) => r.name === name);
    if (rule === undefined || rule.kind !== "resource") {
        throw new Error(`no resource rule ${name}`);
    }
    return rule;
}

function stackRule(name: string): StackRule {
    const rule = rules.find((r) => r.name === name);
    if (rule === undefined || rule.kind !== "stack") {
        throw new Error(`no stack rule ${name}`);
    }
    return rule;
}

describe("resource rules", () => {
    it.each(resourceCases.map((c) => [c.rule, c.fails === undefined ? "passes" : "fails", c.title, c] as const))("%s %s: %s", (_rule, _verdict, _title, c) => {
        const rule = resourceRule(c.rule);
        const type = c.type ?? DEPLOYMENT;
        // The engine only calls a rule for its types; a fixture of another type must come out clean.
        const messages = rule.types.includes(type) ? rule.check({ type, name: "web", props: c.props }, c.config ?? {}).map((v) => v.message) : [];
        if (c.fails === undefined) {
            expect(messages).toEqual([]);
        } else {
            expect(messages).toEqual(expect.arrayContaining([expect.stringContaining(c.fails)]));
        }
    });
});

describe("stack rules", () => {
    it.each(stackCases.map((c) => [c.rule, c.fails === undefined ? "passes" : "fails", c.title, c] as const))("%s %s: %s", (_rule, _verdict, _title, c) => {
        const messages = stackRule(c.rule)
            .check(c.resources, c.config ?? {})
            .map((v) => v.message);
        if (c.fails === undefined) {
            expect(messages).toEqual([]);
        } else {
            expect(messages).toEqual(expect.arrayContaining([expect.stringContaining(c.fails)]));
        }
    });
});

describe("the fixture tables", () => {
    const all = [...resourceCases, ...stackCases];

    it.each(rules.map((r) => [r.name]))("cover %s with at least one passing and one failing fixture", (name) => {
        expect(all.filter((c) => c.rule === name && c.fails === undefined).length).toBeGreaterThanOrEqual(1);
        expect(all.filter((c) => c.rule === name && c.fails !== undefined).length).toBeGreaterThanOrEqual(1);
    });

    it("name only rules that exist", () => {
        const names = new Set(rules.map((r) => r.name));
        expect(all.map((c) => c.rule).filter((n) => !names.has(n))).toEqual([]);
    });

    it("each failing fixture fails only the rule it is about, among the resource rules", () => {
        // A fixture that trips several rules would hide which rule really caught it.
        const extra = resourceCases
            .filter((c) => c.fails !== undefined && c.type === undefined)
            .flatMap((c) =>
                evaluate([stackResource(DEPLOYMENT, "web", c.props)])
                    .filter((f) => !["workload-replicas", "workload-disruption-budget", c.rule].includes(f.rule))
                    .map((f) => `${c.rule} / ${c.title}: also ${f.rule}`),
            );
        expect(extra).toEqual([]);
    });
});

describe("the compliant fixtures", () => {
    it("pass every rule together as one stack", () => {
        expect(evaluate(compliantStack())).toEqual([]);
    });
});

describe("every type that carries a pod template", () => {
    const resourceRuleNames = rules.filter((r) => r.kind === "resource").map((r) => r.name);
    /** The resource rules `props` of `type` fails, in rule order. */
    const failedResourceRules = (type: string, props: Record<string, unknown>) =>
        evaluate([stackResource(type, "w", props)])
            .map((f) => f.rule)
            .filter((rule) => resourceRuleNames.includes(rule));
    const firstContainer = (spec: Record<string, unknown>) => (spec.containers as Record<string, unknown>[])[0];

    /** One broken thing per rule family, applied to a compliant pod spec. */
    const violations: { title: string; rule: string; apply(spec: Record<string, unknown>): void }[] = [
        {
            title: "running as root",
            rule: "pss-run-as-non-root",
            apply: (spec) => void ((firstContainer(spec).securityContext as Record<string, unknown>).runAsUser = 0),
        },
        { title: "on the host network", rule: "pss-host-namespaces", apply: (spec) => void (spec.hostNetwork = true) },
        {
            title: "with a DB_PASSWORD literal",
            rule: "secret-env-literal",
            apply: (spec) => void (firstContainer(spec).env as unknown[]).push({ name: "DB_PASSWORD", value: "hunter2" }),
        },
        { title: "with a :latest image", rule: "workload-image-digest", apply: (spec) => void (firstContainer(spec).image = "web:latest") },
    ];

    it("are exactly the types the pack reads pod templates from", () => {
        expect([...POD_TEMPLATE_TYPES].sort()).toEqual([...POD_TYPES].sort());
    });

    it.each(POD_TYPES.map((t) => [t]))("a compliant %s passes every resource rule", (type) => {
        expect(failedResourceRules(type, workloadOfType(type))).toEqual([]);
    });

    it.each(POD_TYPES.filter((t) => t.endsWith("Patch")).map((t) => [t]))(
        "a %s that sets only a pinned image passes every resource rule (the live object keeps the rest)",
        (type) => {
            expect(failedResourceRules(type, workloadProps(type, { containers: [{ name: "app", image: PINNED_IMAGE }] }))).toEqual([]);
        },
    );

    it.each(POD_TYPES.flatMap((type) => violations.map((v) => [type, v.title, v.rule, v] as const)))("a %s %s fails only %s", (type, _title, rule, v) => {
        const props = workloadOfType(type);
        v.apply(podSpec(props, type));
        expect(failedResourceRules(type, props)).toEqual([rule]);
    });

    it.each(LONG_RUNNING_POD_TYPES.map((t) => [t]))("a %s whose probes call the same endpoint fails only workload-probes", (type) => {
        const props = workloadOfType(type);
        const c = firstContainer(podSpec(props, type));
        c.readinessProbe = c.livenessProbe;
        expect(failedResourceRules(type, props)).toEqual(["workload-probes"]);
    });
});

describe("values Pulumi does not know yet (preview)", () => {
    it("skip only the checks that read them", () => {
        const props = withContainer({ image: UNKNOWN });
        containerSecurity(props).allowPrivilegeEscalation = true;
        const rulesHit = evaluate([stackResource(DEPLOYMENT, "web", props)]).map((f) => f.rule);
        expect(rulesHit.filter((r) => r !== "workload-disruption-budget")).toEqual(["pss-privilege-escalation"]);
    });

    it("skip a whole pod template that is unknown", () => {
        const props = deploymentProps();
        (props.spec as Record<string, unknown>).template = UNKNOWN;
        expect(evaluate([stackResource(DEPLOYMENT, "web", props)]).filter((f) => f.rule !== "workload-disruption-budget")).toEqual([]);
    });

    it("treat an unknown namespace as possibly the same one", () => {
        const resources = compliantStack();
        (find(resources, "Service").props.metadata as Record<string, unknown>).namespace = UNKNOWN;
        (find(resources, "PodDisruptionBudget").props.metadata as Record<string, unknown>).namespace = UNKNOWN;
        expect(evaluate(resources)).toEqual([]);
    });

    it("do not report a missing lifecycle policy while the repository name is unknown", () => {
        const resources = compliantStack();
        find(resources, "LifecyclePolicy").props.repository = UNKNOWN;
        expect(stackRule("ecr-lifecycle-policy").check(resources, {})).toEqual([]);
    });

    it("never crash on empty or odd shapes", () => {
        const odd: Record<string, unknown>[] = [
            {},
            { spec: null },
            { spec: { template: { spec: { containers: "x" } } } },
            { spec: { template: { spec: { containers: [null, 3] } } } },
        ];
        for (const props of odd) {
            expect(() =>
                evaluate([stackResource(DEPLOYMENT, "odd", props), stackResource(REPOSITORY, "r", {}), stackResource(CONFIG_MAP, "c", props)]),
            ).not.toThrow();
        }
    });
});

describe("violation messages", () => {
    it("never repeat a secret value", () => {
        const value = "AKIAIOSFODNN7EXAMPLE";
        const messages = [
            ...resourceRule("secret-env-literal").check({ type: DEPLOYMENT, name: "web", props: withEnv({ name: "X", value }) }, {}),
            ...resourceRule("secret-configmap-entries").check({ type: CONFIG_MAP, name: "c", props: configMap({ X: value }) }, {}),
        ].map((v) => v.message);
        expect(messages).toHaveLength(2);
        expect(messages.join("\n")).not.toContain(value);
    });
});
