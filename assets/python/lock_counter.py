"""A lock-contended counter: threads queue up for one lock.

THREADS threads (default 4) increment one shared counter for SECONDS (default
3). Each increment holds a `threading.Lock` around read, a short wait, and
write: the wait (1 ms, standing in for I/O or a slow call made under the lock,
a classic mistake) releases the GIL but not the lock. So the lock is the
bottleneck: at any moment one thread holds it and the others sleep in the
kernel waiting for it.

corescope shows it from outside the program: the waiting threads are asleep in
a futex wait (red rows in the thread table), parallelism stays far below one
core although four threads "work", and the context-switch rates are high. At
the end the program prints how much of its time each thread spent waiting for
the lock, measured around every acquire.

    corescope run -- python3 assets/python/lock_counter.py [THREADS] [SECONDS]
"""

import sys
import threading
import time

counter = 0
lock = threading.Lock()


def work(seconds, waited, index):
    """Increments the shared counter under the lock until `seconds` pass."""
    global counter
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        asked = time.perf_counter()
        with lock:
            waited[index] += time.perf_counter() - asked
            value = counter
            time.sleep(0.001)  # held across a wait: the others queue up
            counter = value + 1


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    waited = [0.0] * threads
    workers = [
        threading.Thread(target=work, args=(seconds, waited, i), name=f"worker-{i}")
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"counter: {counter} increments by {threads} threads in {seconds:.1f} s")
    for i, wait in enumerate(waited):
        print(f"thread {i}: waited for the lock {wait:.2f} s ({100 * wait / seconds:.0f}%)")


if __name__ == "__main__":
    main()
