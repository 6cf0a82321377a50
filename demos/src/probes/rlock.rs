//! An instrumented re-entrant lock (Python's `RLock`).
//!
//! Owns `InstrumentedReentrantMutex`, a `parking_lot::ReentrantMutex` that
//! reports into the same `LockStats` as the plain mutex and shows how deep the
//! owning thread has re-entered. Like the plain mutex, it must never read the
//! clock or touch the thread-local current worker on an acquire that does not
//! wait (re-entering is always such an acquire).

use std::ops::Deref;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use parking_lot::{ReentrantMutex, ReentrantMutexGuard};

use super::ProbeRef;
use super::clock::now_ns;
use super::lock::{HoldTimer, LockStats};
use super::worker::WorkerState;

/// A re-entrant lock: the thread that holds it may lock it again without
/// deadlock; other threads wait until every guard is dropped. The data is
/// shared (`Deref` only), as with any re-entrant lock; put a `Cell` or
/// `RefCell` inside to mutate it.
///
/// Every acquire counts in `LockStats::acquires`, re-entries included; holds
/// are timed for the outermost acquire only.
#[derive(Debug)]
pub struct InstrumentedReentrantMutex<T> {
    inner: ReentrantMutex<T>,
    /// How many guards the owning thread holds now; 0 while unlocked.
    depth: AtomicU32,
    stats: ProbeRef<LockStats>,
}

/// Access to the data of a locked `InstrumentedReentrantMutex`; leaves one
/// level of the lock when dropped.
pub struct InstrumentedReentrantGuard<'a, T> {
    // Field order matters: the lock is released before the hold is recorded.
    guard: ReentrantMutexGuard<'a, T>,
    /// Records the hold when dropped; never read.
    _hold: HoldTimer<'a>,
    depth: &'a AtomicU32,
    /// This guard's nesting level: 1 for the outermost acquire.
    level: u32,
}

impl<T> InstrumentedReentrantMutex<T> {
    /// A re-entrant lock around `value` that reports into `stats`.
    #[must_use]
    pub fn new(value: T, stats: ProbeRef<LockStats>) -> Self {
        Self {
            inner: ReentrantMutex::new(value),
            depth: AtomicU32::new(0),
            stats,
        }
    }

    /// The statistics this lock reports into.
    #[must_use]
    pub fn stats(&self) -> &LockStats {
        &self.stats
    }

    /// How many times the owning thread holds the lock now (0 when free).
    /// Any thread may read it; it is exact when read by the owner.
    #[must_use]
    pub fn depth(&self) -> u32 {
        self.depth.load(Relaxed)
    }

    /// Locks, re-entering at once if this thread already holds the lock and
    /// blocking while another thread does.
    pub fn lock(&self) -> InstrumentedReentrantGuard<'_, T> {
        if let Some(guard) = self.inner.try_lock() {
            return self.enter(guard, None);
        }
        let asked_ns = now_ns();
        let mark = self.stats.begin_wait(WorkerState::WaitingLock, asked_ns);
        let guard = self.inner.lock();
        let got_ns = now_ns();
        self.stats.end_wait(mark, got_ns);
        self.stats.contended_acquire(asked_ns, got_ns);
        self.enter(guard, Some(got_ns))
    }

    /// Takes one more level of the lock; `contended_at_ns` is when a
    /// contended acquire got the lock (it is then counted already).
    fn enter<'a>(
        &'a self,
        guard: ReentrantMutexGuard<'a, T>,
        contended_at_ns: Option<u64>,
    ) -> InstrumentedReentrantGuard<'a, T> {
        // Only the owning thread writes `depth`, while it holds the lock.
        let level = self.depth.load(Relaxed) + 1;
        self.depth.store(level, Relaxed);
        let started_ns = match contended_at_ns {
            Some(got_ns) => Some(got_ns),
            None if level == 1 => self.stats.uncontended_acquire(),
            None => {
                self.stats.reentrant_acquire();
                None
            }
        };
        InstrumentedReentrantGuard {
            guard,
            _hold: HoldTimer::new(&self.stats, started_ns),
            depth: &self.depth,
            level,
        }
    }
}

impl<T> InstrumentedReentrantGuard<'_, T> {
    /// This guard's nesting level: 1 for the outermost acquire, 2 for the
    /// first re-entry, and so on.
    #[must_use]
    pub fn level(&self) -> u32 {
        self.level
    }
}

impl<T> Drop for InstrumentedReentrantGuard<'_, T> {
    fn drop(&mut self) {
        // Runs before the fields drop, so still under the lock.
        self.depth.store(self.level - 1, Relaxed);
    }
}

impl<T> Deref for InstrumentedReentrantGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

#[cfg(test)]
mod tests {
    use super::InstrumentedReentrantMutex;
    use crate::probes::ProbeRef;
    use crate::probes::clock::now_ns;
    use std::cell::Cell;
    use std::time::Duration;

    #[test]
    fn the_owner_re_enters_without_deadlock() {
        let lock = InstrumentedReentrantMutex::new(Cell::new(0), ProbeRef::default());
        {
            let outer = lock.lock();
            outer.set(outer.get() + 1);
            let inner = lock.lock();
            inner.set(inner.get() + 1);
            assert_eq!((outer.level(), inner.level()), (1, 2));
            assert_eq!(lock.depth(), 2);
            drop(inner);
            assert_eq!(lock.depth(), 1);
        }
        assert_eq!(lock.depth(), 0);
        assert_eq!(lock.lock().get(), 2);
        let report = lock.stats().report("rlock");
        assert_eq!((report.acquires, report.contended), (3, 0));
        // Acquire 0 is sampled; 1 is a re-entry (never timed), 2 is not sampled.
        assert_eq!(report.hold.count, 1);
    }

    #[test]
    fn another_thread_waits_until_every_level_is_released() {
        let lock = InstrumentedReentrantMutex::new((), ProbeRef::default());
        std::thread::scope(|scope| {
            let outer = lock.lock();
            let inner = lock.lock();
            let waiter = scope.spawn(|| {
                let guard = lock.lock();
                (guard.level(), now_ns())
            });
            let deadline = now_ns() + 5_000_000_000;
            while lock.stats().report("r").waiting_now == 0 && now_ns() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            drop(inner);
            std::thread::sleep(Duration::from_millis(10));
            let released_ns = now_ns();
            drop(outer);
            let (level, got_ns) = waiter.join().unwrap();
            assert_eq!(level, 1);
            assert!(got_ns >= released_ns, "waiter got the lock while held");
        });
        let report = lock.stats().report("r");
        assert_eq!(report.contended, 1);
        assert_eq!(report.wait.count, 1);
        assert!(report.wait.max_ns >= 10_000_000);
    }
}
