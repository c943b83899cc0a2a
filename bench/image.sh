#!/usr/bin/env bash
# Image benchmark: prints figures, asserts nothing. Needs a Docker Engine and the builder base
# image (CI=true bash scripts/provision/provision.sh). Works on a copy of service/, so the working tree
# is never modified. Takes several minutes (one cold build without any cache).
#
#   bash bench/image.sh            # all figures
#   STARTS=10 bash bench/image.sh  # more start-up samples (default 5)
#   REF=HEAD bash bench/image.sh   # service/ as committed, ignoring uncommitted edits
#
# Figures:
#   1. final image size vs the stripped binary inside it, and their ratio (target <= 1.15x, < 10 MB);
#   2. cold build time (no cache at all) vs rebuild after a one-line source change with the
#      dependency layer cached, and their ratio (target <= 0.25x);
#   3. time from `docker run` to the first 200 on /healthz.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKER="${DOCKER:-/usr/bin/docker}"
BUILD_NETWORK="${DOCKER_BUILD_NETWORK-host}"
STARTS="${STARTS:-5}"
export DOCKER_BUILDKIT=1

run_id="rust-service-bench-$$"
image="$run_id:latest"
work="$(mktemp -d)"
containers=()
cleanup() {
  if ((${#containers[@]})); then "$DOCKER" rm -f "${containers[@]}" >/dev/null 2>&1 || true; fi
  "$DOCKER" rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
mib() { awk -v n="$1" 'BEGIN { printf "%.2f MiB", n / 1048576 }'; }

# Seconds BuildKit reports for the RUN step of a stage: step_seconds <build log> <stage name>
step_seconds() {
  local step
  step=$(grep -m1 -E "^#[0-9]+ \[$2 [0-9]+/[0-9]+\] RUN" "$1" | cut -d' ' -f1)
  [[ -n $step ]] && grep -m1 -E "^$step DONE " "$1" | awk '{ sub(/s$/, "", $3); print $3 }'
}

build() { # build <log file> [extra docker build flags...]
  local logfile=$1; shift
  local flags=(--progress=plain --tag "$image" "$@")
  [[ -n $BUILD_NETWORK ]] && flags+=("--network=$BUILD_NETWORK")
  if ! "$DOCKER" build "${flags[@]}" "$work/service" >"$logfile" 2>&1; then
    tail -n 40 "$logfile" >&2
    echo "build failed; full log: $logfile" >&2
    exit 1
  fi
}

"$DOCKER" version --format '{{.Server.Version}}' >/dev/null || { echo "no Docker Engine answers ($DOCKER)" >&2; exit 1; }
echo "rust-service image benchmark ($(date -u +%FT%TZ), $(nproc) CPUs, docker $("$DOCKER" version --format '{{.Server.Version}}'))"

# Copy of the build context, so the one-line change below never touches the working tree: the
# working tree's service/ by default, or service/ at a commit with REF=<commit>.
mkdir -p "$work/service"
if [[ -n ${REF:-} ]]; then
  git -C "$REPO_ROOT" archive "$REF" service | tar -C "$work" -xf -
  echo "context: service/ at $(git -C "$REPO_ROOT" rev-parse --short "$REF")"
else
  tar -C "$REPO_ROOT/service" --exclude=./target -cf - . | tar -C "$work/service" -xf -
  echo "context: service/ in the working tree"
fi

echo
echo "== build times"
echo "cold build (--no-cache: toolchain extras, crate downloads, dependencies, service) ..."
t0=$(now)
build "$work/cold.log" --no-cache
cold=$(elapsed "$t0" "$(now)")
echo "  cold build:              ${cold} s (dependency layer $(step_seconds "$work/cold.log" deps) s, service $(step_seconds "$work/cold.log" builder) s)"

# One line appended to the library: cargo must recompile the service crate (lib and bin) and
# relink, while the dependency layer stays cached.
echo "// bench: one-line change $(date +%s%N)" >>"$work/service/src/lib.rs"
t0=$(now)
build "$work/rebuild.log"
rebuild=$(elapsed "$t0" "$(now)")
echo "  rebuild, 1-line change:  ${rebuild} s (service $(step_seconds "$work/rebuild.log" builder) s)"
echo "  rebuild / cold:          $(ratio "$rebuild" "$cold")   (target <= 0.25)"
# The rebuild figure only means something if the dependency layer (the `deps` stage's RUN) was reused.
deps_step=$(grep -m1 -E '^#[0-9]+ \[deps [0-9]+/[0-9]+\] RUN' "$work/rebuild.log" | cut -d' ' -f1)
if [[ -n $deps_step ]] && grep -qx "$deps_step CACHED" "$work/rebuild.log"; then
  echo "  (dependency layer reused from the cache)"
else
  echo "  WARNING: the dependency layer was rebuilt, not reused; the rebuild figure is not a source-only rebuild" >&2
fi

echo
echo "== sizes"
image_bytes=$("$DOCKER" image inspect --format '{{.Size}}' "$image")
cid=$("$DOCKER" create "$image")
containers+=("$cid")
"$DOCKER" cp "$cid:/rust-service" "$work/rust-service"
binary_bytes=$(stat -c %s "$work/rust-service")
echo "  image:                   $image_bytes bytes ($(mib "$image_bytes"))   (target < 10 MB)"
echo "  stripped binary:         $binary_bytes bytes ($(mib "$binary_bytes"))"
echo "  image / binary:          $(ratio "$image_bytes" "$binary_bytes")   (target <= 1.15)"

echo
echo "== start-up: docker run -> first 200 on /healthz ($STARTS runs)"
samples=()
for i in $(seq 1 "$STARTS"); do
  name="$run_id-start-$i"
  t0=$(now)
  "$DOCKER" run --detach --name "$name" --publish 127.0.0.1::8080 "$image" >/dev/null
  containers+=("$name")
  port=$("$DOCKER" port "$name" 8080/tcp | head -n1 | sed 's/.*://')
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/healthz")" == 200 ]]; do
    sleep 0.005
  done
  ms=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%d", (b - a) * 1000 }')
  samples+=("$ms")
  "$DOCKER" rm -f "$name" >/dev/null
  echo "  run $i: ${ms} ms"
done
median=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
echo "  median:                  ${median} ms (includes container creation and port publishing)"
