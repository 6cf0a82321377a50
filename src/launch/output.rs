//! The last lines of a `run` command's log file, cleaned for the screen.
//!
//! The command writes straight into the file (no copying thread, and its
//! output survives corescope); the sampler reads the file's tail each tick,
//! only when its length changed. A program's output is not trusted on the
//! dashboard: escape sequences and control characters are dropped, a carriage
//! return keeps what was drawn last (progress bars), tabs become spaces.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bytes read from the end of the file: enough for [`MAX_LINES`] lines of
/// ordinary output, and bounded whatever the program writes.
const TAIL_BYTES: u64 = 16 * 1024;
/// Lines kept: more than any screen shows of them.
pub(crate) const MAX_LINES: usize = 64;
/// Characters kept of one line.
const MAX_LINE_CHARS: usize = 400;

/// Follows the end of one file.
#[derive(Debug)]
pub(crate) struct OutputTail {
    path: PathBuf,
    file: File,
    /// The file's length when last read, in bytes.
    seen_len: Option<u64>,
    lines: Arc<[String]>,
}

impl OutputTail {
    /// Follows `path`, which must exist.
    pub(crate) fn open(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            path: path.to_owned(),
            file: File::open(path)?,
            seen_len: None,
            lines: Arc::from(Vec::new()),
        })
    }

    /// The file followed.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The last lines now, oldest first; re-read only when the file changed.
    pub(crate) fn lines(&mut self) -> Arc<[String]> {
        let len = self.file.metadata().map(|m| m.len()).ok();
        if len.is_some() && len != self.seen_len {
            self.seen_len = len;
            self.lines = Arc::from(self.read_tail(len.unwrap_or(0)));
        }
        Arc::clone(&self.lines)
    }

    fn read_tail(&self, len: u64) -> Vec<String> {
        let start = len.saturating_sub(TAIL_BYTES);
        let mut bytes = vec![0; usize::try_from(len - start).unwrap_or(0)];
        let Ok(read) = self.file.read_at(&mut bytes, start) else {
            return self.lines.to_vec();
        };
        bytes.truncate(read);
        let text = String::from_utf8_lossy(&bytes);
        // A tail that starts mid-line drops that partial first line.
        let text = if start > 0 {
            text.split_once('\n').map_or("", |(_, rest)| rest)
        } else {
            &text
        };
        last_lines(text)
    }
}

/// The last [`MAX_LINES`] lines of `text`, cleaned; a final newline ends the
/// last line rather than starting an empty one.
pub(crate) fn last_lines(text: &str) -> Vec<String> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    let mut lines: Vec<String> = text.rsplit('\n').take(MAX_LINES).map(clean).collect();
    lines.reverse();
    lines
}

/// One line as the screen may show it.
fn clean(line: &str) -> String {
    let line = line.strip_suffix('\r').unwrap_or(line);
    // What a terminal would show after a carriage return: the text after it.
    let line = line.rsplit('\r').next().unwrap_or(line);
    let mut out = String::with_capacity(line.len().min(MAX_LINE_CHARS));
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters up to a final byte in @..=~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
        if out.chars().count() >= MAX_LINE_CHARS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn escapes_and_controls_never_reach_the_screen() {
        assert_eq!(clean("\u{1b}[1;31mred\u{1b}[0m text"), "red text");
        assert_eq!(clean("\u{1b}]0;title\u{7}after"), "after");
        assert_eq!(clean("\u{1b}]8;;http://x\u{1b}\\link"), "link");
        assert_eq!(clean("a\tb\u{8}c\u{0}"), "a    bc");
        assert_eq!(clean("10%\r50%\r100%\r"), "100%");
        assert_eq!(clean(&"x".repeat(5000)).len(), MAX_LINE_CHARS);
    }

    #[test]
    fn the_last_lines_are_kept_in_order() {
        assert!(last_lines("").is_empty());
        assert_eq!(last_lines("one\ntwo\n"), ["one", "two"]);
        assert_eq!(last_lines("one\n\nthree"), ["one", "", "three"]);
        let many = (0..200).fold(String::new(), |text, i| text + &format!("line {i}\n"));
        let kept = last_lines(&many);
        assert_eq!(kept.len(), MAX_LINES);
        assert_eq!(kept.last().map(String::as_str), Some("line 199"));
    }

    #[test]
    fn a_growing_file_is_followed() {
        let path = std::env::temp_dir().join(format!("corescope-tail-{}", std::process::id()));
        let mut writer = File::create(&path).expect("create");
        let mut tail = OutputTail::open(&path).expect("open");
        assert!(tail.lines().is_empty());
        writeln!(writer, "hello").expect("write");
        assert_eq!(&*tail.lines(), ["hello"]);
        let big = "y".repeat(100) + "\n";
        for _ in 0..400 {
            writer.write_all(big.as_bytes()).expect("write");
        }
        writeln!(writer, "last").expect("write");
        let lines = tail.lines();
        assert_eq!(lines.len(), MAX_LINES);
        assert_eq!(lines.last().map(String::as_str), Some("last"));
        assert!(lines.iter().all(|l| l == "last" || l.len() == 100));
        let _ = std::fs::remove_file(&path);
    }
}
