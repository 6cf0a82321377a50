//! `corescope exec`: the helper a `run` command starts as, in its first
//! moments, before it becomes the command itself.
//!
//! It does what std's `Command` cannot do safely between fork and exec, then
//! execs the command in place (same process, same PID):
//! - arms its parent-death signal, so that even a SIGKILL of corescope ends
//!   the command, and checks that its parent is still the corescope that
//!   started it (one that died before the signal was armed is caught here);
//! - starts a session of its own: its own process group (corescope stops the
//!   command by signalling it), no controlling terminal (nothing it runs can
//!   write across the dashboard, not even through `/dev/tty`, and the
//!   terminal's Ctrl-C or hang-up reach corescope, which decides);
//! - reports the outcome of the exec on its status pipe, which corescope gave
//!   it as stdin: a close-on-exec copy closes unread on success (corescope
//!   reads end of file, and only then samples the tree, so no sample catches
//!   corescope's own image), or carries the errno of a failed exec;
//! - puts `/dev/null` on stdin for the command;
//! - gives the command the signal state of a fresh program: nothing blocked
//!   (the guardian that started it blocks the signals it waits for, and a
//!   mask survives exec), SIGPIPE at its default (Rust's runtime ignores it
//!   in this process, and an ignored signal survives exec: in `run -- sh -c
//!   'yes | head -1'`, `yes` would fail with a write error instead of ending
//!   quietly).

use std::ffi::{CString, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nix::sys::signal::{SigHandler, SigSet, Signal};

/// Exit code when the command could not be executed (as a shell's).
pub(crate) const CANNOT_EXECUTE: i32 = 127;

/// Becomes `command`; returns (an exit code) only if that failed.
#[must_use]
pub(crate) fn exec_main(parent: i32, command: &[OsString]) -> i32 {
    let Ok(status) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return CANNOT_EXECUTE;
    };
    if nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).is_err()
        || nix::unistd::getppid().as_raw() != parent
    {
        // Nobody is left to read the status; there is nothing to run for.
        return CANNOT_EXECUTE;
    }
    if let Err(errno) = nix::unistd::setsid() {
        return report(&status, errno);
    }
    let null = match std::fs::File::open("/dev/null") {
        Ok(null) => null,
        Err(err) => return report(&status, errno_of(&err)),
    };
    if let Err(errno) = nix::unistd::dup2_stdin(&null) {
        return report(&status, errno);
    }
    drop(null);
    if let Err(errno) = fresh_signals() {
        return report(&status, errno);
    }
    let Ok(args) = command
        .iter()
        .map(|arg| CString::new(arg.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return report(&status, Errno::EINVAL);
    };
    let Some(program) = args.first() else {
        return report(&status, Errno::ENOENT);
    };
    let Err(errno) = nix::unistd::execvp(program, &args);
    report(&status, errno)
}

/// Unblocks every signal and puts SIGPIPE back to its default action.
#[expect(unsafe_code, reason = "sigaction(2) has no safe wrapper in nix")]
fn fresh_signals() -> Result<(), Errno> {
    SigSet::empty().thread_set_mask()?;
    // SAFETY: installs the default action, no handler: nothing of ours can
    // run in signal context. This process is single-threaded and about to
    // exec, so no other code relies on SIGPIPE being ignored.
    unsafe { nix::sys::signal::signal(Signal::SIGPIPE, SigHandler::SigDfl) }?;
    Ok(())
}

/// Writes `errno` to the status pipe for corescope to report.
fn report(status: &OwnedFd, errno: Errno) -> i32 {
    // If corescope is gone there is nobody to tell; the exit code still says it.
    let _ = nix::unistd::write(status, &(errno as i32).to_ne_bytes());
    CANNOT_EXECUTE
}

fn errno_of(err: &std::io::Error) -> Errno {
    err.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}
