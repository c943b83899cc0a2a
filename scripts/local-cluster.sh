#!/usr/bin/env bash
# A kind cluster wired to a local registry on localhost:5001, for the `local` stack (Pulumi.local.yaml).
# Follows kind's documented local-registry setup: the registry runs as a container, each node's
# containerd maps localhost:5001 to it, so the same image reference works for `docker push` on this
# machine and for image pulls inside the cluster.
#
#   bash scripts/local-cluster.sh up      create (or restart) the registry and the cluster
#   bash scripts/local-cluster.sh down    delete the cluster and the registry container
#
# Needs: docker, kind (v0.20 or newer), kubectl; pulls registry:2 and a kindest/node image.
set -euo pipefail

CLUSTER_NAME=${CLUSTER_NAME:-rust-service}
REGISTRY_NAME=${REGISTRY_NAME:-kind-registry}
REGISTRY_PORT=${REGISTRY_PORT:-5001}
# Bump deliberately: the registry image the recipe was written against.
REGISTRY_IMAGE=${REGISTRY_IMAGE:-registry:2}

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is not installed (see docs/local.md)" >&2; exit 1; }
}

up() {
  need docker
  need kind
  need kubectl

  if [[ "$(docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)" != "true" ]]; then
    if docker inspect "$REGISTRY_NAME" >/dev/null 2>&1; then
      docker start "$REGISTRY_NAME" >/dev/null
    else
      docker run -d --restart=always -p "127.0.0.1:${REGISTRY_PORT}:5000" --network bridge \
        --name "$REGISTRY_NAME" "$REGISTRY_IMAGE" >/dev/null
    fi
  fi
  echo "registry: localhost:${REGISTRY_PORT} (container ${REGISTRY_NAME})"

  if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
    kind create cluster --name "$CLUSTER_NAME" --config=- <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
EOF
  fi

  local registry_dir="/etc/containerd/certs.d/localhost:${REGISTRY_PORT}"
  for node in $(kind get nodes --name "$CLUSTER_NAME"); do
    docker exec "$node" mkdir -p "$registry_dir"
    printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" | docker exec -i "$node" cp /dev/stdin "$registry_dir/hosts.toml"
  done

  if [[ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_NAME")" == "null" ]]; then
    docker network connect kind "$REGISTRY_NAME"
  fi

  # Advertise the registry to tools that look for it (KEP-1755).
  kubectl --context "kind-${CLUSTER_NAME}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:${REGISTRY_PORT}"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
EOF
  echo "cluster: kubectl context kind-${CLUSTER_NAME}"
}

down() {
  need docker
  need kind
  kind delete cluster --name "$CLUSTER_NAME"
  docker rm -f "$REGISTRY_NAME" >/dev/null 2>&1 || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
