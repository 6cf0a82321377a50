//! `corescope run`: starting the command to watch, following its output, and
//! making sure nothing it started outlives the run.
//!
//! The command starts under a guardian (see [`guardian`]): corescope spawns
//! `corescope guard`, which spawns `corescope exec` (see [`exec`]), which
//! execs the command in place. The guardian is the subreaper of everything
//! the command starts and ends all of it on every way out, SIGKILL of
//! corescope included (its parent-death signal). corescope waits for the
//! command's exec before the first sample, and learns from it whether the
//! command could run at all. The command gets a session of its own (so its
//! own process group, and no controlling terminal), stdin from `/dev/null`
//! (the dashboard owns the terminal, and a headless run has nothing to give
//! it), and its stdout and stderr in one file, or on corescope's stderr for a
//! headless run without `--log`: never across the dashboard, never into the
//! JSON on stdout.
//!
//! [`Launched::stop`] (and `Drop`) asks the guardian to end everything:
//! SIGTERM to every descendant, [`STOP_GRACE`], then SIGKILL until none is
//! left. When the command exits by itself, the guardian ends what it left
//! running at once, unless the run keeps it ([`Lifetime::KeepAfterExit`],
//! the dashboard's `--stay`): then it is ended when corescope ends.

pub(crate) mod exec;
pub(crate) mod guardian;
pub(crate) mod log_file;
pub(crate) mod orphaned_dir;
pub(crate) mod output;

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::python_probes::ProbeDir;
use crate::snapshot::{RunExit, RunSample};
use guardian::{MAX_REPORT_LINE, Report};
use output::OutputTail;

/// How long a command has to end after SIGTERM before it gets SIGKILL.
pub(crate) const STOP_GRACE: Duration = Duration::from_millis(500);
/// How long corescope waits for the guardian beyond the grace before it
/// kills the guardian itself: longer than the guardian's own sweeps may take
/// (a guardian that does not answer by then is a bug).
const GUARDIAN_SLACK: Duration = guardian::GIVE_UP.saturating_add(Duration::from_secs(1));
/// How often a stop looks for the guardian's last report.
const REPORT_POLL: Duration = Duration::from_millis(5);
/// How long a stop waits for the guardian's report of a command whose leader
/// `/proc` already shows as exited.
const EXIT_REPORT_WAIT: Duration = Duration::from_secs(2);

/// Whether `/proc` shows process `pid` exited (a zombie or gone).
fn leader_exited(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_none_or(|state| matches!(state, 'Z' | 'X'))
    })
}

/// Where the command's stdout and stderr go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutputTo {
    /// This file, created or truncated (see `private_file`).
    File(PathBuf),
    /// `corescope-run-PID.log` in this directory, PID the command's (see
    /// `log_file`).
    DefaultLog(PathBuf),
    /// corescope's own stderr.
    Stderr,
}

/// What happens to what the command left running when it exits by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifetime {
    /// It is ended at once.
    EndWithCommand,
    /// It runs on (and is watched) until corescope ends, then is ended.
    KeepAfterExit,
}

/// How a command's run ended: the command's exit, and how many of its
/// descendants the guardian ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunEnd {
    /// How the command ended; `None` if that could not be learnt.
    pub exit: Option<RunExit>,
    /// Processes ended besides the command (still running at the stop, or
    /// left behind when it exited); `None` if the guardian did not say.
    pub descendants_ended: Option<u32>,
    /// True when the command still ran at the stop, and was ended; false
    /// when it had exited by itself.
    pub stopped: bool,
}

/// A command corescope started and watches.
#[derive(Debug)]
pub(crate) struct Launched {
    guardian: Child,
    pid: i32,
    reports: Reports,
    tail: Option<OutputTail>,
    exit: Option<RunExit>,
    descendants_ended: Option<u32>,
    /// The guardian ended the command (it still ran at the stop).
    ended_by_stop: bool,
    /// [`Launched::stop`] has run.
    finished: bool,
    /// How it ended, once [`Launched::stop`] ran: read by whoever outlives the
    /// session thread that owns this (the dashboard's final report).
    final_end: Arc<OnceLock<RunEnd>>,
    /// The probes of a Python command, read at each poll; removed on drop,
    /// after the command was stopped.
    probes: Option<ProbeDir>,
}

impl Launched {
    /// Starts `command` (program and arguments) under its guardian and
    /// returns once the program itself runs. A program that cannot run is an
    /// error saying why, in one line: ``cannot run `foo`: No such file or
    /// directory``. With `probes`, a Python command finds them first on its
    /// `PYTHONPATH` (the guardian passes its environment on).
    ///
    /// Call it from corescope's main thread, or from a thread that outlives
    /// the command (the session's, for a lesson step): the guardian's
    /// parent-death signal fires when the thread that started it ends.
    pub(crate) fn start(
        command: &[OsString],
        output: &OutputTo,
        lifetime: Lifetime,
        probes: Option<ProbeDir>,
    ) -> Result<Self> {
        let program = command.first().context("no command given")?;
        let shown = program.to_string_lossy().into_owned();
        let (log_path, out) = open_output(output)?;
        let (report_read, report_write) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).context("cannot create a pipe")?;
        let mut spawn = Command::new("/proc/self/exe");
        spawn
            .arg0("corescope")
            .arg("guard")
            .arg("--parent")
            .arg(std::process::id().to_string())
            .arg("--grace-ms")
            .arg(STOP_GRACE.as_millis().to_string());
        if lifetime == Lifetime::KeepAfterExit {
            spawn.arg("--keep");
        }
        if let Some(dir) = &probes {
            // Removed by the guardian should corescope die without removing it.
            spawn.arg("--remove-dir").arg(dir.path());
        }
        spawn
            .arg("--")
            .args(command)
            .stdin(Stdio::from(report_write))
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
        let mut guardian = spawned.context("cannot start corescope's guardian process")?;
        // The pipe still blocks: this waits for the guardian's first word.
        let mut reports = Reports::new(File::from(report_read));
        let pid = match reports.next_report() {
            Some(Report::Running(pid)) => pid,
            first => {
                let _ = guardian.wait();
                if matches!(output, OutputTo::DefaultLog(_))
                    && let Some(path) = &log_path
                {
                    let _ = std::fs::remove_file(path);
                }
                match first {
                    Some(Report::Failed(errno)) => {
                        bail!("cannot run `{shown}`: {}", Errno::from_raw(errno).desc())
                    }
                    _ => bail!("cannot run `{shown}`: corescope's guardian process failed"),
                }
            }
        };
        reports.nonblocking()?;
        let log_path = match (output, log_path) {
            (OutputTo::DefaultLog(_), Some(path)) => {
                Some(log_file::rename_to_pid(path, pid.unsigned_abs()))
            }
            (_, path) => path,
        };
        let tail = log_path.as_deref().map(OutputTail::open).transpose();
        Ok(Self {
            guardian,
            pid,
            reports,
            tail: tail.context("cannot read the log file")?,
            exit: None,
            descendants_ended: None,
            ended_by_stop: false,
            finished: false,
            final_end: Arc::new(OnceLock::new()),
            probes,
        })
    }

    /// The command's process id.
    #[must_use]
    pub(crate) const fn pid(&self) -> i32 {
        self.pid
    }

    /// The guardian's process id: orphans of the command are its children.
    #[must_use]
    pub(crate) fn guardian_pid(&self) -> i32 {
        i32::try_from(self.guardian.id()).unwrap_or(i32::MAX)
    }

    /// The log file, if the output goes to one.
    #[must_use]
    pub(crate) fn log_path(&self) -> Option<&Path> {
        self.tail.as_ref().map(OutputTail::path)
    }

    /// Where [`Launched::stop`] leaves how the run ended.
    #[must_use]
    pub(crate) fn final_end(&self) -> Arc<OnceLock<RunEnd>> {
        Arc::clone(&self.final_end)
    }

    /// Learns whether the command has ended and reads its latest output.
    /// Called after the tree was sampled: the guardian keeps an ended
    /// command as a zombie, so that sample saw it with its CPU time.
    pub(crate) fn poll(&mut self) -> RunSample {
        while let Some(report) = self.reports.next_report() {
            self.note(report);
        }
        RunSample {
            log: self.log_path().map(Path::to_owned),
            output: self
                .tail
                .as_mut()
                .map_or_else(|| Arc::from(Vec::new()), OutputTail::lines),
            exit: self.exit.clone(),
            python: self.probes.as_mut().map(ProbeDir::read),
        }
    }

    fn note(&mut self, report: Report) {
        match report {
            Report::Exited(code) => self.exit = Some(exit_of(Some(code), None)),
            Report::Killed(signal) => self.exit = Some(exit_of(None, Some(signal))),
            Report::Ended(count) => self.descendants_ended = Some(count),
            Report::Stopped => self.ended_by_stop = true,
            Report::Running(_) | Report::Failed(_) => {}
        }
    }

    /// Ends the command and everything it started (the guardian does:
    /// SIGTERM, [`STOP_GRACE`], SIGKILL), waits for the guardian and
    /// returns how the run ended. Harmless to call again.
    pub(crate) fn stop(&mut self) -> RunEnd {
        if !self.finished && self.exit.is_none() && leader_exited(self.pid) {
            // `/proc` can show the command's leader a zombie a moment before
            // the kernel makes its exit waitable (its other threads still
            // exiting): the guardian, asked to stop then, would find no exit
            // and report the command stopped. Its exit report comes first.
            let until = Instant::now() + EXIT_REPORT_WAIT;
            while self.exit.is_none() && !self.reports.closed() && Instant::now() < until {
                match self.reports.next_report() {
                    Some(report) => self.note(report),
                    None => std::thread::sleep(REPORT_POLL),
                }
            }
        }
        if !self.finished {
            self.finished = true;
            let guardian = Pid::from_raw(self.guardian_pid());
            let _ = kill(guardian, Signal::SIGTERM);
            let deadline = Instant::now() + STOP_GRACE + GUARDIAN_SLACK;
            while !self.reports.closed() && Instant::now() < deadline {
                match self.reports.next_report() {
                    Some(report) => self.note(report),
                    None => std::thread::sleep(REPORT_POLL),
                }
            }
            if !self.reports.closed() {
                let _ = kill(guardian, Signal::SIGKILL);
            }
            let _ = self.guardian.wait();
        }
        let end = RunEnd {
            exit: self.exit.clone(),
            descendants_ended: self.descendants_ended,
            stopped: self.ended_by_stop,
        };
        let _ = self.final_end.set(end.clone());
        end
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The guardian's reports, read line by line from its pipe.
#[derive(Debug)]
struct Reports {
    pipe: File,
    /// Bytes of a line not yet complete.
    partial: Vec<u8>,
    closed: bool,
}

impl Reports {
    const fn new(pipe: File) -> Self {
        Self {
            pipe,
            partial: Vec::new(),
            closed: false,
        }
    }

    /// From now on reads never wait.
    fn nonblocking(&self) -> Result<()> {
        fcntl(self.pipe.as_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK))
            .context("cannot read the guardian's reports")?;
        Ok(())
    }

    /// True once the guardian closed its end (it exited).
    const fn closed(&self) -> bool {
        self.closed
    }

    /// The next complete report; `None` when none is there (yet).
    fn next_report(&mut self) -> Option<Report> {
        loop {
            if let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.partial.drain(..=end).collect();
                let report = std::str::from_utf8(&line[..end])
                    .ok()
                    .and_then(Report::parse);
                if report.is_some() {
                    return report;
                }
                continue;
            }
            if self.closed {
                return None;
            }
            let mut buf = [0_u8; 256];
            match self.pipe.read(&mut buf) {
                Ok(0) => self.closed = true,
                Ok(n) => {
                    self.partial.extend_from_slice(&buf[..n]);
                    // A line longer than any report is noise: dropped.
                    if self.partial.len() > 4 * MAX_REPORT_LINE && !self.partial.contains(&b'\n') {
                        self.partial.clear();
                    }
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => return None,
                Err(_) => self.closed = true,
            }
        }
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

/// How the command ended, from its exit code or signal number.
fn exit_of(code: Option<i32>, signal: Option<i32>) -> RunExit {
    RunExit {
        code,
        signal: signal.map(|n| {
            Signal::try_from(n).map_or_else(|_| format!("signal {n}"), |s| s.as_str().to_owned())
        }),
    }
}

#[cfg(test)]
mod tests {
    // Starting commands needs the corescope binary (the guardian is
    // corescope itself): those tests are end to end, in tests/run.rs and
    // tests/lifetime.rs.
    use super::*;

    #[test]
    fn exit_statuses_read_as_code_or_signal() {
        let code = exit_of(Some(3), None);
        assert_eq!((code.code, code.signal.as_deref()), (Some(3), None));
        assert_eq!(code.describe(), "exited with code 3");
        let killed = exit_of(None, Some(9));
        assert_eq!(
            (killed.code, killed.signal.as_deref()),
            (None, Some("SIGKILL"))
        );
        assert_eq!(killed.describe(), "killed by SIGKILL");
        assert_eq!(exit_of(None, Some(99)).describe(), "killed by signal 99");
    }

    #[test]
    fn reports_are_read_whole_across_reads_and_noise_is_dropped() {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).expect("pipe");
        let mut reports = Reports::new(File::from(read));
        reports.nonblocking().expect("nonblocking");
        let mut write = File::from(write);
        assert_eq!(reports.next_report(), None, "nothing yet");
        std::io::Write::write_all(&mut write, b"exited 3\nkil").expect("write");
        assert_eq!(reports.next_report(), Some(Report::Exited(3)));
        assert_eq!(reports.next_report(), None, "half a line");
        std::io::Write::write_all(&mut write, b"led 9\n").expect("write");
        assert_eq!(reports.next_report(), Some(Report::Killed(9)));
        let noise = vec![b'x'; 1000];
        std::io::Write::write_all(&mut write, &noise).expect("write");
        std::io::Write::write_all(&mut write, b"\nbogus\nended 2\n").expect("write");
        drop(write);
        assert_eq!(reports.next_report(), Some(Report::Ended(2)));
        assert_eq!(reports.next_report(), None);
        assert!(reports.closed());
    }
}
