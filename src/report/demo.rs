//! The report of `demo NAME --headless`: what the demo's probes measured,
//! what corescope's own process tree did meanwhile, and the demo's outcome.

use std::fmt::Write as _;

use corescope_widgets::format_ns;
use serde::Serialize;

use corescope_demos::catalog::{Kind, Mode};
use corescope_demos::outcome::{Outcome, Verdict};
use corescope_demos::probes::{HistogramSummary, ProbeReport};
use corescope_demos::run::DemoSample;

use super::round2;
use super::watch::{CpuSummary, Parallelism, WatchReport};

/// Mean peak RSS of the tree's processes other than corescope itself (the
/// worker processes); `None` when there were none.
fn worker_rss_kib(tree: &WatchReport) -> Option<f64> {
    let rss: Vec<u64> = tree
        .per_process
        .iter()
        .filter(|p| p.pid != tree.pid)
        .filter_map(|p| p.rss_kib_peak)
        .collect();
    (!rss.is_empty()).then(|| round2(rss.iter().sum::<u64>() as f64 / rss.len() as f64))
}

/// Total and finished tasks.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct TaskCounts {
    /// Tasks the demo set out to run.
    pub total: u64,
    /// Tasks finished.
    pub done: u64,
}

/// A peak count.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct Peak {
    /// Most seen at one sample.
    pub peak: usize,
}

/// A distribution of durations, in nanoseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct Durations {
    /// Values recorded.
    pub count: u64,
    /// Mean.
    pub mean: u64,
    /// Median (within 6.25%).
    pub p50: u64,
    /// 99th percentile (within 6.25%).
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

impl From<HistogramSummary> for Durations {
    fn from(h: HistogramSummary) -> Self {
        Self {
            count: h.count,
            mean: h.mean_ns,
            p50: h.p50_ns,
            p99: h.p99_ns,
            max: h.max_ns,
        }
    }
}

/// One lock.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct LockEntry {
    /// Name.
    pub name: String,
    /// Acquires.
    pub acquires: u64,
    /// Acquires that waited.
    pub contended: u64,
    /// Waits of contended acquires.
    pub wait_ns: Durations,
    /// Hold times (every contended acquire, a sample of the others).
    pub hold_ns: Durations,
}

/// One semaphore.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct SemaphoreEntry {
    /// Name.
    pub name: String,
    /// Permits.
    pub permits: u32,
    /// Most permits held at once.
    pub peak_in_use: u32,
    /// Most workers waiting at once.
    pub peak_waiters: u32,
    /// Waits of acquires that had to wait.
    pub wait_ns: Durations,
}

/// One queue.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct QueueEntry {
    /// Name.
    pub name: String,
    /// Capacity.
    pub capacity: u64,
    /// Most items at once.
    pub peak_depth: u64,
    /// Items sent.
    pub sent: u64,
    /// Items received.
    pub received: u64,
    /// Time senders were blocked on a full queue, ns.
    pub send_blocked_ns: u64,
    /// Time receivers were blocked on an empty queue, ns.
    pub recv_blocked_ns: u64,
}

/// The whole demo report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct DemoReport {
    /// Demo name.
    pub demo: &'static str,
    /// Mode it ran in.
    pub mode: Mode,
    /// Kind of its tasks, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Workers at the end.
    pub workers: usize,
    /// Wall time of the run, milliseconds.
    pub elapsed_ms: u64,
    /// Task counts.
    pub tasks: TaskCounts,
    /// Threads of corescope's process tree.
    pub threads: Peak,
    /// Processes of corescope's process tree.
    pub processes: Peak,
    /// Cores the tree kept busy.
    pub parallelism: Parallelism,
    /// Machine load.
    pub cpu: CpuSummary,
    /// Locks.
    pub locks: Vec<LockEntry>,
    /// Semaphores.
    pub semaphores: Vec<SemaphoreEntry>,
    /// Queues.
    pub queues: Vec<QueueEntry>,
    /// The demo's own outcome.
    pub result: Option<Outcome>,
    /// Why the run failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// True when corescope stopped the round before it finished
    /// (`--duration`, Ctrl-C): the figures are of part of a round.
    pub stopped: bool,
    /// Workers that failed while the run went on (a crashed process, with
    /// its exit status or signal).
    pub failures: Vec<String>,
    /// What the workers cost.
    pub overhead: Overhead,
}

/// What the workers cost: time to start one, memory each, bytes between
/// processes. `null` where it does not apply or was not measured.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub(crate) struct Overhead {
    /// Workers whose start was timed.
    pub workers_started: u64,
    /// Mean time from asking for a worker to it running, microseconds.
    pub start_us_per_worker: Option<f64>,
    /// Longest such time, microseconds.
    pub start_us_max: Option<f64>,
    /// Mean of each worker process's peak resident memory, KiB (processes
    /// mode; a thread's memory cannot be told apart from its process's).
    pub rss_kib_per_worker: Option<f64>,
    /// Bytes worker processes sent each other (processes mode).
    pub ipc_bytes: Option<u64>,
}

impl DemoReport {
    /// Joins the demo's last sample with the process tree's report.
    #[must_use]
    pub(crate) fn new(demo: DemoSample, tree: &WatchReport) -> Self {
        let ProbeReport {
            locks,
            semaphores,
            queues,
            tasks,
            ..
        } = demo.probes;
        Self {
            demo: demo.name,
            mode: demo.mode,
            kind: demo.kind,
            workers: demo.workers,
            elapsed_ms: demo.elapsed.as_millis() as u64,
            tasks: tasks.map_or(TaskCounts { total: 0, done: 0 }, |t| TaskCounts {
                total: t.total,
                done: t.done,
            }),
            threads: Peak {
                peak: tree.threads.peak,
            },
            processes: Peak {
                peak: tree.processes.peak,
            },
            parallelism: tree.parallelism,
            cpu: tree.cpu.clone(),
            locks: locks
                .into_iter()
                .map(|l| LockEntry {
                    name: l.name,
                    acquires: l.acquires,
                    contended: l.contended,
                    wait_ns: l.wait.into(),
                    hold_ns: l.hold.into(),
                })
                .collect(),
            semaphores: semaphores
                .into_iter()
                .map(|s| SemaphoreEntry {
                    name: s.name,
                    permits: s.permits,
                    peak_in_use: s.peak_in_use,
                    peak_waiters: s.peak_waiters,
                    wait_ns: s.wait.into(),
                })
                .collect(),
            queues: queues
                .into_iter()
                .map(|q| QueueEntry {
                    name: q.name,
                    capacity: q.capacity,
                    peak_depth: q.peak_depth,
                    sent: q.sent,
                    received: q.received,
                    send_blocked_ns: q.send_blocked_ns,
                    recv_blocked_ns: q.recv_blocked_ns,
                })
                .collect(),
            result: demo.outcome,
            error: demo.error,
            stopped: false,
            failures: demo.failures,
            overhead: Overhead {
                workers_started: demo.start_latency.map_or(0, |s| s.workers),
                start_us_per_worker: demo.start_latency.map(|s| round2(s.mean_ns as f64 / 1e3)),
                start_us_max: demo.start_latency.map(|s| round2(s.max_ns as f64 / 1e3)),
                rss_kib_per_worker: worker_rss_kib(tree),
                ipc_bytes: demo.ipc_bytes,
            },
        }
    }

    /// The same report, marked stopped before the round finished or not.
    #[must_use]
    pub(crate) fn stopped(self, stopped: bool) -> Self {
        Self { stopped, ..self }
    }

    /// A short table for a terminal or a paste.
    #[must_use]
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        let kind = self
            .kind
            .map_or(String::new(), |k| format!(", {} tasks", k.name()));
        let _ = writeln!(
            out,
            "demo {} ({} mode{kind}): {} workers, {:.2} s",
            self.demo,
            self.mode.name(),
            self.workers,
            self.elapsed_ms as f64 / 1000.0
        );
        if self.stopped {
            let _ = writeln!(
                out,
                "stopped      before the round finished (--duration or a signal): \
                 the figures are of part of a round"
            );
        }
        let _ = writeln!(
            out,
            "tasks        {} of {} done",
            self.tasks.done, self.tasks.total
        );
        let _ = writeln!(
            out,
            "parallelism  {} cores mean, {} max   threads peak {}, processes peak {}",
            super::figure2(self.parallelism.mean),
            super::figure2(self.parallelism.max),
            self.threads.peak,
            self.processes.peak
        );
        for lock in &self.locks {
            let _ = writeln!(
                out,
                "lock `{}`  {} acquires, {} waited; wait p50 {}, p99 {}, max {}",
                lock.name,
                lock.acquires,
                lock.contended,
                format_ns(lock.wait_ns.p50),
                format_ns(lock.wait_ns.p99),
                format_ns(lock.wait_ns.max)
            );
        }
        for s in &self.semaphores {
            let _ = writeln!(
                out,
                "semaphore `{}`  {} permits, peak in use {}, peak waiters {}",
                s.name, s.permits, s.peak_in_use, s.peak_waiters
            );
        }
        for q in &self.queues {
            let _ = writeln!(
                out,
                "queue `{}`  capacity {}, peak depth {}, sent {}, received {}",
                q.name, q.capacity, q.peak_depth, q.sent, q.received
            );
        }
        if let Some(result) = &self.result {
            let _ = writeln!(
                out,
                "\n  {:<18} {:>12} {:>12}",
                "result", "expected", "actual"
            );
            for line in result.lines() {
                let mark = match line.verdict {
                    Verdict::Good => "ok",
                    Verdict::Bad => "!!",
                    Verdict::Neutral => "  ",
                };
                let _ = writeln!(
                    out,
                    "{mark} {:<18} {:>12} {:>12}  {}",
                    line.label, line.expected, line.actual, line.note
                );
            }
        }
        let o = &self.overhead;
        if let Some(start) = o.start_us_per_worker {
            let _ = write!(
                out,
                "\nstart cost   {start:.0} µs per worker ({} started)",
                o.workers_started
            );
            if let Some(rss) = o.rss_kib_per_worker {
                let _ = write!(out, ", {rss:.0} KiB each");
            }
            if let Some(bytes) = o.ipc_bytes.filter(|b| *b > 0) {
                let _ = write!(out, ", {bytes} bytes between processes");
            }
            let _ = writeln!(out);
        }
        for failure in &self.failures {
            let _ = writeln!(out, "failed: {failure}");
        }
        if let Some(error) = &self.error {
            let _ = writeln!(out, "error: {error}");
        }
        out
    }
}
