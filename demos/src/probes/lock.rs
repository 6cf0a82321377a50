//! An instrumented mutex and the lock statistics it keeps.
//!
//! Owns `LockStats` (shared with the re-entrant lock) and `InstrumentedMutex`,
//! a `parking_lot::Mutex` that counts acquires and times waits and holds. It
//! must never slow the uncontended path by more than a couple of plain memory
//! operations: that path reads no clock for the wait and never touches the
//! thread-local current worker; only an acquire that finds the lock taken does.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use parking_lot::{Mutex, MutexGuard};

use super::ProbeRef;
use super::clock::now_ns;
use super::histogram::{Histogram, HistogramSummary};
use super::worker::{WaitMark, WorkerState};

/// One uncontended acquire in this many has its hold time measured.
pub const HOLD_SAMPLE_EVERY: u64 = 64;

/// Counters and timings of one lock.
///
/// A `LockStats` belongs to exactly one lock: `acquires` and `contended` are
/// bumped while that lock is held, with a plain load and store, which would lose
/// counts if two locks shared one `LockStats`.
#[repr(C)]
#[derive(Debug)]
pub struct LockStats {
    /// Successful acquires, contended or not.
    acquires: AtomicU64,
    /// Acquires that found the lock taken and had to wait.
    contended: AtomicU64,
    /// Threads blocked waiting for the lock now.
    waiting_now: AtomicU32,
    /// Time from asking for the lock to getting it, in nanoseconds, recorded
    /// for contended acquires only (an uncontended one waits for nothing).
    wait: Histogram,
    /// Time from getting the lock to releasing it, in nanoseconds, recorded
    /// for every contended acquire and one uncontended acquire in
    /// `HOLD_SAMPLE_EVERY`, so its count is a number of samples.
    hold: Histogram,
}

/// A plain copy of one lock's statistics, named.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct LockReport {
    /// The name the demo registered the lock under.
    pub name: String,
    /// Successful acquires.
    pub acquires: u64,
    /// Acquires that had to wait.
    pub contended: u64,
    /// Threads blocked waiting for the lock at the time of the report.
    pub waiting_now: u32,
    /// Wait times of contended acquires, in nanoseconds.
    pub wait: HistogramSummary,
    /// Sampled hold times, in nanoseconds.
    pub hold: HistogramSummary,
}

impl LockStats {
    /// Empty statistics (all zero).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            acquires: AtomicU64::new(0),
            contended: AtomicU64::new(0),
            waiting_now: AtomicU32::new(0),
            wait: Histogram::new(),
            hold: Histogram::new(),
        }
    }

    /// Empties the statistics, for stats in shared memory reused by the next run.
    pub(crate) fn reset(&self) {
        self.acquires.store(0, Relaxed);
        self.contended.store(0, Relaxed);
        self.waiting_now.store(0, Relaxed);
        self.wait.reset();
        self.hold.reset();
    }

    /// Copies the statistics out under `name`, without blocking the lock.
    #[must_use]
    pub fn report(&self, name: &str) -> LockReport {
        LockReport {
            name: name.to_owned(),
            acquires: self.acquires.load(Relaxed),
            contended: self.contended.load(Relaxed),
            waiting_now: self.waiting_now.load(Relaxed),
            wait: self.wait.summary(),
            hold: self.hold.summary(),
        }
    }

    /// Counts an acquire that did not wait and decides whether to time its
    /// hold: returns the start of the hold for one acquire in
    /// `HOLD_SAMPLE_EVERY`. The caller must hold the lock.
    pub(crate) fn uncontended_acquire(&self) -> Option<u64> {
        let before = bump_held(&self.acquires);
        before.is_multiple_of(HOLD_SAMPLE_EVERY).then(now_ns)
    }

    /// Counts a re-entry into a re-entrant lock the caller already holds;
    /// its hold is not timed (the outermost acquire's hold covers it).
    pub(crate) fn reentrant_acquire(&self) {
        bump_held(&self.acquires);
    }

    /// Counts an acquire that waited from `asked_ns` to `got_ns` and records
    /// the wait. The caller must hold the lock.
    pub(crate) fn contended_acquire(&self, asked_ns: u64, got_ns: u64) {
        bump_held(&self.acquires);
        bump_held(&self.contended);
        self.wait.record(got_ns.saturating_sub(asked_ns));
    }

    /// Marks one more thread as blocked on the lock, and the current worker as
    /// waiting in `state`, from `asked_ns`.
    pub(crate) fn begin_wait(&self, state: WorkerState, asked_ns: u64) -> WaitMark {
        let mark = WaitMark::begin(state, asked_ns);
        // Relaxed: a gauge for display; nothing is published through it.
        self.waiting_now.fetch_add(1, Relaxed);
        mark
    }

    /// Ends a wait started by `begin_wait`, at `got_ns`.
    pub(crate) fn end_wait(&self, mark: WaitMark, got_ns: u64) {
        mark.end(got_ns);
        self.waiting_now.fetch_sub(1, Relaxed);
    }
}

impl Default for LockStats {
    fn default() -> Self {
        Self::new()
    }
}

/// Adds one to a counter that only the holder of its lock writes, and returns
/// the value before. Relaxed load and store rather than `fetch_add`: the lock
/// already serialises the writers (its acquire and release order them), so the
/// increment needs no locked instruction; readers only ever see a count.
fn bump_held(counter: &AtomicU64) -> u64 {
    let before = counter.load(Relaxed);
    counter.store(before.wrapping_add(1), Relaxed);
    before
}

/// Records a hold time when dropped, if the acquire was sampled.
#[derive(Debug)]
pub(crate) struct HoldTimer<'a> {
    stats: &'a LockStats,
    /// When the hold began (`CLOCK_MONOTONIC` nanoseconds), if it is timed.
    started_ns: Option<u64>,
}

impl<'a> HoldTimer<'a> {
    pub(crate) fn new(stats: &'a LockStats, started_ns: Option<u64>) -> Self {
        Self { stats, started_ns }
    }

    /// Ends a timed hold at `now_ns` (the lock is about to be released for a
    /// condition wait) and returns whether it was timed.
    pub(crate) fn pause(&mut self, now_ns: u64) -> bool {
        let timed = self.started_ns.take();
        if let Some(started_ns) = timed {
            self.stats.hold.record(now_ns.saturating_sub(started_ns));
        }
        timed.is_some()
    }

    /// Starts timing a new hold at `now_ns` (the lock was re-acquired).
    pub(crate) fn resume(&mut self, now_ns: u64) {
        self.started_ns = Some(now_ns);
    }
}

impl Drop for HoldTimer<'_> {
    fn drop(&mut self) {
        if let Some(started_ns) = self.started_ns {
            self.stats.hold.record(now_ns().saturating_sub(started_ns));
        }
    }
}

/// A `parking_lot::Mutex` that reports acquires, contention, waits and holds
/// into a `LockStats`.
#[derive(Debug)]
pub struct InstrumentedMutex<T> {
    inner: Mutex<T>,
    stats: ProbeRef<LockStats>,
    /// The state the current worker shows while blocked on this lock.
    wait_state: WorkerState,
}

/// Access to the data of a locked `InstrumentedMutex`; unlocks when dropped.
pub struct InstrumentedGuard<'a, T> {
    // Field order matters: the lock is released before the hold is recorded,
    // so recording never lengthens the hold.
    guard: MutexGuard<'a, T>,
    hold: HoldTimer<'a>,
}

impl<T> InstrumentedMutex<T> {
    /// A mutex around `value` that reports into `stats`.
    #[must_use]
    pub fn new(value: T, stats: ProbeRef<LockStats>) -> Self {
        Self {
            inner: Mutex::new(value),
            stats,
            wait_state: WorkerState::WaitingLock,
        }
    }

    /// The data, through exclusive access: no lock is taken and nothing is
    /// counted (setting up or reading back a demo's state is not an acquire).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Shows a worker blocked on this lock as `state` instead of
    /// `WaitingLock` (`WaitingGil` for a simulated interpreter lock).
    #[must_use]
    pub fn waits_as(mut self, state: WorkerState) -> Self {
        self.wait_state = state;
        self
    }

    /// The statistics this mutex reports into.
    #[must_use]
    pub fn stats(&self) -> &LockStats {
        &self.stats
    }

    /// Locks, blocking while another thread holds the lock. Uncontended, this
    /// costs a `try_lock` and a counter update; only a failed `try_lock`
    /// reads the clock and marks the current worker as waiting.
    pub fn lock(&self) -> InstrumentedGuard<'_, T> {
        match self.inner.try_lock() {
            Some(guard) => self.uncontended(guard),
            None => self.lock_contended(),
        }
    }

    /// Locks if the lock is free now, without waiting.
    pub fn try_lock(&self) -> Option<InstrumentedGuard<'_, T>> {
        self.inner.try_lock().map(|guard| self.uncontended(guard))
    }

    fn uncontended<'a>(&'a self, guard: MutexGuard<'a, T>) -> InstrumentedGuard<'a, T> {
        let started_ns = self.stats.uncontended_acquire();
        InstrumentedGuard {
            guard,
            hold: HoldTimer::new(&self.stats, started_ns),
        }
    }

    #[cold]
    fn lock_contended(&self) -> InstrumentedGuard<'_, T> {
        let asked_ns = now_ns();
        let mark = self.stats.begin_wait(self.wait_state, asked_ns);
        let guard = self.inner.lock();
        let got_ns = now_ns();
        self.stats.end_wait(mark, got_ns);
        self.stats.contended_acquire(asked_ns, got_ns);
        InstrumentedGuard {
            guard,
            hold: HoldTimer::new(&self.stats, Some(got_ns)),
        }
    }
}

impl<'a, T> InstrumentedGuard<'a, T> {
    /// Unlocks, handing the lock straight to the longest waiter if there is
    /// one (`parking_lot`'s fair unlock), so that a thread that re-locks at
    /// once cannot starve the others. A simulated GIL needs this.
    pub fn unlock_fair(self) {
        let Self { guard, hold } = self;
        MutexGuard::unlock_fair(guard);
        drop(hold);
    }

    /// The inner guard and hold timer, for a condition wait.
    pub(crate) fn parts(&mut self) -> (&mut MutexGuard<'a, T>, &mut HoldTimer<'a>) {
        (&mut self.guard, &mut self.hold)
    }
}

impl<T> Deref for InstrumentedGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for InstrumentedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

#[cfg(test)]
mod tests {
    use super::{HOLD_SAMPLE_EVERY, InstrumentedMutex, LockStats};
    use crate::probes::worker::{WorkerProbe, WorkerState, set_current_worker};
    use crate::probes::{ProbeRef, clock::now_ns};
    use std::sync::atomic::Ordering::Relaxed;
    use std::time::Duration;

    const MS: u64 = 1_000_000;

    /// Whether thread `tid` of this process is asleep (state `S` in its
    /// `/proc` stat line).
    fn is_asleep(tid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).is_ok_and(|stat| {
            stat.rsplit(") ")
                .next()
                .is_some_and(|rest| rest.starts_with('S'))
        })
    }

    #[test]
    fn counts_are_exact_under_four_threads() {
        let mutex = InstrumentedMutex::new(0_u64, ProbeRef::default());
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..10_000 {
                        *mutex.lock() += 1;
                    }
                });
            }
        });
        let report = mutex.stats().report("counter");
        assert_eq!(*mutex.lock(), 40_000);
        assert_eq!(report.acquires, 40_000);
        assert_eq!(report.wait.count, report.contended);
        assert_eq!(report.waiting_now, 0);
        assert!(report.hold.count >= report.contended);
    }

    #[test]
    fn uncontended_acquires_record_no_wait_and_sample_holds() {
        let mutex = InstrumentedMutex::new((), ProbeRef::default());
        for _ in 1..HOLD_SAMPLE_EVERY * 2 {
            drop(mutex.lock());
        }
        assert!(mutex.try_lock().is_some());
        let report = mutex.stats().report("quiet");
        assert_eq!(report.acquires, HOLD_SAMPLE_EVERY * 2);
        assert_eq!(report.contended, 0);
        assert_eq!(report.wait.count, 0);
        assert_eq!(report.hold.count, 2);
    }

    #[test]
    fn a_sleeping_holder_shows_as_the_waiters_wait() {
        let stats = ProbeRef::new(LockStats::new());
        let mutex = InstrumentedMutex::new((), stats.clone());
        let worker = ProbeRef::new(WorkerProbe::new());
        std::thread::scope(|scope| {
            let guard = mutex.lock();
            let waiter = scope.spawn(|| {
                worker.start();
                worker.set_state(WorkerState::Computing);
                set_current_worker(worker.clone());
                drop(mutex.lock());
                worker.state()
            });
            // Start the 20 ms only once the waiter is blocked, so its wait is
            // at least 20 ms.
            let deadline = now_ns() + 5_000 * MS;
            while stats.waiting_now.load(Relaxed) == 0 && now_ns() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(worker.state(), WorkerState::WaitingLock);
            drop(guard);
            assert_eq!(waiter.join().unwrap(), WorkerState::Computing);
        });
        let report = stats.report("slow");
        assert_eq!(report.contended, 1);
        // At least the 20 ms the holder slept (15 ms allows for the
        // histogram's 6.25% precision below 20 ms); how much longer depends
        // on when a loaded machine runs the waiter again, so no upper bound.
        assert!(
            report.wait.p99_ns >= 15 * MS,
            "expected the wait's p99 to be at least the 20 ms the holder slept, saw {} ns",
            report.wait.p99_ns
        );
        let reading = worker.read();
        assert!(reading.state_ns[WorkerState::WaitingLock as usize] >= 20 * MS);
    }

    #[test]
    fn unlock_fair_hands_the_lock_to_the_waiter() {
        let stats = ProbeRef::new(LockStats::new());
        let gil =
            InstrumentedMutex::new(Vec::new(), stats.clone()).waits_as(WorkerState::WaitingGil);
        let worker = ProbeRef::new(WorkerProbe::new());
        std::thread::scope(|scope| {
            let mut guard = gil.lock();
            guard.push("first holder");
            scope.spawn(|| {
                worker.start();
                set_current_worker(worker.clone());
                gil.lock().push("waiter");
            });
            // Wait until the waiter sleeps in the kernel (not merely spins),
            // so that there is someone to hand the lock to.
            let deadline = now_ns() + 5_000 * MS;
            while !(worker.state() == WorkerState::WaitingGil && is_asleep(worker.read().tid))
                && now_ns() < deadline
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            assert_eq!(stats.waiting_now.load(Relaxed), 1);
            // A plain unlock would let this thread barge back in first.
            guard.unlock_fair();
            gil.lock().push("first holder again");
        });
        let order = gil.lock().clone();
        assert_eq!(order, ["first holder", "waiter", "first holder again"]);
        assert!(stats.report("gil").hold.count >= 2);
    }
}
