/**
 * Turns the pure rules of `rules/` into CrossGuard policies. Nothing here needs the engine, so tests
 * can call the policies with hand-made `args`; only `index.ts` constructs the PolicyPack.
 */
// Submodule imports: ts-node type-checks the pack on every preview, and the full @pulumi/aws and
// @pulumi/kubernetes entry points made that 25 s instead of 10 s (measured on a 2-core machine).
import { Repository } from "@pulumi/aws/ecr";
import * as appsV1 from "@pulumi/kubernetes/apps/v1";
import * as batchV1 from "@pulumi/kubernetes/batch/v1";
import * as coreV1 from "@pulumi/kubernetes/core/v1";
import {
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
    UnknownValueError,
    validateResourceOfType,
} from "@pulumi/policy";
import { Resource } from "@pulumi/pulumi";
import { ResourceRule, rules, StackResource, StackRule, UNKNOWN } from "./rules";

/** A Pulumi resource class, as `validateResourceOfType` and `isType` take it (args typed loosely: only the type token matters). */
export type ResourceClass = new (name: string, args?: undefined, opts?: undefined) => Resource;

/** The resource class for every type token a rule names; `validateResourceOfType` matches on them. */
export const RESOURCE_CLASSES: Readonly<Record<string, ResourceClass>> = {
    "kubernetes:apps/v1:Deployment": appsV1.Deployment,
    "kubernetes:apps/v1:DeploymentPatch": appsV1.DeploymentPatch,
    "kubernetes:apps/v1:StatefulSet": appsV1.StatefulSet,
    "kubernetes:apps/v1:StatefulSetPatch": appsV1.StatefulSetPatch,
    "kubernetes:apps/v1:DaemonSet": appsV1.DaemonSet,
    "kubernetes:apps/v1:DaemonSetPatch": appsV1.DaemonSetPatch,
    "kubernetes:apps/v1:ReplicaSet": appsV1.ReplicaSet,
    "kubernetes:apps/v1:ReplicaSetPatch": appsV1.ReplicaSetPatch,
    "kubernetes:core/v1:ReplicationController": coreV1.ReplicationController,
    "kubernetes:core/v1:ReplicationControllerPatch": coreV1.ReplicationControllerPatch,
    "kubernetes:batch/v1:Job": batchV1.Job,
    "kubernetes:batch/v1:JobPatch": batchV1.JobPatch,
    "kubernetes:batch/v1:CronJob": batchV1.CronJob,
    "kubernetes:batch/v1:CronJobPatch": batchV1.CronJobPatch,
    "kubernetes:core/v1:Pod": coreV1.Pod,
    "kubernetes:core/v1:PodPatch": coreV1.PodPatch,
    "kubernetes:core/v1:PodTemplate": coreV1.PodTemplate,
    "kubernetes:core/v1:PodTemplatePatch": coreV1.PodTemplatePatch,
    "kubernetes:core/v1:ConfigMap": coreV1.ConfigMap,
    "kubernetes:core/v1:ConfigMapPatch": coreV1.ConfigMapPatch,
    "aws:ecr/repository:Repository": Repository,
};

/**
 * A deep plain copy of resource properties in which every value the engine does not know yet
 * (during preview) is replaced by `UNKNOWN`. The engine hands policies a proxy that throws on
 * reading an unknown value, which would skip a whole rule because of one computed field (the
 * image digest, typically); the rules instead decide field by field.
 */
export function resolveUnknowns(value: unknown): unknown {
    if (Array.isArray(value)) {
        return Array.from({ length: value.length }, (_, i) => read(value, i));
    }
    if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
            out[key] = read(value as Record<string, unknown>, key);
        }
        return out;
    }
    return value;
}

function read(container: object, key: string | number): unknown {
    try {
        return resolveUnknowns((container as Record<string | number, unknown>)[key]);
    } catch (error) {
        if (error instanceof UnknownValueError) {
            return UNKNOWN;
        }
        throw error;
    }
}

function plainProps(props: Record<string, unknown>): Record<string, unknown> {
    return resolveUnknowns(props) as Record<string, unknown>;
}

function classFor(type: string): ResourceClass {
    const resourceClass = RESOURCE_CLASSES[type];
    if (resourceClass === undefined) {
        throw new Error(`policy pack: no resource class registered for type ${type}`);
    }
    return resourceClass;
}

function configSchemaOf(rule: ResourceRule | StackRule): PolicyConfigSchema | undefined {
    return rule.configSchema === undefined ? undefined : { properties: rule.configSchema };
}

function runResourceRule(rule: ResourceRule, args: ResourceValidationArgs, report: ReportViolation): void {
    const resource = { type: args.type, name: args.name, props: plainProps(args.props) };
    for (const violation of rule.check(resource, args.getConfig<Record<string, unknown>>())) {
        report(violation.message);
    }
}

/** A CrossGuard resource policy for a rule: `validateResourceOfType` for each of its resource classes. */
export function resourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
    const classes = rule.types.map(classFor);
    const validations = classes.map((resourceClass) => validateResourceOfType(resourceClass, (_props, args, report) => runResourceRule(rule, args, report)));
    // One dispatcher for several classes, so the engine records the policy as applicable or not
    // once per resource rather than once per class.
    const validateResource: ResourceValidation =
        validations.length === 1
            ? validations[0]
            : (args, report) => {
                  const index = classes.findIndex((resourceClass) => args.isType(resourceClass));
                  if (index < 0) {
                      args.notApplicable(`Policy only applies to ${rule.types.join(", ")}`);
                  }
                  return validations[index](args, report);
              };
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        configSchema: configSchemaOf(rule),
        validateResource,
    };
}

/** A stack resource as the rules see it: plain props and dependency URNs. */
export function toStackResource(resource: PolicyResource): StackResource {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, deps] of Object.entries(resource.propertyDependencies ?? {})) {
        propertyDependencies[key] = deps.map((d) => d.urn);
    }
    return { type: resource.type, name: resource.name, urn: resource.urn, props: plainProps(resource.props), propertyDependencies };
}

/** A CrossGuard stack policy for a stack rule. */
export function stackPolicy(rule: StackRule): StackValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        configSchema: configSchemaOf(rule),
        validateStack: (args, report) => {
            const resources = args.resources.map(toStackResource);
            for (const violation of rule.check(resources, args.getConfig<Record<string, unknown>>())) {
                report(violation.message, violation.urn);
            }
        },
    };
}

/** Every policy of the pack, in rule order. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = rules.map((rule) =>
    rule.kind === "resource" ? resourcePolicy(rule) : stackPolicy(rule),
);
