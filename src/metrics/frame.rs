//! What one scrape exports: the part of a snapshot the metrics need,
//! bounded whatever the size of the watched tree.
//!
//! Threads are exported one by one only for the top N by CPU time used
//! since they started (a stable ranking: a series does not come and go
//! with every tick's load); the rest are summed into one "other" figure per
//! counter. A sum is known only when every thread in it is known.

use corescope_demos::probes::{LockReport, QueueReport, SemaphoreReport};

use crate::sampler::machine::{MachineSample, ProcessLoad};
use crate::snapshot::{CoreSample, MemorySample, Snapshot, ThreadSample};

/// The figures of one snapshot, ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    /// Per logical CPU with a known load: (CPU number, busy ratio 0..=1).
    pub cores: Vec<(usize, f64)>,
    /// Machine memory, when read.
    pub memory: Option<MemorySample>,
    /// The watched tree (`None` for `watch --all`).
    pub tree: Option<Tree>,
    /// The machine's processes (`watch --all` only).
    pub machine: Option<Machine>,
}

/// The watched tree's figures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    /// The root of the watched tree.
    pub root_pid: i32,
    /// Threads alive in the tree now.
    pub threads: usize,
    /// Processes alive in the tree now.
    pub processes: usize,
    /// Cores the tree kept busy over the last interval.
    pub parallelism: Option<f64>,
    /// CPU time the tree used as far as seen, never less than before.
    pub cpu_ns: Option<u64>,
    /// The top threads by CPU time, most first.
    pub top: Vec<ThreadSample>,
    /// The other threads summed; `None` when every thread is in `top`.
    pub other: Option<Others>,
    /// The demo's probes, when a demo runs.
    pub demo: Option<DemoProbes>,
}

/// The threads outside the top N, summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Others {
    /// How many threads.
    pub threads: usize,
    /// Their CPU time since they started, nanoseconds.
    pub cpu_ns: Option<u64>,
    /// Their time runnable but waiting for a CPU, nanoseconds.
    pub runq_wait_ns: Option<u64>,
    /// Their voluntary context switches.
    pub voluntary: Option<u64>,
    /// Their involuntary context switches.
    pub involuntary: Option<u64>,
    /// Their time asleep in futex waits, nanoseconds.
    pub futex_wait_ns: Option<u64>,
}

/// A demo's probes at one tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DemoProbes {
    /// The demo's name.
    pub name: String,
    /// Its locks (names made unique).
    pub locks: Vec<LockReport>,
    /// Its semaphores (names made unique).
    pub semaphores: Vec<SemaphoreReport>,
    /// Its queues (names made unique).
    pub queues: Vec<QueueReport>,
}

impl Frame {
    /// The frame of `snapshot`, with `top` threads one by one and the tree's
    /// CPU time `cpu_ns` (kept from going back by the caller).
    pub(crate) fn new(snapshot: &Snapshot, top: usize, cpu_ns: Option<u64>) -> Self {
        let target = &snapshot.target;
        let mut ranked: Vec<&ThreadSample> = target.threads.iter().collect();
        ranked.sort_by_key(|t| (std::cmp::Reverse(t.cpu_time_ns.unwrap_or(0)), t.tid));
        let rest = ranked.split_off(top.min(ranked.len()));
        let tree = Tree {
            root_pid: target.root_pid,
            threads: target.threads.len(),
            processes: target.processes.len(),
            parallelism: target.parallelism,
            cpu_ns,
            top: ranked.into_iter().cloned().collect(),
            other: (!rest.is_empty()).then(|| Others::of(&rest)),
            demo: snapshot.demo.as_ref().map(|demo| DemoProbes {
                name: demo.name.to_string(),
                locks: unique(demo.probes.locks.clone(), |l| &mut l.name),
                semaphores: unique(demo.probes.semaphores.clone(), |s| &mut s.name),
                queues: unique(demo.probes.queues.clone(), |q| &mut q.name),
            }),
        };
        Self {
            cores: known_loads(&snapshot.cores),
            memory: snapshot.memory,
            tree: Some(tree),
            machine: None,
        }
    }

    /// The frame of the whole machine, with the `top` processes by CPU
    /// over the last interval one by one.
    pub(crate) fn of_machine(sample: &MachineSample, top: usize) -> Self {
        let mut ranked: Vec<&ProcessLoad> = sample.processes.iter().collect();
        ranked.sort_by(|a, b| {
            b.cores
                .unwrap_or(0.0)
                .total_cmp(&a.cores.unwrap_or(0.0))
                .then(b.cpu_time_ns.cmp(&a.cpu_time_ns))
                .then(a.pid.cmp(&b.pid))
        });
        let rest = ranked.split_off(top.min(ranked.len()));
        Self {
            cores: known_loads(&sample.cores),
            memory: sample.memory,
            tree: None,
            machine: Some(Machine {
                processes: sample.processes.len(),
                threads: sample.processes.iter().map(|p| p.threads).sum(),
                top: ranked.into_iter().cloned().collect(),
                other_processes: rest.len(),
                other_cores: rest.iter().filter_map(|p| p.cores).sum(),
            }),
        }
    }
}

/// The whole machine's processes (`watch --all`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Machine {
    /// Processes readable now.
    pub processes: usize,
    /// Their threads, summed.
    pub threads: u64,
    /// The top processes by CPU over the last interval, most first.
    pub top: Vec<ProcessLoad>,
    /// How many others.
    pub other_processes: usize,
    /// The cores the others seen at the previous tick too kept busy,
    /// summed (a process new at this tick has no share yet).
    pub other_cores: f64,
}

/// (CPU number, busy ratio) of each core whose load is known.
fn known_loads(cores: &[CoreSample]) -> Vec<(usize, f64)> {
    cores
        .iter()
        .filter_map(|c| Some((c.core, f64::from(c.busy_pct?) / 100.0)))
        .collect()
}

impl Others {
    fn of(threads: &[&ThreadSample]) -> Self {
        let sum = |field: fn(&ThreadSample) -> Option<u64>| {
            threads
                .iter()
                .map(|t| field(t))
                .try_fold(0_u64, |sum, v| Some(sum.saturating_add(v?)))
        };
        Self {
            threads: threads.len(),
            cpu_ns: sum(|t| t.cpu_time_ns),
            runq_wait_ns: sum(|t| t.runq_wait_ns),
            voluntary: sum(|t| t.voluntary_ctxt),
            involuntary: sum(|t| t.nonvoluntary_ctxt),
            futex_wait_ns: sum(|t| t.futex_wait_ns),
        }
    }
}

/// Probe names need not be unique; series must be: the second `queue`
/// becomes `queue#2`.
fn unique<T>(mut probes: Vec<T>, name: fn(&mut T) -> &mut String) -> Vec<T> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for probe in &mut probes {
        let name = name(probe);
        let count = seen.entry(name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            *name = format!("{name}#{count}");
        }
    }
    probes
}
