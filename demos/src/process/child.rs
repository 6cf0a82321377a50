//! The worker process's side: what `corescope worker` runs.
//!
//! It ties its life to its parent's before anything else, maps the shared
//! region, follows the run's controls through it, and does its role while
//! reporting through its slot's probe, so the dashboard sees it live.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::roles;
use super::spec::{ChildSpec, Role};
use crate::config::Fault;
use crate::control::Controls;
use crate::probes::ProbeRef;
use crate::probes::clock::now_ns;
use crate::shm::{MAX_PROCESSES, SharedRegion};
use crate::worker::Worker;

/// How often a worker process copies the run's controls from the region.
const FOLLOW_EVERY: Duration = Duration::from_millis(10);

/// Exit code: the parent was gone before the worker could tie itself to it.
pub const ORPHANED: i32 = 3;
/// Exit code: the region or the spec could not be read.
pub const BAD_START: i32 = 4;
/// Exit code: the role could not do its job (it was given no channel, its
/// peer broke the protocol).
pub const ROLE_FAILED: i32 = 5;

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
    // The name the thread table shows, as a worker thread's would be (the
    // kernel named us `exe`, after `/proc/self/exe`). Cosmetic if it fails.
    if let Ok(name) = std::ffi::CString::new(format!("worker-{}", spec.slot)) {
        let _ = nix::sys::prctl::set_name(&name);
    }
    let controls = Arc::new(Controls::new(1));
    region.controls.apply_to(&controls);
    follow_controls(region, Arc::clone(&controls));
    let worker = Worker::start(spec.slot, ProbeRef::Shared(&slot.probe), controls);
    slot.ready_ns.store(now_ns(), Ordering::Relaxed);
    if spec.fault == Some(Fault::Hang) {
        hang();
    }
    let crash_after_first = spec.fault == Some(Fault::Crash);
    let done = run_role(region, &worker, &spec.role, crash_after_first);
    let failed = done.is_err() && !worker.controls().is_stopping();
    worker.finish();
    if failed { ROLE_FAILED } else { 0 }
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

/// Does the role; an error when it could not (not when the run stopped).
fn run_role(
    region: &'static SharedRegion,
    worker: &Worker,
    role: &Role,
    crash: bool,
) -> std::io::Result<()> {
    match role {
        Role::Pool {
            kind,
            work_ms,
            total,
            uneven,
        } => {
            let tasks = roles::pool::Tasks {
                kind: *kind,
                work: Duration::from_millis(*work_ms),
                total: *total,
                uneven: *uneven,
            };
            roles::pool::pool(region, worker, &tasks, crash);
        }
        Role::Contention {
            work_ms,
            critical_ms,
            total,
        } => roles::pool::contention(
            region,
            worker,
            Duration::from_millis(*work_ms),
            Duration::from_millis(*critical_ms),
            *total,
            crash,
        ),
        Role::Race {
            variant,
            iterations,
        } => roles::memory::race(region, worker, variant, *iterations, crash),
        Role::Producer {
            total,
            produce_ms,
            producers,
            consumers,
        } => roles::queue::producer(
            region,
            worker,
            *total,
            Duration::from_millis(*produce_ms),
            (*producers, *consumers),
        ),
        Role::Consumer { work_ms } => {
            roles::queue::consumer(region, worker, Duration::from_millis(*work_ms), crash);
        }
        Role::OwnCounter { iterations } => {
            roles::memory::own_counter(region, worker, *iterations, crash);
        }
        Role::SharedValue {
            iterations,
            workers,
        } => roles::memory::shared_value(region, worker, *iterations, *workers, crash),
        Role::PipeCaller { messages, bytes } => {
            return roles::pipe::caller(region, worker, *messages, *bytes, crash);
        }
        Role::PipeEcho { bytes } => return roles::pipe::echo_end(region, worker, *bytes, crash),
        Role::ManagerServer => return roles::manager::server(region, worker, crash),
        Role::ManagerClient { requests } => {
            return roles::manager::client(region, worker, *requests, crash);
        }
        Role::MapSquares { work_ms, total } => {
            roles::pool::map_squares(
                region,
                worker,
                Duration::from_millis(*work_ms),
                *total,
                crash,
            );
        }
    }
    Ok(())
}
