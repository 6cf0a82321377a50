//! `lock-contention`: N workers, one lock, an adjustable critical section.
//!
//! Each task computes for `work-ms` outside the lock, then for
//! `critical-ms` inside it. With a short critical section the workers rarely
//! meet; as it grows they queue behind each other (a convoy): the wait p99
//! climbs, contention nears 100% and the cores they could use sit idle.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;

use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::pool::run_pool;
use crate::probes::{InstrumentedMutex, ProbeRef};
use crate::process::{PoolPlan, Role, run_process_pool};
use crate::shm::SharedRegion;

/// The lock's figures after a round (cumulative over the run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentionOutcome {
    /// Milliseconds of work inside the lock per task.
    pub critical_ms: u64,
    /// Milliseconds of work outside the lock per task.
    pub work_ms: u64,
    /// Tasks finished this round.
    pub tasks_done: u64,
    /// Tasks finished per second this round.
    pub throughput_per_s: f64,
    /// Percent of acquires that had to wait.
    pub contended_pct: f64,
    /// Median wait of a contended acquire, milliseconds.
    pub wait_p50_ms: f64,
    /// 99th percentile wait, milliseconds.
    pub wait_p99_ms: f64,
}

impl RoundOutcome for ContentionOutcome {
    /// Contention, waits and throughput.
    fn lines(&self) -> Vec<ResultLine> {
        vec![
            ResultLine::figure(
                "contended",
                format!("{:.0}%", self.contended_pct),
                "of acquires found the lock taken".to_owned(),
            ),
            ResultLine::figure(
                "wait p50 / p99",
                format!("{:.2} / {:.2} ms", self.wait_p50_ms, self.wait_p99_ms),
                format!("critical section {} ms", self.critical_ms),
            ),
            ResultLine::figure(
                "throughput",
                format!("{:.1} tasks/s", self.throughput_per_s),
                format!("{} tasks this round", self.tasks_done),
            ),
        ]
    }
}

/// The shared lock, kept across rounds.
pub struct LockContention {
    lock: InstrumentedMutex<u64>,
}

/// The name the lock is shown under.
const LOCK_NAME: &str = "shared";

impl LockContention {
    /// Registers the lock's probe: the in-process lock's, or in processes mode
    /// the cross-process lock's in the shared region.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        // The in-process lock is listed only when it is the one in use.
        let stats = match ctx.region() {
            Some(region) => {
                ctx.registry
                    .register_lock_shared(LOCK_NAME, region.locks[0].stats());
                ProbeRef::default()
            }
            None => ctx.registry.lock(LOCK_NAME),
        };
        Self {
            lock: InstrumentedMutex::new(0, stats),
        }
    }

    /// The same tasks on worker processes around the region's lock.
    fn round_in_processes(
        ctx: &RunContext,
        region: &'static SharedRegion,
        tasks: u64,
    ) -> (u64, Duration) {
        region.next_task.store(0, Ordering::Relaxed);
        let (work_ms, critical_ms) = (ctx.config.get("work-ms"), ctx.config.get("critical-ms"));
        let role = |_| Role::Contention {
            work_ms,
            critical_ms,
            total: tasks,
        };
        let more = |r: &SharedRegion| r.next_task.load(Ordering::Relaxed) < tasks;
        let run = run_process_pool(
            ctx,
            region,
            &PoolPlan {
                role: &role,
                more: &more,
                first_slot: 0,
                fixed: None,
            },
        );
        (ctx.tasks.report().done, run.wall)
    }
}

impl Demo for LockContention {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let work = Duration::from_millis(ctx.config.get("work-ms"));
        let critical = Duration::from_millis(ctx.config.get("critical-ms"));
        let tasks = ctx.config.get("tasks");
        ctx.tasks.start_round(tasks);
        let (done, wall, report) = if let Some(region) = ctx.region() {
            let (done, wall) = Self::round_in_processes(ctx, region, tasks);
            (done, wall, region.locks[0].stats().report(LOCK_NAME))
        } else {
            let run = run_pool(ctx, tasks, |worker, _| {
                if !worker.compute(work) {
                    return false;
                }
                let mut guard = self.lock.lock();
                let finished = worker.compute(critical);
                *guard += 1;
                finished
            });
            (run.done, run.wall, self.lock.stats().report(LOCK_NAME))
        };
        let ms = |ns: u64| ns as f64 / 1e6;
        Outcome::new(ContentionOutcome {
            critical_ms: critical.as_millis() as u64,
            work_ms: work.as_millis() as u64,
            tasks_done: done,
            throughput_per_s: done as f64 / wall.as_secs_f64().max(f64::EPSILON),
            contended_pct: if report.acquires == 0 {
                0.0
            } else {
                report.contended as f64 * 100.0 / report.acquires as f64
            },
            wait_p50_ms: ms(report.wait.p50_ns),
            wait_p99_ms: ms(report.wait.p99_ns),
        })
    }
}
