//! `--duration SECS` means one thing for every headless command: a time
//! limit. A run that ends by itself first is reported whole; one the limit
//! ends says so.

mod common;

use common::corescope;
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let out = corescope(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON report")
}

#[test]
fn a_comparison_stops_at_its_duration_with_the_modes_done() {
    let _cores = common::one_at_a_time();
    // Five modes of two 5-second tasks each would take at least 25 s.
    let report = json(&[
        "compare",
        "--headless",
        "--json",
        "--duration",
        "0.5",
        "--work-ms",
        "5000",
        "--workers",
        "1",
        "--tasks",
        "2",
    ]);
    assert_eq!(
        report["error"], "--duration of 0.5 s reached",
        "the report says why it stopped: {report}"
    );
    let rows = report["rows"].as_array().map_or(0, Vec::len);
    assert!(rows < 5, "not every mode ran: {report}");
}

#[test]
fn a_demo_cut_by_its_duration_says_so_and_a_whole_round_does_not() {
    let _cores = common::one_at_a_time();
    let cut = json(&[
        "demo",
        "thread-pool",
        "--headless",
        "--json",
        "--duration",
        "0.3",
        "--work-ms",
        "2000",
    ]);
    assert_eq!(cut["stopped"], true, "{cut}");
    let whole = json(&["demo", "race", "--headless", "--json", "--duration", "60"]);
    assert_eq!(whole["stopped"], false, "{whole}");
}

#[test]
fn an_infinite_duration_is_not_a_finite_number() {
    let out = corescope(&["watch", "1", "--headless", "--duration", "inf"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must be a finite number of seconds"), "{err}");
}
