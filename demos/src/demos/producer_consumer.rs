//! `producer-consumer`: a bounded queue between producer and consumer
//! threads, stopped by sentinels.
//!
//! Producers make items (a wait, like reading input) and put them on the
//! queue, blocking when it is full: back-pressure. Consumers take items
//! (blocking when it is empty), work on each (computing), and mark it done.
//! When every producer has finished, the main thread sends one sentinel per
//! consumer, then `join`s the queue: it returns once every item, sentinels
//! included, was marked done. `+`/`-` change the number of consumers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::probes::{BoundedQueue, ProbeRef, WorkerState};
use crate::process::{PoolPlan, Role, run_process_pool, value};
use crate::shm::SharedRegion;
use crate::worker::Worker;

/// What went through the queue in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueOutcome {
    /// Producer threads.
    pub producers: usize,
    /// Consumer threads.
    pub consumers: usize,
    /// Queue capacity.
    pub capacity: u64,
    /// Items put on the queue (sentinels not counted).
    pub produced: u64,
    /// Items taken off and worked on (sentinels not counted).
    pub consumed: u64,
    /// Sentinels sent, one per consumer.
    pub sentinels: u64,
    /// Most items in the queue at once (over the run).
    pub peak_depth: u64,
    /// True when `join` returned: every item was marked done.
    pub joined: bool,
    /// Time producers spent blocked on a full queue, ms (over the run).
    pub producers_blocked_ms: u64,
    /// Time consumers spent blocked on an empty queue, ms (over the run).
    pub consumers_blocked_ms: u64,
}

impl RoundOutcome for QueueOutcome {
    /// Items in and out, depth against capacity, who waited.
    fn lines(&self) -> Vec<ResultLine> {
        vec![
            ResultLine::compare(
                "items consumed",
                self.produced,
                self.consumed,
                self.produced == self.consumed,
                "every item produced was consumed".to_owned(),
            ),
            ResultLine::compare(
                "peak depth",
                format!("≤ {}", self.capacity),
                self.peak_depth,
                self.peak_depth <= self.capacity,
                "the queue never holds more than its capacity".to_owned(),
            ),
            ResultLine::compare(
                "joined",
                "yes",
                if self.joined { "yes" } else { "no" },
                self.joined,
                format!("after {} sentinels", self.sentinels),
            ),
            ResultLine::figure(
                "blocked",
                format!(
                    "{} / {} ms",
                    self.producers_blocked_ms, self.consumers_blocked_ms
                ),
                "producers on full / consumers on empty".to_owned(),
            ),
        ]
    }
}

/// The name the queue is shown under.
const QUEUE_NAME: &str = "items";

/// The queue, kept across rounds. `None` is the sentinel.
pub struct ProducerConsumer {
    queue: BoundedQueue<Option<u64>>,
}

impl ProducerConsumer {
    /// Registers and creates the queue.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        let capacity = ctx.config.count("capacity").max(1);
        // In processes mode the queue is the region's; the in-process one is
        // then a one-slot stand-in, never used and never listed.
        let (capacity, stats) = match ctx.region() {
            Some(region) => {
                ctx.registry
                    .register_queue_shared(QUEUE_NAME, region.queue.stats());
                (1, ProbeRef::default())
            }
            None => (capacity, ctx.registry.queue(QUEUE_NAME, capacity)),
        };
        Self {
            queue: BoundedQueue::new(capacity, stats)
                .unwrap_or_else(|| unreachable!("capacity >= 1")),
        }
    }

    /// The round on producer and consumer processes around the region's queue.
    fn round_in_processes(ctx: &RunContext, region: &'static SharedRegion) -> QueueOutcome {
        let producers = ctx.config.count("producers");
        let consumers = ctx.controls.workers();
        let total = ctx.config.get("tasks");
        region.queue.reset_with(ctx.config.count("capacity"));
        region.next_task.store(0, Ordering::Relaxed);
        for counter in [value::PRODUCERS_DONE, value::PRODUCED] {
            region.values[counter].store(0, Ordering::Relaxed);
        }
        let (produce_ms, work_ms) = (ctx.config.get("produce-ms"), ctx.config.get("work-ms"));
        let role = |slot: usize| {
            if slot < producers {
                Role::Producer {
                    total,
                    produce_ms,
                    producers: producers as u64,
                    consumers: consumers as u64,
                }
            } else {
                Role::Consumer { work_ms }
            }
        };
        let more = |_: &SharedRegion| true;
        let plan = PoolPlan {
            role: &role,
            more: &more,
            first_slot: 0,
            fixed: Some(producers + consumers),
        };
        run_process_pool(ctx, region, &plan);
        let report = region.queue.stats().report(QUEUE_NAME);
        let produced = region.values[value::PRODUCED].load(Ordering::Relaxed);
        QueueOutcome {
            producers,
            consumers,
            capacity: report.capacity,
            produced,
            consumed: ctx.tasks.report().done,
            sentinels: report.sent.saturating_sub(produced),
            peak_depth: report.peak_depth,
            joined: report.unfinished == 0,
            producers_blocked_ms: report.send_blocked_ns / 1_000_000,
            consumers_blocked_ms: report.recv_blocked_ns / 1_000_000,
        }
    }

    fn produce(
        &self,
        ctx: &RunContext,
        worker: &Worker,
        next: &AtomicU64,
        items: u64,
        produced: &AtomicU64,
    ) {
        let produce = Duration::from_millis(ctx.config.get("produce-ms"));
        loop {
            let item = next.fetch_add(1, Ordering::Relaxed);
            if item >= items || !worker.sleep_io(produce) {
                return;
            }
            worker.set_state(WorkerState::Idle);
            if self.queue.send(Some(item)).is_err() {
                return;
            }
            produced.fetch_add(1, Ordering::Relaxed);
            worker.task_done();
        }
    }

    fn consume(&self, ctx: &RunContext, worker: &Worker, consumed: &AtomicU64) {
        let work = Duration::from_millis(ctx.config.get("work-ms"));
        while let Some(Some(_item)) = self.queue.recv() {
            // A stopped run drains the queue without working on it.
            worker.compute(work);
            worker.set_state(WorkerState::Idle);
            self.queue.task_done();
            consumed.fetch_add(1, Ordering::Relaxed);
            worker.task_done();
            ctx.tasks.done();
        }
        // The sentinel (or a closed queue) ends this consumer; it is done too.
        self.queue.task_done();
    }
}

impl Demo for ProducerConsumer {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        if let Some(region) = ctx.region() {
            ctx.tasks.start_round(ctx.config.get("tasks"));
            return Outcome::new(Self::round_in_processes(ctx, region));
        }
        let producers = ctx.config.count("producers");
        let consumers = ctx.controls.workers();
        let items = ctx.config.get("tasks");
        ctx.tasks.start_round(items);
        let next = AtomicU64::new(0);
        let (produced, consumed) = (AtomicU64::new(0), AtomicU64::new(0));
        let mut sentinels = 0;
        let mut joined = false;
        let this = &*self;
        std::thread::scope(|scope| {
            let spawn = |index: usize, name: String, producer: bool| {
                let (next, produced, consumed) = (&next, &produced, &consumed);
                std::thread::Builder::new()
                    .name(name)
                    .spawn_scoped(scope, move || {
                        let worker =
                            Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                        if producer {
                            this.produce(ctx, &worker, next, items, produced);
                        } else {
                            this.consume(ctx, &worker, consumed);
                        }
                        worker.finish();
                    })
            };
            let producer_threads: Vec<_> = (0..producers)
                .filter_map(|i| spawn(i, format!("producer-{i}"), true).ok())
                .collect();
            let consumer_count = (0..consumers)
                .filter_map(|i| spawn(producers + i, format!("consumer-{i}"), false).ok())
                .count();
            if producer_threads.len() < producers || consumer_count < consumers {
                ctx.status
                    .fail("cannot start every producer and consumer thread".to_owned());
                ctx.controls.stop();
                // Producers blocked on a full queue must not wait for consumers
                // that never started.
                self.queue.close();
            }
            for producer in producer_threads {
                let _ = producer.join();
            }
            for _ in 0..consumer_count {
                if self.queue.send(None).is_ok() {
                    sentinels += 1;
                }
            }
            self.queue.join();
            joined = true;
        });
        let report = self.queue.stats().report(QUEUE_NAME);
        Outcome::new(QueueOutcome {
            producers,
            consumers,
            capacity: report.capacity,
            produced: produced.load(Ordering::Relaxed),
            consumed: consumed.load(Ordering::Relaxed),
            sentinels,
            peak_depth: report.peak_depth,
            joined,
            producers_blocked_ms: report.send_blocked_ns / 1_000_000,
            consumers_blocked_ms: report.recv_blocked_ns / 1_000_000,
        })
    }
}
