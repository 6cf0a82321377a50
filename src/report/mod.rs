//! Headless reports: what a run measured, as JSON with the DESIGN's stable
//! keys or as a short table a student can paste.

pub(crate) mod compare;
pub(crate) mod demo;
pub(crate) mod locks;
pub(crate) mod run;
pub(crate) mod watch;
mod watch_text;

/// A report as `--json` prints it (pretty JSON, which escapes every control
/// character), or else as its text table, made `printable`: names and
/// command lines in it come from other processes.
pub(crate) fn rendered<R: serde::Serialize>(
    report: &R,
    json: bool,
    text: fn(&R) -> String,
) -> anyhow::Result<String> {
    Ok(if json {
        serde_json::to_string_pretty(report)? + "\n"
    } else {
        crate::printable::printable(&text(report)).into_owned()
    })
}

/// Rounds for a report: two decimals are all any figure here can honestly claim.
#[must_use]
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A figure with two decimals, or `?` when it was not measured.
#[must_use]
pub(crate) fn figure2(x: Option<f64>) -> String {
    x.map_or_else(|| "?".to_owned(), |x| format!("{x:.2}"))
}
