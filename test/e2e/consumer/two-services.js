// The examples/two-services shape as another team writes it in its own project: two RustService
// instances in one stack, an explicit Kubernetes provider built from a kubeconfig (never the ambient
// context), prebuilt images pinned by digest.
"use strict";
const fs = require("fs");
const k8s = require("@pulumi/kubernetes");
const pulumi = require("@pulumi/pulumi");
const { RustService } = require("rust-service-pulumi");

module.exports = async () => {
    const config = new pulumi.Config();
    const cluster = new k8s.Provider("cluster", { kubeconfig: fs.readFileSync(config.require("kubeconfigFile"), "utf8") });
    const service = (name, greeting) =>
        new RustService(
            name,
            {
                appName: name,
                image: config.require("image"),
                namespace: `${config.require("namespacePrefix")}-${name}`,
                createNamespace: true,
                replicas: Number(config.get("replicas") || "1"),
                settings: { greeting, drainDelaySeconds: 2, shutdownDeadlineSeconds: 5 },
                env: { APP_ENVIRONMENT: pulumi.getStack() },
                resources: { requests: { cpu: "20m", memory: "16Mi" } },
            },
            { providers: { kubernetes: cluster } },
        );
    const greeter = service("greeter", "Hello from the greeter");
    const orders = service("orders", "orders API");
    return {
        greeterNamespace: greeter.namespace,
        greeterService: greeter.serviceName,
        greeterUrl: greeter.url,
        ordersNamespace: orders.namespace,
        ordersService: orders.serviceName,
        ordersUrl: orders.url,
    };
};
