"""A two-way Pipe: a question goes one way, the answer comes back.

`Pipe()` returns two connections; what one end sends, the other receives,
in both directions. The parent sends numbers to a child process, which
answers with their squares, until the parent sends None.

    corescope run -- python3 assets/python/pipe.py

corescope shows the two processes in the tree, each mostly waiting for the
other: every message crosses the kernel, there and back.
"""

import time
from multiprocessing import Pipe, Process


def squarer(conn):
    while True:
        number = conn.recv()
        if number is None:  # The sentinel: no more questions
            break
        conn.send(number * number)
    conn.close()


if __name__ == "__main__":
    parent_conn, child_conn = Pipe()  # Two-way by default (duplex=True)
    child = Process(target=squarer, args=(child_conn,))
    child.start()
    for number in range(20):
        parent_conn.send(number)
        print(f"{number} squared is {parent_conn.recv()}")
        time.sleep(0.1)
    parent_conn.send(None)
    child.join()
    print("Child done")
