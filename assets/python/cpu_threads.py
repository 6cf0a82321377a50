"""CPU-bound work on threads: the GIL lets one thread run Python at a time.

THREADS threads (default 4) each count as fast as they can for SECONDS
(default 4). Without a global interpreter lock they would keep four cores
busy, or every core the machine has. Under CPython's GIL only one of them
runs Python code at any moment: corescope shows parallelism near 1.0 however
many cores there are, the threads taking turns (red rows: asleep in a futex
wait, which is how a thread waits for the GIL), and the total count comes out
about what one thread alone would reach.

    corescope run -- python3 assets/python/cpu_threads.py [THREADS] [SECONDS]

Then run cpu_processes.py, the same work in processes, and compare the totals.
"""

import sys
import threading
import time


def count(seconds, results, index):
    """Counts loop steps until `seconds` have passed: pure Python work."""
    deadline = time.monotonic() + seconds
    steps = 0
    while time.monotonic() < deadline:
        # The clock is read once every 10,000 steps, so the work is the loop.
        for _ in range(10_000):
            steps += 1
        results[index] = steps  # for the progress line


def report_progress(workers, results, started):
    """Prints the total so far once a second while the workers run; it looks
    20 times a second whether they are done, so the program ends with them."""
    next_line = started + 1.0
    while any(worker.is_alive() for worker in workers):
        time.sleep(0.05)
        if time.monotonic() >= next_line:
            next_line += 1.0
            total = sum(results)
            elapsed = time.monotonic() - started
            print(f"{elapsed:4.1f} s: {total:,} steps ({total / elapsed:,.0f} per second)", flush=True)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
    results = [0] * threads
    workers = [
        threading.Thread(target=count, args=(seconds, results, i), name=f"worker-{i}")
        for i in range(threads)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    report_progress(workers, results, started)  # the main thread, not a fifth worker
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    for i, steps in enumerate(results):
        print(f"thread {i}: {steps:,} steps")
    print(f"total: {sum(results):,} steps in {elapsed:.1f} s on {threads} threads")


if __name__ == "__main__":
    main()
