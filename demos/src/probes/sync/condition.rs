//! An instrumented condition variable bundled with its mutex.
//!
//! Owns `ConditionStats` and `InstrumentedCondition`. A wait whose predicate
//! already holds must return without reading the clock or marking the worker.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Condvar, MutexGuard};

use crate::probes::ProbeRef;
use crate::probes::clock::now_ns;
use crate::probes::histogram::{Histogram, HistogramSummary};
use crate::probes::lock::{InstrumentedGuard, InstrumentedMutex};
use crate::probes::worker::{WaitMark, WorkerState};

/// Counters and timings of one condition variable (relaxed atomics: nothing
/// is published through them).
#[repr(C)]
#[derive(Debug)]
pub struct ConditionStats {
    /// Calls that blocked.
    waits: AtomicU64,
    /// `notify_one` and `notify_all` calls.
    notifies: AtomicU64,
    /// Returns from the underlying wait: notified, spurious or timed out. More
    /// wakeups than waits means threads woke to find their predicate false.
    wakeups: AtomicU64,
    /// Threads blocked now.
    waiting_now: AtomicU32,
    /// Time each blocking call spent blocked, in nanoseconds.
    wait: Histogram,
}

/// A plain copy of one condition's statistics, named.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ConditionReport {
    /// The name the demo registered the condition under.
    pub name: String,
    /// Calls that blocked.
    pub waits: u64,
    /// Notify calls.
    pub notifies: u64,
    /// Returns from the underlying wait.
    pub wakeups: u64,
    /// Threads blocked at the time of the report.
    pub waiting_now: u32,
    /// Time blocked per call, in nanoseconds.
    pub wait: HistogramSummary,
}

impl ConditionStats {
    /// Empty statistics (all zero).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            waits: AtomicU64::new(0),
            notifies: AtomicU64::new(0),
            wakeups: AtomicU64::new(0),
            waiting_now: AtomicU32::new(0),
            wait: Histogram::new(),
        }
    }

    /// Copies the statistics out under `name`.
    #[must_use]
    pub fn report(&self, name: &str) -> ConditionReport {
        ConditionReport {
            name: name.to_owned(),
            waits: self.waits.load(Ordering::Relaxed),
            notifies: self.notifies.load(Ordering::Relaxed),
            wakeups: self.wakeups.load(Ordering::Relaxed),
            waiting_now: self.waiting_now.load(Ordering::Relaxed),
            wait: self.wait.summary(),
        }
    }
}

impl Default for ConditionStats {
    fn default() -> Self {
        Self::new()
    }
}

/// A condition variable bundled with the instrumented mutex it waits on, as
/// Python's `threading.Condition` bundles its lock: lock it, then wait on the
/// guard. The hold time of the lock pauses while the guard waits.
#[derive(Debug)]
pub struct InstrumentedCondition<T> {
    mutex: InstrumentedMutex<T>,
    condvar: Condvar,
    stats: ProbeRef<ConditionStats>,
}

impl<T> InstrumentedCondition<T> {
    /// A condition over `mutex` reporting into `stats`.
    #[must_use]
    pub fn new(mutex: InstrumentedMutex<T>, stats: ProbeRef<ConditionStats>) -> Self {
        Self {
            mutex,
            condvar: Condvar::new(),
            stats,
        }
    }

    /// The statistics this condition reports into.
    #[must_use]
    pub fn stats(&self) -> &ConditionStats {
        &self.stats
    }

    /// Locks the condition's mutex.
    pub fn lock(&self) -> InstrumentedGuard<'_, T> {
        self.mutex.lock()
    }

    /// Releases the lock, sleeps until notified (or a spurious wakeup), and
    /// re-locks. `guard` must come from this condition's `lock`: waiting with
    /// guards of two different mutexes at once makes `parking_lot` panic.
    pub fn wait(&self, guard: &mut InstrumentedGuard<'_, T>) {
        self.blocked(guard, |inner| {
            self.condvar.wait(inner);
            self.woke();
        });
    }

    /// Waits while `condition` holds (Python's `wait_for`, inverted as in
    /// std): returns at once, reading no clock, when it is already false.
    pub fn wait_while(
        &self,
        guard: &mut InstrumentedGuard<'_, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) {
        if !condition(&mut **guard) {
            return;
        }
        self.blocked(guard, |inner| {
            while condition(&mut **inner) {
                self.condvar.wait(inner);
                self.woke();
            }
        });
    }

    /// Like `wait`, giving up after `timeout`; returns whether it timed out.
    pub fn wait_timeout(&self, guard: &mut InstrumentedGuard<'_, T>, timeout: Duration) -> bool {
        self.blocked(guard, |inner| {
            let result = self.condvar.wait_for(inner, timeout);
            self.woke();
            result.timed_out()
        })
    }

    /// Wakes one waiting thread, if any; returns whether one was woken.
    pub fn notify_one(&self) -> bool {
        self.stats.notifies.fetch_add(1, Ordering::Relaxed);
        self.condvar.notify_one()
    }

    /// Wakes every waiting thread; returns how many were woken.
    pub fn notify_all(&self) -> usize {
        self.stats.notifies.fetch_add(1, Ordering::Relaxed);
        self.condvar.notify_all()
    }

    fn woke(&self) {
        self.stats.wakeups.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `body` (the sleeping part of a wait) as one blocking call: timed,
    /// counted, with the worker marked and the lock's hold timer paused.
    fn blocked<'a, R>(
        &self,
        guard: &mut InstrumentedGuard<'a, T>,
        body: impl FnOnce(&mut MutexGuard<'a, T>) -> R,
    ) -> R {
        let stats = &*self.stats;
        let asked_ns = now_ns();
        let mark = WaitMark::begin(WorkerState::WaitingLock, asked_ns);
        stats.waits.fetch_add(1, Ordering::Relaxed);
        stats.waiting_now.fetch_add(1, Ordering::Relaxed);
        let (inner, hold) = guard.parts();
        let timed = hold.pause(asked_ns);
        let result = body(inner);
        let got_ns = now_ns();
        if timed {
            hold.resume(got_ns);
        }
        mark.end(got_ns);
        stats.waiting_now.fetch_sub(1, Ordering::Relaxed);
        stats.wait.record(got_ns.saturating_sub(asked_ns));
        result
    }
}
