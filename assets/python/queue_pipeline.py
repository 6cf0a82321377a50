"""Producer and consumers on a bounded queue.Queue: back-pressure and join.

One producer thread puts ITEMS items (default 200) on a queue of CAPACITY
slots (default 8); CONSUMERS consumer threads (default 2) take them off. The
producer is quick (about 2 ms of work per item) and the consumers slow (a
10 ms wait per item, standing in for a write to a disk or a network), so the
queue fills up and the producer blocks on `put` until a consumer makes room:
back-pressure. Each consumer calls `task_done` per item, the main thread
`join`s the queue, then sends one sentinel (None) per consumer to stop them.

corescope shows the producer asleep in a futex wait (red: blocked on the
queue's condition) most of the time, the consumers alternating between their
waits and the queue, and low parallelism: this pipeline is limited by its
slowest stage, not by the CPU.

    corescope run -- python3 assets/python/queue_pipeline.py [ITEMS] [CONSUMERS] [CAPACITY]
"""

import queue
import sys
import threading
import time

SENTINEL = None


def produce(items, jobs, blocked):
    """Makes `items` items, putting each on the queue as it is ready."""
    for item in range(items):
        deadline = time.perf_counter() + 0.002
        while time.perf_counter() < deadline:  # the work of making an item
            pass
        asked = time.perf_counter()
        jobs.put(item)  # blocks while the queue is full
        blocked[0] += time.perf_counter() - asked


def consume(jobs, handled, index):
    """Takes items until the sentinel, marking each one done."""
    while True:
        item = jobs.get()
        if item is SENTINEL:
            jobs.task_done()
            return
        time.sleep(0.010)  # the slow part: writing the item somewhere
        handled[index] += 1
        jobs.task_done()


def main():
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    consumers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    capacity = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    jobs = queue.Queue(maxsize=capacity)
    handled = [0] * consumers
    blocked = [0.0]
    started = time.monotonic()
    workers = [
        threading.Thread(target=consume, args=(jobs, handled, i), name=f"consumer-{i}")
        for i in range(consumers)
    ]
    workers.append(threading.Thread(target=produce, args=(items, jobs, blocked), name="producer"))
    for worker in workers:
        worker.start()
    workers[-1].join()  # the producer has put every item
    jobs.join()  # and every item was handled
    for _ in range(consumers):
        jobs.put(SENTINEL)
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    print(f"{sum(handled)} items through a queue of {capacity} in {elapsed:.1f} s")
    print(f"consumers handled {handled}; the producer was blocked on a full queue "
          f"{blocked[0]:.1f} s")


if __name__ == "__main__":
    main()
