//! What a demo's code sees while it runs: the [`Demo`] trait every demo
//! implements, and the [`RunContext`] each round gets (configuration,
//! probes, live controls, progress).
//!
//! This is the runner's vocabulary, below the demos: a demo imports it and
//! `outcome`, and the runner (`run`) and the table of demos (`registry`)
//! sit above them both.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::config::DemoConfig;
use crate::control::Controls;
use crate::outcome::Outcome;
use crate::probes::{ProbeRef, ProbeRegistry, TaskStats};
use crate::shm::{RegionClaim, SharedRegion};

/// One demo, built for one run.
pub trait Demo: Send {
    /// Runs one round with the current controls and returns what happened.
    fn round(&mut self, ctx: &RunContext) -> Outcome;
}

/// Everything a demo's code may use while it runs.
#[derive(Debug)]
pub struct RunContext {
    /// What was asked for.
    pub config: DemoConfig,
    /// Where the demo registers its probes.
    pub registry: Arc<ProbeRegistry>,
    /// Live knobs.
    pub controls: Arc<Controls>,
    /// The demo's task counter.
    pub tasks: ProbeRef<TaskStats>,
    /// Progress the dashboard shows.
    pub status: RunStatus,
    /// The shared region, held for this run in process mode.
    pub region: Option<RegionClaim>,
}

impl RunContext {
    /// The shared region in process mode; `None` in the other modes.
    #[must_use]
    pub fn region(&self) -> Option<&'static SharedRegion> {
        self.region.as_ref().map(RegionClaim::region)
    }
}

/// How a run progresses, as the dashboard sees it.
#[derive(Debug, Default)]
pub struct RunStatus {
    pub(crate) round: AtomicU64,
    pub(crate) finished: AtomicBool,
    /// The last finished round's number and outcome.
    pub(crate) outcome: Mutex<Option<(u64, Outcome)>>,
    pub(crate) error: Mutex<Option<String>>,
    /// Workers that failed (a crashed process) without ending the run.
    pub(crate) failures: Mutex<Vec<String>>,
    /// Worker start latencies: count, sum and max, nanoseconds.
    pub(crate) starts: Mutex<(u64, u64, u64)>,
    /// Worker threads' resident stacks: count and sum, KiB.
    pub(crate) stacks: Mutex<(u64, u64)>,
    /// The process's CPU time and the clock when the rounds began and ended:
    /// the run's own parallelism, exact whatever the sampling interval.
    pub(crate) cpu_window: Mutex<(Option<CpuMark>, Option<CpuMark>)>,
    pub(crate) ended: Mutex<Option<Instant>>,
    /// Workers (threads or processes) started so far: a sampler that sees
    /// it move knows that new workers run, and can look at them at once.
    pub(crate) started: AtomicU64,
}

/// The process's CPU time at an instant.
pub(crate) type CpuMark = (Duration, Instant);

/// Most worker failures kept for the screen and the report (the rest are
/// counted, not listed): memory must not grow with a crashing worker.
const MAX_FAILURES: usize = 32;

impl RunStatus {
    /// Records a failure that ends the run; the first one wins.
    pub fn fail(&self, message: String) {
        self.error.lock().get_or_insert(message);
    }

    /// Records a worker that failed while the run goes on.
    pub fn worker_failed(&self, message: String) {
        let mut failures = self.failures.lock();
        if failures.len() < MAX_FAILURES {
            failures.push(message);
        }
    }

    /// Records `count` workers started as one batch that took `span` from the
    /// first request to the last one running: each is counted at the mean.
    pub fn workers_started_together(&self, count: u64, span: std::time::Duration) {
        let ns = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX);
        self.started.fetch_add(count, Ordering::Release);
        let mut starts = self.starts.lock();
        *starts = (
            starts.0 + count,
            starts.1.saturating_add(ns),
            starts.2.max(ns / count.max(1)),
        );
    }

    /// Records a worker thread's resident stack, KiB, as it ends.
    pub fn worker_memory(&self, kib: u64) {
        let mut stacks = self.stacks.lock();
        *stacks = (stacks.0 + 1, stacks.1.saturating_add(kib));
    }

    /// Records a worker (thread or process) spawned; it may still be
    /// starting, or wait to be released.
    pub fn worker_spawned(&self) {
        // Release: a sampler that sees the count move sees the thread's start.
        self.started.fetch_add(1, Ordering::Release);
    }

    /// Records how long a worker took from being asked for to being ready.
    pub fn worker_started(&self, latency: std::time::Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.started.fetch_add(1, Ordering::Release);
        let mut starts = self.starts.lock();
        *starts = (starts.0 + 1, starts.1.saturating_add(ns), starts.2.max(ns));
    }
}
