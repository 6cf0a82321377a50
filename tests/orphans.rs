//! No worker process outlives the dashboard, however it ends: `q`, SIGTERM,
//! SIGINT, SIGHUP, and SIGKILL (which no handler sees: the workers' own
//! parent-death signal takes them down). Nothing is left in /dev/shm, and
//! every way out but SIGKILL leaves the terminal's settings as they were.

mod common;

use std::process::{Command, Stdio};

use common::{
    Guarded, Tmux, bin, children_named, command, dev_shm, one_at_a_time, tmux_available,
    wait_until, workers_of,
};

/// A process-mode demo with work for minutes, in a real terminal. Returns
/// the dashboard's pid once its two workers run.
fn start_demo(tmux: &Tmux) -> u32 {
    // The shell records the terminal's settings before and after corescope.
    tmux.type_line(&format!(
        "stty -g > {}; {} demo cpu-vs-io --mode processes --workers 2 --tasks 100000 --work-ms 100; stty -g > {}",
        tmux.file("before").display(),
        bin(),
        tmux.file("after").display()
    ));
    let mut dashboard = Vec::new();
    assert!(
        wait_until(common::DEADLINE, || {
            dashboard = children_named(tmux.shell_pid(), "corescope");
            dashboard.len() == 1 && workers_of(dashboard[0]).len() == 2
        }),
        "the demo never had two workers:\n{}",
        tmux.screen()
    );
    dashboard[0]
}

fn assert_no_worker_left(dashboard: u32) {
    assert!(
        wait_until(common::DEADLINE, || workers_of(dashboard).is_empty()),
        "expected no worker of {dashboard} after it ended, still alive: {:?}",
        workers_of(dashboard)
    );
}

#[test]
fn every_way_out_of_the_dashboard_takes_the_workers_with_it() {
    let _cores = one_at_a_time();
    if !tmux_available() {
        return;
    }
    let shm_before = dev_shm();
    for how in ["q", "TERM", "INT", "HUP", "KILL"] {
        let tmux = Tmux::start(&format!("orphans-{how}"), 120, 40);
        let dashboard = start_demo(&tmux);
        if how == "q" {
            tmux.send(&["q"]);
        } else {
            let status = Command::new("kill")
                .args([&format!("-{how}"), &dashboard.to_string()])
                .status()
                .expect("kill");
            assert!(status.success());
        }
        assert_no_worker_left(dashboard);
        // SIGKILL cannot be caught: no program restores a terminal after it.
        if how != "KILL" {
            let after = tmux.read_when_written(&tmux.file("after"));
            let before = std::fs::read_to_string(tmux.file("before")).expect("before");
            assert_eq!(before, after, "terminal settings differ after {how}");
        }
    }
    // corescope's shared memory is a memfd, never a name in /dev/shm; a
    // name that appears is left by corescope unless another program made
    // it: Python's multiprocessing semaphores (`sem.mp-*`) of programs that
    // run beside the tests are not corescope's.
    let left: Vec<String> = dev_shm()
        .into_iter()
        .filter(|name| !shm_before.contains(name) && !name.starts_with("sem.mp-"))
        .collect();
    assert!(
        left.is_empty(),
        "expected corescope to leave nothing in /dev/shm, found {left:?}"
    );
}

#[test]
fn a_killed_headless_run_leaves_no_worker_either() {
    let _cores = one_at_a_time();
    let run = Guarded(
        command()
            .args([
                "demo",
                "cpu-vs-io",
                "--mode",
                "processes",
                "--workers",
                "2",
                "--tasks",
                "100000",
                "--headless",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("corescope"),
    );
    let pid = run.0.id();
    assert!(
        wait_until(common::DEADLINE, || workers_of(pid).len() == 2),
        "no workers started"
    );
    drop(run); // SIGKILL, then reaped
    assert_no_worker_left(pid);
}

#[test]
fn a_hung_worker_is_killed_when_the_demo_stops() {
    let _cores = one_at_a_time();
    let out = command()
        .args([
            "demo",
            "cpu-vs-io",
            "--mode",
            "processes",
            "--workers",
            "2",
            "--tasks",
            "4",
            "--work-ms",
            "20",
            "--hang-worker",
            "1",
            "--headless",
            "--duration",
            "1",
            "--json",
        ])
        .output()
        .expect("corescope");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let failures = report["failures"].as_array().expect("failures");
    assert!(
        failures
            .iter()
            .any(|f| f.as_str().is_some_and(|f| f.contains("SIGKILL"))),
        "the hung worker is reported killed: {failures:?}"
    );
}

#[test]
fn a_crashed_worker_is_reported_and_the_demo_finishes() {
    let _cores = one_at_a_time();
    let out = command()
        .args([
            "demo",
            "cpu-vs-io",
            "--mode",
            "processes",
            "--workers",
            "2",
            "--tasks",
            "6",
            "--work-ms",
            "20",
            "--crash-worker",
            "0",
            "--headless",
            "--json",
        ])
        .output()
        .expect("corescope");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        report["tasks"]["done"], 6,
        "the other worker (or a restart) finishes the work"
    );
    let failures = report["failures"].as_array().expect("failures");
    assert!(
        failures.iter().any(|f| f
            .as_str()
            .is_some_and(|f| f.contains("worker 0") && f.contains("SIGSEGV"))),
        "{failures:?}"
    );
}
