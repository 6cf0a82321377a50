//! The default log of a `run` command: `corescope-run-PID.log` in a
//! directory of the user's own (`$XDG_STATE_HOME/corescope`, else
//! `~/.local/state/corescope`), never the current directory, which may be
//! a source tree (the log would show as an untracked file) or a shared one.
//!
//! The directory is created mode 0700 if missing; the file is created new
//! and private (see [`crate::private_file`]), first named after corescope's
//! PID, then renamed after the command's without replacing anything there.

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
    let path = named(dir, pid);
    let file = crate::private_file::create_new(&path)
        .with_context(|| format!("cannot create the log file {}", path.display()))?;
    Ok((path, file))
}

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
        assert!(create(&dir, 3).is_err(), "created new only");
    }
}
