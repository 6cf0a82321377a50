//! `corescope compare --headless --json`: the same workload in every mode,
//! each figure measured; the lessons show in the numbers.

mod common;

use common::{corescope, one_at_a_time};
use serde_json::Value;

fn compare(args: &[&str]) -> Value {
    let mut all = vec!["compare", "--headless", "--json"];
    all.extend_from_slice(args);
    let out = corescope(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn row<'a>(report: &'a Value, mode: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["mode"] == mode)
        .unwrap_or_else(|| panic!("no {mode} row: {report}"))
}

fn number(row: &Value, key: &str) -> f64 {
    row[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {row}"))
}

/// Checks a mode's `max_concurrent`, saying in words what was seen.
fn expect_at_once(report: &Value, mode: &str, expected: u64, doing: &str) {
    let seen = row(report, mode)["max_concurrent"].as_u64();
    assert_eq!(
        seen,
        Some(expected),
        "{mode} mode: expected at most {expected} tasks {doing} at the same instant \
         and at some point exactly {expected}, saw {seen:?} (max_concurrent)"
    );
}

#[test]
fn computing_overlaps_in_threads_and_processes_and_never_inside_the_gil() {
    let _cores = one_at_a_time();
    let report = compare(&[
        "--kind",
        "cpu",
        "--workers",
        "2",
        "--tasks",
        "4",
        "--work-ms",
        "200",
    ]);
    assert_eq!(report["kind"], "cpu");
    let modes: Vec<&str> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["mode"].as_str())
        .collect();
    assert_eq!(
        modes,
        ["sequential", "threads", "gil", "processes", "async"]
    );
    for r in report["rows"].as_array().expect("rows") {
        for key in [
            "mode",
            "wall_ms",
            "speedup",
            "cpu_busy_pct",
            "parallelism",
            "start_us_per_worker",
            "rss_kib_per_worker",
            "max_concurrent",
        ] {
            assert!(r.get(key).is_some(), "row lacks {key}: {r}");
        }
        assert_eq!(r["tasks_done"], 4);
    }
    // What the speedups show, counted by the probes rather than timed, so
    // it holds however busy the machine is: the concurrent modes do their
    // work at the same instant, the GIL lets one compute at a time, and the
    // one event-loop thread runs one computing task at a time. (The
    // speedups themselves: scripts/check-scaling.sh.)
    for (mode, expected) in [
        ("sequential", 1),
        ("threads", 2),
        ("gil", 1),
        ("processes", 2),
        ("async", 1),
    ] {
        expect_at_once(&report, mode, expected, "computing");
    }
    let thread_memory = number(row(&report, "threads"), "rss_kib_per_worker");
    let process_memory = number(row(&report, "processes"), "rss_kib_per_worker");
    assert!(
        process_memory > 20.0 * thread_memory.max(1.0),
        "a worker process should take over 20 times a thread's memory: \
         a process {process_memory} KiB, a thread {thread_memory} KiB"
    );
}

#[test]
fn waiting_overlaps_in_every_concurrent_mode() {
    let _cores = one_at_a_time();
    let report = compare(&[
        "--kind",
        "io",
        "--workers",
        "8",
        "--tasks",
        "8",
        "--work-ms",
        "200",
    ]);
    // Waiting needs no core, so even under the GIL waits overlap. (All
    // eight at once needs their workers started within one 200 ms wait,
    // which a loaded machine may not give; async starts its tasks together.)
    expect_at_once(&report, "sequential", 1, "waiting");
    expect_at_once(&report, "async", 8, "waiting");
    for mode in ["threads", "gil", "processes"] {
        let seen = row(&report, mode)["max_concurrent"].as_u64();
        assert!(
            seen.is_some_and(|n| (2..=8).contains(&n)),
            "{mode} mode: expected waits to overlap (2 to 8 tasks waiting at once), \
             saw {seen:?} (max_concurrent)"
        );
    }
}

#[test]
fn a_plan_no_mode_can_run_is_refused_before_anything_starts() {
    let out = corescope(&["compare", "--headless", "--workers", "65"]);
    assert_eq!(out.status.code(), Some(2));
    let out = corescope(&["compare", "--headless", "--kind", "gpu"]);
    assert_eq!(out.status.code(), Some(2));
}
