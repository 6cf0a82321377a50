//! A bounded queue between processes: a ring of slots in shared memory.
//!
//! Senders block while it is full and receivers while it is empty, asleep on
//! a futex, as with `multiprocessing.Queue`. Items are `u64`s (a task number,
//! or the sentinel). A short futex lock guards the ring's two indices; the
//! sleeps happen outside it, on two sequence words bumped by every receive
//! (space) and every send (items). Waits re-check at least every 50 ms, so a
//! stop, or a peer killed at the wrong moment, never strands a waiter.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use super::{futex_wait, futex_wake};
use crate::probes::clock::now_ns;
use crate::probes::{QueueStats, WorkerState};

/// The most items the queue can hold.
pub const MAX_QUEUE_CAPACITY: usize = 256;

/// How often a blocked call looks again without being woken.
const RECHECK: Duration = Duration::from_millis(50);

/// The ring, its indices and its statistics.
#[repr(C)]
#[derive(Debug)]
pub struct ProcessQueue {
    /// Futex lock word for the indices (0 free, 1 held, 2 held with waiters).
    guard: AtomicU32,
    /// Items taken so far (next slot to read is `head % capacity`).
    head: AtomicU64,
    /// Items put so far (next slot to write is `tail % capacity`).
    tail: AtomicU64,
    capacity: AtomicU64,
    /// Bumped on every receive: senders waiting for space sleep on it.
    space: AtomicU32,
    /// Bumped on every send: receivers waiting for items sleep on it.
    items: AtomicU32,
    slots: [AtomicU64; MAX_QUEUE_CAPACITY],
    stats: QueueStats,
}

impl Default for ProcessQueue {
    fn default() -> Self {
        Self {
            guard: AtomicU32::new(0),
            head: AtomicU64::new(0),
            tail: AtomicU64::new(0),
            capacity: AtomicU64::new(0),
            space: AtomicU32::new(0),
            items: AtomicU32::new(0),
            slots: [const { AtomicU64::new(0) }; MAX_QUEUE_CAPACITY],
            stats: QueueStats::new(),
        }
    }
}

impl ProcessQueue {
    /// The queue's statistics.
    #[must_use]
    pub fn stats(&self) -> &QueueStats {
        &self.stats
    }

    /// Empties the queue and sets its capacity (1 to `MAX_QUEUE_CAPACITY`),
    /// for a new run. No process may be using it.
    pub fn reset_with(&self, capacity: usize) {
        self.reset();
        let capacity = capacity.clamp(1, MAX_QUEUE_CAPACITY) as u64;
        self.capacity.store(capacity, Ordering::Relaxed);
        self.stats.set_capacity(capacity);
    }

    pub(crate) fn reset(&self) {
        for word in [&self.guard, &self.space, &self.items] {
            word.store(0, Ordering::Relaxed);
        }
        for index in [&self.head, &self.tail, &self.capacity] {
            index.store(0, Ordering::Relaxed);
        }
        self.stats.reset();
    }

    /// Puts `value` in, waiting while the queue is full. False if `give_up`
    /// said so while waiting (the run is stopping).
    pub fn send(&self, value: u64, give_up: impl Fn() -> bool) -> bool {
        let mut asked = None;
        loop {
            let seen = self.space.load(Ordering::Acquire);
            if let Some(depth) = self.try_push(value) {
                if let Some((asked_ns, mark)) = asked {
                    let got = now_ns();
                    crate::probes::worker::WaitMark::end(mark, got);
                    self.stats.record_send_blocked(asked_ns, got);
                }
                self.stats.record_send(depth);
                self.items.fetch_add(1, Ordering::Release);
                futex_wake(&self.items, 1);
                return true;
            }
            if give_up() {
                return false;
            }
            asked.get_or_insert_with(|| {
                let now = now_ns();
                (
                    now,
                    crate::probes::worker::WaitMark::begin(WorkerState::WaitingQueue, now),
                )
            });
            futex_wait(&self.space, seen, RECHECK);
        }
    }

    /// Takes the oldest item, waiting while the queue is empty. `None` if
    /// `give_up` said so while waiting.
    pub fn recv(&self, give_up: impl Fn() -> bool) -> Option<u64> {
        let mut asked = None;
        loop {
            let seen = self.items.load(Ordering::Acquire);
            if let Some(value) = self.try_pop() {
                if let Some((asked_ns, mark)) = asked {
                    let got = now_ns();
                    crate::probes::worker::WaitMark::end(mark, got);
                    self.stats.record_recv_blocked(asked_ns, got);
                }
                self.stats.record_recv();
                self.space.fetch_add(1, Ordering::Release);
                futex_wake(&self.space, 1);
                return Some(value);
            }
            if give_up() {
                return None;
            }
            asked.get_or_insert_with(|| {
                let now = now_ns();
                (
                    now,
                    crate::probes::worker::WaitMark::begin(WorkerState::WaitingQueue, now),
                )
            });
            futex_wait(&self.items, seen, RECHECK);
        }
    }

    /// Marks an item received earlier as handled (Python's `task_done`).
    pub fn task_done(&self) {
        self.stats.record_task_done();
    }

    /// Items sent and not yet marked done.
    #[must_use]
    pub fn unfinished(&self) -> u64 {
        self.stats.report("").unfinished
    }

    fn try_push(&self, value: u64) -> Option<u64> {
        let _held = IndexLock::take(&self.guard);
        let capacity = self.capacity.load(Ordering::Relaxed).max(1);
        let (head, tail) = (
            self.head.load(Ordering::Relaxed),
            self.tail.load(Ordering::Relaxed),
        );
        if tail - head >= capacity {
            return None;
        }
        self.slots[(tail % capacity) as usize].store(value, Ordering::Relaxed);
        self.tail.store(tail + 1, Ordering::Relaxed);
        Some(tail + 1 - head)
    }

    fn try_pop(&self) -> Option<u64> {
        let _held = IndexLock::take(&self.guard);
        let capacity = self.capacity.load(Ordering::Relaxed).max(1);
        let (head, tail) = (
            self.head.load(Ordering::Relaxed),
            self.tail.load(Ordering::Relaxed),
        );
        if head == tail {
            return None;
        }
        let value = self.slots[(head % capacity) as usize].load(Ordering::Relaxed);
        self.head.store(head + 1, Ordering::Relaxed);
        Some(value)
    }
}

/// The futex lock around the ring's indices, held for a few loads and stores.
struct IndexLock<'a>(&'a AtomicU32);

impl<'a> IndexLock<'a> {
    fn take(word: &'a AtomicU32) -> Self {
        // Acquire/Release: the indices and slots written under the lock are
        // seen by the next holder, in this process or another.
        if word
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while word.swap(2, Ordering::Acquire) != 0 {
                futex_wait(word, 2, RECHECK);
            }
        }
        Self(word)
    }
}

impl Drop for IndexLock<'_> {
    fn drop(&mut self) {
        if self.0.swap(0, Ordering::Release) == 2 {
            futex_wake(self.0, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_go_through_in_order_and_the_depth_stays_bounded() {
        let queue = ProcessQueue::default();
        queue.reset_with(4);
        let received = std::thread::scope(|scope| {
            let consumer = scope.spawn(|| {
                let mut got = Vec::new();
                while let Some(v) = queue.recv(|| false) {
                    if v == u64::MAX {
                        break;
                    }
                    got.push(v);
                    queue.task_done();
                }
                got
            });
            for v in 0..1000 {
                assert!(queue.send(v, || false));
            }
            assert!(queue.send(u64::MAX, || false));
            consumer.join().expect("consumer")
        });
        assert_eq!(received, (0..1000).collect::<Vec<_>>());
        let report = queue.stats().report("q");
        assert_eq!((report.sent, report.received), (1001, 1001));
        assert!(report.peak_depth <= 4);
    }

    #[test]
    fn a_waiting_receiver_gives_up_when_told() {
        let queue = ProcessQueue::default();
        queue.reset_with(2);
        let started = std::time::Instant::now();
        assert_eq!(
            queue.recv(|| started.elapsed() > Duration::from_millis(80)),
            None,
            "expected an empty queue's receiver to give up when told"
        );
    }
}
