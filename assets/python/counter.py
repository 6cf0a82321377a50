"""A shared counter, with and without a Lock (the race the Lock prevents).

Four threads add 1 to `counter` 100,000 times each. Without the lock,
`counter += 1` (read, add, write) can be interrupted between its steps and
updates are lost; with `lock` around it none are.

    corescope run -- python3 assets/python/counter.py [unsafe|locked]

With corescope's probes the Locks table shows `lock (counter.py:20)`: how
often it was acquired, how often a thread had to wait for it, and how long.
"""

import sys
import threading

THREADS = 4
TIMES = 100_000

counter = 0
lock = threading.Lock()


def increment_unsafe():
    global counter
    for _ in range(TIMES):
        counter += 1


def increment_locked():
    global counter
    for _ in range(TIMES):
        with lock:
            counter += 1


def run(target):
    global counter
    counter = 0
    threads = [threading.Thread(target=target) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counter


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    if which in ("unsafe", "both"):
        print(f"Without the lock: {run(increment_unsafe)} (expected {THREADS * TIMES})")
    if which in ("locked", "both"):
        print(f"With the lock: {run(increment_locked)} (expected {THREADS * TIMES})")
