//! `race`: a shared counter incremented without a lock loses updates.
//!
//! Each worker adds 1 to a shared counter `iterations` times. Unsynchronized,
//! the increment is a real read-modify-write (a relaxed load, then a store of
//! that value plus one: defined behaviour in Rust, the same interleaving bug
//! as `counter += 1` in Python): two workers read the same value, both write
//! value + 1, one update is lost. Locked (an instrumented mutex) and atomic
//! (`fetch_add`), the count is exact. The workers of a variant are released
//! together by a start flag, so they really overlap.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::probes::{InstrumentedMutex, ProbeRef, WorkerState};
use crate::process::{PoolPlan, Role, run_process_pool, value};
use crate::shm::SharedRegion;
use crate::steps::think;
use crate::worker::Worker;

/// The three ways to count.
const VARIANTS: [&str; 3] = ["unsynchronized", "locked", "atomic"];

/// One variant's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaceVariant {
    /// `unsynchronized`, `locked` or `atomic`.
    pub variant: &'static str,
    /// Workers x iterations.
    pub expected: u64,
    /// The counter's final value.
    pub actual: u64,
    /// `expected - actual`.
    pub lost_updates: u64,
    /// Wall time of the variant, milliseconds.
    pub elapsed_ms: u64,
}

/// The counts of every variant run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaceOutcome {
    /// In the order run.
    pub variants: Vec<RaceVariant>,
}

impl RoundOutcome for RaceOutcome {
    /// One line per variant: expected, actual, lost.
    fn lines(&self) -> Vec<ResultLine> {
        self.variants
            .iter()
            .map(|v| {
                let note = if v.lost_updates == 0 {
                    "exact".to_owned()
                } else {
                    format!("lost {} updates", v.lost_updates)
                };
                ResultLine::compare(v.variant, v.expected, v.actual, v.lost_updates == 0, note)
            })
            .collect()
    }
}

/// The name the locked counter's lock is shown under.
const LOCK_NAME: &str = "counter (locked)";

/// The demo's shared state, kept across rounds.
pub struct Race {
    locked: InstrumentedMutex<u64>,
}

impl Race {
    /// Registers the locked counter's probe.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        // In processes mode the counters and the lock are the region's.
        let stats = match ctx.region() {
            Some(region) => {
                ctx.registry
                    .register_lock_shared(LOCK_NAME, region.locks[1].stats());
                ProbeRef::default()
            }
            None => ctx.registry.lock(LOCK_NAME),
        };
        Self {
            locked: InstrumentedMutex::new(0, stats),
        }
    }

    /// One variant on `workers` worker processes sharing a counter in the
    /// region: the same read, work, write as the threads do.
    fn count_in_processes(
        ctx: &RunContext,
        region: &'static SharedRegion,
        variant: &'static str,
    ) -> Option<RaceVariant> {
        let workers = ctx.controls.workers();
        let iterations = ctx.config.get("iterations");
        let counter = match variant {
            "unsynchronized" => value::RACE_UNSYNCHRONIZED,
            "locked" => value::RACE_LOCKED,
            _ => value::RACE_ATOMIC,
        };
        region.values[counter].store(0, Ordering::Relaxed);
        let started = Instant::now();
        let role = |_| Role::Race {
            variant: variant.to_owned(),
            iterations,
        };
        let more = |_: &SharedRegion| true;
        let plan = PoolPlan {
            role: &role,
            more: &more,
            first_slot: 0,
            fixed: Some(workers),
        };
        run_process_pool(ctx, region, &plan);
        if ctx.controls.is_stopping() {
            return None;
        }
        let expected = workers as u64 * iterations;
        let actual = region.values[counter].load(Ordering::Relaxed);
        Some(RaceVariant {
            variant,
            expected,
            actual,
            lost_updates: expected.saturating_sub(actual),
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }

    fn count(&mut self, ctx: &RunContext, variant: &'static str) -> Option<RaceVariant> {
        let workers = ctx.controls.workers();
        let iterations = ctx.config.get("iterations");
        let racy = AtomicU64::new(0);
        let atomic = AtomicU64::new(0);
        // Exclusive access: resetting (and reading back) the counter is not
        // an acquire, so the lock's figures count only the workers'.
        *self.locked.get_mut() = 0;
        let locked = &self.locked;
        // Raised once every worker is spawned (or a spawn failed), so a missing
        // worker can never leave the others waiting, as a barrier would.
        let start_line = AtomicBool::new(false);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for index in 0..workers {
                let (racy, atomic, start_line) = (&racy, &atomic, &start_line);
                let body = move || {
                    let worker =
                        Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                    while !start_line.load(Ordering::Acquire) {
                        std::thread::yield_now();
                    }
                    worker.set_state(WorkerState::Computing);
                    for i in 0..iterations {
                        // Stopping is checked now and then, not every increment:
                        // the loop must stay tight for the race to show.
                        if i % 65_536 == 0 && !worker.checkpoint() {
                            break;
                        }
                        match variant {
                            "unsynchronized" => {
                                let seen = racy.load(Ordering::Relaxed);
                                let next = seen + think(seen);
                                racy.store(next, Ordering::Relaxed);
                            }
                            "locked" => {
                                let mut counter = locked.lock();
                                *counter += think(*counter);
                            }
                            _ => {
                                atomic.fetch_add(think(i), Ordering::Relaxed);
                            }
                        }
                    }
                    worker.task_done();
                    ctx.tasks.done();
                    worker.finish();
                };
                // Failing to start a thread ends the variant with the counts so far.
                if std::thread::Builder::new()
                    .name(format!("worker-{index}"))
                    .spawn_scoped(scope, body)
                    .is_err()
                {
                    ctx.status.fail(format!("cannot start worker {index}"));
                    ctx.controls.stop();
                    break;
                }
            }
            start_line.store(true, Ordering::Release);
        });
        if ctx.controls.is_stopping() {
            return None;
        }
        let actual = match variant {
            "unsynchronized" => racy.load(Ordering::Relaxed),
            "locked" => *self.locked.get_mut(),
            _ => atomic.load(Ordering::Relaxed),
        };
        let expected = workers as u64 * iterations;
        Some(RaceVariant {
            variant,
            expected,
            actual,
            lost_updates: expected.saturating_sub(actual),
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }
}

impl Demo for Race {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let chosen: Vec<&'static str> = VARIANTS
            .into_iter()
            .filter(|v| ctx.config.variant.is_none_or(|only| only == *v))
            .collect();
        ctx.tasks
            .start_round((chosen.len() * ctx.controls.workers()) as u64);
        let variants = chosen
            .into_iter()
            .map_while(|variant| match ctx.region() {
                Some(region) => Self::count_in_processes(ctx, region, variant),
                None => self.count(ctx, variant),
            })
            .collect();
        Outcome::new(RaceOutcome { variants })
    }
}
