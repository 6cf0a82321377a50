//! An instrumented reusable barrier.
//!
//! Owns `BarrierStats` and `InstrumentedBarrier`. The last party to arrive
//! must release the others without blocking or reading the clock.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};

use crate::probes::ProbeRef;
use crate::probes::clock::now_ns;
use crate::probes::histogram::{Histogram, HistogramSummary};
use crate::probes::worker::{WaitMark, WorkerState};

/// Counters and timings of one barrier (relaxed atomics).
#[repr(C)]
#[derive(Debug)]
pub struct BarrierStats {
    /// Threads that must arrive to release the barrier; set at initialisation.
    parties: AtomicU32,
    /// Threads arrived and waiting in the current generation.
    arrived: AtomicU32,
    /// Times the barrier has released all its parties.
    generations: AtomicU64,
    /// Time each waiting party spent blocked, in nanoseconds (the last to
    /// arrive does not block and records nothing).
    wait: Histogram,
}

/// A plain copy of one barrier's statistics, named.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct BarrierReport {
    /// The name the demo registered the barrier under.
    pub name: String,
    /// Threads that must arrive to release the barrier.
    pub parties: u32,
    /// Threads waiting at the time of the report.
    pub arrived: u32,
    /// Times the barrier has released.
    pub generations: u64,
    /// Time blocked per waiting party, in nanoseconds.
    pub wait: HistogramSummary,
}

impl BarrierStats {
    /// Empty statistics (all zero; `parties` is set at initialisation).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            parties: AtomicU32::new(0),
            arrived: AtomicU32::new(0),
            generations: AtomicU64::new(0),
            wait: Histogram::new(),
        }
    }

    /// Records how many parties the barrier waits for.
    pub fn set_parties(&self, parties: u32) {
        self.parties.store(parties, Ordering::Relaxed);
    }

    /// Copies the statistics out under `name`.
    #[must_use]
    pub fn report(&self, name: &str) -> BarrierReport {
        BarrierReport {
            name: name.to_owned(),
            parties: self.parties.load(Ordering::Relaxed),
            arrived: self.arrived.load(Ordering::Relaxed),
            generations: self.generations.load(Ordering::Relaxed),
            wait: self.wait.summary(),
        }
    }
}

impl Default for BarrierStats {
    fn default() -> Self {
        Self::new()
    }
}

/// A reusable barrier: each generation releases once `parties` threads have
/// called `wait` (Python's `threading.Barrier`, without abort or timeout).
#[derive(Debug)]
pub struct InstrumentedBarrier {
    /// Arrivals in the current generation, and the generation number.
    state: Mutex<(u32, u64)>,
    released: Condvar,
    parties: u32,
    stats: ProbeRef<BarrierStats>,
}

impl InstrumentedBarrier {
    /// A barrier for `parties` threads reporting into `stats`, or `None` when
    /// `parties` is zero.
    #[must_use]
    pub fn new(parties: u32, stats: ProbeRef<BarrierStats>) -> Option<Self> {
        if parties == 0 {
            return None;
        }
        stats.set_parties(parties);
        Some(Self {
            state: Mutex::new((0, 0)),
            released: Condvar::new(),
            parties,
            stats,
        })
    }

    /// The statistics this barrier reports into.
    #[must_use]
    pub fn stats(&self) -> &BarrierStats {
        &self.stats
    }

    /// Arrives and blocks until all parties have arrived. Returns `true` for
    /// exactly one party per generation, the last to arrive (which never
    /// blocks).
    pub fn wait(&self) -> bool {
        let mut state = self.state.lock();
        let (arrived, generation) = &mut *state;
        *arrived += 1;
        // Stores, not read-modify-writes: only written under `state`.
        if *arrived == self.parties {
            *arrived = 0;
            *generation += 1;
            self.stats.arrived.store(0, Ordering::Relaxed);
            self.stats.generations.store(*generation, Ordering::Relaxed);
            self.released.notify_all();
            return true;
        }
        self.stats.arrived.store(*arrived, Ordering::Relaxed);
        let mine = *generation;
        let asked_ns = now_ns();
        let mark = WaitMark::begin(WorkerState::WaitingLock, asked_ns);
        while state.1 == mine {
            self.released.wait(&mut state);
        }
        drop(state);
        let got_ns = now_ns();
        mark.end(got_ns);
        self.stats.wait.record(got_ns.saturating_sub(asked_ns));
        false
    }
}
