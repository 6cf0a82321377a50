//! What a round of a demo showed: the report's `result{...}` and the lines of
//! the dashboard's result panel.
//!
//! Each demo defines its own outcome type beside its code and implements
//! [`RoundOutcome`] for it; [`Outcome`] wraps whichever one a round produced,
//! so the report serialises it as the demo wrote it and the screen gets the
//! same "expected vs actual" lines from every demo. This module knows no
//! demo: the demos depend on it, never the other way round.

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

use serde::Serialize;

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
    #[expect(
        clippy::needless_pass_by_value,
        reason = "by value, so that callers pass numbers and strings as they are"
    )]
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
    #[expect(clippy::needless_pass_by_value, reason = "by value, as in `compare`")]
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

/// What a demo's own outcome type provides. It serialises as the report's
/// `result{...}` (its fields, in its order) and gives the result panel's
/// lines.
pub trait RoundOutcome: erased_serde::Serialize + Any + Debug + Send + Sync {
    /// The result panel's lines.
    fn lines(&self) -> Vec<ResultLine>;
}

erased_serde::serialize_trait_object!(RoundOutcome);

/// The outcome of one round of any demo: live, the demo's own type (read it
/// back with [`Outcome::get`]); read back from a recording, its JSON and its
/// lines. (Reading the demo's own type back would mean telling seventeen
/// shapes apart, for nothing a replay shows or prints differently.) Either
/// way it serialises as the demo's result, so a replay's report reads as the
/// live one.
#[derive(Debug, Clone)]
pub struct Outcome(Kept);

#[derive(Debug, Clone)]
enum Kept {
    /// From a round that ran here.
    Live(Arc<dyn RoundOutcome>),
    /// From a recording.
    Recorded {
        /// The result panel's lines, as the live run drew them.
        lines: Vec<ResultLine>,
        /// The outcome as the live report printed it.
        result: serde_json::Value,
    },
}

impl Outcome {
    /// A round's outcome, as the demo measured it.
    #[must_use]
    pub fn new(outcome: impl RoundOutcome) -> Self {
        Self(Kept::Live(Arc::new(outcome)))
    }

    /// The result panel's lines.
    #[must_use]
    pub fn lines(&self) -> Vec<ResultLine> {
        match &self.0 {
            Kept::Live(outcome) => outcome.lines(),
            Kept::Recorded { lines, .. } => lines.clone(),
        }
    }

    /// The demo's own outcome, if this one is of type `T` and came from a
    /// round that ran here (a recorded one keeps only its JSON and lines).
    #[must_use]
    pub fn get<T: RoundOutcome>(&self) -> Option<&T> {
        match &self.0 {
            Kept::Live(outcome) => (&**outcome as &dyn Any).downcast_ref(),
            Kept::Recorded { .. } => None,
        }
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Kept::Live(outcome) => outcome.serialize(serializer),
            Kept::Recorded { result, .. } => result.serialize(serializer),
        }
    }
}

/// Two outcomes are equal when they print the same result and draw the same
/// lines, whether live or recorded.
impl PartialEq for Outcome {
    fn eq(&self, other: &Self) -> bool {
        self.lines() == other.lines()
            && serde_json::to_value(self).ok() == serde_json::to_value(other).ok()
    }
}

/// The recording form of a demo sample's outcome (`#[serde(with)]`): written
/// as `{"result": <the outcome, as in reports>, "lines": [<result lines>]}`,
/// read back as a recorded [`Outcome`].
pub mod recorded {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Kept, Outcome, ResultLine};

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
            Outcome(Kept::Recorded {
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
    use serde::Deserialize;

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

    /// A demo's own outcome, with fields out of alphabetical order.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    struct Counted {
        wanted: u64,
        got: u64,
    }

    impl RoundOutcome for Counted {
        fn lines(&self) -> Vec<ResultLine> {
            vec![ResultLine::compare(
                "count",
                self.wanted,
                self.got,
                self.got == self.wanted,
                String::new(),
            )]
        }
    }

    #[derive(Serialize, Deserialize)]
    struct Sample {
        #[serde(with = "recorded")]
        outcome: Option<Outcome>,
    }

    #[test]
    fn a_live_outcome_prints_as_the_demo_wrote_it_and_reads_back_typed() {
        let outcome = Outcome::new(Counted { wanted: 3, got: 2 });
        let json = serde_json::to_string(&outcome).expect("json");
        assert_eq!(
            json, r#"{"wanted":3,"got":2}"#,
            "fields in the demo's order"
        );
        assert_eq!(
            outcome.get::<Counted>(),
            Some(&Counted { wanted: 3, got: 2 })
        );
        assert_eq!(outcome.lines()[0].verdict, Verdict::Bad);
    }

    #[test]
    fn a_recorded_outcome_keeps_the_result_and_lines_but_not_the_type() {
        let live = Outcome::new(Counted { wanted: 3, got: 3 });
        let written = serde_json::to_string(&Sample {
            outcome: Some(live.clone()),
        })
        .expect("write");
        assert_eq!(
            written,
            r#"{"outcome":{"result":{"wanted":3,"got":3},"lines":[{"label":"count","expected":"3","actual":"3","verdict":"Good","note":""}]}}"#
        );
        let read: Sample = serde_json::from_str(&written).expect("read");
        let read = read.outcome.expect("an outcome");
        assert_eq!(read, live, "same result, same lines");
        assert_eq!(read.lines(), live.lines());
        assert_eq!(read.get::<Counted>(), None, "a recording keeps no type");
    }
}
