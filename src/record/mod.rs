//! Keeping what corescope saw: `--record FILE.jsonl` (every snapshot, for
//! `corescope replay`), `--csv FILE` (the timeline, for a spreadsheet), and
//! reading a recording back.
//!
//! A recording is JSON Lines: a first line, the [`Header`], then one
//! `Snapshot` per line exactly as the sampler made it, written and flushed
//! as it is made, so a recording cut short (corescope killed, the disk full)
//! is still good up to its last whole line. Both files are written by the
//! session's thread (`Session::sample`), never by the screen's, and each
//! line costs one `write`.
//!
//! This module owns the file formats; it never draws and never samples.

mod csv;
mod player;
mod recording;
mod writer;

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::error::UsageError;
use crate::snapshot::Snapshot;

pub use self::csv::CsvTimeline;
pub use player::{Playback, Player, ReplayCommand, SEEK_STEP};
pub use recording::Recording;
pub use writer::Recorder;

/// The format's version, the first line's `corescope_recording`. Raised
/// when a change would make an older corescope misread a recording.
pub const FORMAT_VERSION: u32 = 1;

/// The first line of a recording: what was recorded, how, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT_VERSION`] of the corescope that wrote it.
    pub corescope_recording: u32,
    /// That corescope's version, for a person reading the file.
    pub corescope_version: String,
    /// The command line recorded (`corescope demo gil --workers 2`).
    pub command: String,
    /// The sampling interval asked for, milliseconds.
    pub interval_ms: u64,
    /// When recording began, milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
}

impl Header {
    /// The header of a recording of `command` at `interval_ms`, starting now.
    #[must_use]
    pub fn now(command: String, interval_ms: u64) -> Self {
        let started_unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self {
            corescope_recording: FORMAT_VERSION,
            corescope_version: env!("CARGO_PKG_VERSION").to_owned(),
            command,
            interval_ms,
            started_unix_ms,
        }
    }
}

/// Where a run's snapshots go besides the screen or the report: the
/// recording and the CSV timeline, each optional.
#[derive(Debug, Default)]
pub struct Taps {
    recorder: Option<Recorder>,
    csv: Option<CsvTimeline>,
    /// The first write that failed; writing stops at it.
    error: Option<String>,
    /// The `--metrics` endpoint, which every snapshot also goes to.
    metrics: Option<crate::metrics::Exporter>,
}

/// The files a run was asked to write (`--record`, `--csv`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TapPaths {
    /// `--record FILE.jsonl`.
    pub record: Option<PathBuf>,
    /// `--csv FILE`.
    pub csv: Option<PathBuf>,
}

impl TapPaths {
    /// True when nothing is to be written.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.record.is_none() && self.csv.is_none()
    }

    /// Refuses `--record` and `--csv` naming one file, by the same path or
    /// by two (`./f` and `f`, a hard link, a link to a directory): each
    /// would overwrite the other's lines.
    pub fn check_distinct(&self) -> Result<(), UsageError> {
        let (Some(record), Some(csv)) = (&self.record, &self.csv) else {
            return Ok(());
        };
        if same_file(record, csv) {
            return Err(UsageError(format!(
                "--record and --csv name the same file ({}); each needs its own",
                csv.display()
            )));
        }
        Ok(())
    }
}

impl TapPaths {
    /// The flag (`--record`, `--csv`) that names the same file as `path`,
    /// if one does: another file (`run --log`) must not be it.
    #[must_use]
    pub fn flag_naming(&self, path: &Path) -> Option<&'static str> {
        [("--record", &self.record), ("--csv", &self.csv)]
            .into_iter()
            .find_map(|(flag, tap)| {
                tap.as_deref()
                    .is_some_and(|t| same_file(t, path))
                    .then_some(flag)
            })
    }
}

/// True when `a` and `b` are, or would be created as, one file.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        return (a.dev(), a.ino()) == (b.dev(), b.ino());
    }
    // One does not exist yet: the same name in the same directory.
    let resolved = |path: &Path| {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        Some(std::fs::canonicalize(dir).ok()?.join(path.file_name()?))
    };
    a == b || resolved(a).is_some_and(|a| Some(a) == resolved(b))
}

impl Taps {
    /// Creates the files `paths` names (truncating any there), the
    /// recording's header written at once. Fails, naming the file, when one
    /// cannot be created: better before the run than a run not kept.
    pub fn open(paths: &TapPaths, header: &Header) -> Result<Self> {
        paths.check_distinct()?;
        Ok(Self {
            recorder: paths
                .record
                .as_deref()
                .map(|path| Recorder::create(path, header))
                .transpose()?,
            csv: paths.csv.as_deref().map(CsvTimeline::create).transpose()?,
            error: None,
            metrics: None,
        })
    }

    /// [`Taps::open`] for this corescope's own run, sampling every
    /// `interval`: the header names corescope's command line.
    pub fn for_this_run(paths: &TapPaths, interval: std::time::Duration) -> Result<Self> {
        if paths.is_empty() {
            return Ok(Self::default());
        }
        let command = std::env::args_os()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
        Self::open(paths, &Header::now(command, interval_ms))
    }

    /// Publishes every snapshot from now on at `exporter`'s `/metrics` too.
    #[must_use]
    pub fn export_to(mut self, exporter: Option<crate::metrics::Exporter>) -> Self {
        self.metrics = exporter;
        self
    }

    /// Writes one snapshot to each file (and publishes it for `--metrics`).
    /// The first failure (a full disk) stops both files and is kept for
    /// [`Taps::error`]: the run goes on.
    pub fn write(&mut self, snapshot: &Snapshot) {
        if let Some(metrics) = &self.metrics {
            metrics.publish(snapshot);
        }
        if self.error.is_some() {
            return;
        }
        let result = self
            .recorder
            .as_mut()
            .map_or(Ok(()), |r| r.write(snapshot))
            .and_then(|()| self.csv.as_mut().map_or(Ok(()), |c| c.write(snapshot)));
        if let Err(err) = result {
            self.error = Some(format!("{err:#}"));
            self.recorder = None;
            self.csv = None;
        }
    }

    /// Why writing stopped, if it did.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

#[cfg(test)]
pub(crate) mod tests;
