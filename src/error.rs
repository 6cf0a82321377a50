//! The errors that decide corescope's exit code: a [`UsageError`] exits 2
//! (like clap's own), any other error 1. Each is one line for the user.

/// A usage problem found after parsing (exit code 2, like clap's own).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
