//! The report of `compare --headless`: one row per mode, the DESIGN's keys.

use std::fmt::Write as _;

use serde::Serialize;

use corescope_demos::catalog::Kind;

use crate::snapshot::compare::{ComparePlan, CompareRow};

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CompareReport {
    /// `cpu` or `io`.
    pub kind: Kind,
    /// Workers in the concurrent modes.
    pub workers: usize,
    /// Tasks in every mode.
    pub tasks: u64,
    /// Milliseconds of work per task.
    pub work_ms: u64,
    /// One per mode, in the order run.
    pub rows: Vec<CompareRow>,
    /// Why the comparison stopped before the last mode, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl CompareReport {
    /// The report of a comparison of `plan` that produced `rows`.
    #[must_use]
    pub(crate) fn new(plan: ComparePlan, rows: Vec<CompareRow>, error: Option<String>) -> Self {
        Self {
            kind: plan.kind,
            workers: plan.workers,
            tasks: plan.tasks,
            work_ms: plan.work_ms,
            rows,
            error,
        }
    }

    /// A table for a terminal or a paste.
    #[must_use]
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} {} ms {} tasks, {} workers in the concurrent modes\n",
            self.tasks,
            self.work_ms,
            self.kind.name(),
            self.workers
        );
        let _ = writeln!(
            out,
            "{:<11} {:>9} {:>8} {:>7} {:>10} {:>9} {:>13} {:>12}",
            "MODE",
            "WALL ms",
            "SPEEDUP",
            "AT ONCE",
            "CORES USED",
            "CPU BUSY",
            "START/WORKER",
            "MEM/WORKER"
        );
        let unknown = || "?".to_owned();
        for row in &self.rows {
            let _ = writeln!(
                out,
                "{:<11} {:>9.0} {:>8} {:>7} {:>10} {:>9} {:>13} {:>12}",
                row.mode,
                row.wall_ms,
                row.speedup.map_or_else(unknown, |s| format!("{s:.2}x")),
                row.max_concurrent.map_or_else(unknown, |n| n.to_string()),
                row.parallelism.map_or_else(unknown, |p| format!("{p:.2}")),
                row.cpu_busy_pct
                    .map_or_else(unknown, |b| format!("{b:.0}%")),
                row.start_us_per_worker
                    .map_or_else(unknown, |us| format!("{us:.1} µs")),
                row.rss_kib_per_worker
                    .map_or_else(unknown, |k| format!("{k:.0} KiB")),
            );
        }
        if let Some(error) = &self.error {
            let _ = writeln!(out, "\nstopped: {error}");
        }
        out
    }
}
