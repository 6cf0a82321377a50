//! Starting worker processes, watching them end, and making sure none
//! outlives its run.
//!
//! A worker is corescope itself, re-executed (`/proc/self/exe`, which works
//! even after the binary on disk was rebuilt) with the hidden `worker`
//! command. It is spawned, never forked: by the time a demo runs, the
//! dashboard has a sampler thread, a tokio runtime and rayon threads, and a
//! fork would copy their locks in whatever state they were (a child could
//! deadlock on a lock whose owner does not exist in it). Each child:
//! - gets the region's descriptor, which loses close-on-exec only for the
//!   moment of its spawn (demos spawn from one thread at a time);
//! - gets its channel, if its role talks to a peer, as its stdin (see
//!   [`super::ipc`]); the parent's copy closes as the spawn returns;
//! - sets its parent-death signal to SIGKILL first thing and checks that its
//!   parent is still the one that started it, so a SIGKILL of the dashboard
//!   takes every worker with it;
//! - runs in a process group of its own, killed whole on every exit path of
//!   the run (stop, restart, drop).

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::spec::ChildSpec;
use crate::probes::clock::now_ns;
use crate::shm::SharedRegion;

/// A worker process that has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// Its slot.
    pub slot: usize,
    /// Its process id.
    pub pid: u32,
    /// How it ended, in words: `exited with 0`, `killed by SIGSEGV`.
    pub how: String,
    /// True for a clean exit (status 0).
    pub clean: bool,
}

/// The worker processes of one run.
#[derive(Debug)]
pub struct Launcher {
    executable: PathBuf,
    running: Vec<(usize, Child)>,
}

impl Default for Launcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Launcher {
    /// No processes yet; workers will be this very executable.
    #[must_use]
    pub fn new() -> Self {
        Self::with_executable(PathBuf::from("/proc/self/exe"))
    }

    /// Workers will be `executable`, a corescope binary: for a benchmark or
    /// test that is not corescope itself.
    #[must_use]
    pub fn with_executable(executable: PathBuf) -> Self {
        Self {
            executable,
            running: Vec::new(),
        }
    }

    /// Starts a worker for `spec`, recording in the region when it was asked for.
    pub fn spawn(&mut self, region: &SharedRegion, spec: &ChildSpec) -> io::Result<u32> {
        self.spawn_with(region, spec, None)
    }

    /// Starts a worker for `spec` with `channel` as its stdin (its end of a
    /// channel to a peer; see [`super::ipc`]).
    pub fn spawn_with(
        &mut self,
        region: &SharedRegion,
        spec: &ChildSpec,
        channel: Option<OwnedFd>,
    ) -> io::Result<u32> {
        let fd = SharedRegion::global_fd()?;
        let slot = region.workers.get(spec.slot).ok_or_else(|| {
            io::Error::other(format!("no slot {} in the shared region", spec.slot))
        })?;
        slot.spawned_ns
            .store(now_ns(), std::sync::atomic::Ordering::Relaxed);
        let mut command = Command::new(&self.executable);
        command
            // Named as a person would look for it: `pgrep -f corescope`.
            .arg0("corescope")
            .arg("worker")
            .arg("--fd")
            .arg(SharedRegion::global_fd_number()?.to_string())
            .arg("--parent")
            .arg(std::process::id().to_string())
            .arg("--spec")
            .arg(spec.to_arg())
            .stdin(channel.map_or_else(Stdio::null, Stdio::from))
            // The dashboard owns the terminal: a worker writes nothing to it.
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty()))?;
        let spawned = command.spawn();
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
        // Closes our copy of the channel's end: the peer must see the end
        // when this worker dies.
        drop(command);
        let child = spawned?;
        let pid = child.id();
        self.running.push((spec.slot, child));
        Ok(pid)
    }

    /// True while a worker runs in `slot`.
    #[must_use]
    pub fn is_running(&self, slot: usize) -> bool {
        self.running.iter().any(|(s, _)| *s == slot)
    }

    /// Workers still running.
    #[must_use]
    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Reaps the workers that ended since the last call.
    pub fn reap(&mut self) -> Vec<Exit> {
        let mut ended = Vec::new();
        self.running
            .retain_mut(|(slot, child)| match child.try_wait() {
                Ok(Some(status)) => {
                    ended.push(exit(*slot, child.id(), status));
                    false
                }
                Ok(None) => true,
                // Not ours to wait for any more (already reaped): forget it.
                Err(_) => false,
            });
        ended
    }

    /// Gives the workers `grace` to end on their own (they were told to
    /// stop), then kills what is left, process groups and all, and reaps it.
    pub fn stop_all(&mut self, grace: Duration) -> Vec<Exit> {
        let deadline = Instant::now() + grace;
        let mut ended = self.reap();
        while !self.running.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            ended.extend(self.reap());
        }
        for (_, child) in &self.running {
            if let Ok(pid) = i32::try_from(child.id()) {
                // The group may be gone already; nothing else to do then.
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        for (slot, mut child) in self.running.drain(..) {
            if let Ok(status) = child.wait() {
                ended.push(exit(slot, child.id(), status));
            }
        }
        ended
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        self.stop_all(Duration::ZERO);
    }
}

fn exit(slot: usize, pid: u32, status: ExitStatus) -> Exit {
    let how = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with {code}"),
        (None, Some(signal)) => Signal::try_from(signal).map_or_else(
            |_| format!("killed by signal {signal}"),
            |s| format!("killed by {s}"),
        ),
        (None, None) => "ended".to_owned(),
    };
    Exit {
        slot,
        pid,
        how,
        clean: status.success(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_read_as_words() {
        let code = exit(1, 9, ExitStatus::from_raw(3 << 8));
        assert_eq!((code.how.as_str(), code.clean), ("exited with 3", false));
        let segv = exit(1, 9, ExitStatus::from_raw(11));
        assert_eq!(segv.how, "killed by SIGSEGV");
        assert!(exit(0, 9, ExitStatus::from_raw(0)).clean);
    }
}
