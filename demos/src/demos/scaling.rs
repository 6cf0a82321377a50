//! `cpu-vs-io`, `gil` and `async`: the same tasks, computed or waited, in
//! each mode.
//!
//! Threads mode runs them on a pool of plain threads; gil mode on the same
//! pool, but computing only while holding the simulated GIL; async mode on
//! one tokio event-loop thread, where computing blocks the loop and waiting
//! does not. The outcome's speedup is measured work over measured wall time:
//! each task times its own work (thread CPU time for computation, wall time
//! for waits), so nothing is assumed from the parameters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::catalog::{Kind, Mode};
use crate::context::{Demo, RunContext};
use crate::gil::Gil;
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::pool::run_pool;
use crate::probes::{Overlap, ProbeRef, SemaphoreStats, WorkerState};
use crate::process::{PoolPlan, Role, run_process_pool, value};
use crate::shm::SharedRegion;
use crate::worker::{CpuBurn, Worker, thread_cpu_time};

/// How often async tasks look at the controls while paused.
const ASYNC_POLL: Duration = Duration::from_millis(20);

/// What a round of tasks did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScalingOutcome {
    /// The mode the tasks ran in.
    pub mode: Mode,
    /// `cpu` or `io`.
    pub kind: Kind,
    /// Workers (threads of the pool; 1 event-loop thread in async mode).
    pub workers: usize,
    /// Tasks asked for.
    pub tasks: u64,
    /// Tasks finished.
    pub tasks_done: u64,
    /// Wall time of the round, milliseconds.
    pub wall_ms: f64,
    /// Work the tasks measured, summed: CPU time computed or time waited, ms.
    pub work_ms: f64,
    /// `work_ms / wall_ms`: how many tasks' worth of work ran at once.
    pub speedup: f64,
    /// Times the GIL changed hands (gil mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gil_switches: Option<u64>,
    /// Most tasks doing their work at the same instant, counted exactly:
    /// computing (in gil mode only while holding the GIL) or waiting. Unlike
    /// the speedup it needs no idle core: 2 in threads mode even on a busy
    /// machine, never more than 1 while the GIL is held.
    pub max_concurrent: u64,
}

impl RoundOutcome for ScalingOutcome {
    /// Wall time, work and speedup.
    fn lines(&self) -> Vec<ResultLine> {
        let mut lines = vec![
            ResultLine::figure(
                "wall time",
                crate::outcome::readable_ms(self.wall_ms),
                format!("{} of {} tasks", self.tasks_done, self.tasks),
            ),
            ResultLine::figure(
                "work done",
                crate::outcome::readable_ms(self.work_ms),
                match self.kind {
                    Kind::Cpu => "CPU time the tasks computed".to_owned(),
                    Kind::Io => "time the tasks waited".to_owned(),
                },
            ),
            ResultLine::figure(
                "speedup",
                format!("{:.2}x", self.speedup),
                "work / wall: tasks' worth of work done at once".to_owned(),
            ),
        ];
        if let Some(switches) = self.gil_switches {
            lines.push(ResultLine::figure(
                "GIL switches",
                switches,
                "hand-offs between workers".to_owned(),
            ));
        }
        lines.push(ResultLine::figure(
            "at once",
            self.max_concurrent,
            match self.kind {
                Kind::Cpu => "most tasks computing at the same instant".to_owned(),
                Kind::Io => "most tasks waiting at the same instant".to_owned(),
            },
        ));
        lines
    }
}

/// The demo, with its GIL (gil mode only) and its async semaphore's gauge
/// (the async demo, whose tasks a semaphore limits).
pub struct Scaling {
    gil: Option<Gil>,
    /// Tasks doing their work now, and the round's most at once.
    working: Overlap,
    /// The async semaphore's stats: the tasks in flight (async mode).
    in_flight: Option<ProbeRef<SemaphoreStats>>,
}

impl Scaling {
    /// Creates the GIL when the run is in gil mode.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        let gil = (ctx.config.mode == Mode::Gil).then(|| {
            let switch = ctx
                .config
                .spec
                .param("switch-ms")
                .map_or(5, |_| ctx.config.get("switch-ms"));
            Gil::new(
                ctx.registry.lock(crate::gil::GIL_LOCK_NAME),
                Duration::from_millis(switch),
            )
        });
        let in_flight = (ctx.config.mode == Mode::Async)
            .then(|| ctx.config.spec.param("permits"))
            .flatten()
            .map(|_| {
                let permits = u32::try_from(ctx.config.count("permits")).unwrap_or(u32::MAX);
                ctx.registry.semaphore(IN_FLIGHT_NAME, permits)
            });
        Self {
            gil,
            working: Overlap::new(),
            in_flight,
        }
    }

    /// One task on a pool worker; adds the work it measured to `work_ns`.
    fn task(&self, worker: &Worker, kind: Kind, work: Duration, work_ns: &AtomicU64) -> bool {
        let (finished, spent) = match kind {
            Kind::Cpu => {
                let before = thread_cpu_time();
                let finished = if let Some(gil) = &self.gil {
                    gil.compute(worker, work, &self.working)
                } else {
                    let _inside = self.working.enter();
                    worker.compute(work)
                };
                (finished, thread_cpu_time().saturating_sub(before))
            }
            Kind::Io => {
                let _inside = self.working.enter();
                let before = Instant::now();
                (worker.sleep_io(work), before.elapsed())
            }
        };
        work_ns.fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
        finished
    }
}

impl Demo for Scaling {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let kind = ctx.config.kind.unwrap_or(Kind::Cpu);
        let tasks = ctx.config.get("tasks");
        let work = Duration::from_millis(ctx.config.get("work-ms"));
        ctx.tasks.start_round(tasks);
        self.working.reset();
        let switches_before = self.gil.as_ref().map(Gil::switches);
        let work_ns = AtomicU64::new(0);
        let (wall, done, workers, max_concurrent) = if ctx.config.mode == Mode::Async {
            let permits = ctx
                .config
                .spec
                .param("permits")
                .map(|_| ctx.config.count("permits"));
            let limit = permits.zip(self.in_flight.as_ref());
            let run = run_async(ctx, kind, tasks, work, limit, &work_ns);
            (run.wall, run.done, 1, run.max_concurrent)
        } else if let Some(region) = ctx.region() {
            let (wall, done) = run_processes(ctx, region, kind, tasks, work, &work_ns);
            let peak = region.values[value::WORKING_PEAK].load(Ordering::Relaxed);
            (wall, done, ctx.controls.workers(), peak)
        } else {
            let run = run_pool(ctx, tasks, |worker, _| {
                self.task(worker, kind, work, &work_ns)
            });
            (
                run.wall,
                run.done,
                ctx.controls.workers(),
                self.working.peak(),
            )
        };
        let wall_ms = wall.as_secs_f64() * 1e3;
        let measured_ms = work_ns.load(Ordering::Relaxed) as f64 / 1e6;
        Outcome::new(ScalingOutcome {
            mode: ctx.config.mode,
            kind,
            workers,
            tasks,
            tasks_done: done,
            wall_ms,
            work_ms: measured_ms,
            speedup: if wall_ms > 0.0 {
                measured_ms / wall_ms
            } else {
                0.0
            },
            gil_switches: self
                .gil
                .as_ref()
                .zip(switches_before)
                .map(|(gil, before)| gil.switches() - before),
            max_concurrent,
        })
    }
}

/// Runs the tasks on a pool of worker processes; each one adds the work it
/// measured to the region, from where it joins `work_ns`.
fn run_processes(
    ctx: &RunContext,
    region: &'static SharedRegion,
    kind: Kind,
    tasks: u64,
    work: Duration,
    work_ns: &AtomicU64,
) -> (Duration, u64) {
    region.next_task.store(0, Ordering::Relaxed);
    region.values[value::WORK_NS].store(0, Ordering::Relaxed);
    region.values[value::WORKING_NOW].store(0, Ordering::Relaxed);
    region.values[value::WORKING_PEAK].store(0, Ordering::Relaxed);
    let millis_per_task = u64::try_from(work.as_millis()).unwrap_or(u64::MAX);
    let role = |_| Role::Pool {
        kind,
        work_ms: millis_per_task,
        total: tasks,
        uneven: false,
    };
    let more = |r: &SharedRegion| r.next_task.load(Ordering::Relaxed) < tasks;
    let plan = PoolPlan {
        role: &role,
        more: &more,
        first_slot: 0,
        fixed: None,
    };
    let run = run_process_pool(ctx, region, &plan);
    work_ns.store(
        region.values[value::WORK_NS].load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    (run.wall, ctx.tasks.report().done)
}

/// The async demo's semaphore, as its gauge is named.
const IN_FLIGHT_NAME: &str = "tasks in flight";

/// A permit of the async demo's semaphore as its gauge counts it: given back
/// to the gauge when dropped, with the permit itself.
struct Held<'a>(&'a ProbeRef<SemaphoreStats>);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.task_released();
    }
}

/// What an async round did.
struct AsyncRun {
    wall: Duration,
    done: u64,
    max_concurrent: u64,
}

/// Runs the tasks on one tokio event-loop thread (this one), at most
/// `permits` at a time when given.
fn run_async(
    ctx: &RunContext,
    kind: Kind,
    tasks: u64,
    work: Duration,
    limit: Option<(usize, &ProbeRef<SemaphoreStats>)>,
    work_ns: &AtomicU64,
) -> AsyncRun {
    let (permits, gauge) = (limit.map(|(p, _)| p), limit.map(|(_, g)| g));
    let started = Instant::now();
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        ctx.status
            .fail("cannot start the tokio event loop".to_owned());
        return AsyncRun {
            wall: started.elapsed(),
            done: 0,
            max_concurrent: 0,
        };
    };
    let worker = Worker::start(0, ctx.registry.worker(0), ctx.controls.clone());
    let in_flight = AtomicU64::new(0);
    let max_concurrent = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let limit = tokio::sync::Semaphore::new(permits.unwrap_or(tokio::sync::Semaphore::MAX_PERMITS));

    let work = ctx.controls.stretch(work);
    runtime.block_on(async {
        // A task's start cost: creating it, timed over the whole batch. (Its
        // wait for its first run is queueing behind the others, not a cost:
        // behind computing tasks it is their whole run time.)
        let batch_started = Instant::now();
        let mut handles = Vec::with_capacity(usize::try_from(tasks).unwrap_or(0));
        for _ in 0..tasks {
            let (worker, in_flight, max_concurrent, done, limit) =
                (&worker, &in_flight, &max_concurrent, &done, &limit);
            handles.push(async move {
                // A permit free now is no wait; otherwise the task waits,
                // and its gauge says so.
                let (_permit, waited_ns) = if let Ok(permit) = limit.try_acquire() {
                    (permit, 0)
                } else {
                    let asked = Instant::now();
                    if let Some(gauge) = gauge {
                        gauge.task_waits();
                    }
                    let Ok(permit) = limit.acquire().await else {
                        return;
                    };
                    (permit, (asked.elapsed().as_nanos() as u64).max(1))
                };
                let _held = gauge.map(|gauge| {
                    if waited_ns == 0 {
                        gauge.task_granted_at_once();
                    } else {
                        gauge.task_granted(waited_ns);
                    }
                    Held(gauge)
                });
                while ctx.controls.is_paused() && !ctx.controls.is_stopping() {
                    tokio::time::sleep(ASYNC_POLL).await;
                }
                if ctx.controls.is_stopping() {
                    return;
                }
                let now = in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                max_concurrent.fetch_max(now, Ordering::Relaxed);
                match kind {
                    Kind::Cpu => {
                        // Computing inside a task blocks the one loop thread:
                        // no other task runs until this one yields.
                        worker.set_state(WorkerState::Computing);
                        let before = thread_cpu_time();
                        let mut burn = CpuBurn::new(work);
                        while !burn.step() && !ctx.controls.is_stopping() {}
                        work_ns.fetch_add(
                            thread_cpu_time().saturating_sub(before).as_nanos() as u64,
                            Ordering::Relaxed,
                        );
                        worker.set_state(WorkerState::Idle);
                    }
                    Kind::Io => {
                        worker.set_state(WorkerState::SleepingIo);
                        let before = Instant::now();
                        tokio::time::sleep(work).await;
                        work_ns.fetch_add(before.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    }
                }
                in_flight.fetch_sub(1, Ordering::Relaxed);
                done.fetch_add(1, Ordering::Relaxed);
                worker.task_done();
                ctx.tasks.done();
            });
        }
        ctx.status
            .workers_started_together(tasks, batch_started.elapsed());
        // One watcher for a stop, instead of every task polling: when the run
        // stops, dropping the batch cancels every task at its next await.
        let stop = async {
            while !ctx.controls.is_stopping() {
                tokio::time::sleep(ASYNC_POLL).await;
            }
        };
        tokio::select! {
            _ = futures::future::join_all(handles) => {}
            () = stop => {}
        }
    });
    worker.finish();
    AsyncRun {
        wall: started.elapsed(),
        done: done.load(Ordering::Relaxed),
        max_concurrent: max_concurrent.load(Ordering::Relaxed),
    }
}
