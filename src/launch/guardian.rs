//! `corescope guard`: the process between corescope and a `run` command,
//! which makes sure that nothing the command started outlives the run.
//!
//! Why a process of its own: corescope may die by SIGKILL, which no code of
//! corescope sees, and a command's descendants may leave its process group
//! (`setsid`), leave its tree (a double fork hands the grandchild to init) or
//! ignore SIGTERM. A parent-death signal on the command alone takes only the
//! command. The guardian is corescope re-executed (spawned, never forked:
//! corescope has threads by then), so it starts with one thread, and:
//! - makes itself a *child subreaper*: every orphan below it, double-forked
//!   or `setsid`, is handed to it rather than to init, so everything the
//!   command started stays its descendant (and stays in the watched tree:
//!   the sampler reads the guardian's children as well as the command's);
//! - arms a parent-death signal (SIGTERM) tied to corescope's main thread,
//!   then checks that its parent is still the corescope that started it;
//! - starts a session of its own, so the terminal's Ctrl-C and hang-up reach
//!   corescope, which decides, and never the guardian directly;
//! - starts the command through `corescope exec` (see [`super::exec`]);
//! - while nothing is ending, waits for signals only (no polling): SIGCHLD,
//!   or a stop (SIGTERM from corescope's [`super::Launched::stop`] or from
//!   corescope's death; SIGINT, SIGHUP and SIGQUIT alike).
//!
//! Why not corescope itself as the subreaper: its death (SIGKILL) would
//! hand the orphans to init with nobody left to end them.
//!
//! Ending everything (`Guard::end_all`): every live descendant gets
//! SIGTERM, then up to the grace to end; then SIGKILL to whatever is left,
//! read again from `/proc` and killed again until nothing is left (a process
//! forked during the sweep is caught by the next one). The guardian reaps as
//! it goes, so nothing stays even as a zombie. This happens on a stop, and
//! when the command exits by itself unless `--keep` (the dashboard's
//! `--stay`, which keeps watching what the command left until corescope
//! ends). The command itself is kept as a zombie until the guardian stops,
//! so that corescope's last sample still sees it and its CPU time.
//!
//! It tells corescope what happened on its stdin, a pipe corescope reads:
//! one [`Report`] per line.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::Pid;

use crate::sampler::children;

/// Exit code of a guardian that could not tie itself to corescope.
const ORPHANED: i32 = 3;
/// How often the guardian looks again while descendants are ending.
const SWEEP: Duration = Duration::from_millis(5);
/// After this long of SIGKILL sweeps the guardian gives up (a process stuck
/// in the kernel): what is left keeps its pending SIGKILL, and the guardian
/// exits. A process it may not signal at all (a set-user-ID program that
/// became another user) is not waited for.
pub(crate) const GIVE_UP: Duration = Duration::from_secs(5);

/// One line from the guardian to corescope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Report {
    /// The command runs (its exec succeeded), with this PID.
    Running(i32),
    /// The command could not be started: this errno.
    Failed(i32),
    /// The command exited with this code.
    Exited(i32),
    /// A signal (this number) killed the command.
    Killed(i32),
    /// The command still ran when the guardian was told to stop: the
    /// guardian ended it (its exit is reported too).
    Stopped,
    /// The guardian is done: it ended this many processes besides the
    /// command (descendants still running at the stop, or left behind when
    /// the command exited).
    Ended(u32),
}

/// The longest line a guardian sends.
pub(crate) const MAX_REPORT_LINE: usize = 32;

impl Report {
    /// The line, without its newline.
    #[must_use]
    pub(crate) fn to_line(self) -> String {
        match self {
            Self::Running(pid) => format!("running {pid}"),
            Self::Failed(errno) => format!("failed {errno}"),
            Self::Exited(code) => format!("exited {code}"),
            Self::Killed(signal) => format!("killed {signal}"),
            Self::Ended(count) => format!("ended {count}"),
            Self::Stopped => "stopped".to_owned(),
        }
    }

    /// Reads a line (without its newline); `None` if it is not a report.
    #[must_use]
    pub(crate) fn parse(line: &str) -> Option<Self> {
        if line == "stopped" {
            return Some(Self::Stopped);
        }
        let (word, number) = line.split_once(' ')?;
        Some(match word {
            "running" => Self::Running(number.parse().ok()?),
            "failed" => Self::Failed(number.parse().ok()?),
            "exited" => Self::Exited(number.parse().ok()?),
            "killed" => Self::Killed(number.parse().ok()?),
            "ended" => Self::Ended(number.parse().ok()?),
            _ => return None,
        })
    }
}

/// Runs the guardian to the end; returns its exit code.
#[must_use]
pub(crate) fn guard_main(parent: i32, grace: Duration, keep: bool, command: &[OsString]) -> i32 {
    let Ok(report) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return ORPHANED;
    };
    let mut out = Reporter(File::from(report));
    let stops = stop_signals();
    let mut waited = stops;
    waited.add(Signal::SIGCHLD);
    // Blocked first, so that none is lost before the wait: sigwait takes
    // them from the pending set.
    if waited.thread_block().is_err()
        || nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).is_err()
        || nix::unistd::getppid().as_raw() != parent
    {
        return ORPHANED;
    }
    if let Err(errno) = nix::sys::prctl::set_child_subreaper(true) {
        out.send(Report::Failed(errno as i32));
        return ORPHANED;
    }
    // Fails only for a process-group leader, which a process spawned into
    // corescope's group is not.
    let _ = nix::unistd::setsid();
    if let Ok(name) = std::ffi::CString::new("corescope-guard") {
        let _ = nix::sys::prctl::set_name(&name);
    }
    // Our stdin is the report pipe: nothing we start may inherit it.
    if let Ok(null) = File::open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&null);
    }
    let cmd = match start(command) {
        Ok(pid) => pid,
        Err(errno) => {
            out.send(Report::Failed(errno as i32));
            return 0;
        }
    };
    out.send(Report::Running(cmd.as_raw()));
    let mut guard = Guard {
        cmd,
        exit: None,
        ended: HashSet::new(),
        untouchable: HashSet::new(),
    };
    loop {
        match waited.wait() {
            Ok(signal) if stops.contains(signal) => break,
            Ok(_) => {
                guard.reap_others();
                if guard.exit.is_none()
                    && let Some(exit) = guard.command_exit()
                {
                    out.send(exit);
                    if !keep {
                        guard.end_all(grace);
                    }
                }
            }
            Err(_) => break,
        }
    }
    // A command that exited just before the stop exited by itself.
    if guard.exit.is_none()
        && let Some(exit) = guard.command_exit()
    {
        out.send(exit);
    }
    let stopped = guard.exit.is_none();
    guard.end_all(grace);
    if stopped {
        if let Some(exit) = guard.command_exit() {
            out.send(exit);
        }
        out.send(Report::Stopped);
    }
    out.send(Report::Ended(
        u32::try_from(guard.ended.len()).unwrap_or(u32::MAX),
    ));
    let _ = waitpid(cmd, None);
    0
}

/// The signals that ask the guardian to end everything and exit.
fn stop_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ] {
        set.add(signal);
    }
    set
}

/// Writes reports; one nobody reads any more (corescope is gone) is lost,
/// which changes nothing the guardian does.
struct Reporter(File);

impl Reporter {
    fn send(&mut self, report: Report) {
        let _ = self
            .0
            .write_all(format!("{}\n", report.to_line()).as_bytes());
    }
}

/// Starts the command through `corescope exec`; its PID once it runs, or
/// the errno of the failed start.
fn start(command: &[OsString]) -> Result<Pid, Errno> {
    let (status_read, status_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let mut spawn = Command::new("/proc/self/exe");
    spawn
        .arg0("corescope")
        .arg("exec")
        .arg("--parent")
        .arg(std::process::id().to_string())
        .arg("--")
        .args(command)
        .stdin(Stdio::from(status_write));
    let spawned = spawn.spawn();
    // Our copy of the write end must close, or its end never comes.
    drop(spawn);
    let child = spawned.map_err(|err| err.raw_os_error().map_or(Errno::EIO, Errno::from_raw))?;
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let mut status = [0_u8; 4];
    if read_full(status_read, &mut status) == status.len() {
        let _ = waitpid(pid, None);
        return Err(Errno::from_raw(i32::from_ne_bytes(status)));
    }
    Ok(pid)
}

/// Reads until `buf` is full or the writer closed; returns the bytes read.
fn read_full(fd: OwnedFd, buf: &mut [u8]) -> usize {
    let mut file = File::from(fd);
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

/// The guardian's state.
struct Guard {
    /// The command, which the guardian keeps as a zombie until it exits.
    cmd: Pid,
    /// How the command ended, once reported.
    exit: Option<Report>,
    /// Processes the guardian signalled to end, the command aside.
    ended: HashSet<i32>,
    /// Processes the guardian may not signal (`EPERM`): not waited for.
    untouchable: HashSet<i32>,
}

impl Guard {
    /// How the command ended, if it has; it is left a zombie (`WNOWAIT`).
    fn command_exit(&mut self) -> Option<Report> {
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        let exit = match waitid(Id::Pid(self.cmd), flags) {
            Ok(WaitStatus::Exited(_, code)) => Report::Exited(code),
            Ok(WaitStatus::Signaled(_, signal, _)) => Report::Killed(signal as i32),
            _ => return None,
        };
        self.exit = Some(exit);
        Some(exit)
    }

    /// Reaps every child that has ended, the command aside.
    fn reap_others(&self) {
        for child in children(own_pid()) {
            if child != self.cmd.as_raw() {
                let _ = waitpid(Pid::from_raw(child), Some(WaitPidFlag::WNOHANG));
            }
        }
    }

    /// Ends every descendant (the command too, if it still runs): SIGTERM,
    /// up to `grace` for them to end, then SIGKILL until none is left.
    fn end_all(&mut self, grace: Duration) {
        self.signal_all(Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && !self.left().is_empty() {
            std::thread::sleep(SWEEP);
            self.reap_others();
        }
        let give_up = Instant::now() + GIVE_UP;
        loop {
            self.reap_others();
            let left = self.left();
            // A zombie child not reaped yet (it ended during this sweep).
            let unreaped = children(own_pid())
                .into_iter()
                .any(|child| child != self.cmd.as_raw() && !is_live(child));
            if (left.is_empty() && !unreaped) || Instant::now() >= give_up {
                return;
            }
            self.signal_all(Signal::SIGKILL);
            std::thread::sleep(SWEEP);
        }
    }

    fn signal_all(&mut self, signal: Signal) {
        for pid in self.left() {
            match kill(Pid::from_raw(pid), signal) {
                Ok(()) if pid != self.cmd.as_raw() => {
                    self.ended.insert(pid);
                }
                Err(Errno::EPERM) => {
                    self.untouchable.insert(pid);
                }
                _ => {}
            }
        }
    }

    /// The live descendants still to end.
    fn left(&self) -> Vec<i32> {
        let mut left = live_descendants();
        left.retain(|pid| !self.untouchable.contains(pid));
        left
    }
}

/// Every descendant that is not a zombie, parents before their children.
fn live_descendants() -> Vec<i32> {
    let mut live = Vec::new();
    let mut queue = children(own_pid());
    let mut seen = HashSet::new();
    while let Some(pid) = queue.pop() {
        if !seen.insert(pid) {
            continue;
        }
        if is_live(pid) {
            live.push(pid);
            queue.extend(children(pid));
        }
    }
    live
}

fn own_pid() -> i32 {
    nix::unistd::getpid().as_raw()
}

/// True while `pid` exists and is not a zombie.
fn is_live(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // The state follows the name, which may itself hold `)`.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_read_back_as_written() {
        for report in [
            Report::Running(4242),
            Report::Failed(2),
            Report::Exited(-1),
            Report::Killed(9),
            Report::Ended(u32::MAX),
            Report::Stopped,
        ] {
            let line = report.to_line();
            assert!(line.len() <= MAX_REPORT_LINE, "{line}");
            assert_eq!(Report::parse(&line), Some(report));
        }
        for junk in ["", "running", "running x", "ended -1", "hello 1"] {
            assert_eq!(Report::parse(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn children_are_found_and_states_read() {
        let mut child = Command::new("sleep").arg("5").spawn().expect("sleep");
        let pid = child.id() as i32;
        let found = children(own_pid());
        assert!(is_live(pid));
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&pid), "{found:?}");
        assert!(!is_live(pid), "gone once reaped");
    }
}
