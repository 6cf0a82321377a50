//! Memory between processes: counters in the shared region (`race`).

use std::sync::atomic::Ordering;

use super::super::child::task_done;
use super::super::spec::value;
use crate::demos::race::think;
use crate::probes::WorkerState;
use crate::shm::SharedRegion;
use crate::worker::Worker;

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
