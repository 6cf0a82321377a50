use super::{InstrumentedBarrier, InstrumentedCondition, InstrumentedEvent};
use crate::probes::clock::now_ns;
use crate::probes::{InstrumentedMutex, ProbeRef};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

/// Polls `condition` every millisecond for up to five seconds.
fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = now_ns() + 5_000_000_000;
    while !condition() {
        if now_ns() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

fn condition(value: u32) -> InstrumentedCondition<u32> {
    InstrumentedCondition::new(
        InstrumentedMutex::new(value, ProbeRef::default()),
        ProbeRef::default(),
    )
}

#[test]
fn a_predicate_that_already_holds_does_not_wait() {
    let ready = condition(1);
    let mut guard = ready.lock();
    ready.wait_while(&mut guard, |value| *value == 0);
    drop(guard);
    let report = ready.stats().report("ready");
    assert_eq!((report.waits, report.wakeups, report.wait.count), (0, 0, 0));
}

#[test]
fn wait_while_blocks_until_the_state_holds() {
    let ready = condition(0);
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            let mut guard = ready.lock();
            ready.wait_while(&mut guard, |value| *value < 3);
            *guard
        });
        assert!(eventually(|| ready.stats().report("c").waiting_now == 1));
        for _ in 0..3 {
            *ready.lock() += 1;
            ready.notify_all();
        }
        assert_eq!(waiter.join().unwrap(), 3);
    });
    let report = ready.stats().report("c");
    assert_eq!(
        (report.waits, report.wait.count, report.waiting_now),
        (1, 1, 0)
    );
    assert!(report.wakeups >= 1);
    assert_eq!(report.notifies, 3);
}

#[test]
fn notify_all_wakes_every_waiter() {
    let gate = condition(0);
    let woken = AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let mut guard = gate.lock();
                gate.wait_while(&mut guard, |open| *open == 0);
                woken.fetch_add(1, Relaxed);
            });
        }
        assert!(eventually(|| gate.stats().report("g").waiting_now == 3));
        *gate.lock() = 1;
        gate.notify_all();
    });
    assert_eq!(woken.load(Relaxed), 3);
    assert_eq!(gate.stats().report("g").waits, 3);
}

#[test]
fn wait_timeout_reports_the_timeout() {
    let idle = condition(0);
    let mut guard = idle.lock();
    assert!(idle.wait_timeout(&mut guard, Duration::from_millis(5)));
    assert!(!idle.notify_one());
    drop(guard);
    let report = idle.stats().report("idle");
    assert_eq!((report.waits, report.wakeups), (1, 1));
    assert!(report.wait.max_ns >= 5_000_000);
}

#[test]
fn waiting_on_a_set_event_does_not_block() {
    let event = InstrumentedEvent::new(ProbeRef::default());
    event.set();
    event.wait();
    assert!(event.wait_timeout(Duration::from_secs(5)));
    let report = event.stats().report("e");
    assert!(report.is_set);
    assert_eq!((report.sets, report.waits), (1, 0));
}

#[test]
fn waiters_block_until_the_event_is_set() {
    let event = InstrumentedEvent::new(ProbeRef::default());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| event.wait());
        }
        assert!(eventually(|| event.stats().report("e").waiting_now == 2));
        event.set();
    });
    let report = event.stats().report("e");
    assert_eq!(
        (report.waits, report.wait.count, report.waiting_now),
        (2, 2, 0)
    );
    event.clear();
    assert!(!event.is_set());
    assert!(!event.wait_timeout(Duration::from_millis(2)));
    let report = event.stats().report("e");
    assert!(!report.is_set);
    assert_eq!((report.clears, report.waits), (1, 3));
}

#[test]
fn zero_parties_is_rejected() {
    assert!(InstrumentedBarrier::new(0, ProbeRef::default()).is_none());
}

#[test]
fn a_barrier_releases_one_generation_at_a_time() {
    let barrier = InstrumentedBarrier::new(4, ProbeRef::default()).unwrap();
    let leaders = AtomicU32::new(0);
    let passed = AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for round in 0..3 {
                    if barrier.wait() {
                        leaders.fetch_add(1, Relaxed);
                    }
                    // Nobody passes round n before all four arrived at it.
                    assert!(passed.fetch_add(1, Relaxed) >= round * 4);
                }
            });
        }
    });
    assert_eq!(leaders.load(Relaxed), 3);
    let report = barrier.stats().report("b");
    assert_eq!(
        (report.parties, report.arrived, report.generations),
        (4, 0, 3)
    );
    assert_eq!(report.wait.count, 9);
}
