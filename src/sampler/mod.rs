//! The sampler: one immutable `Snapshot` per tick, made off the render path.
//!
//! It owns every `/proc` reader; nothing else in corescope touches `/proc` on a
//! tick. In the dashboard it runs on its own thread and sends snapshots over a
//! bounded channel: a full channel drops the snapshot, which shows as a gap in
//! `Snapshot::seq`, because the sampler never waits for the screen. Headless reports call `Sampler::sample` directly.

mod cpu;
mod demo;
mod proc_file;
mod stat;
mod threads;
mod tree;

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::sync::mpsc::error::TrySendError;

pub use demo::{DemoCommand, DemoHost};
use proc_file::ReadError;
pub use proc_file::raise_open_file_limit;

use corescope_demos::config::DemoConfig;
use corescope_demos::run::Rounds;

use crate::compare::Comparison;
use crate::launch::Launched;
use crate::record::Taps;
use crate::snapshot::{MemorySample, Snapshot};
pub(crate) use cpu::CpuReader;
use tree::TreeReader;

/// The shortest and longest tick the sampler accepts, in milliseconds.
pub const INTERVAL_RANGE_MS: std::ops::RangeInclusive<u64> = 50..=10_000;

/// Makes snapshots of the machine and of one process tree.
pub struct Sampler {
    cpu: CpuReader,
    tree: TreeReader,
    system: Option<sysinfo::System>,
    demo: Option<DemoHost>,
    /// Why the last demo asked for could not start.
    start_error: Option<String>,
    compare: Option<Comparison>,
    run: Option<Launched>,
    /// Where every snapshot is also written (`--record`, `--csv`).
    taps: Taps,
    started: Instant,
    last: Option<Instant>,
    seq: u64,
}

impl Sampler {
    /// A sampler for the tree under `pid`. Fails with a clear message when no
    /// such process exists.
    pub fn new(pid: i32) -> Result<Self> {
        if pid <= 0 {
            bail!("PID must be a positive number, got {pid}");
        }
        let tree = TreeReader::new(pid).map_err(|err| unreadable(pid, err))?;
        let cpu = CpuReader::open()
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("cannot read /proc/stat: corescope needs Linux with /proc mounted")?;
        Ok(Self {
            cpu,
            tree,
            // Memory is a nice-to-have: without it the header shows "?".
            system: sysinfo::System::new().ok(),
            demo: None,
            start_error: None,
            compare: None,
            run: None,
            taps: Taps::default(),
            started: Instant::now(),
            last: None,
            seq: 0,
        })
    }

    /// A sampler for corescope's own process tree (demos run inside it).
    pub fn for_own_process() -> Result<Self> {
        Self::new(i32::try_from(std::process::id()).context("PID out of range")?)
    }

    /// A sampler for corescope's own tree, running `demo` inside it.
    pub fn for_demo(demo: DemoHost) -> Result<Self> {
        let mut sampler = Self::for_own_process()?;
        sampler.demo = Some(demo);
        Ok(sampler)
    }

    /// A sampler for corescope's own tree, running `comparison` inside it,
    /// one mode after the other, advanced at every sample.
    pub fn for_comparison(comparison: Comparison) -> Result<Self> {
        let mut sampler = Self::for_own_process()?;
        sampler.compare = Some(comparison);
        Ok(sampler)
    }

    /// Runs `config` from now on (round after round), stopping any demo that
    /// ran before; a demo that cannot start shows as a failed run.
    pub fn start_demo(&mut self, config: DemoConfig) {
        self.stop_demo();
        match DemoHost::start(config, Rounds::Repeat) {
            Ok(host) => self.demo = Some(host),
            Err(err) => self.start_error = Some(format!("{err:#}")),
        }
    }

    /// Stops the demo running, if any; its threads and processes end first.
    pub fn stop_demo(&mut self) {
        if let Some(mut demo) = self.demo.take() {
            demo.stop();
        }
        self.start_error = None;
    }

    /// A sampler for the tree of a command corescope started, which it
    /// owns from now on (dropping the sampler stops the command).
    pub fn for_command(launched: Launched) -> Result<Self> {
        let mut sampler = Self::new(launched.pid())?;
        sampler.run = Some(launched);
        Ok(sampler)
    }

    /// Writes every snapshot from now on to `taps` (`--record`, `--csv`).
    #[must_use]
    pub fn record_to(mut self, taps: Taps) -> Self {
        self.taps = taps;
        self
    }

    /// Why writing the recording or the CSV file stopped, if it did.
    #[must_use]
    pub fn record_error(&self) -> Option<&str> {
        self.taps.error()
    }

    /// Stops the comparison under way and starts `plan` from its first
    /// mode; a plan that cannot run leaves the one shown stopped, with why.
    pub fn restart_comparison(&mut self, plan: crate::compare::ComparePlan) {
        if let Some(running) = &mut self.compare {
            running.stop();
        }
        match Comparison::new(plan) {
            Ok(comparison) => self.compare = Some(comparison),
            Err(err) => {
                if let Some(running) = &mut self.compare {
                    running.fail(format!("{err:#}"));
                }
            }
        }
    }

    /// The comparison this sampler runs, if any.
    pub fn comparison_mut(&mut self) -> Option<&mut Comparison> {
        self.compare.as_mut()
    }

    /// The command this sampler watches, if corescope started it.
    pub fn command_mut(&mut self) -> Option<&mut Launched> {
        self.run.as_mut()
    }

    /// The demo this sampler runs, if any.
    #[must_use]
    pub fn demo(&self) -> Option<&DemoHost> {
        self.demo.as_ref()
    }

    /// The demo this sampler runs, to steer it.
    pub fn demo_mut(&mut self) -> Option<&mut DemoHost> {
        self.demo.as_mut()
    }

    /// The PID at the root of the watched tree.
    #[must_use]
    pub const fn root_pid(&self) -> i32 {
        self.tree.root()
    }

    /// Reads everything now and returns the snapshot.
    pub fn sample(&mut self) -> Snapshot {
        let now = Instant::now();
        // The demo first: its probes and the threads they name should be as
        // close in time as one tick allows.
        let demo = match &self.compare {
            Some(comparison) => comparison.demo_sample(),
            None => self.demo.as_ref().map(DemoHost::sample),
        };
        let cores = self.cpu.sample();
        let mut target = self.tree.sample();
        // After the tree: a command that just ended was seen as a zombie, with
        // its CPU time, before this reaps it.
        let run = self.run.as_mut().map(Launched::poll);
        // Readings taken microseconds apart can add up to a hair more than
        // the machine has; no tree keeps more cores busy than there are.
        if !cores.is_empty() {
            target.parallelism = target.parallelism.map(|p| p.min(cores.len() as f64));
        }
        let memory = self.system.as_mut().map(|system| {
            system.refresh_memory();
            MemorySample {
                total_bytes: system.total_memory(),
                used_bytes: system.used_memory(),
            }
        });
        let load_average = sysinfo::System::load_average()
            .ok()
            .map(|l| [l.one, l.five, l.fifteen]);
        let snapshot = Snapshot {
            seq: self.seq,
            elapsed: now.duration_since(self.started),
            interval: self.last.map(|last| now.duration_since(last)),
            cores,
            memory,
            load_average,
            target,
            demo,
            compare: None,
            notice: self
                .start_error
                .clone()
                .or_else(|| self.taps.error().map(str::to_owned)),
            run,
        };
        self.seq += 1;
        self.last = Some(now);
        let snapshot = match &mut self.compare {
            // The comparison sees this snapshot's memory figures and may end
            // one mode and start the next; the snapshot then says where it is.
            Some(comparison) => {
                comparison.step(&snapshot);
                Snapshot {
                    compare: Some(comparison.sample()),
                    ..snapshot
                }
            }
            None => snapshot,
        };
        self.taps.write(&snapshot);
        snapshot
    }
}

/// Why the tree under `pid` cannot be watched, in one line.
fn unreadable(pid: i32, err: ReadError) -> anyhow::Error {
    match err {
        ReadError::Gone => anyhow::anyhow!("no process with PID {pid} (it may have exited)"),
        ReadError::Unreadable => anyhow::anyhow!(
            "cannot read process {pid}: permission denied (it belongs to another user, \
             and /proc hides it from us)"
        ),
    }
}

/// What the UI may ask of a running sampler thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamplerCommand {
    /// Tick at this interval from now on.
    SetInterval(Duration),
    /// Steer the demo, if one runs.
    Demo(DemoCommand),
    /// Run this demo (round after round), stopping any other first.
    Start(Box<DemoConfig>),
    /// Stop the demo running, if any.
    Stop,
    /// Run this comparison from its first mode, in place of the one running.
    Compare(crate::compare::ComparePlan),
}

/// The running sampler thread. Dropping it stops the thread.
pub struct SamplerHandle {
    commands: mpsc::Sender<SamplerCommand>,
    thread: Option<JoinHandle<()>>,
}

impl SamplerHandle {
    /// Starts `sampler` on its own thread, ticking every `interval`.
    pub fn spawn(
        sampler: Sampler,
        interval: Duration,
        out: tokio::sync::mpsc::Sender<Arc<Snapshot>>,
    ) -> Result<Self> {
        let (commands, inbox) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("cs-sampler".into())
            .spawn(move || tick_loop(sampler, interval, &out, &inbox))
            .context("cannot start the sampler thread")?;
        Ok(Self {
            commands,
            thread: Some(thread),
        })
    }

    /// Sends a command; ignored if the thread has already stopped.
    pub fn send(&self, command: SamplerCommand) {
        let _ = self.commands.send(command);
    }
}

/// How long quitting waits for the sampler thread (and the demo it stops).
const STOP_WAIT: Duration = Duration::from_secs(2);

impl Drop for SamplerHandle {
    fn drop(&mut self) {
        // Replacing the sender disconnects the inbox, which ends the loop at
        // its next wait; the demo it owns stops as it drops.
        self.commands = mpsc::channel().0;
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Quitting must never hang on a thread that cannot finish (a bug, or
        // a demo stuck in a wait): after a bounded wait the thread is left to
        // end with the process, whose exit stops every thread it has.
        let deadline = Instant::now() + STOP_WAIT;
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

/// Samples on a fixed schedule (deadlines, not sleeps, so ticks do not drift)
/// until the receiver or the command channel goes away.
fn tick_loop(
    mut sampler: Sampler,
    mut interval: Duration,
    out: &tokio::sync::mpsc::Sender<Arc<Snapshot>>,
    inbox: &mpsc::Receiver<SamplerCommand>,
) {
    let mut next = Instant::now();
    loop {
        match out.try_send(Arc::new(sampler.sample())) {
            // The screen is behind (or suspended): the newest snapshots matter
            // more than a complete backlog, so this one is dropped.
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Closed(_)) => return,
        }
        next += interval;
        let now = Instant::now();
        if next < now {
            next = now + interval;
        }
        loop {
            match inbox.recv_timeout(next.saturating_duration_since(Instant::now())) {
                Ok(SamplerCommand::SetInterval(new)) => {
                    next = next.checked_sub(interval).unwrap_or(next) + new;
                    interval = new;
                }
                Ok(SamplerCommand::Start(config)) => sampler.start_demo(*config),
                Ok(SamplerCommand::Stop) => sampler.stop_demo(),
                Ok(SamplerCommand::Compare(plan)) => sampler.restart_comparison(plan),
                Ok(SamplerCommand::Demo(command)) => {
                    // The effect shows at the next tick: an extra snapshot now
                    // would make the history's time axis uneven.
                    if let Some(demo) = sampler.demo_mut() {
                        demo.apply(command);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_pid_is_one_clear_error() {
        let err = Sampler::new(999_999_999).err().expect("must fail");
        assert_eq!(
            err.to_string(),
            "no process with PID 999999999 (it may have exited)"
        );
        assert!(Sampler::new(0).is_err());
        assert!(Sampler::new(-5).is_err());
    }

    #[test]
    fn a_hidden_process_is_reported_as_permission_denied_not_gone() {
        // Only a /proc mounted with hidepid can refuse a whole process, which
        // a test cannot arrange: the message is checked at its source.
        let err = unreadable(1, ReadError::Unreadable).to_string();
        assert!(
            err.starts_with("cannot read process 1: permission denied"),
            "{err}"
        );
    }

    #[test]
    fn consecutive_snapshots_number_and_time_themselves() {
        let mut sampler = Sampler::for_own_process().expect("self");
        let first = sampler.sample();
        std::thread::sleep(Duration::from_millis(30));
        let second = sampler.sample();
        assert_eq!((first.seq, second.seq), (0, 1));
        assert_eq!(first.interval, None);
        let interval = second.interval.expect("interval");
        assert!(interval >= Duration::from_millis(30));
        assert!(second.elapsed >= interval);
        assert!(!second.cores.is_empty());
        assert!(second.memory.is_some_and(|m| m.used_bytes <= m.total_bytes));
    }

    #[test]
    fn the_thread_delivers_ticks_and_stops_when_dropped() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let sampler = Sampler::for_own_process().expect("self");
        let handle = SamplerHandle::spawn(sampler, Duration::from_millis(50), tx).expect("spawn");
        let first = rx.blocking_recv().expect("first");
        let second = rx.blocking_recv().expect("second");
        assert_eq!(second.seq, first.seq + 1);
        handle.send(SamplerCommand::SetInterval(Duration::from_millis(60)));
        drop(handle);
    }
}
