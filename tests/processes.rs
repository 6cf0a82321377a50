//! Demos in processes mode end to end, through the binary: only the real
//! corescope can start worker processes (they re-execute it). Each test
//! runs `corescope demo NAME --mode processes --headless --json`, checks
//! that the concept shows in the numbers, and that no worker process of
//! that run is left behind.

mod common;

use common::{corescope_with_pid, one_at_a_time, wait_until, workers_of};
use serde_json::Value;

/// Runs a demo headless and returns its report, after checking that it
/// succeeded and that none of its worker processes outlives it.
fn report(args: &[&str]) -> Value {
    let mut all = vec!["demo"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--headless", "--json"]);
    let (pid, out) = corescope_with_pid(&all);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_workers_left(pid, args);
    serde_json::from_slice(&out.stdout).expect("json")
}

fn assert_no_workers_left(pid: u32, args: &[&str]) {
    let mut left = Vec::new();
    assert!(
        wait_until(common::DEADLINE, || {
            left = workers_of(pid);
            left.is_empty()
        }),
        "{args:?} left worker processes behind: {left:?}"
    );
}

fn u64_at(report: &Value, pointer: &str) -> u64 {
    report
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no number at {pointer}: {report}"))
}

fn f64_at(report: &Value, pointer: &str) -> f64 {
    report
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {pointer}: {report}"))
}

#[test]
fn cpu_bound_processes_compute_at_the_same_instant() {
    let _cores = one_at_a_time();
    let r = report(&[
        "cpu-vs-io",
        "--mode",
        "processes",
        "--workers",
        "2",
        "--kind",
        "cpu",
    ]);
    assert_eq!(r["mode"], "processes");
    assert_eq!(r["tasks"]["done"], r["tasks"]["total"]);
    assert!(
        u64_at(&r, "/processes/peak") >= 3,
        "corescope and two workers: {}",
        r["processes"]
    );
    assert_eq!(
        r["result"]["max_concurrent"].as_u64(),
        Some(2),
        "processes mode: expected both worker processes computing at the same \
         instant (max_concurrent 2), saw {}",
        r["result"]["max_concurrent"]
    );
}

#[test]
fn race_in_processes_loses_updates_only_without_synchronisation() {
    let _cores = one_at_a_time();
    let r = report(&["race", "--mode", "processes", "--iterations", "300000"]);
    let variants = r["result"]["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 3, "{r}");
    for v in variants {
        assert_eq!(v["expected"], 600_000, "{v}");
        let lost = v["lost_updates"].as_u64().expect("lost");
        if v["variant"] == "unsynchronized" {
            assert!(lost > 0, "two processes on one counter lose updates: {v}");
        } else {
            assert_eq!(lost, 0, "{v}");
            assert_eq!(v["actual"], 600_000, "{v}");
        }
    }
}

#[test]
fn lock_contention_in_processes_makes_the_children_wait() {
    let _cores = one_at_a_time();
    let r = report(&[
        "lock-contention",
        "--mode",
        "processes",
        "--workers",
        "2",
        "--tasks",
        "40",
        "--work-ms",
        "1",
        "--critical-ms",
        "3",
    ]);
    assert_eq!(r["tasks"]["done"], 40);
    let lock = &r["locks"][0];
    assert_eq!(lock["acquires"], 40, "{lock}");
    assert!(lock["contended"].as_u64().expect("contended") > 0, "{lock}");
    assert!(
        lock["wait_ns"]["p99"].as_u64().expect("p99") > 0,
        "waits are measured inside the children: {lock}"
    );
}

#[test]
fn producer_consumer_in_processes_delivers_every_item() {
    let _cores = one_at_a_time();
    let r = report(&[
        "producer-consumer",
        "--mode",
        "processes",
        "--tasks",
        "60",
        "--capacity",
        "4",
        "--produce-ms",
        "1",
        "--work-ms",
        "3",
    ]);
    let result = &r["result"];
    assert_eq!(result["produced"], 60, "{result}");
    assert_eq!(result["consumed"], 60, "{result}");
    assert!(u64_at(&r, "/result/peak_depth") <= 4, "{result}");
    assert!(u64_at(&r, "/queues/0/peak_depth") <= 4, "{}", r["queues"]);
    assert_eq!(result["joined"], true, "{result}");
}

#[test]
fn a_process_pool_map_returns_results_in_input_order() {
    let _cores = one_at_a_time();
    let r = report(&[
        "thread-pool",
        "--mode",
        "processes",
        "--kind",
        "io",
        "--workers",
        "3",
        "--tasks",
        "9",
        "--work-ms",
        "60",
    ]);
    let result = &r["result"];
    assert_eq!(result["mode"], "processes");
    assert_eq!(result["order_preserved"], true, "{result}");
    let input: Vec<u64> = (0..9).collect();
    let ids = |key: &str| -> Vec<u64> {
        result[key]
            .as_array()
            .expect(key)
            .iter()
            .filter_map(Value::as_u64)
            .collect()
    };
    assert_eq!(ids("map_order"), input);
    let mut finished = ids("completion_order");
    finished.sort_unstable();
    assert_eq!(finished, input, "every task finished once: {result}");
    assert!(f64_at(&r, "/result/process_start_ms") > 0.0, "{result}");
    assert!(result.get("completed_wall_ms").is_none(), "threads only");
}

#[test]
fn a_child_counts_in_its_own_memory_and_threads_in_the_parent_s() {
    let _cores = one_at_a_time();
    let r = report(&[
        "separate-memory",
        "--workers",
        "2",
        "--iterations",
        "200000",
    ]);
    assert_eq!(r["mode"], "processes");
    let result = &r["result"];
    assert_eq!(result["parent_after_processes"], 0, "{result}");
    assert_eq!(
        result["child_values"],
        serde_json::json!([200_000, 200_000]),
        "each child reached the full count in its copy: {result}"
    );
    assert_eq!(result["parent_after_threads"], 400_000, "{result}");
    assert_eq!(r["tasks"]["done"], 4);
}

#[test]
fn a_pipe_carries_every_message_there_and_back() {
    let _cores = one_at_a_time();
    let r = report(&["pipe", "--messages", "500", "--bytes", "1000"]);
    let result = &r["result"];
    assert_eq!(result["round_trips"], 500, "{result}");
    assert_eq!(result["intact"], 500, "{result}");
    assert_eq!(
        result["bytes_moved"], 1_000_000,
        "500 messages of 1000 bytes, both ways: {result}"
    );
    assert_eq!(result["round_trip"]["count"], 500, "{result}");
    let (mean, p99) = (
        f64_at(&r, "/result/round_trip/mean_us"),
        f64_at(&r, "/result/round_trip/p99_us"),
    );
    // Measured, not assumed; their shape (one slow trip can lift the mean
    // past the p99) depends on the machine's load.
    assert!(
        mean > 0.0 && p99 > 0.0,
        "expected measured round trips (mean and p99 above 0): {result}"
    );
    assert_eq!(r["tasks"]["done"], 500);
}

#[test]
fn a_shared_value_loses_updates_without_its_lock_and_the_array_is_exact() {
    let _cores = one_at_a_time();
    let r = report(&["shared-value", "--workers", "2", "--iterations", "300000"]);
    let result = &r["result"];
    assert_eq!(result["expected"], 600_000, "{result}");
    assert!(
        u64_at(&r, "/result/unlocked_lost") > 0,
        "no lock, lost updates: {result}"
    );
    assert_eq!(result["locked"], 600_000, "{result}");
    assert_eq!(
        r["locks"][0]["acquires"], 600_000,
        "every locked add took the lock: {}",
        r["locks"]
    );
    assert_eq!(result["cells_right"], 1024, "{result}");
    assert_eq!(result["cells_wrong"], 0, "{result}");
}

#[test]
fn a_manager_s_dictionary_holds_every_update_its_clients_made() {
    let _cores = one_at_a_time();
    let r = report(&["manager", "--workers", "3", "--tasks", "200"]);
    let result = &r["result"];
    assert_eq!(result["requests_made"], 600, "{result}");
    assert_eq!(result["requests_served"], 600, "{result}");
    assert_eq!(result["dictionary_total"], 600, "{result}");
    let counts: u64 = result["dictionary"]
        .as_object()
        .expect("dictionary")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(counts, 600, "the server's own dictionary adds up: {result}");
    assert_eq!(result["request"]["count"], 600, "{result}");
    assert!(f64_at(&r, "/result/request/p99_us") > 0.0, "{result}");
    assert_eq!(result["server_shut_down"], true, "{result}");
    assert_eq!(r["tasks"]["done"], 600);
}

#[test]
fn a_crashed_pool_worker_is_replaced_and_every_task_is_done() {
    let _cores = one_at_a_time();
    let r = report(&[
        "cpu-vs-io",
        "--mode",
        "processes",
        "--workers",
        "2",
        "--crash-worker",
        "0",
        "--tasks",
        "6",
        "--work-ms",
        "20",
    ]);
    assert_eq!(r["tasks"]["done"], 6, "the slot was started again: {r}");
    // The report lists failures once the binary reports them.
    if let Some(failures) = r.get("failures") {
        assert!(
            failures.to_string().contains("SIGSEGV"),
            "the crash is reported: {failures}"
        );
    }
}

#[test]
fn a_peer_that_crashes_ends_the_pipe_and_the_manager_promptly() {
    let _cores = one_at_a_time();
    for (args, done_key) in [
        (&["pipe", "--crash-worker", "1"][..], "/result/round_trips"),
        (&["pipe", "--crash-worker", "0"], "/result/round_trips"),
        (&["manager", "--crash-worker", "0"], "/result/requests_made"),
    ] {
        let r = report(args);
        assert!(u64_at(&r, done_key) < 100, "{args:?}: {}", r["result"]);
    }
    let r = report(&["manager", "--crash-worker", "1", "--workers", "2"]);
    let result = &r["result"];
    assert_eq!(
        result["dictionary_total"], result["requests_made"],
        "the survivors' updates all arrived: {result}"
    );
    assert_eq!(result["server_shut_down"], true, "{result}");
}

#[test]
fn a_hung_peer_is_killed_when_the_run_stops() {
    let _cores = one_at_a_time();
    for args in [
        &["pipe", "--hang-worker", "1", "--duration", "0.5"][..],
        &["manager", "--hang-worker", "0", "--duration", "0.5"],
    ] {
        let r = report(args);
        assert_eq!(r["tasks"]["done"], 0, "{args:?}: {}", r["result"]);
    }
}

#[test]
fn the_catalogue_lists_the_process_demos() {
    let _cores = one_at_a_time();
    let (_, out) = corescope_with_pid(&["list", "--json"]);
    assert!(out.status.success());
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    let demos = list.as_array().expect("array");
    let find = |name: &str| {
        demos
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed"))
    };
    for name in ["separate-memory", "pipe", "shared-value", "manager"] {
        let demo = find(name);
        assert_eq!(demo["modes"], serde_json::json!(["processes"]), "{name}");
        assert!(
            demo["look_for"].as_str().is_some_and(|t| t.len() > 80),
            "{name}"
        );
        for p in demo["params"].as_array().expect("params") {
            let (min, default, max) = (
                p["min"].as_u64().expect("min"),
                p["default"].as_u64().expect("default"),
                p["max"].as_u64().expect("max"),
            );
            assert!(min <= default && default <= max, "{name}: {p}");
        }
    }
    assert!(
        find("thread-pool")["modes"]
            .as_array()
            .expect("modes")
            .contains(&Value::from("processes"))
    );
}

#[test]
fn combining_overlaps_computing_and_waiting_and_reduces_exactly() {
    let _cores = one_at_a_time();
    let r = report(&[
        "combine",
        "--tasks",
        "6",
        "--work-ms",
        "100",
        "--delay-ms",
        "100",
    ]);
    let result = &r["result"];
    assert_eq!(result["reduced"], result["expected"], "{result}");
    assert_eq!(result["missing"], 0);
    // How much faster together is than one after the other is timing
    // (scripts/check-scaling.sh); that the thread's waits went on while the
    // processes computed is counted.
    let during = result["fetches_during_map"].as_u64();
    assert!(
        during.is_some_and(|n| n >= 1),
        "expected the I/O thread to finish a fetch while the worker processes \
         were still mapping, saw {during:?} such fetches"
    );
    assert_eq!(
        r["tasks"]["done"], 24,
        "mapped and fetched, alone and together"
    );
}
