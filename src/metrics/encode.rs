//! The metric families, written from the newest [`Frame`] at each scrape.
//!
//! Units are in the names (`_seconds`, `_bytes`, `_ratio`); counters get
//! `_total` from the encoder. A family with no known value is left out
//! whole; a value the frame does not know is never written as 0.
//! Cardinality is bounded: per core, the top N threads (plus `other`
//! families), and a demo's few probes.

use std::fmt::Error;
use std::sync::Arc;

use corescope_demos::probes::HistogramSummary;
use corescope_demos::probes::histogram::COARSE_EDGE_BITS;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

use super::frame::{DemoProbes, Frame, Machine, Others, Tree};

/// Labels of one series: (name, value) pairs.
type Labels = Vec<(&'static str, String)>;

/// Reads the newest frame at each scrape.
#[derive(Debug)]
pub(crate) struct NewestFrame(pub watch::Receiver<Option<Arc<Frame>>>);

impl Collector for NewestFrame {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), Error> {
        // Clone the Arc out: the sampler is not held up while we write.
        let frame = self.0.borrow().clone();
        match frame {
            Some(frame) => write_frame(&frame, &mut encoder),
            None => Ok(()),
        }
    }
}

/// The text formats a scrape may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// OpenMetrics 1.0 text (what Prometheus asks for).
    OpenMetrics,
    /// The Prometheus text format 0.0.4 (for clients that do not ask for
    /// OpenMetrics: `curl`, `promtool check metrics`).
    PrometheusText,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when it names
    /// it, the classic text format otherwise (as Prometheus's own client
    /// libraries do).
    pub(super) fn negotiate(accept: Option<&str>) -> Self {
        if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
            Self::OpenMetrics
        } else {
            Self::PrometheusText
        }
    }

    /// Its `Content-Type`.
    pub(super) const fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Self::PrometheusText => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        }
    }
}

/// The text of `frames`' newest frame in `format` (no series before the
/// first frame).
pub(crate) fn exposition(
    frames: &watch::Receiver<Option<Arc<Frame>>>,
    format: Format,
) -> Result<String, Error> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(NewestFrame(frames.clone())));
    let mut text = String::new();
    match format {
        Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut text, &registry)?,
        Format::PrometheusText => {
            prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)?;
        }
    }
    Ok(text)
}

fn write_frame(frame: &Frame, out: &mut DescriptorEncoder) -> Result<(), Error> {
    let cores = frame
        .cores
        .iter()
        .map(|(core, ratio)| (vec![("core", core.to_string())], *ratio));
    gauges(
        out,
        "corescope_cpu_core_busy_ratio",
        "Share of the last interval each logical CPU was busy (not idle, not waiting on I/O), 0 to 1.",
        cores,
    )?;
    if let Some(memory) = frame.memory {
        gauge(
            out,
            "corescope_memory_total_bytes",
            "Machine RAM in total.",
            memory.total_bytes,
        )?;
        gauge(
            out,
            "corescope_memory_used_bytes",
            "Machine RAM in use (total minus available).",
            memory.used_bytes,
        )?;
    }
    if let Some(tree) = &frame.tree {
        write_tree(tree, out)?;
    }
    if let Some(machine) = &frame.machine {
        write_machine(machine, out)?;
    }
    Ok(())
}

fn write_tree(frame: &Tree, out: &mut DescriptorEncoder) -> Result<(), Error> {
    gauge(
        out,
        "corescope_tree_root_pid",
        "PID of the process the watched tree hangs from.",
        i64::from(frame.root_pid),
    )?;
    gauge(
        out,
        "corescope_tree_threads",
        "Threads alive in the watched tree.",
        frame.threads as u64,
    )?;
    gauge(
        out,
        "corescope_tree_processes",
        "Processes alive in the watched tree.",
        frame.processes as u64,
    )?;
    if let Some(parallelism) = frame.parallelism {
        gauge(
            out,
            "corescope_tree_parallelism_cores",
            "Mean number of cores the watched tree kept busy over the last interval.",
            parallelism,
        )?;
    }
    if let Some(ns) = frame.cpu_ns {
        counter(
            out,
            "corescope_tree_cpu_seconds",
            "CPU time the watched tree used as far as seen, exited tasks included.",
            seconds(ns),
        )?;
    }
    write_threads(frame, out)?;
    if let Some(other) = &frame.other {
        write_others(other, out)?;
    }
    if let Some(demo) = &frame.demo {
        write_demo(demo, out)?;
    }
    Ok(())
}

fn write_threads(frame: &Tree, out: &mut DescriptorEncoder) -> Result<(), Error> {
    let labels = |t: &crate::snapshot::ThreadSample| {
        vec![
            ("pid", t.pid.to_string()),
            ("tid", t.tid.to_string()),
            ("name", t.name.clone()),
        ]
    };
    let each = |field: fn(&crate::snapshot::ThreadSample) -> Option<u64>| {
        frame
            .top
            .iter()
            .filter_map(move |t| Some((labels(t), field(t)?)))
    };
    counters(
        out,
        "corescope_thread_cpu_seconds",
        "CPU time of each top thread (by CPU time) since it started.",
        each(|t| t.cpu_time_ns).map(|(l, ns)| (l, seconds(ns))),
    )?;
    counters(
        out,
        "corescope_thread_runq_wait_seconds",
        "Time each top thread spent runnable but waiting for a CPU, since it started.",
        each(|t| t.runq_wait_ns).map(|(l, ns)| (l, seconds(ns))),
    )?;
    counters(
        out,
        "corescope_thread_voluntary_context_switches",
        "Voluntary context switches of each top thread (it blocked), since it started.",
        each(|t| t.voluntary_ctxt),
    )?;
    counters(
        out,
        "corescope_thread_involuntary_context_switches",
        "Involuntary context switches of each top thread (it was preempted), since it started.",
        each(|t| t.nonvoluntary_ctxt),
    )?;
    counters(
        out,
        "corescope_thread_futex_wait_seconds",
        "Time each top thread slept in futex waits (locks, conditions, joins) since first seen, estimated from its off-CPU time and wait channels.",
        each(|t| t.futex_wait_ns).map(|(l, ns)| (l, seconds(ns))),
    )
}

/// The threads outside the top N: gauges, for a thread moving into the top
/// N (or exiting) takes its share out of these sums.
fn write_others(other: &Others, out: &mut DescriptorEncoder) -> Result<(), Error> {
    gauge(
        out,
        "corescope_other_threads",
        "Threads of the tree outside the top N exported one by one (--metrics-top).",
        other.threads as u64,
    )?;
    let sums = [
        (
            "corescope_other_threads_cpu_seconds",
            "CPU time of the threads outside the top N, summed (a gauge: threads move in and out of the set).",
            other.cpu_ns.map(seconds),
        ),
        (
            "corescope_other_threads_runq_wait_seconds",
            "Run-queue wait of the threads outside the top N, summed.",
            other.runq_wait_ns.map(seconds),
        ),
        (
            "corescope_other_threads_voluntary_context_switches",
            "Voluntary context switches of the threads outside the top N, summed.",
            other.voluntary.map(|n| n as f64),
        ),
        (
            "corescope_other_threads_involuntary_context_switches",
            "Involuntary context switches of the threads outside the top N, summed.",
            other.involuntary.map(|n| n as f64),
        ),
        (
            "corescope_other_threads_futex_wait_seconds",
            "Futex-wait time of the threads outside the top N, summed.",
            other.futex_wait_ns.map(seconds),
        ),
    ];
    for (name, help, value) in sums {
        if let Some(value) = value {
            gauge(out, name, help, value)?;
        }
    }
    Ok(())
}

fn write_demo(demo: &DemoProbes, out: &mut DescriptorEncoder) -> Result<(), Error> {
    let label =
        |kind: &'static str, name: &str| vec![("demo", demo.name.clone()), (kind, name.to_owned())];
    let locks = |f: fn(&corescope_demos::probes::LockReport) -> u64| {
        demo.locks
            .iter()
            .map(move |l| (label("lock", &l.name), f(l)))
    };
    histograms(
        out,
        "corescope_lock_wait_seconds",
        "Time each acquire of a demo's lock waited for it (buckets: the probe's own layout, every other power of two of nanoseconds).",
        demo.locks.iter().map(|l| (label("lock", &l.name), l.wait)),
    )?;
    histograms(
        out,
        "corescope_lock_hold_seconds",
        "Time a demo's lock was held, per acquire.",
        demo.locks.iter().map(|l| (label("lock", &l.name), l.hold)),
    )?;
    counters(
        out,
        "corescope_lock_acquires",
        "Acquires of a demo's lock.",
        locks(|l| l.acquires),
    )?;
    counters(
        out,
        "corescope_lock_contended_acquires",
        "Acquires of a demo's lock that found it taken and waited.",
        locks(|l| l.contended),
    )?;
    gauges(
        out,
        "corescope_lock_waiters",
        "Threads waiting for a demo's lock now.",
        locks(|l| u64::from(l.waiting_now)),
    )?;
    let semaphores = |f: fn(&corescope_demos::probes::SemaphoreReport) -> u32| {
        demo.semaphores
            .iter()
            .map(move |s| (label("semaphore", &s.name), u64::from(f(s))))
    };
    gauges(
        out,
        "corescope_semaphore_permits",
        "Permits of a demo's semaphore.",
        semaphores(|s| s.permits),
    )?;
    gauges(
        out,
        "corescope_semaphore_in_use",
        "Permits of a demo's semaphore held now.",
        semaphores(|s| s.in_use),
    )?;
    gauges(
        out,
        "corescope_semaphore_waiters",
        "Threads waiting for a permit of a demo's semaphore now.",
        semaphores(|s| s.waiters),
    )?;
    histograms(
        out,
        "corescope_semaphore_wait_seconds",
        "Time each acquire of a demo's semaphore waited for a permit.",
        demo.semaphores
            .iter()
            .map(|s| (label("semaphore", &s.name), s.wait)),
    )?;
    let queues = |f: fn(&corescope_demos::probes::QueueReport) -> u64| {
        demo.queues
            .iter()
            .map(move |q| (label("queue", &q.name), f(q)))
    };
    gauges(
        out,
        "corescope_queue_depth",
        "Items in a demo's queue now (sent minus received).",
        queues(|q| q.depth),
    )?;
    gauges(
        out,
        "corescope_queue_capacity",
        "Most items a demo's queue holds.",
        queues(|q| q.capacity),
    )?;
    counters(
        out,
        "corescope_queue_sent",
        "Items sent into a demo's queue.",
        queues(|q| q.sent),
    )?;
    counters(
        out,
        "corescope_queue_received",
        "Items received from a demo's queue.",
        queues(|q| q.received),
    )
}

/// `watch --all`: the machine's counts and its top processes.
fn write_machine(machine: &Machine, out: &mut DescriptorEncoder) -> Result<(), Error> {
    gauge(
        out,
        "corescope_machine_processes",
        "Processes on the machine (those /proc lets corescope read).",
        machine.processes as u64,
    )?;
    gauge(
        out,
        "corescope_machine_threads",
        "Threads of those processes, summed.",
        machine.threads,
    )?;
    let labels = |p: &crate::sampler::machine::ProcessLoad| {
        vec![("pid", p.pid.to_string()), ("name", p.name.clone())]
    };
    counters(
        out,
        "corescope_process_cpu_seconds",
        "CPU time of each top process (by CPU over the last interval) since it started, at clock-tick resolution.",
        machine
            .top
            .iter()
            .map(|p| (labels(p), seconds(p.cpu_time_ns))),
    )?;
    gauges(
        out,
        "corescope_process_cores",
        "Mean number of cores each top process kept busy over the last interval.",
        machine
            .top
            .iter()
            .filter_map(|p| Some((labels(p), p.cores?))),
    )?;
    gauges(
        out,
        "corescope_process_threads",
        "Threads of each top process.",
        machine.top.iter().map(|p| (labels(p), p.threads)),
    )?;
    gauge(
        out,
        "corescope_other_processes",
        "Processes outside the top N exported one by one (--metrics-top).",
        machine.other_processes as u64,
    )?;
    gauge(
        out,
        "corescope_other_processes_cores",
        "Cores the processes outside the top N kept busy over the last interval, summed over those seen at the tick before too.",
        machine.other_cores,
    )
}

fn seconds(ns: u64) -> f64 {
    ns as f64 / 1e9
}

fn gauge(
    out: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: impl EncodeGaugeValue + Copy,
) -> Result<(), Error> {
    out.encode_descriptor(name, help, None, MetricType::Gauge)?
        .encode_gauge(&value)
}

fn counter(
    out: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: impl EncodeCounterValue + Copy,
) -> Result<(), Error> {
    out.encode_descriptor(name, help, None, MetricType::Counter)?
        .encode_counter::<NoLabelSet, _, u64>(&value, None)
}

/// A labelled gauge family; left out when it has no series.
fn gauges<V: EncodeGaugeValue>(
    out: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl Iterator<Item = (Labels, V)>,
) -> Result<(), Error> {
    let series: Vec<_> = series.collect();
    if series.is_empty() {
        return Ok(());
    }
    let mut family = out.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in &series {
        family.encode_family(labels)?.encode_gauge(value)?;
    }
    Ok(())
}

/// A labelled counter family; left out when it has no series.
fn counters<V: EncodeCounterValue>(
    out: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl Iterator<Item = (Labels, V)>,
) -> Result<(), Error> {
    let series: Vec<_> = series.collect();
    if series.is_empty() {
        return Ok(());
    }
    let mut family = out.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in &series {
        family
            .encode_family(labels)?
            .encode_counter::<NoLabelSet, _, u64>(value, None)?;
    }
    Ok(())
}

/// A labelled histogram family in seconds from the probes' summaries;
/// left out when it has no series.
fn histograms(
    out: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl Iterator<Item = (Labels, HistogramSummary)>,
) -> Result<(), Error> {
    let series: Vec<_> = series.collect();
    if series.is_empty() {
        return Ok(());
    }
    let mut family = out.encode_descriptor(name, help, None, MetricType::Histogram)?;
    for (labels, summary) in &series {
        let (buckets, count) = buckets(summary);
        family
            .encode_family(labels)?
            .encode_histogram::<NoLabelSet>(seconds(summary.sum_ns), count, &buckets, None)?;
    }
    Ok(())
}

/// The summary's coarse buckets as (upper bound in seconds, count in that
/// bucket), the outliers in `+Inf`, and their total (the `_count`, made
/// from the same copy so the `+Inf` bucket equals it). A bucket holds the
/// values below `2^k` ns: whole nanoseconds up to `2^k - 1`, its bound.
pub(crate) fn buckets(summary: &HistogramSummary) -> (Vec<(f64, u64)>, u64) {
    let mut buckets: Vec<(f64, u64)> = COARSE_EDGE_BITS
        .iter()
        .zip(summary.coarse)
        .map(|(bits, n)| (seconds((1_u64 << bits) - 1), n))
        .collect();
    buckets.push((f64::INFINITY, summary.outliers));
    let count = buckets.iter().map(|(_, n)| n).sum();
    (buckets, count)
}
