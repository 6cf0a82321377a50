//! The steps a demo's thread half and its worker processes' half both take,
//! so that the two halves run the very same code and compare fairly. The
//! demos (`demos/*`) and the worker processes' roles (`process/roles/*`)
//! import these; this module imports neither.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::probes::WorkerState;
use crate::worker::Worker;

/// The work between reading the counter and writing it back, as the few
/// bytecodes between `LOAD` and `STORE` of `counter += 1` in Python: a few
/// dozen nanoseconds that widen the window in which an update can be lost.
/// Every variant does it, so their times compare fairly. Always returns 1.
pub(crate) fn think(seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..8 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    u64::from(std::hint::black_box(x) != 0)
}

/// The program's global counter. In a worker process, that process's own
/// copy; in the dashboard's process, the parent's.
pub(crate) static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Adds 1 to this process's `COUNTER` `iterations` times (atomically, so
/// that threads sharing it lose nothing: the lesson here is whose memory it
/// is, not races). False if the run stopped first.
pub(crate) fn count(worker: &Worker, iterations: u64) -> bool {
    worker.set_state(WorkerState::Computing);
    for i in 0..iterations {
        if i % 65_536 == 0 && !worker.checkpoint() {
            return false;
        }
        COUNTER.fetch_add(1, Ordering::Relaxed);
    }
    worker.set_state(WorkerState::Idle);
    true
}

/// The cells of an array of `len` that worker `index` of `workers` fills:
/// equal stripes, the remainder spread over them. Empty for a worker beyond
/// `workers`.
pub(crate) fn stripe(index: usize, workers: u64, len: usize) -> Range<usize> {
    let workers = usize::try_from(workers).unwrap_or(usize::MAX).max(1);
    if index >= workers {
        return len..len;
    }
    index * len / workers..(index + 1) * len / workers
}

/// Task `id`'s length: later tasks are shorter.
pub(crate) fn task_length(work: Duration, id: u64, tasks: u64) -> Duration {
    let share = work.as_nanos() * u128::from(tasks - id) / u128::from(tasks.max(1));
    Duration::from_nanos(u64::try_from(share).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stripes_of_an_uneven_split() {
        assert_eq!(stripe(0, 3, 10), 0..3);
        assert_eq!(stripe(1, 3, 10), 3..6);
        assert_eq!(stripe(2, 3, 10), 6..10);
        assert!(stripe(3, 3, 10).is_empty(), "no such worker");
        assert_eq!(stripe(0, 0, 4), 0..4, "zero workers reads as one");
    }

    proptest! {
        #[test]
        fn stripes_tile_the_array(workers in 1u64..=64, len in 0usize..=1024) {
            let mut next = 0;
            for index in 0..workers as usize {
                let cells = stripe(index, workers, len);
                prop_assert_eq!(cells.start, next);
                next = cells.end;
            }
            prop_assert_eq!(next, len);
        }
    }
}
