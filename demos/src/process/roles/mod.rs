//! What worker processes do, one module per concept: pools of tasks, memory
//! (shared or not), the queue, the pipe and the manager. `child.rs`
//! dispatches to them.
//!
//! Each role returns an error only when it could not do its job (a peer that
//! never came, a socket taken); the child then exits with `ROLE_FAILED`, so
//! the parent reports it. A stop is not an error.

pub(super) mod manager;
pub(super) mod memory;
pub(super) mod pipe;
pub(super) mod pool;
pub(super) mod queue;

use std::time::Instant;

use super::ipc::PEER_DEADLINE;
use crate::shm::{SharedRegion, WorkerSlot};
use crate::worker::Worker;

/// While to go on waiting for the peer in `peer_slot` to connect or listen:
/// not once the run stops, the peer has ended, or `PEER_DEADLINE` passed.
pub(super) fn waiting_for<'a>(
    region: &'a SharedRegion,
    worker: &'a Worker,
    peer_slot: usize,
) -> impl Fn() -> bool + 'a {
    let deadline = Instant::now() + PEER_DEADLINE;
    move || {
        worker.checkpoint()
            && Instant::now() < deadline
            && !region
                .workers
                .get(peer_slot)
                .is_some_and(WorkerSlot::has_ended)
    }
}
