//! Instrumented Condition, Event and Barrier, with their statistics.
//!
//! Owns the three primitives Python's `threading` adds to locks and
//! semaphores, one submodule each, built on `parking_lot`'s mutex and
//! condition variable. Each must read the clock and mark the current worker
//! (`WaitingLock`: blocked on another thread) only when a call really blocks.

mod barrier;
mod condition;
mod event;

pub use barrier::{BarrierReport, BarrierStats, InstrumentedBarrier};
pub use condition::{ConditionReport, ConditionStats, InstrumentedCondition};
pub use event::{EventReport, EventStats, InstrumentedEvent};

#[cfg(test)]
mod tests;
