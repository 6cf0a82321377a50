//! The default log of a `run` command: `corescope-run-PID.log` in a
//! directory of the user's own (`$XDG_STATE_HOME/corescope`, else
//! `~/.local/state/corescope`), never the current directory, which may be
//! a source tree (the log would show as an untracked file) or a shared one.
//!
//! The directory is created mode 0700 if missing; the file is created new
//! and private (see [`crate::private_file`]), first named after corescope's
//! PID, then renamed after the command's without replacing anything there.
//! A name already taken (a log left by an earlier run whose PID was the
//! same, or anything planted there, a link included) is never opened: the
//! next free name is used, `corescope-run-PID-2.log` and so on.

use std::fs::{DirBuilder, File};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};

/// Creates the log, named after `pid` for now, in `dir` (made if missing).
pub(crate) fn create(dir: &Path, pid: u32) -> Result<(PathBuf, File)> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the log directory {}", dir.display()))?;
    let names = std::iter::once(named(dir, pid))
        .chain((2..=MOST_COPIES).map(|copy| dir.join(format!("corescope-run-{pid}-{copy}.log"))));
    for path in names {
        match crate::private_file::create_new(&path) {
            Ok(file) => return Ok((path, file)),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("cannot create the log file {}", path.display()));
            }
        }
    }
    anyhow::bail!(
        "cannot create a log file in {}: the {MOST_COPIES} names for PID {pid} are taken",
        dir.display()
    )
}

/// How many names `create` tries for one PID before it gives up.
const MOST_COPIES: u32 = 100;

/// `DIR/corescope-run-PID.log`.
fn named(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("corescope-run-{pid}.log"))
}

/// Renames the log after the command's PID; keeps the old name if that
/// fails or a file already has it (the log stays usable either way: the
/// command writes to it by descriptor).
pub(crate) fn rename_to_pid(path: PathBuf, pid: u32) -> PathBuf {
    let Some(dir) = path.parent() else {
        return path;
    };
    let to = named(dir, pid);
    match renameat2(
        AT_FDCWD,
        &path,
        AT_FDCWD,
        &to,
        RenameFlags::RENAME_NOREPLACE,
    ) {
        Ok(()) => to,
        Err(_) => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_log_and_its_directory_are_private_and_nothing_is_replaced() {
        let dir = std::env::temp_dir()
            .join(format!("corescope-log-{}", std::process::id()))
            .join("state");
        let _ = std::fs::remove_dir_all(&dir);
        let (path, _file) = create(&dir, 1).expect("create");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&path), 0o600);
        std::fs::write(named(&dir, 2), "someone else's").expect("write");
        let kept = rename_to_pid(path.clone(), 2);
        assert_eq!(kept, path, "an existing file is not replaced");
        assert_eq!(rename_to_pid(path, 3), named(&dir, 3));
    }

    #[test]
    fn a_name_taken_by_an_old_log_or_a_link_gives_the_next_free_name() {
        let dir = std::env::temp_dir()
            .join(format!("corescope-log-taken-{}", std::process::id()))
            .join("state");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(named(&dir, 7), "an earlier run's log").expect("write");
        let target = dir.join("not-yours");
        std::os::unix::fs::symlink(&target, dir.join("corescope-run-7-2.log")).expect("link");
        let (path, _file) = create(&dir, 7).expect("a free name is found");
        assert_eq!(
            path,
            dir.join("corescope-run-7-3.log"),
            "expected the first name neither a file nor a link holds"
        );
        assert_eq!(
            std::fs::read_to_string(named(&dir, 7)).expect("read"),
            "an earlier run's log",
            "expected the old log untouched"
        );
        assert!(!target.exists(), "expected the link not followed");
        let _ = std::fs::remove_dir_all(dir.parent().expect("parent"));
    }
}
