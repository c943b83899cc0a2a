#!/usr/bin/env bash
# Benchmark: the release build of rust-service against nginx answering a fixed 200, both on
# loopback, both loaded by wrk with identical settings in one run. Prints requests/s, p50 and
# p99 latency for each, the ratios service/nginx, and the service's peak RSS under load.
#
#   bash bench/service.sh                    # defaults below
#   DURATION=30s ROUNDS=5 CONNECTIONS=128 bash bench/service.sh
#   BASELINE=/path/to/older/rust-service bash bench/service.sh   # also load an older build
#
# Fairness (see docs/service.md):
# - Same CPUs and the same number of workers: the servers are pinned to SERVER_CPUS with as many
#   tokio worker threads as nginx worker processes; wrk is pinned to the other CPUs.
# - Same response: nginx returns the exact JSON document the service serves on GET /, with the
#   same content type, and keeps connections alive as long as the service does.
# - BASELINE (optional): another rust-service binary, run with the same settings and loaded in
#   the same rounds, so that before/after figures of a change share the background load.
# - Same logging: with LOGS=on (default) both write one access-log line per request to /dev/null
#   (the service its JSON line on stdout, nginx its combined-format access_log); with LOGS=off
#   neither logs (service LOG_LEVEL=warn, nginx access_log off).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
LOGS=${LOGS:-on}
SERVICE_PORT=${SERVICE_PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
BASELINE=${BASELINE:-}
BASELINE_PORT=${BASELINE_PORT:-18082}
if [ "$(nproc)" -ge 2 ]; then
  SERVER_CPUS=${SERVER_CPUS:-0}
  WRK_CPUS=${WRK_CPUS:-1-$(($(nproc) - 1))}
else
  SERVER_CPUS=${SERVER_CPUS:-0}
  WRK_CPUS=${WRK_CPUS:-0}
fi
# Worker count = number of CPUs in SERVER_CPUS (a list such as "0", "0-1" or "0,2").
workers=$(taskset -c "$SERVER_CPUS" nproc)

case "$LOGS" in
  on) service_log_level=info; nginx_access_log="access_log /dev/null;" ;;
  off) service_log_level=warn; nginx_access_log="access_log off;" ;;
  *) echo "LOGS must be on or off, got '$LOGS'" >&2; exit 2 ;;
esac

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
need wrk wrk
need nginx nginx-light
need taskset util-linux

if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "BASELINE must be an executable rust-service binary, got '$BASELINE'" >&2
  exit 2
fi
for port in "$SERVICE_PORT" "$NGINX_PORT" ${BASELINE:+"$BASELINE_PORT"}; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use; set SERVICE_PORT / NGINX_PORT" >&2
    exit 1
  fi
done

# The same static glibc build the image ships (see service/Dockerfile).
target=$(rustc -vV | sed -n 's/^host: //p')
echo "==> building rust-service (release, crt-static, $target)" >&2
(cd service && RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --quiet --target "$target" --bin rust-service)
binary="$root/service/target/$target/release/rust-service"

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-service.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_for_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
    sleep 0.1
  done
  echo "nothing listens on port $1 after 10 s" >&2
  exit 1
}

# start_rust_service BINARY PORT: runs a rust-service build with the benchmark's settings and
# waits for it to listen; its pid is left in started_pid.
start_rust_service() {
  PORT=$2 LOG_LEVEL=$service_log_level TOKIO_WORKER_THREADS=$workers DRAIN_DELAY_SECONDS=0 \
    taskset -c "$SERVER_CPUS" "$1" >/dev/null &
  started_pid=$!
  pids+=("$started_pid")
  wait_for_port "$2"
}

echo "==> starting rust-service on 127.0.0.1:$SERVICE_PORT (CPUs $SERVER_CPUS, $workers workers, LOG_LEVEL=$service_log_level, stdout to /dev/null)" >&2
start_rust_service "$binary" "$SERVICE_PORT"
service_pid=$started_pid
servers=(nginx service)
if [ -n "$BASELINE" ]; then
  echo "==> starting the baseline $BASELINE on 127.0.0.1:$BASELINE_PORT (same settings)" >&2
  start_rust_service "$BASELINE" "$BASELINE_PORT"
  baseline_pid=$started_pid
  servers+=(baseline)
fi

# nginx answers exactly the bytes the service answers on GET /.
exec 3<>"/dev/tcp/127.0.0.1/$SERVICE_PORT"
printf 'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n' >&3
document=$(sed '1,/^\r$/d' <&3)
exec 3<&-
case "$document" in
  '{"service":"rust-service"'*) ;;
  *) echo "unexpected answer from the service on GET /: '$document'" >&2; exit 1 ;;
esac
case "$document" in *"'"* | *\\*) echo "the document must not contain quotes or backslashes for nginx" >&2; exit 1 ;; esac

mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $workers;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  $nginx_access_log
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  # The service never closes a keep-alive connection on its own; neither should nginx.
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      default_type application/json;
      return 200 '$document';
    }
  }
}
EOF
echo "==> starting nginx $(nginx -v 2>&1 | sed 's/.*\///') on 127.0.0.1:$NGINX_PORT (CPUs $SERVER_CPUS, $workers worker processes, ${nginx_access_log%;})" >&2
taskset -c "$SERVER_CPUS" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
nginx_pid=$!
pids+=("$nginx_pid")

wait_for_port "$NGINX_PORT"

# wrk prints latencies as 512.00us, 1.20ms or 1.01s: normalise to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n
  }'
}

# cpu_ticks PID... -> user + system CPU time of those processes (all threads), in clock ticks.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$total"
}
ticks_per_second=$(getconf CLK_TCK)

# run NAME PORT PID... -> prints "rps p50_ms p99_ms cpu_us_per_request" on stdout, wrk's report
# to $work/NAME.txt. The CPU figure is the servers' own CPU time per answered request: unlike
# throughput it hardly depends on what else the machine is doing.
run() {
  local name=$1 port=$2
  shift 2
  taskset -c "$WRK_CPUS" wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "$WARMUP" "http://127.0.0.1:$port/" >/dev/null
  local before after
  before=$(cpu_ticks "$@")
  taskset -c "$WRK_CPUS" wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    "http://127.0.0.1:$port/" >"$work/$name.txt"
  after=$(cpu_ticks "$@")
  if grep -q 'Non-2xx\|Socket errors' "$work/$name.txt"; then
    echo "wrk reported errors against $name:" >&2
    cat "$work/$name.txt" >&2
    exit 1
  fi
  local rps p50 p99 requests
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$work/$name.txt")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$work/$name.txt")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$work/$name.txt")")
  requests=$(awk '/requests in/ { print $1 }' "$work/$name.txt")
  awk -v r="$rps" -v a="$p50" -v b="$p99" -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" \
    'BEGIN { printf "%s %s %s %.2f\n", r, a, b, t * 1e6 / hz / n }'
}

# median FILE COLUMN: median of one column of a samples file.
median() { awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "==> $ROUNDS rounds of wrk -t $WRK_THREADS -c $CONNECTIONS -d $DURATION --latency per server (each after a $WARMUP warm-up), wrk on CPUs $WRK_CPUS" >&2
for round in $(seq "$ROUNDS"); do
  # Vary the order so that a burst of background load does not always hit the same server, and
  # (with a baseline) so that no server always runs right after the same other one: with three
  # servers, 6 rounds go through all 6 orders.
  if [ -n "$BASELINE" ]; then
    orders=("nginx service baseline" "service baseline nginx" "baseline nginx service"
      "nginx baseline service" "baseline service nginx" "service nginx baseline")
    read -r -a order <<<"${orders[$(((round - 1) % 6))]}"
  else
    order=(nginx service)
    if [ $((round % 2)) -eq 0 ]; then order=(service nginx); fi
  fi
  for name in "${order[@]}"; do
    if [ "$name" = nginx ]; then
      port=$NGINX_PORT
      read -r -a server_pids <<<"$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')"
    elif [ "$name" = baseline ]; then
      port=$BASELINE_PORT
      server_pids=("$baseline_pid")
    else
      port=$SERVICE_PORT
      server_pids=("$service_pid")
    fi
    run "$name-$round" "$port" "${server_pids[@]}" | tee -a "$work/$name.samples" |
      awk -v r="$round" -v n="$name" '{ printf "    round %s %-8s %10.0f req/s  p50 %8.3f ms  p99 %8.3f ms  CPU %6.2f us/request\n", r, n, $1, $2, $3, $4 }' >&2
  done
done
service_rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$service_pid/status")
nginx_rps=$(median "$work/nginx.samples" 1) nginx_p50=$(median "$work/nginx.samples" 2)
nginx_p99=$(median "$work/nginx.samples" 3) nginx_cpu=$(median "$work/nginx.samples" 4)
service_rps=$(median "$work/service.samples" 1) service_p50=$(median "$work/service.samples" 2)
service_p99=$(median "$work/service.samples" 3) service_cpu=$(median "$work/service.samples" 4)

# Ratios service/nginx per round (the two runs of a round are back to back, so they see about
# the same background load), then the median over rounds: steadier than a ratio of medians.
paste -d ' ' "$work/service.samples" "$work/nginx.samples" |
  awk '{ printf "%.4f %.4f %.4f %.4f\n", $1 / $5, $2 / $6, $3 / $7, $4 / $8 }' >"$work/ratios"
ratio() { awk -v v="$(median "$work/ratios" "$1")" 'BEGIN { printf "%.2f", v }'; }
rps_ratio=$(ratio 1)
p50_ratio=$(ratio 2)
p99_ratio=$(ratio 3)
cpu_ratio=$(ratio 4)
rss_mb=$(awk -v kb="$service_rss_kb" 'BEGIN { printf "%.1f", kb / 1024 }')
verdict() { if awk -v v="$1" -v t="$3" "BEGIN { exit !(v $2 t) }"; then echo "ok"; else echo "MISSED"; fi; }

printf '\nmedian of %s rounds\n%-14s %14s %10s %10s %16s\n' "$ROUNDS" "" "requests/s" "p50 ms" "p99 ms" "CPU us/request"
printf '%-14s %14.0f %10.3f %10.3f %16.2f\n' "nginx" "$nginx_rps" "$nginx_p50" "$nginx_p99" "$nginx_cpu"
printf '%-14s %14.0f %10.3f %10.3f %16.2f\n' "rust-service" "$service_rps" "$service_p50" "$service_p99" "$service_cpu"
printf '%-14s %14s %10s %10s %16s   (median of the per-round ratios)\n' "service/nginx" "$rps_ratio" "$p50_ratio" "$p99_ratio" "$cpu_ratio"
if [ -n "$BASELINE" ]; then
  paste -d ' ' "$work/baseline.samples" "$work/nginx.samples" |
    awk '{ printf "%.4f %.4f %.4f %.4f\n", $1 / $5, $2 / $6, $3 / $7, $4 / $8 }' >"$work/baseline-ratios"
  paste -d ' ' "$work/service.samples" "$work/baseline.samples" |
    awk '{ printf "%.4f %.4f %.4f %.4f\n", $1 / $5, $2 / $6, $3 / $7, $4 / $8 }' >"$work/change-ratios"
  baseline_ratio() { awk -v v="$(median "$work/baseline-ratios" "$1")" 'BEGIN { printf "%.2f", v }'; }
  change_ratio() { awk -v v="$(median "$work/change-ratios" "$1")" 'BEGIN { printf "%.2f", v }'; }
  printf '%-14s %14.0f %10.3f %10.3f %16.2f\n' "baseline" "$(median "$work/baseline.samples" 1)" \
    "$(median "$work/baseline.samples" 2)" "$(median "$work/baseline.samples" 3)" "$(median "$work/baseline.samples" 4)"
  printf '%-14s %14s %10s %10s %16s\n' "baseline/nginx" "$(baseline_ratio 1)" "$(baseline_ratio 2)" "$(baseline_ratio 3)" "$(baseline_ratio 4)"
  printf '%-14s %14s %10s %10s %16s\n' "service/base" "$(change_ratio 1)" "$(change_ratio 2)" "$(change_ratio 3)" "$(change_ratio 4)"
  printf 'baseline peak RSS (VmHWM): %s MB\n' "$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$baseline_pid/status")"
fi
printf '\nservice peak RSS (VmHWM): %s MB\n' "$rss_mb"
printf 'targets: throughput >= 0.90x nginx: %s (%sx); p99 <= 1.20x nginx: %s (%sx); RSS < 30 MB: %s (%s MB)\n' \
  "$(verdict "$rps_ratio" '>=' 0.9)" "$rps_ratio" \
  "$(verdict "$p99_ratio" '<=' 1.2)" "$p99_ratio" \
  "$(verdict "$rss_mb" '<' 30)" "$rss_mb"
printf 'settings: LOGS=%s workers=%s server CPUs=%s wrk CPUs=%s threads=%s connections=%s duration=%s rounds=%s\n' \
  "$LOGS" "$workers" "$SERVER_CPUS" "$WRK_CPUS" "$WRK_THREADS" "$CONNECTIONS" "$DURATION" "$ROUNDS"
