//! The example programs of `assets/python/`, run as a user runs them:
//! `corescope run --headless --json -- python3 PROGRAM ARGS`. Each must show
//! its lesson in the numbers: the threads and processes it starts, and the
//! cores it really keeps busy (the GIL holds CPU-bound threads to one core,
//! processes get past it).
//!
//! Every test here measures CPU use, so they run one at a time. The real
//! interpreter is run (not a `python3` launcher script), as in every
//! end-to-end test.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{command, one_at_a_time, python_executable};
use serde_json::Value;

/// The path of an example program.
fn program(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/python")
        .join(name)
}

/// Runs `program ARGS` under `corescope run --headless --json` and returns
/// the report and what the program printed (corescope's stderr).
fn run(name: &str, args: &[&str]) -> (Value, String) {
    let out = command()
        .args(["run", "--headless", "--json", "--", python_executable()])
        .arg(program(name))
        .args(args)
        .output()
        .expect("run corescope");
    let printed = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{name}: {printed}");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: stdout is not JSON ({e}): {printed}"));
    assert_eq!(report["exit_code"], 0, "{name} failed: {printed}");
    assert_eq!(report["stopped"], false);
    (report, printed)
}

fn number(report: &Value, path: &[&str]) -> f64 {
    path.iter()
        .fold(report, |value, key| &value[key])
        .as_f64()
        .unwrap_or_else(|| panic!("no number at {path:?} in {report}"))
}

/// Threads of the report's workers (every thread but the main one) seen in
/// a futex wait in at least `pct` percent of their samples.
fn futex_waiters(report: &Value, pct: f64) -> usize {
    let main = report["pid"].as_i64();
    report["per_thread"]
        .as_array()
        .expect("per_thread")
        .iter()
        .filter(|t| t["tid"].as_i64() != main)
        .filter(|t| t["futex_wait_pct"].as_f64().is_some_and(|p| p >= pct))
        .count()
}

#[test]
fn cpu_bound_threads_stay_on_one_core_under_the_gil() {
    let _cores = one_at_a_time();
    let (report, printed) = run("cpu_threads.py", &["4", "2"]);
    assert_eq!(report["threads"]["peak"], 5, "main + 4 workers");
    assert_eq!(report["processes"]["peak"], 1);
    let mean = number(&report, &["parallelism", "mean"]);
    assert!(mean <= 1.2, "the GIL allows one core's worth: {mean}");
    assert!(
        mean > 0.0,
        "expected the threads to compute (parallelism above 0), saw {mean}"
    );
    assert!(printed.contains("on 4 threads"), "{printed}");
    // Waiting for the GIL is a futex wait, seen from outside the program.
    assert!(futex_waiters(&report, 10.0) >= 2, "{report}");
}

/// What `multiprocessing` starts besides the workers, by start method.
/// Measured with this repository's `cpu_processes.py` (a Process and a one-way
/// Pipe per worker, nothing else):
/// - `fork` (Linux's default before Python 3.14): nothing; the workers are
///   forked from the main process.
/// - `spawn`: a resource tracker process (it cleans up named semaphores and
///   shared memory after a crash), started before the first worker.
/// - `forkserver` (the default from 3.14): the resource tracker and the fork
///   server, which forks the workers (they are its children).
fn helper_processes(start_method: &str) -> u64 {
    match start_method {
        "fork" => 0,
        "spawn" => 1,
        "forkserver" => 2,
        other => panic!("unknown start method {other}"),
    }
}

#[test]
fn processes_get_past_the_gil() {
    let _cores = one_at_a_time();
    let method = Command::new(python_executable())
        .args([
            "-c",
            "import multiprocessing; print(multiprocessing.get_start_method())",
        ])
        .output()
        .expect("python");
    let method = String::from_utf8_lossy(&method.stdout).trim().to_owned();
    let (report, printed) = run("cpu_processes.py", &["4", "2"]);
    let processes = 1 + 4 + helper_processes(&method);
    assert_eq!(report["processes"]["peak"], processes, "{method}: {report}");
    assert_eq!(report["threads"]["peak"], processes, "one thread each");
    assert_eq!(
        report["per_process"].as_array().map(Vec::len),
        Some(processes as usize)
    );
    assert!(printed.contains("on 4 processes"), "{printed}");

    // The four workers were alive at once (the peak above); how many cores
    // they kept busy needs idle ones: scripts/check-scaling.sh.
    let mean = number(&report, &["parallelism", "mean"]);
    assert!(
        mean > 0.0,
        "expected the worker processes to compute (parallelism above 0), saw {mean}"
    );
}

#[test]
fn io_bound_threads_wait_together_on_no_cpu() {
    let _cores = one_at_a_time();
    let (report, printed) = run("io_threads.py", &["8", "5"]);
    assert_eq!(report["threads"]["peak"], 9, "main + 8 clients");
    assert_eq!(report["processes"]["peak"], 1);
    let mean = number(&report, &["parallelism", "mean"]);
    assert!(mean < 0.2, "waiting costs no CPU: {mean}");
    assert!(printed.contains("40 requests on 8 threads"), "{printed}");
}

#[test]
fn a_contended_lock_shows_as_futex_waits() {
    let _cores = one_at_a_time();
    let (report, printed) = run("lock_counter.py", &["4", "1.5"]);
    assert_eq!(report["threads"]["peak"], 5, "main + 4 workers");
    assert_eq!(report["processes"]["peak"], 1);
    let mean = number(&report, &["parallelism", "mean"]);
    assert!(mean < 0.6, "the lock serialises the work: {mean}");
    // At any moment one worker holds the lock and the others sleep on it.
    assert!(futex_waiters(&report, 30.0) >= 3, "{report}");
    assert!(printed.contains("waited for the lock"), "{printed}");
}

#[test]
fn a_queue_pipeline_runs_at_its_slowest_stage() {
    let _cores = one_at_a_time();
    let (report, printed) = run("queue_pipeline.py", &["100", "2", "4"]);
    assert_eq!(
        report["threads"]["peak"], 4,
        "main + producer + 2 consumers"
    );
    assert_eq!(report["processes"]["peak"], 1);
    assert!(number(&report, &["parallelism", "mean"]) < 0.6, "{report}");
    // Which worker waits on the queue's lock, and for how long, depends on
    // the machine's load (a producer that would block on the full queue is
    // waiting for a CPU instead when the cores are busy); that the wait is
    // seen as a futex wait from outside holds: the main thread joins its
    // workers in one.
    let main = report["per_thread"]
        .as_array()
        .expect("per_thread")
        .iter()
        .find(|t| t["tid"] == report["pid"])
        .expect("the main thread's row");
    let main_futex = main["futex_wait_pct"].as_f64();
    assert!(
        main_futex.is_some_and(|p| p > 0.0),
        "expected the main thread, joining its workers, seen in a futex wait; \
         futex_wait_pct {main_futex:?}"
    );
    assert!(
        printed.contains("100 items through a queue of 4"),
        "{printed}"
    );
}
