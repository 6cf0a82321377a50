//! `producer-consumer` in processes: producers and consumers around the
//! region's bounded queue, stopped by sentinels.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::super::spec::{SENTINEL, value};
use super::duties::{bytes_sent, take_turn, task_done};
use crate::probes::WorkerState;
use crate::shm::SharedRegion;
use crate::worker::Worker;

/// Puts item numbers below `total` on the queue, one every `produce`. The
/// last of the `producers` to finish sends one sentinel per consumer, as the
/// main program does after joining its producers.
pub(in crate::process) fn producer(
    region: &SharedRegion,
    worker: &Worker,
    total: u64,
    produce: Duration,
    (producers, consumers): (u64, u64),
) {
    let stopping = || worker.controls().is_stopping();
    while take_turn(worker) {
        let item = region.next_task.fetch_add(1, Ordering::Relaxed);
        if item >= total || !worker.sleep_io(produce) {
            break;
        }
        worker.set_state(WorkerState::Idle);
        if !region.queue.send(item, stopping) {
            break;
        }
        bytes_sent(region, worker.index(), 8);
        region.values[value::PRODUCED].fetch_add(1, Ordering::Relaxed);
        worker.task_done();
    }
    // The last producer out stops the consumers.
    if region.values[value::PRODUCERS_DONE].fetch_add(1, Ordering::AcqRel) + 1 == producers {
        for _ in 0..consumers {
            if !region.queue.send(SENTINEL, stopping) {
                break;
            }
        }
    }
}

/// Takes items off the queue until a sentinel, working `work` on each.
pub(in crate::process) fn consumer(
    region: &SharedRegion,
    worker: &Worker,
    work: Duration,
    crash: bool,
) {
    let stopping = || worker.controls().is_stopping();
    while let Some(item) = region.queue.recv(stopping) {
        if item == SENTINEL {
            region.queue.task_done();
            break;
        }
        worker.compute(work);
        region.queue.task_done();
        task_done(region, worker, crash);
    }
}
