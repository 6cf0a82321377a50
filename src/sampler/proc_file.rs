//! A `/proc` file kept open between ticks and re-read from offset 0.
//!
//! Opening a `/proc` file costs about 10 us here, re-reading an open one about
//! 1 us: the sampler keeps one of these per file per thread. When the process
//! runs out of descriptors it falls back to open-read-close rather than failing,
//! so a huge target is slower to sample but never unsampled.

use std::fs::File;
use std::io::{self, ErrorKind};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// One `/proc` file, kept open when a descriptor is available.
#[derive(Debug)]
pub(super) struct ProcFile {
    path: PathBuf,
    file: Option<File>,
}

/// Why a read found nothing: the task is gone (normal churn) or the kernel
/// refused us (another user's process). Callers treat the first as "drop the
/// row" and the second as "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The task exited (ENOENT, ESRCH) or its files vanished.
    Gone,
    /// Permission denied or another error: the value is unknown.
    Unreadable,
}

impl From<io::Error> for ReadError {
    fn from(err: io::Error) -> Self {
        match err.kind() {
            ErrorKind::NotFound => Self::Gone,
            _ if err.raw_os_error() == Some(nix::libc::ESRCH) => Self::Gone,
            _ => Self::Unreadable,
        }
    }
}

impl ProcFile {
    /// Opens `path`; a missing file is `Gone`, a descriptor shortage is not an error.
    pub(super) fn open(path: PathBuf) -> Result<Self, ReadError> {
        match File::open(&path) {
            Ok(file) => Ok(Self {
                path,
                file: Some(file),
            }),
            Err(err) if is_out_of_descriptors(&err) => Ok(Self { path, file: None }),
            Err(err) => Err(err.into()),
        }
    }

    /// Reads the whole file afresh into `buf` and returns the bytes read.
    /// `buf` is scratch space, kept between calls so no read allocates.
    pub(super) fn read<'b>(&self, buf: &'b mut Vec<u8>) -> Result<&'b [u8], ReadError> {
        let len = match &self.file {
            Some(file) => read_all_at(file, buf)?,
            None => read_all_at(&File::open(&self.path)?, buf)?,
        };
        Ok(&buf[..len])
    }

    /// Reads the whole file afresh into `buf`, for files that list many
    /// records (`task/TID/children`). The kernel hands such a file out at
    /// most a page per read, whatever the buffer's size, so a short read is
    /// not the end: only a read that returns nothing is.
    pub(super) fn read_to_end<'b>(&self, buf: &'b mut Vec<u8>) -> Result<&'b [u8], ReadError> {
        let len = match &self.file {
            Some(file) => read_to_eof_at(file, buf)?,
            None => read_to_eof_at(&File::open(&self.path)?, buf)?,
        };
        Ok(&buf[..len])
    }
}

/// `pread` at growing offsets until the end of the file; returns the length.
fn read_to_eof_at(file: &File, buf: &mut Vec<u8>) -> io::Result<usize> {
    const CHUNK: usize = 4096;
    let mut len = 0;
    loop {
        if buf.len() < len + CHUNK {
            buf.resize(len + CHUNK, 0);
        }
        let n = file.read_at(&mut buf[len..], len as u64)?;
        if n == 0 {
            return Ok(len);
        }
        len += n;
    }
}

fn is_out_of_descriptors(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EMFILE | nix::libc::ENFILE)
    )
}

/// `pread` from offset 0; returns the length read into `buf`.
///
/// A `/proc` seq file produces its whole text in one read when the buffer is
/// big enough, and a read that does not fill the buffer has everything. Only a
/// full buffer means "maybe more": then the buffer grows and the read starts
/// over from 0. Reading on at a later offset would make the kernel generate
/// the whole text again just to skip to it, which doubled the cost of a tick.
fn read_all_at(file: &File, buf: &mut Vec<u8>) -> io::Result<usize> {
    const FIRST: usize = 4096;
    if buf.len() < FIRST {
        buf.resize(FIRST, 0);
    }
    loop {
        let n = file.read_at(buf, 0)?;
        if n < buf.len() {
            return Ok(n);
        }
        if buf.len() >= MAX_BYTES {
            return Err(io::Error::other(format!(
                "larger than {} MiB",
                MAX_BYTES / (1024 * 1024)
            )));
        }
        buf.resize(buf.len() * 2, 0);
    }
}

/// The most of one `/proc` file read: `/proc/stat` of a thousand cores, or
/// the children of a process that forked a hundred thousand, fit many
/// times over.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Raises the soft limit on open files to the hard limit (capped), so that
/// watching a program with a thousand threads keeps every file open.
pub fn raise_open_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    const WANTED: u64 = 65_536;
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let target = hard.min(WANTED);
        if soft < target {
            // Best effort: without it the fallback path still samples correctly.
            let _ = setrlimit(Resource::RLIMIT_NOFILE, target, hard);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rereads_fresh_content_from_a_kept_open_file() {
        let file = ProcFile::open(PathBuf::from("/proc/thread-self/schedstat")).expect("schedstat");
        let mut buf = Vec::new();
        let first = file.read(&mut buf).expect("read").to_vec();
        // Burn some CPU so the on-CPU time (first field) must grow.
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        std::hint::black_box(x);
        let second = file.read(&mut buf).expect("read").to_vec();
        let ns = |b: &[u8]| -> u64 {
            std::str::from_utf8(b)
                .expect("utf8")
                .split_whitespace()
                .next()
                .and_then(|f| f.parse().ok())
                .expect("number")
        };
        assert!(ns(&second) > ns(&first), "second read must be fresh");
    }

    #[test]
    fn a_missing_task_is_gone_not_unreadable() {
        let err = ProcFile::open(PathBuf::from("/proc/999999999/stat")).expect_err("no such pid");
        assert_eq!(err, ReadError::Gone);
    }

    #[test]
    fn reads_files_larger_than_one_chunk() {
        let file = ProcFile::open(PathBuf::from("/proc/self/maps")).expect("maps");
        let mut buf = Vec::new();
        let text = file.read(&mut buf).expect("read");
        assert!(text.ends_with(b"\n"));
    }
}
