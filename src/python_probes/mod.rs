//! Probes for Python programs that `corescope run` starts.
//!
//! When the program is a Python interpreter (by name: `python`, `python3`,
//! `python3.12`, a venv's or a pyenv shim's; it is never run to find out),
//! corescope makes a private directory ([`ProbeDir`]: mode 0700, created by
//! `mkdtemp`, removed when the run ends) holding a `sitecustomize.py` and the
//! probe module (both shipped in this binary), and puts it first on the
//! program's `PYTHONPATH` (the user's own `PYTHONPATH` follows). The
//! `sitecustomize` loads the probes, then runs the one the program would
//! have run. The user's files are never touched; `--no-probes` skips all of
//! this.
//!
//! Each process of the program writes its figures to its own
//! `probes-PID.bin` in that directory, in place through a shared memory map
//! (see [`layout`]); corescope reads the files at each tick and adds them up
//! ([`figures`]), and follows the `names-PID.txt` files that give the
//! Python names of its threads ([`names`]). The session names the kernel's
//! lock that a probed lock's waiters sleep on after it. A process whose interpreter is older than 3.8, or where
//! the probe module failed, leaves a one-line `notice-PID.txt` instead and
//! runs unprobed.

mod figures;
pub(crate) mod layout;
mod names;
mod probe_dir;
mod text;

#[cfg(test)]
pub(crate) use figures::Spread;
pub(crate) use figures::{
    ProbeBarrier, ProbeCondition, ProbeEvent, ProbeExecutor, ProbeLock, ProbeQueue, ProbeSemaphore,
    ProbesStatus, PythonProbes,
};
#[cfg(test)]
pub(crate) use names::TaskName;
pub(crate) use probe_dir::ProbeDir;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// True when `program` names a Python interpreter: its file name is
/// `python`, `python3`, `python3.X` (or `python3.Xt`), by itself or in any
/// directory (a venv's `bin/python`, a pyenv shim).
#[must_use]
pub(crate) fn is_python(program: &OsStr) -> bool {
    let Some(name) = Path::new(program).file_name() else {
        return false;
    };
    let Some(rest) = name.as_bytes().strip_prefix(b"python") else {
        return false;
    };
    let rest = rest.strip_suffix(b"t").unwrap_or(rest);
    match rest {
        b"" | b"3" => true,
        _ => rest
            .strip_prefix(b"3.")
            .is_some_and(|minor| !minor.is_empty() && minor.iter().all(u8::is_ascii_digit)),
    }
}

/// The probes for `command`, when it is a Python interpreter and
/// `no_probes` was not asked for.
pub(crate) fn for_command(
    command: &[std::ffi::OsString],
    no_probes: bool,
) -> anyhow::Result<Option<ProbeDir>> {
    match command.first() {
        Some(program) if !no_probes && is_python(program) => ProbeDir::create().map(Some),
        _ => Ok(None),
    }
}

/// Says on stderr, one line each, why probes are off in a process (or in
/// all of them: an interpreter run with `-S` or `-I` never loads them).
pub(crate) fn tell_notices(probes: Option<&PythonProbes>) {
    let Some(status) = probes.map(|p| &p.probes) else {
        return;
    };
    for notice in &status.notices {
        eprintln!("corescope: {notice}");
    }
    if status.on && status.processes == 0 && status.notices.is_empty() {
        eprintln!("corescope: probes off: the interpreter did not load them (run with -S or -I?)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreters_are_known_by_name() {
        for yes in [
            "python",
            "python3",
            "python3.11",
            "python3.13t",
            "/home/me/venv/bin/python",
            "/root/.pyenv/shims/python3",
            "./python3.8",
        ] {
            assert!(is_python(OsStr::new(yes)), "{yes} is a Python");
        }
        for no in [
            "python2x",
            "pythonista",
            "ipython",
            "python3.",
            "python3.x",
            "/usr/bin/env",
            "py",
            "",
            "python4",
        ] {
            assert!(!is_python(OsStr::new(no)), "{no} is not a Python");
        }
    }
}
