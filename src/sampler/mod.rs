//! The sampler: reads the system (`/proc`, sysinfo) into plain readings.
//!
//! It owns every `/proc` reader; nothing else in corescope touches `/proc` on a
//! tick. It knows nothing of what runs in the watched tree (demos, commands,
//! comparisons) nor of where readings go: the session module owns the run, asks
//! for a [`Reading`] at each tick and assembles the `Snapshot`.

mod children;
mod cpu;
mod futex_time;
mod ledger;
mod locks;
pub mod machine;
mod proc_file;
pub mod process_feed;
pub mod processes;
mod stat;
mod status;
mod threads;
mod tree;

use anyhow::{Context, Result, bail};

use proc_file::ReadError;
pub use proc_file::raise_open_file_limit;

use crate::error::UsageError;
use crate::snapshot::{CoreSample, MemorySample, TargetSample};
pub(crate) use children::children;
pub(crate) use cpu::CpuReader;
use tree::TreeReader;

/// The shortest and longest tick the sampler accepts, in milliseconds.
pub const INTERVAL_RANGE_MS: std::ops::RangeInclusive<u64> = 50..=10_000;

/// Reads the machine and one process tree.
pub struct Sampler {
    cpu: CpuReader,
    tree: TreeReader,
    system: Option<sysinfo::System>,
}

/// What one read of the system found.
pub struct Reading {
    /// Per logical CPU, in CPU order.
    pub cores: Vec<CoreSample>,
    /// Machine memory; `None` when it could not be read.
    pub memory: Option<MemorySample>,
    /// 1, 5 and 15 minute load averages; `None` when unreadable.
    pub load_average: Option<[f64; 3]>,
    /// The watched process tree.
    pub target: TargetSample,
}

impl Sampler {
    /// A sampler for the tree under `pid`. Fails with a clear message when no
    /// such process exists.
    pub fn new(pid: i32) -> Result<Self> {
        if pid <= 0 {
            bail!("PID must be a positive number, got {pid}");
        }
        if let Some(process) = status::read(pid).as_deref().and_then(status::thread_group)
            && process != pid
        {
            return Err(UsageError(format!(
                "{pid} is a thread of process {process}, not a process: \
                 watch {process} to see all its threads"
            ))
            .into());
        }
        let tree = TreeReader::new(pid).map_err(|err| unreadable(pid, err))?;
        let cpu = CpuReader::open()
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("cannot read /proc/stat: corescope needs Linux with /proc mounted")?;
        Ok(Self {
            cpu,
            tree,
            // Memory is a nice-to-have: without it the header shows "?".
            system: sysinfo::System::new().ok(),
        })
    }

    /// A sampler for corescope's own process tree (demos run inside it).
    pub fn for_own_process() -> Result<Self> {
        Self::new(own_pid())
    }

    /// Watches the tree under `pid` from now on, in place of the one
    /// watched (the process list's choice). A process that cannot be
    /// watched leaves the tree as it was; the error, one line, begins with
    /// [`watch_failure`]`(pid)`.
    pub fn watch_root(&mut self, pid: i32) -> Result<()> {
        let tree = TreeReader::new(pid)
            .map_err(|err| anyhow::anyhow!("{}{}", watch_failure(pid), unreadable(pid, err)))?;
        self.tree = tree;
        Ok(())
    }

    /// Counts the orphans handed to `guardian` (a launched command's) as
    /// part of the tree.
    pub fn adopt_orphans_of(&mut self, guardian: i32) {
        self.tree.adopt_orphans_of(guardian);
    }

    /// True once the watched tree's root has exited, so that the last sample
    /// can be taken at the exit; cheap enough to ask every few milliseconds.
    /// Never for corescope's own tree, which ends with corescope: nothing
    /// is read for it between ticks.
    pub fn root_exited(&mut self) -> bool {
        !self.watches_own_tree() && self.tree.root_exited()
    }

    /// The PID at the root of the watched tree.
    #[must_use]
    pub(crate) const fn root_pid(&self) -> i32 {
        self.tree.root()
    }

    /// True when the tree read is corescope's own.
    #[must_use]
    pub fn watches_own_tree(&self) -> bool {
        self.tree.root() == own_pid()
    }

    /// Between two ticks (every 10 ms): reads some threads' wait channels,
    /// so that their futex-wait estimates rest on more than the ticks'
    /// readings, and the processes' CPU clocks, so that a process reaped at
    /// once keeps its CPU to within a few milliseconds of its exit. Not for
    /// corescope's own tree: its demos measure their waits with probes, and
    /// the polls would add to the CPU time they show.
    pub fn poll_between_ticks(&mut self) {
        if self.tree.root() != own_pid() {
            self.tree.poll_waits();
            self.tree.poll_cpu();
        }
    }

    /// Starts a new run of the tree: its peaks and exited counts start over.
    pub fn reset_peaks(&mut self) {
        self.tree.reset_peaks();
    }

    /// Reads the cores, the tree, memory and load now.
    pub fn read(&mut self) -> Reading {
        let cores = self.cpu.sample();
        let mut target = self.tree.sample(self.cpu.forks());
        // Readings taken microseconds apart can add up to a hair more than
        // the machine has; no tree keeps more cores busy than there are.
        if !cores.is_empty() {
            target.parallelism = target.parallelism.map(|p| p.min(cores.len() as f64));
        }
        let memory = self.system.as_mut().map(|system| {
            system.refresh_memory();
            MemorySample {
                total_bytes: system.total_memory(),
                used_bytes: system.used_memory(),
            }
        });
        let load_average = sysinfo::System::load_average()
            .ok()
            .map(|l| [l.one, l.five, l.fifteen]);
        Reading {
            cores,
            memory,
            load_average,
            target,
        }
    }
}

/// Makes the calling thread's timed waits end at their deadline instead of
/// up to 50 us later, when the kernel would coalesce them with other timers
/// (the default timer slack). A thread that polls a watched program between
/// ticks calls it: with the slack, its wake-ups, and so its readings, fall
/// where the program's own timers fire (a lock holder waking from a sleep,
/// its waiters all asleep on the lock), and oversample those instants: a
/// lightly contended lock read 1.3 to 1.6 times its blocked time.
pub(crate) fn wake_on_time() {
    // Best effort: without it the readings are only less even in time.
    let _ = nix::sys::prctl::set_timerslack(1);
}

/// This process's id.
fn own_pid() -> i32 {
    nix::unistd::getpid().as_raw()
}

/// Why the tree under `pid` cannot be watched, in one line.
/// How the error begins when watching `pid` failed.
#[must_use]
pub fn watch_failure(pid: i32) -> String {
    format!("cannot watch PID {pid}: ")
}

fn unreadable(pid: i32, err: ReadError) -> anyhow::Error {
    match err {
        ReadError::Gone => anyhow::anyhow!("no process with PID {pid} (it may have exited)"),
        ReadError::Unreadable => anyhow::anyhow!(
            "cannot read process {pid}: permission denied (it belongs to another user, \
             and /proc hides it from us)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polling_thread_wakes_at_its_deadline() {
        let slack = std::thread::spawn(|| {
            wake_on_time();
            nix::sys::prctl::get_timerslack()
        })
        .join()
        .expect("thread");
        assert_eq!(
            slack.ok(),
            Some(1),
            "expected the thread's timer slack set to 1 ns, so that its wake-ups are not \
             coalesced with the watched program's timers"
        );
    }

    #[test]
    fn a_bad_pid_is_one_clear_error() {
        let err = Sampler::new(999_999_999).err().expect("must fail");
        assert_eq!(
            err.to_string(),
            "no process with PID 999999999 (it may have exited)"
        );
        assert!(Sampler::new(0).is_err());
        assert!(Sampler::new(-5).is_err());
    }

    #[test]
    fn a_hidden_process_is_reported_as_permission_denied_not_gone() {
        // Only a /proc mounted with hidepid can refuse a whole process, which
        // a test cannot arrange: the message is checked at its source.
        let err = unreadable(1, ReadError::Unreadable).to_string();
        assert!(
            err.starts_with("cannot read process 1: permission denied"),
            "{err}"
        );
    }

    #[test]
    fn a_reading_has_cores_memory_and_the_tree() {
        let mut sampler = Sampler::for_own_process().expect("self");
        let reading = sampler.read();
        assert!(!reading.cores.is_empty(), "expected at least one core");
        assert!(
            reading
                .memory
                .is_some_and(|m| m.used_bytes <= m.total_bytes)
        );
        assert_eq!(reading.target.root_pid, own_pid());
    }
}
