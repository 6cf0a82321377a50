use super::{BoundedQueue, MAX_CAPACITY, QueueStats};
use crate::probes::ProbeRef;
use crate::probes::clock::now_ns;
use crate::probes::worker::{WorkerProbe, WorkerState, set_current_worker};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{RecvTimeoutError, TryRecvError, TrySendError};
use std::time::Duration;

const SECOND_NS: u64 = 1_000_000_000;

/// Polls `condition` every millisecond for up to five seconds.
fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = now_ns() + 5 * SECOND_NS;
    while !condition() {
        if now_ns() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

#[test]
fn zero_and_huge_capacities_are_rejected() {
    assert!(BoundedQueue::<u8>::new(0, ProbeRef::default()).is_none());
    assert!(BoundedQueue::<u8>::new(MAX_CAPACITY + 1, ProbeRef::default()).is_none());
    assert!(BoundedQueue::<u8>::new(MAX_CAPACITY, ProbeRef::default()).is_some());
}

#[test]
fn many_producers_and_consumers_move_every_item_once() {
    let stats = ProbeRef::new(QueueStats::new());
    let queue = BoundedQueue::new(4, stats.clone()).unwrap();
    let total = AtomicU64::new(0);
    std::thread::scope(|scope| {
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    while let Some(value) = queue.recv() {
                        assert!(queue.len() <= 4);
                        total.fetch_add(value, Relaxed);
                    }
                })
            })
            .collect();
        let producers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    for value in 1..=1_000 {
                        queue.send(value).unwrap();
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().unwrap();
        }
        queue.close();
        for consumer in consumers {
            consumer.join().unwrap();
        }
    });
    let report = stats.report("jobs");
    assert_eq!(total.load(Relaxed), 2 * 500_500);
    assert_eq!(
        (report.sent, report.received, report.depth),
        (2_000, 2_000, 0)
    );
    assert_eq!(report.capacity, 4);
    assert!(report.peak_depth >= 1 && report.peak_depth <= 4);
}

#[test]
fn a_slow_consumer_blocks_the_producer() {
    let stats = ProbeRef::new(QueueStats::new());
    let queue = BoundedQueue::new(2, stats.clone()).unwrap();
    let worker = ProbeRef::new(WorkerProbe::new());
    std::thread::scope(|scope| {
        scope.spawn(|| {
            worker.start();
            set_current_worker(worker.clone());
            for value in 0..3 {
                queue.send(value).unwrap();
            }
        });
        // The third send can only wait: nobody receives until it does.
        assert!(eventually(|| worker.state() == WorkerState::WaitingQueue));
        std::thread::sleep(Duration::from_millis(10));
        assert_eq!(queue.recv(), Some(0));
    });
    assert_eq!(worker.state(), WorkerState::Idle);
    let report = stats.report("q");
    assert_eq!(report.send_blocks, 1);
    assert!(report.send_blocked_ns >= 10_000_000);
    assert_eq!((report.peak_depth, report.depth), (2, 2));
}

#[test]
fn an_empty_queue_blocks_the_receiver_until_timeout() {
    let stats = ProbeRef::new(QueueStats::new());
    let queue = BoundedQueue::<u32>::new(1, stats.clone()).unwrap();
    assert_eq!(queue.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(stats.report("q").recv_blocks, 0);
    let result = queue.recv_timeout(Duration::from_millis(10));
    assert_eq!(result, Err(RecvTimeoutError::Timeout));
    let report = stats.report("q");
    assert_eq!(report.recv_blocks, 1);
    assert!(report.recv_blocked_ns >= 10_000_000);
    queue.try_send(7).unwrap();
    assert!(matches!(queue.try_send(8), Err(TrySendError::Full(8))));
    assert_eq!(queue.recv_timeout(Duration::from_secs(5)), Ok(7));
    assert_eq!(stats.report("q").recv_blocks, 1);
}

#[test]
fn closing_lets_receivers_drain_then_end() {
    let queue = BoundedQueue::new(3, ProbeRef::default()).unwrap();
    queue.send(1).unwrap();
    queue.send(2).unwrap();
    queue.close();
    assert!(queue.is_closed());
    assert_eq!(queue.send(3).unwrap_err().0, 3);
    assert!(matches!(
        queue.try_send(4),
        Err(TrySendError::Disconnected(4))
    ));
    assert_eq!(
        (queue.recv(), queue.recv(), queue.recv()),
        (Some(1), Some(2), None)
    );
    assert_eq!(queue.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(
        queue.recv_timeout(Duration::from_secs(5)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn closing_wakes_a_blocked_receiver() {
    let stats = ProbeRef::new(QueueStats::new());
    let queue = BoundedQueue::<u8>::new(1, stats).unwrap();
    std::thread::scope(|scope| {
        let receiver = scope.spawn(|| queue.recv());
        std::thread::sleep(Duration::from_millis(5));
        queue.close();
        assert_eq!(receiver.join().unwrap(), None);
    });
}

#[test]
fn join_returns_only_after_every_task_is_done() {
    let stats = ProbeRef::new(QueueStats::new());
    let queue = BoundedQueue::new(8, stats.clone()).unwrap();
    let processed = AtomicU64::new(0);
    queue.join();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while let Some(()) = queue.recv() {
                    std::thread::sleep(Duration::from_millis(1));
                    processed.fetch_add(1, Relaxed);
                    queue.task_done();
                }
            });
        }
        for _ in 0..20 {
            queue.send(()).unwrap();
        }
        queue.join();
        assert_eq!(processed.load(Relaxed), 20);
        assert_eq!(stats.report("q").unfinished, 0);
        queue.close();
    });
    queue.task_done();
    assert_eq!(stats.report("q").unfinished, 0);
    assert!(queue.is_empty());
}

#[test]
fn a_one_slot_queue_loses_no_wakeup() {
    // Capacity 1 makes nearly every call sleep, so a lost wake-up would hang.
    let stats = ProbeRef::new(QueueStats::new());
    let queue = BoundedQueue::new(1, stats.clone()).unwrap();
    let total = AtomicU64::new(0);
    std::thread::scope(|scope| {
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    while let Some(value) = queue.recv() {
                        total.fetch_add(value, Relaxed);
                        queue.task_done();
                    }
                })
            })
            .collect();
        std::thread::scope(|producers| {
            for _ in 0..2 {
                producers.spawn(|| (1..=5_000).for_each(|value| queue.send(value).unwrap()));
            }
        });
        queue.join();
        queue.close();
        for consumer in consumers {
            consumer.join().unwrap();
        }
    });
    assert_eq!(total.load(Relaxed), 2 * 12_502_500);
    let report = stats.report("q");
    assert_eq!(
        (report.sent, report.received, report.unfinished),
        (10_000, 10_000, 0)
    );
    assert_eq!(report.peak_depth, 1);
}
