//! `rlock`: a re-entrant lock lets its holder take it again; a plain lock
//! would deadlock.
//!
//! Each task (on a live pool) recurses `depth` levels and takes an
//! instrumented re-entrant lock at every level, as a recursive method
//! guarded by Python's `RLock` does; the innermost level computes. The lock
//! guards a counter of its own acquires, so the nested acquires are counted
//! under the lock itself. Then, still at the innermost level, the task takes
//! a plain instrumented mutex and asks for it again from the same thread:
//! a blocking `lock` would wait for itself forever, so it asks with
//! `try_lock`, which is refused, and the refusal is counted.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::pool::run_pool;
use crate::probes::{InstrumentedMutex, InstrumentedReentrantMutex};
use crate::worker::Worker;

/// What the recursions did in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RLockOutcome {
    /// Levels each task recursed, taking the lock at every one.
    pub depth: u64,
    /// Tasks finished.
    pub tasks_done: u64,
    /// Acquires of the re-entrant lock by the recursions, outermost ones
    /// included, counted under the lock.
    pub nested_acquires: u64,
    /// The deepest nesting level a guard reported.
    pub deepest_level: u32,
    /// Times a holder of the plain lock asked for it again.
    pub plain_relock_tries: u64,
    /// Of those, times it was refused (a blocking acquire would have
    /// deadlocked).
    pub plain_relock_refused: u64,
}

impl RoundOutcome for RLockOutcome {
    /// Nested acquires against tasks x depth; plain re-locks refused.
    fn lines(&self) -> Vec<ResultLine> {
        let expected = self.tasks_done * self.depth;
        vec![
            ResultLine::compare(
                "nested acquires",
                expected,
                self.nested_acquires,
                self.nested_acquires == expected,
                format!(
                    "{} tasks x depth {}, down to level {}, no deadlock",
                    self.tasks_done, self.depth, self.deepest_level
                ),
            ),
            ResultLine::compare(
                "plain lock again",
                "refused",
                format!(
                    "{} of {} refused",
                    self.plain_relock_refused, self.plain_relock_tries
                ),
                self.plain_relock_refused == self.plain_relock_tries,
                "a blocking acquire would wait for itself forever".to_owned(),
            ),
        ]
    }
}

/// Counters shared by one round's tasks.
#[derive(Debug, Default)]
struct Tally {
    deepest: AtomicU32,
    relock_tries: AtomicU64,
    relock_refused: AtomicU64,
}

/// The two locks, kept across rounds.
pub struct RLock {
    /// Guards the count of its own acquires.
    reentrant: InstrumentedReentrantMutex<Cell<u64>>,
    plain: InstrumentedMutex<()>,
}

impl RLock {
    /// Registers both locks' probes.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        Self {
            reentrant: InstrumentedReentrantMutex::new(
                Cell::new(0),
                ctx.registry.lock("rlock (re-entrant)"),
            ),
            plain: InstrumentedMutex::new((), ctx.registry.lock("plain lock")),
        }
    }

    /// Takes the re-entrant lock, then recurses `levels` - 1 more times;
    /// the innermost level tries the plain lock twice and works. False if
    /// the run stopped first.
    fn descend(&self, worker: &Worker, levels: u64, work: Duration, tally: &Tally) -> bool {
        let guard = self.reentrant.lock();
        guard.set(guard.get() + 1);
        tally.deepest.fetch_max(guard.level(), Ordering::Relaxed);
        if levels > 1 {
            return self.descend(worker, levels - 1, work, tally);
        }
        let held = self.plain.lock();
        tally.relock_tries.fetch_add(1, Ordering::Relaxed);
        if self.plain.try_lock().is_none() {
            tally.relock_refused.fetch_add(1, Ordering::Relaxed);
        }
        drop(held);
        worker.compute(work)
    }
}

impl Demo for RLock {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let depth = ctx.config.get("depth");
        let work = Duration::from_millis(ctx.config.get("work-ms"));
        let tasks = ctx.config.get("tasks");
        ctx.tasks.start_round(tasks);
        self.reentrant.lock().set(0);
        let tally = Tally::default();
        let run = run_pool(ctx, tasks, |worker, _| {
            self.descend(worker, depth, work, &tally)
        });
        Outcome::new(RLockOutcome {
            depth,
            tasks_done: run.done,
            nested_acquires: self.reentrant.lock().get(),
            deepest_level: tally.deepest.load(Ordering::Relaxed),
            plain_relock_tries: tally.relock_tries.load(Ordering::Relaxed),
            plain_relock_refused: tally.relock_refused.load(Ordering::Relaxed),
        })
    }
}
