//! The statistics of one bounded queue.
//!
//! Owns `QueueStats` (a fixed block of atomics, valid when zeroed, laid out so
//! that producers and consumers write different cache lines) and its plain
//! copy, `QueueReport`. It must never hold anything but atomics.

use std::sync::atomic::{AtomicU64, Ordering};

/// The depth is measured for the peak on one send in this many (and whenever
/// the queue is found full, and at every report): measuring reads the
/// consumers' cache line, which then moves between the cores. One send in
/// 16 cost two thirds of the throughput of a queue of 1024 between two busy
/// cores (7 million items a second where a plain `sync_channel` moved 55);
/// one in 256 costs nothing measurable.
pub const PEAK_SAMPLE_EVERY: u64 = 256;

/// Counters of one queue. A `QueueStats` belongs to exactly one queue, which
/// also reads its item counters back to know when every task is done.
///
/// The producers' and the consumers' counters sit on separate cache lines, so
/// that a send and a receive on different cores do not contend for one line.
#[repr(C)]
#[derive(Debug)]
pub struct QueueStats {
    /// Most items the queue holds (C); set at initialisation.
    capacity: AtomicU64,
    /// Most items seen in the queue at once: checked on one send in
    /// `PEAK_SAMPLE_EVERY`, whenever the queue is full, and at every report,
    /// so a short burst between checks can be missed; never above `capacity`.
    peak_depth: AtomicU64,
    /// Items marked done with `task_done`.
    pub(super) tasks_done: AtomicU64,
    /// Items sent, and time senders spent blocked on a full queue.
    pub(super) send: SideStats,
    /// Items received, and time receivers spent blocked on an empty queue.
    pub(super) recv: SideStats,
}

/// The counters one side of a queue writes, on a cache line of their own.
#[repr(C, align(64))]
#[derive(Debug)]
pub(super) struct SideStats {
    /// Items that went through this side.
    pub(super) items: AtomicU64,
    /// Total time calls on this side spent blocked, in nanoseconds.
    blocked_ns: AtomicU64,
    /// Calls on this side that blocked.
    blocks: AtomicU64,
}

impl SideStats {
    const fn new() -> Self {
        Self {
            items: AtomicU64::new(0),
            blocked_ns: AtomicU64::new(0),
            blocks: AtomicU64::new(0),
        }
    }

    pub(super) fn blocked(&self, asked_ns: u64, got_ns: u64) {
        self.blocked_ns
            .fetch_add(got_ns.saturating_sub(asked_ns), Ordering::Relaxed);
        self.blocks.fetch_add(1, Ordering::Relaxed);
    }
}

/// A plain copy of one queue's statistics, named.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct QueueReport {
    /// The name the demo registered the queue under.
    pub name: String,
    /// Most items the queue holds.
    pub capacity: u64,
    /// Items in the queue at the time of the report (sent minus received).
    pub depth: u64,
    /// Most items seen in the queue at once (sampled; see `QueueStats`).
    pub peak_depth: u64,
    /// Items sent.
    pub sent: u64,
    /// Items received.
    pub received: u64,
    /// Total time senders spent blocked on a full queue, in nanoseconds.
    pub send_blocked_ns: u64,
    /// Total time receivers spent blocked on an empty queue, in nanoseconds.
    pub recv_blocked_ns: u64,
    /// Sends that blocked.
    pub send_blocks: u64,
    /// Receives that blocked.
    pub recv_blocks: u64,
    /// Items sent and not yet marked done.
    pub unfinished: u64,
}

impl QueueStats {
    /// Empty statistics (all zero; `capacity` is set at initialisation).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            capacity: AtomicU64::new(0),
            peak_depth: AtomicU64::new(0),
            tasks_done: AtomicU64::new(0),
            send: SideStats::new(),
            recv: SideStats::new(),
        }
    }

    /// Empties the statistics, for stats in shared memory reused by the next run.
    pub(crate) fn reset(&self) {
        for counter in [
            &self.capacity,
            &self.peak_depth,
            &self.tasks_done,
            &self.send.items,
            &self.send.blocked_ns,
            &self.send.blocks,
            &self.recv.items,
            &self.recv.blocked_ns,
            &self.recv.blocks,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// Records the queue's capacity (C).
    pub fn set_capacity(&self, capacity: u64) {
        self.capacity.store(capacity, Ordering::Relaxed);
    }

    /// Copies the statistics out under `name`, without blocking the queue.
    #[must_use]
    pub fn report(&self, name: &str) -> QueueReport {
        let capacity = self.capacity.load(Ordering::Relaxed);
        // Received before sent, so that the difference is never negative.
        let received = self.recv.items.load(Ordering::Relaxed);
        let sent = self.send.items.load(Ordering::Relaxed);
        let depth = sent.saturating_sub(received).min(capacity);
        QueueReport {
            name: name.to_owned(),
            capacity,
            depth,
            // The depth seen now is a depth seen: the peak is at least it.
            peak_depth: self.peak_depth.load(Ordering::Relaxed).max(depth),
            sent,
            received,
            send_blocked_ns: self.send.blocked_ns.load(Ordering::Relaxed),
            recv_blocked_ns: self.recv.blocked_ns.load(Ordering::Relaxed),
            send_blocks: self.send.blocks.load(Ordering::Relaxed),
            recv_blocks: self.recv.blocks.load(Ordering::Relaxed),
            unfinished: sent.saturating_sub(self.tasks_done.load(Ordering::Relaxed)),
        }
    }

    /// Counts an item sent, leaving `depth` items in the queue. For queues
    /// outside this module (the cross-process queue) that keep their own
    /// storage and report here.
    pub(crate) fn record_send(&self, depth: u64) {
        self.send.items.fetch_add(1, Ordering::Relaxed);
        self.raise_peak(depth);
    }

    /// Counts an item received.
    pub(crate) fn record_recv(&self) {
        self.recv.items.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an item marked done.
    pub(crate) fn record_task_done(&self) {
        self.tasks_done.fetch_add(1, Ordering::SeqCst);
    }

    /// Records a send that blocked from `asked_ns` to `got_ns`.
    pub(crate) fn record_send_blocked(&self, asked_ns: u64, got_ns: u64) {
        self.send.blocked(asked_ns, got_ns);
    }

    /// Records a receive that blocked from `asked_ns` to `got_ns`.
    pub(crate) fn record_recv_blocked(&self, asked_ns: u64, got_ns: u64) {
        self.recv.blocked(asked_ns, got_ns);
    }

    pub(super) fn raise_peak(&self, depth: u64) {
        if depth > self.peak_depth.load(Ordering::Relaxed) {
            self.peak_depth.fetch_max(depth, Ordering::Relaxed);
        }
    }

    /// Items sent and not yet marked done, as the queue itself counts them.
    pub(super) fn unfinished(&self) -> u64 {
        let done = self.tasks_done.load(Ordering::SeqCst);
        self.send.items.load(Ordering::SeqCst).saturating_sub(done)
    }
}

impl Default for QueueStats {
    fn default() -> Self {
        Self::new()
    }
}
