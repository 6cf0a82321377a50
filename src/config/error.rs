//! Errors in the files a user writes (the config file, theme files): one line
//! naming the file, the line and the key, in the style of lesson files
//! (`FILE: line N: what is wrong`).
//!
//! toml's own messages say what is wrong but not always which key: a value of
//! the wrong type, say, only has a byte span. The key is found by parsing the
//! text again into toml's spanned document tree and looking up what lies at
//! that span, so every message names its key.

use std::fmt;

use toml::de::{DeTable, DeValue};

use crate::lesson::line_of;

/// A file that cannot be used, with where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileError {
    /// The file, as the user named it (or as corescope found it).
    pub file: String,
    /// The 1-based line the problem is on; `None` when it is about the whole
    /// file (it cannot be read, a style is missing from it).
    pub line: Option<usize>,
    /// What is wrong, naming the key.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}: line {line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for FileError {}

/// A problem found at byte `offset` of a file's text, not yet placed on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct At {
    /// Where the problem starts, in bytes from the start of the text.
    pub offset: usize,
    /// What is wrong, naming the key.
    pub message: String,
}

impl At {
    /// A problem at `offset`.
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        Self {
            offset,
            message: message.into(),
        }
    }
}

impl FileError {
    /// The problem `at` in `text`, read from `file`.
    pub(crate) fn at(file: &str, text: &str, at: At) -> Self {
        Self {
            file: file.to_owned(),
            line: Some(line_of(text, at.offset)),
            message: at.message,
        }
    }

    /// A problem with the whole of `file`.
    pub(crate) fn whole(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            message: message.into(),
        }
    }

    /// toml's error for `text`, read from `file`, reworded to name its key.
    pub(crate) fn from_toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let offset = err.span().map_or(0, |span| span.start);
        let key = key_at(text, offset);
        let message = reword(err.message().trim(), key.as_deref());
        Self::at(file, text, At::new(offset, message))
    }
}

/// serde's wording made the user's: a field is a key, and the expected names
/// are listed plainly, e.g. ``unknown key `intervall` (expected one of
/// interval, theme, lesson, keys)``. Any other message gets the key in front.
fn reword(message: &str, key: Option<&str>) -> String {
    if let Some((field, rest)) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
    {
        let expected = rest.trim_start_matches(',').trim().replace('`', "");
        return format!("unknown key `{}` ({expected})", key.unwrap_or(field));
    }
    if let Some((field, _)) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
    {
        return match key {
            Some(table) => format!("missing key `{table}.{field}`"),
            None => format!("missing key `{field}`"),
        };
    }
    match key {
        Some(key) => format!("`{key}`: {message}"),
        None => message.to_owned(),
    }
}

/// The dotted key (`keys.quit`, `alert.fg`) whose key or value holds byte
/// `offset` of `text`, the innermost one; `None` when the text does not parse
/// or nothing is there.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    find_in_table(root.get_ref(), offset, &mut path).then(|| path.join("."))
}

fn find_in_table(table: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    for (key, value) in table {
        path.push(key.get_ref().to_string());
        // A `[table]`'s span need not cover its body: look inside in any case.
        if find_in_value(value.get_ref(), offset, path)
            || key.span().contains(&offset)
            || value.span().contains(&offset)
        {
            return true;
        }
        path.pop();
    }
    false
}

fn find_in_value(value: &DeValue<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    match value {
        DeValue::Table(table) => find_in_table(table, offset, path),
        DeValue::Array(items) => items
            .iter()
            .any(|item| find_in_value(item.get_ref(), offset, path)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_wording_becomes_the_users() {
        assert_eq!(
            reword(
                "unknown field `intervall`, expected one of `interval`, `theme`",
                Some("intervall")
            ),
            "unknown key `intervall` (expected one of interval, theme)"
        );
        assert_eq!(
            reword("unknown field `fgg`, expected `fg`", Some("alert.fgg")),
            "unknown key `alert.fgg` (expected fg)"
        );
        assert_eq!(
            reword("missing field `fg`", Some("alert")),
            "missing key `alert.fg`"
        );
        assert_eq!(
            reword("invalid type: string \"x\", expected u64", Some("interval")),
            "`interval`: invalid type: string \"x\", expected u64"
        );
    }

    #[test]
    fn the_key_at_an_offset_is_the_innermost_one() {
        let text = "interval = 500\n[keys]\nquit = [\n  \"q\",\n  42,\n]\n[alert]\nfg = \"red\"\n";
        let at = |needle: &str| text.find(needle).expect("in the text");
        assert_eq!(key_at(text, at("500")).as_deref(), Some("interval"));
        assert_eq!(key_at(text, at("42")).as_deref(), Some("keys.quit"));
        assert_eq!(key_at(text, at("\"red\"")).as_deref(), Some("alert.fg"));
        assert_eq!(key_at("not toml [", 0), None);
    }
}
