//! A simulated global interpreter lock, as `CPython` has.
//!
//! A worker must hold the GIL to compute. After holding it for one switch
//! interval (5 ms by default, `CPython`'s `sys.getswitchinterval()`), it hands
//! it to a waiting worker, if there is one, and queues for it again. The
//! hand-off is fair (`unlock_fair` gives the lock straight to the longest
//! waiter): std's Mutex is not fair, and with it one thread kept the GIL for
//! nearly every slice, which would teach starvation instead of the GIL.
//! Waiting for I/O does not need the GIL, so I/O-bound work still overlaps.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::probes::{
    InstrumentedGuard, InstrumentedMutex, LockStats, Overlap, ProbeRef, WorkerState,
};
use crate::worker::{CpuBurn, Worker};

/// The name the GIL's lock is registered under.
pub const GIL_LOCK_NAME: &str = "GIL";

/// No worker holds the GIL yet.
const NOBODY: usize = usize::MAX;

/// The global lock and its hand-off policy.
#[derive(Debug)]
pub struct Gil {
    lock: InstrumentedMutex<()>,
    switch_interval: Duration,
    /// Workers queued for the GIL now: the holder hands over only when
    /// someone waits, as `CPython`'s eval loop does on a drop request.
    waiting: AtomicU32,
    /// The index of the worker that took the GIL last.
    last_holder: AtomicUsize,
    /// Times the GIL passed from one worker to another.
    switches: AtomicU64,
}

impl Gil {
    /// A GIL recording into `stats`, handing over every `switch_interval`.
    #[must_use]
    pub fn new(stats: ProbeRef<LockStats>, switch_interval: Duration) -> Self {
        Self {
            lock: InstrumentedMutex::new((), stats).waits_as(WorkerState::WaitingGil),
            switch_interval,
            waiting: AtomicU32::new(0),
            last_holder: AtomicUsize::new(NOBODY),
            switches: AtomicU64::new(0),
        }
    }

    /// Times the GIL passed from one worker to another so far.
    #[must_use]
    pub fn switches(&self) -> u64 {
        self.switches.load(Ordering::Relaxed)
    }

    /// Computes for `cpu` of thread CPU time while holding the GIL, handing it
    /// over each switch interval when another worker waits, and counted in
    /// `computing` only while it holds the GIL. False if the run stopped
    /// first.
    pub fn compute(&self, worker: &Worker, cpu: Duration, computing: &Overlap) -> bool {
        let interval = worker.controls().stretch(self.switch_interval);
        worker.set_state(WorkerState::Computing);
        let mut guard = self.acquire(worker);
        let mut inside = computing.enter();
        let mut burn = CpuBurn::new(worker.controls().stretch(cpu));
        let mut held_since = Instant::now();
        loop {
            if burn.step() {
                return true;
            }
            if !worker.checkpoint() {
                return false;
            }
            if held_since.elapsed() >= interval && self.waiting.load(Ordering::Relaxed) > 0 {
                drop(inside);
                guard.unlock_fair();
                guard = self.acquire(worker);
                inside = computing.enter();
                held_since = Instant::now();
            }
        }
    }

    fn acquire(&self, worker: &Worker) -> InstrumentedGuard<'_, ()> {
        // Relaxed: `waiting` is a hint for when to hand over, read by the
        // holder; the lock itself provides every ordering that matters.
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let guard = self.lock.lock();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let previous = self.last_holder.swap(worker.index(), Ordering::Relaxed);
        if previous != NOBODY && previous != worker.index() {
            self.switches.fetch_add(1, Ordering::Relaxed);
        }
        guard
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::Controls;
    use crate::probes::WorkerProbe;
    use crate::worker::thread_cpu_time;
    use std::sync::Arc;

    #[test]
    fn two_workers_take_turns_and_never_compute_at_once() {
        let stats = ProbeRef::new(LockStats::new());
        let gil = Gil::new(stats.clone(), Duration::from_millis(2));
        let controls = Arc::new(Controls::new(2));
        let computing = Overlap::new();
        let cpu_each = Duration::from_millis(100);
        std::thread::scope(|scope| {
            for index in 0..2 {
                let (gil, controls, computing) = (&gil, Arc::clone(&controls), &computing);
                scope.spawn(move || {
                    let worker = Worker::start(index, ProbeRef::new(WorkerProbe::new()), controls);
                    let before = thread_cpu_time();
                    assert!(gil.compute(&worker, cpu_each, computing));
                    assert!(thread_cpu_time().saturating_sub(before) >= cpu_each);
                    let waited = worker.probe().read().state_ns[WorkerState::WaitingGil as usize];
                    assert!(waited > 0, "worker {index} never waited for the GIL");
                });
            }
        });
        assert_eq!(
            computing.peak(),
            1,
            "two workers were inside the GIL's section at once"
        );
        // Fair hand-offs every ~2 ms: many switches, not one or two. About
        // 100 on an idle machine; on a busy one a worker that lost the GIL
        // may wait for a CPU before it queues for the GIL again, and the
        // holder keeps it until someone queues: slices grow, to ~11 ms seen.
        assert!(gil.switches() >= 10, "only {} switches", gil.switches());
        assert!(stats.report("gil").contended >= 10);
    }
}
