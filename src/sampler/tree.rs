//! The target process tree: the root PID, every descendant, every thread.
//!
//! Descendants come from `/proc/PID/task/TID/children` rather than a scan of
//! all of `/proc`: a scan reads every process on the machine each tick, this
//! reads only the tree. A process or thread that vanishes between two reads is
//! dropped from the tick, never an error.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;

use procfs::FromRead;
use procfs::process::Stat;

use super::proc_file::{ProcFile, ReadError};
use super::threads::ThreadReader;
use crate::snapshot::{ProcessSample, TargetSample, ThreadSample};

/// Kept-open files of one process.
#[derive(Debug)]
struct ProcessReader {
    stat: ProcFile,
    task_dir: PathBuf,
}

/// Samples one process tree, tick after tick.
#[derive(Debug)]
pub struct TreeReader {
    root: i32,
    command: Option<String>,
    processes: HashMap<i32, ProcessReader>,
    threads: HashMap<i32, ThreadReader>,
    threads_peak: usize,
    processes_peak: usize,
    buf: Vec<u8>,
    page_kib: u64,
}

impl TreeReader {
    /// A reader for the tree under `root`. Fails only if `root` does not exist.
    pub fn new(root: i32) -> Result<Self, ReadError> {
        let reader = ProcessReader::open(root)?;
        Ok(Self {
            root,
            command: None,
            processes: HashMap::from([(root, reader)]),
            threads: HashMap::new(),
            threads_peak: 0,
            processes_peak: 0,
            buf: Vec::with_capacity(4096),
            page_kib: (procfs::page_size() / 1024).max(1),
        })
    }

    /// The root process id.
    pub const fn root(&self) -> i32 {
        self.root
    }

    /// Reads the whole tree now.
    pub fn sample(&mut self) -> TargetSample {
        let mut processes = Vec::new();
        let mut threads = Vec::new();
        let mut seen_pids = HashSet::new();
        let mut seen_tids = HashSet::new();
        let mut queue = VecDeque::from([self.root]);

        while let Some(pid) = queue.pop_front() {
            if !seen_pids.insert(pid) {
                continue;
            }
            let Some(process) = self.read_process(pid) else {
                continue;
            };
            if process.state != 'Z' {
                for tid in self.list_tasks(pid) {
                    if let Some(thread) = self.read_thread(pid, tid, &mut queue) {
                        seen_tids.insert(tid);
                        threads.push(thread);
                    }
                }
            }
            processes.push(process);
        }
        self.processes.retain(|pid, _| seen_pids.contains(pid));
        self.threads.retain(|tid, _| seen_tids.contains(tid));

        let live_processes = processes.iter().filter(|p| p.state != 'Z').count();
        self.threads_peak = self.threads_peak.max(threads.len());
        self.processes_peak = self.processes_peak.max(live_processes);
        if self.command.is_none() {
            self.command = read_command(self.root);
        }
        let root_state = processes.first().filter(|p| p.pid == self.root).map(|p| p.state);
        TargetSample {
            root_pid: self.root,
            command: self
                .command
                .clone()
                .or_else(|| processes.first().map(|p| p.name.clone()))
                .unwrap_or_default(),
            alive: root_state.is_some_and(|s| s != 'Z' && s != 'X'),
            processes,
            threads,
            threads_peak: self.threads_peak,
            processes_peak: self.processes_peak,
        }
    }

    fn read_process(&mut self, pid: i32) -> Option<ProcessSample> {
        if !self.processes.contains_key(&pid) {
            self.processes.insert(pid, ProcessReader::open(pid).ok()?);
        }
        let reader = self.processes.get(&pid)?;
        let stat = reader.stat.read(&mut self.buf).ok().and_then(|b| Stat::from_read(b).ok());
        let Some(stat) = stat else {
            self.processes.remove(&pid);
            return None;
        };
        Some(ProcessSample {
            pid,
            ppid: stat.ppid,
            name: stat.comm,
            state: stat.state,
            threads: usize::try_from(stat.num_threads).unwrap_or(0),
            rss_kib: Some(stat.rss * self.page_kib),
        })
    }

    fn list_tasks(&self, pid: i32) -> Vec<i32> {
        let Some(reader) = self.processes.get(&pid) else {
            return Vec::new();
        };
        std::fs::read_dir(&reader.task_dir).map_or_else(
            |_| Vec::new(),
            |entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            },
        )
    }

    fn read_thread(
        &mut self,
        pid: i32,
        tid: i32,
        queue: &mut VecDeque<i32>,
    ) -> Option<ThreadSample> {
        // Two tries: the second opens afresh when the first found a reused TID.
        for _ in 0..2 {
            if !self.threads.contains_key(&tid) {
                self.threads.insert(tid, ThreadReader::open(pid, tid).ok()?);
            }
            let reader = self.threads.get_mut(&tid)?;
            match reader.read(&mut self.buf) {
                Ok(sample) => {
                    queue.extend(reader.children(&mut self.buf));
                    return Some(sample);
                }
                Err(ReadError::Gone) => {
                    self.threads.remove(&tid);
                }
                Err(ReadError::Unreadable) => return None,
            }
        }
        None
    }
}

impl ProcessReader {
    fn open(pid: i32) -> Result<Self, ReadError> {
        let dir = PathBuf::from(format!("/proc/{pid}"));
        Ok(Self {
            stat: ProcFile::open(dir.join("stat"))?,
            task_dir: dir.join("task"),
        })
    }
}

/// The command line, arguments joined by spaces; `None` for kernel threads,
/// zombies and processes we may not read.
fn read_command(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let words: Vec<_> = raw
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(String::from_utf8_lossy)
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    fn own_pid() -> i32 {
        std::process::id() as i32
    }

    #[test]
    fn own_tree_contains_this_thread_and_counts_peaks() {
        let mut reader = TreeReader::new(own_pid()).expect("self");
        let sample = reader.sample();
        let me = nix::unistd::gettid().as_raw();
        assert!(sample.alive);
        assert!(sample.threads.iter().any(|t| t.tid == me));
        assert_eq!(sample.processes[0].pid, own_pid());
        assert_eq!(sample.threads_peak, sample.threads.len());
        assert!(sample.processes_peak >= 1);
    }

    #[test]
    fn child_processes_join_the_tree_and_leave_it() {
        let mut child = Command::new("sleep")
            .arg("5")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        let child_pid = child.id() as i32;
        let mut reader = TreeReader::new(own_pid()).expect("self");
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut found = false;
        while !found && Instant::now() < deadline {
            found = reader.sample().processes.iter().any(|p| p.pid == child_pid);
        }
        assert!(found, "the child appears in the tree");
        child.kill().expect("kill");
        child.wait().expect("reap");
        let after = reader.sample();
        assert!(after.processes.iter().all(|p| p.pid != child_pid));
        assert!(after.processes_peak >= 2);
    }

    #[test]
    fn a_missing_root_fails_up_front() {
        assert!(TreeReader::new(999_999_999).is_err());
    }

    #[test]
    fn a_root_that_exits_is_reported_not_alive() {
        let mut child = Command::new("sleep").arg("0.05").spawn().expect("spawn");
        let mut reader = TreeReader::new(child.id() as i32).expect("child");
        assert!(reader.sample().alive);
        child.wait().expect("reap");
        let after = reader.sample();
        assert!(!after.alive);
        assert!(after.threads.is_empty());
        assert_eq!(after.command, "sleep 0.05");
    }
}
