#!/usr/bin/env bash
# Benchmark: the stack runner (scripts/local/stack.ts) against kubectl on the same Deployment, in
# alternating rounds of one run. Prints the median of each and the ratio runner/kubectl for
#   - a no-op preview          vs  `kubectl diff` of the stack's live objects;
#   - a greeting change's `up` (one command: `up --config greeting=...`)
#                               vs  `kubectl set env` + `kubectl rollout status` of the same change.
# With BASELINE=<git revision>, the runner of that revision (checked out in a scratch worktree) also
# previews the same stack in each round, and the ratio new/baseline is printed.
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
runner() { node -r sucrase/register/ts scripts/local/stack.ts "$@" --dir "$state" --stack local; }
baseline=""
if [[ -n ${BASELINE:-} ]]; then
  baseline=$(mktemp -d)
  git worktree add --detach "$baseline" "$BASELINE" >/dev/null 2>&1
  ln -s "$PWD/node_modules" "$baseline/node_modules"
fi
baseline_runner() { (cd "$baseline" && node_modules/.bin/ts-node --transpile-only scripts/local/stack.ts "$@" --dir "$state" --stack local); }
cleanup() {
  "$kubectl" -n "$NAMESPACE" delete deployment bench-kubectl --ignore-not-found >/dev/null 2>&1
  runner destroy >/dev/null 2>&1
  rm -rf "$state"
  if [[ -n $baseline ]]; then git worktree remove --force "$baseline"; fi
}
trap cleanup EXIT

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

declare -a preview_runner preview_kubectl preview_baseline up_runner up_kubectl
for round in $(seq 1 "$ROUNDS"); do
  t=$(now); runner preview >/dev/null 2>&1; preview_runner+=("$(echo "$(now) - $t" | bc)")
  t=$(now); "$kubectl" diff -f "$state/live.yaml" >/dev/null || true; preview_kubectl+=("$(echo "$(now) - $t" | bc)")
  if [[ -n $baseline ]]; then
    t=$(now); baseline_runner preview >/dev/null 2>&1; preview_baseline+=("$(echo "$(now) - $t" | bc)")
  fi

  t=$(now)
  runner up --config greeting="runner round $round" >/dev/null 2>&1
  up_runner+=("$(echo "$(now) - $t" | bc)")

  t=$(now)
  "$kubectl" -n "$NAMESPACE" set env "$deployment" -c app "GREETING=kubectl round $round" >/dev/null
  "$kubectl" -n "$NAMESPACE" rollout status "$deployment" --timeout=120s >/dev/null
  up_kubectl+=("$(echo "$(now) - $t" | bc)")
  echo "round $round done" >&2
done

report() {
  local name=$1 other=$2 a b
  a=$(printf '%s\n' "${@:3:$ROUNDS}" | median)
  b=$(printf '%s\n' "${@:$((ROUNDS + 3))}" | median)
  printf '%-36s runner %6.2f s   %-8s %6.2f s   ratio %.2f\n' "$name" "$a" "$other" "$b" "$(echo "$a / $b" | bc -l)"
}
echo "medians of $ROUNDS alternating rounds, $(nproc) CPUs, $(git rev-parse --short HEAD)"
report "no-op preview vs kubectl diff" kubectl "${preview_runner[@]}" "${preview_kubectl[@]}"
if [[ -n $baseline ]]; then report "no-op preview vs $BASELINE's runner" baseline "${preview_runner[@]}" "${preview_baseline[@]}"; fi
report "greeting change vs set env+status" kubectl "${up_runner[@]}" "${up_kubectl[@]}"
