//! `event`: workers wait for one flag; setting it releases them all at once.
//!
//! `workers` waiters block on an instrumented event (Python's
//! `threading.Event`). The main thread sets it after `delay-ms`, noting the
//! time just before `set`; each waiter notes when it runs again, and the
//! difference is its wake-up latency. The main thread sets the event even
//! when the run is stopped or a waiter failed to start, so no waiter is left
//! blocked, and clears it once every waiter is back, ready for the next
//! round.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::start::spawn;
use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::probes::clock::now_ns;
use crate::probes::{InstrumentedEvent, WorkerState};
use crate::worker::Worker;

/// How the waiters woke in a round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventOutcome {
    /// Waiter threads.
    pub waiters: usize,
    /// Waits that blocked (the flag was still clear), from the event's probe.
    pub blocked: u64,
    /// Waiters that returned from their wait.
    pub woken: u64,
    /// Time from the round's start to `set`, milliseconds.
    pub set_after_ms: f64,
    /// Mean time from just before `set` to a waiter running again,
    /// microseconds.
    pub latency_mean_us: f64,
    /// The longest such time, microseconds.
    pub latency_max_us: f64,
}

impl RoundOutcome for EventOutcome {
    /// Everyone woken; how quickly.
    fn lines(&self) -> Vec<ResultLine> {
        vec![
            ResultLine::compare(
                "woken",
                self.waiters,
                self.woken,
                self.woken == self.waiters as u64,
                format!(
                    "{} were blocked when it was set after {:.0} ms",
                    self.blocked, self.set_after_ms
                ),
            ),
            ResultLine::figure(
                "wake-up latency",
                format!(
                    "mean {:.0} µs, max {:.0} µs",
                    self.latency_mean_us, self.latency_max_us
                ),
                "from set() to each waiter running again".to_owned(),
            ),
        ]
    }
}

/// Wake-up latencies of one round.
#[derive(Debug, Default)]
struct Latencies {
    woken: AtomicU64,
    sum_ns: AtomicU64,
    max_ns: AtomicU64,
}

/// The event, kept across rounds.
pub struct Event {
    event: InstrumentedEvent,
}

impl Event {
    /// Registers the event's probe.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        Self {
            event: InstrumentedEvent::new(ctx.registry.event("go")),
        }
    }
}

impl Demo for Event {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let waiters = ctx.controls.workers();
        let delay = Duration::from_millis(ctx.config.get("delay-ms"));
        ctx.tasks.start_round(waiters as u64);
        let blocked_before = self.event.stats().report("").waits;
        let set_at_ns = AtomicU64::new(0);
        let latencies = Latencies::default();
        let started = Instant::now();
        let mut set_after = Duration::ZERO;
        let event = &self.event;
        std::thread::scope(|scope| {
            for index in 0..waiters {
                let (set_at_ns, latencies) = (&set_at_ns, &latencies);
                let body = move || {
                    let worker =
                        Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                    worker.set_state(WorkerState::Idle);
                    event.wait();
                    // `set_at_ns` was stored before `set`, whose release the
                    // wait acquired: it is the real time of this set.
                    let latency = now_ns().saturating_sub(set_at_ns.load(Ordering::Relaxed));
                    latencies.woken.fetch_add(1, Ordering::Relaxed);
                    latencies.sum_ns.fetch_add(latency, Ordering::Relaxed);
                    latencies.max_ns.fetch_max(latency, Ordering::Relaxed);
                    worker.task_done();
                    ctx.tasks.done();
                    worker.finish();
                };
                if spawn(scope, ctx, &format!("waiter-{index}"), body).is_none() {
                    break;
                }
            }
            // Stopped or not, the event is set: it is what frees the waiters.
            ctx.controls.sleep(delay);
            set_after = started.elapsed();
            set_at_ns.store(now_ns(), Ordering::Relaxed);
            event.set();
        });
        self.event.clear();
        let woken = latencies.woken.load(Ordering::Relaxed);
        let us = |ns: u64| ns as f64 / 1e3;
        Outcome::new(EventOutcome {
            waiters,
            blocked: self.event.stats().report("").waits - blocked_before,
            woken,
            set_after_ms: set_after.as_secs_f64() * 1e3,
            latency_mean_us: if woken == 0 {
                0.0
            } else {
                us(latencies.sum_ns.load(Ordering::Relaxed)) / woken as f64
            },
            latency_max_us: us(latencies.max_ns.load(Ordering::Relaxed)),
        })
    }
}
