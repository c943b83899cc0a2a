/**
 * The CrossGuard policy pack: `pulumi preview --policy-pack policy`. Kept to the constructor call,
 * because a PolicyPack starts the analyzer server the engine talks to; the policies live in
 * `policies.ts` and the rules in `rules/`, where tests reach them.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("rust-service", {
    description:
        "Pod Security Standards (restricted), workload reliability, secret handling, Service wiring and ECR controls for stacks that run rust-service.",
    enforcementLevel: "mandatory",
    policies,
});
