//! One sampler tick of a process with 200 and with 1,000 threads (targets:
//! under 2 ms and under 10 ms here), beside baselines measured in the same
//! run: the straightforward procfs way (open, parse and close stat, schedstat
//! and status per thread) and `ps -L -p PID` reading the same fields.
//!
//! Three cases per size. `sleepers`: every thread sleeps 50 ms in a loop, as
//! a pool of mostly idle workers (the case of the earlier 200-thread figure).
//! `idle`: every thread stays asleep between ticks, so only what must be read
//! every tick is read. `all_ran`: every thread woke up and ran since the
//! previous tick (as a busy pool does within a 500 ms interval), so every
//! thread's `status`, wait channel and children are re-read too: the worst
//! case. Each corescope case is measured twice: in wall time, and in the
//! sampling thread's own CPU time (`*_cpu`), which the other programs of a
//! shared machine inflate far less.
//!
//! `tick_200_threads_4_locks`: 200 threads, of which 100 are blocked on four
//! held mutexes (25 each) and 100 sleep 50 ms in a loop: the tick that names
//! the locks and splits the waiting time among them. Run the same bench on a
//! build without the lock table for today's tick beside it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use corescope::sampler::Sampler;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Threads that sleep until woken (or for 50 ms), then run briefly and sleep again.
struct Pool {
    stop: Arc<AtomicBool>,
    woken: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// `count` threads, each sleeping until woken, or for 50 ms at a time
    /// when `timed`.
    fn start(count: usize, timed: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let woken = Arc::new(AtomicUsize::new(0));
        let threads = (0..count)
            .map(|_| {
                let (stop, woken) = (stop.clone(), woken.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if timed {
                            std::thread::sleep(Duration::from_millis(50));
                        } else {
                            std::thread::park();
                        }
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

/// This thread's CPU time.
fn cpu_now() -> Duration {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(Duration::ZERO, Duration::from)
}

/// Times `iters` ticks, each after `before` (untimed), in wall or CPU time.
fn ticks(sampler: &mut Sampler, iters: u64, cpu: bool, mut before: impl FnMut()) -> Duration {
    let now = || if cpu { cpu_now() } else { Duration::ZERO };
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        before();
        let (wall, cpu_start) = (Instant::now(), now());
        std::hint::black_box(sampler.read());
        total += if cpu {
            now().saturating_sub(cpu_start)
        } else {
            wall.elapsed()
        };
    }
    total
}

fn sampler_tick(c: &mut Criterion) {
    let pid = std::process::id();
    corescope::sampler::raise_open_file_limit();
    for size in [200, 1000] {
        let mut group = c.benchmark_group(format!("tick_{size}_threads"));
        // The main thread and criterion's make up the rest.
        for case in ["sleepers", "idle", "all_ran"] {
            let pool = Pool::start(size - 1, case == "sleepers");
            let mut sampler = Sampler::for_own_process().expect("sampler");
            let threads = sampler.read().target.threads.len();
            assert!(threads >= size, "expected {size} threads, saw {threads}");
            for cpu in [false, true] {
                let name = if cpu {
                    format!("{case}_cpu")
                } else {
                    case.to_owned()
                };
                group.bench_function(BenchmarkId::new("corescope_sampler", name), |b| {
                    b.iter_custom(|iters| {
                        ticks(&mut sampler, iters, cpu, || {
                            if case == "all_ran" {
                                pool.wake_all();
                            }
                        })
                    });
                });
            }
            if case == "sleepers" {
                group.bench_function("procfs_open_parse_close_per_thread", |b| {
                    b.iter(|| {
                        let process = procfs::process::Process::new(pid as i32).expect("self");
                        let tasks = process.tasks().expect("tasks");
                        tasks
                            .flatten()
                            .filter_map(|t| {
                                Some((t.stat().ok()?, t.schedstat().ok()?, t.status().ok()?))
                            })
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
            }
            pool.stop();
        }
        group.finish();
    }
}

/// 100 threads blocked on four held mutexes and 100 sleeping 50 ms in a loop.
fn locks_tick(c: &mut Criterion) {
    static LOCKS: [std::sync::Mutex<u64>; 4] = [const { std::sync::Mutex::new(0) }; 4];
    let held: Vec<_> = LOCKS.iter().map(|l| l.lock().expect("lock")).collect();
    let blocked: Vec<JoinHandle<()>> = (0..100)
        .map(|i| std::thread::spawn(move || *LOCKS[i % 4].lock().expect("lock") += 1))
        .collect();
    // The main thread and criterion's make up the rest.
    let sleepers = Pool::start(99, true);
    let mut sampler = Sampler::for_own_process().expect("sampler");
    let mut group = c.benchmark_group("tick_200_threads_4_locks");
    for cpu in [false, true] {
        let name = if cpu {
            "blocked_100_cpu"
        } else {
            "blocked_100"
        };
        group.bench_function(BenchmarkId::new("corescope_sampler", name), |b| {
            b.iter_custom(|iters| ticks(&mut sampler, iters, cpu, || {}));
        });
    }
    group.finish();
    drop(held);
    for thread in blocked {
        let _ = thread.join();
    }
    sleepers.stop();
}

criterion_group!(benches, sampler_tick, locks_tick);
criterion_main!(benches);
