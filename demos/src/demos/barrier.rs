//! `barrier`: N parties meet at a barrier each phase; the fastest waits for
//! the slowest.
//!
//! `workers` parties run `phases` generations of an instrumented barrier
//! (Python's `threading.Barrier`). In each phase, party i computes an uneven
//! share, proportional to ((i + phase) % parties + 1) and scaled so that the
//! slowest computes `work-ms`, then waits at the barrier; the share rotates,
//! so each party is the slowest in turn. Generations are counted by the one
//! party per generation that the barrier names last, and each party times
//! its own waits.
//!
//! The barrier has no timeout or abort, so every party must arrive at every
//! generation the others arrive at. A party that sees the run stopping agrees
//! with the others to end after the current phase (see `Phases`), and a party
//! that failed to start calls off the start line before anyone arrives.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::start::{StartLine, spawn};
use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::probes::{BarrierStats, InstrumentedBarrier, ProbeRef, WorkerState};
use crate::worker::Worker;

/// What the parties did in a round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BarrierOutcome {
    /// Threads that meet at the barrier.
    pub parties: usize,
    /// Phases asked for.
    pub phases: u64,
    /// Generations the barrier released.
    pub generations: u64,
    /// Time all parties spent waiting at the barrier, summed, milliseconds.
    pub waited_total_ms: f64,
    /// The longest single wait, milliseconds.
    pub waited_max_ms: f64,
}

impl RoundOutcome for BarrierOutcome {
    /// Generations against phases; time spent waiting for the slowest.
    fn lines(&self) -> Vec<ResultLine> {
        vec![
            ResultLine::compare(
                "generations",
                self.phases,
                self.generations,
                self.generations == self.phases,
                format!("{} parties ended each phase together", self.parties),
            ),
            ResultLine::figure(
                "waited at the barrier",
                format!(
                    "{:.0} ms in all, longest {:.0} ms",
                    self.waited_total_ms, self.waited_max_ms
                ),
                "the quick parties idle until the slowest arrives".to_owned(),
            ),
        ]
    }
}

/// The phases the parties run, and their agreement on when to stop.
///
/// A party at the top of phase p that sees the run stopping lowers the end to
/// p + 1: it still runs phase p (its work ends at once) and arrives at its
/// barrier. Every party reads the end at the top of each phase; as the
/// lowering happens before the lowering party arrives at barrier p, and the
/// barrier orders that arrival before anyone leaves it, every party reads the
/// lowered end at the top of phase p + 1 at the latest, and all leave after
/// the same generation.
#[derive(Debug)]
struct Phases {
    end: AtomicU64,
}

impl Phases {
    fn new(phases: u64) -> Self {
        Self {
            end: AtomicU64::new(phases),
        }
    }

    /// Whether the party should run `phase`.
    fn run(&self, phase: u64, stopping: bool) -> bool {
        // Relaxed: the barrier's lock orders these accesses between parties.
        if stopping {
            self.end.fetch_min(phase + 1, Ordering::Relaxed);
        }
        phase < self.end.load(Ordering::Relaxed)
    }
}

/// Waits and generations of one round.
#[derive(Debug, Default)]
struct Tally {
    generations: AtomicU64,
    waited_ns: AtomicU64,
    longest_ns: AtomicU64,
}

/// The barrier, kept across rounds; rebuilt (on the same probe) when the
/// number of parties changes.
pub struct Barrier {
    stats: ProbeRef<BarrierStats>,
    phase_end: InstrumentedBarrier,
    parties: u32,
}

impl Barrier {
    /// Registers the barrier's probe.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        let parties = parties(ctx);
        let stats = ctx.registry.barrier("phase end", parties);
        Self {
            phase_end: build(parties, &stats),
            stats,
            parties,
        }
    }

    /// One party's phases.
    fn party(
        &self,
        ctx: &RunContext,
        worker: &Worker,
        phases: &Phases,
        unit: Duration,
        tally: &Tally,
    ) {
        let parties = u64::from(self.parties);
        let index = worker.index() as u64;
        let mut phase = 0;
        while phases.run(phase, ctx.controls.is_stopping()) {
            let share = (index + phase) % parties + 1;
            worker.compute(unit.saturating_mul(u32::try_from(share).unwrap_or(u32::MAX)));
            worker.set_state(WorkerState::Idle);
            let arrived = Instant::now();
            if self.phase_end.wait() {
                tally.generations.fetch_add(1, Ordering::Relaxed);
            }
            let waited = arrived.elapsed().as_nanos() as u64;
            tally.waited_ns.fetch_add(waited, Ordering::Relaxed);
            tally.longest_ns.fetch_max(waited, Ordering::Relaxed);
            worker.task_done();
            ctx.tasks.done();
            phase += 1;
        }
    }
}

/// The parties asked for now: the live worker count.
fn parties(ctx: &RunContext) -> u32 {
    u32::try_from(ctx.controls.workers()).unwrap_or(u32::MAX)
}

fn build(parties: u32, stats: &ProbeRef<BarrierStats>) -> InstrumentedBarrier {
    InstrumentedBarrier::new(parties.max(1), stats.clone())
        .unwrap_or_else(|| unreachable!("parties >= 1"))
}

impl Demo for Barrier {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let parties = parties(ctx);
        if parties != self.parties {
            self.phase_end = build(parties, &self.stats);
            self.parties = parties;
        }
        let phases_asked = ctx.config.get("phases");
        ctx.tasks.start_round(u64::from(parties) * phases_asked);
        let unit = Duration::from_millis(ctx.config.get("work-ms")) / parties.max(1);
        let phases = Phases::new(phases_asked);
        let tally = Tally::default();
        let start_line = StartLine::new();
        let this = &*self;
        std::thread::scope(|scope| {
            let mut all_started = true;
            for index in 0..parties as usize {
                let (phases, tally, start_line) = (&phases, &tally, &start_line);
                let body = move || {
                    let worker =
                        Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                    if start_line.wait() {
                        this.party(ctx, &worker, phases, unit, tally);
                    }
                    worker.finish();
                };
                if spawn(scope, ctx, &format!("worker-{index}"), body).is_none() {
                    all_started = false;
                    break;
                }
            }
            start_line.open(all_started);
        });
        let ms = |ns: u64| ns as f64 / 1e6;
        Outcome::new(BarrierOutcome {
            parties: parties as usize,
            phases: phases_asked,
            generations: tally.generations.load(Ordering::Relaxed),
            waited_total_ms: ms(tally.waited_ns.load(Ordering::Relaxed)),
            waited_max_ms: ms(tally.longest_ns.load(Ordering::Relaxed)),
        })
    }
}
