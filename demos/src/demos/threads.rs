//! `threads`: start and join threads; a worker object with a `run` method;
//! daemon threads that die with the program.
//!
//! A round has two phases. Joined: `workers` threads each run a `Job` (an
//! object whose `run` method does its work in steps, as a subclass of
//! Python's `threading.Thread` overrides `run`), and the main thread joins
//! every one: all finish before it goes on. Daemon: `workers` more jobs,
//! three times as long, and the main thread ends after `work-ms` without
//! joining them. A process exit kills daemon threads wherever they are; Rust
//! cannot kill a thread, so here the main thread's end raises an abandon flag
//! that each daemon sees at its next step, where it stops, unfinished. They
//! are then joined quietly, only so that no thread outlives the round, and
//! counted as cut off.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::start::spawn;
use crate::catalog::Kind;
use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::worker::Worker;

/// Steps a joined job's work is split into; a daemon notices the main
/// thread's end between two steps.
const STEPS: u32 = 10;

/// How many times longer a daemon's job is than a joined one's.
const DAEMON_LENGTH: u32 = 3;

/// What a round's two phases showed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadsOutcome {
    /// Joined threads that started their job.
    pub joined_started: usize,
    /// Joined threads that finished their job.
    pub joined_finished: usize,
    /// Time the main thread spent in `join` until the last one finished,
    /// milliseconds.
    pub main_waited_ms: f64,
    /// Daemon threads that started their job.
    pub daemon_started: usize,
    /// Daemon threads that finished before the main thread ended.
    pub daemon_finished: usize,
    /// Daemon threads still working when the main thread ended: cut off.
    pub daemon_abandoned: usize,
    /// Time from starting the daemons to the main thread's end,
    /// milliseconds.
    pub main_ran_ms: f64,
}

impl RoundOutcome for ThreadsOutcome {
    /// Joined threads all finish; daemon work is cut off.
    fn lines(&self) -> Vec<ResultLine> {
        vec![
            ResultLine::compare(
                "joined",
                self.joined_started,
                self.joined_finished,
                self.joined_finished == self.joined_started,
                format!(
                    "finished; main waited {:.0} ms in join",
                    self.main_waited_ms
                ),
            ),
            ResultLine::compare(
                "daemon",
                self.daemon_started,
                self.daemon_finished,
                self.daemon_finished == self.daemon_started,
                format!(
                    "finished; {} cut off when main ended after {:.0} ms",
                    self.daemon_abandoned, self.main_ran_ms
                ),
            ),
        ]
    }
}

/// How a job's `run` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobEnd {
    /// Did all its work.
    Finished,
    /// Saw the main thread's end before its work was done.
    CutOff,
    /// The run was stopped.
    Stopped,
}

/// A worker object: what one thread does, in its `run` method.
struct Job<'a> {
    /// Work per step.
    step: Duration,
    /// Steps in the whole job.
    steps: u32,
    /// Computes or waits.
    kind: Kind,
    /// Raised when the main thread ends; `None` for a joined thread, which
    /// the main thread waits for.
    abandon: Option<&'a AtomicBool>,
}

impl Job<'_> {
    fn run(&self, worker: &Worker) -> JobEnd {
        for _ in 0..self.steps {
            if self.abandoned() {
                return JobEnd::CutOff;
            }
            let going = match self.kind {
                Kind::Cpu => worker.compute(self.step),
                Kind::Io => worker.sleep_io(self.step),
            };
            if !going {
                return JobEnd::Stopped;
            }
        }
        // A daemon whose last step overlapped the main thread's end was
        // still running when the process exited.
        if self.abandoned() {
            JobEnd::CutOff
        } else {
            JobEnd::Finished
        }
    }

    fn abandoned(&self) -> bool {
        self.abandon
            .is_some_and(|flag| flag.load(Ordering::Acquire))
    }
}

/// The demo; it keeps nothing between rounds.
pub struct Threads;

impl Threads {
    /// The demo registers no probe beyond its workers.
    #[must_use]
    pub fn new(_ctx: &RunContext) -> Self {
        Self
    }
}

/// Starts `count` threads named `{role}-N` (worker indices from `first`),
/// each running `job`; then the main thread runs `before_join` and joins
/// them. Returns how many started and how each ended, in spawn order.
fn run_jobs(
    ctx: &RunContext,
    role: &str,
    first: usize,
    count: usize,
    job: &Job<'_>,
    before_join: impl FnOnce(),
) -> (usize, Vec<JobEnd>) {
    let started = AtomicUsize::new(0);
    let ends = std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(count);
        for i in 0..count {
            let index = first + i;
            let started = &started;
            let body = move || {
                let worker = Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                started.fetch_add(1, Ordering::Relaxed);
                let end = job.run(&worker);
                if end == JobEnd::Finished {
                    worker.task_done();
                    ctx.tasks.done();
                }
                worker.finish();
                end
            };
            match spawn(scope, ctx, &format!("{role}-{i}"), body) {
                Some(handle) => handles.push(handle),
                None => break,
            }
        }
        before_join();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or(JobEnd::Stopped))
            .collect::<Vec<_>>()
    });
    (started.load(Ordering::Relaxed), ends)
}

fn count(ends: &[JobEnd], wanted: JobEnd) -> usize {
    ends.iter().filter(|end| **end == wanted).count()
}

impl Demo for Threads {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let workers = ctx.controls.workers();
        let work = Duration::from_millis(ctx.config.get("work-ms"));
        let kind = ctx.config.kind.unwrap_or(Kind::Io);
        ctx.tasks.start_round(2 * workers as u64);

        let joined = Job {
            step: work / STEPS,
            steps: STEPS,
            kind,
            abandon: None,
        };
        let mut join_began = Instant::now();
        let (joined_started, joined_ends) = run_jobs(ctx, "worker", 0, workers, &joined, || {
            join_began = Instant::now();
        });
        let main_waited = join_began.elapsed();

        let abandon = AtomicBool::new(false);
        let daemon = Job {
            step: work / STEPS,
            steps: STEPS * DAEMON_LENGTH,
            kind,
            abandon: Some(&abandon),
        };
        let daemons_began = Instant::now();
        let mut main_ran = Duration::ZERO;
        let (daemon_started, daemon_ends) =
            run_jobs(ctx, "daemon", workers, workers, &daemon, || {
                // The main thread's own work; a stop ends it early, and the
                // daemons are abandoned either way.
                ctx.controls.sleep(work);
                abandon.store(true, Ordering::Release);
                main_ran = daemons_began.elapsed();
            });

        Outcome::new(ThreadsOutcome {
            joined_started,
            joined_finished: count(&joined_ends, JobEnd::Finished),
            main_waited_ms: main_waited.as_secs_f64() * 1e3,
            daemon_started,
            daemon_finished: count(&daemon_ends, JobEnd::Finished),
            daemon_abandoned: count(&daemon_ends, JobEnd::CutOff),
            main_ran_ms: main_ran.as_secs_f64() * 1e3,
        })
    }
}
