//! One sampler tick of a process with 200 threads (target: under 2 ms here),
//! beside sysinfo refreshing the same process with its tasks, the obvious
//! alternative, measured in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use corescope::sampler::Sampler;
use criterion::{Criterion, criterion_group, criterion_main};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

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
    assert!(threads >= THREADS, "expected {THREADS} threads, saw {threads}");
    group.bench_function("corescope_sampler", |b| b.iter(|| sampler.sample()));

    let pid = Pid::from_u32(std::process::id());
    let mut system = System::new().expect("sysinfo");
    let kind = ProcessRefreshKind::nothing().with_cpu().with_memory().with_tasks().with_cmd(UpdateKind::OnlyIfNotSet);
    group.bench_function("sysinfo_refresh_one_pid_with_tasks", |b| {
        b.iter(|| system.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, kind));
    });
    group.finish();

    stop.store(true, Ordering::Relaxed);
    for t in sleepers {
        let _ = t.join();
    }
}

criterion_group!(benches, sampler_tick);
criterion_main!(benches);
