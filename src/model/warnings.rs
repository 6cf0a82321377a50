//! Plain-language warnings about what the numbers show, in the style of
//! tokio-console's lints: "lock `shared`: 95% of acquires waited".
//!
//! Pure functions of the model: each warning names the figure it rests on,
//! so a reader can check it against the panels.

use corescope_demos::catalog::Mode;
use corescope_demos::gil::GIL_LOCK_NAME;
use corescope_demos::run::DemoSample;

use super::Model;
use crate::snapshot::Snapshot;

/// How serious a warning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    /// Worth knowing.
    Info,
    /// Probably a problem.
    Warn,
    /// Certainly a problem.
    Alert,
}

/// One warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning {
    /// How serious.
    pub severity: Severity,
    /// The sentence.
    pub text: String,
}

/// A lock is called contended once this share of its acquires waited...
const CONTENDED_PCT: f64 = 50.0;
/// ...and alarmingly so past this share.
const CONVOY_PCT: f64 = 80.0;
/// Fewer acquires than this say nothing about contention.
const MIN_ACQUIRES: u64 = 20;
/// Recent ticks a queue's fullness is judged over.
const QUEUE_WINDOW: usize = 20;
/// Share of those ticks full (or empty) that earns a warning.
const QUEUE_SHARE: f64 = 0.5;
/// A thread spending this share of an interval in the run queue waits for a CPU.
const RUNQ_PCT: f32 = 10.0;

/// Every warning the latest snapshot supports, most serious first.
#[must_use]
pub(crate) fn warnings(model: &Model) -> Vec<Warning> {
    let Some(snapshot) = model.latest() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if let Some(notice) = &snapshot.notice {
        found.push(Warning {
            severity: Severity::Alert,
            text: notice.clone(),
        });
    }
    if let Some(demo) = &snapshot.demo {
        demo_warnings(model, demo, &mut found);
    }
    cpu_warnings(snapshot, &mut found);
    found.sort_by_key(|w| std::cmp::Reverse(w.severity));
    found
}

fn demo_warnings(model: &Model, demo: &DemoSample, found: &mut Vec<Warning>) {
    if let Some(error) = &demo.error {
        found.push(Warning {
            severity: Severity::Alert,
            text: format!("demo failed: {error}"),
        });
    }
    for failure in &demo.failures {
        found.push(Warning {
            severity: Severity::Alert,
            text: format!("{failure}; the demo goes on without it"),
        });
    }
    lock_warnings(demo, found);
    queue_warnings(model, demo, found);
    for semaphore in &demo.probes.semaphores {
        if semaphore.permits > 0 && semaphore.in_use >= semaphore.permits && semaphore.waiters > 0 {
            found.push(Warning {
                severity: Severity::Info,
                text: format!(
                    "semaphore `{}`: all {} permits in use, {} waiting",
                    semaphore.name, semaphore.permits, semaphore.waiters
                ),
            });
        }
    }
    let parallelism = model.latest().and_then(|s| s.target.parallelism);
    if demo.mode == Mode::Gil
        && demo.workers >= 2
        && !demo.paused
        && parallelism.is_some_and(|p| p > 0.5 && p < 1.2)
    {
        found.push(Warning {
            severity: Severity::Info,
            text: format!(
                "GIL: {} workers, parallelism {:.2}: one computes at a time",
                demo.workers,
                parallelism.unwrap_or_default()
            ),
        });
    }
}

/// Locks most acquires waited for; the GIL's contention explained.
fn lock_warnings(demo: &DemoSample, found: &mut Vec<Warning>) {
    for lock in &demo.probes.locks {
        if lock.acquires < MIN_ACQUIRES {
            continue;
        }
        let pct = lock.contended as f64 * 100.0 / lock.acquires as f64;
        if lock.name == GIL_LOCK_NAME {
            // Waiting is what a GIL is for: the lesson, not a fault.
            found.push(Warning {
                severity: Severity::Info,
                text: format!(
                    "GIL: {pct:.0}% of {} takes waited for another worker to hand it over",
                    lock.acquires
                ),
            });
        } else if pct >= CONTENDED_PCT {
            found.push(Warning {
                severity: if pct >= CONVOY_PCT {
                    Severity::Alert
                } else {
                    Severity::Warn
                },
                text: format!(
                    "lock `{}`: {pct:.0}% of acquires waited (p99 wait {})",
                    lock.name,
                    corescope_widgets::format_ns(lock.wait.p99_ns)
                ),
            });
        }
    }
}

/// Queues full (back-pressure) or empty (starved consumers) most of the time.
fn queue_warnings(model: &Model, demo: &DemoSample, found: &mut Vec<Warning>) {
    for (index, queue) in demo.probes.queues.iter().enumerate() {
        let Some(history) = model.demo_history().queue_depth(index) else {
            continue;
        };
        let recent: Vec<f32> = history
            .iter()
            .rev()
            .take(QUEUE_WINDOW)
            .filter_map(|v| *v)
            .collect();
        if recent.len() < QUEUE_WINDOW / 2 {
            continue;
        }
        let share = |pred: fn(f32) -> bool| {
            recent.iter().filter(|v| pred(**v)).count() as f64 / recent.len() as f64
        };
        let full = share(|v| v >= 100.0);
        let empty = share(|v| v <= 0.0);
        if full >= QUEUE_SHARE {
            found.push(Warning {
                severity: Severity::Warn,
                text: format!(
                    "queue `{}` full {:.0}% of the time: producers outpace consumers (back-pressure)",
                    queue.name,
                    full * 100.0
                ),
            });
        } else if empty >= QUEUE_SHARE && queue.recv_blocks > 0 {
            found.push(Warning {
                severity: Severity::Info,
                text: format!(
                    "queue `{}` empty {:.0}% of the time: consumers wait for producers",
                    queue.name,
                    empty * 100.0
                ),
            });
        }
    }
}

fn cpu_warnings(snapshot: &Snapshot, found: &mut Vec<Warning>) {
    let waiting = snapshot
        .target
        .threads
        .iter()
        .filter(|t| t.runq_wait_pct.is_some_and(|p| p >= RUNQ_PCT))
        .count();
    if waiting > 0 {
        let runnable = snapshot
            .target
            .threads
            .iter()
            .filter(|t| t.state == 'R')
            .count();
        found.push(Warning {
            severity: Severity::Warn,
            text: format!(
                "{waiting} thread{} waited for a CPU (run queue): {runnable} runnable on {} cores",
                if waiting == 1 { "" } else { "s" },
                snapshot.cores.len()
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{snapshot, thread};
    use std::sync::Arc;

    #[test]
    fn a_thread_queued_for_a_cpu_is_named() {
        let mut queued = thread(5, "busy", 50.0, 'R');
        queued.runq_wait_pct = Some(40.0);
        let mut model = Model::new();
        model.ingest(Arc::new(snapshot(
            0,
            [100.0, 100.0],
            vec![queued, thread(6, "calm", 1.0, 'S')],
        )));
        let found = warnings(&model);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Warn);
        assert_eq!(
            found[0].text,
            "1 thread waited for a CPU (run queue): 1 runnable on 2 cores"
        );
    }

    #[test]
    fn a_quiet_machine_has_nothing_to_say() {
        let mut model = Model::new();
        model.ingest(Arc::new(snapshot(
            0,
            [3.0, 2.0],
            vec![thread(5, "calm", 1.0, 'S')],
        )));
        assert!(warnings(&model).is_empty());
    }
}
