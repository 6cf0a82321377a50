//! Memory between processes: counters in the shared region (`race`), a
//! counter each process has its own copy of (`separate-memory`), and values
//! and an array in the region (`shared-value`, Python's
//! `multiprocessing.Value` and `Array`).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::super::spec::value;
use super::duties::task_done;
use crate::probes::WorkerState;
use crate::shm::SharedRegion;
use crate::steps::{COUNTER, count, stripe, think};
use crate::worker::Worker;

/// The longest a worker waits at the start line for the others (one that
/// crashed on the way never arrives).
const START_LINE_WAIT: Duration = Duration::from_secs(2);

/// `race`: adds 1 to a counter in shared memory `iterations` times, the
/// `variant`'s way: the same read, work, write as the thread version.
pub(in crate::process) fn race(
    region: &SharedRegion,
    worker: &Worker,
    variant: &str,
    iterations: u64,
    crash: bool,
) {
    worker.set_state(WorkerState::Computing);
    for i in 0..iterations {
        if i % 65_536 == 0 && !worker.checkpoint() {
            return;
        }
        match variant {
            "unsynchronized" => {
                let seen = region.values[value::RACE_UNSYNCHRONIZED].load(Ordering::Relaxed);
                region.values[value::RACE_UNSYNCHRONIZED]
                    .store(seen + think(seen), Ordering::Relaxed);
            }
            "locked" => {
                let _guard = region.locks[1].lock();
                let seen = region.values[value::RACE_LOCKED].load(Ordering::Relaxed);
                region.values[value::RACE_LOCKED].store(seen + think(seen), Ordering::Relaxed);
            }
            _ => {
                region.values[value::RACE_ATOMIC].fetch_add(think(i), Ordering::Relaxed);
            }
        }
    }
    task_done(region, worker, crash);
}

/// `separate-memory`: counts in this process's own `COUNTER` and reports the
/// copy's value in `array[slot]`, the only way the parent can learn it.
pub(in crate::process) fn own_counter(
    region: &SharedRegion,
    worker: &Worker,
    iterations: u64,
    crash: bool,
) {
    if !count(worker, iterations) {
        return;
    }
    if let Some(report) = region.array.get(worker.index()) {
        report.store(COUNTER.load(Ordering::Relaxed), Ordering::Relaxed);
    }
    task_done(region, worker, crash);
}

/// `shared-value`: the lost updates of a shared value without a lock, the
/// exact count with one, and a stripe of the shared array.
pub(in crate::process) fn shared_value(
    region: &SharedRegion,
    worker: &Worker,
    iterations: u64,
    workers: u64,
    crash: bool,
) {
    if !start_line(region, worker, workers) {
        return;
    }
    worker.set_state(WorkerState::Computing);
    let unlocked = &region.values[value::SHARED_UNLOCKED];
    for i in 0..iterations {
        if i % 65_536 == 0 && !worker.checkpoint() {
            return;
        }
        // `value.value += 1` without `get_lock()`: read, add, write.
        let seen = unlocked.load(Ordering::Relaxed);
        unlocked.store(seen + think(seen), Ordering::Relaxed);
    }
    let locked = &region.values[value::SHARED_LOCKED];
    for i in 0..iterations {
        if i % 65_536 == 0 && !worker.checkpoint() {
            return;
        }
        // `with value.get_lock(): value.value += 1`.
        let _guard = region.locks[0].lock();
        let seen = locked.load(Ordering::Relaxed);
        locked.store(seen + think(seen), Ordering::Relaxed);
    }
    let cells = stripe(worker.index(), workers, region.array.len());
    for cell in &region.array[cells] {
        cell.store(worker.index() as u64, Ordering::Relaxed);
    }
    task_done(region, worker, crash);
}

/// Arrives at the start line and waits (yielding) until all `workers` have,
/// so that they count at the same time; gives up waiting after
/// `START_LINE_WAIT`. False when the run stops.
fn start_line(region: &SharedRegion, worker: &Worker, workers: u64) -> bool {
    let arrived = &region.values[value::SHARED_ARRIVED];
    arrived.fetch_add(1, Ordering::AcqRel);
    let deadline = Instant::now() + START_LINE_WAIT;
    while arrived.load(Ordering::Acquire) < workers && Instant::now() < deadline {
        if !worker.checkpoint() {
            return false;
        }
        std::thread::yield_now();
    }
    worker.checkpoint()
}
