//! The target process tree: the root PID, every descendant, every thread.
//!
//! Descendants come from `/proc/PID/task/TID/children` rather than a scan of
//! all of `/proc`: a scan reads every process on the machine each tick, this
//! reads only the tree. A process or thread that vanishes between two reads is
//! dropped from the tick, never an error; the CPU it was seen to use stays in
//! the tree's total (see [`super::ledger`]). `children` files are read to
//! their end: a process with 1,000 children lists all of them.
//!
//! Peaks, exited counts and the epoch belong to one run of the tree: an exec
//! of the root, a new demo, a restart or the reset key starts another.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use nix::time::{ClockId, clock_gettime};
use nix::unistd::Pid;

use super::ledger::{CpuLedger, ProcessCpu};
use super::locks::LockTracker;
use super::proc_file::{ProcFile, ReadError};
use super::stat::{TaskStat, page_kib, ticks_per_second};
use super::status;
use super::threads::ThreadReader;
use crate::snapshot::{ProcessSample, TargetSample, ThreadSample};

/// Most threads one poll between ticks reads, and most processes whose CPU
/// clock it reads.
pub(super) const WAIT_POLL_THREADS: usize = 64;

/// The polls' budget: thread readings per second, whatever the poll rate,
/// tick or tree size. A reading costs one `schedstat` read (about 1.5 us),
/// plus a `wchan` read when the thread ran since its last reading: some
/// 3 to 6 ms of CPU a second at most. A tree of up to 20 threads, polled
/// every 10 ms, has each read at each poll; a bigger one takes turns.
pub(super) const WAIT_POLLS_PER_SEC: f64 = 500.0;

/// Kept-open files of one process.
#[derive(Debug)]
struct ProcessReader {
    stat: ProcFile,
    task_dir: PathBuf,
    /// Thread count at the previous tick: when it drops, the kernel may have
    /// handed the exited thread's children to a sibling.
    threads_before: usize,
    /// The kernel's CPU clock of the whole process (every thread, the exited
    /// ones too, to the nanosecond); `None` where it cannot be had, and then
    /// `utime + stime` (10 ms ticks) stands in.
    clock: Option<ClockId>,
    /// The threads read at the previous tick. While the process still counts
    /// that many and none of them has vanished, no other thread can exist, and
    /// `task/` need not be listed (at 1,000 threads the listing is a tenth of
    /// a tick).
    tids: Vec<i32>,
}

/// Samples one process tree, tick after tick.
#[derive(Debug)]
pub(super) struct TreeReader {
    root: i32,
    /// The root's command line, with the `comm` it had when read: an exec
    /// changes `comm`, and then the command line is read again.
    command: Option<(String, String)>,
    /// The root's executable (`/proc/PID/exe`), when readable. When it
    /// changes the root has exec'd another program: the command line is read
    /// again and the peaks start over, so that a launcher (`env`, a pyenv
    /// shim, a shell that execs) and the helpers it forked before becoming
    /// the program are not counted as the program's.
    exe: Option<PathBuf>,
    /// The root's real user id, read when the kernel first withholds
    /// something of it: whether that is because it is another user's.
    owner_uid: Option<u32>,
    /// A subreaper whose other children belong to the tree too (the
    /// guardian of a `run` command: orphans of the command are handed to
    /// it). Not itself part of the tree.
    adopter: Option<i32>,
    processes: HashMap<i32, ProcessReader>,
    threads: HashMap<i32, ThreadReader>,
    threads_peak: usize,
    processes_peak: usize,
    /// Tasks seen in the tree that have exited, this run.
    exited_threads: u64,
    exited_processes: u64,
    /// Starts of a new run so far (see [`TreeReader::reset_peaks`]).
    epoch: u64,
    /// The threads alive at the previous tick, to count those that exited.
    previous_tids: HashSet<i32>,
    /// The tree's CPU time, kept as deltas.
    ledger: CpuLedger,
    /// Where the next poll of wait channels starts among the threads.
    poll_cursor: usize,
    /// Readings the polls may still make under [`WAIT_POLLS_PER_SEC`], and
    /// when that was last brought up to date.
    poll_credit: (f64, Option<Instant>),
    /// The tree's CPU time at the previous tick and when that tick began.
    previous_cpu: Option<(u64, Instant)>,
    /// What its blocked threads wait on.
    locks: LockTracker,

    buf: Vec<u8>,
    page_kib: u64,
    ns_per_tick: u64,
}

impl TreeReader {
    /// A reader for the tree under `root`. Fails only if `root` does not exist.
    pub(super) fn new(root: i32) -> Result<Self, ReadError> {
        let reader = ProcessReader::open(root)?;
        Ok(Self {
            root,
            command: None,
            exe: None,
            owner_uid: None,
            adopter: None,
            processes: HashMap::from([(root, reader)]),
            threads: HashMap::new(),
            threads_peak: 0,
            processes_peak: 0,
            exited_threads: 0,
            exited_processes: 0,
            epoch: 0,
            previous_tids: HashSet::new(),
            ledger: CpuLedger::default(),
            poll_cursor: 0,
            poll_credit: (WAIT_POLL_THREADS as f64, None),
            previous_cpu: None,
            locks: LockTracker::default(),

            buf: Vec::with_capacity(4096),
            page_kib: page_kib(),
            ns_per_tick: 1_000_000_000 / ticks_per_second(),
        })
    }

    /// Counts the other children of `adopter` (and their descendants) in
    /// the tree from now on; `adopter` itself stays out of it.
    pub(super) const fn adopt_orphans_of(&mut self, adopter: i32) {
        self.adopter = Some(adopter);
    }

    /// The root process id.
    pub(super) const fn root(&self) -> i32 {
        self.root
    }

    /// True once the root has exited (a zombie, or reaped): one read of its
    /// kept-open `stat`, cheap enough to ask every few milliseconds, so the
    /// last sample can be taken at the exit rather than at the next tick.
    /// The kept-open file names the process, not the PID: a reaped root
    /// reads as gone even when its PID was given to another. Its leader
    /// thread's `stat` is read where it is open: a process's state is its
    /// leader's, and the process's own `stat` sums every thread's CPU time
    /// (at 200 threads, some 25 us a read against 2).
    pub(super) fn root_exited(&mut self) -> bool {
        let stat = match (self.threads.get(&self.root), self.processes.get(&self.root)) {
            (Some(leader), _) => leader.stat_file(),
            (None, Some(process)) => &process.stat,
            (None, None) => return true,
        };
        match stat.read(&mut self.buf) {
            Ok(line) => TaskStat::parse(line).is_none_or(|stat| matches!(stat.state, 'Z' | 'X')),
            Err(ReadError::Gone) => true,
            Err(ReadError::Unreadable) => false,
        }
    }

    /// Reads the waits of up to [`WAIT_POLL_THREADS`] threads, between two
    /// ticks, for their futex-wait estimates (see `futex_time`), within
    /// [`WAIT_POLLS_PER_SEC`]. The threads polled rotate, so in a bigger
    /// tree each gets its turn.
    pub(super) fn poll_waits(&mut self) {
        let now = Instant::now();
        let (credit, since) = self.poll_credit;
        let earned = since.map_or(0.0, |at| {
            now.duration_since(at).as_secs_f64() * WAIT_POLLS_PER_SEC
        });
        let credit = (credit + earned).min(WAIT_POLL_THREADS as f64);
        let count = self.threads.len();
        let polled = count.min(credit as usize);
        self.poll_credit = (credit - polled as f64, Some(now));
        let start = if count > polled {
            self.poll_cursor % count
        } else {
            0
        };
        for (index, (tid, reader)) in self.threads.iter_mut().enumerate() {
            if (index + count - start) % count.max(1) < polled {
                let (wait, cpu_ns) = reader.poll_wait(&mut self.buf);
                self.locks.poll(*tid, wait, cpu_ns);
            }
        }
        self.poll_cursor = start + polled;
    }

    /// Reads the CPU clocks of up to [`WAIT_POLL_THREADS`] processes between
    /// two ticks (one system call each), so that a process reaped at once by
    /// a parent outside the tree keeps all but its last few milliseconds.
    pub(super) fn poll_cpu(&mut self) {
        for (pid, reader) in self.processes.iter().take(WAIT_POLL_THREADS) {
            if let Some(time) = reader.clock.and_then(|clock| clock_gettime(clock).ok()) {
                let own_ns = Duration::from(time)
                    .as_nanos()
                    .try_into()
                    .unwrap_or(u64::MAX);
                self.ledger.refresh(*pid, own_ns);
            }
        }
    }

    /// Starts a new run of the tree: the peaks and the counts of exited
    /// tasks start over, and the next sample says so in its `epoch`.
    pub(super) fn reset_peaks(&mut self) {
        self.epoch += 1;
        self.threads_peak = 0;
        self.processes_peak = 0;
        self.exited_threads = 0;
        self.exited_processes = 0;
        self.locks.reset();
    }

    /// Reads the whole tree now. `forks` is the machine's fork count read
    /// just before (see [`super::CpuReader::forks`]): while it stays, no
    /// thread's child list is read again.
    pub(super) fn sample(&mut self, forks: Option<u64>) -> TargetSample {
        let started = Instant::now();
        let mut processes = Vec::new();
        let mut threads = Vec::new();
        let mut cpu = Vec::new();
        let mut seen_pids = HashSet::new();
        let mut live_tids = HashSet::new();
        // Each queued process remembers which thread listed it as a child:
        // the root first, then the adopter's other children.
        let mut queue = self.first_processes();

        while let Some((pid, parent_tid)) = queue.pop_front() {
            if !seen_pids.insert(pid) {
                continue;
            }
            let Some((process, lost_threads, process_cpu)) = self.read_process(pid) else {
                if let Some(parent) = parent_tid.and_then(|tid| self.threads.get_mut(&tid)) {
                    parent.invalidate_children();
                }
                continue;
            };
            cpu.push(process_cpu);
            if process.state != 'Z' {
                let read = self.read_threads(pid, process.threads, lost_threads, forks, &mut queue);
                for thread in read {
                    live_tids.insert(thread.tid);
                    threads.push(thread);
                }
            }
            processes.push(process);
        }
        self.processes.retain(|pid, _| seen_pids.contains(pid));
        self.threads.retain(|tid, _| live_tids.contains(tid));
        let departed_before = self.ledger.departed();
        let cpu_time_ns = self.ledger.tick(&cpu);
        // A process read again after a missed tick un-departs: the count
        // may go down by it.
        self.exited_processes =
            (self.exited_processes + self.ledger.departed()).saturating_sub(departed_before);
        self.exited_threads += self
            .previous_tids
            .iter()
            .filter(|tid| !live_tids.contains(tid))
            .count() as u64;
        self.previous_tids = live_tids;

        let live_processes = processes.iter().filter(|p| p.state != 'Z').count();
        let root = processes.first().filter(|p| p.pid == self.root);
        let exe = root
            .filter(|p| p.state != 'Z')
            .map(|_| std::fs::read_link(format!("/proc/{}/exe", self.root)));
        let (restricted, another_user) = self.withheld(exe.as_ref());
        let exe = exe.and_then(Result::ok);
        let exec_seen = exe.is_some() && exe != self.exe;
        if exec_seen {
            // The first sight of the executable is no exec: nothing to forget.
            if self.exe.is_some() {
                self.reset_peaks();
            }
            self.exe = exe;
        }
        self.threads_peak = self.threads_peak.max(threads.len());
        self.processes_peak = self.processes_peak.max(live_processes);
        if let Some(root) = root {
            let stale = exec_seen
                || self
                    .command
                    .as_ref()
                    .is_none_or(|(_, comm)| *comm != root.name);
            if stale && let Some(command) = read_command(self.root) {
                self.command = Some((command, root.name.clone()));
            }
        }
        let root_state = root.map(|p| p.state);
        let now = Instant::now();
        // Over the span from the previous sample's start to this one's end,
        // which contains both readings of every clock: one thread can never
        // read more than one core, however the sampler itself was delayed.
        let parallelism = cpu_time_ns
            .zip(self.previous_cpu)
            .and_then(|(cpu, (before, at))| {
                let wall = now.duration_since(at).as_nanos() as f64;
                let used = cpu.checked_sub(before)?;
                (wall > 0.0).then(|| used as f64 / wall)
            });
        if let Some(cpu) = cpu_time_ns {
            self.previous_cpu = Some((cpu, started));
        }
        let locks = self.locks.tick(&mut threads, restricted);
        TargetSample {
            root_pid: self.root,
            command: self
                .command
                .as_ref()
                .map(|(command, _)| command.clone())
                .or_else(|| processes.first().map(|p| p.name.clone()))
                .unwrap_or_default(),
            alive: root_state.is_some_and(|s| s != 'Z' && s != 'X'),
            restricted,
            another_user,
            processes,
            threads,
            threads_peak: self.threads_peak,
            processes_peak: self.processes_peak,
            exited_threads: self.exited_threads,
            exited_processes: self.exited_processes,
            epoch: self.epoch,
            cpu_time_ns,
            parallelism,
            locks,
        }
    }

    /// Whether the kernel withholds the root's details from us, as the
    /// reading of its executable (`exe`) says, and if so whether because it
    /// is another user's.
    fn withheld(&mut self, exe: Option<&std::io::Result<PathBuf>>) -> (bool, bool) {
        // The kernel shows the executable, like the wait channels, only to
        // those who may trace the process.
        let restricted =
            matches!(exe, Some(Err(e)) if e.kind() == std::io::ErrorKind::PermissionDenied);
        // Not always another user's: root may be refused too (a process
        // that is not dumpable, another namespace's PID 1). Its owner is
        // asked of the kernel once.
        if restricted && self.owner_uid.is_none() {
            self.owner_uid = status::read(self.root)
                .as_deref()
                .and_then(status::real_uid);
        }
        let another_user = restricted && self.owner_uid != Some(nix::unistd::getuid().as_raw());
        (restricted, another_user)
    }

    /// Where a tick starts: the root, then the adopter's other children.
    /// Each queued process remembers which thread listed it as a child.
    fn first_processes(&self) -> VecDeque<(i32, Option<i32>)> {
        let mut queue = VecDeque::from([(self.root, None)]);
        if let Some(adopter) = self.adopter {
            let orphans = super::children(adopter);
            queue.extend(orphans.into_iter().map(|pid| (pid, None)));
        }
        queue
    }

    /// The process now, whether it has fewer threads than last tick, and its
    /// CPU time and its reaped children's.
    fn read_process(&mut self, pid: i32) -> Option<(ProcessSample, bool, ProcessCpu)> {
        let reader = match self.processes.entry(pid) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(ProcessReader::open(pid).ok()?),
        };
        let stat = reader
            .stat
            .read(&mut self.buf)
            .ok()
            .and_then(TaskStat::parse);
        let Some(stat) = stat else {
            self.processes.remove(&pid);
            return None;
        };
        let ticks_ns = |ticks: u64| ticks.saturating_mul(self.ns_per_tick);
        let own_ns = reader
            .clock
            .and_then(|clock| clock_gettime(clock).ok())
            .map_or_else(
                || ticks_ns(stat.utime + stat.stime),
                |t| Duration::from(t).as_nanos().try_into().unwrap_or(u64::MAX),
            );
        let children_ns = if pid == own_pid() {
            // Our own reaped children to the microsecond.
            reaped_children_ns()
        } else {
            ticks_ns(stat.cutime + stat.cstime)
        };
        let cpu = ProcessCpu {
            pid,
            ppid: stat.ppid,
            start_ticks: stat.start_ticks,
            own_ns,
            children_ns,
        };
        let threads = usize::try_from(stat.num_threads).unwrap_or(0);
        let lost_threads = threads < reader.threads_before;
        reader.threads_before = threads;
        let sample = ProcessSample {
            pid,
            ppid: stat.ppid,
            name: stat.comm,
            state: stat.state,
            threads,
            rss_kib: Some(stat.rss_pages * self.page_kib),
        };
        Some((sample, lost_threads, cpu))
    }

    /// The threads of process `pid`, which counts `count` of them now. The
    /// threads known from the last tick are read without listing `task/`
    /// while their number still matches; the directory is listed again only
    /// if it may hold a thread we do not know (the count changed, or one of
    /// the known threads vanished).
    fn read_threads(
        &mut self,
        pid: i32,
        count: usize,
        lost_threads: bool,
        forks: Option<u64>,
        queue: &mut VecDeque<(i32, Option<i32>)>,
    ) -> Vec<ThreadSample> {
        let known = self
            .processes
            .get(&pid)
            .map(|r| r.tids.clone())
            .filter(|tids| !tids.is_empty() && tids.len() == count);
        let listed = known.is_none();
        let tids = known.unwrap_or_else(|| self.list_tasks(pid));
        let mut vanished = false;
        let mut read = Vec::with_capacity(tids.len());
        for tid in tids {
            match self.read_thread(pid, tid, lost_threads, forks, queue) {
                Some(thread) => read.push(thread),
                None => vanished = true,
            }
        }
        if vanished && !listed {
            for tid in self.list_tasks(pid) {
                if read.iter().all(|t| t.tid != tid)
                    && let Some(thread) = self.read_thread(pid, tid, lost_threads, forks, queue)
                {
                    read.push(thread);
                }
            }
        }
        if let Some(reader) = self.processes.get_mut(&pid) {
            reader.tids = read.iter().map(|t| t.tid).collect();
        }
        read
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
        lost_siblings: bool,
        forks: Option<u64>,
        queue: &mut VecDeque<(i32, Option<i32>)>,
    ) -> Option<ThreadSample> {
        // Two tries: the second opens afresh when the first found a reused TID.
        for _ in 0..2 {
            let reader = match self.threads.entry(tid) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => entry.insert(ThreadReader::open(pid, tid).ok()?),
            };
            match reader.read(&mut self.buf) {
                Ok(sample) => {
                    if lost_siblings {
                        reader.invalidate_children();
                    }
                    let children = reader.children(&mut self.buf, forks);
                    queue.extend(children.iter().map(|child| (*child, Some(tid))));
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
            clock: ClockId::pid_cpu_clock_id(Pid::from_raw(pid)).ok(),
            task_dir: dir.join("task"),
            threads_before: 0,
            tids: Vec::new(),
        })
    }
}

/// This process's id.
fn own_pid() -> i32 {
    nix::unistd::getpid().as_raw()
}

/// CPU time of the children this process has waited for, in nanoseconds.
fn reaped_children_ns() -> u64 {
    let ns = |t: nix::sys::time::TimeVal| {
        u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000
            + u64::try_from(t.tv_usec()).unwrap_or(0) * 1_000
    };
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .map_or(0, |usage| ns(usage.user_time()) + ns(usage.system_time()))
}

/// The command line, arguments joined by spaces; `None` for kernel threads,
/// zombies and processes we may not read.
fn read_command(pid: i32) -> Option<String> {
    let file = std::fs::File::open(format!("/proc/{pid}/cmdline")).ok()?;
    // The kernel allows arguments of up to a quarter of the stack limit;
    // what a screen or a report shows of them is far less.
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_COMMAND_BYTES), &mut raw).ok()?;
    command_line(&raw)
}

/// The most of a command line read.
const MAX_COMMAND_BYTES: u64 = 64 * 1024;

/// `/proc/PID/cmdline`'s arguments joined by spaces, on one line; `None`
/// when it holds none.
fn command_line(raw: &[u8]) -> Option<String> {
    let words: Vec<_> = raw
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(String::from_utf8_lossy)
        .collect();
    // `python3 -c "..."` carries newlines and tabs: one line on screen.
    let line: String = words
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    (!words.is_empty()).then_some(line)
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
        let sample = reader.sample(None);
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
            found = reader
                .sample(None)
                .processes
                .iter()
                .any(|p| p.pid == child_pid);
        }
        assert!(found, "the child appears in the tree");
        child.kill().expect("kill");
        child.wait().expect("reap");
        let after = reader.sample(None);
        assert!(after.processes.iter().all(|p| p.pid != child_pid));
        assert!(after.processes_peak >= 2);
    }

    #[test]
    fn a_child_forked_while_the_fork_count_stood_still_is_still_found() {
        let mut cpu = crate::sampler::CpuReader::open().expect("/proc/stat");
        let mut reader = TreeReader::new(own_pid()).expect("self");
        // Every thread of the tree has its child list read once; then ticks
        // in which nothing forks anywhere read none of them.
        cpu.sample();
        reader.sample(cpu.forks());
        cpu.sample();
        reader.sample(cpu.forks());
        // The fork happens after this tick's count was read: the count read
        // at the next tick has moved, and the new child is listed then.
        cpu.sample();
        let mut child = Command::new("sleep")
            .arg("5")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        let child_pid = child.id() as i32;
        let at_fork = reader.sample(cpu.forks());
        cpu.sample();
        let after = reader.sample(cpu.forks());
        child.kill().expect("kill");
        child.wait().expect("reap");
        let listed = |s: &TargetSample| s.processes.iter().any(|p| p.pid == child_pid);
        assert!(
            listed(&at_fork) || listed(&after),
            "the child {child_pid} forked between two ticks should be in the tree by the second; \
             it was in neither"
        );
        assert!(
            listed(&after),
            "the child {child_pid} should still be in the tree at the tick after the fork"
        );
    }

    #[test]
    fn the_polls_keep_to_their_budget_of_readings() {
        use std::os::unix::process::CommandExt;
        // A tree of 81 tasks in a process group of its own (not threads of
        // this process, where other tests count theirs).
        let mut shell = Command::new("sh")
            .args(["-c", "for i in $(seq 80); do sleep 60 & done; wait"])
            .process_group(0)
            .spawn()
            .expect("spawn sh");
        let group = nix::unistd::Pid::from_raw(shell.id() as i32);
        let mut reader = TreeReader::new(group.as_raw()).expect("the shell");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reader.sample(None).threads.len() <= WAIT_POLL_THREADS && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let threads = reader.threads.len();
        // Each poll starts where the last ended (wrapping) and moves the
        // cursor past the threads it read; its time is kept with its credit.
        let poll = |reader: &mut TreeReader| {
            let start = reader.poll_cursor % threads;
            let before = reader.poll_credit.1;
            reader.poll_waits();
            let at = reader.poll_credit.1.expect("a poll's time");
            let earned = before.map(|b| at.duration_since(b).as_secs_f64() * WAIT_POLLS_PER_SEC);
            (reader.poll_cursor - start, earned)
        };
        let (first, _) = poll(&mut reader);
        let (second, second_earned) = poll(&mut reader);
        std::thread::sleep(Duration::from_millis(20));
        let (third, third_earned) = poll(&mut reader);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = shell.wait();
        assert!(threads > WAIT_POLL_THREADS, "{threads} threads in the tree");
        assert_eq!(
            first, WAIT_POLL_THREADS,
            "the first poll reads a full share"
        );
        // The first poll spent its whole credit: what a later one reads is
        // what the time since earned, less than one reading left over.
        for (read, earned) in [(second, second_earned), (third, third_earned)] {
            let earned = earned.expect("time since the last poll");
            let most = (earned.floor() as usize + 1).min(WAIT_POLL_THREADS);
            assert!(
                read <= most,
                "a poll that earned {earned:.1} readings should read at most {most} threads, read {read}"
            );
        }
        assert!(
            third >= 10,
            "a poll 20 ms or more after the last earned 10 readings or more, read {third}"
        );
    }

    /// A thread that reports its TID and lives until told to stop.
    fn parked_thread() -> (
        i32,
        std::sync::mpsc::Sender<()>,
        std::thread::JoinHandle<()>,
    ) {
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let handle = std::thread::spawn(move || {
            tid_tx.send(nix::unistd::gettid().as_raw()).expect("send");
            let _ = stop_rx.recv();
        });
        (tid_rx.recv().expect("tid"), stop_tx, handle)
    }

    #[test]
    fn threads_are_found_without_relisting_only_while_none_came_or_went() {
        let mut reader = TreeReader::new(own_pid()).expect("self");
        reader.sample(None);
        let (a, stop_a, join_a) = parked_thread();
        assert!(
            reader.sample(None).threads.iter().any(|t| t.tid == a),
            "a new thread"
        );
        // One ends and another starts between two ticks: the count may not
        // change, the set does.
        stop_a.send(()).expect("stop");
        join_a.join().expect("join");
        let (b, stop_b, join_b) = parked_thread();
        let tids: Vec<i32> = reader.sample(None).threads.iter().map(|t| t.tid).collect();
        stop_b.send(()).expect("stop");
        join_b.join().expect("join");
        assert!(tids.contains(&b) && !tids.contains(&a), "{tids:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_command_line_is_one_line_of_at_most_its_size(raw in crate::fuzz_inputs::bytes(1024)) {
            if let Some(line) = command_line(&raw) {
                proptest::prop_assert!(!line.contains(|c: char| c.is_control()));
                proptest::prop_assert!(line.len() <= 3 * raw.len());
            }
        }
    }

    #[test]
    fn reset_peaks_starts_the_peaks_and_the_exited_counts_over() {
        let mut reader = TreeReader::new(own_pid()).expect("self");
        let parked: Vec<_> = (0..3).map(|_| parked_thread()).collect();
        let before = reader.sample(None);
        for (_, stop, join) in parked {
            stop.send(()).expect("stop");
            join.join().expect("join");
        }
        let after = reader.sample(None);
        // Other tests' threads come and go in this process too: a peak may
        // rise, never fall.
        assert!(
            after.threads_peak >= before.threads_peak,
            "a peak should stay or rise: {} then {}",
            before.threads_peak,
            after.threads_peak
        );
        assert!(after.exited_threads >= 3, "{}", after.exited_threads);
        reader.reset_peaks();
        let reset = reader.sample(None);
        assert_eq!(reset.epoch, before.epoch + 1);
        assert_eq!(reset.threads_peak, reset.threads.len());
        assert!(reset.exited_threads < 3, "{}", reset.exited_threads);
    }

    #[test]
    fn a_missing_root_fails_up_front() {
        assert!(TreeReader::new(999_999_999).is_err());
    }

    #[test]
    fn a_root_that_exits_is_reported_not_alive() {
        let mut child = Command::new("sleep").arg("0.2").spawn().expect("spawn");
        let comm = format!("/proc/{}/comm", child.id());
        let cmdline = format!("/proc/{}/cmdline", child.id());
        // Between fork and exec the child still looks like this test binary,
        // and during the exec its new name shows before its new arguments.
        while std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() != "sleep")
            || std::fs::read(&cmdline).is_ok_and(|c| !c.starts_with(b"sleep\0"))
        {
            std::thread::yield_now();
        }
        let mut reader = TreeReader::new(child.id() as i32).expect("child");
        assert!(reader.sample(None).alive);
        child.wait().expect("reap");
        let after = reader.sample(None);
        assert!(!after.alive);
        assert!(after.threads.is_empty());
        assert_eq!(after.command, "sleep 0.2");
    }
}
