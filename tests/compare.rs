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

#[test]
fn computing_scales_with_threads_and_processes_not_with_the_gil() {
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
        ] {
            assert!(r.get(key).is_some(), "row lacks {key}: {r}");
        }
        assert_eq!(r["tasks_done"], 4);
    }
    if std::thread::available_parallelism().map_or(1, usize::from) >= 2 {
        assert!(
            number(row(&report, "threads"), "speedup") >= 1.6,
            "{report}"
        );
        assert!(
            number(row(&report, "processes"), "speedup") >= 1.6,
            "{report}"
        );
    }
    assert!(number(row(&report, "gil"), "speedup") <= 1.2, "{report}");
    assert!(
        number(row(&report, "gil"), "parallelism") <= 1.2,
        "{report}"
    );
    let thread_start = number(row(&report, "threads"), "start_us_per_worker");
    let process_start = number(row(&report, "processes"), "start_us_per_worker");
    assert!(
        process_start > 3.0 * thread_start,
        "a process starts {process_start} µs, a thread {thread_start} µs"
    );
    let thread_memory = number(row(&report, "threads"), "rss_kib_per_worker");
    let process_memory = number(row(&report, "processes"), "rss_kib_per_worker");
    assert!(
        process_memory > 20.0 * thread_memory.max(1.0),
        "{process_memory} KiB vs {thread_memory} KiB"
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
    for mode in ["threads", "gil", "processes", "async"] {
        let speedup = number(row(&report, mode), "speedup");
        assert!(speedup >= 5.0, "{mode}: {speedup}x: {report}");
    }
}

#[test]
fn a_plan_no_mode_can_run_is_refused_before_anything_starts() {
    let out = corescope(&["compare", "--headless", "--workers", "65"]);
    assert_eq!(out.status.code(), Some(2));
    let out = corescope(&["compare", "--headless", "--kind", "gpu"]);
    assert_eq!(out.status.code(), Some(2));
}
