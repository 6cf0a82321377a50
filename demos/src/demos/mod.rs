//! The demos themselves, one module each, and the one place that maps a
//! catalogue name to its code.

pub mod bank;
pub mod barrier;
pub mod combine;
pub mod condition;
pub mod event;
pub mod lock_contention;
pub mod manager;
pub mod pipe;
pub mod producer_consumer;
pub mod race;
pub mod rlock;
pub mod scaling;
pub mod semaphore;
pub mod separate_memory;
pub mod shared_value;
mod start;
pub mod thread_pool;
pub mod threads;

use crate::run::{Demo, RunContext};

/// Builds the demo `ctx.config` names: registers its probes and creates its
/// primitives, once for the whole run.
#[must_use]
pub fn build(ctx: &RunContext) -> Box<dyn Demo> {
    match ctx.config.spec.name {
        "threads" => Box::new(threads::Threads::new(ctx)),
        "race" => Box::new(race::Race::new(ctx)),
        "bank" => Box::new(bank::Bank::new(ctx)),
        "lock-contention" => Box::new(lock_contention::LockContention::new(ctx)),
        "rlock" => Box::new(rlock::RLock::new(ctx)),
        "condition" => Box::new(condition::Condition::new(ctx)),
        "event" => Box::new(event::Event::new(ctx)),
        "barrier" => Box::new(barrier::Barrier::new(ctx)),
        "thread-pool" => Box::new(thread_pool::ThreadPool::new(ctx)),
        "semaphore" => Box::new(semaphore::Semaphore::new(ctx)),
        "producer-consumer" => Box::new(producer_consumer::ProducerConsumer::new(ctx)),
        "cpu-vs-io" | "gil" | "async" => Box::new(scaling::Scaling::new(ctx)),
        "combine" => Box::new(combine::Combine),
        "separate-memory" => Box::new(separate_memory::SeparateMemory::new(ctx)),
        "pipe" => Box::new(pipe::Pipe::new(ctx)),
        "shared-value" => Box::new(shared_value::SharedValue::new(ctx)),
        "manager" => Box::new(manager::Manager::new(ctx)),
        other => unreachable!("the catalogue lists `{other}` but no code runs it"),
    }
}
