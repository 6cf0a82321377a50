//! An instrumented counting semaphore: at most K holders at a time.
//!
//! Owns `SemaphoreStats` and `InstrumentedSemaphore`. The fast path is a
//! compare-and-swap on an atomic count of free permits; only an acquire that
//! finds none free reads the clock, marks the current worker `WaitingPermit` and
//! sleeps on a `parking_lot` condition variable. It must never notify when
//! nobody sleeps, nor let the stats drive its behaviour: they only mirror it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};

use super::ProbeRef;
use super::clock::now_ns;
use super::histogram::{Histogram, HistogramSummary};
use super::worker::{WaitMark, WorkerState};

/// Counters and timings of one semaphore. Every field is a relaxed gauge or
/// counter: nothing is published through them.
#[repr(C)]
#[derive(Debug)]
pub struct SemaphoreStats {
    /// Permits the semaphore was created with (K); set at initialisation.
    permits: AtomicU32,
    /// Permits held now.
    in_use: AtomicU32,
    /// Most permits ever held at once.
    peak_in_use: AtomicU32,
    /// Threads blocked waiting for a permit now.
    waiters: AtomicU32,
    /// Most threads ever blocked at once.
    peak_waiters: AtomicU32,
    /// Permits granted.
    acquires: AtomicU64,
    /// Permits granted only after waiting.
    contended: AtomicU64,
    /// Time from asking for a permit to getting it, in nanoseconds, recorded
    /// for contended acquires only.
    wait: Histogram,
}

/// A plain copy of one semaphore's statistics, named.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SemaphoreReport {
    /// The name the demo registered the semaphore under.
    pub name: String,
    /// Permits in total (K).
    pub permits: u32,
    /// Permits held at the time of the report.
    pub in_use: u32,
    /// Most permits ever held at once.
    pub peak_in_use: u32,
    /// Threads waiting at the time of the report.
    pub waiters: u32,
    /// Most threads ever waiting at once.
    pub peak_waiters: u32,
    /// Permits granted.
    pub acquires: u64,
    /// Permits granted only after waiting.
    pub contended: u64,
    /// Wait times of contended acquires, in nanoseconds.
    pub wait: HistogramSummary,
}

impl SemaphoreStats {
    /// Empty statistics (all zero; `permits` is set at initialisation).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            permits: AtomicU32::new(0),
            in_use: AtomicU32::new(0),
            peak_in_use: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
            peak_waiters: AtomicU32::new(0),
            acquires: AtomicU64::new(0),
            contended: AtomicU64::new(0),
            wait: Histogram::new(),
        }
    }

    /// Records the number of permits (K) the semaphore has.
    pub fn set_permits(&self, permits: u32) {
        self.permits.store(permits, Ordering::Relaxed);
    }

    /// Copies the statistics out under `name`, without blocking anyone.
    #[must_use]
    pub fn report(&self, name: &str) -> SemaphoreReport {
        SemaphoreReport {
            name: name.to_owned(),
            permits: self.permits.load(Ordering::Relaxed),
            in_use: self.in_use.load(Ordering::Relaxed),
            peak_in_use: self.peak_in_use.load(Ordering::Relaxed),
            waiters: self.waiters.load(Ordering::Relaxed),
            peak_waiters: self.peak_waiters.load(Ordering::Relaxed),
            acquires: self.acquires.load(Ordering::Relaxed),
            contended: self.contended.load(Ordering::Relaxed),
            wait: self.wait.summary(),
        }
    }

    fn granted(&self) {
        self.acquires.fetch_add(1, Ordering::Relaxed);
        let in_use = self.in_use.fetch_add(1, Ordering::Relaxed) + 1;
        raise_peak(&self.peak_in_use, in_use);
    }

    /// For a semaphore these statistics do not own (tokio's, in the async
    /// demo): a task starts waiting for a permit (after finding none free).
    pub(crate) fn task_waits(&self) {
        let waiters = self.waiters.fetch_add(1, Ordering::Relaxed) + 1;
        raise_peak(&self.peak_waiters, waiters);
    }

    /// ...the task, having waited, got its permit `waited_ns` after it asked.
    pub(crate) fn task_granted(&self, waited_ns: u64) {
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        self.contended.fetch_add(1, Ordering::Relaxed);
        self.wait.record(waited_ns);
        self.granted();
    }

    /// A task took a permit that was free, without waiting.
    pub(crate) fn task_granted_at_once(&self) {
        self.granted();
    }

    /// ...the task gave its permit back.
    pub(crate) fn task_released(&self) {
        self.in_use.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Default for SemaphoreStats {
    fn default() -> Self {
        Self::new()
    }
}

/// Raises a peak gauge to `value`; a load first, as the peak rarely moves.
fn raise_peak(peak: &AtomicU32, value: u32) {
    if value > peak.load(Ordering::Relaxed) {
        peak.fetch_max(value, Ordering::Relaxed);
    }
}

/// A semaphore with K permits that reports into a `SemaphoreStats`.
///
/// Not fair: a thread arriving when a permit is free takes it, even if others
/// are waiting (as Python's `threading.Semaphore` allows).
#[derive(Debug)]
pub struct InstrumentedSemaphore {
    /// Permits free now: the semaphore's real state.
    available: AtomicU32,
    /// Threads in the slow path; a release takes `sleep_lock` and notifies
    /// only when this is non-zero.
    sleepers: AtomicU32,
    sleep_lock: Mutex<()>,
    released: Condvar,
    stats: ProbeRef<SemaphoreStats>,
}

/// One permit of an `InstrumentedSemaphore`, given back when dropped.
#[must_use = "the permit is released as soon as it is dropped"]
#[derive(Debug)]
pub struct Permit<'a> {
    semaphore: &'a InstrumentedSemaphore,
}

impl InstrumentedSemaphore {
    /// A semaphore with `permits` permits reporting into `stats`, or `None`
    /// when `permits` is zero (nobody could ever acquire it).
    #[must_use]
    pub fn new(permits: u32, stats: ProbeRef<SemaphoreStats>) -> Option<Self> {
        if permits == 0 {
            return None;
        }
        stats.set_permits(permits);
        Some(Self {
            available: AtomicU32::new(permits),
            sleepers: AtomicU32::new(0),
            sleep_lock: Mutex::new(()),
            released: Condvar::new(),
            stats,
        })
    }

    /// The statistics this semaphore reports into.
    #[must_use]
    pub fn stats(&self) -> &SemaphoreStats {
        &self.stats
    }

    /// Takes a permit, blocking until one is free.
    pub fn acquire(&self) -> Permit<'_> {
        self.try_acquire()
            .unwrap_or_else(|| self.acquire_contended())
    }

    /// Takes a permit if one is free now, without waiting.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        self.take_permit().then(|| {
            self.stats.granted();
            Permit { semaphore: self }
        })
    }

    #[cold]
    fn acquire_contended(&self) -> Permit<'_> {
        let stats = &*self.stats;
        let asked_ns = now_ns();
        let mark = WaitMark::begin(WorkerState::WaitingPermit, asked_ns);
        let waiters = stats.waiters.fetch_add(1, Ordering::Relaxed) + 1;
        raise_peak(&stats.peak_waiters, waiters);
        {
            let mut guard = self.sleep_lock.lock();
            // SeqCst pairs with `release`: either this thread's next
            // `take_permit` sees the freed permit, or the releaser sees
            // `sleepers` > 0 and notifies after this thread sleeps.
            self.sleepers.fetch_add(1, Ordering::SeqCst);
            while !self.take_permit() {
                self.released.wait(&mut guard);
            }
            self.sleepers.fetch_sub(1, Ordering::SeqCst);
        }
        let got_ns = now_ns();
        mark.end(got_ns);
        stats.waiters.fetch_sub(1, Ordering::Relaxed);
        stats.contended.fetch_add(1, Ordering::Relaxed);
        stats.wait.record(got_ns.saturating_sub(asked_ns));
        stats.granted();
        Permit { semaphore: self }
    }

    /// Decrements the free count if it is above zero.
    fn take_permit(&self) -> bool {
        self.available
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |free| {
                free.checked_sub(1)
            })
            .is_ok()
    }

    fn release(&self) {
        // The gauge drops before the permit is freed, so `in_use` never
        // exceeds the permits actually held.
        self.stats.in_use.fetch_sub(1, Ordering::Relaxed);
        self.available.fetch_add(1, Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            let _guard = self.sleep_lock.lock();
            self.released.notify_one();
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

#[cfg(test)]
mod tests {
    use super::{InstrumentedSemaphore, SemaphoreStats};
    use crate::probes::ProbeRef;
    use crate::probes::clock::now_ns;
    use std::sync::atomic::Ordering::Relaxed;
    use std::time::Duration;

    #[test]
    fn zero_permits_is_rejected() {
        assert!(InstrumentedSemaphore::new(0, ProbeRef::default()).is_none());
    }

    #[test]
    fn try_acquire_fails_when_all_permits_are_held() {
        let semaphore = InstrumentedSemaphore::new(2, ProbeRef::default()).unwrap();
        let first = semaphore.try_acquire();
        let second = semaphore.acquire();
        assert!(first.is_some());
        assert!(semaphore.try_acquire().is_none());
        drop(second);
        assert!(semaphore.try_acquire().is_some());
        let report = semaphore.stats().report("s");
        assert_eq!(
            (report.permits, report.in_use, report.peak_in_use),
            (2, 1, 2)
        );
        assert_eq!((report.acquires, report.contended), (3, 0));
    }

    #[test]
    fn at_most_k_hold_a_permit_and_the_rest_wait() {
        let stats = ProbeRef::new(SemaphoreStats::new());
        let semaphore = InstrumentedSemaphore::new(3, stats.clone()).unwrap();
        let deadline = now_ns() + 10_000_000_000;
        std::thread::scope(|scope| {
            for _ in 0..10 {
                scope.spawn(|| {
                    for _ in 0..3 {
                        let _permit = semaphore.acquire();
                        assert!(stats.in_use.load(Relaxed) <= 3);
                        // Hold until three hold at once and someone waits, so
                        // both peaks are reached whatever the scheduling.
                        while (stats.peak_in_use.load(Relaxed) < 3
                            || stats.peak_waiters.load(Relaxed) == 0)
                            && now_ns() < deadline
                        {
                            std::thread::sleep(Duration::from_micros(200));
                        }
                        assert!(stats.in_use.load(Relaxed) <= 3);
                    }
                });
            }
        });
        let report = stats.report("pool");
        assert_eq!(report.peak_in_use, 3);
        assert!(report.peak_waiters > 0);
        assert_eq!((report.in_use, report.waiters), (0, 0));
        assert_eq!(report.acquires, 30);
        assert_eq!(report.wait.count, report.contended);
        assert!(report.contended > 0);
    }
}
