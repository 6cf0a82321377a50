//! What a comparison reports, as the snapshot carries it (and a recording
//! keeps it): the plan, one row of figures per mode finished, the mode under
//! way. The compare module runs the comparison and fills these in.

use std::fmt;

use serde::{Deserialize, Serialize};

use corescope_demos::catalog::Kind;

/// The workload, the same in every mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparePlan {
    /// Computing or waiting.
    pub kind: Kind,
    /// Workers in the concurrent modes.
    pub workers: usize,
    /// Tasks.
    pub tasks: u64,
    /// Milliseconds of work per task.
    pub work_ms: u64,
}

/// One way of running the workload; reports and recordings name it in
/// lower case (`sequential`, `threads`, `gil`, `processes`, `async`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompareMode {
    /// One worker thread: the baseline.
    Sequential,
    /// OS threads, no global lock.
    Threads,
    /// OS threads that must hold one global lock to compute.
    Gil,
    /// Child processes.
    Processes,
    /// Tasks on one event-loop thread.
    Async,
}

impl CompareMode {
    /// The modes, in the order they run.
    pub const ALL: [Self; 5] = [
        Self::Sequential,
        Self::Threads,
        Self::Gil,
        Self::Processes,
        Self::Async,
    ];

    /// Its name in reports, recordings and on screen.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::Threads => "threads",
            Self::Gil => "gil",
            Self::Processes => "processes",
            Self::Async => "async",
        }
    }
}

impl fmt::Display for CompareMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One mode's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// The mode these figures are of.
    pub mode: CompareMode,
    /// Wall time of the run, milliseconds.
    pub wall_ms: f64,
    /// Sequential wall time over this one's.
    pub speedup: Option<f64>,
    /// Mean busy share of the machine's cores while it ran, percent.
    pub cpu_busy_pct: Option<f64>,
    /// Cores kept busy: CPU time over wall time.
    pub parallelism: Option<f64>,
    /// Mean start cost of a worker (thread, process or task), microseconds.
    pub start_us_per_worker: Option<f64>,
    /// Memory per worker, KiB (see the module header for how).
    pub rss_kib_per_worker: Option<f64>,
    /// Tasks finished.
    pub tasks_done: u64,
    /// Most tasks doing their work at the same instant (in gil mode, while
    /// holding the GIL), counted by the demo's probes: what the speedup
    /// shows, without needing idle cores. None in recordings made before it.
    #[serde(default)]
    pub max_concurrent: Option<u64>,
}

/// The comparison as a screen shows it (and a recording keeps it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareSample {
    /// The workload.
    pub plan: ComparePlan,
    /// Finished modes.
    pub rows: Vec<CompareRow>,
    /// The mode under way.
    pub running: Option<CompareMode>,
    /// Why it stopped early, if it did.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_written_and_read_by_their_names_and_an_unknown_one_is_refused() {
        for mode in CompareMode::ALL {
            let json = serde_json::to_string(&mode).expect("serialise");
            assert_eq!(json, format!("\"{}\"", mode.name()));
            let back: CompareMode = serde_json::from_str(&json).expect("read back");
            assert_eq!(back, mode, "expected {json} to read back as {mode}");
        }
        assert!(
            serde_json::from_str::<CompareMode>("\"fibers\"").is_err(),
            "expected a mode that does not exist to be refused"
        );
    }
}
