//! `separate-memory`: a process has memory of its own.
//!
//! The program has one global counter, `COUNTER`, and one way to count:
//! `count` adds 1 to it `iterations` times. The parent sets its counter to 0
//! and starts `workers` worker processes that each `count`. Each adds to its
//! own copy: a worker is this program started afresh (as Python's `spawn`
//! start method does; with `fork` it would be a copy of the parent's memory
//! at the fork, the same lesson), so its `COUNTER` is not the parent's. Each
//! reports its copy's final value through the shared region, the one memory
//! they do share, and the parent's counter is still 0. Then the same `count`
//! runs on `workers` threads of the parent: threads share the parent's
//! memory, and the parent sees every increment.
//!
//! The threads' worker rows are numbered from `MAX_PROCESSES`, so they never
//! share a row with a worker process.

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::start::spawn;
use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::process::{PoolPlan, Role, run_process_pool};
use crate::shm::{MAX_PROCESSES, SharedRegion};
use crate::steps::{COUNTER, count};
use crate::worker::Worker;

/// A child's report cell before the child writes it.
const NOT_REPORTED: u64 = u64::MAX;

/// What each side's counter read after the processes and after the threads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeparateMemoryOutcome {
    /// Worker processes, and then threads.
    pub workers: usize,
    /// Increments each one made.
    pub iterations: u64,
    /// The parent's counter once the worker processes had counted.
    pub parent_after_processes: u64,
    /// Each worker process's own counter, as it reported it, by worker;
    /// `null` for one that never reported (stopped or crashed).
    pub child_values: Vec<Option<u64>>,
    /// The parent's counter once its threads had counted.
    pub parent_after_threads: u64,
    /// What the threads add to a shared counter: workers x iterations.
    pub threads_expected: u64,
}

impl RoundOutcome for SeparateMemoryOutcome {
    /// The parent's counter against 0, each child's against the full count,
    /// and the parent's after the threads.
    fn lines(&self) -> Vec<ResultLine> {
        let children: Vec<String> = self
            .child_values
            .iter()
            .map(|v| v.map_or_else(|| "-".to_owned(), |v| v.to_string()))
            .collect();
        let children_full = self
            .child_values
            .iter()
            .all(|v| *v == Some(self.iterations));
        vec![
            ResultLine::compare(
                "parent after processes",
                0,
                self.parent_after_processes,
                self.parent_after_processes == 0,
                "the children counted in their own memory".to_owned(),
            ),
            ResultLine::compare(
                "each child's copy",
                format!("{} each", self.iterations),
                children.join(" "),
                children_full,
                "each child saw only its own increments".to_owned(),
            ),
            ResultLine::compare(
                "parent after threads",
                self.threads_expected,
                self.parent_after_threads,
                self.parent_after_threads == self.threads_expected,
                "threads share the parent's memory".to_owned(),
            ),
        ]
    }
}

/// The demo (its counter is the program's global).
pub struct SeparateMemory;

impl SeparateMemory {
    /// Nothing to register: the children's rows come with their processes.
    #[must_use]
    pub fn new(_ctx: &RunContext) -> Self {
        Self
    }

    /// The worker processes count; returns what each reported.
    fn count_in_processes(
        ctx: &RunContext,
        region: &'static SharedRegion,
        workers: usize,
        iterations: u64,
    ) -> Vec<Option<u64>> {
        let reports = &region.array[..workers.min(region.array.len())];
        for cell in reports {
            cell.store(NOT_REPORTED, Ordering::Relaxed);
        }
        let role = |_| Role::OwnCounter { iterations };
        let more = |_: &SharedRegion| true;
        run_process_pool(
            ctx,
            region,
            &PoolPlan {
                role: &role,
                more: &more,
                first_slot: 0,
                fixed: Some(workers),
            },
        );
        reports
            .iter()
            .map(|cell| Some(cell.load(Ordering::Relaxed)).filter(|v| *v != NOT_REPORTED))
            .collect()
    }

    /// The parent's threads count, in the parent's memory.
    fn count_in_threads(ctx: &RunContext, workers: usize, iterations: u64) {
        std::thread::scope(|scope| {
            for i in 0..workers {
                let index = MAX_PROCESSES + i;
                let body = move || {
                    let worker =
                        Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                    if count(&worker, iterations) {
                        worker.task_done();
                        ctx.tasks.done();
                    }
                    worker.finish();
                };
                if spawn(scope, ctx, &format!("counter-{i}"), body).is_none() {
                    break;
                }
            }
        });
    }
}

impl Demo for SeparateMemory {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let workers = ctx.controls.workers();
        let iterations = ctx.config.get("iterations");
        ctx.tasks.start_round(2 * workers as u64);
        COUNTER.store(0, Ordering::Relaxed);
        let child_values = if let Some(region) = ctx.region() {
            Self::count_in_processes(ctx, region, workers, iterations)
        } else {
            ctx.status
                .fail("separate-memory runs only in processes mode".to_owned());
            Vec::new()
        };
        let parent_after_processes = COUNTER.load(Ordering::Relaxed);
        if !ctx.controls.is_stopping() {
            Self::count_in_threads(ctx, workers, iterations);
        }
        Outcome::new(SeparateMemoryOutcome {
            workers,
            iterations,
            parent_after_processes,
            child_values,
            parent_after_threads: COUNTER.load(Ordering::Relaxed),
            threads_expected: workers as u64 * iterations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn outcome(parent: u64, children: Vec<Option<u64>>, threads: u64) -> SeparateMemoryOutcome {
        SeparateMemoryOutcome {
            workers: 2,
            iterations: 10,
            parent_after_processes: parent,
            child_values: children,
            parent_after_threads: threads,
            threads_expected: 20,
        }
    }

    #[test]
    fn separate_copies_read_as_the_lesson() {
        let lines = outcome(0, vec![Some(10), Some(10)], 20).lines();
        assert!(
            lines.iter().all(|l| l.verdict == Verdict::Good),
            "{lines:?}"
        );
        assert_eq!(lines[1].actual, "10 10");
    }

    #[test]
    fn a_shared_counter_or_a_missing_report_is_flagged() {
        let lines = outcome(20, vec![Some(10), None], 20).lines();
        assert_eq!(lines[0].verdict, Verdict::Bad);
        assert_eq!(lines[1].verdict, Verdict::Bad);
        assert_eq!(lines[1].actual, "10 -");
    }
}
