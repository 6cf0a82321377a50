//! `--csv FILE`: the timeline, one row per snapshot, for a spreadsheet.
//!
//! The columns are what the screens draw over time: each core's busy
//! percent, the tree's parallelism, threads, processes and memory, and for
//! a demo its mode, workers, tasks and the totals of its probes (summed
//! over every lock, queue or semaphore it registered). A reading that is
//! missing (the first tick's rates, a value the kernel withheld) is an
//! empty cell, never a zero. The core columns are those of the first
//! snapshot.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::printable::printable;
use crate::snapshot::Snapshot;

/// The columns after the per-core ones, in order.
const COLUMNS: [&str; 19] = [
    "parallelism",
    "threads",
    "processes",
    "threads_peak",
    "processes_peak",
    "memory_used_mib",
    "load_1m",
    "demo",
    "mode",
    "workers",
    "round",
    "tasks_done",
    "tasks_total",
    "lock_acquires",
    "lock_contended",
    "lock_waiting",
    "queue_depth",
    "semaphore_in_use",
    "compare_running",
];

/// Writes the timeline; each row is flushed as it is written.
#[derive(Debug)]
pub struct CsvTimeline {
    path: PathBuf,
    out: ::csv::Writer<File>,
    /// The cores named in the header, from the first snapshot.
    cores: Option<Vec<usize>>,
}

impl CsvTimeline {
    /// Creates (or truncates) `path`, private (see `private_file`);
    /// the header follows with the first row.
    pub fn create(path: &Path) -> Result<Self> {
        let file = crate::private_file::create_or_truncate(path)
            .with_context(|| format!("cannot create the CSV file {}", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            out: ::csv::Writer::from_writer(file),
            cores: None,
        })
    }

    /// Appends the row of one snapshot (after the header, the first time).
    pub fn write(&mut self, snapshot: &Snapshot) -> Result<()> {
        let result = self.write_row(snapshot);
        result.with_context(|| format!("cannot write the CSV file {}", self.path.display()))
    }

    fn write_row(&mut self, snapshot: &Snapshot) -> Result<()> {
        if self.cores.is_none() {
            let cores: Vec<usize> = snapshot.cores.iter().map(|c| c.core).collect();
            let mut header = vec![
                "seq".to_owned(),
                "elapsed_ms".to_owned(),
                "interval_ms".to_owned(),
            ];
            header.extend(cores.iter().map(|c| format!("cpu{c}_busy_pct")));
            header.extend(COLUMNS.iter().map(|c| (*c).to_owned()));
            self.out.write_record(&header)?;
            self.cores = Some(cores);
        }
        let cells = row(snapshot, self.cores.as_deref().unwrap_or_default());
        // A recording replayed may carry any text in its names.
        self.out
            .write_record(cells.iter().map(|c| printable(c).into_owned()))?;
        self.out.flush()?;
        Ok(())
    }
}

/// A missing reading: an empty cell.
fn cell<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

/// A duration in milliseconds, to the microsecond.
fn millis(duration: std::time::Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1e3)
}

/// One snapshot's cells, in the header's order.
fn row(snapshot: &Snapshot, cores: &[usize]) -> Vec<String> {
    let target = &snapshot.target;
    let mut cells = vec![
        snapshot.seq.to_string(),
        millis(snapshot.elapsed),
        cell(snapshot.interval.map(millis)),
    ];
    cells.extend(cores.iter().map(|core| {
        let busy = snapshot
            .cores
            .iter()
            .find(|c| c.core == *core)
            .and_then(|c| c.busy_pct);
        cell(busy.map(|b| format!("{b:.1}")))
    }));
    cells.extend([
        cell(target.parallelism.map(|p| format!("{p:.3}"))),
        target.threads.len().to_string(),
        target.processes.len().to_string(),
        target.threads_peak.to_string(),
        target.processes_peak.to_string(),
        cell(
            snapshot
                .memory
                .map(|m| format!("{:.1}", m.used_bytes as f64 / (1024.0 * 1024.0))),
        ),
        cell(snapshot.load_average.map(|l| format!("{:.2}", l[0]))),
    ]);
    let demo = snapshot.demo.as_ref();
    let probes = demo.map(|d| &d.probes);
    let sum = |f: &dyn Fn(&corescope_demos::probes::ProbeReport) -> u64| probes.map(f);
    cells.extend([
        cell(demo.map(|d| d.name)),
        cell(demo.map(|d| d.mode.name())),
        cell(demo.map(|d| d.workers)),
        cell(demo.map(|d| d.round)),
        cell(probes.and_then(|p| p.tasks).map(|t| t.done)),
        cell(probes.and_then(|p| p.tasks).map(|t| t.total)),
        cell(sum(&|p| p.locks.iter().map(|l| l.acquires).sum())),
        cell(sum(&|p| p.locks.iter().map(|l| l.contended).sum())),
        cell(sum(&|p| {
            p.locks.iter().map(|l| u64::from(l.waiting_now)).sum()
        })),
        cell(sum(&|p| p.queues.iter().map(|q| q.depth).sum())),
        cell(sum(&|p| {
            p.semaphores.iter().map(|s| u64::from(s.in_use)).sum()
        })),
        cell(snapshot.compare.as_ref().and_then(|c| c.running)),
    ]);
    cells
}
