#!/usr/bin/env bash
# Measures the dashboard's own CPU cost while idle, beside htop at a comparable
# refresh, in the same run: both run in tmux panes of the same size for SECS
# seconds; CPU time comes from utime+stime in /proc/PID/stat.
#
#   scripts/idle-cost.sh [SECS]        (default 30; needs tmux and htop)
set -euo pipefail
secs=${1:-30}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/corescope
command -v htop >/dev/null || { echo "htop is not installed (apt-get install htop)"; exit 1; }
sock=idle-cost-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null || true' EXIT
# htop's delay is in tenths of a second: 5 = 500 ms, corescope's default interval.
tm new-session -d -s cs -x 120 -y 40 "$bin"
tm new-session -d -s ht -x 120 -y 40 "htop -d 5"
sleep 2
cs=$(tm list-panes -t cs -F '#{pane_pid}')
ht=$(tm list-panes -t ht -F '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
c0=$(ticks "$cs"); h0=$(ticks "$ht"); t0=$(date +%s.%N)
sleep "$secs"
c1=$(ticks "$cs"); h1=$(ticks "$ht"); t1=$(date +%s.%N)
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
python3 - "$c0" "$c1" "$h0" "$h1" "$t0" "$t1" "$hz" "$(rss "$cs")" "$(rss "$ht")" <<'PY'
import sys
c0, c1, h0, h1, t0, t1, hz, crss, hrss = map(float, sys.argv[1:])
wall = t1 - t0
cs = (c1 - c0) / hz / wall * 100
ht = (h1 - h0) / hz / wall * 100
print(f"over {wall:.1f} s at a 500 ms refresh, 120x40:")
print(f"  corescope  {cs:5.2f}% of one core, RSS {crss/1024:.1f} MiB")
print(f"  htop       {ht:5.2f}% of one core, RSS {hrss/1024:.1f} MiB")
print(f"  ratio corescope/htop: {cs/ht:.2f}" if ht > 0 else "  htop used no measurable CPU")
PY
