import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

// Reads the outputs rust-service's index.ts exports (imageRef, repositoryUrl, namespace,
// deploymentName, serviceName, url) from another stack; this stack needs read access to it.
const config = new pulumi.Config();
const rustService = new pulumi.StackReference(config.require("serviceStack"));

// requireOutput fails the update if the producing stack stops exporting a value this stack needs.
const url = rustService.requireOutput("url") as pulumi.Output<string>;
const serviceNamespace = rustService.requireOutput("namespace") as pulumi.Output<string>;

// The client settings this team's pods load with envFrom.
const clientSettings = new k8s.core.v1.ConfigMap("rust-service-client", {
    metadata: {
        namespace: config.require("namespace"),
        labels: { "app.kubernetes.io/part-of": "web-frontend" },
    },
    data: {
        RUST_SERVICE_URL: url,
        RUST_SERVICE_NAMESPACE: serviceNamespace,
    },
});

export const rustServiceUrl = url;
/** The image rust-service runs, pinned by digest (for audit trails and deploy notes). */
export const rustServiceImage = rustService.getOutput("imageRef");
export const clientSettingsName = clientSettings.metadata.name;
