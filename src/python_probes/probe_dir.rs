//! The private directory a probed Python program loads its probes from and
//! writes its figures to.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::figures::{self, ProbesStatus, PythonProbes};
use super::layout;
use super::names::NamesFiles;
use crate::outside_file::open_regular_unlinked;

/// The probe module, written as `_corescope_probes.py`.
const PROBES_PY: &str = include_str!("../../assets/python/corescope_probes/probes.py");
/// The `sitecustomize.py` that loads it and chains the program's own.
const SITECUSTOMIZE_PY: &str =
    include_str!("../../assets/python/corescope_probes/sitecustomize.py");
/// Probe files read, at most (a program that forks thousands of processes
/// shows the first ones).
const MAX_FILES: usize = 512;
/// Notices kept, at most, and bytes read of each.
const MAX_NOTICES: usize = 8;
const NOTICE_BYTES: u64 = 300;

/// The directory; removed, with what the program wrote in it, on drop.
#[derive(Debug)]
pub(crate) struct ProbeDir {
    path: PathBuf,
    /// The names files, read as they grow.
    names: NamesFiles,
}

impl ProbeDir {
    /// Makes the directory (mode 0700, a fresh name under the temporary
    /// directory) and writes the probes into it.
    pub(crate) fn create() -> Result<Self> {
        let template = std::env::temp_dir().join("corescope-py-XXXXXX");
        let path = nix::unistd::mkdtemp(&template)
            .with_context(|| format!("cannot create a directory in {}", template.display()))?;
        let dir = Self {
            path,
            names: NamesFiles::default(),
        };
        dir.write("sitecustomize.py", SITECUSTOMIZE_PY)?;
        dir.write("_corescope_probes.py", PROBES_PY)?;
        Ok(dir)
    }

    /// Writes a lesson's program into the directory, beside the probes
    /// (created new, mode 0600, never through a link), and returns its path.
    /// `name` is a plain file name of the binary's own (see
    /// `lesson_programs`), which the program's probes are named after.
    pub(crate) fn add_program(&self, name: &str, text: &str) -> Result<PathBuf> {
        anyhow::ensure!(
            !name.contains('/')
                && !name.starts_with('.')
                && Path::new(name).extension().is_some_and(|ext| ext == "py"),
            "`{name}` is not a program's file name"
        );
        self.write(name, text)?;
        Ok(self.path.join(name))
    }

    fn write(&self, name: &str, text: &str) -> Result<()> {
        let path = self.path.join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        file.write_all(text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// The program's `PYTHONPATH`: this directory, then `user`'s (the
    /// value corescope was given), if any.
    #[must_use]
    pub(crate) fn python_path(&self, user: Option<&std::ffi::OsStr>) -> OsString {
        let mut value = self.path.as_os_str().to_owned();
        if let Some(user) = user.filter(|u| !u.as_bytes().is_empty()) {
            value.push(":");
            value.push(user);
        }
        value
    }

    /// The directory.
    #[must_use]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// What the program's processes wrote so far, added up, with the
    /// names of its threads (read on from where the last read stopped).
    pub(crate) fn read(&mut self) -> PythonProbes {
        let mut files = Vec::new();
        let mut notices = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return figures::combine(status(0, notices), &files);
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.as_bytes();
            if let Some(key) = NamesFiles::key_of(name) {
                if self.names.wants(key, MAX_FILES) {
                    self.names.update(key, &entry.path());
                }
            } else if name.starts_with(b"probes-")
                && name.ends_with(b".bin")
                && files.len() < MAX_FILES
            {
                if let Some(file) =
                    read_probes_file(&entry.path()).and_then(|bytes| layout::parse(&bytes))
                {
                    files.push(file);
                }
            } else if name.starts_with(b"notice-")
                && notices.len() < MAX_NOTICES
                && let Some(bytes) = read_capped(&entry.path(), NOTICE_BYTES)
            {
                notices.push(first_line(&bytes));
            }
        }
        notices.sort();
        let mut probes = figures::combine(status(files.len(), notices), &files);
        probes.names = self.names.names();
        probes
    }
}

fn status(processes: usize, notices: Vec<String>) -> ProbesStatus {
    ProbesStatus {
        on: true,
        processes,
        notices,
    }
}

/// The first line of a notice, made safe for a terminal.
fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// The header and the used slots of a probes file: most of a file is slots
/// no probe took yet, not worth reading at every tick.
fn read_probes_file(path: &Path) -> Option<Vec<u8>> {
    let mut file = open_regular_unlinked(path).ok()?;
    let mut bytes = vec![0_u8; layout::HEADER];
    file.read_exact(&mut bytes).ok()?;
    let used = layout::used_slots(&bytes)?;
    let rest = (used * layout::SLOT) as u64;
    file.take(rest).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// At most `cap` bytes of a regular file, never through a symbolic link.
fn read_capped(path: &Path, cap: u64) -> Option<Vec<u8>> {
    let file = open_regular_unlinked(path).ok()?;
    let mut bytes = Vec::new();
    File::take(file, cap).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

impl Drop for ProbeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_directory_is_private_holds_the_probes_and_goes_away() {
        let mut dir = ProbeDir::create().expect("a directory");
        let path = dir.path().to_owned();
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "only the user may enter it");
        assert!(path.join("sitecustomize.py").is_file());
        assert!(path.join("_corescope_probes.py").is_file());
        let value = dir.python_path(Some(std::ffi::OsStr::new("/mine")));
        assert_eq!(value, OsString::from(format!("{}:/mine", path.display())));
        assert_eq!(
            dir.python_path(Some(std::ffi::OsStr::new(""))),
            path.as_os_str()
        );
        std::fs::write(path.join("probes-7.bin"), b"not a probes file").expect("write");
        std::fs::write(path.join("notice-8.txt"), "probes off: too old\nmore").expect("write");
        let read = dir.read();
        assert_eq!(
            read.probes.processes, 0,
            "a file of another shape is not counted"
        );
        assert_eq!(read.probes.notices, ["probes off: too old"]);
        let program = dir.add_program("pipe.py", "print(1)\n").expect("a program");
        assert_eq!(program, path.join("pipe.py"));
        let mode = std::fs::metadata(&program)
            .expect("written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the user may read it");
        assert!(
            dir.add_program("pipe.py", "again").is_err(),
            "never overwritten"
        );
        for bad in ["../x.py", ".x.py", "x.sh", "sitecustomize.py"] {
            assert!(dir.add_program(bad, "").is_err(), "{bad} is refused");
        }
        drop(dir);
        assert!(!path.exists(), "removed at the end");
    }
}
