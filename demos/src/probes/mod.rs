//! Probes: instrumented primitives and the counters they keep.
//!
//! Owns every stats type a demo reports (locks, semaphores, queues, conditions,
//! events, barriers, workers, tasks), the primitives that fill them, and the
//! registry the dashboard's sampler reads. Each stats type is `#[repr(C)]`,
//! made only of atomics and fixed arrays of them, and all-zero bytes are its
//! empty state, so that child processes can later report through a shared
//! memory mapping of the same structs. Probes must never block the code they
//! measure: the uncontended path of every primitive reads no clock, and a
//! reader only loads atomics.

pub mod clock;
pub mod histogram;
pub mod lock;
pub mod overlap;
pub mod queue;
pub mod registry;
pub mod rlock;
pub mod semaphore;
pub mod sync;
pub mod tasks;
pub mod worker;

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

pub use histogram::{Histogram, HistogramSummary};
pub use lock::{InstrumentedGuard, InstrumentedMutex, LockReport, LockStats};
pub use overlap::Overlap;
pub use queue::{BoundedQueue, QueueReport, QueueStats};
pub use registry::{ProbeRegistry, ProbeReport};
pub use rlock::{InstrumentedReentrantGuard, InstrumentedReentrantMutex};
pub use semaphore::{InstrumentedSemaphore, Permit, SemaphoreReport, SemaphoreStats};
pub use sync::{
    BarrierReport, BarrierStats, ConditionReport, ConditionStats, EventReport, EventStats,
    InstrumentedBarrier, InstrumentedCondition, InstrumentedEvent,
};
pub use tasks::{TaskReport, TaskStats};
pub use worker::{
    WorkerProbe, WorkerReading, WorkerState, clear_current_worker, set_current_worker,
};

/// Where a primitive's stats live: on the heap, shared by `Arc` among the
/// threads of this process, or in a mapping that outlives every user (shared
/// memory read by another process).
pub enum ProbeRef<T: 'static> {
    /// Stats owned by this process.
    Owned(Arc<T>),
    /// Stats in memory that lives for the rest of the program.
    Shared(&'static T),
}

impl<T> ProbeRef<T> {
    /// Stats on the heap, owned by the returned reference and its clones.
    #[must_use]
    pub fn new(stats: T) -> Self {
        Self::Owned(Arc::new(stats))
    }
}

impl<T> Deref for ProbeRef<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Self::Owned(stats) => stats,
            Self::Shared(stats) => stats,
        }
    }
}

impl<T> Clone for ProbeRef<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Owned(stats) => Self::Owned(Arc::clone(stats)),
            Self::Shared(stats) => Self::Shared(stats),
        }
    }
}

impl<T: Default> Default for ProbeRef<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for ProbeRef<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Owned(stats) => f.debug_tuple("Owned").field(stats).finish(),
            Self::Shared(stats) => f.debug_tuple("Shared").field(stats).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Histogram, ProbeRef};

    static SHARED: Histogram = Histogram::new();

    #[test]
    fn owned_and_shared_references_reach_the_same_stats() {
        let owned = ProbeRef::new(Histogram::new());
        let clone = owned.clone();
        assert!(std::ptr::eq(&raw const *owned, &raw const *clone));
        let shared = ProbeRef::Shared(&SHARED);
        assert!(std::ptr::eq(&raw const *shared.clone(), &raw const SHARED));
        assert!(format!("{shared:?}").starts_with("Shared"));
    }
}
