//! Each demo, run once headless with small parameters, shows its concept in
//! the numbers it measured.
//!
//! Timing bounds are loose on purpose: these tests share two cores with
//! each other.

use std::time::{Duration, Instant};

use corescope_demos::catalog::{Kind, Mode};
use corescope_demos::config::{DemoConfig, DemoRequest};
use corescope_demos::demos::{
    bank::BankOutcome, barrier::BarrierOutcome, condition::ConditionOutcome, event::EventOutcome,
    lock_contention::ContentionOutcome, producer_consumer::QueueOutcome, race::RaceOutcome,
    rlock::RLockOutcome, scaling::ScalingOutcome, semaphore::SemaphoreOutcome,
    thread_pool::PoolOutcome, threads::ThreadsOutcome,
};
use corescope_demos::outcome::{Outcome, RoundOutcome, Verdict};
use corescope_demos::run::{DemoRun, Rounds};

/// Longest a demo may take before the test gives up on it.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A request for demo `name` with `values`; tweak the rest in place.
fn request(name: &str, values: &[(&str, u64)]) -> DemoRequest {
    DemoRequest {
        name: name.to_owned(),
        values: values.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect(),
        ..DemoRequest::default()
    }
}

/// Runs one round of `request` and returns its outcome.
fn run(request: &DemoRequest) -> Outcome {
    let config = DemoConfig::new(request).expect("valid request");
    let run = DemoRun::start(config, Rounds::Once).expect("demo thread starts");
    let started = Instant::now();
    while !run.is_finished() {
        if started.elapsed() > TIMEOUT {
            // Dropping the run would wait for its threads, possibly forever:
            // leave them behind so that the test fails instead of hanging.
            std::mem::forget(run);
            panic!("{} did not finish in {TIMEOUT:?}", request.name);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let sample = run.sample();
    assert_eq!(sample.error, None, "{} failed", request.name);
    let outcome = sample.outcome.expect("a finished round has an outcome");
    assert!(
        !outcome.lines().is_empty(),
        "{} has no result lines",
        request.name
    );
    outcome
}

#[test]
fn threads_joined_all_finish_and_daemons_are_cut_off() {
    let mut r = request("threads", &[("workers", 2), ("work-ms", 60)]);
    r.kind = Some(Kind::Io);
    let Some(o) = run(&r).get::<ThreadsOutcome>().cloned() else {
        panic!("not a threads outcome")
    };
    assert_eq!((o.joined_started, o.joined_finished), (2, 2), "{o:?}");
    assert!(o.main_waited_ms >= 30.0, "{o:?}");
    assert_eq!(o.daemon_started, 2, "{o:?}");
    assert_eq!((o.daemon_finished, o.daemon_abandoned), (0, 2), "{o:?}");
    assert!(o.main_ran_ms >= 60.0, "{o:?}");
}

#[test]
fn bank_unlocked_overdraws_and_locked_refuses_the_second_withdrawal() {
    let Some(o) = run(&request("bank", &[("workers", 2)]))
        .get::<BankOutcome>()
        .cloned()
    else {
        panic!("not a bank outcome")
    };
    let summary: Vec<_> = o
        .variants
        .iter()
        .map(|v| (v.variant, v.start_balance, v.approved, v.final_balance))
        .collect();
    assert_eq!(
        summary,
        [("unlocked", 100, 2, -60), ("locked", 100, 1, 20)],
        "{o:?}"
    );
    let verdicts: Vec<_> = o.lines().iter().map(|l| l.verdict).collect();
    assert_eq!(verdicts, [Verdict::Bad, Verdict::Good]);
}

#[test]
fn bank_runs_only_the_variant_asked_for() {
    let mut r = request("bank", &[("workers", 3), ("delay-ms", 5)]);
    r.variant = Some("locked".to_owned());
    let Some(o) = run(&r).get::<BankOutcome>().cloned() else {
        panic!("not a bank outcome")
    };
    assert_eq!(o.variants.len(), 1);
    assert_eq!(
        (o.variants[0].approved, o.variants[0].final_balance),
        (1, 20)
    );
}

#[test]
fn rlock_re_enters_at_every_level_and_a_plain_relock_is_refused() {
    let r = request(
        "rlock",
        &[("workers", 2), ("tasks", 6), ("depth", 3), ("work-ms", 1)],
    );
    let Some(o) = run(&r).get::<RLockOutcome>().cloned() else {
        panic!("not an rlock outcome")
    };
    assert_eq!(o.tasks_done, 6, "{o:?}");
    assert_eq!(o.nested_acquires, 6 * 3, "{o:?}");
    assert_eq!(o.deepest_level, 3, "{o:?}");
    assert_eq!(
        (o.plain_relock_tries, o.plain_relock_refused),
        (6, 6),
        "{o:?}"
    );
}

#[test]
fn condition_consumers_take_every_item_produced() {
    let r = request("condition", &[("workers", 2), ("tasks", 6), ("work-ms", 5)]);
    let Some(o) = run(&r).get::<ConditionOutcome>().cloned() else {
        panic!("not a condition outcome")
    };
    assert_eq!((o.items, o.consumed), (6, 6), "{o:?}");
    // One notify per item, and one more to close the shelf.
    assert_eq!(o.notifies, 7, "{o:?}");
    assert!(o.waits > 0 && o.wakeups > 0, "{o:?}");
}

#[test]
fn event_wakes_every_waiter() {
    let r = request("event", &[("workers", 4), ("delay-ms", 50)]);
    let Some(o) = run(&r).get::<EventOutcome>().cloned() else {
        panic!("not an event outcome")
    };
    assert_eq!((o.waiters, o.woken), (4, 4), "{o:?}");
    assert!(o.blocked >= 1, "{o:?}");
    assert!(o.set_after_ms >= 50.0, "{o:?}");
    // How quickly they wake depends on the machine's load (the demo screen
    // shows it); that every one of them was woken, by one set, does not.
    assert!(o.latency_mean_us <= o.latency_max_us, "{o:?}");
}

#[test]
fn barrier_releases_one_generation_per_phase() {
    let r = request("barrier", &[("workers", 3), ("phases", 4), ("work-ms", 9)]);
    let Some(o) = run(&r).get::<BarrierOutcome>().cloned() else {
        panic!("not a barrier outcome")
    };
    assert_eq!((o.parties, o.generations), (3, 4), "{o:?}");
    assert!(o.waited_total_ms > 0.0, "{o:?}");
    assert!(o.waited_max_ms <= o.waited_total_ms, "{o:?}");
}

#[test]
fn thread_pool_map_keeps_input_order_and_as_completed_does_not() {
    let mut r = request(
        "thread-pool",
        &[("workers", 3), ("tasks", 6), ("work-ms", 30)],
    );
    r.kind = Some(Kind::Io);
    let Some(o) = run(&r).get::<PoolOutcome>().cloned() else {
        panic!("not a thread-pool outcome")
    };
    let input: Vec<u64> = (0..6).collect();
    assert!(o.order_preserved, "{o:?}");
    assert_eq!(o.map_order, input);
    assert_ne!(o.completion_order, input, "{o:?}");
    let mut finished = o.completion_order.clone();
    finished.sort_unstable();
    assert_eq!(finished, input, "every task came back once");
    let mut map_finished = o.map_finish_order.clone();
    map_finished.sort_unstable();
    assert_eq!(map_finished, input);
}

#[test]
fn semaphore_caps_the_tasks_inside_and_the_rest_wait() {
    let mut r = request(
        "semaphore",
        &[
            ("workers", 4),
            ("permits", 2),
            ("tasks", 8),
            ("work-ms", 20),
        ],
    );
    r.kind = Some(Kind::Io);
    let Some(o) = run(&r).get::<SemaphoreOutcome>().cloned() else {
        panic!("not a semaphore outcome")
    };
    assert_eq!(o.tasks_done, 8, "{o:?}");
    assert_eq!((o.permits, o.peak_in_use), (2, 2), "{o:?}");
    assert!(o.max_inside <= 2, "{o:?}");
    assert!(o.peak_waiters > 0, "{o:?}");
    assert!(o.contended > 0 && o.acquires == 8, "{o:?}");
}

#[test]
fn race_unsynchronized_loses_updates() {
    let mut r = request("race", &[("workers", 2), ("iterations", 1_000_000)]);
    r.variant = Some("unsynchronized".to_owned());
    let Some(o) = run(&r).get::<RaceOutcome>().cloned() else {
        panic!("not a race outcome")
    };
    let v = &o.variants[0];
    assert_eq!(v.expected, 2_000_000);
    assert!(v.lost_updates > 0, "{o:?}");
    assert_eq!(v.actual + v.lost_updates, v.expected);
}

#[test]
fn race_locked_and_atomic_are_exact() {
    for variant in ["locked", "atomic"] {
        let mut r = request("race", &[("workers", 2), ("iterations", 50_000)]);
        r.variant = Some(variant.to_owned());
        let Some(o) = run(&r).get::<RaceOutcome>().cloned() else {
            panic!("not a race outcome")
        };
        let v = &o.variants[0];
        assert_eq!((v.variant, v.actual, v.lost_updates), (variant, 100_000, 0));
    }
}

#[test]
fn producer_consumer_consumes_everything_within_capacity() {
    let r = request(
        "producer-consumer",
        &[
            ("producers", 2),
            ("consumers", 2),
            ("capacity", 4),
            ("tasks", 40),
            ("produce-ms", 0),
            ("work-ms", 2),
        ],
    );
    let Some(o) = run(&r).get::<QueueOutcome>().cloned() else {
        panic!("not a producer-consumer outcome")
    };
    assert_eq!((o.produced, o.consumed), (40, 40), "{o:?}");
    assert!(o.peak_depth <= 4, "{o:?}");
    assert!(o.joined, "{o:?}");
    assert_eq!(o.sentinels, 2, "{o:?}");
}

#[test]
fn gil_hands_the_lock_between_workers() {
    let mut r = request(
        "gil",
        &[
            ("workers", 2),
            ("tasks", 4),
            ("work-ms", 30),
            ("switch-ms", 2),
        ],
    );
    r.mode = Some(Mode::Gil);
    r.kind = Some(Kind::Cpu);
    let Some(o) = run(&r).get::<ScalingOutcome>().cloned() else {
        panic!("not a scaling outcome")
    };
    assert_eq!(o.tasks_done, 4, "{o:?}");
    assert!(o.gil_switches.is_some_and(|s| s > 0), "{o:?}");
    assert_eq!(
        o.max_concurrent, 1,
        "expected never two workers computing inside the GIL at once: {o:?}"
    );
}

#[test]
fn lock_contention_makes_workers_wait() {
    let r = request(
        "lock-contention",
        &[
            ("workers", 3),
            ("tasks", 30),
            ("work-ms", 1),
            ("critical-ms", 2),
        ],
    );
    let Some(o) = run(&r).get::<ContentionOutcome>().cloned() else {
        panic!("not a lock-contention outcome")
    };
    assert_eq!(o.tasks_done, 30, "{o:?}");
    assert!(o.contended_pct > 0.0, "{o:?}");
}

#[test]
fn stopping_mid_round_ends_every_new_demo() {
    let requests = [
        request("threads", &[("workers", 2), ("work-ms", 60_000)]),
        request("bank", &[("workers", 2), ("delay-ms", 10_000)]),
        request("rlock", &[("workers", 2), ("work-ms", 60_000)]),
        request("condition", &[("workers", 2), ("work-ms", 60_000)]),
        request("event", &[("workers", 3), ("delay-ms", 60_000)]),
        request(
            "barrier",
            &[("workers", 3), ("phases", 100_000), ("work-ms", 60_000)],
        ),
        request("thread-pool", &[("workers", 2), ("work-ms", 60_000)]),
        request(
            "semaphore",
            &[("workers", 4), ("permits", 1), ("work-ms", 60_000)],
        ),
    ];
    let runs: Vec<DemoRun> = requests
        .iter()
        .map(|r| {
            let config = DemoConfig::new(r).expect("valid request");
            DemoRun::start(config, Rounds::Repeat).expect("demo thread starts")
        })
        .collect();
    // Long enough for every demo to be blocked or working mid-round.
    std::thread::sleep(Duration::from_millis(200));
    for (run, r) in runs.into_iter().zip(&requests) {
        assert!(!run.is_finished(), "{} ended on its own", r.name);
        let started = Instant::now();
        run.controls().stop();
        while !run.is_finished() {
            if started.elapsed() > TIMEOUT {
                // As in `run`: fail, rather than wait forever in `drop`.
                std::mem::forget(run);
                panic!(
                    "{} did not stop within {TIMEOUT:?} of being told to (its work lasts 60 s)",
                    r.name
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
