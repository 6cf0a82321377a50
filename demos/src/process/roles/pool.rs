//! Pools of worker processes taking numbered tasks from the region's
//! counter: `cpu-vs-io` and `thread-pool` (plain tasks, each result in the
//! shared array), and `lock-contention` (tasks around the region's lock).
//! Plain tasks count themselves in the region's overlap while they work.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::super::spec::{PoolResult, value};
use super::duties::{take_turn, task_done};
use crate::catalog::Kind;
use crate::probes::overlap;
use crate::shm::SharedRegion;
use crate::steps::task_length;
use crate::worker::{Worker, thread_cpu_time};

/// A pool round's tasks.
pub(in crate::process) struct Tasks {
    /// Computing or waiting.
    pub kind: Kind,
    /// Work per task (the first task's, when uneven).
    pub work: Duration,
    /// Tasks in the round.
    pub total: u64,
    /// Later tasks shorter (`thread-pool`'s unequal tasks).
    pub uneven: bool,
}

/// Takes tasks until none is left, adding the work each measured to the
/// region, and records each task's result (its finishing place) in its cell
/// of the shared array.
pub(in crate::process) fn pool(region: &SharedRegion, worker: &Worker, tasks: &Tasks, crash: bool) {
    while take_turn(worker) {
        let task = region.next_task.fetch_add(1, Ordering::Relaxed);
        if task >= tasks.total {
            break;
        }
        let work = if tasks.uneven {
            task_length(tasks.work, task, tasks.total)
        } else {
            tasks.work
        };
        let working = overlap::enter(
            &region.values[value::WORKING_NOW],
            &region.values[value::WORKING_PEAK],
        );
        let (finished, spent) = match tasks.kind {
            Kind::Cpu => {
                let before = thread_cpu_time();
                (
                    worker.compute(work),
                    thread_cpu_time().saturating_sub(before),
                )
            }
            Kind::Io => {
                let before = Instant::now();
                (worker.sleep_io(work), before.elapsed())
            }
        };
        drop(working);
        let spent_ns = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        region.values[value::WORK_NS].fetch_add(spent_ns, Ordering::Relaxed);
        if !finished {
            break;
        }
        // The pool's results: which place this task finished in.
        let place = region.values[value::PLACES].fetch_add(1, Ordering::Relaxed);
        if let Some(result) = region
            .array
            .get(usize::try_from(task).unwrap_or(usize::MAX))
        {
            result.store(PoolResult { task, place }.to_cell(), Ordering::Relaxed);
        }
        task_done(region, worker, crash);
    }
}

/// Tasks of `work` outside and `critical` inside the region's first lock.
pub(in crate::process) fn contention(
    region: &SharedRegion,
    worker: &Worker,
    work: Duration,
    critical: Duration,
    total: u64,
    crash: bool,
) {
    while take_turn(worker) {
        if region.next_task.fetch_add(1, Ordering::Relaxed) >= total || !worker.compute(work) {
            break;
        }
        let guard = region.locks[0].lock();
        let finished = worker.compute(critical);
        drop(guard);
        if !finished {
            break;
        }
        task_done(region, worker, crash);
    }
}

/// A map step: computes each task and writes its result, `task² + 1`, to the
/// task's cell of the shared array (0 means no result), for the parent to
/// reduce.
pub(in crate::process) fn map_squares(
    region: &SharedRegion,
    worker: &Worker,
    work: Duration,
    total: u64,
    crash: bool,
) {
    while take_turn(worker) {
        let task = region.next_task.fetch_add(1, Ordering::Relaxed);
        if task >= total || !worker.compute(work) {
            break;
        }
        if let Some(cell) = region
            .array
            .get(usize::try_from(task).unwrap_or(usize::MAX))
        {
            cell.store(task * task + 1, Ordering::Relaxed);
        }
        task_done(region, worker, crash);
    }
}
