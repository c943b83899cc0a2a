#!/usr/bin/env bash
# Provision what the image tests need on a Debian 12 machine (root; idempotent):
#   1. Debian's docker.io, docker-registry and debootstrap packages;
#   2. a Docker Engine answering on /var/run/docker.sock;
#   3. an OCI registry answering on $REGISTRY_ADDR (default 127.0.0.1:5001, the local stack's
#      `localhost:5001`, so image tests, e2e tests and `npm run local:up` share one registry);
#   4. the builder base image named by service/Dockerfile's `FROM rust:...`, created locally from a
#      debootstrap root plus this machine's Rust toolchain, because no image can be pulled here.
# Anything already installed, running or present is left alone. Every process this run starts is
# appended to $HARNESS_STARTED_FILE (if set) as "<name> <pid>", so the caller can stop exactly those
# with scripts/provision/stop.sh.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DOCKERFILE="${DOCKERFILE:-$REPO_ROOT/service/Dockerfile}"
DOCKER_BIN="${DOCKER_BIN:-/usr/bin/docker}"
DOCKER_SOCK="${DOCKER_SOCK:-/var/run/docker.sock}"
REGISTRY_ADDR="${REGISTRY_ADDR:-127.0.0.1:5001}"
STATE_DIR="${HARNESS_STATE_DIR:-/var/lib/rust-service-harness}"
LOG_DIR="${HARNESS_LOG_DIR:-/var/log/rust-service-harness}"
CACHE_DIR="${HARNESS_CACHE_DIR:-/var/cache/rust-service-harness}"
STARTED_FILE="${HARNESS_STARTED_FILE:-}"
# Bump when the way the stand-in base image is made changes, so existing stand-ins are re-created.
BASE_RECIPE=2
export DOCKER_BUILDKIT=1

log() { printf '[provision %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '[provision] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root (it installs packages and starts dockerd); try: sudo CI=true bash $0"
[[ -f /etc/debian_version ]] || die "needs Debian 12 (apt-get, debootstrap); on other systems start Docker and a registry yourself (docs/image.md)"
mkdir -p "$STATE_DIR" "$LOG_DIR" "$CACHE_DIR"

# Two concurrent runs (CI script and a test run) must not both start a dockerd. Daemons started
# below close fd 9, or they would hold the lock for as long as they run.
exec 9>"$STATE_DIR/provision.lock"
flock 9

record_started() { # name pid
  if [[ -n $STARTED_FILE ]]; then echo "$1 $2" >>"$STARTED_FILE"; fi
}

# wait_for <seconds> <description> <log file> <command...>
wait_for() {
  local seconds=$1 what=$2 logfile=$3; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "---- last lines of $logfile ----" >&2
      tail -n 30 "$logfile" >&2 || true
      die "$what did not answer within ${seconds}s"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------------------------
missing=()
# containerd, runc, the CNI plugins, conntrack and iptables are for the single-node cluster.
for pkg in docker.io docker-registry debootstrap curl ca-certificates procps containerd runc containernetworking-plugins conntrack iptables; do
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  log "installing ${missing[*]} (apt-get; about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >"$LOG_DIR/apt-get.log" 2>&1 || {
    tail -n 30 "$LOG_DIR/apt-get.log" >&2
    die "apt-get install ${missing[*]} failed (full log: $LOG_DIR/apt-get.log)"
  }
else
  log "packages present"
fi
[[ -x $DOCKER_BIN ]] || die "$DOCKER_BIN is missing; Debian's docker.io installs it (it has BuildKit built in)"

# ---------------------------------------------------------------------------------------------
# 2. Docker Engine
# ---------------------------------------------------------------------------------------------
docker_answers() { [[ "$(curl -fsS --max-time 2 --unix-socket "$DOCKER_SOCK" http://localhost/_ping 2>/dev/null)" == OK ]]; }

if docker_answers; then
  log "dockerd already answering on $DOCKER_SOCK; leaving it alone"
elif pgrep -x dockerd >/dev/null; then
  # Started by someone else (an init script, apt's postinst) and still coming up: wait, don't start a second one.
  log "a dockerd is running but not answering yet; waiting for it"
  wait_for 60 "dockerd (not started by this script)" /dev/null docker_answers
else
  log "starting dockerd (log: $LOG_DIR/dockerd.log)"
  nohup dockerd </dev/null >>"$LOG_DIR/dockerd.log" 2>&1 9>&- &
  dockerd_pid=$!
  record_started dockerd "$dockerd_pid"
  wait_for 60 dockerd "$LOG_DIR/dockerd.log" docker_answers
  log "dockerd answering (pid $dockerd_pid)"
fi

# ---------------------------------------------------------------------------------------------
# 3. Local registry
# ---------------------------------------------------------------------------------------------
registry_answers() { curl -fsS --max-time 2 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }

if registry_answers; then
  log "registry already answering on $REGISTRY_ADDR; leaving it alone"
else
  # Debian's /etc/docker/registry/config.yml listens on every interface and points htpasswd auth at a
  # directory, so the harness keeps its own config: loopback only, no auth, its own storage root.
  registry_dir="$STATE_DIR/registry"
  mkdir -p "$registry_dir/data"
  cat >"$registry_dir/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $registry_dir/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  run_as=()
  if getent passwd docker-registry >/dev/null; then
    chown -R docker-registry: "$registry_dir/data"
    run_as=(setpriv --reuid=docker-registry --regid=docker-registry --clear-groups --)
  fi
  log "starting docker-registry on $REGISTRY_ADDR (storage: $registry_dir/data, log: $LOG_DIR/registry.log)"
  nohup "${run_as[@]}" docker-registry serve "$registry_dir/config.yml" </dev/null >>"$LOG_DIR/registry.log" 2>&1 9>&- &
  registry_pid=$!
  record_started docker-registry "$registry_pid"
  wait_for 20 docker-registry "$LOG_DIR/registry.log" registry_answers
  log "registry answering (pid $registry_pid)"
fi

# ---------------------------------------------------------------------------------------------
# 4. Builder base image
# ---------------------------------------------------------------------------------------------
[[ -f $DOCKERFILE ]] || die "$DOCKERFILE not found (set DOCKERFILE to the service Dockerfile)"
base_image="$(sed -nE 's/^FROM[[:space:]]+(--platform=[^[:space:]]+[[:space:]]+)?(rust:[^[:space:]]+).*/\2/p' "$DOCKERFILE" | head -n1)"
[[ -n $base_image ]] || die "no 'FROM rust:<version>-slim-<suite>' line in $DOCKERFILE"
[[ $base_image =~ ^rust:([0-9]+\.[0-9]+\.[0-9]+)-slim-([a-z]+)$ ]] ||
  die "cannot create '$base_image' locally: expected rust:<x.y.z>-slim-<debian suite>"
rust_version=${BASH_REMATCH[1]}
suite=${BASH_REMATCH[2]}

existing_recipe=absent
if "$DOCKER_BIN" image inspect "$base_image" >/dev/null 2>&1; then
  existing_recipe="$("$DOCKER_BIN" image inspect -f '{{index .Config.Labels "rust-service.harness.recipe"}}' "$base_image")"
fi
if [[ $existing_recipe == "$BASE_RECIPE" ]]; then
  log "base image $base_image present (stand-in recipe $BASE_RECIPE)"
elif [[ $existing_recipe != absent && -z $existing_recipe ]]; then
  log "base image $base_image present (not made by this script, e.g. the official image); leaving it alone"
else
  if [[ $existing_recipe != absent ]]; then
    log "re-creating $base_image: it was made by recipe $existing_recipe, this script makes recipe $BASE_RECIPE"
  fi
  host_triple="$(uname -m)-unknown-linux-gnu"
  rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
  toolchain=""
  for candidate in "$rustup_home/toolchains/$rust_version-$host_triple" "$rustup_home/toolchains/stable-$host_triple"; do
    if [[ -x $candidate/bin/rustc ]] && [[ "$("$candidate/bin/rustc" -V)" == "rustc $rust_version "* ]]; then
      toolchain="$(readlink -f "$candidate")"
      break
    fi
  done
  [[ -n $toolchain ]] || die "no Rust $rust_version toolchain under $rustup_home/toolchains to put into $base_image"

  rootfs_tar="$CACHE_DIR/debootstrap-$suite-minbase.tar"
  if [[ ! -f $rootfs_tar ]]; then
    # shellcheck disable=SC2016 # $(REPO_URI) is apt's placeholder syntax, not a shell expansion
    mirror="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | awk -v s="$suite" '$2 == s { print $1; exit }')"
    mirror="${mirror:-http://deb.debian.org/debian/}"
    rootfs="$CACHE_DIR/rootfs.tmp"
    rm -rf "$rootfs"
    log "debootstrap $suite from $mirror (about a minute; log: $LOG_DIR/debootstrap.log)"
    debootstrap --variant=minbase --include=gcc,libc6-dev,ca-certificates "$suite" "$rootfs" "$mirror" \
      >"$LOG_DIR/debootstrap.log" 2>&1 || {
      tail -n 30 "$LOG_DIR/debootstrap.log" >&2
      die "debootstrap failed"
    }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$rootfs"
    log "cached the $suite root in $rootfs_tar"
  else
    log "using cached $suite root $rootfs_tar"
  fi

  # Lay the toolchain out as the official image does (rustup-init with RUSTUP_HOME=/usr/local/rustup,
  # CARGO_HOME=/usr/local/cargo): the toolchain under $RUSTUP_HOME/toolchains, rustup and its proxies
  # (cargo, rustc, ...) in $CARGO_HOME/bin, world-writable so any build user can use them.
  stage="$(mktemp -d "$CACHE_DIR/stage.XXXXXX")"
  trap 'rm -rf "$stage"' EXIT
  log "assembling $base_image from $rootfs_tar + $toolchain"
  tar -C "$stage" -xf "$rootfs_tar"
  toolchain_dest="$stage/usr/local/rustup/toolchains/$rust_version-$host_triple"
  mkdir -p "$toolchain_dest" "$stage/usr/local/cargo/bin"
  tar -C "$toolchain" --exclude=./share/doc -cf - . | tar -C "$toolchain_dest" -xf -
  rustup_bin="$(command -v rustup || true)"
  if [[ -n $rustup_bin ]]; then
    cp "$(readlink -f "$rustup_bin")" "$stage/usr/local/cargo/bin/rustup"
    for proxy in cargo cargo-clippy cargo-fmt clippy-driver rust-gdb rust-gdbgui rust-lldb rustc rustdoc rustfmt; do
      ln -s rustup "$stage/usr/local/cargo/bin/$proxy"
    done
    printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n' "$rust_version-$host_triple" \
      >"$stage/usr/local/rustup/settings.toml"
  else
    for tool in "$toolchain_dest"/bin/*; do ln -s "/usr/local/rustup/toolchains/$rust_version-$host_triple/bin/${tool##*/}" "$stage/usr/local/cargo/bin/"; done
  fi
  chmod -R a+w "$stage/usr/local/rustup" "$stage/usr/local/cargo"
  # This machine reaches crates.io through a TLS-intercepting proxy whose CA is only in the host's
  # bundle. Cargo alone gets the host bundle (CARGO_HTTP_CAINFO); /etc/ssl/certs stays Debian's, so
  # the runtime stage still copies the stock CA bundle, exactly as with the official image.
  mkdir -p "$stage/usr/local/share/rust-service-harness"
  cp /etc/ssl/certs/ca-certificates.crt "$stage/usr/local/share/rust-service-harness/host-ca-certificates.crt"

  log "docker import $base_image (about 30 s)"
  tar -C "$stage" -cf - . | "$DOCKER_BIN" import \
    -c 'ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo RUST_VERSION='"$rust_version" \
    -c 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV CARGO_HTTP_CAINFO=/usr/local/share/rust-service-harness/host-ca-certificates.crt' \
    -c 'CMD ["bash"]' \
    -c "LABEL rust-service.harness.recipe=$BASE_RECIPE" \
    -c "LABEL org.opencontainers.image.description=\"Local stand-in for the official $base_image, made by scripts/provision/provision.sh\"" \
    - "$base_image" >/dev/null
  rm -rf "$stage"
  trap - EXIT
  log "checking $base_image: $("$DOCKER_BIN" run --rm --network=none "$base_image" sh -c 'cargo --version && rustc --version && cc --version | head -n1' | tr '\n' ';')"
fi

log "ready: docker $DOCKER_SOCK, registry $REGISTRY_ADDR, base image $base_image"
