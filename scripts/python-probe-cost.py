#!/usr/bin/env python3
"""What corescope's Python probes add to an uncontended operation.

Loads the probe module from assets/python/corescope_probes/probes.py into a
temporary directory, as `corescope run` would, and times, in the same
process and the same run, the bare and the probed

    Lock: `with lock: pass` (an acquire and a release)
    RLock: likewise
    Semaphore: likewise
    Queue: `q.put(1); q.get()`
    Event.wait: `event.wait()` on a set Event (it returns at once)
    Event.set: `event.set(); event.clear()` (two operations, as one)
    Barrier: `barrier.wait()` on a Barrier(1) (every arrival is the last)
    Condition: `with cond: cond.notify()` (nobody waits)

and, apart from the target (a task is no uncontended operation: a thread
hands it to another), an executor's task: `pool.submit(f).result()` on a
ThreadPoolExecutor(1),

reporting ns per operation (the best of ROUNDS rounds of N operations, bare
and probed rounds taken in turn, so that a machine busy with something else
slows both alike) and the difference. Target: under 1000 ns added per
uncontended operation.

    python3 scripts/python-probe-cost.py [N]
"""

import importlib.util
import os
import queue
import shutil
import sys
import tempfile
import threading
import time

ROUNDS = 15


def ns_per_op(body, n):
    start = time.perf_counter_ns()
    body(n)
    return (time.perf_counter_ns() - start) / n


def best_in_turn(bare, probed, n):
    """The best ns per operation of each, their rounds taken in turn."""
    best_bare = best_probed = float("inf")
    for _ in range(ROUNDS):
        best_bare = min(best_bare, ns_per_op(bare, n))
        best_probed = min(best_probed, ns_per_op(probed, n))
    return best_bare, best_probed


def with_loop(lock):
    def body(n):
        for _ in range(n):
            with lock:
                pass

    return body


def queue_loop(q):
    def body(n):
        put, get = q.put, q.get
        for _ in range(n):
            put(1)
            get()

    return body


def call_loop(method):
    def body(n):
        for _ in range(n):
            method()

    return body


def set_clear_loop(event):
    def body(n):
        set_, clear = event.set, event.clear
        for _ in range(n):
            set_()
            clear()

    return body


def notify_loop(cond):
    def body(n):
        notify = cond.notify
        for _ in range(n):
            with cond:
                notify()

    return body


def task_loop(pool):
    def body(n):
        submit = pool.submit
        for _ in range(n):
            submit(int).result()

    return body


def primitives():
    """One of each primitive timed, made where it is named (this file)."""
    from concurrent.futures.thread import ThreadPoolExecutor

    waited = threading.Event()
    waited.set()
    return {
        "Lock": with_loop(threading.Lock()),
        "RLock": with_loop(threading.RLock()),
        "Semaphore": with_loop(threading.Semaphore(1)),
        "Queue": queue_loop(queue.Queue()),
        "Event.wait": call_loop(waited.wait),
        "Event.set": set_clear_loop(threading.Event()),
        "Barrier": call_loop(threading.Barrier(1).wait),
        "Condition": notify_loop(threading.Condition()),
        "task": task_loop(ThreadPoolExecutor(1)),
    }


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    here = os.path.dirname(os.path.abspath(__file__))
    source = os.path.join(here, "..", "assets", "python", "corescope_probes", "probes.py")
    directory = tempfile.mkdtemp(prefix="corescope-probe-cost-")
    try:
        bare = primitives()
        spec = importlib.util.spec_from_file_location("_corescope_probes", source)
        probes = importlib.util.module_from_spec(spec)
        sys.modules["_corescope_probes"] = probes
        spec.loader.exec_module(probes)
        probes.install(directory)
        # Imported already (for the bare pool): patched as its import would be.
        import concurrent.futures.thread

        probes._patch_thread_pool(concurrent.futures.thread)
        assert type(threading.Lock()).__module__ == "_corescope_probes", "probes not installed"
        probed = primitives()
        print(f"Python {sys.version.split()[0]}, {n} operations, best of {ROUNDS} rounds")
        print(f"{'':10} {'bare ns/op':>11} {'probed ns/op':>13} {'added ns':>9}")
        worst = 0.0
        for name in bare:
            runs = n if name != "task" else max(1, n // 10)
            plain, counted = best_in_turn(bare[name], probed[name], runs)
            added = counted - plain
            if name == "task":
                print(f"{name:10} {plain:11.0f} {counted:13.0f} {added:9.0f}  (per task, apart)")
                continue
            worst = max(worst, added)
            print(f"{name:10} {plain:11.0f} {counted:13.0f} {added:9.0f}")
        verdict = "under" if worst < 1000 else "OVER"
        print(f"most added: {worst:.0f} ns per operation ({verdict} the 1000 ns target)")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
