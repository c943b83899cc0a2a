#!/usr/bin/env bash
# Stop exactly the processes a provision.sh run recorded in its HARNESS_STARTED_FILE
# ("<name> <pid>" lines), newest first; anything that was already running is left alone.
# Usage: bash scripts/provision/stop.sh <started-file>
set -euo pipefail

started_file="${1:?usage: stop.sh <started-file written by provision.sh>}"
[[ -f $started_file ]] || exit 0

tac "$started_file" | while read -r name pid; do
  # Guard against a recycled pid: only signal it if it still runs the program that was started.
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$name" ]]; then
    echo "[stop] $name (pid $pid) is no longer running"
    continue
  fi
  echo "[stop] stopping $name (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    [[ -d /proc/$pid ]] || break
    sleep 0.5
  done
  if [[ -d /proc/$pid ]]; then
    echo "[stop] $name (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL" >&2
    kill -KILL "$pid"
  fi
done
rm -f "$started_file"
