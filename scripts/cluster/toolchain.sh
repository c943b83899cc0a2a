#!/usr/bin/env bash
# Builds the toolchain a real Pulumi engine and a real single-node Kubernetes need, from the Go module
# proxy, into a per-user cache keyed by version (versions.sh pins them all). A tool already on PATH at
# an acceptable version is used instead of being built, so a laptop with the Pulumi CLI keeps its own.
#
#   bash scripts/cluster/toolchain.sh          build what is missing; print "name=/path" per tool
#
# RUST_SERVICE_TOOLCHAIN_TOOLS (space-separated names, default every tool) limits the run to those
# tools: with an existing cluster (kind, RUST_SERVICE_KUBE_CONTEXT) only `pulumi
# pulumi-resource-kubernetes kubectl` are needed, so etcd and the node binaries are neither looked
# for nor built.
#
# Progress goes to stderr, one line per step with the elapsed time; each build logs to
# $TOOLCHAIN_DIR/logs/<tool>-<version>.log, and a failed build names its module and that log.
# A cold build takes about 35 minutes on 2 cores; a warm one returns at once.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/cluster/versions.sh
source "$here/versions.sh"

TOOLCHAIN_DIR="${RUST_SERVICE_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-service-pulumi/toolchain}"
LOG_DIR="$TOOLCHAIN_DIR/logs"
SRC_DIR="$TOOLCHAIN_DIR/src"
mkdir -p "$LOG_DIR" "$SRC_DIR"
started=$SECONDS

log() { printf '[toolchain +%4ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
die() { printf '[toolchain] ERROR: %s\n' "$*" >&2; exit 1; }

GO=$(command -v go || true)
[[ -n $GO ]] || for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
  [[ -x $candidate ]] && GO=$candidate && break
done
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local

# version_at_least HAVE WANT -> true when dotted version HAVE >= WANT.
version_at_least() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# on_path NAME MIN_VERSION VERSION_COMMAND... -> prints NAME's path when it is on PATH and the first
# x.y.z its version command prints is at least MIN_VERSION.
on_path() {
  local name=$1 min=$2 path have
  shift 2
  path=$(command -v "$name" 2>/dev/null) || return 1
  # A copy of our own cache on PATH is not "installed"; it is found below anyway.
  [[ $path == "$TOOLCHAIN_DIR"/* ]] && return 1
  have=$("$path" "$@" 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1) || return 1
  version_at_least "$have" "$min" || return 1
  printf '%s\n' "$path"
}

# build NAME VERSION MODULE FUNCTION -> runs FUNCTION OUT_DIR WORK_DIR with its output in the log,
# unless OUT_DIR already holds the finished build. Concurrent runs wait for each other.
build() {
  local name=$1 version=$2 module=$3 fn=$4
  local out="$TOOLCHAIN_DIR/$name-$version" work="$SRC_DIR/$name-$version"
  local logfile="$LOG_DIR/$name-$version.log"
  exec 8>"$out.lock"
  flock 8
  if [[ ! -f $out/.complete ]]; then
    [[ -n $GO ]] || die "$name $version is not on PATH and Go is not installed to build it; install Go >= 1.24"
    log "building $name $version from $module (log: $logfile)"
    local t0=$SECONDS
    rm -rf "$out" && mkdir -p "$out" "$work"
    if ! (cd "$work" && "$fn" "$out" "$work") >"$logfile" 2>&1; then
      tail -n 20 "$logfile" >&2
      die "building $name $version from $module failed; full log: $logfile"
    fi
    touch "$out/.complete"
    built=1
    log "built $name $version in $((SECONDS - t0))s"
  fi
  exec 8>&-
}

# tools_module DIR MODULE_PATH GO_MOD_BODY IMPORT... -> a module that pins its dependencies and
# imports the packages to build, so `go mod tidy` records exactly what they need.
# shellcheck disable=SC2329 # called by name through build()
tools_module() {
  local body=$1
  shift
  printf 'module toolchain.local/build\n\ngo 1.24\n\n%s\n' "$body" >go.mod
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    printf '\t_ "%s"\n' "$@"
    printf ')\n'
  } >tools.go
  GOFLAGS="$GOFLAGS -mod=mod" "$GO" mod tidy -e
}

# shellcheck disable=SC2329 # called by name through build()
build_pulumi() {
  local out=$1
  tools_module "require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

// pkg's go.mod replaces this one module; a dependent module must repeat it.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  "$GO" build -trimpath -tags osusergo -o "$out/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

# shellcheck disable=SC2329 # called by name through build()
build_pulumi_kubernetes() {
  local out=$1 work=$2 dir
  local module=github.com/pulumi/pulumi-kubernetes/provider/v4
  dir=$("$GO" mod download -json "$module@$PULUMI_KUBERNETES_MODULE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir ]] || { echo "go mod download gave no folder for $module"; return 1; }
  rm -rf "$work/provider" && cp -r "$dir" "$work/provider" && chmod -R u+w "$work/provider"
  cd "$work/provider"
  # The module's go.mod points the sdk at ../sdk, which a module download does not carry.
  "$GO" mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4
  GOFLAGS="$GOFLAGS -mod=mod" "$GO" mod download
  (cd cmd/pulumi-resource-kubernetes && VERSION=$PULUMI_KUBERNETES_VERSION GOFLAGS="$GOFLAGS -mod=mod" "$GO" run generate.go)
  GOFLAGS="$GOFLAGS -mod=mod" "$GO" build -trimpath -o "$out/pulumi-resource-kubernetes" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" \
    ./cmd/pulumi-resource-kubernetes
}

# shellcheck disable=SC2329 # called by name through build()
build_etcd() {
  local out=$1
  tools_module "require go.etcd.io/etcd/server/v3 v$ETCD_VERSION" go.etcd.io/etcd/server/v3
  "$GO" build -trimpath -o "$out/etcd" -ldflags "-s -w" go.etcd.io/etcd/server/v3
}

KUBERNETES_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
ALL_TOOLS=(pulumi pulumi-resource-kubernetes etcd "${KUBERNETES_COMMANDS[@]}")
read -ra WANTED <<<"${RUST_SERVICE_TOOLCHAIN_TOOLS:-${ALL_TOOLS[*]}}"
((${#WANTED[@]})) || die "RUST_SERVICE_TOOLCHAIN_TOOLS names no tool; known: ${ALL_TOOLS[*]}"
# wanted NAME -> true when this run resolves NAME.
wanted() {
  local t
  for t in "${WANTED[@]}"; do [[ $t == "$1" ]] && return 0; done
  return 1
}
for name in "${WANTED[@]}"; do
  [[ " ${ALL_TOOLS[*]} " == *" $name "* ]] || die "RUST_SERVICE_TOOLCHAIN_TOOLS names an unknown tool: $name; known: ${ALL_TOOLS[*]}"
done

# shellcheck disable=SC2329 # called by name through build()
build_kubernetes() {
  local out=$1 gomod replaces minor=${KUBERNETES_VERSION#*.}
  minor=${minor%%.*}
  gomod=$("$GO" mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  [[ -f $gomod ]] || { echo "go mod download gave no go.mod for k8s.io/kubernetes"; return 1; }
  # k8s.io/kubernetes points every staging module at ./staging; a dependent module pins the release.
  replaces=$(sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 v0.'"$minor.${KUBERNETES_VERSION##*.}"'#p' "$gomod")
  [[ -n $replaces ]] || { echo "no staging replaces found in $gomod"; return 1; }
  local packages=() cmd
  for cmd in "${KUBERNETES_COMMANDS[@]}"; do packages+=("k8s.io/kubernetes/cmd/$cmd"); done
  tools_module "require k8s.io/kubernetes v$KUBERNETES_VERSION

$replaces" "${packages[@]}"
  local v=k8s.io/component-base/version
  "$GO" build -trimpath -o "$out/" \
    -ldflags "-s -w -X $v.gitVersion=v$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor" \
    "${packages[@]}"
}

declare -A found
built=0

# Installed tools at an acceptable version first.
if wanted pulumi && path=$(on_path pulumi "$PULUMI_MIN_VERSION" version); then found[pulumi]=$path; fi
installed_plugin="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-kubernetes-v$PULUMI_KUBERNETES_VERSION/pulumi-resource-kubernetes"
if ! wanted pulumi-resource-kubernetes; then
  : # not asked for
elif path=$(command -v pulumi-resource-kubernetes 2>/dev/null) && [[ $path != "$TOOLCHAIN_DIR"/* ]]; then
  found[pulumi-resource-kubernetes]=$path
elif [[ -x $installed_plugin ]]; then
  found[pulumi-resource-kubernetes]=$installed_plugin
fi
if wanted etcd && path=$(on_path etcd 3.5.0 --version); then found[etcd]=$path; fi
kube_all=1
for cmd in "${KUBERNETES_COMMANDS[@]}"; do
  wanted "$cmd" || continue
  # kubectl has no --version flag; the other commands do.
  version_args=(--version)
  [[ $cmd == kubectl ]] && version_args=(version --client)
  # Same minor release only: the kubelet and control plane flags used by the harness are 1.34's.
  if path=$(on_path "$cmd" "${KUBERNETES_VERSION%.*}.0" "${version_args[@]}") &&
    [[ "$("$path" "${version_args[@]}" 2>&1)" == *"v${KUBERNETES_VERSION%.*}."* ]]; then
    found[$cmd]=$path
  else
    kube_all=0
  fi
done

# Start every module download at once (network-bound), then compile one at a time (CPU-bound).
prefetch() {
  local name=$1
  shift
  # Best effort: a failure here shows again, with its log, in the build that needs the module.
  ("$GO" mod download -x "$@" >"$LOG_DIR/prefetch-$name.log" 2>&1 || true) &
}
if [[ -n $GO ]]; then
  if wanted pulumi; then
    [[ -n ${found[pulumi]:-} || -f $TOOLCHAIN_DIR/pulumi-$PULUMI_VERSION/.complete ]] ||
      prefetch pulumi "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"
  fi
  if wanted pulumi-resource-kubernetes; then
    [[ -n ${found[pulumi-resource-kubernetes]:-} || -f $TOOLCHAIN_DIR/pulumi-resource-kubernetes-$PULUMI_KUBERNETES_VERSION/.complete ]] ||
      prefetch pulumi-kubernetes "github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_KUBERNETES_MODULE_VERSION"
  fi
fi

if wanted etcd && [[ -z ${found[etcd]:-} ]]; then
  build etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 build_etcd
  found[etcd]=$TOOLCHAIN_DIR/etcd-$ETCD_VERSION/etcd
fi
if ((!kube_all)); then
  build kubernetes "$KUBERNETES_VERSION" k8s.io/kubernetes build_kubernetes
  for cmd in "${KUBERNETES_COMMANDS[@]}"; do found[$cmd]=$TOOLCHAIN_DIR/kubernetes-$KUBERNETES_VERSION/$cmd; done
fi
if wanted pulumi && [[ -z ${found[pulumi]:-} ]]; then
  build pulumi "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3 build_pulumi
  found[pulumi]=$TOOLCHAIN_DIR/pulumi-$PULUMI_VERSION/pulumi
fi
if wanted pulumi-resource-kubernetes && [[ -z ${found[pulumi-resource-kubernetes]:-} ]]; then
  build pulumi-resource-kubernetes "$PULUMI_KUBERNETES_VERSION" github.com/pulumi/pulumi-kubernetes/provider/v4 build_pulumi_kubernetes
  found[pulumi-resource-kubernetes]=$TOOLCHAIN_DIR/pulumi-resource-kubernetes-$PULUMI_KUBERNETES_VERSION/pulumi-resource-kubernetes
fi
wait

for name in "${ALL_TOOLS[@]}"; do
  wanted "$name" || continue
  [[ -x ${found[$name]} ]] || die "$name is missing at ${found[$name]}"
  printf '%s=%s\n' "$name" "${found[$name]}"
done
((built)) && log "toolchain ready"
exit 0
