//! The `locks` of the `watch` and `run` report: the futex words the tree's
//! threads waited on, most blocked time first, as the sampler measured them
//! over the run (see `sampler::locks`).

use std::fmt::Write as _;

use serde::Serialize;

use super::round2;
use crate::snapshot::LockSample;

/// Waiters of a lock.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub(crate) struct Waiters {
    /// Blocked on it at the last sample.
    pub now: usize,
    /// Mean blocked on it since it was first seen: its blocked time over
    /// that wall time.
    pub mean: f64,
    /// Most blocked on it at one sample.
    pub max: usize,
}

/// One thread's waits on a lock.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub(crate) struct WaiterReport {
    /// Thread id.
    pub tid: i32,
    /// Its time blocked on the lock, in milliseconds.
    pub blocked_ms: f64,
    /// That time over the wall time the thread was watched, 0 to 1.
    pub wait_share: f64,
}

/// One lock over the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct LockReport {
    /// The process whose memory holds it.
    pub pid: i32,
    /// The futex word's address, `0x…`.
    pub address: String,
    /// Its name: `queue_lock`, `CPython GIL (in _PyRuntime)`, `[heap] 0x…`.
    pub label: String,
    /// The symbol holding it (`queue_lock`, `_PyRuntime+0x1e8`); `null` when
    /// none does.
    pub symbol: Option<String>,
    /// `mutex`, `condition` or `unknown`.
    pub kind: &'static str,
    /// Its waiters.
    pub waiters: Waiters,
    /// Time threads spent blocked on it, summed over threads, in milliseconds.
    pub blocked_ms: f64,
    /// Its waiters' blocked time over the wall time they were watched, 0 to 1.
    pub wait_share: f64,
    /// The threads that waited on it, by TID.
    pub threads: Vec<i32>,
    /// Each of them with its own time and share.
    pub per_thread: Vec<WaiterReport>,
    /// The thread that held it when last read; `null` when its lock word
    /// does not say (not a glibc mutex) or names no live thread.
    pub owner_tid: Option<i32>,
}

impl LockReport {
    /// The report of one lock as the sampler last saw it.
    #[must_use]
    pub(crate) fn of(lock: &LockSample) -> Self {
        Self {
            pid: lock.pid,
            address: format!("{:#x}", lock.address),
            label: lock.label.to_string(),
            symbol: lock.symbol.as_deref().map(str::to_owned),
            kind: lock.kind.as_str(),
            waiters: Waiters {
                now: lock.waiters_now,
                mean: round2(lock.waiters_mean),
                max: lock.waiters_max,
            },
            blocked_ms: round2(lock.blocked_ns as f64 / 1e6),
            wait_share: round2(lock.wait_share),
            threads: lock.threads.iter().map(|w| w.tid).collect(),
            per_thread: lock
                .threads
                .iter()
                .map(|w| WaiterReport {
                    tid: w.tid,
                    blocked_ms: round2(w.blocked_ns as f64 / 1e6),
                    wait_share: round2(w.wait_share),
                })
                .collect(),
            owner_tid: lock.owner_tid,
        }
    }
}

/// The locks section of the text report: at most `rows` locks.
#[must_use]
pub(crate) fn to_text(locks: Option<&[LockReport]>, rows: usize) -> String {
    let mut out = String::new();
    let Some(locks) = locks else {
        let _ = writeln!(
            out,
            "\nlocks        unknown: the kernel withholds what the threads wait on"
        );
        return out;
    };
    if locks.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\n{:<32} {:<9} {:>11} {:>5} {:>5} {:>6} {:>8}",
        "LOCK", "KIND", "BLOCKED ms", "WAIT", "MAX", "SHARE", "OWNER"
    );
    for lock in locks.iter().take(rows) {
        let _ = writeln!(
            out,
            "{:<32} {:<9} {:>11.1} {:>5.1} {:>5} {:>5.0}% {:>8}",
            lock.label,
            lock.kind,
            lock.blocked_ms,
            lock.waiters.mean,
            lock.waiters.max,
            lock.wait_share * 100.0,
            lock.owner_tid
                .map_or_else(|| "?".to_owned(), |t| t.to_string()),
        );
    }
    if locks.len() > rows {
        let _ = writeln!(out, "… and {} more (see --json)", locks.len() - rows);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{LockKind, LockWaiter};

    fn lock() -> LockSample {
        LockSample {
            pid: 7,
            address: 0x55d0_c0a0_4040,
            label: "queue_lock".into(),
            symbol: Some("queue_lock".into()),
            kind: LockKind::Mutex,
            waiters_now: 2,
            waiters_max: 3,
            waiters_mean: 1.234,
            blocked_ns: 1_500_000_000,
            wait_share: 0.5,
            threads: vec![LockWaiter {
                tid: 8,
                blocked_ns: 1_500_000_000,
                wait_share: 0.5,
            }],
            owner_tid: None,
        }
    }

    #[test]
    fn json_keys_and_units_are_the_documented_ones() {
        let json = serde_json::to_value(LockReport::of(&lock())).expect("json");
        assert_eq!(json["address"], "0x55d0c0a04040");
        assert_eq!(json["kind"], "mutex");
        assert_eq!(json["waiters"]["now"], 2);
        assert_eq!(json["waiters"]["mean"], 1.23);
        assert_eq!(json["blocked_ms"], 1500.0);
        assert_eq!(json["threads"], serde_json::json!([8]));
        assert!(json["owner_tid"].is_null(), "unknown owner is null, not 0");
    }

    #[test]
    fn the_text_says_unknown_rather_than_nothing() {
        assert!(to_text(None, 5).contains("unknown"));
        assert_eq!(to_text(Some(&[]), 5), "");
        let text = to_text(Some(&[LockReport::of(&lock())]), 5);
        assert!(
            text.contains("queue_lock") && text.contains("1500.0"),
            "{text}"
        );
    }
}
