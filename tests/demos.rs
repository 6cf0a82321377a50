//! Demos end to end, as a student runs them: `corescope demo NAME --headless
//! --json`, checked for the DESIGN's report keys and for the concept showing
//! in the numbers. Bad input gets exit code 2 and one clear line.

mod common;

use common::{corescope, one_at_a_time};
use serde_json::Value;

fn report(args: &[&str]) -> Value {
    let mut all = vec!["demo"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--headless", "--json"]);
    let out = corescope(&all);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn parallelism(report: &Value) -> f64 {
    report["parallelism"]["mean"]
        .as_f64()
        .expect("parallelism.mean")
}

#[test]
fn the_report_has_every_key_of_the_contract() {
    let _cores = one_at_a_time();
    // Long enough (about half a second) for samples every 100 ms to see the
    // four workers alive: the report's peaks are observed, not assumed.
    let r = report(&[
        "lock-contention",
        "--tasks",
        "20",
        "--work-ms",
        "5",
        "--critical-ms",
        "20",
    ]);
    for key in [
        "demo",
        "mode",
        "workers",
        "elapsed_ms",
        "tasks",
        "threads",
        "processes",
        "parallelism",
        "cpu",
        "locks",
        "semaphores",
        "queues",
        "result",
    ] {
        assert!(r.get(key).is_some(), "missing `{key}`");
    }
    assert_eq!(r["demo"], "lock-contention");
    assert_eq!(r["mode"], "threads");
    assert_eq!(r["tasks"]["total"], 20);
    assert_eq!(r["tasks"]["done"], 20);
    assert!(
        r["threads"]["peak"].as_u64().expect("peak") > 4,
        "4 workers and the main thread"
    );
    let lock = &r["locks"][0];
    for key in ["name", "acquires", "contended", "wait_ns", "hold_ns"] {
        assert!(lock.get(key).is_some(), "missing locks[].{key}");
    }
    for key in ["mean", "p50", "p99", "max"] {
        assert!(lock["wait_ns"].get(key).is_some(), "missing wait_ns.{key}");
    }
    assert_eq!(
        lock["acquires"], 20,
        "one acquire per task, none for bookkeeping"
    );
}

#[test]
fn race_loses_updates_only_without_synchronisation() {
    let _cores = one_at_a_time();
    let r = report(&["race", "--iterations", "200000"]);
    let variants = r["result"]["variants"].as_array().expect("variants");
    let names: Vec<&str> = variants
        .iter()
        .filter_map(|v| v["variant"].as_str())
        .collect();
    assert_eq!(names, ["unsynchronized", "locked", "atomic"]);
    for v in variants {
        assert_eq!(v["expected"], 400_000);
        let lost = v["lost_updates"].as_u64().expect("lost");
        assert_eq!(
            v["expected"].as_u64().expect("expected") - lost,
            v["actual"].as_u64().expect("actual")
        );
        if v["variant"] == "unsynchronized" {
            assert!(
                lost > 0,
                "two workers on a shared counter must lose updates: {v}"
            );
        } else {
            assert_eq!(lost, 0, "{v}");
        }
    }
    let one = report(&["race", "--iterations", "1000", "--variant", "atomic"]);
    assert_eq!(one["result"]["variants"].as_array().map(Vec::len), Some(1));
}

#[test]
fn the_gil_keeps_two_cpu_bound_workers_on_one_core_and_threads_use_two() {
    let _cores = one_at_a_time();
    let args = ["--workers", "2", "--tasks", "4", "--work-ms", "300"];
    let gil = report(&[&["gil"][..], &args, &["--mode", "gil"]].concat());
    let threads = report(&[&["gil"][..], &args, &["--mode", "threads"]].concat());
    assert!(parallelism(&gil) <= 1.2, "gil: {}", gil["parallelism"]);
    assert!(gil["result"]["gil_switches"].as_u64().expect("switches") > 10);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores >= 2 {
        assert!(
            parallelism(&threads) >= 1.5,
            "threads: {}",
            threads["parallelism"]
        );
    }
}

#[test]
fn waiting_tasks_overlap_in_every_mode() {
    let _cores = one_at_a_time();
    for mode in ["threads", "gil", "async"] {
        let r = report(&[
            "cpu-vs-io",
            "--kind",
            "io",
            "--workers",
            "8",
            "--tasks",
            "8",
            "--work-ms",
            "200",
            "--mode",
            mode,
        ]);
        let speedup = r["result"]["speedup"].as_f64().expect("speedup");
        assert!(speedup >= 5.0, "{mode}: speedup {speedup}");
        assert!(
            parallelism(&r) < 0.5,
            "{mode}: waiting uses no CPU: {}",
            r["parallelism"]
        );
    }
}

#[test]
fn the_queue_never_passes_its_capacity_and_delivers_everything() {
    let _cores = one_at_a_time();
    let r = report(&[
        "producer-consumer",
        "--tasks",
        "60",
        "--capacity",
        "4",
        "--produce-ms",
        "1",
        "--work-ms",
        "3",
    ]);
    let queue = &r["queues"][0];
    assert!(queue["peak_depth"].as_u64().expect("peak") <= 4);
    assert_eq!(queue["capacity"], 4);
    assert_eq!(queue["sent"], queue["received"]);
    assert_eq!(r["result"]["produced"], 60);
    assert_eq!(r["result"]["consumed"], 60);
    assert_eq!(r["result"]["joined"], true);
}

#[test]
fn lock_waits_grow_with_the_critical_section() {
    let _cores = one_at_a_time();
    let p99 = |critical: &str| {
        let r = report(&[
            "lock-contention",
            "--workers",
            "2",
            "--tasks",
            "40",
            "--work-ms",
            "1",
            "--critical-ms",
            critical,
        ]);
        r["locks"][0]["wait_ns"]["p99"].as_u64().expect("p99")
    };
    let short = p99("1");
    let long = p99("6");
    assert!(
        long > short * 2,
        "p99 {short} ns with 1 ms held, {long} ns with 6 ms"
    );
}

#[test]
fn a_duration_ends_a_long_demo_early_with_a_report() {
    let _cores = one_at_a_time();
    let r = report(&[
        "cpu-vs-io",
        "--tasks",
        "100",
        "--work-ms",
        "500",
        "--duration",
        "0.6",
    ]);
    let done = r["tasks"]["done"].as_u64().expect("done");
    assert!(done < 100, "stopped early: {done} done");
    assert!(r["elapsed_ms"].as_u64().expect("elapsed") < 3_000);
}

#[test]
fn list_names_every_demo_with_its_parameters() {
    let _cores = one_at_a_time();
    let out = corescope(&["list", "--json"]);
    assert!(out.status.success());
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    let demos = list.as_array().expect("array");
    assert!(demos.len() >= 14);
    for demo in demos {
        for key in ["name", "summary", "look_for", "modes", "params"] {
            assert!(demo.get(key).is_some(), "{demo}: missing {key}");
        }
    }
    let text = corescope(&["list"]);
    assert_eq!(
        String::from_utf8_lossy(&text.stdout).lines().count(),
        demos.len()
    );
}

#[test]
fn bad_demo_input_is_a_usage_error_with_one_clear_line() {
    let _cores = one_at_a_time();
    for (args, says) in [
        (
            &["demo", "nope", "--headless"][..],
            "unknown demo `nope`; the demos are: threads, race",
        ),
        (
            &["demo", "race", "--workers", "0", "--headless"],
            "--workers must be between 1 and 4096, got 0",
        ),
        (
            &["demo", "race", "--workers", "5000", "--headless"],
            "--workers must be between 1 and 4096",
        ),
        (
            &["demo", "semaphore", "--permits", "0", "--headless"],
            "--permits must be between 1",
        ),
        (
            &["demo", "producer-consumer", "--capacity", "0", "--headless"],
            "--capacity must be between 1",
        ),
        (
            &["demo", "race", "--permits", "2", "--headless"],
            "demo `race` has no --permits option",
        ),
        (
            &["demo", "race", "--headless", "--duration", "-2"],
            "more than 0 seconds",
        ),
        (
            &["demo", "race", "--headless", "--duration", "1e12"],
            "at most 86400 seconds",
        ),
        (
            &["demo", "race", "--mode", "async", "--headless"],
            "demo `race` runs in threads or processes mode, not in async",
        ),
    ] {
        let out = corescope(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            err.trim().lines().count() <= 3,
            "{args:?}: short, clear: {err}"
        );
    }
}
