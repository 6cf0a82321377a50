//! The worker process's side: what `corescope worker` runs.
//!
//! It ties its life to its parent's before anything else, maps the shared
//! region, follows the run's controls through it, and does its role while
//! reporting through its slot's probe, so the dashboard sees it live.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::spec::{ChildSpec, Fault, Role, SENTINEL, value};
use crate::catalog::Kind;
use crate::control::Controls;
use crate::demos::race::think;
use crate::probes::clock::now_ns;
use crate::probes::{ProbeRef, WorkerState};
use crate::shm::{MAX_PROCESSES, SharedRegion};
use crate::worker::{Worker, thread_cpu_time};

/// How often a worker process copies the run's controls from the region.
const FOLLOW_EVERY: Duration = Duration::from_millis(10);

/// Exit code: the parent was gone before the worker could tie itself to it.
pub const ORPHANED: i32 = 3;
/// Exit code: the region or the spec could not be read.
pub const BAD_START: i32 = 4;

/// Runs a worker process to the end and returns its exit code.
#[must_use]
pub fn child_main(fd: i32, parent: i32, spec: &str) -> i32 {
    // First: die with the parent. The signal is armed now, so a parent that
    // dies later kills us; one that died before this line is caught by the
    // check, since we would already have been handed to another parent.
    if nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).is_err()
        || nix::unistd::getppid().as_raw() != parent
    {
        return ORPHANED;
    }
    let Ok(region) = SharedRegion::attach(fd) else {
        return BAD_START;
    };
    let Ok(spec) = ChildSpec::from_arg(spec) else {
        return BAD_START;
    };
    let Some(slot) = region
        .workers
        .get(spec.slot)
        .filter(|_| spec.slot < MAX_PROCESSES)
    else {
        return BAD_START;
    };
    let controls = Arc::new(Controls::new(1));
    region.controls.apply_to(&controls);
    follow_controls(region, Arc::clone(&controls));
    let worker = Worker::start(spec.slot, ProbeRef::Shared(&slot.probe), controls);
    slot.ready_ns.store(now_ns(), Ordering::Relaxed);
    if spec.fault == Some(Fault::Hang) {
        hang();
    }
    let crash_after_first = spec.fault == Some(Fault::Crash);
    run_role(region, &worker, &spec.role, crash_after_first);
    worker.finish();
    0
}

/// A thread that keeps this process's controls in step with the region's.
fn follow_controls(region: &'static SharedRegion, controls: Arc<Controls>) {
    let spawned = std::thread::Builder::new()
        .name("controls".into())
        .spawn(move || {
            while !controls.is_stopping() {
                region.controls.apply_to(&controls);
                std::thread::sleep(FOLLOW_EVERY);
            }
        });
    // Without the thread the worker still runs; it just cannot be paused.
    drop(spawned);
}

fn hang() -> ! {
    loop {
        std::thread::sleep(Duration::from_hours(1));
    }
}

/// One finished task: counted in the probe and the run's totals; the fault
/// crashes the process right after the first.
fn task_done(region: &SharedRegion, worker: &Worker, crash: bool) {
    worker.set_state(WorkerState::Idle);
    worker.task_done();
    region.tasks.done();
    if crash {
        crash_now();
    }
}

/// Crashes this process as a bug would: the parent sees SIGSEGV.
///
/// Rust's runtime catches SIGSEGV to report stack overflows; for any other
/// fault its handler restores the default action and returns, so that the
/// faulting instruction runs again and kills. A raised signal has no
/// instruction to run again: the first one is absorbed, and only the next
/// finds the default action. Hence the loop.
pub(super) fn crash_now() -> ! {
    loop {
        let _ = nix::sys::signal::raise(Signal::SIGSEGV);
    }
}

fn run_role(region: &'static SharedRegion, worker: &Worker, role: &Role, crash: bool) {
    let stopping = || worker.controls().is_stopping();
    match role {
        Role::Pool {
            kind,
            work_ms,
            total,
        } => {
            let work = Duration::from_millis(*work_ms);
            while take_turn(worker) {
                let task = region.next_task.fetch_add(1, Ordering::Relaxed);
                if task >= *total {
                    break;
                }
                let (finished, spent) = match kind {
                    Kind::Cpu => {
                        let before = thread_cpu_time();
                        (
                            worker.compute(work),
                            thread_cpu_time().saturating_sub(before),
                        )
                    }
                    Kind::Io => {
                        let before = std::time::Instant::now();
                        (worker.sleep_io(work), before.elapsed())
                    }
                };
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
                    result.store(place + 1, Ordering::Relaxed);
                }
                task_done(region, worker, crash);
            }
        }
        Role::Contention {
            work_ms,
            critical_ms,
            total,
        } => {
            while take_turn(worker) {
                if region.next_task.fetch_add(1, Ordering::Relaxed) >= *total
                    || !worker.compute(Duration::from_millis(*work_ms))
                {
                    break;
                }
                let guard = region.locks[0].lock();
                let finished = worker.compute(Duration::from_millis(*critical_ms));
                drop(guard);
                if !finished {
                    break;
                }
                task_done(region, worker, crash);
            }
        }
        Role::Race {
            variant,
            iterations,
        } => {
            worker.set_state(WorkerState::Computing);
            for i in 0..*iterations {
                if i % 65_536 == 0 && !worker.checkpoint() {
                    return;
                }
                match variant.as_str() {
                    // The same read, work, write as the thread version.
                    "unsynchronized" => {
                        let seen =
                            region.values[value::RACE_UNSYNCHRONIZED].load(Ordering::Relaxed);
                        region.values[value::RACE_UNSYNCHRONIZED]
                            .store(seen + think(seen), Ordering::Relaxed);
                    }
                    "locked" => {
                        let _guard = region.locks[1].lock();
                        let seen = region.values[value::RACE_LOCKED].load(Ordering::Relaxed);
                        region.values[value::RACE_LOCKED]
                            .store(seen + think(seen), Ordering::Relaxed);
                    }
                    _ => {
                        region.values[value::RACE_ATOMIC].fetch_add(think(i), Ordering::Relaxed);
                    }
                }
            }
            task_done(region, worker, crash);
        }
        Role::Producer {
            total,
            produce_ms,
            producers,
            consumers,
        } => {
            while take_turn(worker) {
                let item = region.next_task.fetch_add(1, Ordering::Relaxed);
                if item >= *total || !worker.sleep_io(Duration::from_millis(*produce_ms)) {
                    break;
                }
                worker.set_state(WorkerState::Idle);
                if !region.queue.send(item, stopping) {
                    break;
                }
                bytes_sent(region, worker.index(), 8);
                region.values[value::PRODUCED].fetch_add(1, Ordering::Relaxed);
                worker.task_done();
            }
            // The last producer out stops the consumers.
            if region.values[value::PRODUCERS_DONE].fetch_add(1, Ordering::AcqRel) + 1 == *producers
            {
                for _ in 0..*consumers {
                    if !region.queue.send(SENTINEL, stopping) {
                        break;
                    }
                }
            }
        }
        Role::Consumer { work_ms } => {
            while let Some(item) = region.queue.recv(stopping) {
                if item == SENTINEL {
                    region.queue.task_done();
                    break;
                }
                worker.compute(Duration::from_millis(*work_ms));
                region.queue.task_done();
                task_done(region, worker, crash);
            }
        }
    }
}

/// A pool worker's step boundary: paused here while the run is paused;
/// false when the run stops or this slot is beyond the wanted worker count.
fn take_turn(worker: &Worker) -> bool {
    worker.checkpoint() && worker.index() < worker.controls().workers()
}

fn bytes_sent(region: &SharedRegion, slot: usize, bytes: u64) {
    if let Some(slot) = region.workers.get(slot) {
        slot.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
    }
}
