//! The CPU-bound scaling curve: the same computing tasks on 1..=cores
//! workers, in threads, gil and processes modes, each run through the real
//! binary (`corescope demo cpu-vs-io --headless --json`) and printed as a
//! table. Speedup is against one worker of the same mode, both measured.
//!
//! `cargo bench --bench scaling` (it takes a few seconds per row).

use std::process::Command;

use serde_json::Value;

const TASKS_PER_WORKER: usize = 4;
const WORK_MS: u64 = 200;

fn run(mode: &str, workers: usize) -> Option<(f64, f64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_corescope"))
        .args([
            "demo",
            "cpu-vs-io",
            "--kind",
            "cpu",
            "--headless",
            "--json",
            "--mode",
            mode,
        ])
        .args(["--workers", &workers.to_string()])
        .args(["--tasks", &(workers * TASKS_PER_WORKER).to_string()])
        .args(["--work-ms", &WORK_MS.to_string()])
        .output()
        .ok()?;
    let report: Value = serde_json::from_slice(&out.stdout).ok()?;
    let wall = report["result"]["wall_ms"].as_f64()?;
    let work = report["result"]["work_ms"].as_f64()?;
    Some((
        wall,
        report["parallelism"]["mean"]
            .as_f64()
            .unwrap_or(work / wall),
    ))
}

fn main() {
    // `cargo bench` passes --bench; a filter argument would name rows to run.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "CPU-bound scaling: {TASKS_PER_WORKER} tasks of {WORK_MS} ms per worker, {cores} cores\n"
    );
    println!(
        "{:<10} {:>7} {:>10} {:>12} {:>13}",
        "MODE", "WORKERS", "WALL ms", "THROUGHPUT", "CORES USED"
    );
    for mode in ["threads", "gil", "processes"] {
        let mut one_worker = None;
        for workers in 1..=cores {
            let Some((wall, cores_used)) = run(mode, workers) else {
                println!("{mode:<10} {workers:>7}  (run failed)");
                continue;
            };
            // Throughput: tasks per second, relative to one worker's.
            let rate = (workers * TASKS_PER_WORKER) as f64 / wall;
            let base = *one_worker.get_or_insert(rate);
            println!(
                "{mode:<10} {workers:>7} {wall:>10.0} {:>11.2}x {cores_used:>13.2}",
                rate / base
            );
        }
    }
}
