//! Sending a signal to processes of the watched tree: what the `k` dialog
//! (see [`crate::signal_dialog`]) asks the event loop to do.
//!
//! It owns the signals offered (htop's F9 list, the common ones), the
//! processes a request may name (the selected thread's process, or every
//! live process of the tree) and the delivery itself, with
//! `nix::sys::signal::kill`. It never signals corescope's own process nor
//! its helpers (its direct children: the guardian of `run`), never a PID
//! below 1 (`kill` would take those as a process group or everything), and
//! reports each process's result, a refusal by the kernel (EPERM: another
//! user's process) included, in words.

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::snapshot::TargetSample;

/// One signal the dialog offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalChoice {
    /// The signal.
    pub signal: Signal,
    /// Its name without `SIG`, as htop and `kill -l` write it: `TERM`.
    pub name: &'static str,
    /// What a program does with it by default, in a few words.
    pub meaning: &'static str,
}

/// The signals offered, the usual first (TERM is the dialog's default, as
/// in htop); their numbers follow Linux.
pub(crate) const SIGNALS: [SignalChoice; 12] = [
    choice(Signal::SIGTERM, "TERM", "ask to end (the polite stop)"),
    choice(Signal::SIGINT, "INT", "interrupt, as Ctrl-C"),
    choice(Signal::SIGHUP, "HUP", "hang-up; many daemons reload"),
    choice(Signal::SIGQUIT, "QUIT", "quit with a core dump"),
    choice(Signal::SIGKILL, "KILL", "end at once (cannot be caught)"),
    choice(Signal::SIGSTOP, "STOP", "pause (cannot be caught)"),
    choice(Signal::SIGCONT, "CONT", "resume after STOP or TSTP"),
    choice(Signal::SIGTSTP, "TSTP", "pause, as Ctrl-Z"),
    choice(Signal::SIGUSR1, "USR1", "user-defined 1"),
    choice(Signal::SIGUSR2, "USR2", "user-defined 2"),
    choice(Signal::SIGALRM, "ALRM", "alarm clock"),
    choice(Signal::SIGWINCH, "WINCH", "window size changed"),
];

const fn choice(signal: Signal, name: &'static str, meaning: &'static str) -> SignalChoice {
    SignalChoice {
        signal,
        name,
        meaning,
    }
}

/// A signal to send, and to which processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalRequest {
    /// What to send.
    pub choice: SignalChoice,
    /// The processes (PIDs, not threads: a signal goes to a whole process).
    pub pids: Vec<i32>,
    /// Those of `pids` that had left the tree when the user confirmed: a
    /// PID that ended may be reused by another process, so these are
    /// reported and never signalled.
    pub left_tree: Vec<i32>,
}

/// What became of the signal for one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The kernel took it.
    Sent,
    /// The kernel refused it: this errno (EPERM, ESRCH: already gone).
    Failed(Errno),
    /// corescope refused to send it.
    Refused(Refusal),
}

/// Why corescope sends no signal to a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// It is corescope itself.
    OwnProcess,
    /// It is one of corescope's helpers (the guardian of `run`).
    Helper,
    /// Not a process ID (`kill` reads 0 and below as groups or everything).
    NotAProcess,
    /// It left the watched tree before the confirmation (see
    /// [`SignalRequest::left_tree`]).
    LeftTheTree,
}

impl Refusal {
    /// Why, in words.
    #[must_use]
    pub(crate) const fn describe(self) -> &'static str {
        match self {
            Self::OwnProcess => "refused: corescope's own process",
            Self::Helper => "refused: a helper process of corescope",
            Self::NotAProcess => "refused: not a process ID",
            Self::LeftTheTree => "not sent: it left the tree before the confirmation",
        }
    }
}

/// The processes corescope never signals: itself and its helpers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Protected {
    own: i32,
    helpers: Vec<i32>,
}

impl Protected {
    /// corescope now: its own PID and its direct children (the guardian of
    /// `run`; a command `run` starts is the guardian's child, not ours).
    #[must_use]
    pub(crate) fn current() -> Self {
        let own = nix::unistd::getpid().as_raw();
        Self {
            own,
            helpers: crate::sampler::children(own),
        }
    }

    /// Why `pid` must not be signalled, if it must not.
    fn refusal(&self, pid: i32) -> Option<Refusal> {
        if pid <= 0 {
            Some(Refusal::NotAProcess)
        } else if pid == self.own {
            Some(Refusal::OwnProcess)
        } else if self.helpers.contains(&pid) {
            Some(Refusal::Helper)
        } else {
            None
        }
    }
}

/// The live processes of the tree (zombies have ended: a signal does
/// nothing to them), root first, each once.
#[must_use]
pub(crate) fn tree_targets(target: &TargetSample) -> Vec<i32> {
    let mut pids: Vec<i32> = Vec::with_capacity(target.processes.len());
    for process in &target.processes {
        if process.state != 'Z' && !pids.contains(&process.pid) {
            pids.push(process.pid);
        }
    }
    pids
}

/// Sends `request` for real, sparing corescope and its helpers.
#[must_use]
pub(crate) fn send(request: &SignalRequest) -> Vec<(i32, Delivery)> {
    deliver(request, &Protected::current(), |pid, signal| {
        nix::sys::signal::kill(Pid::from_raw(pid), signal)
    })
}

/// Sends `request` through `kill` to each process not `protected`, in the
/// request's order, each PID once.
fn deliver(
    request: &SignalRequest,
    protected: &Protected,
    mut kill: impl FnMut(i32, Signal) -> Result<(), Errno>,
) -> Vec<(i32, Delivery)> {
    let mut outcome: Vec<(i32, Delivery)> = Vec::with_capacity(request.pids.len());
    for &pid in &request.pids {
        if outcome.iter().any(|(done, _)| *done == pid) {
            continue;
        }
        let refusal = protected.refusal(pid).or_else(|| {
            request
                .left_tree
                .contains(&pid)
                .then_some(Refusal::LeftTheTree)
        });
        let delivery = match refusal {
            Some(refusal) => Delivery::Refused(refusal),
            None => match kill(pid, request.choice.signal) {
                Ok(()) => Delivery::Sent,
                Err(errno) => Delivery::Failed(errno),
            },
        };
        outcome.push((pid, delivery));
    }
    outcome
}

/// The outcome in lines: first how many took the signal (`sent TERM to 2
/// processes`), then one line per process that did not, with why
/// (`4250: Operation not permitted (EPERM)`).
#[must_use]
pub(crate) fn describe(choice: SignalChoice, outcome: &[(i32, Delivery)]) -> Vec<String> {
    let sent = outcome.iter().filter(|(_, d)| *d == Delivery::Sent).count();
    let plural = if sent == 1 { "process" } else { "processes" };
    let mut lines = vec![format!("sent {} to {sent} {plural}", choice.name)];
    for (pid, delivery) in outcome {
        match delivery {
            Delivery::Sent => {}
            Delivery::Failed(errno) => lines.push(format!("{pid}: {} ({errno:?})", errno.desc())),
            Delivery::Refused(refusal) => lines.push(format!("{pid}: {}", refusal.describe())),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;

    use super::*;
    use crate::model::fixtures::{snapshot, thread};
    use crate::snapshot::ProcessSample;

    fn term(pids: &[i32]) -> SignalRequest {
        SignalRequest {
            choice: SIGNALS[0],
            pids: pids.to_vec(),
            left_tree: Vec::new(),
        }
    }

    fn protected(own: i32, helpers: &[i32]) -> Protected {
        Protected {
            own,
            helpers: helpers.to_vec(),
        }
    }

    #[test]
    fn term_is_the_first_signal_and_every_name_is_its_own() {
        assert_eq!(SIGNALS[0].signal, Signal::SIGTERM);
        for (i, a) in SIGNALS.iter().enumerate() {
            assert_eq!(format!("SIG{}", a.name), a.signal.as_str(), "name of {a:?}");
            assert!(SIGNALS[i + 1..].iter().all(|b| b.signal != a.signal));
        }
    }

    #[test]
    fn own_process_helpers_and_group_pids_are_refused_and_never_sent() {
        let mut asked = Vec::new();
        let outcome = deliver(
            &term(&[100, 7, 200, 0, -1, 300]),
            &protected(100, &[200]),
            |pid, _| {
                asked.push(pid);
                Ok(())
            },
        );
        assert_eq!(asked, [7, 300], "only the others reach kill");
        assert_eq!(
            outcome,
            [
                (100, Delivery::Refused(Refusal::OwnProcess)),
                (7, Delivery::Sent),
                (200, Delivery::Refused(Refusal::Helper)),
                (0, Delivery::Refused(Refusal::NotAProcess)),
                (-1, Delivery::Refused(Refusal::NotAProcess)),
                (300, Delivery::Sent),
            ]
        );
    }

    #[test]
    fn the_real_own_pid_is_refused() {
        let own = i32::try_from(std::process::id()).expect("pid");
        let request = SignalRequest {
            choice: SIGNALS[4],
            pids: vec![own],
            left_tree: Vec::new(),
        };
        assert_eq!(
            send(&request),
            [(own, Delivery::Refused(Refusal::OwnProcess))],
            "corescope must never KILL itself"
        );
    }

    #[test]
    fn a_process_that_left_the_tree_is_never_signalled() {
        let mut asked = Vec::new();
        let request = SignalRequest {
            left_tree: vec![8],
            ..term(&[7, 8])
        };
        let outcome = deliver(&request, &protected(1, &[]), |pid, _| {
            asked.push(pid);
            Ok(())
        });
        assert_eq!(asked, [7], "the PID that left may be another process now");
        assert_eq!(outcome[1], (8, Delivery::Refused(Refusal::LeftTheTree)));
    }

    #[test]
    fn eperm_is_reported_per_process_in_words() {
        let outcome = deliver(&term(&[10, 11, 10]), &protected(1, &[]), |pid, _| {
            if pid == 11 { Err(Errno::EPERM) } else { Ok(()) }
        });
        assert_eq!(
            outcome,
            [(10, Delivery::Sent), (11, Delivery::Failed(Errno::EPERM))],
            "each PID once"
        );
        assert_eq!(
            describe(SIGNALS[0], &outcome),
            [
                "sent TERM to 1 process".to_owned(),
                "11: Operation not permitted (EPERM)".to_owned()
            ]
        );
    }

    #[test]
    fn a_real_child_takes_term_and_a_gone_one_says_so() {
        let mut child = Command::new("sleep").arg("30").spawn().expect("sleep");
        let pid = i32::try_from(child.id()).expect("pid");
        let request = term(&[pid]);
        let outcome = deliver(&request, &protected(1, &[]), |pid, signal| {
            nix::sys::signal::kill(Pid::from_raw(pid), signal)
        });
        assert_eq!(outcome, [(pid, Delivery::Sent)]);
        let status = child.wait().expect("wait");
        assert_eq!(status.signal(), Some(nix::libc::SIGTERM), "{status:?}");
        let again = deliver(&request, &protected(1, &[]), |pid, signal| {
            nix::sys::signal::kill(Pid::from_raw(pid), signal)
        });
        assert_eq!(again, [(pid, Delivery::Failed(Errno::ESRCH))]);
        assert_eq!(
            describe(SIGNALS[0], &again)[1],
            format!("{pid}: No such process (ESRCH)")
        );
    }

    #[test]
    fn a_tree_targets_its_live_processes_root_first() {
        let process = |pid, ppid, state| ProcessSample {
            pid,
            ppid,
            name: "sh".to_owned(),
            state,
            threads: 1,
            rss_kib: None,
        };
        let mut snap = snapshot(0, [0.0, 0.0], vec![thread(40, "sh", 0.0, 'S')]);
        snap.target.root_pid = 40;
        snap.target.processes = vec![
            process(40, 1, 'S'),
            process(42, 40, 'S'),
            process(41, 40, 'Z'),
            process(43, 42, 'R'),
        ];
        assert_eq!(tree_targets(&snap.target), [40, 42, 43]);
    }
}
