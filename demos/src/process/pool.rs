//! A pool of worker processes whose size follows the controls live, the
//! process twin of `crate::pool`.
//!
//! The parent keeps the region's controls in step with its own, starts a
//! process per wanted slot while work is left, and reaps them as they end.
//! A worker that crashes is reported (slot, pid, signal) and its slot is
//! started again, as `multiprocessing.Pool` replaces a dead worker; the run
//! goes on. On a stop, workers get a moment to finish their step, then the
//! ones left are killed. A worker talking to a peer learns that the peer is
//! gone from its channel (see `ipc`).

use std::os::fd::OwnedFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::launcher::{Exit, Launcher};
use super::spec::{ChildSpec, Role};
use crate::context::RunContext;
use crate::shm::{MAX_PROCESSES, SharedRegion};

/// How often the parent looks at the wanted count and the children.
const SUPERVISOR_TICK: Duration = Duration::from_millis(10);
/// How long stopped workers get to end on their own before being killed.
pub const STOP_GRACE: Duration = Duration::from_millis(500);

/// What a process pool round did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessRun {
    /// Wall time from the first spawn to the last exit.
    pub wall: Duration,
    /// Processes started.
    pub started: usize,
    /// How long each worker took from being asked for to being ready.
    pub start_latency: Vec<Duration>,
    /// Workers that did not end cleanly.
    pub failures: Vec<Exit>,
}

/// Which slots a round runs, and with what.
pub struct PoolPlan<'a> {
    /// The role of the worker in each slot.
    pub role: &'a dyn Fn(usize) -> Role,
    /// True while more workers should be started (work is left). Asked at
    /// every supervisor tick while the run goes on.
    pub more: &'a dyn Fn(&SharedRegion) -> bool,
    /// Slots start from this one (a second pool in the same run).
    pub first_slot: usize,
    /// Grow and shrink with the controls' worker count (a pool), or run
    /// exactly `fixed` workers (producers, consumers).
    pub fixed: Option<usize>,
}

/// Runs worker processes for one round until none is left running and no
/// more are wanted.
pub fn run_process_pool(
    ctx: &RunContext,
    region: &'static SharedRegion,
    plan: &PoolPlan<'_>,
) -> ProcessRun {
    run_process_pool_with(ctx, region, plan, &|_| Ok(None))
}

/// [`run_process_pool`], each worker given the channel end `channel` makes
/// for its slot (`None`: no channel). A channel that cannot be made fails
/// the run as a spawn that failed does.
pub fn run_process_pool_with(
    ctx: &RunContext,
    region: &'static SharedRegion,
    plan: &PoolPlan<'_>,
    channel: &dyn Fn(usize) -> std::io::Result<Option<OwnedFd>>,
) -> ProcessRun {
    let mut launcher = Launcher::new();
    let mut run = ProcessRun::default();
    let started = Instant::now();
    let mut first_spawn = [true; MAX_PROCESSES];
    loop {
        region.controls.publish(&ctx.controls);
        for exit in launcher.reap() {
            note_exit(ctx, region, &mut run, exit);
        }
        let stopping = ctx.controls.is_stopping();
        let wanted = plan
            .fixed
            .unwrap_or_else(|| ctx.controls.workers())
            .min(MAX_PROCESSES - plan.first_slot);
        if !stopping && (plan.more)(region) {
            let slots = first_spawn
                .iter_mut()
                .enumerate()
                .skip(plan.first_slot)
                .take(wanted);
            for (slot, first) in slots {
                if launcher.is_running(slot) || (plan.fixed.is_some() && !*first) {
                    continue;
                }
                let fault = std::mem::replace(first, false)
                    .then(|| ctx.config.faults.get(&slot).copied())
                    .flatten();
                let spec = ChildSpec {
                    slot,
                    role: (plan.role)(slot),
                    fault,
                };
                let spawned =
                    channel(slot).and_then(|channel| launcher.spawn_with(region, &spec, channel));
                match spawned {
                    Ok(_) => {
                        run.started += 1;
                        ctx.status.worker_spawned();
                        ctx.registry
                            .register_worker_shared(slot, &region.workers[slot].probe);
                    }
                    Err(err) => {
                        ctx.status
                            .fail(format!("cannot start worker process {slot}: {err}"));
                        ctx.controls.stop();
                    }
                }
            }
        }
        if launcher.running() == 0 && (stopping || !(plan.more)(region) || plan.fixed.is_some()) {
            break;
        }
        if stopping {
            region.controls.publish(&ctx.controls);
            for exit in launcher.stop_all(STOP_GRACE) {
                note_exit(ctx, region, &mut run, exit);
            }
            break;
        }
        std::thread::sleep(SUPERVISOR_TICK);
    }
    run.wall = started.elapsed();
    run
}

/// Records how a worker ended: its start latency, and a failure if it was not
/// a clean exit.
fn note_exit(ctx: &RunContext, region: &SharedRegion, run: &mut ProcessRun, exit: Exit) {
    let slot = &region.workers[exit.slot];
    let (asked, ready) = (
        slot.spawned_ns.load(Ordering::Relaxed),
        slot.ready_ns.load(Ordering::Relaxed),
    );
    if ready > asked {
        let latency = Duration::from_nanos(ready - asked);
        run.start_latency.push(latency);
        ctx.status.worker_started(latency);
    }
    if !exit.clean {
        ctx.status.worker_failed(format!(
            "worker {} (pid {}) {}",
            exit.slot, exit.pid, exit.how
        ));
        run.failures.push(exit);
    }
}
