import { RustService } from "./components";
import { loadStackConfig } from "./config";

// Composition only: stack config -> component -> stack outputs. Providers are the default ones,
// configured by `aws:region` and `kubernetes:context`/`kubernetes:kubeconfig` in the stack file.
const { name, args } = loadStackConfig();
const service = new RustService(name, args);

/** The deployed image, pinned by digest. */
export const imageRef = service.imageRef;
/** Repository the image was pushed to. */
export const repositoryUrl = service.repositoryUrl;
/** Namespace of the workload. */
export const namespace = service.namespace;
/** Name of the Deployment. */
export const deploymentName = service.deploymentName;
/** Name of the ClusterIP Service. */
export const serviceName = service.serviceName;
/** In-cluster URL of the service. */
export const url = service.url;
