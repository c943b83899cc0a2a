// The examples/consumer shape: a stack that imports no code of the component's and reads another
// stack's outputs through a StackReference on the same backend.
"use strict";
const pulumi = require("@pulumi/pulumi");

module.exports = async () => {
    const services = new pulumi.StackReference(new pulumi.Config().require("serviceStack"));
    return {
        greeterUrl: services.requireOutput("greeterUrl"),
        ordersUrl: services.requireOutput("ordersUrl"),
        ordersNamespace: services.requireOutput("ordersNamespace"),
    };
};
