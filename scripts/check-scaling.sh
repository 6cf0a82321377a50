#!/usr/bin/env bash
# The figures that need idle cores, measured where they belong: not in
# `cargo test` (which must pass on a busy machine) but here, each printed
# beside the machine's idle capacity measured in the same run.
#
#   scripts/check-scaling.sh            (builds the release binary first)
#   CORESCOPE=target/debug/corescope scripts/check-scaling.sh
#
# Prints the CPU-bound speedups of threads, processes and the simulated GIL,
# the I/O-bound speedups, how lock waits grow with the critical section and
# how much computing and waiting overlap in `combine`. When other programs
# kept the cores busy (less than all but a quarter core idle before or after
# a figure), it says the machine was too busy for that figure to mean
# anything and does not judge it. Exit status: 1 when a figure measured on an
# idle machine missed its expectation, 0 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "check-scaling: python3 is needed to read the JSON reports"; exit 1; }
# CORESCOPE=PATH measures that binary (CI passes the debug build its tests
# already made: the ratios hold in either, and CI saves a release build).
if [ -z "${CORESCOPE:-}" ]; then
  cargo build --release --quiet
  export CORESCOPE=$PWD/target/release/corescope
fi
exec python3 - <<'PY'
import json, os, subprocess, sys, time

BIN = os.environ["CORESCOPE"]
CORES = os.cpu_count() or 1
WORKERS = min(CORES, 4)


def cpu_times():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return idle, sum(fields[:8])


def idle_cores(seconds=1.0):
    """Cores left idle by everything on the machine over `seconds`."""
    i0, t0 = cpu_times()
    time.sleep(seconds)
    i1, t1 = cpu_times()
    return CORES * (i1 - i0) / max(t1 - t0, 1)


def corescope(*args):
    out = subprocess.run([BIN, *args, "--headless", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"check-scaling: corescope {' '.join(args)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


failures = 0


def judge(label, value, ok, expectation, idle_before, idle_after):
    """Prints one figure with the idle capacity around it and its verdict."""
    global failures
    quiet = min(idle_before, idle_after) >= CORES - 0.25
    idle = f"idle {idle_before:.2f} / {idle_after:.2f} of {CORES} cores before / after"
    if not quiet:
        verdict = "not judged: the machine was too busy for this figure to mean anything"
    elif ok:
        verdict = "ok"
    else:
        verdict = f"MISSED (expected {expectation})"
        failures += 1
    print(f"  {label:<34} {value:>8}   {verdict}   [{idle}]")


def measured(run):
    before = idle_cores()
    result = run()
    return result, before, idle_cores()


print(f"corescope scaling check: {CORES} cores, {WORKERS} workers\n")

print(f"CPU-bound: compare --kind cpu --workers {WORKERS} --tasks {2 * WORKERS} --work-ms 300")
report, before, after = measured(lambda: corescope(
    "compare", "--kind", "cpu", "--workers", str(WORKERS),
    "--tasks", str(2 * WORKERS), "--work-ms", "300"))
rows = {r["mode"]: r for r in report["rows"]}
want = 0.8 * WORKERS
for mode, check, expectation in [
    ("threads", lambda s: s >= want, f">= {want:.1f}x"),
    ("processes", lambda s: s >= want, f">= {want:.1f}x"),
    ("gil", lambda s: s <= 1.2, "<= 1.2x"),
    ("async", lambda s: s <= 1.2, "<= 1.2x"),
]:
    speedup = rows[mode]["speedup"]
    judge(f"{mode} speedup", f"{speedup:.2f}x", check(speedup), expectation, before, after)
    cores = rows[mode]["parallelism"]
    print(f"  {'':<34} {cores:>8.2f}   cores kept busy ({mode})")

print("\nI/O-bound: compare --kind io --workers 8 --tasks 8 --work-ms 200")
report, before, after = measured(lambda: corescope(
    "compare", "--kind", "io", "--workers", "8", "--tasks", "8", "--work-ms", "200"))
for row in report["rows"][1:]:
    judge(f"{row['mode']} speedup", f"{row['speedup']:.2f}x", row["speedup"] >= 5.0,
          ">= 5x", before, after)

print("\nLock waits: lock-contention --workers 2, critical section 1 ms then 6 ms")
def p99(critical):
    r = corescope("demo", "lock-contention", "--workers", "2", "--tasks", "40",
                  "--work-ms", "1", "--critical-ms", critical)
    return r["locks"][0]["wait_ns"]["p99"]
(short, long), before, after = measured(lambda: (p99("1"), p99("6")))
judge("p99 wait, 6 ms over 1 ms held", f"{long / max(short, 1):.1f}x", long > 2 * short,
      "> 2x", before, after)
print(f"  {'':<34} {short / 1e6:>6.1f} ms / {long / 1e6:.1f} ms")

print("\nCombining: combine --tasks 6 --work-ms 100 --delay-ms 100")
report, before, after = measured(lambda: corescope(
    "demo", "combine", "--tasks", "6", "--work-ms", "100", "--delay-ms", "100"))
overlap = report["result"]["overlap"]
judge("(computing + waiting) / together", f"{overlap:.2f}x", overlap > 1.3, "> 1.3x",
      before, after)

print()
if failures:
    print(f"check-scaling: {failures} figure(s) measured on an idle machine missed")
    sys.exit(1)
print("check-scaling: every figure measured on an idle machine met its expectation")
PY
