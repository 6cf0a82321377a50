//! The session: what one corescope run watches and runs, tick after tick.
//!
//! A session owns the run: one [`Workload`] (nothing of its own, a demo, a
//! comparison, a launched command or a lesson step's Python program), the
//! recorders its snapshots go to (`record::Taps`), and the [`Sampler`] that
//! reads the system. At each tick it samples the workload's probes, asks the
//! sampler for a reading, and assembles the immutable `Snapshot`. In the
//! dashboard it runs on its own thread ([`SessionHandle`]); headless reports
//! call [`Session::sample`] directly.

mod python_lock_names;
mod python_step;
mod thread;

use std::time::Instant;

use anyhow::Result;

use corescope_demos::config::DemoConfig;
use corescope_demos::host::{DemoCommand, DemoHost};
use corescope_demos::run::Rounds;

use crate::compare::Comparison;
use crate::launch::Launched;
use crate::lesson::PythonStep;
use crate::record::Taps;
use crate::sampler::Sampler;
use crate::snapshot::Snapshot;
use crate::snapshot::compare::{CompareMode, ComparePlan};

pub(crate) use thread::{POLL_BETWEEN_TICKS, SessionCommand, SessionHandle};

/// What corescope runs in the tree it watches.
enum Workload {
    /// Nothing of its own: a process watched, or corescope's own tree
    /// between two demos.
    Idle,
    /// A demo asked for that could not start, with why.
    NotStarted(String),
    /// A demo, round after round (or once, headless).
    Demo(DemoHost),
    /// A comparison, one mode after the other, advanced at every sample,
    /// with the mode under way at the last sample.
    Comparison(Comparison, Option<CompareMode>),
    /// A command corescope started and owns (dropping it stops the command).
    Command(Launched),
    /// A lesson step's Python program, watched as `run` watches a command
    /// (the sampler follows its tree), with the sampler of corescope's own
    /// tree put aside until the step ends.
    Python(Box<(Launched, Sampler)>),
}

/// One run: its workload, its recorders, and the sampler reading its tree.
pub(crate) struct Session {
    sampler: Sampler,
    workload: Workload,
    /// Where every snapshot is also written (`--record`, `--csv`, `--metrics`).
    taps: Taps,
    started: Instant,
    last: Option<Instant>,
    seq: u64,
}

impl Session {
    fn with(sampler: Sampler, workload: Workload) -> Self {
        Self {
            sampler,
            workload,
            taps: Taps::default(),
            started: Instant::now(),
            last: None,
            seq: 0,
        }
    }

    /// A session watching the tree under `pid`. Fails with a clear message
    /// when no such process exists.
    pub(crate) fn watch(pid: i32) -> Result<Self> {
        Ok(Self::with(Sampler::new(pid)?, Workload::Idle))
    }

    /// A session on corescope's own process tree (demos run inside it).
    pub(crate) fn for_own_process() -> Result<Self> {
        Ok(Self::with(Sampler::for_own_process()?, Workload::Idle))
    }

    /// A session on corescope's own tree, running `demo` inside it.
    pub(crate) fn for_demo(demo: DemoHost) -> Result<Self> {
        Ok(Self::with(
            Sampler::for_own_process()?,
            Workload::Demo(demo),
        ))
    }

    /// A session on corescope's own tree, running `comparison` inside it,
    /// one mode after the other, advanced at every sample.
    pub(crate) fn for_comparison(comparison: Comparison) -> Result<Self> {
        Ok(Self::with(
            Sampler::for_own_process()?,
            Workload::Comparison(comparison, None),
        ))
    }

    /// A session on the tree of a command corescope started, which it owns
    /// from now on (dropping the session stops the command). Orphans of the
    /// command (handed to its guardian) are in the tree too.
    pub(crate) fn for_command(launched: Launched) -> Result<Self> {
        let mut sampler = Sampler::new(launched.pid())?;
        sampler.adopt_orphans_of(launched.guardian_pid());
        Ok(Self::with(sampler, Workload::Command(launched)))
    }

    /// Writes every snapshot from now on to `taps` (`--record`, `--csv`).
    #[must_use]
    pub(crate) fn record_to(mut self, taps: Taps) -> Self {
        self.taps = taps;
        self
    }

    /// Why writing the recording or the CSV file stopped, if it did.
    #[must_use]
    pub(crate) fn record_error(&self) -> Option<&str> {
        self.taps.error()
    }

    /// Stops the demo, comparison or lesson program running, if any (a
    /// command is left running: the session watches it to its end).
    fn stop_workload(&mut self) {
        match std::mem::replace(&mut self.workload, Workload::Idle) {
            Workload::Demo(mut demo) => demo.stop(),
            Workload::Comparison(mut comparison, _) => comparison.stop(),
            Workload::Command(launched) => self.workload = Workload::Command(launched),
            Workload::Python(run) => {
                let (mut launched, own_tree) = *run;
                // Everything the program started ends with it (the guardian).
                launched.stop();
                self.sampler = own_tree;
                self.sampler.reset_peaks();
            }
            Workload::Idle | Workload::NotStarted(_) => {}
        }
    }

    /// Runs `config` from now on (round after round), stopping any demo that
    /// ran before; a demo that cannot start shows as a failed run. A session
    /// watching a command runs no demo.
    pub(crate) fn start_demo(&mut self, config: DemoConfig) {
        if matches!(self.workload, Workload::Command(_)) {
            return;
        }
        self.stop_workload();
        // A new demo (a lesson step) is a new run: its peaks are its own.
        self.sampler.reset_peaks();
        self.workload = match DemoHost::start(config, Rounds::Repeat) {
            Ok(host) => Workload::Demo(host),
            Err(err) => Workload::NotStarted(format!("{err:#}")),
        };
    }

    /// Runs a lesson step's Python program from now on, stopping what ran
    /// before, and watches its tree as `run` would; a program that cannot
    /// start (no `python3` on `PATH`) shows as a failed run, with why. A
    /// session watching a command runs no program.
    pub(crate) fn start_python(&mut self, step: &PythonStep) {
        if matches!(self.workload, Workload::Command(_)) {
            return;
        }
        self.stop_workload();
        self.sampler.reset_peaks();
        let started = python_step::launch(step).and_then(|launched| {
            let mut sampler = Sampler::new(launched.pid())?;
            sampler.adopt_orphans_of(launched.guardian_pid());
            Ok((launched, sampler))
        });
        self.workload = match started {
            Ok((launched, sampler)) => Workload::Python(Box::new((
                launched,
                std::mem::replace(&mut self.sampler, sampler),
            ))),
            Err(err) => Workload::NotStarted(format!("{err:#}")),
        };
    }

    /// Stops the demo or lesson program running, if any; its threads and
    /// processes end first.
    pub(crate) fn stop_demo(&mut self) {
        if matches!(
            self.workload,
            Workload::Demo(_) | Workload::NotStarted(_) | Workload::Python(_)
        ) {
            self.stop_workload();
        }
    }

    /// Stops the comparison under way and starts `plan` from its first
    /// mode; a plan that cannot run leaves the one shown stopped, with why.
    pub(crate) fn restart_comparison(&mut self, plan: ComparePlan) {
        if let Workload::Comparison(running, _) = &mut self.workload {
            running.stop();
        }
        match Comparison::new(plan) {
            Ok(comparison) => {
                if !matches!(self.workload, Workload::Command(_)) {
                    self.stop_workload();
                    self.workload = Workload::Comparison(comparison, None);
                }
            }
            Err(err) => {
                if let Workload::Comparison(running, _) = &mut self.workload {
                    running.fail(format!("{err:#}"));
                }
            }
        }
    }

    /// The comparison this session runs, if any.
    pub(crate) const fn comparison_mut(&mut self) -> Option<&mut Comparison> {
        match &mut self.workload {
            Workload::Comparison(comparison, _) => Some(comparison),
            _ => None,
        }
    }

    /// The command this session watches, if corescope started it.
    pub(crate) const fn command_mut(&mut self) -> Option<&mut Launched> {
        match &mut self.workload {
            Workload::Command(launched) => Some(launched),
            _ => None,
        }
    }

    /// The demo this session runs, if any.
    #[must_use]
    pub(crate) const fn demo(&self) -> Option<&DemoHost> {
        match &self.workload {
            Workload::Demo(demo) => Some(demo),
            _ => None,
        }
    }

    /// The demo this session runs, to steer it.
    pub(crate) const fn demo_mut(&mut self) -> Option<&mut DemoHost> {
        match &mut self.workload {
            Workload::Demo(demo) => Some(demo),
            _ => None,
        }
    }

    /// Applies `command` to the demo running, if any. A restart or another
    /// mode is a new run: the peaks start over with it.
    pub(crate) fn steer_demo(&mut self, command: DemoCommand) {
        let Workload::Demo(demo) = &mut self.workload else {
            return;
        };
        demo.apply(command);
        if matches!(command, DemoCommand::Restart | DemoCommand::NextMode) {
            self.sampler.reset_peaks();
        }
    }

    /// Watches the tree under `pid` from now on, in place of the one
    /// watched (the process list's choice): a new run, its ticks numbered
    /// from 0. A process that cannot be watched leaves the tree as it was,
    /// and the snapshots say why (starting with `sampler::watch_failure`).
    pub(crate) fn watch_root(&mut self, pid: i32) {
        match self.sampler.watch_root(pid) {
            Ok(()) => {
                self.stop_workload();
                self.seq = 0;
                self.started = Instant::now();
                self.last = None;
            }
            Err(err) => {
                self.stop_workload();
                self.workload = Workload::NotStarted(format!("{err:#}"));
            }
        }
    }

    /// True when the tree watched is corescope's own (demos, the process
    /// list), which ends with corescope.
    #[must_use]
    pub(crate) fn watches_own_tree(&self) -> bool {
        self.sampler.watches_own_tree()
    }

    /// The PID at the root of the watched tree.
    #[must_use]
    pub(crate) const fn root_pid(&self) -> i32 {
        self.sampler.root_pid()
    }

    /// True once the watched tree's root has exited, so that the last sample
    /// can be taken at the exit; cheap enough to ask every few milliseconds.
    pub(crate) fn root_exited(&mut self) -> bool {
        self.sampler.root_exited()
    }

    /// Between two ticks: see [`Sampler::poll_between_ticks`].
    pub(crate) fn poll_between_ticks(&mut self) {
        self.sampler.poll_between_ticks();
    }

    /// Starts a new run of the tree: its peaks and exited counts start over.
    pub(crate) fn reset_peaks(&mut self) {
        self.sampler.reset_peaks();
    }

    /// Reads everything now and returns the snapshot.
    pub(crate) fn sample(&mut self) -> Snapshot {
        let now = Instant::now();
        // The demo first: its probes and the threads they name should be as
        // close in time as one tick allows.
        let demo = match &self.workload {
            Workload::Comparison(comparison, _) => comparison.demo_sample(),
            Workload::Demo(demo) => Some(demo.sample()),
            Workload::Idle
            | Workload::NotStarted(_)
            | Workload::Command(_)
            | Workload::Python(_) => None,
        };
        let reading = self.sampler.read();
        // After the tree: a command that just ended was seen as a zombie, with
        // its CPU time, before this reaps it.
        let run = match &mut self.workload {
            Workload::Command(launched) => Some(launched.poll()),
            Workload::Python(run) => Some(run.0.poll()),
            _ => None,
        };
        let mut target = reading.target;
        if let (Some(python), Some(locks)) = (
            run.as_ref().and_then(|run| run.python.as_ref()),
            target.locks.as_mut(),
        ) {
            python_lock_names::name_python_locks(python, locks);
        }
        let notice = match &self.workload {
            Workload::NotStarted(why) => Some(why.clone()),
            _ => None,
        }
        .or_else(|| self.taps.error().map(str::to_owned))
        .or_else(|| self.demo().and_then(DemoHost::notice).map(str::to_owned));
        let snapshot = Snapshot {
            seq: self.seq,
            elapsed: now.duration_since(self.started),
            interval: self.last.map(|last| now.duration_since(last)),
            cores: reading.cores,
            memory: reading.memory,
            load_average: reading.load_average,
            target,
            demo,
            compare: None,
            notice,
            run,
        };
        self.seq += 1;
        self.last = Some(now);
        let snapshot = match &mut self.workload {
            // The comparison sees this snapshot's memory figures and may end
            // one mode and start the next; the snapshot then says where it is.
            Workload::Comparison(comparison, mode) => {
                comparison.step(&snapshot);
                let progress = comparison.sample();
                // Each mode is a run of its own: its peaks start over.
                if progress.running != *mode {
                    *mode = progress.running;
                    self.sampler.reset_peaks();
                }
                Snapshot {
                    compare: Some(progress),
                    ..snapshot
                }
            }
            _ => snapshot,
        };
        self.taps.write(&snapshot);
        snapshot
    }
}

#[cfg(test)]
mod tests;
