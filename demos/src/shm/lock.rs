//! A mutex that works between processes: a futex word in shared memory.
//!
//! `parking_lot` keeps its waiters in a table private to each process, so it
//! cannot lock across processes; this is the classic three-state futex mutex
//! (0 free, 1 held, 2 held with waiters) instead. It reports into the same
//! `LockStats` as the in-process lock, with the same rule: the uncontended
//! path reads no clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{futex_wait, futex_wake};
use crate::probes::clock::now_ns;
use crate::probes::lock::HoldTimer;
use crate::probes::{LockStats, WorkerState};

const FREE: u32 = 0;
const HELD: u32 = 1;
const CONTENDED: u32 = 2;

/// A waiter re-checks this often even if no wake-up comes (a holder that was
/// killed mid-unlock cannot wake it).
const RECHECK: Duration = Duration::from_millis(50);

/// A lock in shared memory and its statistics.
#[repr(C)]
#[derive(Debug, Default)]
pub struct ProcessLock {
    state: AtomicU32,
    stats: LockStats,
}

/// Holds a `ProcessLock`; unlocks when dropped.
#[derive(Debug)]
pub struct ProcessGuard<'a> {
    // Dropped after the unlock in `Drop`, so the hold ends before it is recorded.
    lock: &'a ProcessLock,
    hold: Option<HoldTimer<'a>>,
}

impl ProcessLock {
    /// The lock's statistics.
    #[must_use]
    pub fn stats(&self) -> &LockStats {
        &self.stats
    }

    /// Takes the lock, waiting (asleep, in the kernel) if another process or
    /// thread holds it.
    pub fn lock(&self) -> ProcessGuard<'_> {
        // Acquire: what the previous holder wrote is visible once we hold it.
        if self
            .state
            .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            let started = self.stats.uncontended_acquire();
            return ProcessGuard {
                lock: self,
                hold: Some(HoldTimer::new(&self.stats, started)),
            };
        }
        self.lock_contended()
    }

    #[cold]
    fn lock_contended(&self) -> ProcessGuard<'_> {
        let asked_ns = now_ns();
        let mark = self.stats.begin_wait(WorkerState::WaitingLock, asked_ns);
        // Mark the lock contended so the holder wakes someone on unlock.
        while self.state.swap(CONTENDED, Ordering::Acquire) != FREE {
            futex_wait(&self.state, CONTENDED, RECHECK);
        }
        let got_ns = now_ns();
        self.stats.end_wait(mark, got_ns);
        self.stats.contended_acquire(asked_ns, got_ns);
        ProcessGuard {
            lock: self,
            hold: Some(HoldTimer::new(&self.stats, Some(got_ns))),
        }
    }

    /// Frees the lock and empties its statistics for the next run.
    pub(crate) fn reset(&self) {
        self.state.store(FREE, Ordering::Relaxed);
        self.stats.reset();
    }
}

impl Drop for ProcessGuard<'_> {
    fn drop(&mut self) {
        // Release: our writes under the lock are visible to the next holder.
        if self.lock.state.swap(FREE, Ordering::Release) == CONTENDED {
            futex_wake(&self.lock.state, 1);
        }
        drop(self.hold.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_and_waits_are_timed() {
        let lock = ProcessLock::default();
        let counter = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..5_000 {
                        let _guard = lock.lock();
                        // A plain read-modify-write: only the lock makes it safe.
                        let seen = counter.load(Ordering::Relaxed);
                        counter.store(seen + 1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::Relaxed), 20_000);
        let report = lock.stats().report("shared");
        assert_eq!(report.acquires, 20_000);
        assert_eq!(report.wait.count, report.contended);
    }

    #[test]
    fn a_holder_that_sleeps_shows_in_the_waiters_wait() {
        let lock = ProcessLock::default();
        std::thread::scope(|scope| {
            let guard = lock.lock();
            let waiter = scope.spawn(|| drop(lock.lock()));
            std::thread::sleep(Duration::from_millis(20));
            drop(guard);
            waiter.join().expect("waiter");
        });
        let report = lock.stats().report("shared");
        assert_eq!(report.contended, 1);
        assert!(report.wait.max_ns >= 15_000_000, "{:?}", report.wait);
    }
}
