import { readFileSync } from "fs";
import { join } from "path";
import { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy, unknownCheckingProxy } from "@pulumi/policy";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { policies, RESOURCE_CLASSES, resolveUnknowns } from "../../policy/policies";
import { rules, UNKNOWN } from "../../policy/rules";
import { compliantStack, deploymentProps, deploymentWith, containerSecurity } from "./fixtures";

function pulumiType(resourceClass: unknown): string | undefined {
    return (resourceClass as { __pulumiType?: string }).__pulumiType;
}

/** Args shaped like the ones the analyzer server builds, with the same proxy over the props. */
function resourceArgs(type: string, props: Record<string, unknown>, config: Record<string, unknown> = {}): ResourceValidationArgs {
    return {
        type,
        props: unknownCheckingProxy(props),
        urn: `urn:pulumi:dev::rust-service::${type}::web`,
        name: "web",
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
        },
        stackTags: new Map(),
        isType: (resourceClass) => pulumiType(resourceClass) === type,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason}`);
        },
    };
}

function policy(name: string): ResourceValidationPolicy & Partial<StackValidationPolicy> {
    const found = policies.find((p) => p.name === name);
    if (found === undefined) {
        throw new Error(`no policy ${name}`);
    }
    return found as ResourceValidationPolicy & Partial<StackValidationPolicy>;
}

async function validate(name: string, args: ResourceValidationArgs): Promise<string[]> {
    const messages: string[] = [];
    const validation = policy(name).validateResource;
    const fn = Array.isArray(validation) ? validation[0] : validation!;
    await fn(args, (message) => messages.push(message));
    return messages;
}

describe("the resource class table", () => {
    it.each(Object.entries(RESOURCE_CLASSES))("maps %s to the class with that type token", (token, resourceClass) => {
        expect(pulumiType(resourceClass)).toBe(token);
    });

    it("has a class for every type a resource rule names", () => {
        const named = rules.flatMap((r) => (r.kind === "resource" ? r.types : []));
        expect(named.filter((t) => RESOURCE_CLASSES[t] === undefined)).toEqual([]);
    });
});

describe("the policies", () => {
    it("are one per rule, with the rule's name, description and default enforcement", () => {
        expect(policies.map((p) => [p.name, p.description, p.enforcementLevel])).toEqual(rules.map((r) => [r.name, r.description, r.enforcementLevel]));
    });

    it("have unique kebab-case names and never the reserved name all", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        expect(names.filter((n) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(n) || n === "all")).toEqual([]);
    });

    it("never declare enforcementLevel in a config schema (CrossGuard reserves it)", () => {
        expect(policies.filter((p) => p.configSchema?.properties.enforcementLevel !== undefined)).toEqual([]);
    });

    it("report a Deployment's violations through reportViolation", async () => {
        const props = deploymentWith((p) => (containerSecurity(p).runAsUser = 0));
        expect(await validate("pss-run-as-non-root", resourceArgs("kubernetes:apps/v1:Deployment", props))).toEqual([
            'container "app": securityContext.runAsUser must not be 0; use a non-zero uid such as 65532.',
        ]);
    });

    it("dispatch a multi-type rule to the class of the resource", async () => {
        const props = { metadata: { name: "p" }, spec: (deploymentProps().spec as { template: { spec: unknown } }).template.spec };
        expect(await validate("pss-privilege-escalation", resourceArgs("kubernetes:core/v1:Pod", props))).toEqual([]);
    });

    it.each([
        [
            "kubernetes:apps/v1:DeploymentPatch",
            { metadata: { name: "web" }, spec: { template: { spec: { containers: [{ name: "app", securityContext: { allowPrivilegeEscalation: true } }] } } } },
        ],
        [
            "kubernetes:core/v1:PodTemplate",
            { metadata: { name: "web" }, template: { spec: { containers: [{ name: "app", securityContext: { allowPrivilegeEscalation: true } }] } } },
        ],
    ])("report a %s's violations through its own resource class", async (type, props) => {
        expect(await validate("pss-privilege-escalation", resourceArgs(type, props))).toEqual([
            'container "app": securityContext.allowPrivilegeEscalation must be false (got true); set it to false.',
        ]);
    });

    it("mark a multi-type rule not applicable to other types", async () => {
        await expect(validate("pss-privilege-escalation", resourceArgs("kubernetes:core/v1:Service", {}))).rejects.toThrow("not applicable");
    });

    it("pass the policy config to the rule", async () => {
        const args = resourceArgs("aws:ecr/repository:Repository", { encryptionConfigurations: [{ encryptionType: "AES256" }] }, { requireKms: true });
        expect(await validate("ecr-encryption", args)).toEqual([expect.stringContaining("ECR.5")]);
    });

    it("report stack violations against the offending resource's URN", async () => {
        const resources = compliantStack().filter((r) => !r.type.endsWith("PodDisruptionBudget"));
        const reported: [string, string | undefined][] = [];
        await policy("workload-disruption-budget").validateStack!(
            {
                resources: resources.map(
                    (r) => ({ ...r, props: unknownCheckingProxy(r.props), dependencies: [], propertyDependencies: {} }) as unknown as PolicyResource,
                ),
                stackTags: new Map(),
                getConfig: <T extends object>() => ({}) as T,
                notApplicable: (): never => {
                    throw new Error("not applicable");
                },
            },
            (message, urn) => reported.push([message, urn]),
        );
        expect(reported).toEqual([[expect.stringContaining("has no PodDisruptionBudget"), resources[0].urn]]);
    });
});

describe("resolveUnknowns", () => {
    it("replaces each value the engine does not know yet, and keeps the rest", () => {
        const proxy = unknownCheckingProxy({ a: 1, b: unknownValue, c: { d: [unknownValue, "x"], e: null } });
        expect(resolveUnknowns(proxy)).toEqual({ a: 1, b: UNKNOWN, c: { d: [UNKNOWN, "x"], e: null } });
    });

    it("lets a rule run on a Deployment whose image is unknown", async () => {
        const props = deploymentWith((p) => {
            containerSecurity(p).allowPrivilegeEscalation = true;
            (p.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0].image = unknownValue;
        });
        const args = resourceArgs("kubernetes:apps/v1:Deployment", props);
        expect(await validate("workload-image-digest", args)).toEqual([]);
        expect(await validate("pss-privilege-escalation", args)).toEqual([expect.stringContaining("allowPrivilegeEscalation must be false (got true)")]);
    });
});

describe("docs/policy.md", () => {
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "policy.md"), "utf8");

    it.each(rules.map((r) => [r.name, r.kind, r.enforcementLevel]))("lists %s as a %s rule, %s by default", (name, kind, level) => {
        expect(doc).toMatch(new RegExp(`^\\| \`${name}\` \\| ${kind} \\| [^\\n]* \\| ${level} \\|`, "m"));
    });

    it("states the rule counts", () => {
        const stack = rules.filter((r) => r.kind === "stack").length;
        expect(doc).toContain(`${rules.length} rules: ${rules.length - stack} look at one resource at a time, ${stack} (marked *stack*)`);
    });
});
