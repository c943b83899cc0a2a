#!/usr/bin/env bash
# Benchmark: the stack runner (scripts/local/stack.ts) against kubectl on the same Deployment, in
# alternating rounds of one run. Prints the median of each and the ratio runner/kubectl for
#   - a no-op preview          vs  `kubectl diff` of the stack's live objects;
#   - a greeting change's `up` (config-set + up, as a user runs them)
#                               vs  `kubectl set env` + `kubectl rollout status` of the same change.
# Needs the project's cluster running (`bash scripts/cluster/cluster.sh up`), the registry and an
# image pinned by digest in it: IMAGE=localhost:5001/rust-service@sha256:... bash bench/runner.sh
#
# The stack lives in a scratch state folder and its own namespace, destroyed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
IMAGE=${IMAGE:?set IMAGE to a digest-pinned image in the local registry}
NAMESPACE=rust-service-bench
state=$(mktemp -d)
export PULUMI_CONFIG_PASSPHRASE=bench KUBECONFIG
KUBECONFIG="$(bash scripts/cluster/cluster.sh dir)/kubeconfig"
kubectl=$(bash scripts/cluster/toolchain.sh | sed -n 's/^kubectl=//p')
runner() { node_modules/.bin/ts-node --transpile-only scripts/local/stack.ts "$@" --dir "$state" --stack local; }
trap '"$kubectl" -n "$NAMESPACE" delete deployment bench-kubectl --ignore-not-found >/dev/null 2>&1; runner destroy >/dev/null 2>&1; rm -rf "$state"' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

runner config-set image "$IMAGE" >/dev/null
runner config-set namespace "$NAMESPACE" >/dev/null
runner up >/dev/null 2>&1
"$kubectl" -n "$NAMESPACE" get deployment,service,configmap,secret,serviceaccount,poddisruptionbudget \
  -l app.kubernetes.io/name=rust-service -o yaml >"$state/live.yaml"
# kubectl changes a copy of the stack's Deployment (same pod spec, its own name and labels): changing
# the stack's own would fight the runner's server-side apply over the same fields.
"$kubectl" -n "$NAMESPACE" get deployment -l app.kubernetes.io/name=rust-service -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)["items"][0]
labels = {"app": "bench-kubectl"}
d["metadata"] = {"name": "bench-kubectl", "namespace": d["metadata"]["namespace"], "labels": labels}
d["spec"]["selector"] = {"matchLabels": labels}
d["spec"]["template"]["metadata"]["labels"] = labels
d["spec"]["template"]["spec"].pop("topologySpreadConstraints", None)
d.pop("status", None)
print(json.dumps(d))' | "$kubectl" apply -f - >/dev/null
deployment=deployment/bench-kubectl
"$kubectl" -n "$NAMESPACE" rollout status "$deployment" --timeout=120s >/dev/null

declare -a preview_runner preview_kubectl up_runner up_kubectl
for round in $(seq 1 "$ROUNDS"); do
  t=$(now); runner preview >/dev/null 2>&1; preview_runner+=("$(echo "$(now) - $t" | bc)")
  t=$(now); "$kubectl" diff -f "$state/live.yaml" >/dev/null || true; preview_kubectl+=("$(echo "$(now) - $t" | bc)")

  t=$(now)
  runner config-set greeting "runner round $round" >/dev/null
  runner up >/dev/null 2>&1
  up_runner+=("$(echo "$(now) - $t" | bc)")

  t=$(now)
  "$kubectl" -n "$NAMESPACE" set env "$deployment" -c app "GREETING=kubectl round $round" >/dev/null
  "$kubectl" -n "$NAMESPACE" rollout status "$deployment" --timeout=120s >/dev/null
  up_kubectl+=("$(echo "$(now) - $t" | bc)")
  echo "round $round done" >&2
done

report() {
  local name=$1 a b
  a=$(printf '%s\n' "${@:2:$ROUNDS}" | median)
  b=$(printf '%s\n' "${@:$((ROUNDS + 2))}" | median)
  printf '%-34s runner %6.2f s   kubectl %6.2f s   ratio %.2f\n' "$name" "$a" "$b" "$(echo "$a / $b" | bc -l)"
}
echo "medians of $ROUNDS alternating rounds, $(nproc) CPUs, $(git rev-parse --short HEAD)"
report "no-op preview vs kubectl diff" "${preview_runner[@]}" "${preview_kubectl[@]}"
report "greeting change vs set env+status" "${up_runner[@]}" "${up_kubectl[@]}"
