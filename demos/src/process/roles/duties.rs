//! What every role does besides its own work, and the child's dispatch
//! needs too: a finished task counted, a turn taken, bytes counted as sent,
//! a crash on request. Kept apart from `child.rs`, which dispatches to the
//! roles, so that no role reaches back up into it.

use std::sync::atomic::Ordering;

use nix::sys::signal::Signal;

use crate::probes::WorkerState;
use crate::shm::SharedRegion;
use crate::worker::Worker;

/// One finished task: counted in the probe and the run's totals; the fault
/// crashes the process right after the first.
pub(in crate::process) fn task_done(region: &SharedRegion, worker: &Worker, crash: bool) {
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
pub(in crate::process) fn crash_now() -> ! {
    loop {
        let _ = nix::sys::signal::raise(Signal::SIGSEGV);
    }
}

/// A pool worker's step boundary: paused here while the run is paused;
/// false when the run stops or this slot is beyond the wanted worker count.
pub(in crate::process) fn take_turn(worker: &Worker) -> bool {
    worker.checkpoint() && worker.index() < worker.controls().workers()
}

/// Counts `bytes` sent to another process in `slot`.
pub(in crate::process) fn bytes_sent(region: &SharedRegion, slot: usize, bytes: u64) {
    if let Some(slot) = region.workers.get(slot) {
        slot.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
    }
}
