"""The same CPU-bound work as cpu_threads.py, in processes: each has its own GIL.

PROCESSES worker processes (default 4) each count as fast as they can for
SECONDS (default 4) and send their count back through a pipe. Every process
has its own interpreter and its own GIL, so they run at the same time: on a
machine with two cores or more corescope shows parallelism near the number of
cores (up to 4 here), and the total count is that many times what
cpu_threads.py reaches.

The price shows too: five processes in the tree instead of one, each with
its own memory (the RSS column of the process panel).

    corescope run -- python3 assets/python/cpu_processes.py [PROCESSES] [SECONDS]

Only what the work needs is used: `multiprocessing.Process`, a one-way `Pipe`
per worker and an `Array` without a lock for the progress line. No pool and no
queue, so no helper thread (a Queue's feeder) and, with the "fork" start
method (Linux's default before Python 3.14), no resource tracker or fork
server process: the tree is the main process and its workers, nothing else.
"""

import multiprocessing
import sys
import time


def count(seconds, pipe, progress, index):
    """Counts loop steps until `seconds` have passed, then sends the count."""
    deadline = time.monotonic() + seconds
    steps = 0
    while time.monotonic() < deadline:
        for _ in range(10_000):
            steps += 1
        progress[index] = steps  # for the progress line
    pipe.send(steps)
    pipe.close()


def report_progress(workers, progress, started):
    """Prints the total so far once a second while the workers run; it looks
    20 times a second whether they are done, so the program ends with them."""
    next_line = started + 1.0
    while any(worker.is_alive() for worker in workers):
        time.sleep(0.05)
        if time.monotonic() >= next_line:
            next_line += 1.0
            total = sum(progress)
            elapsed = time.monotonic() - started
            print(f"{elapsed:4.1f} s: {total:,} steps ({total / elapsed:,.0f} per second)", flush=True)


def main():
    processes = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
    # Shared memory without a lock (each worker writes its own slot): no
    # helper process or thread comes with it.
    progress = multiprocessing.Array("q", processes, lock=False)
    pipes = []
    workers = []
    started = time.monotonic()
    for i in range(processes):
        receive, send = multiprocessing.Pipe(duplex=False)
        worker = multiprocessing.Process(
            target=count, args=(seconds, send, progress, i), name=f"worker-{i}"
        )
        worker.start()
        send.close()  # the worker has its copy; ours would keep the pipe open
        pipes.append(receive)
        workers.append(worker)
    report_progress(workers, progress, started)
    results = [pipe.recv() for pipe in pipes]
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    for i, steps in enumerate(results):
        print(f"process {i}: {steps:,} steps")
    print(f"total: {sum(results):,} steps in {elapsed:.1f} s on {processes} processes")


if __name__ == "__main__":
    main()
