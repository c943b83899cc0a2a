import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RustService } from "rust-service-pulumi";

// Two services from one component, in one stack. The providers are explicit, so this stack can
// target any account/region and any cluster regardless of the ambient AWS profile or kubeconfig.
const config = new pulumi.Config();
const environment = config.require("environment");

const awsProvider = new aws.Provider("aws", { region: config.require("region") as aws.Region });
const cluster = new k8s.Provider("cluster", { context: config.require("kubeContext") });
const providers = { aws: awsProvider, kubernetes: cluster };

// A public-facing greeter: the bundled service with its own ECR repository and namespace.
const greeter = new RustService(
    "greeter",
    {
        appName: "greeter",
        namespace: "greeter",
        createNamespace: true,
        replicas: 2,
        settings: { greeting: "Hello from the greeter" },
        env: { APP_ENVIRONMENT: environment },
    },
    { providers },
);

// An internal orders API: same image source, separate repository, autoscaled, with a secret token.
const ordersApiToken = config.getSecret("ordersApiToken");
const orders = new RustService(
    "orders",
    {
        appName: "orders",
        namespace: "orders",
        createNamespace: true,
        autoscaling: { minReplicas: 2, maxReplicas: 6 },
        settings: { greeting: "orders API", requestTimeoutSeconds: 5 },
        env: { APP_ENVIRONMENT: environment },
        secretEnv: ordersApiToken ? { APP_API_TOKEN: ordersApiToken } : undefined,
        repository: { imageTagMutability: "IMMUTABLE", untaggedImageExpiryDays: 3 },
    },
    { providers },
);

export const greeterUrl = greeter.url;
export const greeterImage = greeter.imageRef;
export const ordersUrl = orders.url;
export const ordersImage = orders.imageRef;
