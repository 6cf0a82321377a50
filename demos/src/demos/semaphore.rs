//! `semaphore`: K permits among N workers: at most K at a time.
//!
//! A live pool of `workers` runs `tasks` tasks; each takes one of the
//! `permits` permits of an instrumented semaphore (Python's
//! `threading.Semaphore`), works (`kind`: computes or waits), and gives the
//! permit back. The semaphore's probe reports the peak in use and the peak
//! number of waiters; the tasks also count how many of them are inside at
//! once themselves, so the cap is checked by a second, independent count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::catalog::Kind;
use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::pool::run_pool;
use crate::probes::InstrumentedSemaphore;

/// How the permits were shared in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SemaphoreOutcome {
    /// Permits (K).
    pub permits: u32,
    /// Workers in the pool at the round's start.
    pub workers: usize,
    /// Tasks finished this round.
    pub tasks_done: u64,
    /// Most permits held at once, from the semaphore's probe (over the run).
    pub peak_in_use: u32,
    /// Most workers waiting for a permit at once, from the probe (over the
    /// run).
    pub peak_waiters: u32,
    /// Most tasks between acquire and release at once this round, counted
    /// by the tasks themselves.
    pub max_inside: u64,
    /// Permits granted this round.
    pub acquires: u64,
    /// Of those, granted only after waiting.
    pub contended: u64,
}

impl RoundOutcome for SemaphoreOutcome {
    /// The cap, by the probe and by the tasks' own count; who waited.
    fn lines(&self) -> Vec<ResultLine> {
        vec![
            ResultLine::compare(
                "peak in use",
                format!("≤ {}", self.permits),
                self.peak_in_use,
                self.peak_in_use <= self.permits,
                "permits held at once (probe)".to_owned(),
            ),
            ResultLine::compare(
                "inside at once",
                format!("≤ {}", self.permits),
                self.max_inside,
                self.max_inside <= u64::from(self.permits),
                "tasks counted between acquire and release".to_owned(),
            ),
            ResultLine::figure(
                "waited for a permit",
                format!("{} of {}", self.contended, self.acquires),
                format!("up to {} workers waiting at once", self.peak_waiters),
            ),
        ]
    }
}

/// The semaphore, kept across rounds.
pub struct Semaphore {
    semaphore: InstrumentedSemaphore,
}

impl Semaphore {
    /// Registers the semaphore's probe.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        let permits = u32::try_from(ctx.config.get("permits"))
            .unwrap_or(u32::MAX)
            .max(1);
        let stats = ctx.registry.semaphore("permits", permits);
        Self {
            semaphore: InstrumentedSemaphore::new(permits, stats)
                .unwrap_or_else(|| unreachable!("permits >= 1")),
        }
    }
}

impl Demo for Semaphore {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let workers = ctx.controls.workers();
        let tasks = ctx.config.get("tasks");
        let work = Duration::from_millis(ctx.config.get("work-ms"));
        let kind = ctx.config.kind.unwrap_or(Kind::Io);
        ctx.tasks.start_round(tasks);
        let before = self.semaphore.stats().report("");
        let inside = AtomicU64::new(0);
        let max_inside = AtomicU64::new(0);
        let run = run_pool(ctx, tasks, |worker, _| {
            let _permit = self.semaphore.acquire();
            let now = inside.fetch_add(1, Ordering::Relaxed) + 1;
            max_inside.fetch_max(now, Ordering::Relaxed);
            let finished = match kind {
                Kind::Cpu => worker.compute(work),
                Kind::Io => worker.sleep_io(work),
            };
            // Leaves before the permit is given back (`_permit` drops after).
            inside.fetch_sub(1, Ordering::Relaxed);
            finished
        });
        let after = self.semaphore.stats().report("");
        Outcome::new(SemaphoreOutcome {
            permits: after.permits,
            workers,
            tasks_done: run.done,
            peak_in_use: after.peak_in_use,
            peak_waiters: after.peak_waiters,
            max_inside: max_inside.load(Ordering::Relaxed),
            acquires: after.acquires - before.acquires,
            contended: after.contended - before.contended,
        })
    }
}
