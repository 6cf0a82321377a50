//! The sampler: one immutable `Snapshot` per tick, made off the render path.
//!
//! It owns every `/proc` reader; nothing else in corescope touches `/proc` on a
//! tick. In the dashboard it runs on its own thread and publishes each
//! snapshot in a one-slot channel where the newest replaces the one before:
//! the screen always draws the newest tick, a slow frame skips ticks (a gap in
//! `Snapshot::seq`, which the history keeps as a gap) and nothing old queues up,
//! because the sampler never waits for the screen. Commands come back on a
//! bounded channel. Headless reports call `Sampler::sample` directly.

mod cpu;
mod futex_time;
mod ledger;
mod locks;
pub mod machine;
mod proc_file;
pub mod process_feed;
pub mod processes;
mod stat;
mod status;
mod threads;
mod tree;

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub use corescope_demos::host::{DemoCommand, DemoHost};
use proc_file::ReadError;
pub use proc_file::raise_open_file_limit;

use corescope_demos::config::DemoConfig;
use corescope_demos::run::Rounds;

use crate::cli::UsageError;
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
    /// The comparison's mode under way at the last sample.
    compare_mode: Option<crate::compare::ModeName>,
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
        if let Some(process) = status::read(pid).as_deref().and_then(status::thread_group)
            && process != pid
        {
            return Err(UsageError(format!(
                "{pid} is a thread of process {process}, not a process: \
                 watch {process} to see all its threads"
            ))
            .into());
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
            compare_mode: None,
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
        // A new demo (a lesson step) is a new run: its peaks are its own.
        self.tree.reset_peaks();
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
    /// Orphans of the command (handed to its guardian) are in the tree too.
    pub fn for_command(launched: Launched) -> Result<Self> {
        let mut sampler = Self::new(launched.pid())?;
        sampler.tree.adopt_orphans_of(launched.guardian_pid());
        sampler.run = Some(launched);
        Ok(sampler)
    }

    /// Watches the tree under `pid` from now on, in place of the one
    /// watched (the process list's choice): a new run, its ticks numbered
    /// from 0. A process that cannot be watched leaves the tree as it was,
    /// and the snapshots say why, starting with [`watch_failure`]`(pid)`.
    pub fn watch_root(&mut self, pid: i32) {
        match TreeReader::new(pid) {
            Ok(tree) => {
                self.tree = tree;
                self.start_error = None;
                self.seq = 0;
                self.started = Instant::now();
                self.last = None;
            }
            Err(err) => {
                self.start_error = Some(format!("{}{}", watch_failure(pid), unreadable(pid, err)));
            }
        }
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

    /// Applies `command` to the demo running, if any. A restart or another
    /// mode is a new run: the peaks start over with it.
    pub fn steer_demo(&mut self, command: DemoCommand) {
        let Some(demo) = self.demo.as_mut() else {
            return;
        };
        demo.apply(command);
        if matches!(command, DemoCommand::Restart | DemoCommand::NextMode) {
            self.tree.reset_peaks();
        }
    }

    /// The PID at the root of the watched tree.
    #[must_use]
    pub const fn root_pid(&self) -> i32 {
        self.tree.root()
    }

    /// True once the watched tree's root has exited, so that the last sample
    /// can be taken at the exit; cheap enough to ask every few milliseconds.
    /// Never for corescope's own tree, which ends with corescope: nothing
    /// is read for it between ticks.
    pub fn root_exited(&mut self) -> bool {
        self.tree.root() != own_pid() && self.tree.root_exited()
    }

    /// Between two ticks (every 10 ms): reads some threads' wait channels,
    /// so that their futex-wait estimates rest on more than the ticks'
    /// readings, and the processes' CPU clocks, so that a process reaped at
    /// once keeps its CPU to within a few milliseconds of its exit. Not for
    /// corescope's own tree: its demos measure their waits with probes, and
    /// the polls would add to the CPU time they show.
    pub fn poll_between_ticks(&mut self) {
        if self.tree.root() != own_pid() {
            self.tree.poll_waits();
            self.tree.poll_cpu();
        }
    }

    /// Starts a new run of the tree: its peaks and exited counts start over.
    pub fn reset_peaks(&mut self) {
        self.tree.reset_peaks();
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
                .or_else(|| self.taps.error().map(str::to_owned))
                .or_else(|| {
                    self.demo
                        .as_ref()
                        .and_then(DemoHost::notice)
                        .map(str::to_owned)
                }),
            run,
        };
        self.seq += 1;
        self.last = Some(now);
        let snapshot = match &mut self.compare {
            // The comparison sees this snapshot's memory figures and may end
            // one mode and start the next; the snapshot then says where it is.
            Some(comparison) => {
                comparison.step(&snapshot);
                let progress = comparison.sample();
                // Each mode is a run of its own: its peaks start over.
                if progress.running != self.compare_mode {
                    self.compare_mode = progress.running;
                    self.tree.reset_peaks();
                }
                Snapshot {
                    compare: Some(progress),
                    ..snapshot
                }
            }
            None => snapshot,
        };
        self.taps.write(&snapshot);
        snapshot
    }
}

/// This process's id.
fn own_pid() -> i32 {
    nix::unistd::getpid().as_raw()
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

/// How a snapshot's notice begins when watching `pid` failed.
#[must_use]
pub fn watch_failure(pid: i32) -> String {
    format!("cannot watch PID {pid}: ")
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
    /// Start the peaks (and the counts of exited tasks) over.
    ResetPeaks,
    /// Run this comparison from its first mode, in place of the one running.
    Compare(crate::compare::ComparePlan),
    /// Watch the tree under this PID in place of the one watched.
    Watch(i32),
}

/// Where the sampler thread publishes: the newest snapshot only (none
/// before the first tick).
pub type NewestSnapshot = tokio::sync::watch::Sender<Option<Arc<Snapshot>>>;

/// Commands waiting for the sampler thread. It takes them as they come (it
/// only stops to sample), so a full channel means a key far faster than any
/// person presses them; such a command is dropped rather than block the screen.
const COMMAND_BUFFER: usize = 64;

/// The running sampler thread. Dropping it stops the thread.
pub struct SamplerHandle {
    commands: mpsc::SyncSender<SamplerCommand>,
    thread: Option<JoinHandle<()>>,
}

impl SamplerHandle {
    /// Starts `sampler` on its own thread, ticking every `interval`.
    pub fn spawn(sampler: Sampler, interval: Duration, out: NewestSnapshot) -> Result<Self> {
        let (commands, inbox) = mpsc::sync_channel(COMMAND_BUFFER);
        let thread = std::thread::Builder::new()
            .name("cs-sampler".into())
            .spawn(move || tick_loop(sampler, interval, &out, &inbox))
            .context("cannot start the sampler thread")?;
        Ok(Self {
            commands,
            thread: Some(thread),
        })
    }

    /// Sends a command; ignored if the thread has already stopped (or, never
    /// seen in use, if `COMMAND_BUFFER` commands wait already).
    pub fn send(&self, command: SamplerCommand) {
        let _ = self.commands.try_send(command);
    }
}

/// How often a sampler waiting for its next tick looks again: has the root
/// exited (then the next sample is taken at once), and what do the threads'
/// wait channels and the processes' CPU clocks say (see
/// [`Sampler::poll_between_ticks`]).
pub const POLL_BETWEEN_TICKS: Duration = Duration::from_millis(10);

/// How long quitting waits for the sampler thread (and the demo it stops).
const STOP_WAIT: Duration = Duration::from_secs(2);

impl Drop for SamplerHandle {
    fn drop(&mut self) {
        // Replacing the sender disconnects the inbox, which ends the loop at
        // its next wait; the demo it owns stops as it drops.
        self.commands = mpsc::sync_channel(0).0;
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
    out: &NewestSnapshot,
    inbox: &mpsc::Receiver<SamplerCommand>,
) {
    let mut next = Instant::now();
    loop {
        let snapshot = sampler.sample();
        // corescope's own tree (a demo, the process list) ends with
        // corescope and has nothing read between ticks: no 10 ms wake-ups.
        let last_alive = snapshot.target.alive && sampler.root_pid() != own_pid();
        // Replaces a snapshot the screen has not taken yet (it is behind or
        // suspended): the newest matters, a backlog would show the past.
        if out.send(Some(Arc::new(snapshot))).is_err() {
            return;
        }
        next += interval;
        let now = Instant::now();
        if next < now {
            next = now + interval;
        }
        // The root's exit wakes the loop at once (checked every POLL_BETWEEN_TICKS),
        // so the last snapshot is the exit's, not the next tick's.
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            let wait = if last_alive {
                wait.min(POLL_BETWEEN_TICKS)
            } else {
                wait
            };
            match inbox.recv_timeout(wait) {
                Ok(SamplerCommand::SetInterval(new)) => {
                    next = next.checked_sub(interval).unwrap_or(next) + new;
                    interval = new;
                }
                Ok(SamplerCommand::Start(config)) => sampler.start_demo(*config),
                Ok(SamplerCommand::Stop) => sampler.stop_demo(),
                Ok(SamplerCommand::Compare(plan)) => sampler.restart_comparison(plan),
                // The effect shows at the next tick: an extra snapshot now
                // would make the history's time axis uneven.
                Ok(SamplerCommand::Demo(command)) => sampler.steer_demo(command),
                Ok(SamplerCommand::ResetPeaks) => sampler.reset_peaks(),
                Ok(SamplerCommand::Watch(pid)) => sampler.watch_root(pid),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if Instant::now() >= next || (last_alive && sampler.root_exited()) {
                        break;
                    }
                    sampler.poll_between_ticks();
                }
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

    /// The next snapshot published after the one last taken.
    fn next_snapshot(
        rx: &mut tokio::sync::watch::Receiver<Option<Arc<Snapshot>>>,
    ) -> Arc<Snapshot> {
        loop {
            futures::executor::block_on(rx.changed()).expect("the sampler runs");
            if let Some(snapshot) = rx.borrow_and_update().clone() {
                return snapshot;
            }
        }
    }

    #[test]
    fn a_new_demo_a_restart_and_a_mode_switch_each_start_the_peaks_over() {
        let spec = corescope_demos::registry::find("threads").expect("threads demo");
        let mut sampler = Sampler::for_own_process().expect("self");
        let first = sampler.sample().target.epoch;
        sampler.start_demo(DemoConfig::defaults(spec));
        let started = sampler.sample().target;
        assert_eq!(started.epoch, first + 1, "a new demo is a new run");
        assert!(started.threads_peak >= started.threads.len());
        sampler.steer_demo(DemoCommand::Slower);
        assert_eq!(
            sampler.sample().target.epoch,
            first + 1,
            "slower is the same run"
        );
        sampler.steer_demo(DemoCommand::Restart);
        let restarted = sampler.sample().target;
        assert_eq!(restarted.epoch, first + 2);
        assert_eq!(
            restarted.threads_peak,
            restarted.threads.len(),
            "the peak of the restarted run is what it has seen: one sample"
        );
        sampler.steer_demo(DemoCommand::NextMode);
        assert_eq!(sampler.sample().target.epoch, first + 3);
        sampler.reset_peaks();
        assert_eq!(sampler.sample().target.epoch, first + 4);
        sampler.stop_demo();
    }

    #[test]
    fn each_mode_of_a_comparison_is_a_run_of_its_own() {
        let plan = crate::compare::ComparePlan {
            kind: corescope_demos::catalog::Kind::Io,
            workers: 1,
            tasks: 1,
            work_ms: 1,
        };
        let comparison = Comparison::new(plan).expect("plan");
        let mut sampler = Sampler::for_comparison(comparison).expect("self");
        let mut modes_and_epochs = Vec::new();
        for _ in 0..2_000 {
            let snapshot = sampler.sample();
            let running = snapshot.compare.and_then(|c| c.running);
            if modes_and_epochs
                .last()
                .is_none_or(|(mode, _)| *mode != running)
            {
                modes_and_epochs.push((running, snapshot.target.epoch));
            }
            if sampler.comparison_mut().is_some_and(|c| c.is_finished()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // Each mode's first snapshot was taken as it started; the next
        // ones carry a new epoch.
        let epochs: Vec<u64> = modes_and_epochs.iter().map(|(_, epoch)| *epoch).collect();
        assert!(modes_and_epochs.len() >= 3, "{modes_and_epochs:?}");
        assert!(
            epochs.windows(2).all(|pair| pair[1] > pair[0]),
            "every mode change starts a new run: {modes_and_epochs:?}"
        );
    }

    #[test]
    fn the_thread_delivers_ticks_and_stops_when_dropped() {
        let (tx, mut rx) = tokio::sync::watch::channel(None);
        let sampler = Sampler::for_own_process().expect("self");
        let handle = SamplerHandle::spawn(sampler, Duration::from_millis(50), tx).expect("spawn");
        let first = next_snapshot(&mut rx);
        let second = next_snapshot(&mut rx);
        assert!(
            second.seq > first.seq,
            "expected a later tick after seq {}, got seq {}",
            first.seq,
            second.seq
        );
        handle.send(SamplerCommand::SetInterval(Duration::from_millis(60)));
        drop(handle);
    }

    #[test]
    fn a_stalled_screen_gets_the_newest_tick_not_a_backlog() {
        let (tx, mut rx) = tokio::sync::watch::channel(None);
        let sampler = Sampler::for_own_process().expect("self");
        let _handle = SamplerHandle::spawn(sampler, Duration::from_millis(10), tx).expect("spawn");
        // The screen takes nothing while the sampler makes five ticks.
        let ticked = |rx: &tokio::sync::watch::Receiver<Option<Arc<Snapshot>>>| {
            rx.borrow().as_ref().is_some_and(|s| s.seq >= 5)
        };
        while !ticked(&rx) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let first_frame = next_snapshot(&mut rx);
        assert!(
            first_frame.seq >= 5,
            "expected the first snapshot after the stall to be the newest (seq 5 or \
             later), got seq {}",
            first_frame.seq
        );
    }

    #[test]
    fn the_sampler_watches_a_new_root_as_a_new_run_or_says_why_it_cannot() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let pid = i32::try_from(child.id()).expect("pid");
        let mut sampler = Sampler::for_own_process().expect("self");
        sampler.sample();
        sampler.watch_root(pid);
        let first = sampler.sample();
        assert_eq!(
            (first.target.root_pid, first.seq, first.interval),
            (pid, 0, None)
        );
        assert_eq!(first.notice, None);
        child.kill().expect("kill");
        child.wait().expect("reap");
        sampler.watch_root(pid);
        let after = sampler.sample();
        assert_eq!(after.target.root_pid, pid, "the tree watched stays");
        let notice = after.notice.expect("a notice says why");
        assert!(
            notice.starts_with(&watch_failure(pid)) && notice.contains("no process with PID"),
            "{notice}"
        );
    }
}
