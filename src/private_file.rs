//! Creating the files corescope writes (`--record`, `--csv`, a `run`
//! command's log) so that no one else can read them or redirect them.
//!
//! They hold command lines, thread names and a program's output: each is
//! created with mode 0600. A path is never followed through a symbolic link
//! at its last component (`O_NOFOLLOW`): in a shared directory such as
//! `/tmp`, another user could plant a link there to a file of ours and have
//! us overwrite it. A file the user named may already exist; it is truncated
//! only once checked, on the descriptor opened, to be a regular file of
//! the user's own (another user's file would keep its owner, and its
//! readers) with no other name (a hard link planted in a shared directory
//! would empty a file elsewhere). Devices and FIFOs (`/dev/null`, a pipe to another program) are
//! written as they are. A default file is always created new (`O_EXCL`).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use nix::fcntl::OFlag;

/// Owner read and write, no one else anything.
pub(crate) const MODE: u32 = 0o600;

/// Creates `path` new (failing if anything, a link included, is there),
/// mode 0600.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(MODE)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits())
        .open(path)
}

/// Opens `path` for writing from its start: a new file is created mode
/// 0600; an existing regular file of the user's is emptied; a symbolic
/// link, or another user's file, is refused (the error says which).
pub(crate) fn create_or_truncate(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .mode(MODE)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits())
        .open(path)
        .map_err(|err| {
            if err.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) {
                io::Error::other("it is a symbolic link, which corescope does not write through")
            } else {
                err
            }
        })?;
    let meta = file.metadata()?;
    if meta.file_type().is_file() {
        if meta.uid() != nix::unistd::geteuid().as_raw() {
            return Err(io::Error::other(
                "it belongs to another user, who could read what corescope writes",
            ));
        }
        // A hard link planted in a shared directory would have us empty
        // the file it names elsewhere.
        if meta.nlink() > 1 {
            return Err(io::Error::other(
                "it has other names (hard links); corescope writes only a file of one name",
            ));
        }
        file.set_len(0)?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("corescope-private-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn new_files_are_private() {
        let fresh = scratch("fresh");
        create_new(&fresh).expect("new");
        assert_eq!(mode(&fresh), 0o600);
        assert!(create_new(&fresh).is_err(), "created new only");
        let named = scratch("named");
        create_or_truncate(&named).expect("named");
        assert_eq!(mode(&named), 0o600);
    }

    #[test]
    fn a_planted_link_is_never_followed() {
        let victim = scratch("victim");
        std::fs::write(&victim, "precious").expect("victim");
        let link = scratch("link");
        std::os::unix::fs::symlink(&victim, &link).expect("link");
        let err = create_or_truncate(&link).expect_err("through a link");
        assert_eq!(
            err.to_string(),
            "it is a symbolic link, which corescope does not write through"
        );
        assert!(create_new(&link).is_err());
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
    }

    #[test]
    fn a_planted_hard_link_is_refused() {
        let victim = scratch("hard-victim");
        std::fs::write(&victim, "precious").expect("victim");
        let link = scratch("hard-link");
        std::fs::hard_link(&victim, &link).expect("hard link");
        let err = create_or_truncate(&link).expect_err("a second name");
        assert!(err.to_string().contains("hard links"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
    }

    #[test]
    fn an_existing_file_of_ours_is_emptied_and_a_device_written_as_it_is() {
        let old = scratch("old");
        std::fs::write(&old, "old contents").expect("old");
        create_or_truncate(&old).expect("truncate");
        assert_eq!(std::fs::read(&old).expect("read").len(), 0);
        create_or_truncate(Path::new("/dev/null")).expect("/dev/null");
    }
}
