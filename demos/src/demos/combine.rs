//! `combine`: CPU work in worker processes while I/O runs in a thread, then
//! map and reduce.
//!
//! The classic combination: a process pool maps the computing tasks (each
//! result in its cell of the shared array) while one thread of the main
//! process does the waiting (fetching, as from a disk or a network); then the
//! main process reduces the mapped results. Each round measures the computing
//! alone, the waiting alone, and both at once: together they take about as
//! long as the longer one, not the sum. The reduce is checked against the
//! parent's own sum of what each task should have produced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::probes::WorkerState;
use crate::process::{PoolPlan, Role, run_process_pool};
use crate::shm::{MAX_PROCESSES, SharedRegion};
use crate::worker::Worker;

/// The worker index of the I/O thread: beyond the process slots a round uses.
const IO_WORKER: usize = MAX_PROCESSES - 1;

/// What a round of combining showed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CombineOutcome {
    /// Worker processes mapping.
    pub workers: usize,
    /// Tasks mapped, and fetches done by the I/O thread.
    pub tasks: u64,
    /// The map alone, milliseconds.
    pub cpu_alone_ms: f64,
    /// The I/O thread's fetches alone, milliseconds.
    pub io_alone_ms: f64,
    /// Both at once, milliseconds.
    pub together_ms: f64,
    /// `(cpu_alone + io_alone) / together`: how much the two overlapped.
    pub overlap: f64,
    /// Fetches of the together part that ended while the map still ran:
    /// the overlap counted rather than timed (at least 1 on any machine).
    pub fetches_during_map: u64,
    /// The reduce: the sum of the mapped results.
    pub reduced: u64,
    /// The sum the parent computes itself.
    pub expected: u64,
    /// Tasks whose result was missing (a stopped or failed round).
    pub missing: u64,
}

impl RoundOutcome for CombineOutcome {
    /// Alone, together, and the reduce checked.
    fn lines(&self) -> Vec<ResultLine> {
        vec![
            ResultLine::figure(
                "alone",
                format!("{:.0} + {:.0} ms", self.cpu_alone_ms, self.io_alone_ms),
                "computing in processes, then waiting in a thread".to_owned(),
            ),
            ResultLine::figure(
                "together",
                format!("{:.0} ms", self.together_ms),
                format!(
                    "{:.2}x overlap: about the longer of the two, not the sum",
                    self.overlap
                ),
            ),
            ResultLine::compare(
                "reduced",
                self.expected,
                self.reduced,
                self.reduced == self.expected && self.missing == 0,
                format!("the sum of {} mapped results", self.tasks),
            ),
        ]
    }
}

/// The demo (it keeps nothing between rounds).
pub struct Combine;

impl Combine {
    /// The map: worker processes computing, each result in the shared array.
    fn map(ctx: &RunContext, region: &'static SharedRegion, tasks: u64) -> Duration {
        region.next_task.store(0, Ordering::Relaxed);
        for cell in region
            .array
            .iter()
            .take(usize::try_from(tasks).unwrap_or(usize::MAX))
        {
            cell.store(0, Ordering::Relaxed);
        }
        let work_ms = ctx.config.get("work-ms");
        let role = |_| Role::MapSquares {
            work_ms,
            total: tasks,
        };
        let more = |r: &SharedRegion| r.next_task.load(Ordering::Relaxed) < tasks;
        let plan = PoolPlan {
            role: &role,
            more: &more,
            first_slot: 0,
            fixed: None,
        };
        run_process_pool(ctx, region, &plan).wall
    }

    /// The waiting: one thread of this process fetching, one fetch at a time;
    /// also counts the fetches that ended while `mapping` held.
    fn fetch(ctx: &RunContext, tasks: u64, mapping: &AtomicBool) -> (Duration, u64) {
        let started = Instant::now();
        let mut during_map = 0;
        let delay = Duration::from_millis(ctx.config.get("delay-ms"));
        let worker = Worker::start(
            IO_WORKER,
            ctx.registry.worker(IO_WORKER),
            ctx.controls.clone(),
        );
        for _ in 0..tasks {
            if !worker.sleep_io(delay) {
                break;
            }
            during_map += u64::from(mapping.load(Ordering::Acquire));
            worker.set_state(WorkerState::Idle);
            worker.task_done();
            ctx.tasks.done();
        }
        worker.finish();
        (started.elapsed(), during_map)
    }

    /// The reduce: the sum of the mapped results, and how many were missing.
    fn reduce(region: &SharedRegion, tasks: u64) -> (u64, u64) {
        let cells = region
            .array
            .iter()
            .take(usize::try_from(tasks).unwrap_or(usize::MAX));
        cells.fold((0, 0), |(sum, missing), cell| {
            match cell.load(Ordering::Relaxed) {
                0 => (sum, missing + 1),
                result => (sum + (result - 1), missing),
            }
        })
    }
}

impl Demo for Combine {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let tasks = ctx.config.get("tasks");
        // Mapped alone, fetched alone, then both again together.
        ctx.tasks.start_round(tasks * 4);
        let Some(region) = ctx.region() else {
            // The catalogue runs it in processes mode only; say so if not.
            ctx.status.fail("combine runs in processes mode".to_owned());
            return Outcome::new(CombineOutcome {
                workers: 0,
                tasks,
                cpu_alone_ms: 0.0,
                io_alone_ms: 0.0,
                together_ms: 0.0,
                overlap: 0.0,
                fetches_during_map: 0,
                reduced: 0,
                expected: 0,
                missing: tasks,
            });
        };
        let cpu_alone = Self::map(ctx, region, tasks);
        let (io_alone, _) = Self::fetch(ctx, tasks, &AtomicBool::new(false));
        let started = Instant::now();
        let mapping = AtomicBool::new(true);
        let fetches_during_map = std::thread::scope(|scope| {
            let io = std::thread::Builder::new()
                .name("io-thread".into())
                .spawn_scoped(scope, || Self::fetch(ctx, tasks, &mapping).1);
            Self::map(ctx, region, tasks);
            mapping.store(false, Ordering::Release);
            io.ok().and_then(|thread| thread.join().ok())
        });
        let io_ran = fetches_during_map.is_some();
        let together = started.elapsed();
        if !io_ran {
            ctx.status.fail("the I/O thread could not run".to_owned());
        }
        let (reduced, missing) = Self::reduce(region, tasks);
        let expected = (0..tasks).map(|t| t * t).sum();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        Outcome::new(CombineOutcome {
            workers: ctx.controls.workers(),
            tasks,
            cpu_alone_ms: ms(cpu_alone),
            io_alone_ms: ms(io_alone),
            together_ms: ms(together),
            overlap: (ms(cpu_alone) + ms(io_alone)) / ms(together).max(f64::EPSILON),
            fetches_during_map: fetches_during_map.unwrap_or(0),
            reduced,
            expected,
            missing,
        })
    }
}
