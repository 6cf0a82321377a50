//! The report of `watch PID --headless` and `run --headless -- CMD`.
//!
//! Built from the snapshots of a run. Per-thread figures cover the watch
//! window: CPU percent, context switches and run-queue wait are what happened
//! between the first and the last sample, not since the thread started. A
//! thread born during the window counts from its start, which lies inside it.
//!
//! Membership is the sampler's: the tasks listed are those of the current
//! epoch (an exec of the root starts a new one, so a launcher's helpers are
//! not listed as the program's), the same tasks the peaks count. Exited tasks
//! are counted, and only the most recent [`EXITED_KEPT`] of each kind are
//! listed: a fork-heavy program watched for hours costs no more memory than
//! one watched for a minute. Their CPU time stays in the tree's total.
//! A figure that could not be measured (the tree was gone before a second
//! reading) is `null`, never 0.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::locks::LockReport;
use super::round2;
use super::run::RunOutcome;
use crate::python_probes::PythonProbes;
use crate::snapshot::{Snapshot, ThreadSample};

/// Now and peak of a count.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct NowPeak {
    /// At the last sample.
    pub now: usize,
    /// Most seen at one sample.
    pub peak: usize,
}

/// Exited threads, and exited processes, listed at most in a report.
pub(crate) const EXITED_KEPT: usize = 64;

/// Mean and max of the cores the tree kept busy; `null` when not measured
/// (the tree was gone before two readings of its CPU time).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub(crate) struct Parallelism {
    /// Mean over the window: CPU time of the whole tree (exited threads and
    /// reaped children included) / wall time.
    pub mean: Option<f64>,
    /// Highest value over one sampling interval.
    pub max: Option<f64>,
}

/// Machine load during the window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct CpuSummary {
    /// Logical CPUs.
    pub cores: usize,
    /// Mean percent busy of each core over the window, in CPU order.
    pub busy_pct: Vec<f64>,
}

/// One thread over the window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct ThreadReport {
    /// Thread id.
    pub tid: i32,
    /// Process it belongs to.
    pub pid: i32,
    /// Thread name at its last sample.
    pub name: String,
    /// Its name in its runtime (a Python thread's `name`, a multiprocessing
    /// process's main thread's process name) as the runtime last gave it
    /// while the thread ran; `null` when none did.
    pub runtime_name: Option<String>,
    /// Percent of one core over the window; `null` if never measurable.
    pub cpu_pct: Option<f64>,
    /// CPU it last ran on.
    pub last_cpu: Option<u32>,
    /// Scheduler state at its last sample.
    pub state: String,
    /// Voluntary context switches during the window.
    pub voluntary_ctxt: Option<u64>,
    /// Involuntary context switches during the window.
    pub nonvoluntary_ctxt: Option<u64>,
    /// Milliseconds spent runnable but waiting for a CPU during the window.
    pub runq_wait_ms: Option<f64>,
    /// Kernel wait channel at its last sample, when sleeping and readable.
    pub wchan: Option<String>,
    /// Percent of its time in the window (from its first sample to its
    /// last) that the thread spent asleep in a futex wait (a lock, a
    /// condition, a join: also a GIL wait), estimated from its off-CPU time
    /// and its wait channels (see `sampler::futex_time`); `null` when its
    /// wait channel could never be read (another user's process) or it was
    /// seen only once.
    pub futex_wait_pct: Option<f64>,
    /// The futex word it was blocked on at its last sample (`0x…`, a key of
    /// `locks[].address`); `null` when it was not blocked on one, or what it
    /// waits on is withheld.
    pub waiting_on: Option<String>,
    /// True when the thread was gone by the last sample.
    pub exited: bool,
}

/// One process of the tree over the window.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct ProcessReport {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Its name (`comm`) at its last sample.
    pub name: String,
    /// Its name in its runtime (a multiprocessing process's
    /// `SenderProcess-1`); `null` when none was given.
    pub runtime_name: Option<String>,
    /// Its state letter at its last sample (`Z`: a zombie, exited but not
    /// yet reaped by its parent).
    pub state: String,
    /// Most resident memory seen, KiB.
    pub rss_kib_peak: Option<u64>,
    /// Most threads seen.
    pub threads_peak: usize,
    /// True when it was gone (or a zombie) by the last sample.
    pub exited: bool,
}

/// The whole `watch` report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct WatchReport {
    /// Root of the watched tree.
    pub pid: i32,
    /// Its command line.
    pub command: String,
    /// Snapshots taken.
    pub samples: u64,
    /// Wall time from the first to the last sample, in milliseconds.
    pub duration_ms: u64,
    /// Threads of the tree.
    pub threads: NowPeak,
    /// Processes of the tree.
    pub processes: NowPeak,
    /// Threads seen that exited during the window (the last epoch's), counted
    /// whether or not `per_thread` still lists them.
    pub exited_threads: u64,
    /// Processes seen that left the tree during the window.
    pub exited_processes: u64,
    /// True when the kernel withheld part of the tree (another user's
    /// process): wait channels and futex waits are `null`, never guessed.
    pub restricted: bool,
    /// True when the root runs as another user (its real uid is not
    /// corescope's); `restricted` without it means the kernel withheld part
    /// for another reason (a process that is not dumpable, PID 1).
    pub another_user: bool,
    /// The root's state letter at the last sample (`Z`: a zombie, exited
    /// but not reaped by its parent); `null` once it is gone, and for `run`,
    /// whose command's end is told by `exit_code` and `signal`.
    pub root_state: Option<String>,
    /// Cores kept busy.
    pub parallelism: Parallelism,
    /// Machine load.
    pub cpu: CpuSummary,
    /// Every thread alive at the end and the most recent exited ones, by TID.
    pub per_thread: Vec<ThreadReport>,
    /// Every process alive at the end and the most recent exited ones, by PID.
    pub per_process: Vec<ProcessReport>,
    /// `locks[]`: the futex words the threads waited on this run, most
    /// blocked time first, then a Python command's probe locks.
    pub locks: LockTable,
    /// How the command ended, for `run` (`exit_code`, `signal`, `stopped`,
    /// `log` at the top level of the JSON); absent for `watch`.
    #[serde(flatten)]
    pub run: Option<RunOutcome>,
    /// What the probes of a Python command measured (`probes`,
    /// `semaphores`, `queues`, `events`, `barriers`, `conditions`,
    /// `executors` at the top level of the JSON; its locks are in `locks`,
    /// its thread names in `per_thread[].runtime_name`), as of the last
    /// sample; absent without probes.
    #[serde(flatten, serialize_with = "python_without_locks")]
    pub python: Option<PythonProbes>,
}

/// The report's one `locks[]` list: the futex words threads of the tree
/// waited on (`pid`, `address`, `label`...), most blocked time first, then
/// the locks a Python command's probes counted (`name`, `acquires`,
/// `wait_ns`...), as the DESIGN's contract has them in one list. `null` when
/// the kernel withholds the futex words (another user's process) and no
/// probe counted a lock: unknown, not "no lock".
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct LockTable {
    /// The futex words; `None` when withheld.
    pub futex: Option<Vec<LockReport>>,
    /// A Python command's probe locks.
    pub probes: Vec<crate::python_probes::ProbeLock>,
}

impl Serialize for LockTable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        if self.futex.is_none() && self.probes.is_empty() {
            return serializer.serialize_none();
        }
        let futex = self.futex.as_deref().unwrap_or_default();
        let mut seq = serializer.serialize_seq(Some(futex.len() + self.probes.len()))?;
        for lock in futex {
            seq.serialize_element(lock)?;
        }
        for lock in &self.probes {
            seq.serialize_element(lock)?;
        }
        seq.end()
    }
}

/// The Python probes' figures but their locks (those are in `locks[]`).
#[expect(
    clippy::ref_option,
    reason = "serde's serialize_with hands the field over by reference"
)]
fn python_without_locks<S: serde::Serializer>(
    python: &Option<PythonProbes>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Section<'a> {
        probes: &'a crate::python_probes::ProbesStatus,
        semaphores: &'a [crate::python_probes::ProbeSemaphore],
        queues: &'a [crate::python_probes::ProbeQueue],
        events: &'a [crate::python_probes::ProbeEvent],
        barriers: &'a [crate::python_probes::ProbeBarrier],
        conditions: &'a [crate::python_probes::ProbeCondition],
        executors: &'a [crate::python_probes::ProbeExecutor],
    }
    python
        .as_ref()
        .map(|p| Section {
            probes: &p.probes,
            semaphores: &p.semaphores,
            queues: &p.queues,
            events: &p.events,
            barriers: &p.barriers,
            conditions: &p.conditions,
            executors: &p.executors,
        })
        .serialize(serializer)
}

/// Cumulative counters of a thread at its first and latest sample.
#[derive(Debug, Clone)]
struct ThreadTally {
    baseline: Counters,
    latest: ThreadSample,
    seen_at: u64,
    /// Its futex-wait estimate at its first sample, and when that was.
    futex_since: (Option<u64>, Duration),
    /// When its latest sample was taken.
    latest_at: Duration,
    /// The name its runtime last gave it.
    runtime_name: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Counters {
    cpu_ns: Option<u64>,
    voluntary: Option<u64>,
    nonvoluntary: Option<u64>,
    runq_ns: Option<u64>,
}

impl Counters {
    fn of(t: &ThreadSample) -> Self {
        Self {
            cpu_ns: t.cpu_time_ns,
            voluntary: t.voluntary_ctxt,
            nonvoluntary: t.nonvoluntary_ctxt,
            runq_ns: t.runq_wait_ns,
        }
    }

    /// A thread born during the window: everything it did lies inside it.
    const ZERO: Self = Self {
        cpu_ns: Some(0),
        voluntary: Some(0),
        nonvoluntary: Some(0),
        runq_ns: Some(0),
    };
}

/// Accumulates snapshots into a `WatchReport`.
#[derive(Debug, Default)]
pub(crate) struct WatchReportBuilder {
    first: Option<Duration>,
    /// The tree's CPU time at the first sample that had one, and when.
    first_cpu: Option<(u64, Duration)>,
    last: Option<Arc<Snapshot>>,
    samples: u64,
    restricted: bool,
    another_user: bool,
    parallelism_max: Option<f64>,
    core_busy: BTreeMap<usize, (f64, f64)>,
    /// The sampler's epoch the tasks below belong to.
    epoch: u64,
    /// Threads alive at the latest sample.
    threads: BTreeMap<i32, ThreadTally>,
    /// Threads gone since, most recent last, at most [`EXITED_KEPT`].
    exited_threads: VecDeque<ThreadTally>,
    /// Processes alive (or zombies) at the latest sample.
    processes: BTreeMap<i32, ProcessReport>,
    /// Processes gone since, most recent last, at most [`EXITED_KEPT`].
    exited_processes: VecDeque<ProcessReport>,
}

impl WatchReportBuilder {
    /// An empty report.
    #[must_use]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// An empty report of a command corescope started as its sampling
    /// began (`run`): the window starts at its launch, not at the first
    /// sample, and everything the tree did counts from zero, so the CPU it
    /// used before a late first sample (a loaded machine) is not lost.
    #[must_use]
    pub(crate) fn from_launch() -> Self {
        Self {
            first: Some(Duration::ZERO),
            first_cpu: Some((0, Duration::ZERO)),
            ..Self::default()
        }
    }

    /// Adds one snapshot (in order).
    pub(crate) fn add(&mut self, snapshot: impl Into<Arc<Snapshot>>) {
        let snapshot = snapshot.into();
        let first_sample = self.first.is_none();
        self.first.get_or_insert(snapshot.elapsed);
        if self.first_cpu.is_none() {
            self.first_cpu = snapshot.target.cpu_time_ns.map(|ns| (ns, snapshot.elapsed));
        }
        if snapshot.target.epoch != self.epoch {
            // A new run of the tree (the root exec'd): its tasks are the ones
            // to list, as they are the ones its peaks count.
            self.epoch = snapshot.target.epoch;
            self.threads.clear();
            self.exited_threads.clear();
            self.processes.clear();
            self.exited_processes.clear();
        }
        self.samples += 1;
        self.restricted |= snapshot.target.restricted;
        self.another_user |= snapshot.target.another_user;
        if let Some(p) = snapshot.target.parallelism {
            self.parallelism_max = Some(self.parallelism_max.map_or(p, |max| max.max(p)));
        }
        let weight = snapshot.interval.map_or(0.0, |d| d.as_secs_f64());
        for core in &snapshot.cores {
            if let Some(busy) = core.busy_pct {
                let entry = self.core_busy.entry(core.core).or_default();
                entry.0 += f64::from(busy) * weight;
                entry.1 += weight;
            }
        }
        // A name the runtime gave is kept once the thread stops being named
        // (it is ending): TIDs are handed out in turn, so one is not reused
        // between two samples.
        let names = snapshot
            .run
            .as_ref()
            .and_then(|run| run.python.as_ref())
            .map(|python| &python.names);
        for process in &snapshot.target.processes {
            let entry = self
                .processes
                .entry(process.pid)
                .or_insert_with(|| ProcessReport {
                    pid: process.pid,
                    ppid: process.ppid,
                    name: process.name.clone(),
                    runtime_name: None,
                    state: String::new(),
                    rss_kib_peak: None,
                    threads_peak: 0,
                    exited: false,
                });
            entry.name.clone_from(&process.name);
            if let Some(name) = names.and_then(|n| n.process(process.pid)) {
                entry.runtime_name = Some(name.to_owned());
            }
            entry.state = process.state.to_string();
            entry.rss_kib_peak = entry.rss_kib_peak.max(process.rss_kib);
            entry.threads_peak = entry.threads_peak.max(process.threads);
        }
        for thread in &snapshot.target.threads {
            let runtime_name = names.and_then(|n| n.thread(thread.pid, thread.tid));
            self.threads
                .entry(thread.tid)
                .and_modify(|tally| {
                    if let Some(name) = runtime_name {
                        tally.runtime_name = Some(name.to_owned());
                    }
                    tally.latest = thread.clone();
                    tally.seen_at = snapshot.seq;
                    tally.latest_at = snapshot.elapsed;
                })
                .or_insert_with(|| ThreadTally {
                    baseline: if first_sample {
                        Counters::of(thread)
                    } else {
                        Counters::ZERO
                    },
                    latest: thread.clone(),
                    seen_at: snapshot.seq,
                    futex_since: (thread.futex_wait_ns, snapshot.elapsed),
                    latest_at: snapshot.elapsed,
                    runtime_name: runtime_name.map(str::to_owned),
                });
        }
        self.retire(&snapshot);
        self.last = Some(snapshot);
    }

    /// Moves the tasks `snapshot` no longer shows to the bounded lists of
    /// exited ones.
    fn retire(&mut self, snapshot: &Snapshot) {
        let target = &snapshot.target;
        let gone: Vec<i32> = self
            .threads
            .keys()
            .filter(|tid| target.threads.iter().all(|t| t.tid != **tid))
            .copied()
            .collect();
        for tid in gone {
            if let Some(tally) = self.threads.remove(&tid) {
                push_bounded(&mut self.exited_threads, tally);
            }
        }
        let gone: Vec<i32> = self
            .processes
            .keys()
            .filter(|pid| target.processes.iter().all(|p| p.pid != **pid))
            .copied()
            .collect();
        for pid in gone {
            if let Some(process) = self.processes.remove(&pid) {
                push_bounded(&mut self.exited_processes, process);
            }
        }
    }

    /// The report over everything added. `None` if nothing was.
    #[must_use]
    pub(crate) fn finish(self, run: Option<RunOutcome>) -> Option<WatchReport> {
        let last = self.last?;
        let window = last.elapsed.saturating_sub(self.first?);
        let window_s = window.as_secs_f64();
        let mut per_thread: Vec<ThreadReport> = self
            .threads
            .values()
            .chain(&self.exited_threads)
            .map(|tally| thread_report(tally, window_s, tally.seen_at != last.seq, self.restricted))
            .collect();
        per_thread.sort_by_key(|t| t.tid);
        // The tree's own CPU time counts threads that started and ended
        // between two samples, which per-thread figures cannot see.
        let mean = last
            .target
            .cpu_time_ns
            .zip(self.first_cpu)
            .and_then(|(end, (start, at))| {
                let used_ns = end.checked_sub(start)?;
                let span_s = last.elapsed.checked_sub(at)?.as_secs_f64();
                (span_s > 0.0).then(|| used_ns as f64 / 1e9 / span_s)
            });
        let target = &last.target;
        let python = last.run.as_ref().and_then(|r| r.python.clone());
        Some(WatchReport {
            pid: target.root_pid,
            command: target.command.clone(),
            samples: self.samples,
            duration_ms: window.as_millis() as u64,
            threads: NowPeak {
                now: target.threads.len(),
                peak: target.threads_peak,
            },
            processes: NowPeak {
                now: target.processes.iter().filter(|p| p.state != 'Z').count(),
                peak: target.processes_peak,
            },
            exited_threads: target.exited_threads,
            exited_processes: target.exited_processes,
            restricted: self.restricted,
            another_user: self.another_user,
            // A `run` command that ended is held as a zombie by corescope's
            // own guardian until the last sample: its end is `exit_code`
            // and `signal`, not a parent that forgot to reap it.
            root_state: target
                .processes
                .first()
                .filter(|p| p.pid == target.root_pid && run.is_none())
                .map(|p| p.state.to_string()),
            parallelism: Parallelism {
                mean: mean.map(round2),
                max: self.parallelism_max.map(round2),
            },
            cpu: CpuSummary {
                cores: last.cores.len(),
                busy_pct: self
                    .core_busy
                    .values()
                    .map(|(sum, weight)| {
                        if *weight > 0.0 {
                            round2(sum / weight)
                        } else {
                            0.0
                        }
                    })
                    .collect(),
            },
            per_thread,
            per_process: self
                .processes
                .into_values()
                .chain(self.exited_processes)
                .map(|mut p| {
                    p.exited = !target
                        .processes
                        .iter()
                        .any(|now| now.pid == p.pid && now.state != 'Z');
                    p
                })
                .collect(),
            // Withheld at any sample: the table is unknown, not empty.
            locks: LockTable {
                futex: target
                    .locks
                    .as_ref()
                    .filter(|_| !self.restricted)
                    .map(|locks| locks.iter().map(LockReport::of).collect()),
                probes: python.as_ref().map(|p| p.locks.clone()).unwrap_or_default(),
            },
            run,
            python,
        })
    }
}

/// The thread's futex-wait time over the span it was seen, in percent.
fn futex_pct(tally: &ThreadTally) -> Option<f64> {
    let (since_ns, since) = tally.futex_since;
    let waited_ns = tally.latest.futex_wait_ns?.checked_sub(since_ns?)?;
    let span = tally.latest_at.checked_sub(since)?;
    (!span.is_zero()).then(|| round2(waited_ns as f64 * 100.0 / span.as_nanos() as f64))
}

/// Appends `item`, dropping the oldest past [`EXITED_KEPT`].
fn push_bounded<T>(list: &mut VecDeque<T>, item: T) {
    if list.len() == EXITED_KEPT {
        list.pop_front();
    }
    list.push_back(item);
}

fn thread_report(
    tally: &ThreadTally,
    window_s: f64,
    exited: bool,
    restricted: bool,
) -> ThreadReport {
    let t = &tally.latest;
    let b = tally.baseline;
    let delta = |now: Option<u64>, then: Option<u64>| now?.checked_sub(then?);
    ThreadReport {
        tid: t.tid,
        pid: t.pid,
        name: t.name.clone(),
        runtime_name: tally.runtime_name.clone(),
        cpu_pct: delta(t.cpu_time_ns, b.cpu_ns)
            .filter(|_| window_s > 0.0)
            .map(|ns| round2((ns as f64 / 1e9 / window_s * 100.0).min(100.0))),
        last_cpu: t.last_cpu,
        state: t.state.to_string(),
        voluntary_ctxt: delta(t.voluntary_ctxt, b.voluntary),
        nonvoluntary_ctxt: delta(t.nonvoluntary_ctxt, b.nonvoluntary),
        runq_wait_ms: delta(t.runq_wait_ns, b.runq_ns).map(|ns| round2(ns as f64 / 1e6)),
        wchan: t.wchan.clone(),
        // Without wait channels (another user's process) a futex wait cannot
        // be told from any other sleep: unknown, not zero.
        futex_wait_pct: futex_pct(tally).filter(|_| !restricted),
        waiting_on: t.waiting_on.filter(|_| !exited).map(|a| format!("{a:#x}")),
        exited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{snapshot, thread};

    fn with_cpu(mut t: ThreadSample, cpu_ms: u64, voluntary: u64) -> ThreadSample {
        t.cpu_time_ns = Some(cpu_ms * 1_000_000);
        t.voluntary_ctxt = Some(voluntary);
        t
    }

    #[test]
    fn figures_cover_the_window_only() {
        let mut builder = WatchReportBuilder::new();
        // A thread that already used 10 s of CPU before the window.
        builder.add(snapshot(
            0,
            [50.0, 50.0],
            vec![with_cpu(thread(1, "old", 0.0, 'R'), 10_000, 500)],
        ));
        builder.add(snapshot(
            1,
            [50.0, 50.0],
            vec![with_cpu(thread(1, "old", 80.0, 'R'), 10_400, 510)],
        ));
        builder.add(snapshot(
            2,
            [70.0, 30.0],
            vec![
                with_cpu(thread(1, "old", 80.0, 'R'), 10_800, 520),
                // Born during the window: all its 100 ms count.
                with_cpu(thread(2, "new", 0.0, 'S'), 100, 3),
            ],
        ));
        let report = builder.finish(None).expect("report");
        assert_eq!(report.samples, 3);
        assert_eq!(report.duration_ms, 1000);
        let old = &report.per_thread[0];
        assert_eq!(old.cpu_pct, Some(80.0), "800 ms of CPU in a 1 s window");
        assert_eq!(old.voluntary_ctxt, Some(20));
        let new = &report.per_thread[1];
        assert_eq!(new.cpu_pct, Some(10.0));
        assert_eq!(new.voluntary_ctxt, Some(3));
        assert!(
            (report.parallelism.mean.expect("measured") - 0.9).abs() < 1e-9,
            "(800 + 100) ms over 1 s"
        );
        assert_eq!(report.threads, NowPeak { now: 2, peak: 2 });
        assert_eq!(
            report.cpu.busy_pct,
            [60.0, 40.0],
            "weighted by interval, first tick has none"
        );
    }

    #[test]
    fn a_launched_command_counts_from_its_launch_not_its_first_sample() {
        // The first sample came late (0.5 s, a loaded machine), when the
        // command had already used 450 ms of CPU; by 1 s it had used 800 ms.
        let samples = || {
            [(1, 450), (2, 800)].map(|(seq, ms)| {
                snapshot(
                    seq,
                    [50.0, 50.0],
                    vec![with_cpu(thread(1, "cmd", 0.0, 'R'), ms, 1)],
                )
            })
        };
        let mut watched = WatchReportBuilder::new();
        let mut launched = WatchReportBuilder::from_launch();
        for (a, b) in samples().into_iter().zip(samples()) {
            watched.add(a);
            launched.add(b);
        }
        let watched = watched.finish(None).expect("report");
        let launched = launched.finish(None).expect("report");
        assert_eq!(watched.duration_ms, 500, "watch: from the first sample");
        assert_eq!(launched.duration_ms, 1000, "run: from the launch");
        assert!(
            (launched.parallelism.mean.expect("measured") - 0.8).abs() < 1e-9,
            "expected all 800 ms of CPU over the command's 1 s, got {:?}",
            launched.parallelism.mean
        );
        assert_eq!(launched.per_thread[0].cpu_pct, Some(80.0));
    }

    #[test]
    fn a_thread_gone_by_the_end_is_kept_and_marked() {
        let mut builder = WatchReportBuilder::new();
        builder.add(snapshot(
            0,
            [1.0, 1.0],
            vec![thread(1, "a", 0.0, 'S'), thread(2, "b", 0.0, 'S')],
        ));
        builder.add(snapshot(1, [1.0, 1.0], vec![thread(1, "a", 0.0, 'S')]));
        let report = builder.finish(None).expect("report");
        assert_eq!(report.per_thread.len(), 2);
        assert!(!report.per_thread[0].exited);
        assert!(report.per_thread[1].exited);
        assert_eq!(report.threads.now, 1);
    }

    #[test]
    fn json_has_the_contract_keys() {
        let mut builder = WatchReportBuilder::new();
        builder.add(snapshot(0, [1.0, 1.0], vec![thread(1, "a", 0.0, 'S')]));
        let json = serde_json::to_value(builder.finish(None).expect("report")).expect("json");
        for key in [
            "pid",
            "command",
            "samples",
            "duration_ms",
            "threads",
            "processes",
            "parallelism",
            "cpu",
            "per_thread",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert!(
            json.get("exit_code").is_none(),
            "only `run` reports an exit code"
        );
        assert_eq!(json["per_process"][0]["state"], "S");
        let row = &json["per_thread"][0];
        for key in [
            "tid",
            "name",
            "cpu_pct",
            "last_cpu",
            "state",
            "voluntary_ctxt",
            "nonvoluntary_ctxt",
            "runq_wait_ms",
        ] {
            assert!(row.get(key).is_some(), "missing per_thread.{key}");
        }
        assert!(json["threads"].get("now").is_some() && json["threads"].get("peak").is_some());
        assert!(json["cpu"]["busy_pct"].is_array());
    }

    #[test]
    fn a_run_report_says_how_the_command_ended_and_counts_futex_waits() {
        let mut builder = WatchReportBuilder::new();
        // Thread 1's estimate grows by 400 ms, then 250 ms, over two 500 ms
        // ticks; thread 2, seen once, has no span to measure.
        let waited = |ms: u64| {
            let mut t = thread(1, "a", 0.0, 'S');
            t.futex_wait_ns = Some(ms * 1_000_000);
            t
        };
        builder.add(snapshot(0, [1.0, 1.0], vec![waited(1_000)]));
        builder.add(snapshot(1, [1.0, 1.0], vec![waited(1_400)]));
        builder.add(snapshot(
            2,
            [1.0, 1.0],
            vec![waited(1_650), thread(2, "b", 9.0, 'R')],
        ));
        let exit = crate::snapshot::RunExit {
            code: None,
            signal: Some("SIGKILL".to_owned()),
        };
        let outcome = RunOutcome::new(Some(&exit), false, None);
        let report = builder.finish(Some(outcome)).expect("report");
        assert_eq!(report.per_thread[0].futex_wait_pct, Some(65.0));
        assert_eq!(
            report.per_thread[1].futex_wait_pct, None,
            "seen once: not measured"
        );
        assert!(!report.restricted);
        let json = serde_json::to_value(&report).expect("json");
        assert!(json["exit_code"].is_null() && json.get("exit_code").is_some());
        assert_eq!(json["signal"], "SIGKILL");
        assert_eq!(json["stopped"], false);
        assert!(report.to_text().contains("killed by SIGKILL"));
    }

    #[test]
    fn locks_withheld_at_any_sample_are_unknown_and_waiting_on_is_an_address() {
        let mut waiting = thread(1, "a", 0.0, 'S');
        waiting.waiting_on = Some(0x1040);
        let mut builder = WatchReportBuilder::new();
        builder.add(snapshot(0, [1.0, 1.0], vec![waiting.clone()]));
        let report = builder.finish(None).expect("report");
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["locks"], serde_json::json!([]), "known and empty");
        assert_eq!(json["per_thread"][0]["waiting_on"], "0x1040");

        let mut builder = WatchReportBuilder::new();
        let mut withheld = snapshot(0, [1.0, 1.0], vec![waiting.clone()]);
        withheld.target.restricted = true;
        withheld.target.locks = None;
        builder.add(withheld);
        // The root exits: the last sample reads nothing withheld.
        builder.add(snapshot(1, [1.0, 1.0], vec![waiting]));
        let report = builder.finish(None).expect("report");
        let json = serde_json::to_value(&report).expect("json");
        assert!(
            json["locks"].is_null(),
            "unknown, not empty: {}",
            json["locks"]
        );
        assert!(report.to_text().contains("locks        unknown"));
    }

    #[test]
    fn a_tree_gone_before_a_second_reading_is_not_measured_not_zero() {
        let mut builder = WatchReportBuilder::new();
        builder.add(snapshot(0, [1.0, 1.0], vec![thread(1, "a", 0.0, 'S')]));
        let report = builder.finish(None).expect("report");
        assert_eq!(report.parallelism.mean, None);
        assert_eq!(report.parallelism.max, None);
        let json = serde_json::to_value(&report).expect("json");
        assert!(json["parallelism"]["mean"].is_null(), "{json}");
        let text = report.to_text();
        assert!(
            text.contains("parallelism  ? cores mean, ? max   (not measured"),
            "{text}"
        );
    }

    #[test]
    fn exited_threads_are_counted_and_only_the_latest_listed() {
        let mut builder = WatchReportBuilder::new();
        for seq in 0..1_000_u64 {
            let tid = 100 + seq as i32;
            let mut snap = snapshot(
                seq,
                [1.0, 1.0],
                vec![thread(1, "main", 0.0, 'S'), thread(tid, "w", 1.0, 'R')],
            );
            snap.target.exited_threads = seq;
            builder.add(snap);
        }
        assert!(builder.threads.len() <= 2 && builder.exited_threads.len() <= EXITED_KEPT);
        let report = builder.finish(None).expect("report");
        assert_eq!(report.exited_threads, 999);
        assert_eq!(report.per_thread.len(), 2 + EXITED_KEPT);
        assert!(report.per_thread.iter().any(|t| t.tid == 1099 && !t.exited));
    }

    #[test]
    fn a_new_epoch_lists_only_its_own_tasks() {
        let mut builder = WatchReportBuilder::new();
        builder.add(snapshot(
            0,
            [1.0, 1.0],
            vec![thread(1, "bash", 0.0, 'S'), thread(2, "bash", 0.0, 'S')],
        ));
        let mut after_exec = snapshot(1, [1.0, 1.0], vec![thread(1, "python3", 50.0, 'R')]);
        after_exec.target.epoch = 1;
        builder.add(after_exec);
        let report = builder.finish(None).expect("report");
        let names: Vec<&str> = report.per_thread.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["python3"]);
    }

    #[test]
    fn nothing_added_is_no_report() {
        assert!(WatchReportBuilder::new().finish(None).is_none());
    }
}
