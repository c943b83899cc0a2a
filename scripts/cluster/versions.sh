# shellcheck shell=bash
# shellcheck disable=SC2034 # read by the scripts that source this file
# The one place the cluster toolchain's versions are pinned. Sourced by toolchain.sh and the harness.
# Bump a version here and the next run builds it into a new cache folder; the old one is left alone.
PULUMI_VERSION=3.274.1
# pulumi-kubernetes' provider module is served only under this pseudo-version; it is released as 4.34.2,
# the version package.json pins for @pulumi/kubernetes.
PULUMI_KUBERNETES_VERSION=4.34.2
PULUMI_KUBERNETES_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
ETCD_VERSION=3.6.16
KUBERNETES_VERSION=1.34.4
# An installed Pulumi CLI at least this new is used instead of building one (the Automation API of
# the @pulumi/pulumi version in package.json needs it).
PULUMI_MIN_VERSION=3.270.0
