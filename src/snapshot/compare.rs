//! What a comparison reports, as the snapshot carries it (and a recording
//! keeps it): the plan, one row of figures per mode finished, the mode under
//! way. The compare module runs the comparison and fills these in.

use serde::{Deserialize, Deserializer, Serialize};

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

/// The modes, in the order they run.
pub const MODES: [&str; 5] = ["sequential", "threads", "gil", "processes", "async"];

/// One mode's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// `sequential`, `threads`, `gil`, `processes` or `async`.
    #[serde(deserialize_with = "mode_named")]
    pub mode: ModeName,
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

/// One of [`MODES`]. An alias, so that serde's derive, which takes a field
/// written `&str` as borrowed from its input, leaves it to `mode_named`.
pub type ModeName = &'static str;

/// Reads a recorded mode name back as one of [`MODES`].
fn mode_named<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let name = String::deserialize(deserializer)?;
    MODES
        .into_iter()
        .find(|mode| *mode == name)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown compare mode `{name}`")))
}

/// [`mode_named`], for the mode under way (none between two modes).
fn maybe_mode_named<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'static str>, D::Error> {
    #[derive(Deserialize)]
    struct Named(#[serde(deserialize_with = "mode_named")] ModeName);
    Ok(Option::<Named>::deserialize(deserializer)?.map(|Named(mode)| mode))
}

/// The comparison as a screen shows it (and a recording keeps it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareSample {
    /// The workload.
    pub plan: ComparePlan,
    /// Finished modes.
    pub rows: Vec<CompareRow>,
    /// The mode under way.
    #[serde(deserialize_with = "maybe_mode_named")]
    pub running: Option<ModeName>,
    /// Why it stopped early, if it did.
    pub error: Option<String>,
}
