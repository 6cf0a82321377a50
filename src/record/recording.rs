//! Reading a recording back: checked whole when opened, then read one
//! snapshot at a time, so a replay holds an index, not the file.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use super::{FORMAT_VERSION, Header};
use crate::outside_file::{open_regular, read_line_bounded};
use crate::snapshot::Snapshot;

/// The longest line read: a snapshot of thousands of threads is a few MiB.
/// A longer line (a file that is not a recording, `/dev/zero` behind a
/// link) is an error naming its line, never an allocation of its size.
pub(super) const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

/// Where one snapshot's line is, and when it was taken.
#[derive(Debug, Clone, Copy)]
struct Entry {
    offset: u64,
    len: usize,
    elapsed: Duration,
    seq: u64,
}

/// A recording opened for replay.
#[derive(Debug)]
pub struct Recording {
    path: PathBuf,
    file: File,
    header: Header,
    entries: Vec<Entry>,
    /// True when the last line was cut short (the recording corescope was
    /// killed mid-write) and left out.
    cut_short: bool,
}

impl Recording {
    /// Opens `path` and checks every line, so a replay never meets a bad
    /// one: an error names the file and the line. A last line without its
    /// newline that does not parse (a write cut short) is left out.
    pub fn open(path: &Path) -> Result<Self> {
        let file =
            open_regular(path).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?;
        let index = Index::scan(BufReader::new(&file))
            .map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            header: index.header,
            entries: index.entries,
            cut_short: index.cut_short,
        })
    }

    /// The first line.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// Snapshots in the recording (never 0).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: a recording without snapshots does not open.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when the last line was cut short and left out.
    #[must_use]
    pub const fn cut_short(&self) -> bool {
        self.cut_short
    }

    /// When snapshot `index` was taken, from the start of the recorded run.
    #[must_use]
    pub fn elapsed(&self, index: usize) -> Duration {
        self.entries[index.min(self.entries.len() - 1)].elapsed
    }

    /// How long the recorded run lasts: when its last snapshot was taken.
    #[must_use]
    pub fn length(&self) -> Duration {
        self.elapsed(self.len() - 1)
    }

    /// The sequence number of the last snapshot.
    #[must_use]
    pub fn last_seq(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.seq)
    }

    /// The first snapshot taken at `elapsed` or later (the last if none).
    #[must_use]
    pub fn index_at(&self, elapsed: Duration) -> usize {
        self.entries
            .partition_point(|e| e.elapsed < elapsed)
            .min(self.entries.len() - 1)
    }

    /// Reads snapshot `index` (checked when the file was opened).
    pub fn read(&self, index: usize) -> Result<Snapshot> {
        let entry = self.entries[index.min(self.entries.len() - 1)];
        let mut bytes = vec![0; entry.len];
        self.file
            .read_exact_at(&mut bytes, entry.offset)
            .and_then(|()| serde_json::from_slice(&bytes).map_err(std::io::Error::other))
            .with_context(|| {
                format!(
                    "{}: the recording changed while it was replayed",
                    self.path.display()
                )
            })
    }
}

/// What a scan of a recording found: its header, where each snapshot is,
/// and whether the last line was cut short.
#[derive(Debug)]
struct Index {
    header: Header,
    entries: Vec<Entry>,
    cut_short: bool,
}

impl Index {
    /// Reads every line of `reader`, each at most [`MAX_LINE_BYTES`], and
    /// checks it. An error says which line (`line 3: not a snapshot: ...`).
    fn scan(mut reader: impl BufRead) -> Result<Self, String> {
        let mut line = Vec::new();
        let mut offset = 0_u64;
        let mut number = 0_usize;
        let mut header = None;
        let mut entries = Vec::new();
        let mut cut_short = false;
        loop {
            let read = read_line_bounded(&mut reader, &mut line, MAX_LINE_BYTES)
                .map_err(|err| format!("line {}: {err}", number + 1))?;
            if read == 0 {
                break;
            }
            number += 1;
            let at = |what: String| format!("line {number}: {what}");
            let complete = line.ends_with(b"\n");
            let text = match std::str::from_utf8(&line) {
                Ok(text) => text.trim_end_matches(['\n', '\r']),
                // A write cut short may end mid-character.
                Err(_) if !complete && header.is_some() => {
                    cut_short = true;
                    break;
                }
                Err(_) => return Err(at("not UTF-8 text".to_owned())),
            };
            if header.is_none() {
                header = Some(parse_header(text).map_err(at)?);
            } else if !text.trim().is_empty() {
                match serde_json::from_str::<Snapshot>(text) {
                    Ok(snapshot) => entries.push(Entry {
                        offset,
                        len: text.len(),
                        elapsed: snapshot.elapsed,
                        seq: snapshot.seq,
                    }),
                    Err(_) if !complete => cut_short = true,
                    Err(err) => return Err(at(format!("not a snapshot: {err}"))),
                }
            }
            offset += read as u64;
        }
        let Some(header) = header else {
            return Err("empty file, not a corescope recording".to_owned());
        };
        if entries.is_empty() {
            return Err("the recording holds no snapshot".to_owned());
        }
        Ok(Self {
            header,
            entries,
            cut_short,
        })
    }
}

/// Checks the first line: a corescope recording this version can read.
fn parse_header(text: &str) -> Result<Header, String> {
    let header: Header = serde_json::from_str(text)
        .map_err(|err| format!("not a corescope recording (its first line: {err})"))?;
    if header.corescope_recording > FORMAT_VERSION {
        return Err(format!(
            "recorded in format {} by corescope {}; this corescope reads format {FORMAT_VERSION}",
            header.corescope_recording, header.corescope_version
        ));
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str = r#"{"corescope_recording":1,"corescope_version":"0","command":"x","interval_ms":100,"started_unix_ms":0}"#;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_bytes_after_a_header_are_indexed_or_refused_by_line(
            body in crate::fuzz_inputs::bytes(2048),
            json_like in "[{}\\[\\]\",:0-9a-z_ \n]{0,400}",
        ) {
            for tail in [body, json_like.into_bytes()] {
                let mut text = format!("{HEADER}\n").into_bytes();
                let lines = tail.split(|b| *b == b'\n').count() + 1;
                text.extend_from_slice(&tail);
                match Index::scan(text.as_slice()) {
                    Ok(index) => prop_assert!(index.entries.len() < lines),
                    Err(err) => {
                        let number: usize = err
                            .strip_prefix("line ")
                            .and_then(|rest| rest.split(':').next())
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        prop_assert!(number <= lines, "{}", err);
                    }
                }
            }
        }

        #[test]
        fn any_first_line_is_a_header_or_refused(first in ".{0,200}") {
            let _ = parse_header(&first);
            let _ = Index::scan(first.as_bytes());
        }
    }
}
