"""Producer-consumer with queue.Queue, task_done() and join().

The producer puts ten numbers on a queue that holds at most three; the
consumer, a daemon thread, takes them one by one and marks each done.
`q.join()` returns once every item put has been marked done.

    corescope run -- python3 assets/python/producer_consumer.py

With corescope's probes the queue gauge shows `q (producer_consumer.py:17)`:
its depth against its capacity of 3, its peak, and the puts and gets.
"""

import queue
import threading
import time

q = queue.Queue(maxsize=3)


def producer():
    for i in range(10):
        q.put(i)


def consumer():
    while True:
        item = q.get()
        print(f"Consumed {item}")
        time.sleep(0.05)  # processing is slower than producing: the queue fills
        q.task_done()


if __name__ == "__main__":
    threading.Thread(target=consumer, daemon=True).start()
    producer_thread = threading.Thread(target=producer)
    producer_thread.start()
    producer_thread.join()
    q.join()
    print("All items processed")
