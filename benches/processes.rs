//! What a worker process costs against a worker thread and a tokio task,
//! measured in the same run: the time from asking for a worker to its first
//! report (a process maps the shared region and writes its ready time; a
//! thread binds its probe; a task sets a flag), and a probe update in shared
//! memory against one on the heap.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use corescope_demos::catalog::Kind;
use corescope_demos::control::Controls;
use corescope_demos::probes::{InstrumentedMutex, LockStats, ProbeRef, WorkerProbe, WorkerState};
use corescope_demos::process::{ChildSpec, Launcher, Role};
use corescope_demos::shm::SharedRegion;
use corescope_demos::worker::Worker;
use criterion::{Criterion, criterion_group, criterion_main};

fn start_cost(c: &mut Criterion) {
    let claim = SharedRegion::claim().expect("shared region");
    let region = claim.region();
    let mut launcher = Launcher::with_executable(PathBuf::from(env!("CARGO_BIN_EXE_corescope")));
    // A pool worker with no task: it starts, reports ready, finds nothing, ends.
    let spec = ChildSpec {
        slot: 0,
        role: Role::Pool {
            kind: Kind::Cpu,
            work_ms: 0,
            total: 0,
            uneven: false,
        },
        fault: None,
    };
    let slot = &region.workers[0];
    let mut group = c.benchmark_group("worker_start_to_first_report");
    group.bench_function("process", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                slot.ready_ns.store(0, Ordering::Relaxed);
                let asked = Instant::now();
                launcher.spawn(region, &spec).expect("spawn");
                while slot.ready_ns.load(Ordering::Relaxed) == 0 {
                    std::hint::spin_loop();
                }
                total += asked.elapsed();
                launcher.stop_all(Duration::from_secs(5));
            }
            total
        });
    });
    let controls = Arc::new(Controls::new(1));
    group.bench_function("thread", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let ready = Arc::new(AtomicBool::new(false));
                let (flag, controls) = (Arc::clone(&ready), Arc::clone(&controls));
                let asked = Instant::now();
                let thread = std::thread::spawn(move || {
                    let worker = Worker::start(0, ProbeRef::new(WorkerProbe::new()), controls);
                    flag.store(true, Ordering::Release);
                    worker.finish();
                });
                while !ready.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                total += asked.elapsed();
                thread.join().expect("join");
            }
            total
        });
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    group.bench_function("tokio_task", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let ready = Arc::new(AtomicBool::new(false));
                    let flag = Arc::clone(&ready);
                    let asked = Instant::now();
                    let task = tokio::spawn(async move { flag.store(true, Ordering::Release) });
                    while !ready.load(Ordering::Acquire) {
                        tokio::task::yield_now().await;
                    }
                    total += asked.elapsed();
                    task.await.expect("task");
                }
                total
            })
        });
    });
    group.finish();
}

fn probe_updates(c: &mut Criterion) {
    let claim = SharedRegion::claim().expect("shared region");
    let region = claim.region();
    let heap = WorkerProbe::new();
    let mut group = c.benchmark_group("probe_update");
    group.bench_function("worker_state_in_shared_memory", |b| {
        b.iter(|| region.workers[1].probe.set_state(WorkerState::Computing));
    });
    group.bench_function("worker_state_on_the_heap", |b| {
        b.iter(|| heap.set_state(WorkerState::Computing));
    });
    group.bench_function("uncontended_process_lock", |b| {
        b.iter(|| drop(region.locks[0].lock()));
    });
    let mutex = InstrumentedMutex::new((), ProbeRef::new(LockStats::new()));
    group.bench_function("uncontended_instrumented_mutex", |b| {
        b.iter(|| drop(mutex.lock()));
    });
    group.finish();
}

criterion_group!(benches, start_cost, probe_updates);
criterion_main!(benches);
