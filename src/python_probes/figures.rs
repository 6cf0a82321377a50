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
    /// `threading.Event`s.
    #[serde(default)]
    pub events: Vec<ProbeEvent>,
    /// `threading.Barrier`s.
    #[serde(default)]
    pub barriers: Vec<ProbeBarrier>,
    /// `threading.Condition`s' waits and notifies (their locks are in `locks`).
    #[serde(default)]
    pub conditions: Vec<ProbeCondition>,
    /// `concurrent.futures` executors.
    #[serde(default)]
    pub executors: Vec<ProbeExecutor>,
    /// The Python names of the program's threads and processes.
    #[serde(default)]
    pub names: super::names::RuntimeNames,
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
    /// The futex word its waiters sleep on, per process that has a copy
    /// (`pid`, address), as its probe read it: the session names the
    /// kernel's lock at that address after it. Not in the JSON, where that
    /// lock carries the name.
    #[serde(skip)]
    pub futex_words: Vec<(i32, u64)>,
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

/// One `threading.Event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeEvent {
    /// `ready (gate.py:5)`.
    pub name: String,
    /// `Event`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Processes that used it.
    pub processes: usize,
    /// Whether its flag is set now (in the process that last changed it, for
    /// one made before a fork: each process has its own copy).
    pub is_set: bool,
    /// `set()` calls.
    pub sets: u64,
    /// `clear()` calls.
    pub clears: u64,
    /// `wait()` calls.
    pub waits: u64,
    /// Threads blocked in `wait()` now.
    pub waiters: u64,
    /// Most threads blocked in `wait()` at once (in one process).
    pub peak_waiters: u64,
    /// Waits that ended by their timeout.
    pub timeouts: u64,
    /// The waits that blocked (a wait on a set flag returns at once, untimed).
    pub wait_ns: Spread,
}

/// One `threading.Barrier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeBarrier {
    /// `barrier (phases.py:9)`.
    pub name: String,
    /// `Barrier`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Processes that used it.
    pub processes: usize,
    /// Threads it waits for.
    pub parties: u64,
    /// Threads arrived and not yet gone now (at most `parties`).
    pub waiting: u64,
    /// Most threads arrived at once (`parties` once it tripped).
    pub peak_waiting: u64,
    /// `wait()` calls that arrived.
    pub arrivals: u64,
    /// Times it tripped (released its parties).
    pub trips: u64,
    /// Waits that raised `BrokenBarrierError`.
    pub broken: u64,
    /// The waits of every arrival but the last of each trip.
    pub wait_ns: Spread,
}

/// One `threading.Condition`: its waits and notifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCondition {
    /// `cond (buffer.py:7)`: the same name as its lock's row in `locks`.
    pub name: String,
    /// `Condition`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Processes that used it.
    pub processes: usize,
    /// `wait()` calls (`wait_for` waits once per check that failed).
    pub waits: u64,
    /// `notify()` and `notify_all()` calls.
    pub notifies: u64,
    /// Waiting threads those calls notified.
    pub notified: u64,
    /// Threads waiting now.
    pub waiters: u64,
    /// Most threads waiting at once (in one process).
    pub peak_waiters: u64,
    /// Waits that ended by their timeout.
    pub timeouts: u64,
    /// Every wait, from the call to the lock taken again.
    pub wait_ns: Spread,
}

/// One `concurrent.futures` executor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeExecutor {
    /// `pool (fetch.py:12)`, or `ex (fetch.py:12)` for `with ... as ex:`.
    pub name: String,
    /// `ThreadPoolExecutor`, `ProcessPoolExecutor`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Processes that used it (a process pool's workers among them).
    pub processes: usize,
    /// Its `max_workers`.
    pub workers: u64,
    /// Workers running a task now.
    pub busy: u64,
    /// Most workers running a task at once; `null` for a process pool,
    /// whose workers each count their own.
    pub peak_busy: Option<u64>,
    /// Tasks submitted and neither started nor cancelled, now.
    pub pending: u64,
    /// Most tasks pending at once, as seen at each submit; `null` for a
    /// process pool (its workers, not the submitter, see the starts).
    pub peak_pending: Option<u64>,
    /// Tasks submitted (`map` submits one per item, or per chunk).
    pub submitted: u64,
    /// Tasks a worker started.
    pub started: u64,
    /// Tasks that finished (returned or raised).
    pub finished: u64,
    /// Tasks cancelled before they started.
    pub cancelled: u64,
}

/// Adds up the slots of every process (`files`: each file's pid and slots).
pub(crate) fn combine(status: ProbesStatus, files: &[(u32, Vec<Slot>)]) -> PythonProbes {
    let mut by_key: BTreeMap<(u64, Kind), Vec<(usize, &Slot)>> = BTreeMap::new();
    for (file, (_, slots)) in files.iter().enumerate() {
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
        let futex_words = futex_words(files, &found);
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
                futex_words,
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
            Kind::Event | Kind::Barrier | Kind::Condition | Kind::Executor => {
                push_sync(&mut out, kind, name, type_name, processes, &slots);
            }
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

/// Adds the row of one event, barrier, condition or executor, from its
/// slots in every process.
fn push_sync(
    out: &mut PythonProbes,
    kind: Kind,
    name: String,
    type_name: String,
    processes: usize,
    slots: &[&Slot],
) {
    let sum = |f: fn(&Slot) -> u64| slots.iter().map(|s| f(s)).fold(0_u64, u64::saturating_add);
    let max = |f: fn(&Slot) -> u64| slots.iter().map(|s| f(s)).max().unwrap_or(0);
    match kind {
        Kind::Event => out.events.push(ProbeEvent {
            name,
            type_name,
            processes,
            is_set: slots.iter().any(|s| s.now > 0),
            sets: sum(|s| s.count_a),
            clears: sum(|s| s.count_b),
            waits: sum(Slot::extra),
            waiters: sum(|s| s.waiters),
            peak_waiters: max(|s| s.peak_waiters),
            timeouts: sum(|s| s.sentinels),
            wait_ns: spread(slots.iter().map(|s| &s.wait)),
        }),
        Kind::Barrier => out.barriers.push(ProbeBarrier {
            name,
            type_name,
            processes,
            parties: max(|s| s.capacity),
            waiting: max(|s| s.now),
            peak_waiting: max(|s| s.peak),
            arrivals: sum(|s| s.count_a),
            trips: sum(|s| s.count_b),
            broken: sum(|s| s.sentinels),
            wait_ns: spread(slots.iter().map(|s| &s.wait)),
        }),
        Kind::Condition => out.conditions.push(ProbeCondition {
            name,
            type_name,
            processes,
            waits: sum(|s| s.count_a),
            notifies: sum(|s| s.count_b),
            notified: sum(Slot::extra),
            waiters: sum(|s| s.waiters),
            peak_waiters: max(|s| s.peak_waiters),
            timeouts: sum(|s| s.sentinels),
            wait_ns: spread(slots.iter().map(|s| &s.wait)),
        }),
        Kind::Executor => {
            let (submitted, started, cancelled) =
                (sum(|s| s.count_a), sum(|s| s.count_b), sum(|s| s.sentinels));
            let in_process = type_name != "ProcessPoolExecutor";
            out.executors.push(ProbeExecutor {
                name,
                type_name,
                processes,
                workers: max(|s| s.capacity),
                busy: sum(|s| s.now),
                peak_busy: in_process.then(|| max(|s| s.peak)),
                pending: submitted.saturating_sub(started).saturating_sub(cancelled),
                peak_pending: in_process.then(|| max(|s| s.peak_waiters)),
                submitted,
                started,
                finished: sum(Slot::extra),
                cancelled,
            });
        }
        Kind::Lock | Kind::Semaphore | Kind::Queue => {}
    }
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

/// The futex words a lock's slots name (a lock's `capacity` word), with
/// the pid of the file each slot is in; 0 (unknown) left out.
fn futex_words(files: &[(u32, Vec<Slot>)], found: &[(usize, &Slot)]) -> Vec<(i32, u64)> {
    let mut words: Vec<(i32, u64)> = found
        .iter()
        .filter(|(_, slot)| slot.capacity != 0)
        .filter_map(|(file, slot)| {
            let pid = i32::try_from(files.get(*file)?.0).ok()?;
            Some((pid, slot.capacity))
        })
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files of processes 100, 101, ..., each holding its slots.
    fn files<const N: usize>(slots: [Vec<Slot>; N]) -> Vec<(u32, Vec<Slot>)> {
        (100..).zip(slots).collect()
    }

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
        let probes = combine(
            ProbesStatus::default(),
            &files([vec![sender], vec![receiver]]),
        );
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
            &files([vec![parent], vec![idle_child], vec![busy_child]]),
        );
        assert_eq!(probes.locks.len(), 1, "one row for the lock and its copies");
        assert_eq!(
            (probes.locks[0].acquires, probes.locks[0].processes),
            (7, 2)
        );
    }

    #[test]
    fn a_process_pool_adds_up_its_workers_and_leaves_its_peaks_unknown() {
        let mut parent = slot(Kind::Executor, 4, "ProcessPoolExecutor");
        (parent.count_a, parent.capacity, parent.sentinels) = (9, 2, 1);
        let mut one = slot(Kind::Executor, 4, "ProcessPoolExecutor");
        (one.count_b, one.hold.count, one.now, one.peak) = (3, 2, 1, 1);
        let mut two = slot(Kind::Executor, 4, "ProcessPoolExecutor");
        (two.count_b, two.hold.count, two.now, two.peak) = (4, 3, 1, 1);
        let probes = combine(
            ProbesStatus::default(),
            &files([vec![parent], vec![one], vec![two]]),
        );
        let pool = &probes.executors[0];
        assert_eq!(
            (pool.submitted, pool.started, pool.finished, pool.cancelled),
            (9, 7, 5, 1)
        );
        assert_eq!((pool.pending, pool.busy, pool.workers), (1, 2, 2));
        assert_eq!((pool.peak_busy, pool.peak_pending), (None, None));
        let mut threads = slot(Kind::Executor, 5, "ThreadPoolExecutor");
        (threads.peak, threads.peak_waiters) = (2, 6);
        let probes = combine(ProbesStatus::default(), &files([vec![threads]]));
        assert_eq!(
            (
                probes.executors[0].peak_busy,
                probes.executors[0].peak_pending
            ),
            (Some(2), Some(6))
        );
    }

    #[test]
    fn percentiles_come_from_the_buckets_and_stay_under_the_max() {
        let mut lock = slot(Kind::Lock, 1, "Lock");
        // 98 waits of about 1 µs (bit length 10), two of 50 ms.
        lock.wait.buckets[10] = 98;
        lock.wait.buckets[26] = 2;
        (lock.wait.count, lock.wait.sum_ns, lock.wait.max_ns) = (100, 100_098_000, 50_000_000);
        let probes = combine(ProbesStatus::default(), &files([vec![lock]]));
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
            &files([vec![slot(Kind::Lock, 2, "Lock")]]),
        );
        assert_eq!(
            idle.locks[0].hold_ns,
            Spread::default(),
            "nothing recorded is null, not 0"
        );
    }
}
