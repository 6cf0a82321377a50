//! `--record FILE.jsonl`: the header, then every snapshot, one JSON line each.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Header;
use crate::snapshot::Snapshot;

/// Writes a recording. Each line is flushed as it is written: a snapshot
/// is in the file before the next tick, so a recording cut short by a kill
/// is whole up to its last line.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Recorder {
    /// Creates (or truncates) `path`, private (see `private_file`),
    /// and writes `header` to it.
    pub fn create(path: &Path, header: &Header) -> Result<Self> {
        let file = crate::private_file::create_or_truncate(path)
            .with_context(|| format!("cannot create the recording {}", path.display()))?;
        let mut recorder = Self {
            path: path.to_owned(),
            // A snapshot of a few hundred threads is tens of KiB: one
            // buffer's worth, one write.
            out: BufWriter::with_capacity(64 * 1024, file),
        };
        recorder.line(header)?;
        Ok(recorder)
    }

    /// Appends one snapshot.
    pub fn write(&mut self, snapshot: &Snapshot) -> Result<()> {
        self.line(snapshot)
    }

    fn line(&mut self, value: &impl serde::Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.out, value)
            .map_err(anyhow::Error::from)
            .and_then(|()| Ok(self.out.write_all(b"\n")?))
            .and_then(|()| Ok(self.out.flush()?))
            .with_context(|| format!("cannot write the recording {}", self.path.display()))
    }
}
