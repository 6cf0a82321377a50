#!/usr/bin/env bash
# Soak: a long headless run of a busy demo; RSS of corescope every 10 s, so a
# leak shows as growth between the first minute and the last.
#
#   scripts/soak.sh [SECS] [DEMO ARGS...]   (default 600 s of producer-consumer)
set -euo pipefail
secs=${1:-600}; shift || true
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(producer-consumer --producers 4 --consumers 4 --produce-ms 0 --work-ms 1 --tasks 1000000)
cd "$(dirname "$0")/.."
cargo build --release --quiet
./target/release/corescope demo "${args[@]}" --headless --duration "$secs" > /tmp/soak-report.txt &
pid=$!
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )) s  RSS ${rss} KiB"
  sleep 10
done
wait "$pid"
tail -n +1 /tmp/soak-report.txt | head -12
