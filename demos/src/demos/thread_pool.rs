//! `thread-pool`: a fixed pool of workers; `map` returns results in input
//! order, "as completed" in finish order.
//!
//! `tasks` tasks of unequal lengths (task t does `work-ms` x (tasks - t) /
//! tasks: later tasks are shorter, so they finish out of input order),
//! computing or waiting by `kind`. First a rayon `ThreadPool` of `workers`
//! threads maps them (`par_iter().map(..).collect()`, as
//! `concurrent.futures`' `executor.map`): the results come back in input
//! order although the tasks finished in another, and both orders are
//! recorded. Then a pool of `workers` plain threads, fed task ids through a
//! channel, sends each result back on another channel as it finishes (as
//! `submit` + `as_completed`): the main thread receives them in finish
//! order. The two pools run one after the other, so each one's wall time is
//! its own.
//!
//! Rayon threads are workers 0..workers (by `rayon::current_thread_index`);
//! the plain pool's are numbered from `PLAIN_POOL_FIRST`, so that the two
//! pools never share a worker row.
//!
//! In processes mode the same tasks run on a live pool of worker processes
//! (`multiprocessing.Pool.map`): each writes its task's result, the task id
//! and its finishing place, into the task's cell of the shared array; the
//! parent gathers the cells in input order, checking that cell i holds task
//! i's result, and sorts them by place for the order they finished in.

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rayon::iter::{IntoParallelRefIterator, ParallelIterator};
use serde::Serialize;

use super::start::spawn;
use crate::catalog::{Kind, MAX_WORKERS, Mode};
use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::probes::WorkerState;
use crate::process::{PoolPlan, PoolResult, Role, run_process_pool, value};
use crate::shm::SharedRegion;
use crate::steps::task_length;
use crate::worker::Worker;

/// The worker index of the plain pool's first thread: above any rayon
/// thread's index.
const PLAIN_POOL_FIRST: usize = MAX_WORKERS as usize;

/// Task ids shown in a result line before the rest is cut.
const SHOWN_IDS: usize = 8;

/// What the two pools (in processes mode, the process pool) returned in a
/// round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolOutcome {
    /// `threads` or `processes`.
    pub mode: Mode,
    /// `cpu` or `io`.
    pub kind: Kind,
    /// Threads in each pool, or worker processes.
    pub workers: usize,
    /// Tasks given to each pool.
    pub tasks: u64,
    /// Task ids in the order the map returned their results (rayon's, or
    /// the cells of the shared array gathered in input order).
    pub map_order: Vec<u64>,
    /// True when `map_order` is the input order (checked, id by id).
    pub order_preserved: bool,
    /// Task ids in the order the map's pool finished them.
    pub map_finish_order: Vec<u64>,
    /// Wall time of the map, milliseconds.
    pub map_wall_ms: f64,
    /// Task ids in the order they completed: as the plain pool handed back
    /// their results ("as completed"); in processes mode, by the finishing
    /// place each worker recorded.
    pub completion_order: Vec<u64>,
    /// Wall time of the plain pool, milliseconds (threads mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_wall_ms: Option<f64>,
    /// Mean start cost of a worker process, from being asked for to ready,
    /// milliseconds (processes mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_start_ms: Option<f64>,
}

impl RoundOutcome for PoolOutcome {
    /// The map's order against the input's; the finish order; wall times.
    fn lines(&self) -> Vec<ResultLine> {
        let mut lines = vec![ResultLine::compare(
            "map order",
            "input order",
            if self.order_preserved {
                "input order"
            } else {
                "another order"
            },
            self.order_preserved,
            format!(
                "results {}; finished {}",
                ids(&self.map_order),
                ids(&self.map_finish_order)
            ),
        )];
        if self.mode == Mode::Processes {
            lines.push(ResultLine::figure(
                "finish order",
                ids(&self.completion_order),
                "by the place each worker process recorded: shorter tasks first".to_owned(),
            ));
            lines.push(ResultLine::figure(
                "wall time",
                format!("{:.0} ms", self.map_wall_ms),
                format!("process pool map, {} worker processes", self.workers),
            ));
            if let Some(start) = self.process_start_ms {
                lines.push(ResultLine::figure(
                    "process start",
                    format!("{start:.2} ms"),
                    "mean, from spawn to ready to work".to_owned(),
                ));
            }
            return lines;
        }
        lines.extend([
            ResultLine::figure(
                "as completed",
                ids(&self.completion_order),
                "each result as its task finished: shorter ones first".to_owned(),
            ),
            ResultLine::figure(
                "wall time",
                format!(
                    "{:.0} / {:.0} ms",
                    self.map_wall_ms,
                    self.completed_wall_ms.unwrap_or(0.0)
                ),
                format!("rayon map / plain pool, {} workers each", self.workers),
            ),
        ]);
        lines
    }
}

/// The first few ids of an order, space-separated.
fn ids(order: &[u64]) -> String {
    let mut text = order
        .iter()
        .take(SHOWN_IDS)
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    if order.len() > SHOWN_IDS {
        text.push_str(" …");
    }
    text
}

/// The demo; its pools live for one round each.
pub struct ThreadPool;

impl ThreadPool {
    /// The pools are built by each round, at its worker count.
    #[must_use]
    pub fn new(_ctx: &RunContext) -> Self {
        Self
    }
}

/// Runs task `id` on `worker` and counts it; false if the run stopped first.
fn run_task(ctx: &RunContext, worker: &Worker, kind: Kind, id: u64, tasks: u64) -> bool {
    let work = task_length(Duration::from_millis(ctx.config.get("work-ms")), id, tasks);
    let finished = match kind {
        Kind::Cpu => worker.compute(work),
        Kind::Io => worker.sleep_io(work),
    };
    worker.set_state(WorkerState::Idle);
    if finished {
        worker.task_done();
        ctx.tasks.done();
    }
    finished
}

/// What the rayon map returned and how long it took.
struct MapRun {
    order: Vec<u64>,
    finish_order: Vec<u64>,
    wall: Duration,
}

/// Maps the tasks on a rayon pool of `workers` threads, keeping the order
/// they finished in too. `None` (the run failed) if the pool cannot start.
fn map(ctx: &RunContext, workers: usize, kind: Kind, tasks: u64) -> Option<MapRun> {
    let input: Vec<u64> = (0..tasks).collect();
    let finish_order = Mutex::new(Vec::with_capacity(input.len()));
    let started = Instant::now();
    // A scoped pool: its threads are joined before `build_scoped` returns, so
    // none outlives the round, and each is a worker from start to end.
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("rayon-{i}"))
        .build_scoped(
            |thread| {
                let index = thread.index();
                let worker = Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                thread.run();
                worker.finish();
            },
            |pool| {
                pool.install(|| {
                    input
                        .par_iter()
                        .map(|&id| {
                            // The wrapper bound this thread; this is a
                            // handle on the same worker for the task.
                            let index = rayon::current_thread_index().unwrap_or(0);
                            let worker = Worker::start(
                                index,
                                ctx.registry.worker(index),
                                ctx.controls.clone(),
                            );
                            run_task(ctx, &worker, kind, id, tasks);
                            finish_order.lock().push(id);
                            id
                        })
                        .collect::<Vec<u64>>()
                })
            },
        );
    match built {
        Ok(order) => Some(MapRun {
            order,
            finish_order: finish_order.into_inner(),
            wall: started.elapsed(),
        }),
        Err(err) => {
            ctx.status
                .fail(format!("cannot start the rayon pool: {err}"));
            ctx.controls.stop();
            None
        }
    }
}

/// Runs the tasks on `workers` plain threads fed by a channel and returns
/// their ids in the order the results came back, with the wall time.
fn as_completed(ctx: &RunContext, workers: usize, kind: Kind, tasks: u64) -> (Vec<u64>, Duration) {
    let started = Instant::now();
    let (submit, queued) = mpsc::channel::<u64>();
    for id in 0..tasks {
        // The receiver lives until the end of this function: cannot fail.
        let _ = submit.send(id);
    }
    drop(submit);
    let queued = Mutex::new(queued);
    let (report, results) = mpsc::channel::<u64>();
    let completion_order = std::thread::scope(|scope| {
        for i in 0..workers {
            let (queued, report) = (&queued, report.clone());
            let index = PLAIN_POOL_FIRST + i;
            let body = move || {
                let worker = Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                loop {
                    // The queue is filled and closed before any worker starts,
                    // so this never blocks for long.
                    let next = queued.lock().recv();
                    let Ok(id) = next else { break };
                    if !run_task(ctx, &worker, kind, id, tasks) {
                        break;
                    }
                    // The receiver outlives every worker: cannot fail.
                    let _ = report.send(id);
                }
                worker.finish();
            };
            if spawn(scope, ctx, &format!("pool-{i}"), body).is_none() {
                break;
            }
        }
        // Ends once every worker has dropped its sender: when the queue is
        // empty or the run stopped.
        drop(report);
        results.iter().collect::<Vec<u64>>()
    });
    (completion_order, started.elapsed())
}

/// The map on a live pool of worker processes (`multiprocessing.Pool.map`).
fn map_in_processes(
    ctx: &RunContext,
    region: &'static SharedRegion,
    kind: Kind,
    tasks: u64,
) -> PoolOutcome {
    // The config keeps `tasks` within the array in processes mode.
    let cells = &region.array[..usize::try_from(tasks)
        .unwrap_or(usize::MAX)
        .min(region.array.len())];
    region.next_task.store(0, Ordering::Relaxed);
    region.values[value::PLACES].store(0, Ordering::Relaxed);
    for cell in cells {
        cell.store(0, Ordering::Relaxed);
    }
    let work_ms = ctx.config.get("work-ms");
    let role = |_| Role::Pool {
        kind,
        work_ms,
        total: tasks,
        uneven: true,
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
    // Gathered in input order, as `map` returns them; a task that never
    // finished leaves a gap, and `order_preserved` says so.
    let gathered: Vec<PoolResult> = cells
        .iter()
        .filter_map(|cell| PoolResult::from_cell(cell.load(Ordering::Relaxed)))
        .collect();
    let map_order: Vec<u64> = gathered.iter().map(|r| r.task).collect();
    let mut by_place = gathered;
    by_place.sort_by_key(|r| r.place);
    let finish_order: Vec<u64> = by_place.iter().map(|r| r.task).collect();
    let starts = &run.start_latency;
    PoolOutcome {
        mode: Mode::Processes,
        kind,
        workers: ctx.controls.workers(),
        tasks,
        order_preserved: map_order.iter().copied().eq(0..tasks),
        map_order,
        map_finish_order: finish_order.clone(),
        map_wall_ms: run.wall.as_secs_f64() * 1e3,
        completion_order: finish_order,
        completed_wall_ms: None,
        process_start_ms: (!starts.is_empty()).then(|| {
            starts.iter().map(Duration::as_secs_f64).sum::<f64>() * 1e3 / starts.len() as f64
        }),
    }
}

impl Demo for ThreadPool {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let workers = ctx.controls.workers();
        let tasks = ctx.config.get("tasks");
        let kind = ctx.config.kind.unwrap_or(Kind::Cpu);
        if let Some(region) = ctx.region() {
            ctx.tasks.start_round(tasks);
            return Outcome::new(map_in_processes(ctx, region, kind, tasks));
        }
        ctx.tasks.start_round(2 * tasks);
        let mapped = map(ctx, workers, kind, tasks);
        let (completion_order, completed_wall) = if ctx.controls.is_stopping() {
            (Vec::new(), Duration::ZERO)
        } else {
            as_completed(ctx, workers, kind, tasks)
        };
        let (map_order, map_finish_order, map_wall) = mapped
            .map_or((Vec::new(), Vec::new(), Duration::ZERO), |run| {
                (run.order, run.finish_order, run.wall)
            });
        Outcome::new(PoolOutcome {
            mode: Mode::Threads,
            kind,
            workers,
            tasks,
            order_preserved: map_order.iter().copied().eq(0..tasks),
            map_order,
            map_finish_order,
            map_wall_ms: map_wall.as_secs_f64() * 1e3,
            completion_order,
            completed_wall_ms: Some(completed_wall.as_secs_f64() * 1e3),
            process_start_ms: None,
        })
    }
}
