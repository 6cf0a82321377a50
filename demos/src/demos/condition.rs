//! `condition`: consumers wait on a condition until items exist; a producer
//! notifies.
//!
//! A shelf of items sits behind an instrumented condition over an
//! instrumented mutex, as a list guarded by Python's `threading.Condition`.
//! `workers` consumers wait while the shelf is empty and not closed
//! (`wait_while` re-checks the state at every wake-up), take an item and
//! work on it. A producer makes `tasks` items, one every `work-ms`, adding
//! each under the lock and notifying one consumer; at the end it closes the
//! shelf and notifies all, so every consumer wakes, finds it closed and
//! empty, and leaves. Waits, notifies and wake-ups come from the
//! condition's probe.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::start::spawn;
use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::probes::{InstrumentedCondition, InstrumentedMutex, WorkerState};
use crate::worker::Worker;

/// What went over the shelf in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionOutcome {
    /// Consumer threads.
    pub consumers: usize,
    /// Items the producer put on the shelf.
    pub items: u64,
    /// Items the consumers took off.
    pub consumed: u64,
    /// Condition waits that blocked this round.
    pub waits: u64,
    /// `notify_one` and `notify_all` calls this round.
    pub notifies: u64,
    /// Returns from the underlying wait this round; those beyond `waits`
    /// found the shelf still empty and slept again.
    pub wakeups: u64,
}

impl RoundOutcome for ConditionOutcome {
    /// Items in and out; waits, notifies and wake-ups.
    fn lines(&self) -> Vec<ResultLine> {
        vec![
            ResultLine::compare(
                "items consumed",
                self.items,
                self.consumed,
                self.consumed == self.items,
                format!("by {} consumers", self.consumers),
            ),
            ResultLine::figure(
                "waits / notifies / wake-ups",
                format!("{} / {} / {}", self.waits, self.notifies, self.wakeups),
                format!(
                    "{} wake-ups found nothing and slept again",
                    self.wakeups.saturating_sub(self.waits)
                ),
            ),
        ]
    }
}

/// The state the condition guards.
#[derive(Debug, Default)]
struct Shelf {
    items: VecDeque<u64>,
    /// No more items will come.
    closed: bool,
}

/// The shelf and its condition, kept across rounds.
pub struct Condition {
    shelf: InstrumentedCondition<Shelf>,
}

impl Condition {
    /// Registers the shelf's lock and condition probes.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        let lock = InstrumentedMutex::new(Shelf::default(), ctx.registry.lock("shelf"));
        Self {
            shelf: InstrumentedCondition::new(lock, ctx.registry.condition("items ready")),
        }
    }

    /// Makes `items` items, one every `interval`, notifying one consumer
    /// for each; closes the shelf at the end, stopped or not.
    fn produce(&self, ctx: &RunContext, worker: &Worker, items: u64, produced: &AtomicU64) {
        let interval = Duration::from_millis(ctx.config.get("work-ms"));
        for item in 0..items {
            if !worker.sleep_io(interval) {
                break;
            }
            worker.set_state(WorkerState::Idle);
            let mut guard = self.shelf.lock();
            guard.items.push_back(item);
            self.shelf.notify_one();
            drop(guard);
            produced.fetch_add(1, Ordering::Relaxed);
            worker.task_done();
        }
        self.close();
    }

    /// Takes items until the shelf is closed and empty, working on each.
    fn consume(&self, ctx: &RunContext, worker: &Worker, consumed: &AtomicU64) {
        let handling = Duration::from_millis(ctx.config.get("work-ms")) / 2;
        loop {
            worker.set_state(WorkerState::Idle);
            let mut guard = self.shelf.lock();
            self.shelf
                .wait_while(&mut guard, |s| s.items.is_empty() && !s.closed);
            let Some(_item) = guard.items.pop_front() else {
                return;
            };
            drop(guard);
            consumed.fetch_add(1, Ordering::Relaxed);
            // A stopped run drains the shelf without working on it.
            worker.compute(handling);
            worker.task_done();
            ctx.tasks.done();
        }
    }

    /// No more items: wakes every consumer to find out.
    fn close(&self) {
        self.shelf.lock().closed = true;
        self.shelf.notify_all();
    }
}

impl Demo for Condition {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let consumers = ctx.controls.workers();
        let items = ctx.config.get("tasks");
        ctx.tasks.start_round(items);
        *self.shelf.lock() = Shelf::default();
        let before = self.shelf.stats().report("");
        let (produced, consumed) = (AtomicU64::new(0), AtomicU64::new(0));
        let this = &*self;
        std::thread::scope(|scope| {
            let mut all_started = true;
            for i in 0..consumers {
                let consumed = &consumed;
                let index = 1 + i;
                let body = move || {
                    let worker =
                        Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                    this.consume(ctx, &worker, consumed);
                    worker.finish();
                };
                if spawn(scope, ctx, &format!("consumer-{i}"), body).is_none() {
                    all_started = false;
                    break;
                }
            }
            if all_started {
                let produced = &produced;
                let body = move || {
                    let worker = Worker::start(0, ctx.registry.worker(0), ctx.controls.clone());
                    this.produce(ctx, &worker, items, produced);
                    worker.finish();
                };
                all_started = spawn(scope, ctx, "producer-0", body).is_some();
            }
            if !all_started {
                // No producer will close the shelf: the consumers waiting on
                // it must not wait forever.
                this.close();
            }
        });
        let after = self.shelf.stats().report("");
        Outcome::new(ConditionOutcome {
            consumers,
            items: produced.load(Ordering::Relaxed),
            consumed: consumed.load(Ordering::Relaxed),
            waits: after.waits - before.waits,
            notifies: after.notifies - before.notifies,
            wakeups: after.wakeups - before.wakeups,
        })
    }
}
