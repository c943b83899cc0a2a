/**
 * Kubernetes Pod Security Standards, "restricted" profile (which includes "baseline"), for every
 * pod template. Field list and semantics:
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ . Pod-level and
 * container-level security contexts combine as the Pod Security admission controller combines
 * them: a container's setting overrides the pod's, an explicitly bad value anywhere fails, and every
 * container (regular, init and ephemeral) must end up compliant. A `*Patch` is judged only on the
 * fields it sets (`untouched` in `workloads.ts`).
 */
import { asArray, asRecord, at, isUnknown, ResourceInput, ResourceRule, show, Violation } from "./types";
import { containersOf, POD_TEMPLATE_TYPES, untouched, withPodSpec } from "./workloads";

function podSecurityContext(spec: Record<string, unknown>): Record<string, unknown> {
    return asRecord(spec.securityContext) ?? {};
}

function containerSecurityContext(container: Record<string, unknown>): Record<string, unknown> {
    return asRecord(container.securityContext) ?? {};
}

// PSS baseline "Privileged Containers" (spec.containers[*].securityContext.privileged) and
// "HostProcess" (securityContext.windowsOptions.hostProcess at pod and container level).
// kube-linter `privileged-container`; Polaris `runAsPrivileged`.
/** No container is privileged and nothing runs as a Windows HostProcess. */
export function checkPrivileged({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec) => {
        const violations: Violation[] = [];
        if (at(spec, "securityContext", "windowsOptions", "hostProcess") === true) {
            violations.push({ message: "pod: securityContext.windowsOptions.hostProcess must not be true; remove it." });
        }
        for (const c of containersOf(spec)) {
            const sc = containerSecurityContext(c.value);
            if (sc.privileged === true) {
                violations.push({ message: `${c.label}: securityContext.privileged must not be true; remove it.` });
            }
            if (at(sc, "windowsOptions", "hostProcess") === true) {
                violations.push({
                    message: `${c.label}: securityContext.windowsOptions.hostProcess must not be true; remove it.`,
                });
            }
        }
        return violations;
    });
}

// PSS baseline "Host Namespaces": spec.hostNetwork, spec.hostPID, spec.hostIPC.
// kube-linter `host-network`, `host-pid`, `host-ipc`; Polaris `hostNetworkSet`, `hostPIDSet`, `hostIPCSet`.
/** The pod shares no host namespace. */
export function checkHostNamespaces({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec) =>
        (["hostNetwork", "hostPID", "hostIPC"] as const)
            .filter((field) => spec[field] === true)
            .map((field) => ({ message: `pod: spec.${field} must not be true; remove it.` })),
    );
}

// PSS baseline "Host Ports": spec.containers[*].ports[*].hostPort must be unset or 0.
// Polaris `hostPortSet`.
/** No container port is bound on the node. */
export function checkHostPorts({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec) => {
        const violations: Violation[] = [];
        for (const c of containersOf(spec)) {
            for (const port of asArray(c.value.ports)) {
                const hostPort = at(port, "hostPort");
                if (typeof hostPort === "number" && hostPort !== 0) {
                    violations.push({
                        message: `${c.label}: ports[].hostPort must be unset (got ${hostPort}); expose the port through a Service instead.`,
                    });
                }
            }
        }
        return violations;
    });
}

/** Volume sources the restricted profile allows. */
export const ALLOWED_VOLUME_SOURCES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

// PSS restricted "Volume Types" (spec.volumes[*] may only use the sources above) and baseline
// "HostPath Volumes". kube-linter `sensitive-host-mounts`, `docker-sock`.
/** Every volume uses a source the restricted profile allows; never hostPath. */
export function checkVolumeTypes({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec) => {
        const violations: Violation[] = [];
        asArray(spec.volumes).forEach((entry, index) => {
            const volume = asRecord(entry);
            if (volume === undefined) {
                return;
            }
            const name = typeof volume.name === "string" ? `"${volume.name}"` : `#${index}`;
            for (const [source, value] of Object.entries(volume)) {
                if (source === "name" || value === undefined || value === null) {
                    continue;
                }
                if (source === "hostPath") {
                    violations.push({
                        message: `volume ${name}: hostPath volumes expose the node's filesystem; use an emptyDir, configMap, secret or persistentVolumeClaim.`,
                    });
                } else if (!ALLOWED_VOLUME_SOURCES.includes(source)) {
                    violations.push({
                        message: `volume ${name}: source "${source}" is not allowed by the restricted Pod Security Standard; use one of ${ALLOWED_VOLUME_SOURCES.join(", ")}.`,
                    });
                }
            }
        });
        return violations;
    });
}

// PSS restricted "Privilege Escalation": containers[*].securityContext.allowPrivilegeEscalation must be false.
// kube-linter `privilege-escalation-container`; Polaris `privilegeEscalationAllowed`.
/** Every container sets allowPrivilegeEscalation: false. */
export function checkPrivilegeEscalation({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) =>
        containersOf(spec).flatMap((c) => {
            const value = containerSecurityContext(c.value).allowPrivilegeEscalation;
            return value === false || isUnknown(value) || untouched(value, template)
                ? []
                : [{ message: `${c.label}: securityContext.allowPrivilegeEscalation must be false (got ${show(value)}); set it to false.` }];
        }),
    );
}

// PSS restricted "Running as Non-root" (runAsNonRoot true at pod level or on every container, never
// false) and "Running as Non-root user" (runAsUser never 0). Stricter than PSS: the effective uid
// must be set and numeric, because the kubelet refuses to start an image whose USER is a name
// under runAsNonRoot ("non-numeric user"). kube-linter `run-as-non-root`; Polaris `runAsRootAllowed`;
// kube-score `container-security-context-user-group-id`.
/** Every container runs as non-root with a numeric, non-zero uid. */
export function checkRunAsNonRoot({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) => {
        const violations: Violation[] = [];
        const pod = podSecurityContext(spec);
        if (pod.runAsNonRoot === false) {
            violations.push({ message: "pod: securityContext.runAsNonRoot must not be false; set it to true." });
        }
        if (pod.runAsUser === 0) {
            violations.push({ message: "pod: securityContext.runAsUser must not be 0; use a non-zero uid such as 65532." });
        }
        for (const c of containersOf(spec)) {
            const sc = containerSecurityContext(c.value);
            const nonRoot = sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : pod.runAsNonRoot;
            if (nonRoot !== true && !isUnknown(nonRoot) && !untouched(nonRoot, template)) {
                violations.push({
                    message: `${c.label}: runAsNonRoot must be true (got ${show(nonRoot)}); set securityContext.runAsNonRoot: true on the pod or the container.`,
                });
            }
            const uid = sc.runAsUser !== undefined ? sc.runAsUser : pod.runAsUser;
            if (isUnknown(uid) || untouched(uid, template)) {
                continue;
            }
            if (sc.runAsUser === 0) {
                violations.push({ message: `${c.label}: securityContext.runAsUser must not be 0; use a non-zero uid such as 65532.` });
            } else if (typeof uid !== "number") {
                violations.push({
                    message: `${c.label}: runAsUser must be a numeric non-zero uid (got ${show(uid)}); set securityContext.runAsUser (for example 65532) so the kubelet can verify non-root.`,
                });
            }
        }
        return violations;
    });
}

const ALLOWED_SECCOMP = ["RuntimeDefault", "Localhost"];

// PSS restricted "Seccomp": seccompProfile.type must be RuntimeDefault or Localhost, set at pod level
// or on every container; baseline forbids Unconfined anywhere. kube-score `container-seccomp-profile`;
// Polaris `linuxHardening`.
/** Every container runs under a RuntimeDefault or Localhost seccomp profile. */
export function checkSeccomp({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) => {
        const violations: Violation[] = [];
        const podType = at(spec, "securityContext", "seccompProfile", "type");
        if (podType !== undefined && !isUnknown(podType) && !ALLOWED_SECCOMP.includes(String(podType))) {
            violations.push({
                message: `pod: securityContext.seccompProfile.type must be RuntimeDefault or Localhost (got ${show(podType)}).`,
            });
        }
        for (const c of containersOf(spec)) {
            const own = at(c.value, "securityContext", "seccompProfile", "type");
            const effective = own !== undefined ? own : podType;
            if (isUnknown(effective) || untouched(effective, template)) {
                continue;
            }
            if (own !== undefined && !ALLOWED_SECCOMP.includes(String(own))) {
                violations.push({
                    message: `${c.label}: securityContext.seccompProfile.type must be RuntimeDefault or Localhost (got ${show(own)}).`,
                });
            } else if (effective === undefined) {
                violations.push({
                    message: `${c.label}: no seccomp profile; set securityContext.seccompProfile.type: RuntimeDefault on the pod.`,
                });
            }
        }
        return violations;
    });
}

/** The only capability the restricted profile lets a container add. */
export const ADDABLE_CAPABILITIES = ["NET_BIND_SERVICE"];

// PSS restricted "Capabilities": capabilities.drop must include ALL; capabilities.add may only hold
// NET_BIND_SERVICE. kube-linter `drop-net-raw-capability`; Polaris `dangerousCapabilities`,
// `insecureCapabilities`; kube-score `container-security-context`.
/** Every container drops ALL capabilities and adds back at most NET_BIND_SERVICE. */
export function checkCapabilities({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) => {
        const violations: Violation[] = [];
        for (const c of containersOf(spec)) {
            const capabilities = at(c.value, "securityContext", "capabilities");
            if (isUnknown(capabilities) || untouched(capabilities, template)) {
                continue;
            }
            const drop = at(capabilities, "drop");
            if (!isUnknown(drop) && !untouched(drop, template) && !asArray(drop).includes("ALL")) {
                violations.push({
                    message: `${c.label}: securityContext.capabilities.drop must include "ALL" (got ${show(drop)}); set drop: ["ALL"].`,
                });
            }
            const added = asArray(at(capabilities, "add")).filter((cap) => typeof cap === "string" && !ADDABLE_CAPABILITIES.includes(cap));
            if (added.length > 0) {
                violations.push({
                    message: `${c.label}: securityContext.capabilities.add may only contain NET_BIND_SERVICE (got ${show(added)}).`,
                });
            }
        }
        return violations;
    });
}

const ALLOWED_SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

/** Sysctls the baseline profile calls safe. */
export const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

function seLinuxProblems(where: string, options: unknown): Violation[] {
    const record = asRecord(options);
    if (record === undefined) {
        return [];
    }
    const violations: Violation[] = [];
    if (typeof record.type === "string" && !ALLOWED_SELINUX_TYPES.includes(record.type)) {
        violations.push({ message: `${where}: seLinuxOptions.type "${record.type}" is not allowed; use container_t or leave it unset.` });
    }
    for (const field of ["user", "role"] as const) {
        if (typeof record[field] === "string" && record[field] !== "") {
            violations.push({ message: `${where}: seLinuxOptions.${field} must be unset.` });
        }
    }
    return violations;
}

function appArmorProblem(where: string, profileType: unknown): Violation[] {
    return typeof profileType === "string" && !ALLOWED_SECCOMP.includes(profileType)
        ? [{ message: `${where}: appArmorProfile.type must be RuntimeDefault or Localhost (got "${profileType}").` }]
        : [];
}

// PSS baseline "AppArmor" (annotation or appArmorProfile.type: runtime default or localhost only),
// "SELinux" (type from a fixed list, no custom user/role), "/proc Mount Type" (Default only) and
// "Sysctls" (the safe set only). kube-linter `unsafe-proc-mount`, `unsafe-sysctls`.
/** No AppArmor/SELinux override, no unmasked /proc and only safe sysctls. */
export function checkKernelHardening({ type, props }: ResourceInput): Violation[] {
    return withPodSpec(type, props, (spec, template) => {
        const violations: Violation[] = [];
        const pod = podSecurityContext(spec);
        violations.push(...appArmorProblem("pod", at(pod, "appArmorProfile", "type")));
        violations.push(...seLinuxProblems("pod", pod.seLinuxOptions));
        for (const sysctl of asArray(pod.sysctls)) {
            const name = at(sysctl, "name");
            if (typeof name === "string" && !SAFE_SYSCTLS.includes(name)) {
                violations.push({ message: `pod: sysctl "${name}" is not in the safe set; remove it.` });
            }
        }
        const annotations = asRecord(at(template.metadata, "annotations")) ?? {};
        for (const [key, value] of Object.entries(annotations)) {
            if (key.startsWith(APPARMOR_ANNOTATION) && typeof value === "string") {
                if (value !== "runtime/default" && !value.startsWith("localhost/")) {
                    violations.push({ message: `annotation ${key}: AppArmor profile must be runtime/default or localhost/* (got "${value}").` });
                }
            }
        }
        for (const c of containersOf(spec)) {
            const sc = containerSecurityContext(c.value);
            violations.push(...appArmorProblem(c.label, at(sc, "appArmorProfile", "type")));
            violations.push(...seLinuxProblems(c.label, sc.seLinuxOptions));
            if (typeof sc.procMount === "string" && sc.procMount !== "Default") {
                violations.push({ message: `${c.label}: securityContext.procMount must be Default (got "${sc.procMount}").` });
            }
        }
        return violations;
    });
}

const PSS = "Pod Security Standards (restricted profile, includes baseline)";

/** The Pod Security Standard rules, in the order of the standard's tables. */
export const pssRules: ResourceRule[] = [
    {
        kind: "resource",
        name: "pss-privileged",
        description: "Containers must not be privileged or run as Windows HostProcess.",
        enforcementLevel: "mandatory",
        sources: [`${PSS}: Privileged Containers, HostProcess`, "kube-linter privileged-container", "Polaris runAsPrivileged"],
        types: POD_TEMPLATE_TYPES,
        check: checkPrivileged,
    },
    {
        kind: "resource",
        name: "pss-host-namespaces",
        description: "Pods must not share the host's network, PID or IPC namespace.",
        enforcementLevel: "mandatory",
        sources: [`${PSS}: Host Namespaces`, "kube-linter host-network, host-pid, host-ipc", "Polaris hostNetworkSet, hostPIDSet, hostIPCSet"],
        types: POD_TEMPLATE_TYPES,
        check: checkHostNamespaces,
    },
    {
        kind: "resource",
        name: "pss-host-ports",
        description: "Containers must not bind host ports.",
        enforcementLevel: "mandatory",
        sources: [`${PSS}: Host Ports`, "Polaris hostPortSet"],
        types: POD_TEMPLATE_TYPES,
        check: checkHostPorts,
    },
    {
        kind: "resource",
        name: "pss-volume-types",
        description: "Volumes may only be configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret (no hostPath).",
        enforcementLevel: "mandatory",
        sources: [`${PSS}: Volume Types, HostPath Volumes`, "kube-linter sensitive-host-mounts, docker-sock"],
        types: POD_TEMPLATE_TYPES,
        check: checkVolumeTypes,
    },
    {
        kind: "resource",
        name: "pss-privilege-escalation",
        description: "Every container must set allowPrivilegeEscalation: false.",
        enforcementLevel: "mandatory",
        sources: [`${PSS}: Privilege Escalation`, "kube-linter privilege-escalation-container", "Polaris privilegeEscalationAllowed"],
        types: POD_TEMPLATE_TYPES,
        check: checkPrivilegeEscalation,
    },
    {
        kind: "resource",
        name: "pss-run-as-non-root",
        description: "Every container must run with runAsNonRoot: true and a numeric non-zero runAsUser.",
        enforcementLevel: "mandatory",
        sources: [
            `${PSS}: Running as Non-root, Running as Non-root user`,
            "kube-linter run-as-non-root",
            "Polaris runAsRootAllowed",
            "kube-score container-security-context-user-group-id",
        ],
        types: POD_TEMPLATE_TYPES,
        check: checkRunAsNonRoot,
    },
    {
        kind: "resource",
        name: "pss-seccomp",
        description: "Every container must run under a RuntimeDefault or Localhost seccomp profile.",
        enforcementLevel: "mandatory",
        sources: [`${PSS}: Seccomp`, "kube-score container-seccomp-profile", "Polaris linuxHardening"],
        types: POD_TEMPLATE_TYPES,
        check: checkSeccomp,
    },
    {
        kind: "resource",
        name: "pss-capabilities",
        description: "Every container must drop ALL capabilities and add back at most NET_BIND_SERVICE.",
        enforcementLevel: "mandatory",
        sources: [`${PSS}: Capabilities`, "kube-linter drop-net-raw-capability", "Polaris dangerousCapabilities, insecureCapabilities"],
        types: POD_TEMPLATE_TYPES,
        check: checkCapabilities,
    },
    {
        kind: "resource",
        name: "pss-kernel-hardening",
        description: "No AppArmor or SELinux override, /proc mount Default only, safe sysctls only.",
        enforcementLevel: "mandatory",
        sources: [`${PSS}: AppArmor, SELinux, /proc Mount Type, Sysctls`, "kube-linter unsafe-proc-mount, unsafe-sysctls"],
        types: POD_TEMPLATE_TYPES,
        check: checkKernelHardening,
    },
];
