//! An instrumented event: a flag that threads wait for.
//!
//! Owns `EventStats` and `InstrumentedEvent`. Waiting on a set event must
//! return without taking the lock, reading the clock or marking the worker.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::probes::ProbeRef;
use crate::probes::clock::now_ns;
use crate::probes::histogram::{Histogram, HistogramSummary};
use crate::probes::worker::{WaitMark, WorkerState};

/// Counters and timings of one event (relaxed atomics).
#[repr(C)]
#[derive(Debug)]
pub struct EventStats {
    /// `set` calls.
    sets: AtomicU64,
    /// `clear` calls.
    clears: AtomicU64,
    /// `wait` calls that blocked (the flag was clear).
    waits: AtomicU64,
    /// 1 while the flag is set, 0 while clear.
    is_set: AtomicU32,
    /// Threads blocked now.
    waiting_now: AtomicU32,
    /// Time each blocking wait spent blocked, in nanoseconds.
    wait: Histogram,
}

/// A plain copy of one event's statistics, named.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct EventReport {
    /// The name the demo registered the event under.
    pub name: String,
    /// Whether the flag was set at the time of the report.
    pub is_set: bool,
    /// `set` calls.
    pub sets: u64,
    /// `clear` calls.
    pub clears: u64,
    /// Waits that blocked.
    pub waits: u64,
    /// Threads blocked at the time of the report.
    pub waiting_now: u32,
    /// Time blocked per wait, in nanoseconds.
    pub wait: HistogramSummary,
}

impl EventStats {
    /// Empty statistics (all zero: the flag is clear).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            sets: AtomicU64::new(0),
            clears: AtomicU64::new(0),
            waits: AtomicU64::new(0),
            is_set: AtomicU32::new(0),
            waiting_now: AtomicU32::new(0),
            wait: Histogram::new(),
        }
    }

    /// Copies the statistics out under `name`.
    #[must_use]
    pub fn report(&self, name: &str) -> EventReport {
        EventReport {
            name: name.to_owned(),
            is_set: self.is_set.load(Ordering::Relaxed) != 0,
            sets: self.sets.load(Ordering::Relaxed),
            clears: self.clears.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
            waiting_now: self.waiting_now.load(Ordering::Relaxed),
            wait: self.wait.summary(),
        }
    }
}

impl Default for EventStats {
    fn default() -> Self {
        Self::new()
    }
}

/// A flag that threads wait for (Python's `threading.Event`).
#[derive(Debug)]
pub struct InstrumentedEvent {
    /// The flag; written under `lock`, read without it on the fast path.
    flag: AtomicBool,
    lock: Mutex<()>,
    changed: Condvar,
    stats: ProbeRef<EventStats>,
}

impl InstrumentedEvent {
    /// A clear event reporting into `stats`.
    #[must_use]
    pub fn new(stats: ProbeRef<EventStats>) -> Self {
        stats.is_set.store(0, Ordering::Relaxed);
        Self {
            flag: AtomicBool::new(false),
            lock: Mutex::new(()),
            changed: Condvar::new(),
            stats,
        }
    }

    /// The statistics this event reports into.
    #[must_use]
    pub fn stats(&self) -> &EventStats {
        &self.stats
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        let _guard = self.lock.lock();
        // Release pairs with the Acquire in `is_set`: a thread that sees the
        // flag also sees what the setter did before setting it.
        self.flag.store(true, Ordering::Release);
        self.stats.is_set.store(1, Ordering::Relaxed);
        self.stats.sets.fetch_add(1, Ordering::Relaxed);
        self.changed.notify_all();
    }

    /// Clears the flag.
    pub fn clear(&self) {
        let _guard = self.lock.lock();
        self.flag.store(false, Ordering::Release);
        self.stats.is_set.store(0, Ordering::Relaxed);
        self.stats.clears.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether the flag is set now.
    #[must_use]
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Blocks until the flag is set; returns at once, reading no clock, if it
    /// already is.
    pub fn wait(&self) {
        if !self.is_set() {
            self.wait_blocking(None);
        }
    }

    /// Blocks until the flag is set or `timeout` passes; returns whether the
    /// flag is set.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.is_set() || self.wait_blocking(Some(timeout))
    }

    fn wait_blocking(&self, timeout: Option<Duration>) -> bool {
        let stats = &*self.stats;
        let asked_ns = now_ns();
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let mark = WaitMark::begin(WorkerState::WaitingLock, asked_ns);
        stats.waits.fetch_add(1, Ordering::Relaxed);
        stats.waiting_now.fetch_add(1, Ordering::Relaxed);
        let mut guard = self.lock.lock();
        while !self.flag.load(Ordering::Acquire) {
            match deadline {
                None => self.changed.wait(&mut guard),
                Some(deadline) => {
                    if self.changed.wait_until(&mut guard, deadline).timed_out() {
                        break;
                    }
                }
            }
        }
        let set = self.flag.load(Ordering::Acquire);
        drop(guard);
        let got_ns = now_ns();
        mark.end(got_ns);
        stats.waiting_now.fetch_sub(1, Ordering::Relaxed);
        stats.wait.record(got_ns.saturating_sub(asked_ns));
        set
    }
}
