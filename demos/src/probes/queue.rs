//! An instrumented bounded queue with back-pressure, closing, and Python's
//! `task_done` / `join`.
//!
//! Owns `QueueStats` and `BoundedQueue`: a lock-free ring (`crossbeam_queue`'s
//! `ArrayQueue`) for the items, and a `parking_lot` mutex with condition
//! variables where a call must sleep. It must never read the clock or touch the
//! thread-local current worker unless a call actually blocks, and never take
//! the sleep mutex on a fast path unless someone sleeps on it.
//!
//! Why not a `VecDeque` under a mutex: with one producer and one consumer on
//! different cores, every item then moves the mutex between them, which ran at
//! about 0.4x the throughput of `std::sync::mpsc::sync_channel`.
//!
//! The error types are std's channel errors; their `Disconnected` variants
//! mean "closed" here.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{RecvTimeoutError, SendError, TryRecvError, TrySendError};
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use parking_lot::{Condvar, Mutex};

use super::ProbeRef;
use super::clock::now_ns;
use super::worker::{WaitMark, WorkerState};

mod stats;

pub use stats::{PEAK_SAMPLE_EVERY, QueueReport, QueueStats};

/// The largest capacity accepted: every slot is allocated up front.
pub const MAX_CAPACITY: usize = 1 << 20;

/// Rounds of waiting before a blocked call sleeps: in a busy pipeline a slot
/// frees sooner than a sleep and wake-up take. The first `SPIN_ROUNDS` spin
/// (1, 2, 4, ... times), the rest yield the CPU, as crossbeam's `Backoff`.
const BACKOFF_ROUNDS: u32 = 10;
/// Rounds of `BACKOFF_ROUNDS` that spin rather than yield.
const SPIN_ROUNDS: u32 = 6;

/// Waits a little before retrying, longer with each `round`.
fn back_off(round: u32) {
    if round < SPIN_ROUNDS {
        (0..1 << round).for_each(|_| std::hint::spin_loop());
    } else {
        std::thread::yield_now();
    }
}

/// What an attempt to push found.
enum Push<T> {
    /// The item is in the queue.
    Done,
    /// The queue is full; the item comes back.
    Full(T),
    /// The queue is closed; the item comes back.
    Closed(T),
}

/// What an attempt to pop found.
enum Pop<T> {
    /// The oldest item.
    Item(T),
    /// Nothing, for now.
    Empty,
    /// Nothing, and nothing more will come.
    Closed,
}

/// A first-in first-out queue of at most C items that reports into a
/// `QueueStats`. Share it between threads by reference or `Arc`.
///
/// Sleeping follows one rule, with no fence on the fast path. A send pushes,
/// bumps `sent` (a `SeqCst` read-modify-write), then reads
/// `receivers_asleep`. A receiver about to sleep counts itself in
/// `receivers_asleep` under `sleep`, reads `sent` (`SeqCst`), then re-checks
/// the ring before it waits. In the single total order of `SeqCst`
/// operations, either the send's read comes after the count (it sees the
/// sleeper, and takes `sleep` to wake it), or the receiver's read of `sent`
/// comes after the bump, synchronises with it, and so sees the item.
/// Receives and sleeping senders mirror this with `received`, and `task_done`
/// and `join` with `tasks_done`.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    items: ArrayQueue<T>,
    closed: AtomicBool,
    senders_asleep: AtomicU32,
    receivers_asleep: AtomicU32,
    joiners_asleep: AtomicU32,
    sleep: Mutex<()>,
    not_full: Condvar,
    not_empty: Condvar,
    all_done: Condvar,
    stats: ProbeRef<QueueStats>,
}

impl<T> BoundedQueue<T> {
    /// A queue of at most `capacity` items reporting into `stats`, or `None`
    /// when `capacity` is zero or above `MAX_CAPACITY`.
    #[must_use]
    pub fn new(capacity: usize, stats: ProbeRef<QueueStats>) -> Option<Self> {
        if capacity == 0 || capacity > MAX_CAPACITY {
            return None;
        }
        stats.set_capacity(capacity as u64);
        Some(Self {
            items: ArrayQueue::new(capacity),
            closed: AtomicBool::new(false),
            senders_asleep: AtomicU32::new(0),
            receivers_asleep: AtomicU32::new(0),
            joiners_asleep: AtomicU32::new(0),
            sleep: Mutex::new(()),
            not_full: Condvar::new(),
            not_empty: Condvar::new(),
            all_done: Condvar::new(),
            stats,
        })
    }

    /// The statistics this queue reports into.
    #[must_use]
    pub fn stats(&self) -> &QueueStats {
        &self.stats
    }

    /// Most items the queue holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.items.capacity()
    }

    /// Items in the queue now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the queue holds no item now.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether `close` has been called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Appends `value`, blocking while the queue is full. Fails, giving the
    /// value back, once the queue is closed (also if it closes while waiting).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.push(value) {
            Push::Done => {
                self.sent();
                Ok(())
            }
            Push::Closed(value) => Err(SendError(value)),
            Push::Full(value) => self.send_blocking(value),
        }
    }

    /// Appends `value` if there is room now, without waiting.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.push(value) {
            Push::Done => {
                self.sent();
                Ok(())
            }
            Push::Closed(value) => Err(TrySendError::Disconnected(value)),
            Push::Full(value) => Err(TrySendError::Full(value)),
        }
    }

    /// Takes the oldest item, blocking while the queue is empty; `None` once
    /// the queue is closed and drained.
    pub fn recv(&self) -> Option<T> {
        match self.try_recv() {
            Ok(value) => Some(value),
            Err(TryRecvError::Disconnected) => None,
            Err(TryRecvError::Empty) => self.recv_blocking(None).ok(),
        }
    }

    /// Takes the oldest item, blocking at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        match self.try_recv() {
            Ok(value) => Ok(value),
            Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => self.recv_blocking(Instant::now().checked_add(timeout)),
        }
    }

    /// Takes the oldest item if there is one now, without waiting.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.pop() {
            Pop::Item(value) => {
                self.received();
                Ok(value)
            }
            Pop::Empty => Err(TryRecvError::Empty),
            Pop::Closed => Err(TryRecvError::Disconnected),
        }
    }

    /// Closes the queue: sends fail from now on, receivers drain what is left
    /// and then get `None`; blocked senders and receivers wake up. A send
    /// racing with `close` may still succeed, leaving its item in the queue.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _guard = self.sleep.lock();
        self.not_full.notify_all();
        self.not_empty.notify_all();
    }

    /// Marks one received item as processed (Python's `Queue.task_done`).
    /// Calls beyond the number of items received are ignored, where Python
    /// would raise. (Received, not sent: a receiver can take an item before
    /// its sender has counted it, but never before it has counted it itself.)
    pub fn task_done(&self) {
        // `received` is read afresh on every attempt: a stale count could
        // make a legitimate call look like an extra one after another
        // receiver's `task_done` got in first.
        let received = &self.stats.recv.items;
        let counted = self
            .stats
            .tasks_done
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |done| {
                (done < received.load(Ordering::SeqCst)).then_some(done + 1)
            })
            .is_ok();
        if counted && self.joiners_asleep.load(Ordering::SeqCst) > 0 {
            drop(self.sleep.lock());
            self.all_done.notify_all();
        }
    }

    /// Blocks until every item sent so far has been marked done (Python's
    /// `Queue.join`). Closing the queue does not end the wait.
    pub fn join(&self) {
        if self.stats.unfinished() == 0 {
            return;
        }
        let mark = WaitMark::begin(WorkerState::WaitingQueue, now_ns());
        let mut guard = self.sleep.lock();
        self.joiners_asleep.fetch_add(1, Ordering::SeqCst);
        while self.stats.unfinished() > 0 {
            self.all_done.wait(&mut guard);
        }
        self.joiners_asleep.fetch_sub(1, Ordering::SeqCst);
        drop(guard);
        mark.end(now_ns());
    }

    /// Pushes `value` unless the queue is closed or full (then raising the
    /// peak to the capacity). Counts nothing and wakes nobody: the caller
    /// calls `sent` once it holds no lock.
    fn push(&self, value: T) -> Push<T> {
        if self.is_closed() {
            return Push::Closed(value);
        }
        match self.items.push(value) {
            Ok(()) => Push::Done,
            Err(value) => {
                self.stats.raise_peak(self.items.capacity() as u64);
                Push::Full(value)
            }
        }
    }

    /// Pops an item, or says whether the queue is closed or only empty.
    /// Counts nothing and wakes nobody: the caller calls `received`.
    fn pop(&self) -> Pop<T> {
        if let Some(value) = self.items.pop() {
            return Pop::Item(value);
        }
        if !self.is_closed() {
            return Pop::Empty;
        }
        // Every send that finished before `close` is visible now: pop again.
        self.items.pop().map_or(Pop::Closed, Pop::Item)
    }

    #[cold]
    fn send_blocking(&self, mut value: T) -> Result<(), SendError<T>> {
        let asked_ns = now_ns();
        let mark = WaitMark::begin(WorkerState::WaitingQueue, asked_ns);
        let outcome = 'blocked: {
            for round in 0..BACKOFF_ROUNDS {
                back_off(round);
                match self.push(value) {
                    Push::Done => break 'blocked Ok(()),
                    Push::Closed(value) => break 'blocked Err(SendError(value)),
                    Push::Full(back) => value = back,
                }
            }
            let mut guard = self.sleep.lock();
            self.senders_asleep.fetch_add(1, Ordering::SeqCst);
            // Read for its ordering only: see the sleeping rule on the type.
            self.stats.recv.items.load(Ordering::SeqCst);
            let outcome = loop {
                match self.push(value) {
                    Push::Done => break Ok(()),
                    Push::Closed(value) => break Err(SendError(value)),
                    Push::Full(back) => value = back,
                }
                self.not_full.wait(&mut guard);
            };
            self.senders_asleep.fetch_sub(1, Ordering::SeqCst);
            outcome
        };
        let got_ns = now_ns();
        mark.end(got_ns);
        self.stats.send.blocked(asked_ns, got_ns);
        if outcome.is_ok() {
            self.sent();
        }
        outcome
    }

    #[cold]
    fn recv_blocking(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let asked_ns = now_ns();
        let mark = WaitMark::begin(WorkerState::WaitingQueue, asked_ns);
        let outcome = 'blocked: {
            for round in 0..BACKOFF_ROUNDS {
                back_off(round);
                match self.pop() {
                    Pop::Item(value) => break 'blocked Ok(value),
                    Pop::Closed => break 'blocked Err(RecvTimeoutError::Disconnected),
                    Pop::Empty => {}
                }
            }
            let mut guard = self.sleep.lock();
            self.receivers_asleep.fetch_add(1, Ordering::SeqCst);
            // Read for its ordering only: see the sleeping rule on the type.
            self.stats.send.items.load(Ordering::SeqCst);
            let outcome = loop {
                match self.pop() {
                    Pop::Item(value) => break Ok(value),
                    Pop::Closed => break Err(RecvTimeoutError::Disconnected),
                    Pop::Empty => {}
                }
                if let Some(deadline) = deadline {
                    if self.not_empty.wait_until(&mut guard, deadline).timed_out() {
                        break match self.pop() {
                            Pop::Item(value) => Ok(value),
                            Pop::Closed => Err(RecvTimeoutError::Disconnected),
                            Pop::Empty => Err(RecvTimeoutError::Timeout),
                        };
                    }
                } else {
                    self.not_empty.wait(&mut guard);
                }
            };
            self.receivers_asleep.fetch_sub(1, Ordering::SeqCst);
            outcome
        };
        let got_ns = now_ns();
        mark.end(got_ns);
        self.stats.recv.blocked(asked_ns, got_ns);
        if outcome.is_ok() {
            self.received();
        }
        outcome
    }

    /// Counts a sent item, samples the depth, and wakes a sleeping receiver.
    fn sent(&self) {
        let before = self.stats.send.items.fetch_add(1, Ordering::SeqCst);
        if before.is_multiple_of(PEAK_SAMPLE_EVERY) {
            self.stats.raise_peak(self.items.len() as u64);
        }
        if self.receivers_asleep.load(Ordering::SeqCst) > 0 {
            // A sleeper holds `sleep` until it waits: once we have had the
            // lock, the notify cannot come too early.
            drop(self.sleep.lock());
            self.not_empty.notify_one();
        }
    }

    /// Counts a received item and wakes a sleeping sender.
    fn received(&self) {
        self.stats.recv.items.fetch_add(1, Ordering::SeqCst);
        if self.senders_asleep.load(Ordering::SeqCst) > 0 {
            drop(self.sleep.lock());
            self.not_full.notify_one();
        }
    }
}

#[cfg(test)]
mod tests;
