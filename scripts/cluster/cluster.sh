#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, for the e2e tests and `npm run local:up`: etcd and the
# control plane on loopback, a kubelet on its own containerd + runc + CNI, kube-proxy for ClusterIP
# Services, image pulls from the local registry. No image is pulled from the internet: the pause image
# is built here. Needs root (mounts, network interfaces, iptables), Debian's containerd, runc and
# containernetworking-plugins, and the toolchain from toolchain.sh.
#
#   bash scripts/cluster/cluster.sh up       start (or recover after a crash); idempotent
#   bash scripts/cluster/cluster.sh down     stop what `up` started and remove its mounts, interfaces
#                                            and network state; leaves etcd's data for the next `up`
#   bash scripts/cluster/cluster.sh status   exit 0 when the API answers and the node is Ready
#   bash scripts/cluster/cluster.sh preflight  fail at once if `up` could not work here (root, state
#                                            directory, ports); needs no toolchain, so it runs before
#                                            any build
#   bash scripts/cluster/cluster.sh reset    down, then delete the state directory if this script made it
#   bash scripts/cluster/cluster.sh dir      print the state directory (the kubeconfig is in it)
#
# Settings (environment): RUST_SERVICE_CLUSTER_DIR (state; default /var/lib/rust-service-cluster),
# REGISTRY_ADDR (the registry pods pull from; default 127.0.0.1:5001, also reachable as localhost:5001),
# CLUSTER_READY_TIMEOUT (seconds; default 120). The kubeconfig is $RUST_SERVICE_CLUSTER_DIR/kubeconfig.
#
# Addresses it creates and uses, nothing else: loopback ports 2379-2380 (etcd), 6443 (API), 10257/10259
# (controller-manager/scheduler), 10248-10249/10256 (health); the node interface rsvc-node0 with
# 10.250.250.1/24 and the kubelet's port 10250 on it; pods on the bridge rsvc-pods0 in 10.244.0.0/24;
# Services in 10.96.0.0/16.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${RUST_SERVICE_CLUSTER_DIR:-/var/lib/rust-service-cluster}"
REGISTRY_ADDR="${REGISTRY_ADDR:-127.0.0.1:5001}"
READY_TIMEOUT="${CLUSTER_READY_TIMEOUT:-120}"
NODE_NAME=rust-service-node
NODE_IF=rsvc-node0
NODE_IP=10.250.250.1
POD_BRIDGE=rsvc-pods0
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
PAUSE_IMAGE=localhost/rust-service-pause:1
PROCESSES=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)
CTRD_SOCK="$DIR/run/containerd.sock"
started=$SECONDS

log() { printf '[cluster +%3ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (it mounts, creates network interfaces and runs a kubelet); try: sudo bash $0"
}

# Set by load_tools from toolchain.sh's "name=path" lines.
BIN_etcd='' BIN_kube_apiserver='' BIN_kube_controller_manager='' BIN_kube_scheduler=''
BIN_kubelet='' BIN_kube_proxy='' BIN_kubectl=''

# load_tools [recorded] -> BIN_<name> for every tool: built or found by toolchain.sh, or, with
# "recorded", the ones the last `up` used (so `down` never starts a build).
load_tools() {
  local tools="$DIR/run/tools"
  if [[ ${1:-} != recorded ]]; then
    mkdir -p "$DIR/run"
    bash "$here/toolchain.sh" >"$tools.tmp"
    mv "$tools.tmp" "$tools"
  fi
  [[ -f $tools ]] || return 0
  local name path
  while IFS='=' read -r name path; do
    [[ -n $name ]] && printf -v "BIN_${name//-/_}" '%s' "$path"
  done <"$tools"
}

pid_of() { cat "$DIR/run/$1.pid" 2>/dev/null || true; }

# alive NAME -> the process recorded for NAME still runs that program (not a recycled pid).
alive() {
  local pid
  pid=$(pid_of "$1")
  [[ -n $pid ]] && running "$pid" && [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *"$1"* ]]
}

kubectl_() { "$BIN_kubectl" --kubeconfig "$DIR/kubeconfig" "$@"; }

api_ready() {
  [[ -f $DIR/pki/admin.token ]] &&
    curl -fsk --max-time 2 -H "Authorization: Bearer $(cat "$DIR/pki/admin.token")" https://127.0.0.1:6443/readyz >/dev/null 2>&1
}

# node_ready [SINCE] -> the node reports Ready and its lease was renewed at or after epoch second SINCE
# (a Ready left in etcd by a kubelet that crashed does not count; the lease renews every 10 s).
node_ready() {
  local since=${1:-0} ready renewed
  ready=$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) || return 1
  renewed=$(kubectl_ -n kube-node-lease get lease "$NODE_NAME" -o jsonpath='{.spec.renewTime}' 2>/dev/null) || return 1
  [[ $ready == True && -n $renewed ]] && (($(date -d "$renewed" +%s) >= since))
}

# start NAME COMMAND... -> starts COMMAND in the background, logging to $DIR/log/NAME.log and recording
# its pid.
start() {
  local name=$1
  shift
  log "starting $name (log: $DIR/log/$name.log)"
  # setsid: a Ctrl-C in the caller's terminal must not reach the cluster; close the lock fd.
  setsid "$@" </dev/null >>"$DIR/log/$name.log" 2>&1 9>&- &
  echo $! >"$DIR/run/$name.pid"
}

# wait_until SECONDS WHAT NAME COMMAND... -> polls COMMAND until it succeeds; fails with the tail of
# NAME's log when the process NAME exits or SECONDS pass.
wait_until() {
  local seconds=$1 what=$2 name=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      tail -n 25 "$DIR/log/$name.log" >&2 || true
      die "$name exited while waiting for $what; full log: $DIR/log/$name.log"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 25 "$DIR/log/$name.log" >&2 || true
      die "$what not ready within ${seconds}s; full log: $DIR/log/$name.log"
    fi
    sleep 0.5
  done
}

PORTS=(2379 2380 6443 10248 10249 10250 10256 10257 10259)

# The state directory is this script's only when its marker says so: `up` never writes into, and
# `reset` never deletes, a directory someone else made (RUST_SERVICE_CLUSTER_DIR=/var/lib by mistake).
MARKER=.rust-service-owner
OWNER="scripts/cluster/cluster.sh"

# dir_is_ours -> $DIR is absent or empty (ours to make), or carries the marker.
dir_is_ours() {
  [[ ! -d $DIR || -z "$(ls -A "$DIR")" || "$(cat "$DIR/$MARKER" 2>/dev/null)" == "$OWNER" ]] ||
    die "$DIR exists and was not made by this script (no $MARKER file): set RUST_SERVICE_CLUSTER_DIR to a new directory; nothing was touched"
}

# claim_dir -> $DIR exists and carries the marker.
claim_dir() {
  dir_is_ours
  mkdir -p "$DIR"
  [[ -f $DIR/$MARKER ]] || printf '%s\n' "$OWNER" >"$DIR/$MARKER"
}

# check_port PORT -> fails with the owner named when a process this script did not start listens on
# PORT (on any address).
check_port() {
  local port=$1 owner pid name
  owner=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n1 || true)
  [[ -n $owner ]] || return 0
  pid=${owner##*pid=}
  for name in "${PROCESSES[@]}"; do
    [[ $(pid_of "$name") == "$pid" ]] && return 0
  done
  name=${owner#users:((\"}
  die "port $port is taken by ${name%%\"*} (pid $pid), not started by this script: stop it, or run \`bash $0 down\` if it is an older cluster of this project"
}

# The checks `up` can make before the toolchain exists, so a machine that cannot run the cluster is
# told so in a second, not after a half-hour build.
preflight() {
  need_root
  dir_is_ours
  command -v ss >/dev/null || die "needs ss (Debian's iproute2) to check its ports"
  local port
  for port in "${PORTS[@]}"; do check_port "$port"; done
}

pki() {
  local p="$DIR/pki"
  [[ -f $p/.complete ]] && return 0
  log "generating certificates and keys in $p"
  rm -rf "$p" && mkdir -p "$p" && chmod 700 "$p"
  (
    cd "$p"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=rust-service-local-ca" 2>/dev/null
    sign() { # name subject san
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$1.ext" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$SERVICE_IP,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign kubelet "/CN=$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
    sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "DNS:kube-apiserver"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # One bearer token in system:masters for every client: this cluster lives and dies on one machine.
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >admin.token
    printf '%s,admin,admin,system:masters\n' "$(cat admin.token)" >tokens.csv
  )
  touch "$p/.complete"
}

kubeconfig() {
  local ca
  ca=$(base64 -w0 "$DIR/pki/ca.crt")
  umask 077
  cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: rust-service-local
    cluster:
      server: https://127.0.0.1:6443
      certificate-authority-data: $ca
users:
  - name: admin
    user:
      token: $(cat "$DIR/pki/admin.token")
contexts:
  - name: rust-service-local
    context: { cluster: rust-service-local, user: admin }
current-context: rust-service-local
EOF
  umask 022
}

containerd_config() {
  local registry_host=${REGISTRY_ADDR%%:*} registry_port=${REGISTRY_ADDR##*:}
  mkdir -p "$DIR/containerd/certs.d" "$DIR/cni/net.d"
  # Pods pull from the local registry by either name of it, over plain HTTP.
  for name in "$registry_host:$registry_port" "localhost:$registry_port" "127.0.0.1:$registry_port"; do
    mkdir -p "$DIR/containerd/certs.d/$name"
    printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' \
      "$REGISTRY_ADDR" "$REGISTRY_ADDR" >"$DIR/containerd/certs.d/$name/hosts.toml"
  done
  cat >"$DIR/containerd/config.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/run/containerd"
[grpc]
  address = "$CTRD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Without it runc fails to lower the pod's oom_score_adj in this unprivileged-looking sandbox.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$DIR/containerd/certs.d"
EOF
  cat >"$DIR/cni/net.d/10-rust-service.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "rust-service-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$POD_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "dataDir": "$DIR/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

kubelet_config() {
  mkdir -p "$DIR/kubelet"
  cat >"$DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine: cgroup v1 (hybrid), no systemd, swap not checked.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
containerRuntimeEndpoint: unix://$CTRD_SOCK
tlsCertFile: $DIR/pki/kubelet.crt
tlsPrivateKeyFile: $DIR/pki/kubelet.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $DIR/pki/ca.crt }
authorization: { mode: AlwaysAllow }
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# kube-proxy owns the Service rules; the kubelet's own chains would only outlive it on this machine.
makeIPTablesUtilChains: false
# The machine's disk is shared; evict only when it is really full, and never collect the pause image.
evictionHard: { memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2% }
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
EOF
  cat >"$DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
clientConnection: { kubeconfig: $DIR/kubeconfig }
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [$NODE_IP/32]
# Leave the machine's conntrack sysctls alone.
conntrack: { maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
}

pause_image() {
  local ctr=(ctr --address "$CTRD_SOCK" -n k8s.io)
  "${ctr[@]}" images check "name==$PAUSE_IMAGE" 2>/dev/null | grep -q "$PAUSE_IMAGE" && return 0
  log "building the pause image $PAUSE_IMAGE (a static pause() loop, FROM scratch)"
  local docker_bin=/usr/bin/docker
  [[ -x $docker_bin ]] || docker_bin=$(command -v docker) || die "docker is needed once to build the pause image"
  local build
  build=$(mktemp -d)
  cat >"$build/pause.c" <<'EOF'
#include <signal.h>
#include <unistd.h>
static void quit(int sig) { (void)sig; _exit(0); }
int main(void) {
  signal(SIGINT, quit);
  signal(SIGTERM, quit);
  for (;;) pause();
}
EOF
  gcc -Os -static -o "$build/pause" "$build/pause.c"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$build/Dockerfile"
  DOCKER_BUILDKIT=0 "$docker_bin" build -q -t "$PAUSE_IMAGE" "$build" >/dev/null
  "$docker_bin" save "$PAUSE_IMAGE" | "${ctr[@]}" images import - >/dev/null
  rm -rf "$build"
}

network() {
  if ! ip link show "$NODE_IF" >/dev/null 2>&1; then
    # A bridge with no ports: this kernel has no dummy interfaces, and the kubelet refuses loopback.
    ip link add "$NODE_IF" type bridge
  fi
  ip addr replace "$NODE_IP/24" dev "$NODE_IF"
  ip link set "$NODE_IF" up
  sysctl -qw net.ipv4.ip_forward=1
  modprobe br_netfilter 2>/dev/null || true
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] && sysctl -qw net.bridge.bridge-nf-call-iptables=1
}

# unmount_under DIR -> unmounts everything mounted below DIR, deepest first.
unmount_under() {
  local target
  awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r target; do
    umount -l "$target" 2>/dev/null || true
  done
}

# running PID -> the process exists and is not a zombie (nobody may reap our daemons' parents here).
running() { [[ -r /proc/$1/stat ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

stop_process() {
  local name=$1 pid
  alive "$name" || { rm -f "$DIR/run/$name.pid"; return 0; }
  pid=$(pid_of "$name")
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    running "$pid" || break
    sleep 0.25
  done
  if running "$pid"; then
    log "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/run/$name.pid"
}

# Every container this cluster's containerd runs: stop them, then their shims.
kill_containers() {
  if [[ -S $CTRD_SOCK ]] && alive containerd; then
    local ctr=(ctr --address "$CTRD_SOCK" -n k8s.io) task
    for task in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
      "${ctr[@]}" tasks kill -a -s SIGKILL "$task" >/dev/null 2>&1 || true
    done
    sleep 1
    for task in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
      "${ctr[@]}" tasks delete -f "$task" >/dev/null 2>&1 || true
    done
  fi
  # Shims left by a crash are found by the socket they were started with, and only by that.
  local pid
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTRD_SOCK" || true); do
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
}

down() {
  need_root
  [[ -d $DIR ]] || { log "nothing to stop ($DIR does not exist)"; return 0; }
  mkdir -p "$DIR/run"
  stop_process kube-proxy
  if [[ -x ${BIN_kube_proxy:-} ]]; then
    "$BIN_kube_proxy" --cleanup >/dev/null 2>&1 || true
  fi
  stop_process kubelet
  kill_containers
  stop_process containerd
  for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_process "$name"; done
  unmount_under "$DIR"
  ip link del "$POD_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_IF" 2>/dev/null || true
  # Pod IPs and network namespaces die with the containers; free their leases too.
  rm -rf "$DIR/cni/ipam" "$DIR/run/containerd"
  log "stopped"
}

up() {
  need_root
  claim_dir
  mkdir -p "$DIR"/{run,log,etcd}
  exec 9>"$DIR/run/lock"
  flock 9
  preflight
  load_tools
  if api_ready && node_ready && alive kubelet && alive kube-proxy; then
    log "already running (kubeconfig: $DIR/kubeconfig)"
    return 0
  fi
  # A crash or reboot leaves pid files, mounts, shims and interfaces behind: clear them first.
  local name any=0
  for name in "${PROCESSES[@]}"; do [[ -f $DIR/run/$name.pid ]] && any=1; done
  if ((any)); then
    log "clearing what an earlier run left behind"
    down
  fi
  for port in "${PORTS[@]}"; do check_port "$port"; done
  [[ -x /usr/bin/containerd && -x /usr/lib/cni/bridge ]] ||
    die "needs Debian's containerd, runc and containernetworking-plugins: apt-get install containerd runc containernetworking-plugins"

  pki
  kubeconfig
  containerd_config
  kubelet_config
  network
  mount --make-rshared /

  start etcd "$BIN_etcd" --name rust-service --data-dir "$DIR/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster rust-service=http://127.0.0.1:2380 --listen-metrics-urls ""
  start kube-apiserver "$BIN_kube_apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=127.0.0.1 --secure-port=6443 --advertise-address="$NODE_IP" \
    --tls-cert-file="$DIR/pki/apiserver.crt" --tls-private-key-file="$DIR/pki/apiserver.key" \
    --client-ca-file="$DIR/pki/ca.crt" --token-auth-file="$DIR/pki/tokens.csv" \
    --kubelet-client-certificate="$DIR/pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$DIR/pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$DIR/pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$DIR/pki/sa.pub" --service-account-signing-key-file="$DIR/pki/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --authorization-mode=Node,RBAC \
    --endpoint-reconciler-type=none --allow-privileged=true
  wait_until 60 "the API server" kube-apiserver api_ready
  start kube-controller-manager "$BIN_kube_controller_manager" --kubeconfig="$DIR/kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --controllers='*,-nodeipam' \
    --service-account-private-key-file="$DIR/pki/sa.key" --root-ca-file="$DIR/pki/ca.crt" \
    --service-cluster-ip-range="$SERVICE_CIDR" --use-service-account-credentials=false
  start kube-scheduler "$BIN_kube_scheduler" --kubeconfig="$DIR/kubeconfig" \
    --authentication-kubeconfig="$DIR/kubeconfig" --authorization-kubeconfig="$DIR/kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false
  start containerd /usr/bin/containerd --config "$DIR/containerd/config.toml"
  wait_until 30 containerd containerd ctr --address "$CTRD_SOCK" version
  pause_image
  local kubelet_start
  kubelet_start=$(date +%s)
  start kubelet "$BIN_kubelet" --config="$DIR/kubelet/config.yaml" --kubeconfig="$DIR/kubeconfig" \
    --root-dir="$DIR/kubelet/root" --node-ip="$NODE_IP" --hostname-override="$NODE_NAME"
  start kube-proxy "$BIN_kube_proxy" --config="$DIR/kube-proxy.yaml"
  wait_until "$READY_TIMEOUT" "the node $NODE_NAME" kubelet node_ready "$kubelet_start"
  # The default ServiceAccount must exist before pods can be created in a namespace.
  wait_until 30 "the default ServiceAccount" kube-controller-manager kubectl_ -n default get serviceaccount default
  log "ready: node $NODE_NAME at $NODE_IP; kubeconfig $DIR/kubeconfig"
}

status() {
  [[ -f $DIR/kubeconfig && -f $DIR/pki/admin.token ]] || return 1
  load_tools recorded
  [[ -x ${BIN_kubectl:-} ]] && api_ready && node_ready
}

case "${1:-}" in
  up) up ;;
  down) load_tools recorded; down ;;
  status) status ;;
  preflight) preflight ;;
  dir) echo "$DIR" ;;
  reset)
    [[ -d $DIR ]] || { log "nothing to reset: $DIR does not exist"; exit 0; }
    [[ "$(cat "$DIR/$MARKER" 2>/dev/null)" == "$OWNER" ]] ||
      die "refusing to delete $DIR: it was not made by this script (no $MARKER file); nothing was deleted"
    load_tools recorded
    down
    rm -rf "$DIR"
    log "deleted $DIR"
    ;;
  *)
    echo "usage: $0 up|down|status|preflight|reset|dir" >&2
    exit 2
    ;;
esac
