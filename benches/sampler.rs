//! One sampler tick of a process with 200 threads (target: under 2 ms here),
//! beside two baselines measured in the same run: the straightforward procfs
//! way (open, parse and close stat, schedstat and status per thread) and
//! `ps -L -p PID` reading the same fields.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use corescope::sampler::Sampler;
use criterion::{Criterion, criterion_group, criterion_main};

const THREADS: usize = 200;

fn sampler_tick(c: &mut Criterion) {
    let stop = Arc::new(AtomicBool::new(false));
    let sleepers: Vec<_> = (0..THREADS - 1)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        })
        .collect();

    let mut group = c.benchmark_group("tick_200_threads");
    let mut sampler = Sampler::for_own_process().expect("sampler");
    let threads = sampler.sample().target.threads.len();
    assert!(
        threads >= THREADS,
        "expected {THREADS} threads, saw {threads}"
    );
    group.bench_function("corescope_sampler", |b| b.iter(|| sampler.sample()));

    let pid = std::process::id();
    group.bench_function("procfs_open_parse_close_per_thread", |b| {
        b.iter(|| {
            let process = procfs::process::Process::new(pid as i32).expect("self");
            let tasks = process.tasks().expect("tasks");
            tasks
                .flatten()
                .filter_map(|t| Some((t.stat().ok()?, t.schedstat().ok()?, t.status().ok()?)))
                .count()
        });
    });
    group.bench_function("ps_threads_of_pid", |b| {
        b.iter(|| {
            std::process::Command::new("ps")
                .args(["-L", "-o", "tid,stat,psr,pcpu,comm", "-p", &pid.to_string()])
                .output()
                .expect("ps")
        });
    });
    group.finish();

    stop.store(true, Ordering::Relaxed);
    for t in sleepers {
        let _ = t.join();
    }
}

criterion_group!(benches, sampler_tick);
criterion_main!(benches);
