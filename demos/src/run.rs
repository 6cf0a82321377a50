//! A running demo: its own thread, its probes, its live controls and its
//! latest outcome.
//!
//! A demo is built once (registering its probes and creating its
//! primitives), then runs in rounds. Headless, it runs one round and stops;
//! in the dashboard, rounds repeat with a short pause between them, so a room
//! can watch the same concept happen again with different numbers. The
//! dashboard reads a `DemoSample` each tick; it never waits for the demo.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::catalog::{Kind, Mode};
use crate::config::DemoConfig;
use crate::context::{Demo, RunContext, RunStatus};
use crate::control::Controls;
use crate::outcome::Outcome;
use crate::probes::{ProbeRegistry, ProbeReport};
use crate::registry::{Build, DemoName};
use crate::shm::SharedRegion;
use crate::worker::process_cpu_time;

/// The pause between two rounds in the dashboard, so the result can be read.
const BETWEEN_ROUNDS: Duration = Duration::from_millis(1500);

/// How long workers took to start, from being asked for to running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StartLatency {
    /// Workers measured.
    pub workers: u64,
    /// Mean, nanoseconds.
    pub mean_ns: u64,
    /// Longest, nanoseconds.
    pub max_ns: u64,
}

/// Whether the rounds repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounds {
    /// One round, then the run ends (headless reports).
    Once,
    /// Round after round until stopped (the dashboard).
    Repeat,
}

/// A demo as the dashboard sees it at one instant: plain data. Recordings
/// keep it as JSON (see `outcome::recorded` for its outcome).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DemoSample {
    /// The demo's name.
    #[serde(deserialize_with = "crate::registry::deserialize_name")]
    pub name: DemoName,
    /// The mode it runs in.
    pub mode: Mode,
    /// The kind of its tasks, if it has one.
    pub kind: Option<Kind>,
    /// Workers asked for now.
    pub workers: usize,
    /// Slow-motion factor (1 is real time).
    pub slow_motion: u32,
    /// True while paused.
    pub paused: bool,
    /// The round under way (from 1).
    pub round: u64,
    /// True once the run has ended.
    pub finished: bool,
    /// Time since the run started (to its end, once it ended).
    pub elapsed: Duration,
    /// What the probes say now.
    pub probes: ProbeReport,
    /// The outcome of the last finished round.
    #[serde(with = "crate::outcome::recorded")]
    pub outcome: Option<Outcome>,
    /// Which round `outcome` came from (0 before the first ends).
    pub outcome_round: u64,
    /// Why the run failed, if it did.
    pub error: Option<String>,
    /// Workers that failed while the run went on (crashed processes).
    pub failures: Vec<String>,
    /// How long workers took to start.
    pub start_latency: Option<StartLatency>,
    /// Bytes worker processes sent each other (processes mode).
    pub ipc_bytes: Option<u64>,
    /// Mean resident stack of the worker threads that ended, KiB.
    pub thread_stack_kib: Option<f64>,
    /// Cores the whole process (and its reaped workers) kept busy from the
    /// first round's start to the last one's end; `None` until the run ends.
    /// Exact: CPU time from `getrusage` over the run's own wall time.
    pub run_parallelism: Option<f64>,
}

/// A demo running on its own thread. Dropping it stops the demo and waits
/// for its threads.
#[derive(Debug)]
pub struct DemoRun {
    ctx: Arc<RunContext>,
    started: Instant,
    thread: Option<JoinHandle<()>>,
}

impl DemoRun {
    /// Builds the demo and starts its first round. Fails if no thread (or
    /// shared region) can be had, or if `config` names a demo the registry
    /// does not hold (a spec made by hand rather than found there).
    pub fn start(config: DemoConfig, rounds: Rounds) -> std::io::Result<Self> {
        let build = crate::registry::entry(config.spec.name)
            .map(|entry| entry.build)
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("the registry holds no demo `{}`", config.spec.name),
                )
            })?;
        let registry = Arc::new(ProbeRegistry::new());
        // Worker processes count tasks in the region; threads in the heap.
        let region = (config.mode == Mode::Processes)
            .then(SharedRegion::claim)
            .transpose()?;
        let tasks = match &region {
            Some(claim) => registry.register_tasks_shared(&claim.region().tasks),
            None => registry.tasks(),
        };
        let workers = config.scaled_param().map_or(1, |name| config.count(name));
        let ctx = Arc::new(RunContext {
            controls: Arc::new(Controls::new(workers)),
            config,
            registry,
            tasks,
            status: RunStatus::default(),
            region,
        });
        let demo_ctx = Arc::clone(&ctx);
        let thread = std::thread::Builder::new()
            .name("demo".into())
            .spawn(move || run_rounds(&demo_ctx, build, rounds))?;
        Ok(Self {
            ctx,
            started: Instant::now(),
            thread: Some(thread),
        })
    }

    /// The configuration it was started with.
    #[must_use]
    pub fn config(&self) -> &DemoConfig {
        &self.ctx.config
    }

    /// The live controls.
    #[must_use]
    pub fn controls(&self) -> &Controls {
        &self.ctx.controls
    }

    /// True once the run has ended (its rounds done, stopped or failed).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.ctx.status.finished.load(Ordering::Acquire)
    }

    /// Workers (threads or processes) started so far, across rounds. When
    /// it moves, new workers run: a headless run samples then, so that a
    /// short round's workers are seen.
    #[must_use]
    pub fn workers_started(&self) -> u64 {
        self.ctx.status.started.load(Ordering::Acquire)
    }

    /// What the demo looks like now.
    #[must_use]
    pub fn sample(&self) -> DemoSample {
        let status = &self.ctx.status;
        let end = *status.ended.lock();
        let (outcome_round, outcome) = status
            .outcome
            .lock()
            .as_ref()
            .map_or((0, None), |(round, outcome)| {
                (*round, Some(outcome.clone()))
            });
        DemoSample {
            name: self.ctx.config.spec.name,
            mode: self.ctx.config.mode,
            kind: self.ctx.config.kind,
            workers: self.ctx.controls.workers(),
            slow_motion: self.ctx.controls.slow_motion(),
            paused: self.ctx.controls.is_paused(),
            round: status.round.load(Ordering::Relaxed),
            finished: status.finished.load(Ordering::Acquire),
            elapsed: end
                .unwrap_or_else(Instant::now)
                .duration_since(self.started),
            probes: self.ctx.registry.report(),
            outcome,
            outcome_round,
            error: status.error.lock().clone(),
            failures: status.failures.lock().clone(),
            thread_stack_kib: {
                let (threads, kib) = *status.stacks.lock();
                (threads > 0).then(|| kib as f64 / threads as f64)
            },
            run_parallelism: match *status.cpu_window.lock() {
                (Some((cpu_start, start)), Some((cpu_end, end))) => {
                    let wall = end.duration_since(start).as_secs_f64();
                    (wall > 0.0).then(|| cpu_end.saturating_sub(cpu_start).as_secs_f64() / wall)
                }
                _ => None,
            },
            ipc_bytes: self.ctx.region().map(|region| {
                region
                    .workers
                    .iter()
                    .map(|slot| slot.bytes_sent.load(Ordering::Relaxed))
                    .sum()
            }),
            start_latency: {
                let (workers, sum, max) = *status.starts.lock();
                (workers > 0).then(|| StartLatency {
                    workers,
                    mean_ns: sum / workers,
                    max_ns: max,
                })
            },
        }
    }

    /// Stops the demo and waits for every thread it started.
    pub fn stop(&mut self) {
        self.ctx.controls.stop();
        if let Some(thread) = self.thread.take() {
            // `run_rounds` catches a round's panic into the run's error; a
            // panic outside a round has nothing left to recover here.
            let _ = thread.join();
        }
    }
}

impl Drop for DemoRun {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The test-only fault switch: a round number whose round panics, read from
/// this variable, so that a test can check the panic policy end to end.
pub const PANIC_ROUND_VARIABLE: &str = "CORESCOPE_TEST_PANIC_ROUND";

/// Runs the rounds. A panic in a round (its own code or a worker thread of
/// it, which a scoped spawn carries into the round) ends that round and the
/// run with the panic as the run's error: the screen says so and goes on, a
/// headless run reports it and exits 1.
fn run_rounds(ctx: &RunContext, build: Build, rounds: Rounds) {
    let panic_round: Option<u64> = std::env::var(PANIC_ROUND_VARIABLE)
        .ok()
        .and_then(|v| v.parse().ok());
    let mut demo: Box<dyn Demo> = match catch_unwind(AssertUnwindSafe(|| build(ctx))) {
        Ok(demo) => demo,
        Err(payload) => {
            ctx.status.fail(format!(
                "the demo panicked as it was built: {}",
                panic_text(&*payload)
            ));
            ctx.status.finished.store(true, Ordering::Release);
            return;
        }
    };
    ctx.status.cpu_window.lock().0 = Some((process_cpu_time(), Instant::now()));
    loop {
        let round = ctx.status.round.fetch_add(1, Ordering::Relaxed) + 1;
        ctx.registry.start_round();
        let played = catch_unwind(AssertUnwindSafe(|| {
            assert!(
                panic_round != Some(round),
                "a fault injected into round {round} ({PANIC_ROUND_VARIABLE})"
            );
            demo.round(ctx)
        }));
        match played {
            Ok(outcome) => *ctx.status.outcome.lock() = Some((round, outcome)),
            Err(payload) => {
                ctx.controls.stop();
                ctx.status
                    .fail(format!("round {round} panicked: {}", panic_text(&*payload)));
            }
        }
        let failed = ctx.status.error.lock().is_some();
        if rounds == Rounds::Once || failed || !ctx.controls.sleep(BETWEEN_ROUNDS) {
            break;
        }
    }
    ctx.status.cpu_window.lock().1 = Some((process_cpu_time(), Instant::now()));
    *ctx.status.ended.lock() = Some(Instant::now());
    ctx.status.finished.store(true, Ordering::Release);
}

/// What a panic said, as one line.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    text.lines().next().unwrap_or_default().to_owned()
}
