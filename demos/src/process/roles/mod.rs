//! What worker processes do, one module per concept: pools of tasks, memory
//! (shared or not), the queue. `child.rs` dispatches to them.

pub(super) mod memory;
pub(super) mod pool;
pub(super) mod queue;
