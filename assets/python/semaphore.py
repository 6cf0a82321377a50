"""Semaphore(2): five tasks, at most two at a time.

Each task holds the semaphore for a short while (standing in for a
connection to a server that accepts two clients). The other tasks wait.

    corescope run -- python3 assets/python/semaphore.py

With corescope's probes the semaphore gauge shows `sem (semaphore.py:15)`:
2 permits, how many are in use (never more than 2), and who is waiting.
"""

import threading
import time

sem = threading.Semaphore(2)  # Allow 2 threads at a time


def task(n):
    with sem:
        print(f"Task {n} running")
        time.sleep(0.3)


if __name__ == "__main__":
    threads = [threading.Thread(target=task, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("All tasks done")
