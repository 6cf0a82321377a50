//! Headless runs: sample on a schedule without a screen, then print a report.
//!
//! The run ends at `--duration`, when the target exits, or on Ctrl-C / SIGTERM
//! (the report is still printed: an interrupted run is a shorter run, not a
//! failed one).

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::{Instant, sleep_until};

use crate::report::watch::{WatchReport, WatchReportBuilder};
use crate::sampler::Sampler;

/// How a headless run decides when to stop.
#[derive(Debug, Clone, Copy)]
pub struct HeadlessPlan {
    /// Time between samples.
    pub interval: Duration,
    /// Stop after this long; `None` runs until the target exits or a signal.
    pub duration: Option<Duration>,
}

/// Samples `sampler`'s target per `plan` and returns the report.
pub fn watch(sampler: Sampler, plan: HeadlessPlan) -> Result<WatchReport> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the sampling loop")?;
    runtime.block_on(sample_until_done(sampler, plan))
}

async fn sample_until_done(mut sampler: Sampler, plan: HeadlessPlan) -> Result<WatchReport> {
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let start = Instant::now();
    let end = plan.duration.map(|d| start + d);
    let mut builder = WatchReportBuilder::new();
    let mut next = start;
    loop {
        let snapshot = sampler.sample();
        let alive = snapshot.target.alive;
        builder.add(snapshot);
        if !alive || end.is_some_and(|end| Instant::now() >= end) {
            break;
        }
        next += plan.interval;
        // The last sample lands exactly at the end of the duration.
        let wake = end.map_or(next, |end| next.min(end));
        tokio::select! {
            () = sleep_until(wake) => {}
            _ = interrupt.recv() => {
                builder.add(sampler.sample());
                break;
            }
            _ = terminate.recv() => {
                builder.add(sampler.sample());
                break;
            }
        }
    }
    builder.finish(None).context("no sample was taken")
}
