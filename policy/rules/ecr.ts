/**
 * Amazon ECR repositories, after the AWS Security Hub ECR controls
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html).
 *
 * Tag mutability: a stack may keep tags mutable on purpose (a throwaway dev repository, a
 * pipeline that re-points `staging`). It says so on the repository itself, with the tag
 * `mutable-tags-reason` holding the reason (or by choosing IMMUTABLE_WITH_EXCLUSION and listing
 * the mutable tag filters). Such repositories pass `ecr-tag-immutability` and are reported by the
 * advisory `ecr-mutable-tags-acknowledged` instead; a platform team that allows no exceptions sets
 * that rule to mandatory.
 */
import { asArray, asRecord, configBoolean, isUnknown, ResourceInput, ResourceRule, StackResource, StackRule, Violation } from "./types";

/** Pulumi type token of an ECR repository. */
export const REPOSITORY_TYPE = "aws:ecr/repository:Repository";
/** Pulumi type token of an ECR lifecycle policy. */
export const LIFECYCLE_POLICY_TYPE = "aws:ecr/lifecyclePolicy:LifecyclePolicy";
/** The repository tag that records why its tags are deliberately mutable. */
export const MUTABLE_TAGS_REASON_TAG = "mutable-tags-reason";

// Security Hub ECR.1: "ECR private repositories should have image scanning configured" (AWS Config
// ecr-private-image-scanning-enabled). Registry-level continuous scanning also satisfies ECR.1; a
// stack that relies on it sets this rule to advisory or disabled.
/** The repository scans every pushed image. */
export function checkScanOnPush({ props }: ResourceInput): Violation[] {
    const scanOnPush = asRecord(props.imageScanningConfiguration)?.scanOnPush;
    return scanOnPush === true || isUnknown(props.imageScanningConfiguration) || isUnknown(scanOnPush)
        ? []
        : [{ message: "imageScanningConfiguration.scanOnPush must be true so every pushed image is scanned for CVEs (Security Hub ECR.1)." }];
}

/** How a repository's mutable tags were declared deliberate, or `undefined` when they were not. */
export function mutabilityAcknowledgement(props: Record<string, unknown>): string | undefined {
    if (props.imageTagMutability === "IMMUTABLE_WITH_EXCLUSION") {
        return "imageTagMutability IMMUTABLE_WITH_EXCLUSION lists the tags that stay mutable";
    }
    const reason = asRecord(props.tags)?.[MUTABLE_TAGS_REASON_TAG];
    return typeof reason === "string" && reason.trim() !== "" ? `tag ${MUTABLE_TAGS_REASON_TAG}: "${reason}"` : undefined;
}

function isImmutable(props: Record<string, unknown>): boolean {
    return props.imageTagMutability === "IMMUTABLE";
}

// Security Hub ECR.2: "ECR private repositories should have tag immutability configured" (passes
// only for IMMUTABLE; IMMUTABLE_WITH_EXCLUSION counts here as a declared exception).
/** Tags are immutable, unless the repository declares its mutable tags deliberate. */
export function checkTagImmutability({ props }: ResourceInput): Violation[] {
    if (isUnknown(props.imageTagMutability) || isImmutable(props) || mutabilityAcknowledgement(props) !== undefined) {
        return [];
    }
    const current = props.imageTagMutability === undefined ? "unset (MUTABLE)" : JSON.stringify(props.imageTagMutability);
    return [
        {
            message: `imageTagMutability must be IMMUTABLE (got ${current}) so a pushed tag can never point at other content (Security Hub ECR.2); if mutable tags are deliberate, tag the repository ${MUTABLE_TAGS_REASON_TAG}=<why>.`,
        },
    ];
}

// Security Hub ECR.2, exceptions: reports deliberate mutability so it stays visible in every preview.
/** Reports repositories whose tags are mutable by declared decision. */
export function checkMutableTagsAcknowledged({ props }: ResourceInput): Violation[] {
    if (isImmutable(props)) {
        return [];
    }
    const acknowledgement = mutabilityAcknowledgement(props);
    return acknowledgement === undefined
        ? []
        : [{ message: `image tags are deliberately mutable (${acknowledgement}); digests, not tags, identify what runs.` }];
}

const ENCRYPTION_TYPES = ["AES256", "KMS", "KMS_DSSE"];
const KMS_TYPES = ["KMS", "KMS_DSSE"];

// Security Hub ECR.5: "ECR repositories should be encrypted with customer managed AWS KMS keys"
// (AWS Config rule ecr-repository-cmk-encryption-enabled), only with `requireKms: true`; otherwise
// the encryption choice must at least be explicit in the program.
/** The repository declares its encryption at rest (KMS when `requireKms` is set). */
export function checkEncryption({ props }: ResourceInput, config: Record<string, unknown>): Violation[] {
    const requireKms = configBoolean(config, "requireKms", false);
    if (isUnknown(props.encryptionConfigurations)) {
        return [];
    }
    const entries = asArray(props.encryptionConfigurations).map((entry) => asRecord(entry) ?? {});
    const types = entries.map((entry) => entry.encryptionType);
    if (types.some(isUnknown) || entries.some((entry) => isUnknown(entry.kmsKey))) {
        return [];
    }
    if (!types.some((t) => typeof t === "string" && ENCRYPTION_TYPES.includes(t))) {
        return [
            {
                message: `encryptionConfigurations must declare encryptionType ${requireKms ? "KMS" : "AES256 or KMS"} so the encryption at rest is explicit and reviewable.`,
            },
        ];
    }
    const customerKey = entries.some(
        (entry) =>
            typeof entry.encryptionType === "string" && KMS_TYPES.includes(entry.encryptionType) && typeof entry.kmsKey === "string" && entry.kmsKey !== "",
    );
    if (requireKms && !customerKey) {
        return [
            {
                message:
                    "encryptionConfigurations must use encryptionType KMS with a customer managed kmsKey, not AES256 or the AWS-managed aws/ecr key (Security Hub ECR.5).",
            },
        ];
    }
    return [];
}

function lifecycleRuleCount(policy: unknown): number | undefined {
    let document: unknown = policy;
    if (typeof policy === "string") {
        try {
            document = JSON.parse(policy);
        } catch {
            return 0;
        }
    }
    if (isUnknown(document)) {
        return undefined;
    }
    const rules = asRecord(document)?.rules;
    return isUnknown(rules) ? undefined : asArray(rules).length;
}

// Security Hub ECR.3: "ECR repositories should have at least one lifecycle policy configured".
/** Every repository in the stack has a lifecycle policy with at least one rule. */
export function checkLifecyclePolicy(resources: readonly StackResource[]): Violation[] {
    const policies = resources.filter((r) => r.type === LIFECYCLE_POLICY_TYPE);
    const violations: Violation[] = [];
    for (const repository of resources.filter((r) => r.type === REPOSITORY_TYPE)) {
        const name = repository.props.name;
        let undecidable = false;
        const attached = policies.filter((p) => {
            if (p.propertyDependencies?.repository?.includes(repository.urn)) {
                return true;
            }
            if (isUnknown(p.props.repository) || isUnknown(name)) {
                undecidable = true;
                return false;
            }
            return typeof name === "string" && p.props.repository === name;
        });
        if (attached.length === 0) {
            if (!undecidable) {
                violations.push({
                    message: `ECR repository "${repository.name}" has no aws.ecr.LifecyclePolicy in this stack; add one that expires untagged and old images (Security Hub ECR.3).`,
                    urn: repository.urn,
                });
            }
            continue;
        }
        for (const policy of attached) {
            if (lifecycleRuleCount(policy.props.policy) === 0) {
                violations.push({
                    message: `LifecyclePolicy "${policy.name}" for ECR repository "${repository.name}" has no rules (or is not valid JSON), so it expires nothing (Security Hub ECR.3).`,
                    urn: policy.urn,
                });
            }
        }
    }
    return violations;
}

/** The ECR rules that look at one repository at a time. */
export const ecrResourceRules: ResourceRule[] = [
    {
        kind: "resource",
        name: "ecr-scan-on-push",
        description: "ECR repositories must scan images on push.",
        enforcementLevel: "mandatory",
        sources: ["AWS Security Hub ECR.1"],
        types: [REPOSITORY_TYPE],
        check: checkScanOnPush,
    },
    {
        kind: "resource",
        name: "ecr-tag-immutability",
        description: `ECR repositories must have immutable tags unless tagged ${MUTABLE_TAGS_REASON_TAG} (or IMMUTABLE_WITH_EXCLUSION).`,
        enforcementLevel: "mandatory",
        sources: ["AWS Security Hub ECR.2"],
        types: [REPOSITORY_TYPE],
        check: checkTagImmutability,
    },
    {
        kind: "resource",
        name: "ecr-mutable-tags-acknowledged",
        description: "Reports ECR repositories whose tags are deliberately mutable (advisory; set mandatory to allow no exceptions).",
        enforcementLevel: "advisory",
        sources: ["AWS Security Hub ECR.2 (documented exceptions)"],
        types: [REPOSITORY_TYPE],
        check: checkMutableTagsAcknowledged,
    },
    {
        kind: "resource",
        name: "ecr-encryption",
        description: "ECR repositories must declare encryption at rest (AES256 or KMS; KMS only with requireKms).",
        enforcementLevel: "mandatory",
        sources: [
            "AWS Security Hub ECR.5 / AWS Config ecr-repository-cmk-encryption-enabled (with requireKms)",
            "AWS Prescriptive Guidance: encryption best practices for Amazon ECR",
        ],
        types: [REPOSITORY_TYPE],
        configSchema: {
            requireKms: { type: "boolean", default: false, description: "Require a KMS key instead of accepting AES256 (Security Hub ECR.5)." },
        },
        check: checkEncryption,
    },
];

/** The ECR rule that needs the whole stack. */
export const ecrStackRules: StackRule[] = [
    {
        kind: "stack",
        name: "ecr-lifecycle-policy",
        description: "Every ECR repository in the stack must have a lifecycle policy with at least one rule.",
        enforcementLevel: "mandatory",
        sources: ["AWS Security Hub ECR.3"],
        check: checkLifecyclePolicy,
    },
];
