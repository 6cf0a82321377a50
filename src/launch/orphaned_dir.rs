//! A directory of corescope's that a `run` command used (a Python program's
//! probes), removed by the guardian when corescope died without removing it.
//!
//! corescope removes its probes directory itself once it has read the last
//! figures, but a SIGKILL runs none of its code. The guardian outlives it
//! (it ends the command first), so at its own end it removes the directory
//! if corescope is gone by then: its parent is no longer the corescope that
//! started it (the kernel handed it to a subreaper or init). While corescope
//! lives, the directory is left to it: it may still read the figures.
//!
//! Only a directory of the name corescope gives it (`corescope-py-…`) is
//! removed, never through a symbolic link.

use std::path::Path;

/// The start of the name of a directory the guardian may remove.
const PREFIX: &str = "corescope-py-";

/// Removes `dir` when the guardian's parent is no longer `parent`.
pub(crate) fn remove_if_orphaned(parent: i32, dir: Option<&Path>) {
    if let Some(dir) = dir
        && nix::unistd::getppid().as_raw() != parent
    {
        remove(dir);
    }
}

/// Removes `dir` if it is a real directory named as corescope names them.
fn remove(dir: &Path) {
    let named = dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(PREFIX));
    let real_dir = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
    if named && real_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_real_directory_of_corescopes_name_is_removed() {
        let base = std::env::temp_dir().join(format!("orphaned-dir-{}", std::process::id()));
        let ours = base.join("corescope-py-abc123");
        let other = base.join("precious");
        std::fs::create_dir_all(&ours).expect("dir");
        std::fs::create_dir_all(&other).expect("dir");
        std::fs::write(ours.join("probes-1.bin"), b"x").expect("write");
        let link = base.join("corescope-py-link");
        std::os::unix::fs::symlink(&other, &link).expect("symlink");
        remove(&other);
        remove(&link);
        assert!(other.is_dir(), "another name is left alone");
        assert!(link.exists(), "a symbolic link is not followed nor removed");
        remove_if_orphaned(nix::unistd::getppid().as_raw(), Some(&ours));
        assert!(ours.is_dir(), "left to a parent still alive");
        remove(&ours);
        assert!(!ours.exists(), "removed");
        let _ = std::fs::remove_dir_all(&base);
    }
}
