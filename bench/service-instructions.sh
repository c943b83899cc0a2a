#!/usr/bin/env bash
# User-space instructions per request of rust-service, counted by callgrind: unlike the wall
# clock on a shared machine, the count hardly moves between runs, so it shows what a change to
# the request path costs or saves. Prints one figure per binary.
#
#   bash bench/service-instructions.sh                       # the current tree's release build
#   bash bench/service-instructions.sh /tmp/old-rust-service # also count an older binary
#   REQUESTS=5000 REQUEST_PATH=/healthz bash bench/service-instructions.sh
#
# Method: the release build of the tree (the image's flags, symbols kept) runs under
# `valgrind --tool=callgrind` with one worker thread and LOG_LEVEL=info (stdout to /dev/null);
# one client sends WARMUP sequential `GET REQUEST_PATH` on one keep-alive connection, the
# counters are zeroed (`callgrind_control -z`), REQUESTS more are sent, and the counters are
# dumped (`callgrind_control -d`). The figure is the dumped total divided by REQUESTS. System
# calls are not counted (the kernel's share of a request is about the same as nginx's: one
# recvfrom, one send, one access-log write).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

REQUESTS=${REQUESTS:-2000}
WARMUP=${WARMUP:-200}
REQUEST_PATH=${REQUEST_PATH:-/}
PORT=${PORT:-18095}

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
need valgrind valgrind
need python3 python3

for binary in "$@"; do
  [ -x "$binary" ] || { echo "not an executable: $binary" >&2; exit 2; }
done

target=$(rustc -vV | sed -n 's/^host: //p')
echo "==> building rust-service (release with symbols, crt-static, $target)" >&2
(cd service && CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
  RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --quiet --target "$target" --target-dir target/instructions --bin rust-service)
current="$root/service/target/instructions/$target/release/rust-service"

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-instructions.XXXXXX")
vpid=
cleanup() {
  if [ -n "$vpid" ]; then kill "$vpid" 2>/dev/null || true; wait "$vpid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# send N: N sequential GET requests on one keep-alive connection, each answer read whole.
send() {
  python3 - "$PORT" "$1" "$REQUEST_PATH" <<'EOF'
import socket, sys
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
for _ in range(n):
    s.sendall(request)
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("the server closed the connection")
        buf += chunk
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            continue
        head = buf[:end].decode("latin-1").lower().split("\r\n")
        if not head[0].startswith("http/1.1 2"):
            sys.exit(f"unexpected answer: {head[0]}")
        length = int(next(l.split(":")[1] for l in head if l.startswith("content-length:")))
        if len(buf) >= end + 4 + length:
            break
s.close()
EOF
}

# count BINARY -> instructions per request
count() {
  local out="$work/callgrind.out"
  rm -f "$out"*
  PORT=$PORT LOG_LEVEL=info TOKIO_WORKER_THREADS=1 DRAIN_DELAY_SECONDS=0 \
    valgrind --tool=callgrind --callgrind-out-file="$out" "$1" >/dev/null 2>"$work/valgrind.log" &
  vpid=$!
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$vpid" 2>/dev/null || { cat "$work/valgrind.log" >&2; exit 1; }
    sleep 0.1
  done
  send "$WARMUP"
  callgrind_control -z "$vpid" >/dev/null 2>&1
  send "$REQUESTS"
  callgrind_control -d "$vpid" >/dev/null 2>&1
  for _ in $(seq 100); do [ -s "$out.1" ] && break; sleep 0.1; done
  sleep 0.5
  local total
  total=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  kill -TERM "$vpid"
  wait "$vpid" 2>/dev/null || true
  vpid=
  echo $((total / REQUESTS))
}

printf '%-60s %12s\n' "binary (GET $REQUEST_PATH, $REQUESTS requests after $WARMUP)" "instructions/request"
printf '%-60s %12s\n' "current tree" "$(count "$current")"
for binary in "$@"; do
  printf '%-60s %12s\n' "$binary" "$(count "$binary")"
done
