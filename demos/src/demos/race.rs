//! `race`: a shared counter incremented without a lock loses updates.
//!
//! Each worker adds 1 to a shared counter `iterations` times. Unsynchronized,
//! the increment is a real read-modify-write (a relaxed load, then a store of
//! that value plus one: defined behaviour in Rust, the same interleaving bug
//! as `counter += 1` in Python): two workers read the same value, both write
//! value + 1, one update is lost. Locked (an instrumented mutex) and atomic
//! (`fetch_add`), the count is exact. The workers of a variant are released
//! together by a start flag, so they really overlap.
//!
//! The `stepped` variant makes the interleaving watchable: two worker
//! threads do `counter += 1` twice each as three steps, read, add, write,
//! one step at a time in a fixed order, each step held long enough to see
//! (stretched by slow motion). First both read before either writes, so the
//! second write overwrites the first: the lost update. Then one worker's
//! three steps run before the other's, and nothing is lost. Each worker
//! names its thread after the step it is on (`w0 read 0`, `w1 write 1
//! LOST`), so the lanes and the thread table show it as it happens. The
//! full-speed unsynchronized count follows.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

/// The variant that shows the interleaving step by step.
const STEPPED: &str = "stepped";

/// How long each step of the stepped variant shows, before slow motion.
const STEP_TIME: Duration = Duration::from_millis(900);

/// One step of `counter += 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Read,
    Add,
    Write,
}

/// The stepped variant's order of steps: (worker, step). Both read before
/// either writes (an update is lost), then one worker at a time (none is).
const SCRIPT: [(usize, Step); 12] = [
    (0, Step::Read),
    (1, Step::Read),
    (0, Step::Add),
    (1, Step::Add),
    (0, Step::Write),
    (1, Step::Write),
    (0, Step::Read),
    (0, Step::Add),
    (0, Step::Write),
    (1, Step::Read),
    (1, Step::Add),
    (1, Step::Write),
];

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
                    format!(
                        "lost {} update{}",
                        v.lost_updates,
                        if v.lost_updates == 1 { "" } else { "s" }
                    )
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

/// Names the calling thread `name` (at most 15 bytes, as Linux keeps), so
/// `/proc` and the dashboard show the step it is on. A name that cannot be
/// set leaves the old one: the step still shows in the result.
fn name_thread(name: &str) {
    if let Ok(name) = std::ffi::CString::new(name) {
        let _ = nix::sys::prctl::set_name(&name);
    }
}

/// Holds a step on screen for `d` (stretched by slow motion), as computing.
/// False when the run stops.
fn hold(worker: &Worker, controls: &crate::control::Controls, d: Duration) -> bool {
    worker.set_state(WorkerState::Computing);
    let mut left = controls.stretch(d);
    let nap = Duration::from_millis(20);
    while !left.is_zero() {
        if !worker.checkpoint() {
            return false;
        }
        let this = left.min(nap);
        std::thread::sleep(this);
        left = left.saturating_sub(this);
    }
    true
}

/// The stepped variant: two workers, [`SCRIPT`]'s steps one at a time.
fn stepped(ctx: &RunContext) -> Option<RaceVariant> {
    let counter = AtomicU64::new(0);
    let lost = AtomicU64::new(0);
    // The index in SCRIPT of the step that may run now.
    let turn = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for index in 0..2 {
            let (counter, lost, turn) = (&counter, &lost, &turn);
            let body = move || {
                let worker = Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                let (mut seen, mut next) = (0, 0);
                for (at, (who, step)) in SCRIPT.iter().enumerate() {
                    if *who != index {
                        continue;
                    }
                    worker.set_state(WorkerState::Idle);
                    name_thread(&format!("w{index} waits"));
                    while turn.load(Ordering::Acquire) != at {
                        if !worker.checkpoint() {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    let name = match step {
                        Step::Read => {
                            seen = counter.load(Ordering::Acquire);
                            format!("w{index} read {seen}")
                        }
                        Step::Add => {
                            next = seen + 1;
                            format!("w{index} add: {next}")
                        }
                        Step::Write => {
                            // Someone wrote since this worker read: this
                            // write overwrites their update.
                            let overwritten = counter.load(Ordering::Acquire) != seen;
                            counter.store(next, Ordering::Release);
                            if overwritten {
                                lost.fetch_add(1, Ordering::Relaxed);
                                format!("w{index} write {next} LOST")
                            } else {
                                format!("w{index} write {next}")
                            }
                        }
                    };
                    name_thread(&name);
                    let shown = hold(&worker, &ctx.controls, STEP_TIME);
                    turn.store(at + 1, Ordering::Release);
                    if !shown {
                        return;
                    }
                    if *step == Step::Write {
                        worker.task_done();
                    }
                }
                name_thread(&format!("worker-{index}"));
                ctx.tasks.done();
                worker.finish();
            };
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
    });
    if ctx.controls.is_stopping() {
        return None;
    }
    let expected = SCRIPT.iter().filter(|(_, s)| *s == Step::Write).count() as u64;
    let actual = counter.load(Ordering::Acquire);
    debug_assert_eq!(expected - actual, lost.load(Ordering::Relaxed));
    Some(RaceVariant {
        variant: STEPPED,
        expected,
        actual,
        lost_updates: expected.saturating_sub(actual),
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

impl Demo for Race {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        // Stepped: the interleaving one step at a time, then the same race
        // at full speed.
        let chosen: Vec<&'static str> = if ctx.config.variant == Some(STEPPED) {
            vec![STEPPED, "unsynchronized"]
        } else {
            VARIANTS
                .into_iter()
                .filter(|v| ctx.config.variant.is_none_or(|only| only == *v))
                .collect()
        };
        ctx.tasks
            .start_round((chosen.len() * ctx.controls.workers()) as u64);
        let variants = chosen
            .into_iter()
            .map_while(|variant| match ctx.region() {
                _ if variant == STEPPED => stepped(ctx),
                Some(region) => Self::count_in_processes(ctx, region, variant),
                None => self.count(ctx, variant),
            })
            .collect();
        Outcome::new(RaceOutcome { variants })
    }
}
