//! `corescope run`: starting the command to watch, following its output, and
//! making sure nothing it started outlives corescope.
//!
//! The command starts as `corescope exec` (see [`exec`]), which arms a
//! parent-death signal and then execs the command in place; corescope waits
//! for that exec before the first sample, and learns from it whether the
//! command could run at all. The command gets a session of its own (so its
//! own process group, and no controlling terminal), stdin from `/dev/null`
//! (the dashboard owns the terminal, and a headless run has nothing to give
//! it), and its stdout and stderr in one file, or on corescope's stderr for a
//! headless run without `--log`: never across the dashboard, never into the
//! JSON on stdout.
//!
//! Every way out ends what it started: [`Launched::stop`] (and `Drop`) sends
//! SIGTERM to the process group and to every descendant still found under the
//! command (one that left the group included), waits a short grace, then
//! sends SIGKILL. Orphans are not left behind even when the command itself
//! exited first. A SIGKILL of corescope, which no code sees, still takes the
//! command with it through the parent-death signal.

pub mod exec;
pub(crate) mod log_file;
pub mod output;

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use crate::python_probes::ProbeDir;
use crate::snapshot::{RunExit, RunSample};
use output::OutputTail;

/// How long a command has to end after SIGTERM before it gets SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_millis(500);

/// Where the command's stdout and stderr go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTo {
    /// This file, created or truncated (see `private_file`).
    File(PathBuf),
    /// `corescope-run-PID.log` in this directory, PID the command's (see
    /// `log_file`).
    DefaultLog(PathBuf),
    /// corescope's own stderr.
    Stderr,
}

/// A command corescope started and watches.
#[derive(Debug)]
pub struct Launched {
    child: Child,
    tail: Option<OutputTail>,
    exit: Option<RunExit>,
    /// How it ended, once [`Launched::stop`] ran: read by whoever outlives the
    /// sampler thread that owns this (the dashboard's final report).
    final_exit: Arc<OnceLock<RunExit>>,
    /// The probes of a Python command, read at each poll; removed on drop,
    /// after the command was stopped.
    probes: Option<ProbeDir>,
}

impl Launched {
    /// Starts `command` (program and arguments) and returns once the program
    /// itself runs. A program that cannot run is an error saying why, in one
    /// line: ``cannot run `foo`: No such file or directory``. With `probes`,
    /// a Python command finds them first on its `PYTHONPATH`.
    pub fn start(
        command: &[OsString],
        output: &OutputTo,
        probes: Option<ProbeDir>,
    ) -> Result<Self> {
        let program = command.first().context("no command given")?;
        let shown = program.to_string_lossy().into_owned();
        let (log_path, out) = open_output(output)?;
        let (status_read, status_write) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).context("cannot create a pipe")?;
        let mut spawn = Command::new("/proc/self/exe");
        spawn
            .arg0("corescope")
            .arg("exec")
            .arg("--parent")
            .arg(std::process::id().to_string())
            .arg("--")
            .args(command)
            .stdin(Stdio::from(status_write))
            .stdout(Stdio::from(
                out.try_clone().context("cannot share the output")?,
            ))
            .stderr(Stdio::from(out));
        if let Some(dir) = &probes {
            let user = std::env::var_os("PYTHONPATH");
            spawn.env("PYTHONPATH", dir.python_path(user.as_deref()));
        }
        let spawned = spawn.spawn();
        // Our copy of the pipe's write end must close, or its end never comes.
        drop(spawn);
        let mut child = spawned.context("cannot start corescope's exec helper")?;

        let mut status = [0_u8; 4];
        let read = read_full(File::from(status_read), &mut status);
        if read == status.len() {
            let errno = Errno::from_raw(i32::from_ne_bytes(status));
            let _ = child.wait();
            if matches!(output, OutputTo::DefaultLog(_))
                && let Some(path) = &log_path
            {
                let _ = std::fs::remove_file(path);
            }
            bail!("cannot run `{shown}`: {}", errno.desc());
        }
        let log_path = match (output, log_path) {
            (OutputTo::DefaultLog(_), Some(path)) => {
                Some(log_file::rename_to_pid(path, child.id()))
            }
            (_, path) => path,
        };
        let tail = log_path.as_deref().map(OutputTail::open).transpose();
        Ok(Self {
            child,
            tail: tail.context("cannot read the log file")?,
            exit: None,
            final_exit: Arc::new(OnceLock::new()),
            probes,
        })
    }

    /// The command's process id.
    #[must_use]
    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap_or(i32::MAX)
    }

    /// The log file, if the output goes to one.
    #[must_use]
    pub fn log_path(&self) -> Option<&Path> {
        self.tail.as_ref().map(OutputTail::path)
    }

    /// How the command ended, once it has and was reaped.
    #[must_use]
    pub const fn exit(&self) -> Option<&RunExit> {
        self.exit.as_ref()
    }

    /// Where [`Launched::stop`] leaves how the command ended.
    #[must_use]
    pub fn final_exit(&self) -> Arc<OnceLock<RunExit>> {
        Arc::clone(&self.final_exit)
    }

    /// Reaps the command if it has ended and reads its latest output. Called
    /// after the tree was sampled: a command that just ended shows in that
    /// sample as a zombie, with its CPU time, and is reaped here.
    pub fn poll(&mut self) -> RunSample {
        if self.exit.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exit = Some(exit_of(status));
        }
        RunSample {
            log: self.log_path().map(Path::to_owned),
            output: self
                .tail
                .as_mut()
                .map_or_else(|| Arc::from(Vec::new()), OutputTail::lines),
            exit: self.exit.clone(),
            python: self.probes.as_ref().map(ProbeDir::read),
        }
    }

    /// Ends the command and everything it started (SIGTERM, `grace`, SIGKILL),
    /// reaps it and returns how it ended. Harmless to call again.
    pub fn stop(&mut self, grace: Duration) -> Option<RunExit> {
        if self.exit.is_none() {
            self.signal_all(Signal::SIGTERM);
            let deadline = Instant::now() + grace;
            while self.exit.is_none() && Instant::now() < deadline {
                match self.child.try_wait() {
                    Ok(Some(status)) => self.exit = Some(exit_of(status)),
                    Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                    Err(_) => break,
                }
            }
        }
        // Whatever is left of the group (the command's own leftovers too).
        self.signal_all(Signal::SIGKILL);
        if self.exit.is_none()
            && let Ok(status) = self.child.wait()
        {
            self.exit = Some(exit_of(status));
        }
        if let Some(exit) = &self.exit {
            let _ = self.final_exit.set(exit.clone());
        }
        self.exit.clone()
    }

    /// Sends `signal` to the command's process group and to every descendant
    /// still under the command (found before any signal is sent).
    fn signal_all(&self, signal: Signal) {
        let root = self.pid();
        let descendants = if self.exit.is_none() {
            descendants(root)
        } else {
            Vec::new()
        };
        // The group may be empty already; nothing else to do then.
        let _ = killpg(Pid::from_raw(root), signal);
        for pid in descendants {
            let _ = kill(Pid::from_raw(pid), signal);
        }
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        self.stop(STOP_GRACE);
    }
}

/// Opens where the output goes: the log file (and its path) or our stderr.
fn open_output(output: &OutputTo) -> Result<(Option<PathBuf>, std::os::fd::OwnedFd)> {
    match output {
        OutputTo::File(path) => {
            let file = crate::private_file::create_or_truncate(path)
                .with_context(|| format!("cannot create the log file {}", path.display()))?;
            Ok((Some(path.clone()), file.into()))
        }
        OutputTo::DefaultLog(dir) => {
            // Named after corescope until the command's PID is known.
            let (path, file) = log_file::create(dir, std::process::id())?;
            Ok((Some(path), file.into()))
        }
        OutputTo::Stderr => {
            let fd = std::io::stderr()
                .as_fd()
                .try_clone_to_owned()
                .context("cannot share stderr")?;
            Ok((None, fd))
        }
    }
}

/// Reads until `buf` is full or the writer closed; returns the bytes read.
fn read_full(mut file: File, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    filled
}

/// How a reaped process ended.
fn exit_of(status: ExitStatus) -> RunExit {
    RunExit {
        code: status.code(),
        signal: status.signal().map(|n| {
            Signal::try_from(n).map_or_else(|_| format!("signal {n}"), |s| s.as_str().to_owned())
        }),
    }
}

/// Every process under `root` now, children before their own children.
fn descendants(root: i32) -> Vec<i32> {
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Ok(children) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            for child in children
                .split_ascii_whitespace()
                .filter_map(|p| p.parse().ok())
            {
                if !found.contains(&child) && child != root {
                    found.push(child);
                    queue.push(child);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    // Starting commands needs the corescope binary (the exec helper is
    // corescope itself): those tests are end to end, in tests/run.rs.
    use super::*;

    #[test]
    fn exit_statuses_read_as_code_or_signal() {
        let code = exit_of(ExitStatus::from_raw(3 << 8));
        assert_eq!((code.code, code.signal.as_deref()), (Some(3), None));
        assert_eq!(code.describe(), "exited with code 3");
        let killed = exit_of(ExitStatus::from_raw(9));
        assert_eq!(
            (killed.code, killed.signal.as_deref()),
            (None, Some("SIGKILL"))
        );
        assert_eq!(killed.describe(), "killed by SIGKILL");
    }

    #[test]
    fn descendants_are_found_under_a_process() {
        let mut child = Command::new("sleep").arg("5").spawn().expect("sleep");
        let me = i32::try_from(std::process::id()).expect("pid");
        let found = descendants(me);
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&(child.id() as i32)), "{found:?}");
    }
}
