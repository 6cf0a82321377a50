#!/usr/bin/env bash
# The dashboard's CPU cost watching a busy-ish program, beside htop watching
# the same program in the same run (and, optionally, another corescope
# build: a baseline such as one without the lock table).
#
#   scripts/watch-cost.sh [SECS] [INTERVAL_MS]     (defaults: 30 s, 100 ms)
#   BASELINE=/path/to/other/corescope scripts/watch-cost.sh
#   FLOOR=1 scripts/watch-cost.sh     (also the reads alone: read-floor.c)
#
# The program: 200 threads, 100 blocked on 4 locks (held by the main
# thread, so their waits are futex waits the lock table names) and 100
# sleeping 50 ms in a loop. corescope watches it at INTERVAL_MS; htop at
# the nearest tenth of a second it allows (`-d`, at least 1 = 100 ms).
# Everything runs in tmux panes of 120x40; CPU time is utime+stime from
# /proc/PID/stat. Needs tmux, htop and python3 (and gcc for FLOOR=1).
# FLOOR=1 adds scripts/read-floor.c at the same interval: only the /proc
# reads that show every thread fresh at each tick, nothing else. Its cost
# is the least any sampler reading the same files can cost.
set -euo pipefail
secs=${1:-30}
interval_ms=${2:-100}
cd "$(dirname "$0")/.."
for tool in tmux htop python3; do
    command -v "$tool" >/dev/null || { echo "watch-cost: $tool is needed"; exit 1; }
done
cargo build --release --quiet
bin=$PWD/target/release/corescope
floor_bin=""
if [[ -n "${FLOOR:-}" ]]; then
    floor_bin=$(mktemp -d)/read-floor
    gcc -O2 -o "$floor_bin" scripts/read-floor.c
fi
python3 - <<'PY' &
import threading, time
locks = [threading.Lock() for _ in range(4)]
for lock in locks:
    lock.acquire()
def blocked(lock):
    with lock:
        pass
def sleeper():
    while True:
        time.sleep(0.05)
for i in range(100):
    threading.Thread(target=blocked, args=(locks[i % 4],), daemon=True).start()
for _ in range(99):
    threading.Thread(target=sleeper, daemon=True).start()
time.sleep(3600)
PY
prog=$!
sock=watch-cost-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
floor_pid=""
trap 'tm kill-server 2>/dev/null || true; kill $prog $floor_pid 2>/dev/null || true' EXIT
sleep 1
tenths=$(( (interval_ms + 50) / 100 )); (( tenths >= 1 )) || tenths=1
tm new-session -d -s cs -x 120 -y 40 "$bin watch $prog --interval $interval_ms"
tm new-session -d -s ht -x 120 -y 40 "htop -d $tenths -p $prog"
if [[ -n "${BASELINE:-}" ]]; then
    tm new-session -d -s bl -x 120 -y 40 "$BASELINE watch $prog --interval $interval_ms"
fi
if [[ -n "$floor_bin" ]]; then
    "$floor_bin" "$prog" "$interval_ms" &
    floor_pid=$!
fi
sleep 3
pane() { tm list-panes -t "$1" -F '#{pane_pid}'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cs=$(pane cs); ht=$(pane ht); bl=""
[[ -n "${BASELINE:-}" ]] && bl=$(pane bl)
c0=$(ticks "$cs"); h0=$(ticks "$ht"); b0=0; [[ -n "$bl" ]] && b0=$(ticks "$bl")
f0=0; [[ -n "$floor_pid" ]] && f0=$(ticks "$floor_pid")
t0=$(date +%s.%N)
sleep "$secs"
c1=$(ticks "$cs"); h1=$(ticks "$ht"); b1=0; [[ -n "$bl" ]] && b1=$(ticks "$bl")
f1=0; [[ -n "$floor_pid" ]] && f1=$(ticks "$floor_pid")
t1=$(date +%s.%N)
threads=$(ls "/proc/$prog/task" | wc -l)
read -r _ _ _ load _ < /proc/loadavg || true
python3 - "$c0" "$c1" "$h0" "$h1" "$b0" "$b1" "$t0" "$t1" "$(getconf CLK_TCK)" "$interval_ms" "$tenths" "${bl:+yes}" "$threads" "$f0" "$f1" "${floor_pid:+yes}" <<'PY'
import sys
c0, c1, h0, h1, b0, b1, t0, t1, hz, ms, tenths = map(float, sys.argv[1:12])
baseline, threads = sys.argv[12] == "yes", sys.argv[13]
f0, f1, floor = float(sys.argv[14]), float(sys.argv[15]), sys.argv[16] == "yes"
wall = t1 - t0
pct = lambda a, b: (b - a) / hz / wall * 100
cs, ht, bl = pct(c0, c1), pct(h0, h1), pct(b0, b1)
print(f"over {wall:.1f} s, watching {threads} threads (100 blocked on 4 locks), 120x40:")
print(f"  corescope at {ms:.0f} ms    {cs:5.2f}% of one core")
print(f"  htop -d {tenths:.0f}            {ht:5.2f}% of one core")
print(f"  ratio corescope/htop: {cs / ht:.2f}" if ht > 0 else "  htop used no measurable CPU")
if baseline:
    print(f"  baseline at {ms:.0f} ms     {bl:5.2f}% of one core")
    print(f"  ratio corescope/baseline: {cs / bl:.2f}" if bl > 0 else "  the baseline used no measurable CPU")
if floor:
    fl = pct(f0, f1)
    print(f"  the reads alone at {ms:.0f} ms {fl:5.2f}% of one core (read-floor.c)")
    if ht > 0:
        print(f"  ratio reads alone/htop: {fl / ht:.2f}")
PY
