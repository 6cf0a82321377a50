"""I/O-bound threads: waiting overlaps, even under the GIL.

THREADS threads (default 8) each make REQUESTS "requests" (default 10) of 0.2 s
each. A request here is a sleep, standing in for waiting on the network or a
disk: like a real wait, it releases the GIL. Done one after another the
requests would take THREADS x REQUESTS x 0.2 s (16 s by default); on threads
they take about REQUESTS x 0.2 s (2 s), because all the waits overlap.

corescope shows many threads and almost no CPU: parallelism near 0, every
thread asleep (state S) nearly all the time. Threads are the right tool here,
GIL or not.

    corescope run -- python3 assets/python/io_threads.py [THREADS] [REQUESTS]
"""

import sys
import threading
import time

REQUEST_SECONDS = 0.2


def fetch(requests, done, index):
    """Makes `requests` waits, one after another, as one client would."""
    for _ in range(requests):
        time.sleep(REQUEST_SECONDS)
        done[index] += 1


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    done = [0] * threads
    clients = [
        threading.Thread(target=fetch, args=(requests, done, i), name=f"client-{i}")
        for i in range(threads)
    ]
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started
    sequential = threads * requests * REQUEST_SECONDS
    print(f"{sum(done)} requests on {threads} threads in {elapsed:.1f} s "
          f"(one after another: {sequential:.1f} s)")


if __name__ == "__main__":
    main()
