//! One immutable sample of the machine and of the target process tree.
//!
//! The sampler makes one `Snapshot` per tick and hands it over in an `Arc`;
//! nothing mutates it afterwards. Every rate in it covers `interval`, the wall
//! time since the previous snapshot. A value the kernel would not give us is
//! `None` ("unknown"), never zero.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use corescope_demos::run::DemoSample;
use serde::{Deserialize, Serialize};

pub mod compare;

use compare::CompareSample;

/// Everything measured at one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Tick number, from 0.
    pub seq: u64,
    /// Time since the sampler started.
    pub elapsed: Duration,
    /// Wall time covered by the rates below; `None` on the first tick.
    pub interval: Option<Duration>,
    /// Per logical CPU, in CPU order.
    pub cores: Vec<CoreSample>,
    /// Machine memory; `None` when it could not be read.
    pub memory: Option<MemorySample>,
    /// 1, 5 and 15 minute load averages; `None` when unreadable.
    pub load_average: Option<[f64; 3]>,
    /// The watched process tree.
    pub target: TargetSample,
    /// The demo running inside corescope, if any: its probes and progress.
    pub demo: Option<DemoSample>,
    /// The comparison running inside corescope, if any.
    pub compare: Option<CompareSample>,
    /// Something the screen must say: why a demo asked for did not start,
    /// or why the recording stopped.
    pub notice: Option<String>,
    /// The command `corescope run` started, if any: its output and its end.
    pub run: Option<RunSample>,
}

impl Snapshot {
    /// The Python probes of the command, when it runs with them on.
    #[must_use]
    pub fn python_probes(&self) -> Option<&crate::python_probes::PythonProbes> {
        self.run
            .as_ref()
            .and_then(|run| run.python.as_ref())
            .filter(|p| p.probes.on)
    }

    /// The name to show for `thread`: its Python name when the probes gave
    /// one, else the kernel's.
    #[must_use]
    pub fn thread_name<'a>(&'a self, thread: &'a ThreadSample) -> &'a str {
        self.python_probes()
            .and_then(|p| p.names.thread(thread.pid, thread.tid))
            .unwrap_or(&thread.name)
    }

    /// The name to show for `process`: its multiprocessing name when the
    /// probes gave one, else the kernel's.
    #[must_use]
    pub fn process_name<'a>(&'a self, process: &'a ProcessSample) -> &'a str {
        self.python_probes()
            .and_then(|p| p.names.process(process.pid))
            .unwrap_or(&process.name)
    }
}

/// The command of `corescope run` at one tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSample {
    /// The file its output goes to; `None` when it goes to corescope's stderr.
    pub log: Option<PathBuf>,
    /// The last lines of its output, oldest first, cleaned for the screen.
    pub output: Arc<[String]>,
    /// How it ended; `None` while it runs.
    pub exit: Option<RunExit>,
    /// What its Python probes measured; `None` when it runs without them.
    #[serde(default)]
    pub python: Option<crate::python_probes::PythonProbes>,
}

/// How a command ended: its exit code, or the signal that killed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunExit {
    /// The exit code, when it exited.
    pub code: Option<i32>,
    /// The signal's name (`SIGKILL`), when a signal killed it.
    pub signal: Option<String>,
}

impl RunExit {
    /// In words: `exited with code 0`, `killed by SIGKILL`.
    #[must_use]
    pub fn describe(&self) -> String {
        match (self.code, &self.signal) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(signal)) => format!("killed by {signal}"),
            (None, None) => "ended".to_owned(),
        }
    }
}

/// Load of one logical CPU over the last interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoreSample {
    /// Logical CPU number as the kernel names it (`cpu3` is 3).
    pub core: usize,
    /// Percent busy (not idle, not waiting on I/O), 0..=100; `None` on the first tick.
    pub busy_pct: Option<f32>,
}

/// Machine memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemorySample {
    /// Bytes of RAM in total.
    pub total_bytes: u64,
    /// Bytes of RAM in use (total minus available).
    pub used_bytes: u64,
}

/// The watched process and its descendants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSample {
    /// The process the tree hangs from.
    pub root_pid: i32,
    /// Its command line, or its name when the command line is unreadable.
    pub command: String,
    /// False once the root process has exited (or become a zombie).
    pub alive: bool,
    /// True when the kernel withholds part of the tree from us (another
    /// user's process): wait channels, and so futex waits, are unknown.
    pub restricted: bool,
    /// True when, besides, the root runs as another user than corescope
    /// (its real uid); false when the kernel withholds it for another
    /// reason (a process that is not dumpable, root watching PID 1).
    #[serde(default)]
    pub another_user: bool,
    /// Processes of the tree, root first, then in discovery order.
    pub processes: Vec<ProcessSample>,
    /// Threads of every process of the tree.
    pub threads: Vec<ThreadSample>,
    /// Most threads seen alive at one tick in this run (see `epoch`).
    pub threads_peak: usize,
    /// Most processes seen alive at one tick in this run.
    pub processes_peak: usize,
    /// Threads seen in the tree that have exited since, this run: a count,
    /// for the tasks themselves are not kept.
    #[serde(default)]
    pub exited_threads: u64,
    /// Processes seen in the tree that have left it since, this run.
    #[serde(default)]
    pub exited_processes: u64,
    /// How many times the run started over (an exec of the root, a demo
    /// restart, a mode switch, a lesson step, the reset key): the peaks, the
    /// exited counts and the membership of a report belong to one epoch.
    #[serde(default)]
    pub epoch: u64,
    /// CPU time the tree has used as far as seen, in nanoseconds: every
    /// process's CPU clock (exited threads included) and its reaped children,
    /// accumulated as deltas, so a task that exits or leaves the tree keeps
    /// what it was seen to use. `None` until a first reading succeeded.
    pub cpu_time_ns: Option<u64>,
    /// Mean number of cores the tree kept busy over the interval: its CPU
    /// time over the interval divided by the interval. `None` on the first tick.
    pub parallelism: Option<f64>,
    /// The futex words threads of the tree waited on this run, most blocked
    /// time first (see `sampler::locks`); `None` when the kernel withholds
    /// what they wait on (another user's process): unknown, not "no lock".
    #[serde(default)]
    pub locks: Option<Vec<LockSample>>,
}

/// What a lock is, as far as its futex operation and its memory say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockKind {
    /// A mutex: a glibc `pthread_mutex_t` whose owner word names a thread
    /// of the process, or a priority-inheritance lock.
    Mutex,
    /// A condition variable: `CPython`'s GIL (known by its place).
    Condition,
    /// A condition variable or a semaphore: glibc waits on both alike
    /// (a bitset wait against the wall clock), so which one cannot be told.
    /// `CPython`'s `threading.Lock` is a semaphore and reads so.
    #[serde(rename = "condition_or_semaphore")]
    ConditionOrSemaphore,
    /// Anything else: Rust's std locks, a hand-made futex.
    Unknown,
}

impl LockKind {
    /// The kind as reports name it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Mutex => "mutex",
            Self::Condition => "condition",
            Self::ConditionOrSemaphore => "condition_or_semaphore",
            Self::Unknown => "unknown",
        }
    }

    /// The kind in a screen's narrow column.
    #[must_use]
    pub const fn short(self) -> &'static str {
        match self {
            Self::ConditionOrSemaphore => "cond/sem",
            other => other.as_str(),
        }
    }
}

/// One futex word of one process, over the run so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockSample {
    /// The process whose memory holds it.
    pub pid: i32,
    /// The futex word's address.
    pub address: u64,
    /// Its name: a symbol, `CPython GIL (in _PyRuntime)`, or its mapping.
    /// Shared with the tracker, so a tick copies no text.
    pub label: Arc<str>,
    /// The symbol holding it (`queue_lock`, `_PyRuntime+0x1e8`), if any.
    pub symbol: Option<Arc<str>>,
    /// What it is.
    pub kind: LockKind,
    /// Threads blocked on it at this tick.
    pub waiters_now: usize,
    /// Most threads seen blocked on it at one tick.
    pub waiters_max: usize,
    /// Mean threads blocked on it since first seen: its blocked time over
    /// the wall time since then.
    pub waiters_mean: f64,
    /// Time threads spent blocked on it, summed over threads, estimated
    /// from their off-CPU time (see `sampler::locks`).
    pub blocked_ns: u64,
    /// Its waiters' blocked time over the wall time they were watched,
    /// together, 0..=1.
    pub wait_share: f64,
    /// Each thread that waited on it.
    pub threads: Vec<LockWaiter>,
    /// The thread holding it when last read, where its lock word says.
    pub owner_tid: Option<i32>,
}

/// One thread's waits on one lock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LockWaiter {
    /// Thread id.
    pub tid: i32,
    /// Its time blocked on the lock.
    pub blocked_ns: u64,
    /// That time over the wall time the thread was watched, 0..=1.
    pub wait_share: f64,
}

/// One process of the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSample {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Short name (`comm`, at most 15 bytes).
    pub name: String,
    /// Scheduler state letter of the main thread (R, S, D, Z, T...).
    pub state: char,
    /// Threads in this process.
    pub threads: usize,
    /// Resident memory in KiB; `None` when unreadable.
    pub rss_kib: Option<u64>,
}

/// One thread of the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadSample {
    /// Process the thread belongs to.
    pub pid: i32,
    /// Thread id.
    pub tid: i32,
    /// Thread name (`comm`).
    pub name: String,
    /// Scheduler state letter: R running or runnable, S sleeping, D disk wait, ...
    pub state: char,
    /// The CPU it last ran on.
    pub last_cpu: Option<u32>,
    /// Percent of one core over the interval; `None` on first sight.
    pub cpu_pct: Option<f32>,
    /// Nanoseconds on a CPU since the thread started.
    pub cpu_time_ns: Option<u64>,
    /// Voluntary context switches since the thread started (it blocked).
    pub voluntary_ctxt: Option<u64>,
    /// Involuntary context switches since the thread started (it was preempted).
    pub nonvoluntary_ctxt: Option<u64>,
    /// Voluntary context switches per second over the interval.
    pub voluntary_per_sec: Option<f32>,
    /// Involuntary context switches per second over the interval.
    pub nonvoluntary_per_sec: Option<f32>,
    /// Nanoseconds spent runnable but waiting for a CPU, since the thread started.
    pub runq_wait_ns: Option<u64>,
    /// Percent of the interval spent runnable but waiting for a CPU.
    pub runq_wait_pct: Option<f32>,
    /// Kernel function the thread sleeps in (`futex_do_wait` for a lock), for
    /// sleeping threads whose wait channel we may read.
    pub wchan: Option<String>,
    /// Nanoseconds it spent asleep in a futex wait since first seen,
    /// estimated from its off-CPU time and its wait channels (see
    /// `sampler::futex_time`); `None` without schedstat.
    #[serde(default)]
    pub futex_wait_ns: Option<u64>,
    /// Percent of the last interval it spent asleep in a futex wait (the
    /// growth of `futex_wait_ns` over the interval), `0..=100`; `None` on
    /// first sight and without schedstat.
    #[serde(default)]
    pub futex_wait_pct: Option<f32>,
    /// Its nice value, -20 (favoured) to 19; `None` when unreadable.
    #[serde(default)]
    pub nice: Option<i32>,
    /// The futex word it sleeps on now (see `sampler::locks`), when it
    /// sleeps in a futex wait and we may read its system call.
    #[serde(default)]
    pub waiting_on: Option<u64>,
}

impl ThreadSample {
    /// True when the thread sleeps in a futex wait: a lock, condition variable or
    /// join, seen from outside the program.
    #[must_use]
    pub fn blocked_on_futex(&self) -> bool {
        self.state == 'S'
            && self
                .wchan
                .as_deref()
                .is_some_and(|w| w.starts_with("futex"))
    }
}
