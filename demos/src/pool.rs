//! A pool of worker threads whose size follows the controls live.
//!
//! Workers take task numbers from one shared counter until none are left.
//! When the dashboard asks for more workers, new ones start within one
//! supervisor tick; when it asks for fewer, the surplus ones finish their
//! current task and leave. Each worker thread is named `worker-N`, so the
//! thread table and the worker rows name the same thing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::context::RunContext;
use crate::worker::Worker;

/// How often the supervisor looks at the wanted worker count.
const SUPERVISOR_TICK: Duration = Duration::from_millis(10);

/// What a pool run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PoolRun {
    /// Wall time from the first task handed out to the last finished.
    pub wall: Duration,
    /// Tasks finished (fewer than asked if the run was stopped).
    pub done: u64,
}

/// Runs tasks `0..total` on a pool sized by `ctx.controls.workers()`.
/// `task` returns false when it was cut short by a stop.
pub(crate) fn run_pool<F>(ctx: &RunContext, total: u64, task: F) -> PoolRun
where
    F: Fn(&Worker, u64) -> bool + Sync,
{
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let started = Instant::now();
    // One flag per worker slot: true while a thread runs in that slot.
    let mut running: Vec<Arc<AtomicBool>> = Vec::new();
    std::thread::scope(|scope| {
        loop {
            let wanted = ctx.controls.workers();
            let work_left = next.load(Ordering::Relaxed) < total;
            let stopping = ctx.controls.is_stopping();
            if work_left && !stopping {
                while running.len() < wanted {
                    running.push(Arc::new(AtomicBool::new(false)));
                }
                for (index, slot) in running.iter().enumerate().take(wanted) {
                    if !slot.swap(true, Ordering::AcqRel) {
                        let spawned = spawn_worker(
                            scope,
                            ctx,
                            index,
                            Arc::clone(slot),
                            &next,
                            &done,
                            total,
                            &task,
                        );
                        if let Err(err) = spawned {
                            // Out of threads (or memory): say so and wind down
                            // rather than wait for a worker that never started.
                            slot.store(false, Ordering::Release);
                            ctx.status
                                .fail(format!("cannot start worker {index}: {err}"));
                            ctx.controls.stop();
                        }
                    }
                }
            }
            let busy = running.iter().any(|slot| slot.load(Ordering::Acquire));
            if !busy && (!work_left || stopping) {
                break;
            }
            std::thread::sleep(SUPERVISOR_TICK);
        }
    });
    PoolRun {
        wall: started.elapsed(),
        done: done.load(Ordering::Relaxed),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename them"
)]
fn spawn_worker<'scope, 'env, F>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    ctx: &'env RunContext,
    index: usize,
    slot: Arc<AtomicBool>,
    next: &'env AtomicU64,
    done: &'env AtomicU64,
    total: u64,
    task: &'env F,
) -> std::io::Result<()>
where
    F: Fn(&Worker, u64) -> bool + Sync,
{
    let asked = Instant::now();
    let body = move || {
        let worker = Worker::start(index, ctx.registry.worker(index), Arc::clone(&ctx.controls));
        ctx.status.worker_started(asked.elapsed());
        loop {
            // A worker beyond the wanted count retires between tasks.
            if index >= ctx.controls.workers() || !worker.checkpoint() {
                break;
            }
            let number = next.fetch_add(1, Ordering::Relaxed);
            if number >= total {
                break;
            }
            if !task(&worker, number) {
                break;
            }
            worker.set_state(crate::probes::WorkerState::Idle);
            worker.task_done();
            ctx.tasks.done();
            done.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(kib) = crate::worker::own_stack_resident_kib() {
            ctx.status.worker_memory(kib);
        }
        worker.finish();
        slot.store(false, Ordering::Release);
    };
    std::thread::Builder::new()
        .name(format!("worker-{index}"))
        .spawn_scoped(scope, body)
        .map(drop)
}
