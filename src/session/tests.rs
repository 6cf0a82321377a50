//! The session's tests: snapshots number themselves, each run starts the
//! peaks over, the thread publishes the newest tick.

use std::sync::Arc;
use std::time::Duration;

use corescope_demos::config::DemoConfig;
use corescope_demos::host::DemoCommand;

use super::*;
use crate::snapshot::compare::ComparePlan;

#[test]
fn consecutive_snapshots_number_and_time_themselves() {
    let mut session = Session::for_own_process().expect("self");
    let first = session.sample();
    std::thread::sleep(Duration::from_millis(30));
    let second = session.sample();
    assert_eq!((first.seq, second.seq), (0, 1));
    assert_eq!(first.interval, None);
    let interval = second.interval.expect("interval");
    assert!(interval >= Duration::from_millis(30));
    assert!(second.elapsed >= interval);
    assert!(!second.cores.is_empty());
    assert!(second.memory.is_some_and(|m| m.used_bytes <= m.total_bytes));
}

/// The next snapshot published after the one last taken.
fn next_snapshot(rx: &mut tokio::sync::watch::Receiver<Option<Arc<Snapshot>>>) -> Arc<Snapshot> {
    loop {
        futures::executor::block_on(rx.changed()).expect("the session runs");
        if let Some(snapshot) = rx.borrow_and_update().clone() {
            return snapshot;
        }
    }
}

#[test]
fn a_new_demo_a_restart_and_a_mode_switch_each_start_the_peaks_over() {
    let spec = corescope_demos::registry::find("threads").expect("threads demo");
    let mut session = Session::for_own_process().expect("self");
    let first = session.sample().target.epoch;
    session.start_demo(DemoConfig::defaults(spec));
    let started = session.sample().target;
    assert_eq!(started.epoch, first + 1, "a new demo is a new run");
    assert!(started.threads_peak >= started.threads.len());
    session.steer_demo(DemoCommand::Slower);
    assert_eq!(
        session.sample().target.epoch,
        first + 1,
        "slower is the same run"
    );
    session.steer_demo(DemoCommand::Restart);
    let restarted = session.sample().target;
    assert_eq!(restarted.epoch, first + 2);
    assert_eq!(
        restarted.threads_peak,
        restarted.threads.len(),
        "the peak of the restarted run is what it has seen: one sample"
    );
    session.steer_demo(DemoCommand::NextMode);
    assert_eq!(session.sample().target.epoch, first + 3);
    session.reset_peaks();
    assert_eq!(session.sample().target.epoch, first + 4);
    session.stop_demo();
}

#[test]
fn each_mode_of_a_comparison_is_a_run_of_its_own() {
    let plan = ComparePlan {
        kind: corescope_demos::catalog::Kind::Io,
        workers: 1,
        tasks: 1,
        work_ms: 1,
    };
    let comparison = Comparison::new(plan).expect("plan");
    let mut session = Session::for_comparison(comparison).expect("self");
    let mut modes_and_epochs = Vec::new();
    for _ in 0..2_000 {
        let snapshot = session.sample();
        let running = snapshot.compare.and_then(|c| c.running);
        if modes_and_epochs
            .last()
            .is_none_or(|(mode, _)| *mode != running)
        {
            modes_and_epochs.push((running, snapshot.target.epoch));
        }
        if session.comparison_mut().is_some_and(|c| c.is_finished()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Each mode's first snapshot was taken as it started; the next
    // ones carry a new epoch.
    let epochs: Vec<u64> = modes_and_epochs.iter().map(|(_, epoch)| *epoch).collect();
    assert!(modes_and_epochs.len() >= 3, "{modes_and_epochs:?}");
    assert!(
        epochs.windows(2).all(|pair| pair[1] > pair[0]),
        "every mode change starts a new run: {modes_and_epochs:?}"
    );
}

#[test]
fn the_thread_delivers_ticks_and_stops_when_dropped() {
    let (tx, mut rx) = tokio::sync::watch::channel(None);
    let session = Session::for_own_process().expect("self");
    let handle = SessionHandle::spawn(session, Duration::from_millis(50), tx).expect("spawn");
    let first = next_snapshot(&mut rx);
    let second = next_snapshot(&mut rx);
    assert!(
        second.seq > first.seq,
        "expected a later tick after seq {}, got seq {}",
        first.seq,
        second.seq
    );
    handle.send(SessionCommand::SetInterval(Duration::from_millis(60)));
    drop(handle);
}

#[test]
fn a_stalled_screen_gets_the_newest_tick_not_a_backlog() {
    let (tx, mut rx) = tokio::sync::watch::channel(None);
    let session = Session::for_own_process().expect("self");
    let _handle = SessionHandle::spawn(session, Duration::from_millis(10), tx).expect("spawn");
    // The screen takes nothing while the sampler makes five ticks.
    let ticked = |rx: &tokio::sync::watch::Receiver<Option<Arc<Snapshot>>>| {
        rx.borrow().as_ref().is_some_and(|s| s.seq >= 5)
    };
    while !ticked(&rx) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let first_frame = next_snapshot(&mut rx);
    assert!(
        first_frame.seq >= 5,
        "expected the first snapshot after the stall to be the newest (seq 5 or \
         later), got seq {}",
        first_frame.seq
    );
}

#[test]
fn the_session_watches_a_new_root_as_a_new_run_or_says_why_it_cannot() {
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let pid = i32::try_from(child.id()).expect("pid");
    let mut sampler = Session::for_own_process().expect("self");
    sampler.sample();
    sampler.watch_root(pid);
    let first = sampler.sample();
    assert_eq!(
        (first.target.root_pid, first.seq, first.interval),
        (pid, 0, None)
    );
    assert_eq!(first.notice, None);
    child.kill().expect("kill");
    child.wait().expect("reap");
    sampler.watch_root(pid);
    let after = sampler.sample();
    assert_eq!(after.target.root_pid, pid, "the tree watched stays");
    let notice = after.notice.expect("a notice says why");
    assert!(
        notice.starts_with(&crate::sampler::watch_failure(pid))
            && notice.contains("no process with PID"),
        "{notice}"
    );
}

#[test]
fn a_session_runs_one_workload_at_a_time() {
    let plan = ComparePlan {
        kind: corescope_demos::catalog::Kind::Io,
        workers: 1,
        tasks: 1,
        work_ms: 1,
    };
    let comparison = Comparison::new(plan).expect("plan");
    let mut session = Session::for_comparison(comparison).expect("self");
    session.sample();
    session.stop_demo();
    assert!(
        session.comparison_mut().is_some(),
        "expected a stop of the demo to leave the comparison running"
    );
    let spec = corescope_demos::registry::find("threads").expect("threads demo");
    session.start_demo(DemoConfig::defaults(spec));
    assert!(
        session.comparison_mut().is_none() && session.demo().is_some(),
        "expected a demo started to take the comparison's place"
    );
    session.stop_demo();
    assert!(session.demo().is_none(), "expected the demo stopped");
    assert!(session.sample().demo.is_none(), "expected no demo sampled");
}

#[test]
fn rates_are_per_measured_interval_whatever_the_tick() {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spinning = Arc::clone(&stop);
    let (started, running) = std::sync::mpsc::channel();
    let spinner = std::thread::Builder::new()
        .name("cs-spinner".into())
        .spawn(move || {
            // Named by now: the name is set before the closure runs.
            let _ = started.send(());
            while !spinning.load(std::sync::atomic::Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        })
        .expect("spinner");
    running.recv().expect("the spinner starts");
    let mut sampler = Session::for_own_process().expect("self");
    let mut before = sampler.sample();
    // A short tick, then a long one, then a short one: each rate must be
    // the CPU time used over the wall time measured, never over a tick
    // asked for.
    for pause_ms in [150, 900, 150] {
        std::thread::sleep(Duration::from_millis(pause_ms));
        let after = sampler.sample();
        let find = |snapshot: &crate::snapshot::Snapshot| {
            snapshot
                .target
                .threads
                .iter()
                .find(|t| t.name == "cs-spinner")
                .cloned()
                .unwrap_or_else(|| {
                    let names: Vec<&str> = snapshot
                        .target
                        .threads
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect();
                    panic!("expected the thread cs-spinner among {names:?}")
                })
        };
        let (was, now) = (find(&before), find(&after));
        let used_ns = now.cpu_time_ns.expect("cpu time") - was.cpu_time_ns.expect("cpu time");
        let wall = after.interval.expect("a measured interval");
        assert!(
            wall >= Duration::from_millis(pause_ms),
            "the measured interval {wall:?} covers the {pause_ms} ms pause"
        );
        assert!(used_ns > 0, "the spinner ran at all in {wall:?}");
        let expected = (used_ns as f64 * 100.0 / wall.as_nanos() as f64).min(100.0);
        let shown = f64::from(now.cpu_pct.expect("a rate on the second sight"));
        // The thread's own reading times differ from the snapshot's by the
        // time a tick takes to read /proc, a few percent of these pauses
        // even on a loaded machine; a rate over the tick asked for would be
        // off by the ratio of the ticks (6 times).
        assert!(
            (shown - expected).abs() <= 10.0,
            "after a {pause_ms} ms pause the spinner's CPU % is {shown:.1}, but it used \
             {used_ns} ns of CPU in {wall:?} ({expected:.1}%)"
        );
        before = after;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    spinner.join().expect("spinner");
}
