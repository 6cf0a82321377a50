//! The Python names of a probed program's threads and processes
//! (`threading.current_thread().name`, a multiprocessing process's name),
//! read from the `names-PID.txt` files its probes append to.
//!
//! Each process appends one line per event: `t TID NAME` when a thread
//! starts or is renamed, `t TID` when it ends (its TID may then be reused),
//! `p NAME` for a multiprocessing process's name, `x` when the process ends
//! or stops writing names (every name it gave holds no more). The files are
//! read as they grow, from where the last read stopped; a name holds only
//! for a thread of the process that wrote it, and only from the newest file
//! of a PID (an older one was left by a process whose PID was reused).
//!
//! The names are the program's, untrusted: a line longer than
//! [`MAX_LINE_BYTES`] is skipped, a name is cut to [`MAX_NAME_CHARS`] and
//! made printable, a process keeps at most [`MAX_THREADS`] names, and one
//! read takes at most [`MAX_READ_BYTES`] of a file (the rest comes next time).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The longest line kept; a longer one is skipped whole.
pub(crate) const MAX_LINE_BYTES: usize = 256;
/// Characters of a name kept.
pub(crate) const MAX_NAME_CHARS: usize = 64;
/// Names kept per process (more threads alive at once go unnamed).
pub(crate) const MAX_THREADS: usize = 4096;
/// Bytes one read takes of one file, at most.
pub(crate) const MAX_READ_BYTES: u64 = 1 << 20;

/// The names in force now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeNames {
    /// By TID: the process the name holds in, and the name.
    pub threads: BTreeMap<i32, TaskName>,
    /// By PID: a multiprocessing process's name (`SenderProcess-1`).
    pub processes: BTreeMap<i32, String>,
}

/// A thread's Python name and the process that gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskName {
    /// The process the thread belongs to.
    pub pid: i32,
    /// `Thread-1 (worker)`, `MainThread`, `SenderProcess-1`.
    pub name: String,
}

impl RuntimeNames {
    /// The Python name of thread `tid` of process `pid`, when its probes
    /// gave one.
    #[must_use]
    pub fn thread(&self, pid: i32, tid: i32) -> Option<&str> {
        self.threads
            .get(&tid)
            .filter(|t| t.pid == pid)
            .map(|t| t.name.as_str())
    }

    /// The multiprocessing name of process `pid`, when its probes gave one.
    #[must_use]
    pub fn process(&self, pid: i32) -> Option<&str> {
        self.processes.get(&pid).map(String::as_str)
    }
}

/// One process's names file, read as it grows.
#[derive(Debug, Default)]
pub(crate) struct NamesFile {
    /// Bytes read so far.
    offset: u64,
    /// The start of a line not ended yet.
    partial: Vec<u8>,
    /// Inside a line too long to keep, until its end.
    skipping: bool,
    threads: BTreeMap<i32, String>,
    process: Option<String>,
}

impl NamesFile {
    /// Reads what `path` gained since the last read.
    pub(crate) fn update(&mut self, path: &Path) {
        let Some(mut file) = crate::outside_file::open_regular_unlinked(path).ok() else {
            return;
        };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut bytes = Vec::new();
        if file.take(MAX_READ_BYTES).read_to_end(&mut bytes).is_err() {
            return;
        }
        self.offset += bytes.len() as u64;
        self.feed(&bytes);
    }

    /// Takes the lines of `bytes`, which follow the bytes fed before.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(end);
            rest = &tail[1..];
            if self.skipping {
                self.skipping = false;
            } else if self.partial.len() + head.len() <= MAX_LINE_BYTES {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(head);
                self.line(&line);
            }
            self.partial.clear();
        }
        if !self.skipping {
            if self.partial.len() + rest.len() <= MAX_LINE_BYTES {
                self.partial.extend_from_slice(rest);
            } else {
                self.partial.clear();
                self.skipping = true;
            }
        }
    }

    fn line(&mut self, line: &[u8]) {
        match line {
            b"x" => {
                self.threads.clear();
                self.process = None;
            }
            [b'p', b' ', name @ ..] => self.process = Some(clean(name)),
            [b't', b' ', rest @ ..] => {
                let (tid, name) = match rest.iter().position(|&b| b == b' ') {
                    Some(at) => (&rest[..at], Some(&rest[at + 1..])),
                    None => (rest, None),
                };
                let Some(tid) = std::str::from_utf8(tid)
                    .ok()
                    .and_then(|t| t.parse::<i32>().ok())
                    .filter(|t| *t > 0)
                else {
                    return;
                };
                match name {
                    None => {
                        self.threads.remove(&tid);
                    }
                    Some(name) => {
                        if self.threads.len() < MAX_THREADS || self.threads.contains_key(&tid) {
                            self.threads.insert(tid, clean(name));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A name from the program, made printable and cut.
fn clean(name: &[u8]) -> String {
    let text = String::from_utf8_lossy(name);
    crate::printable::printable(&text)
        .chars()
        .filter(|c| *c != '\n')
        .take(MAX_NAME_CHARS)
        .collect()
}

/// The names files of a probes directory, by PID and the reuse number of
/// its suffix (`names-PID-N.txt`).
#[derive(Debug, Default)]
pub(crate) struct NamesFiles {
    files: BTreeMap<(i32, u32), NamesFile>,
}

impl NamesFiles {
    /// The PID and reuse number a names file's name gives, if it is one.
    pub(crate) fn key_of(file_name: &[u8]) -> Option<(i32, u32)> {
        let stem = file_name.strip_prefix(b"names-")?.strip_suffix(b".txt")?;
        let stem = std::str::from_utf8(stem).ok()?;
        let (pid, n) = match stem.split_once('-') {
            Some((pid, n)) => (pid, n.parse().ok()?),
            None => (stem, 0),
        };
        Some((pid.parse().ok().filter(|p: &i32| *p > 0)?, n))
    }

    /// True when the file is followed already, or room is left for it.
    pub(crate) fn wants(&self, key: (i32, u32), most: usize) -> bool {
        self.files.contains_key(&key) || self.files.len() < most
    }

    /// Reads what the file of `key`, at `path`, gained.
    pub(crate) fn update(&mut self, key: (i32, u32), path: &Path) {
        self.files.entry(key).or_default().update(path);
    }

    /// The names in force: each PID's newest file's.
    pub(crate) fn names(&self) -> RuntimeNames {
        let mut newest: BTreeMap<i32, &NamesFile> = BTreeMap::new();
        for ((pid, _), file) in &self.files {
            newest.insert(*pid, file);
        }
        let mut out = RuntimeNames::default();
        for (pid, file) in newest {
            for (tid, name) in &file.threads {
                out.threads.insert(
                    *tid,
                    TaskName {
                        pid,
                        name: name.clone(),
                    },
                );
            }
            if let Some(name) = &file.process {
                out.processes.insert(pid, name.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fed(chunks: &[&[u8]]) -> NamesFile {
        let mut file = NamesFile::default();
        for chunk in chunks {
            file.feed(chunk);
        }
        file
    }

    #[test]
    fn starts_renames_and_ends_are_followed_across_reads() {
        let file = fed(&[
            b"t 10 MainThread\nt 11 work",
            b"er-1\nt 12 Thread-2 (run)\nt 11\nt 12 renamed\np SenderProcess-1\n",
            b"t 13 not ended yet",
        ]);
        let names: Vec<_> = file.threads.iter().map(|(t, n)| (*t, n.as_str())).collect();
        assert_eq!(names, [(10, "MainThread"), (12, "renamed")]);
        assert_eq!(file.process.as_deref(), Some("SenderProcess-1"));
        let ended = fed(&[b"t 10 MainThread\np P-1\nx\n"]);
        assert!(ended.threads.is_empty() && ended.process.is_none());
    }

    #[test]
    fn names_are_made_printable_cut_and_long_lines_skipped() {
        let long = format!("t 7 {}\nt 8 ok\n", "a".repeat(MAX_LINE_BYTES));
        let file = fed(&[
            b"t 5 \x1b]2;pwned\x07\n",
            long.as_bytes(),
            b"t -3 neg\nt x y\nq 1 2\n",
        ]);
        assert_eq!(
            file.threads.get(&5).map(String::as_str),
            Some("\u{fffd}]2;pwned\u{fffd}")
        );
        assert!(!file.threads.contains_key(&7), "a line too long is skipped");
        assert_eq!(file.threads.get(&8).map(String::as_str), Some("ok"));
        assert_eq!(file.threads.len(), 2, "malformed lines are ignored");
        let wide = format!("t 9 {}\n", "é".repeat(100));
        assert_eq!(
            fed(&[wide.as_bytes()]).threads[&9].chars().count(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn a_name_holds_only_in_its_process_and_its_pids_newest_file() {
        let mut files = NamesFiles::default();
        let mut old = NamesFile::default();
        old.feed(b"t 40 MainThread\nt 41 stale\n");
        let mut new = NamesFile::default();
        new.feed(b"t 40 MainThread\np Receiver-2\n");
        files.files.insert((40, 0), old);
        files.files.insert((40, 1), new);
        let names = files.names();
        assert_eq!(names.thread(40, 40), Some("MainThread"));
        assert_eq!(
            names.thread(40, 41),
            None,
            "the reused PID's old file is ignored"
        );
        assert_eq!(names.thread(99, 40), None, "another process's thread");
        assert_eq!(names.process(40), Some("Receiver-2"));
        assert_eq!(NamesFiles::key_of(b"names-40-1.txt"), Some((40, 1)));
        assert_eq!(NamesFiles::key_of(b"names-40.txt"), Some((40, 0)));
        assert_eq!(NamesFiles::key_of(b"names-x.txt"), None);
        assert_eq!(NamesFiles::key_of(b"probes-40.bin"), None);
    }

    proptest! {
        #[test]
        fn no_input_panics_and_memory_stays_bounded(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 0..20)
        ) {
            let mut file = NamesFile::default();
            for chunk in &chunks {
                file.feed(chunk);
                prop_assert!(file.partial.len() <= MAX_LINE_BYTES);
            }
            prop_assert!(file.threads.len() <= MAX_THREADS);
            prop_assert!(file.threads.values().all(|n| n.chars().count() <= MAX_NAME_CHARS));
        }
    }
}
