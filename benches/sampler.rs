//! One sampler tick of a process with 200 and with 1,000 threads (targets:
//! under 2 ms and under 10 ms here), beside baselines measured in the same
//! run: the straightforward procfs way (open, parse and close stat, schedstat
//! and status per thread) and `ps -L -p PID` reading the same fields.
//!
//! Two cases per size. `idle`: every thread stays asleep between ticks, so
//! only what must be read every tick is read. `all_ran`: every thread woke up
//! and ran since the previous tick (as a busy pool does within a 500 ms
//! interval), so every thread's `status`, wait channel and children are
//! re-read too: the worst case, and the one the 10 ms target is about.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use corescope::sampler::Sampler;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Threads that sleep until woken, then run briefly and sleep again.
struct Pool {
    stop: Arc<AtomicBool>,
    woken: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    fn start(count: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let woken = Arc::new(AtomicUsize::new(0));
        let threads = (0..count)
            .map(|_| {
                let (stop, woken) = (stop.clone(), woken.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::park();
                        woken.fetch_add(1, Ordering::Release);
                    }
                })
            })
            .collect();
        Self {
            stop,
            woken,
            threads,
        }
    }

    /// Wakes every thread and waits until each has run and gone back to sleep.
    fn wake_all(&self) {
        let before = self.woken.load(Ordering::Acquire);
        for thread in &self.threads {
            thread.thread().unpark();
        }
        let want = before + self.threads.len();
        while self.woken.load(Ordering::Acquire) < want {
            std::thread::sleep(Duration::from_micros(200));
        }
        // Let the last ones reach their park() again.
        std::thread::sleep(Duration::from_millis(2));
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in &self.threads {
            thread.thread().unpark();
        }
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn sampler_tick(c: &mut Criterion) {
    let pid = std::process::id();
    corescope::sampler::raise_open_file_limit();
    for size in [200, 1000] {
        // The main thread and criterion's make up the rest.
        let pool = Pool::start(size - 1);
        let mut group = c.benchmark_group(format!("tick_{size}_threads"));
        let mut sampler = Sampler::for_own_process().expect("sampler");
        let threads = sampler.sample().target.threads.len();
        assert!(threads >= size, "expected {size} threads, saw {threads}");

        group.bench_function(BenchmarkId::new("corescope_sampler", "idle"), |b| {
            b.iter(|| sampler.sample());
        });
        group.bench_function(BenchmarkId::new("corescope_sampler", "all_ran"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    pool.wake_all();
                    let start = Instant::now();
                    std::hint::black_box(sampler.sample());
                    total += start.elapsed();
                }
                total
            });
        });
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
        pool.stop();
    }
}

criterion_group!(benches, sampler_tick);
criterion_main!(benches);
