//! Ctrl-Z for what corescope started: the processes it spawned (a demo's
//! worker processes, the command of `corescope run`) run in process groups of
//! their own, so the shell's job control, which stops corescope's group,
//! never reaches them. Left alone they would keep the cores busy while the
//! dashboard is suspended. [`StoppedChildren::stop`] stops each child's
//! group as the shell would have, and [`StoppedChildren::resume`] continues
//! exactly those groups when corescope is continued.
//!
//! The children are read from `/proc/self/task/*/children` (every thread's,
//! since each thread's children are listed under it), read to the end.

use std::collections::BTreeSet;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::{Pid, getpgid, getpgrp};

/// The process groups (or lone processes) corescope stopped on suspend.
#[derive(Debug, Default)]
pub struct StoppedChildren {
    groups: BTreeSet<i32>,
    lone: BTreeSet<i32>,
}

impl StoppedChildren {
    /// Stops (SIGSTOP) every child's process group, or the child alone when
    /// it shares corescope's own group (the shell stops that one).
    pub fn stop() -> Self {
        let own = getpgrp();
        let mut stopped = Self::default();
        for pid in children() {
            let pid = Pid::from_raw(pid);
            match getpgid(Some(pid)) {
                Ok(group) if group == own => {
                    if kill(pid, Signal::SIGSTOP).is_ok() {
                        stopped.lone.insert(pid.as_raw());
                    }
                }
                Ok(group) => {
                    if killpg(group, Signal::SIGSTOP).is_ok() {
                        stopped.groups.insert(group.as_raw());
                    }
                }
                // Gone since it was listed: nothing to stop.
                Err(_) => {}
            }
        }
        stopped
    }

    /// Continues (SIGCONT) what [`Self::stop`] stopped; a group gone since
    /// needs nothing.
    pub fn resume(self) {
        for group in self.groups {
            let _ = killpg(Pid::from_raw(group), Signal::SIGCONT);
        }
        for pid in self.lone {
            let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
        }
    }
}

/// This process's children, as the kernel lists them per thread.
fn children() -> BTreeSet<i32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
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
