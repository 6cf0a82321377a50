//! The probes of every process of a Python program, added up into the
//! figures the screen and the report show (the demo probes' keys).
//!
//! One object used by several processes (a multiprocessing queue between a
//! sender and a receiver, or a threading lock made before a fork, of which
//! each child has its copy) has a slot in each, with the same key: counts
//! add up, maxima and peaks are the largest any process saw, waiters now add
//! up (each process counts its own). A multiprocessing queue's depth now is
//! its puts less its gets; a thread queue's is the sum of its copies'. An
//! object counts the processes that used it (a forked child that never
//! touched its copy is not one), at least its creator. Percentiles come from
//! log2 histograms: each is the upper edge of its bucket, at most the max.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::layout::{BUCKETS, Kind, Slot, Timings};

/// What the probes of a Python program measured, for one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonProbes {
    /// Whether probes were loaded and what they said.
    pub probes: ProbesStatus,
    /// Locks (`threading.Lock`, `RLock`, multiprocessing's), by creation.
    pub locks: Vec<ProbeLock>,
    /// Semaphores (threading's and multiprocessing's).
    pub semaphores: Vec<ProbeSemaphore>,
    /// Queues (`queue`'s and multiprocessing's).
    pub queues: Vec<ProbeQueue>,
}

/// Whether the probes run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbesStatus {
    /// True when corescope gave the interpreter its probes (no `--no-probes`).
    pub on: bool,
    /// Processes that loaded them and wrote a probes file.
    pub processes: usize,
    /// One line per process that could not load them (too old a Python, a
    /// failure in the probe module), and why.
    pub notices: Vec<String>,
}

/// A distribution of durations in nanoseconds; every figure but `count` is
/// `null` when nothing was recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread {
    /// Values recorded.
    pub count: u64,
    /// Mean.
    pub mean: Option<u64>,
    /// Median (the upper edge of its power-of-two bucket, at most `max`).
    pub p50: Option<u64>,
    /// 99th percentile (likewise).
    pub p99: Option<u64>,
    /// Largest.
    pub max: Option<u64>,
}

/// One lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeLock {
    /// `lock (counter.py:4)`: the variable and the line that created it.
    pub name: String,
    /// `Lock`, `RLock`, `mp.Lock`, `mp.RLock`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Processes that used it.
    pub processes: usize,
    /// Acquires (an `RLock`'s outermost ones).
    pub acquires: u64,
    /// Acquires that had to wait.
    pub contended: u64,
    /// Threads waiting for it now.
    pub waiters: u64,
    /// Most threads waiting for it at once (in one process).
    pub peak_waiters: u64,
    /// Waits of the contended acquires.
    pub wait_ns: Spread,
    /// Hold times, of every contended acquire and of one uncontended acquire
    /// in 16 (the others read no clock).
    pub hold_ns: Spread,
}

/// One semaphore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeSemaphore {
    /// `sem (pool.py:7)`.
    pub name: String,
    /// `Semaphore`, `BoundedSemaphore`, `mp.Semaphore`, ...
    #[serde(rename = "type")]
    pub type_name: String,
    /// Processes that used it.
    pub processes: usize,
    /// Permits it was made with.
    pub permits: u64,
    /// Permits held now.
    pub in_use: u64,
    /// Most permits held at once.
    pub peak_in_use: u64,
    /// Threads waiting now.
    pub waiters: u64,
    /// Most threads waiting at once (in one process).
    pub peak_waiters: u64,
    /// Acquires.
    pub acquires: u64,
    /// Acquires that had to wait.
    pub contended: u64,
    /// Waits of the contended acquires.
    pub wait_ns: Spread,
}

/// One queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeQueue {
    /// `q (pipeline.py:12)`.
    pub name: String,
    /// `Queue`, `LifoQueue`, `PriorityQueue`, `SimpleQueue`, `mp.Queue`,
    /// `mp.JoinableQueue`, `mp.Pipe` (sent and received through both ends).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Processes that used it.
    pub processes: usize,
    /// Its maxsize; 0 is unbounded.
    pub capacity: u64,
    /// Items in it now.
    pub depth: u64,
    /// Most items in it at once (as seen after each put); `null` for a
    /// pipe, whose ends cannot see what is in flight.
    pub peak_depth: Option<u64>,
    /// Items put.
    pub sent: u64,
    /// Items taken.
    pub received: u64,
    /// `None` items put (a sentinel that tells a consumer to stop).
    pub sentinels: u64,
}

/// Adds up the slots of every process (`files`: each file's slots).
pub(crate) fn combine(status: ProbesStatus, files: &[Vec<Slot>]) -> PythonProbes {
    let mut by_key: BTreeMap<(u64, Kind), Vec<(usize, &Slot)>> = BTreeMap::new();
    for (file, slots) in files.iter().enumerate() {
        for slot in slots {
            by_key
                .entry((slot.key, slot.kind))
                .or_default()
                .push((file, slot));
        }
    }
    let mut out = PythonProbes {
        probes: status,
        ..PythonProbes::default()
    };
    for ((_, kind), found) in by_key {
        // A process may hold more than one slot of an object (a pipe's two
        // ends, each rebound after a fork).
        let mut files_seen: Vec<usize> = found
            .iter()
            .filter(|(_, slot)| used(slot))
            .map(|(file, _)| *file)
            .collect();
        files_seen.dedup();
        let processes = files_seen.len().max(1);
        let slots: Vec<&Slot> = found.into_iter().map(|(_, slot)| slot).collect();
        let first = slots[0];
        let sum = |f: fn(&Slot) -> u64| slots.iter().map(|s| f(s)).fold(0_u64, u64::saturating_add);
        let max = |f: fn(&Slot) -> u64| slots.iter().map(|s| f(s)).max().unwrap_or(0);
        let name = first.name.clone();
        let type_name = first.type_name.clone();
        match kind {
            Kind::Lock => out.locks.push(ProbeLock {
                name,
                type_name,
                processes,
                acquires: sum(|s| s.count_a),
                contended: sum(|s| s.count_b),
                waiters: sum(|s| s.waiters),
                peak_waiters: max(|s| s.peak_waiters),
                wait_ns: spread(slots.iter().map(|s| &s.wait)),
                hold_ns: spread(slots.iter().map(|s| &s.hold)),
            }),
            Kind::Semaphore => out.semaphores.push(ProbeSemaphore {
                name,
                type_name,
                processes,
                permits: max(|s| s.capacity),
                in_use: max(|s| s.now),
                peak_in_use: max(|s| s.peak),
                waiters: sum(|s| s.waiters),
                peak_waiters: max(|s| s.peak_waiters),
                acquires: sum(|s| s.count_a),
                contended: sum(|s| s.count_b),
                wait_ns: spread(slots.iter().map(|s| &s.wait)),
            }),
            Kind::Queue => {
                let (sent, received) = (sum(|s| s.count_a), sum(|s| s.count_b));
                let depth = if type_name.starts_with("mp.") {
                    sent.saturating_sub(received)
                } else {
                    sum(|s| s.now)
                };
                let peak_depth = (type_name != "mp.Pipe").then(|| max(|s| s.peak));
                out.queues.push(ProbeQueue {
                    name,
                    type_name,
                    processes,
                    capacity: max(|s| s.capacity),
                    depth,
                    peak_depth,
                    sent,
                    received,
                    sentinels: sum(|s| s.sentinels),
                });
            }
        }
    }
    out
}

/// True when a process did something with its slot's object.
fn used(slot: &Slot) -> bool {
    slot.count_a > 0 || slot.count_b > 0 || slot.waiters > 0 || slot.now > 0
}

/// The timings of every process as one distribution.
fn spread<'a>(parts: impl Iterator<Item = &'a Timings>) -> Spread {
    let mut all = Timings::default();
    for part in parts {
        all.count = all.count.saturating_add(part.count);
        all.sum_ns = all.sum_ns.saturating_add(part.sum_ns);
        all.max_ns = all.max_ns.max(part.max_ns);
        for (sum, n) in all.buckets.iter_mut().zip(part.buckets) {
            *sum = sum.saturating_add(n);
        }
    }
    if all.count == 0 {
        return Spread::default();
    }
    let percentile = |p: u64| {
        let rank = (all.count.saturating_mul(p)).div_ceil(100).max(1);
        let mut seen = 0_u64;
        let bucket = all
            .buckets
            .iter()
            .position(|&n| {
                seen = seen.saturating_add(n);
                seen >= rank
            })
            .unwrap_or(BUCKETS - 1);
        let upper = if bucket == 0 {
            0
        } else {
            (1_u64 << bucket) - 1
        };
        upper.min(all.max_ns)
    };
    Spread {
        count: all.count,
        mean: Some(all.sum_ns / all.count),
        p50: Some(percentile(50)),
        p99: Some(percentile(99)),
        max: Some(all.max_ns),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(kind: Kind, key: u64, type_name: &str) -> Slot {
        Slot {
            kind,
            key,
            name: "q (a.py:3)".to_owned(),
            type_name: type_name.to_owned(),
            count_a: 0,
            count_b: 0,
            wait: Timings::default(),
            hold: Timings::default(),
            capacity: 0,
            now: 0,
            peak: 0,
            waiters: 0,
            peak_waiters: 0,
            sentinels: 0,
        }
    }

    #[test]
    fn one_queue_in_two_processes_adds_up() {
        let mut sender = slot(Kind::Queue, 5, "mp.Queue");
        (sender.count_a, sender.peak, sender.sentinels) = (11, 7, 1);
        let mut receiver = slot(Kind::Queue, 5, "mp.Queue");
        receiver.count_b = 9;
        let probes = combine(ProbesStatus::default(), &[vec![sender], vec![receiver]]);
        let q = &probes.queues[0];
        assert_eq!(
            (
                q.processes,
                q.sent,
                q.received,
                q.depth,
                q.peak_depth,
                q.sentinels
            ),
            (2, 11, 9, 2, Some(7), 1)
        );
    }

    #[test]
    fn a_forked_copy_adds_up_and_counts_as_a_process_only_once_used() {
        let mut parent = slot(Kind::Lock, 3, "Lock");
        parent.count_a = 5;
        let idle_child = slot(Kind::Lock, 3, "Lock");
        let mut busy_child = slot(Kind::Lock, 3, "Lock");
        busy_child.count_a = 2;
        let probes = combine(
            ProbesStatus::default(),
            &[vec![parent], vec![idle_child], vec![busy_child]],
        );
        assert_eq!(probes.locks.len(), 1, "one row for the lock and its copies");
        assert_eq!(
            (probes.locks[0].acquires, probes.locks[0].processes),
            (7, 2)
        );
    }

    #[test]
    fn percentiles_come_from_the_buckets_and_stay_under_the_max() {
        let mut lock = slot(Kind::Lock, 1, "Lock");
        // 98 waits of about 1 µs (bit length 10), two of 50 ms.
        lock.wait.buckets[10] = 98;
        lock.wait.buckets[26] = 2;
        (lock.wait.count, lock.wait.sum_ns, lock.wait.max_ns) = (100, 100_098_000, 50_000_000);
        let probes = combine(ProbesStatus::default(), &[vec![lock]]);
        let wait = probes.locks[0].wait_ns;
        assert_eq!(wait.p50, Some(1023));
        assert_eq!(
            wait.p99,
            Some(50_000_000),
            "the top bucket's edge is cut to the max"
        );
        assert_eq!(wait.mean, Some(1_000_980));
        let idle = combine(
            ProbesStatus::default(),
            &[vec![slot(Kind::Lock, 2, "Lock")]],
        );
        assert_eq!(
            idle.locks[0].hold_ns,
            Spread::default(),
            "nothing recorded is null, not 0"
        );
    }
}
