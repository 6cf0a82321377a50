//! Ctrl-Z for what corescope started: the processes it spawned (a demo's
//! worker processes; for `corescope run`, the guardian and the command with
//! everything it started, in sessions and groups of their own) are out of
//! reach of the shell's job control, which stops corescope's group only.
//! Left alone they would keep the cores busy while the dashboard is
//! suspended. [`StoppedChildren::stop`] stops every descendant, parents
//! before their children (so none forks a process the walk misses), and
//! [`StoppedChildren::resume`] continues exactly those when corescope is
//! continued.
//!
//! The descendants are read from `/proc/PID/task/*/children` (every
//! thread's, since each thread's children are listed under it), read to the
//! end.

use std::collections::{BTreeSet, VecDeque};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The processes corescope stopped on suspend.
#[derive(Debug, Default)]
pub(crate) struct StoppedChildren {
    stopped: Vec<i32>,
}

/// Most descendants walked: a fork bomb must not hold the suspend up.
const MAX_DESCENDANTS: usize = 4096;

impl StoppedChildren {
    /// Stops (SIGSTOP) every descendant of corescope, top down.
    pub(crate) fn stop() -> Self {
        let mut stopped = Self::default();
        let mut queue: VecDeque<i32> = children_of("self").into_iter().collect();
        let mut seen = BTreeSet::new();
        while let Some(pid) = queue.pop_front() {
            if stopped.stopped.len() >= MAX_DESCENDANTS || !seen.insert(pid) {
                continue;
            }
            // Gone since it was listed: nothing to stop, nor below it.
            if kill(Pid::from_raw(pid), Signal::SIGSTOP).is_ok() {
                stopped.stopped.push(pid);
                queue.extend(children_of(&pid.to_string()));
            }
        }
        stopped
    }

    /// Continues (SIGCONT) what [`Self::stop`] stopped, children first, so
    /// that a parent continued finds its children running; one gone since
    /// needs nothing.
    pub(crate) fn resume(self) {
        for pid in self.stopped.into_iter().rev() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
        }
    }
}

/// The children of process `pid` (`self` for corescope), as the kernel
/// lists them per thread.
fn children_of(pid: &str) -> BTreeSet<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return BTreeSet::new();
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}
