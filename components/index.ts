// The package's public surface: the component, its args and outputs, and the args check it runs.
export type {
    RustServiceArgs,
    RustServiceAutoscaling,
    RustServiceBuildArgs,
    RustServiceRegistryArgs,
    RustServiceRepositoryArgs,
    RustServiceResourceQuantities,
    RustServiceResources,
} from "./args";
export type { ServiceSettings } from "./settings";
export { RUST_SERVICE_TYPE, RustService } from "./rustService";
export type { RustServiceOutputs } from "./rustService";
export { assertValidRustServiceArgs, problemMessage, rustServiceArgsProblems } from "./validation";
export type { ArgsProblem, FieldRef, Namer, ProblemText } from "./validation";
