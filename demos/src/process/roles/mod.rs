//! What worker processes do, one module per concept: pools of tasks, memory
//! (shared or not), the queue, the pipe and the manager. `child.rs`
//! dispatches to them.
//!
//! Each role returns an error only when it could not do its job (no
//! channel, a peer that broke the protocol or died); the child then exits
//! with `ROLE_FAILED`, so the parent reports it. A stop is not an error.

pub(super) mod duties;
pub(super) mod manager;
pub(super) mod memory;
pub(super) mod pipe;
pub(super) mod pool;
pub(super) mod queue;
