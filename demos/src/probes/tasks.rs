//! The task counter of a demo: how many tasks there are and how many are done.
//!
//! Owns `TaskStats`, one per running demo. It must never block: both fields
//! are relaxed atomics (counters only; nothing is published through them).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Tasks planned and finished in one demo run.
#[repr(C)]
#[derive(Debug)]
pub struct TaskStats {
    /// Tasks the demo will run (0 when open-ended).
    total: AtomicU64,
    /// Tasks finished.
    done: AtomicU64,
}

/// A plain copy of a demo's task counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TaskReport {
    /// Tasks the demo will run (0 when open-ended).
    pub total: u64,
    /// Tasks finished.
    pub done: u64,
}

impl TaskStats {
    /// No tasks yet (all zero).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
        }
    }

    /// Sets how many tasks the demo will run.
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Relaxed);
    }

    /// Starts a new round of `total` tasks with none done: in the dashboard
    /// a demo repeats, and its progress is the current round's.
    pub fn start_round(&self, total: u64) {
        self.done.store(0, Relaxed);
        self.total.store(total, Relaxed);
    }

    /// Empties the counts, for stats in shared memory reused by the next run.
    pub(crate) fn reset(&self) {
        self.start_round(0);
    }

    /// Counts one finished task. Any thread may call it.
    pub fn done(&self) {
        self.done.fetch_add(1, Relaxed);
    }

    /// Copies the counts out.
    #[must_use]
    pub fn report(&self) -> TaskReport {
        TaskReport {
            total: self.total.load(Relaxed),
            done: self.done.load(Relaxed),
        }
    }
}

impl Default for TaskStats {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{TaskReport, TaskStats};

    #[test]
    fn counts_done_tasks_from_many_threads() {
        let tasks = TaskStats::new();
        tasks.set_total(400);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| (0..100).for_each(|_| tasks.done()));
            }
        });
        assert_eq!(
            tasks.report(),
            TaskReport {
                total: 400,
                done: 400
            }
        );
    }
}
