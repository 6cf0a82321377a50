//! Overlap: the most tasks inside one section at the same instant, counted
//! exactly (an atomic count of those inside, and its maximum).
//!
//! This is what "the workers ran at once" means without a clock: two workers
//! in `threads` mode are both inside their computation at some point even on
//! a machine whose cores are busy with other work, and two workers in `gil`
//! mode are never inside the GIL's section together, however the machine is
//! loaded. The counters are two `AtomicU64`s so that they can live in shared
//! memory too (a process pool's workers count into the region's values).

use std::sync::atomic::{AtomicU64, Ordering};

/// A section's count of tasks inside now, and the most there were at once.
#[derive(Debug, Default)]
pub struct Overlap {
    inside: AtomicU64,
    peak: AtomicU64,
}

impl Overlap {
    /// No task inside yet.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            inside: AtomicU64::new(0),
            peak: AtomicU64::new(0),
        }
    }

    /// Counts the caller inside until the returned guard drops.
    pub fn enter(&self) -> Inside<'_> {
        enter(&self.inside, &self.peak)
    }

    /// The most tasks that were inside at once since the last reset.
    #[must_use]
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    /// Starts a new count (between rounds, with nobody inside).
    pub fn reset(&self) {
        self.peak
            .store(self.inside.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// Counts the caller inside the section whose counters are `inside` and
/// `peak` (for counters that live elsewhere, such as shared memory).
pub fn enter<'a>(inside: &'a AtomicU64, peak: &AtomicU64) -> Inside<'a> {
    // AcqRel: an exit of one task is ordered before another's entry that
    // sees the lower count, so two tasks that never overlapped in time never
    // read each other's presence.
    let now = inside.fetch_add(1, Ordering::AcqRel) + 1;
    peak.fetch_max(now, Ordering::Relaxed);
    Inside(inside)
}

/// A task inside a section; leaving is dropping it.
#[must_use = "the task leaves the section when this drops"]
#[derive(Debug)]
pub struct Inside<'a>(&'a AtomicU64);

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[test]
    fn one_after_another_never_overlaps() {
        let overlap = Overlap::new();
        for _ in 0..3 {
            let _inside = overlap.enter();
        }
        assert_eq!(overlap.peak(), 1, "three visits one at a time");
    }

    #[test]
    fn tasks_inside_together_are_all_counted() {
        let overlap = Overlap::new();
        let all_inside = Barrier::new(3);
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    let _inside = overlap.enter();
                    all_inside.wait();
                });
            }
        });
        assert_eq!(overlap.peak(), 3, "three threads met inside");
        overlap.reset();
        assert_eq!(overlap.peak(), 0, "a reset with nobody inside starts at 0");
    }
}
