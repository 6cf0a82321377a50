//! What a round of a demo showed: the report's `result{...}` and the lines of
//! the dashboard's result panel.
//!
//! Each demo defines its own outcome type beside its code; this module only
//! gathers them, so the report serialises whichever one a demo produced and
//! the screen gets the same "expected vs actual" lines from every demo.

use serde::{Deserialize, Serialize};

use crate::demos::{
    bank::BankOutcome, barrier::BarrierOutcome, combine::CombineOutcome,
    condition::ConditionOutcome, event::EventOutcome, lock_contention::ContentionOutcome,
    manager::ManagerOutcome, pipe::PipeOutcome, producer_consumer::QueueOutcome, race::RaceOutcome,
    rlock::RLockOutcome, scaling::ScalingOutcome, semaphore::SemaphoreOutcome,
    separate_memory::SeparateMemoryOutcome, shared_value::SharedValueOutcome,
    thread_pool::PoolOutcome, threads::ThreadsOutcome,
};
use crate::probes::HistogramSummary;

/// A distribution of latencies in an outcome, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Latency {
    /// Values measured.
    pub count: u64,
    /// Mean, microseconds.
    pub mean_us: f64,
    /// Median, microseconds (within 6.25%).
    pub p50_us: f64,
    /// 99th percentile, microseconds (within 6.25%).
    pub p99_us: f64,
    /// Longest, microseconds.
    pub max_us: f64,
}

impl From<HistogramSummary> for Latency {
    fn from(h: HistogramSummary) -> Self {
        let us = |ns: u64| ns as f64 / 1e3;
        Self {
            count: h.count,
            mean_us: us(h.mean_ns),
            p50_us: us(h.p50_ns),
            p99_us: us(h.p99_ns),
            max_us: us(h.max_ns),
        }
    }
}

impl Latency {
    /// `mean / p99 µs`, for a result line (µs, as every other screen
    /// writes microseconds).
    #[must_use]
    pub fn mean_and_p99(&self) -> String {
        format!("{:.1} / {:.1} µs", self.mean_us, self.p99_us)
    }
}

/// Whether a line of the result panel shows the concept's good or bad case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    /// Correct, as expected (a locked counter that matches).
    Good,
    /// The failure the demo is about (lost updates, an overdraft).
    Bad,
    /// A figure, neither good nor bad.
    Neutral,
}

/// One line of the result panel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResultLine {
    /// What the line is about ("unsynchronized", "map order").
    pub label: String,
    /// What a correct program would give.
    pub expected: String,
    /// What this round measured.
    pub actual: String,
    /// Good, bad or neither.
    pub verdict: Verdict,
    /// A short explanation ("lost 687123 updates").
    pub note: String,
}

impl ResultLine {
    /// A line comparing an expected and an actual value.
    // By value, so that callers pass numbers and strings as they are.
    #[allow(clippy::needless_pass_by_value)]
    #[must_use]
    pub fn compare(
        label: &str,
        expected: impl ToString,
        actual: impl ToString,
        good: bool,
        note: String,
    ) -> Self {
        Self {
            label: label.to_owned(),
            expected: expected.to_string(),
            actual: actual.to_string(),
            verdict: if good { Verdict::Good } else { Verdict::Bad },
            note,
        }
    }

    /// A line with one measured figure.
    // By value, as in `compare`.
    #[allow(clippy::needless_pass_by_value)]
    #[must_use]
    pub fn figure(label: &str, actual: impl ToString, note: String) -> Self {
        Self {
            label: label.to_owned(),
            expected: String::new(),
            actual: actual.to_string(),
            verdict: Verdict::Neutral,
            note,
        }
    }
}

/// The outcome of one round of any demo.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    /// `threads`.
    Threads(ThreadsOutcome),
    /// `race`.
    Race(RaceOutcome),
    /// `bank`.
    Bank(BankOutcome),
    /// `lock-contention`.
    Contention(ContentionOutcome),
    /// `rlock`.
    RLock(RLockOutcome),
    /// `condition`.
    Condition(ConditionOutcome),
    /// `event`.
    Event(EventOutcome),
    /// `barrier`.
    Barrier(BarrierOutcome),
    /// `thread-pool`.
    ThreadPool(PoolOutcome),
    /// `semaphore`.
    Semaphore(SemaphoreOutcome),
    /// `producer-consumer`.
    Queue(QueueOutcome),
    /// `cpu-vs-io`, `gil`, `async`.
    Scaling(ScalingOutcome),
    /// `combine`.
    Combine(CombineOutcome),
    /// `separate-memory`.
    SeparateMemory(SeparateMemoryOutcome),
    /// `pipe`.
    Pipe(PipeOutcome),
    /// `shared-value`.
    SharedValue(SharedValueOutcome),
    /// `manager`.
    Manager(ManagerOutcome),
    /// Any demo's, read back from a recording: its result lines only.
    Recorded(RecordedOutcome),
}

/// An outcome as a replay knows it: the result panel's lines, which is all
/// the screen draws of an outcome, and the report's `result{...}` as JSON.
/// (Reading the demo's own type back would mean telling seventeen untagged
/// shapes apart, for nothing a replay shows or prints differently.) It
/// serialises as that JSON, so a replay's report reads as the live one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecordedOutcome {
    /// The result panel's lines, as the live run drew them.
    pub lines: Vec<ResultLine>,
    /// The outcome as the live report printed it.
    pub result: serde_json::Value,
}

impl Serialize for RecordedOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.result.serialize(serializer)
    }
}

impl Outcome {
    /// The result panel's lines.
    #[must_use]
    pub fn lines(&self) -> Vec<ResultLine> {
        match self {
            Self::Threads(o) => o.lines(),
            Self::Race(o) => o.lines(),
            Self::Bank(o) => o.lines(),
            Self::Contention(o) => o.lines(),
            Self::RLock(o) => o.lines(),
            Self::Condition(o) => o.lines(),
            Self::Event(o) => o.lines(),
            Self::Barrier(o) => o.lines(),
            Self::ThreadPool(o) => o.lines(),
            Self::Semaphore(o) => o.lines(),
            Self::Queue(o) => o.lines(),
            Self::Scaling(o) => o.lines(),
            Self::Combine(o) => o.lines(),
            Self::SeparateMemory(o) => o.lines(),
            Self::Pipe(o) => o.lines(),
            Self::SharedValue(o) => o.lines(),
            Self::Manager(o) => o.lines(),
            Self::Recorded(o) => o.lines.clone(),
        }
    }
}

/// The recording form of a demo sample's outcome (`#[serde(with)]`): written
/// as `{"result": <the outcome, as in reports>, "lines": [<result lines>]}`,
/// read back as [`Outcome::Recorded`].
pub mod recorded {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Outcome, RecordedOutcome, ResultLine};

    #[derive(Serialize)]
    struct Written<'a> {
        result: &'a Outcome,
        lines: Vec<ResultLine>,
    }

    #[derive(Deserialize)]
    struct Read {
        result: serde_json::Value,
        lines: Vec<ResultLine>,
    }

    /// Writes the outcome and its lines.
    // The signature `#[serde(with)]` requires.
    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(
        outcome: &Option<Outcome>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        outcome
            .as_ref()
            .map(|result| Written {
                result,
                lines: result.lines(),
            })
            .serialize(serializer)
    }

    /// Reads the lines back as a recorded outcome.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Outcome>, D::Error> {
        Ok(Option::<Read>::deserialize(deserializer)?.map(|read| {
            Outcome::Recorded(RecordedOutcome {
                lines: read.lines,
                result: read.result,
            })
        }))
    }
}

/// Milliseconds as a person reads them: `850 ms`, `20.0 s`, `5 m 33 s`
/// (never `20012025 ms`).
#[must_use]
pub fn readable_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let secs = (ms / 1000.0).round() as u64;
        if secs < 3600 {
            format!("{} m {:02} s", secs / 60, secs % 60)
        } else {
            format!("{} h {:02} m", secs / 3600, (secs % 3600) / 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_read_as_a_person_reads_them() {
        assert_eq!(readable_ms(850.4), "850 ms");
        assert_eq!(readable_ms(20_012.0), "20.0 s");
        assert_eq!(readable_ms(20_012_025.0), "5 h 33 m");
        assert_eq!(readable_ms(333_000.0), "5 m 33 s");
    }

    #[test]
    fn latencies_are_in_microseconds_written_as_elsewhere() {
        let latency = Latency {
            count: 3,
            mean_us: 15.1,
            p50_us: 14.0,
            p99_us: 221.2,
            max_us: 300.0,
        };
        assert_eq!(latency.mean_and_p99(), "15.1 / 221.2 µs");
    }
}
