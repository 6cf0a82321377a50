#!/usr/bin/env bash
# Lock blocked times against the program's own, where a test cannot put
# them: `cargo test` (tests/locks.rs) must pass on a busy machine, where the
# run queue after each wake adds to the program's time inside
# pthread_mutex_lock and not to corescope's time asleep on the lock.
#
#   scripts/check-locks.sh [SECONDS]      (builds the release binary first)
#
# Runs tests/locks/locks.c under `corescope run --headless --json` (both of
# its modes) and prints, per lock, the program's own total wait and
# corescope's blocked_ms, their ratio, and how busy the cores were. Exit
# status 1 when a lock of an idle-machine run is off by more than 10%.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "check-locks: python3 is needed to read the JSON reports"; exit 1; }
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O1 -pthread -o "$work/locks" tests/locks/locks.c
export CORESCOPE=$PWD/target/release/corescope WORK=$work SECONDS_RUN=${1:-5}
exec python3 - <<'PY'
import json, os, subprocess, sys

BIN, WORK, SECONDS = os.environ["CORESCOPE"], os.environ["WORK"], os.environ["SECONDS_RUN"]


def idle_share():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return fields[3] + fields[4], sum(fields)


failed = False
print(f"{'lock':<12} {'program ms':>11} {'corescope ms':>13} {'ratio':>6}  machine")
for mode, names in (("named", ("busy_lock", "quiet_lock")), ("heap", ("heap_lock",))):
    out = os.path.join(WORK, f"{mode}.out")
    idle0, total0 = idle_share()
    report = json.loads(subprocess.run(
        [BIN, "run", "--headless", "--json", "--", os.path.join(WORK, "locks"), mode, SECONDS],
        env=dict(os.environ, LOCKS_OUT=out), capture_output=True, check=True).stdout)
    idle1, total1 = idle_share()
    busy_pct = 100 * (1 - (idle1 - idle0) / max(total1 - total0, 1))
    truth = dict((k, float(v)) for k, v in (line.split() for line in open(out)))
    locks = report["locks"] or []
    for name in names:
        lock = next((l for l in locks if name in l["label"] or (name == "heap_lock" and l["label"].startswith("[heap]"))), None)
        seen = lock["blocked_ms"] if lock else 0.0
        ratio = seen / truth[name] if truth[name] else float("nan")
        # The program's own run (its locks) keeps the cores at most this busy;
        # more means other programs ran too.
        quiet = busy_pct < 60
        verdict = "" if quiet else "  (busy machine: not judged)"
        if quiet and abs(ratio - 1) > 0.10:
            failed = True
            verdict = "  OFF BY MORE THAN 10%"
        print(f"{name:<12} {truth[name]:>11.1f} {seen:>13.1f} {ratio:>6.2f}  cores {busy_pct:.0f}% busy{verdict}")
sys.exit(1 if failed else 0)
PY
