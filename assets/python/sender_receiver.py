"""A SenderProcess and a ReceiverProcess over a multiprocessing Queue,
ended by a None sentinel.

The sender puts five numbers; once it has finished, the main process puts
None, which tells the receiver to stop.

    corescope run -- python3 assets/python/sender_receiver.py

With corescope's probes the queue gauge shows `queue (sender_receiver.py:41)`,
counted in all three processes: six puts (the sentinel included) and six
gets.
"""

from multiprocessing import Process, Queue


class SenderProcess(Process):
    def __init__(self, queue):
        super().__init__()
        self.queue = queue

    def run(self):
        for i in range(5):
            self.queue.put(i)


class ReceiverProcess(Process):
    def __init__(self, queue):
        super().__init__()
        self.queue = queue

    def run(self):
        while True:
            item = self.queue.get()
            if item is None:
                break
            print(f"Received: {item}", flush=True)


if __name__ == "__main__":
    queue = Queue()
    sender = SenderProcess(queue)
    receiver = ReceiverProcess(queue)
    sender.start()
    receiver.start()
    sender.join()
    queue.put(None)
    receiver.join()
