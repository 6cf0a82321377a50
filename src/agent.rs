//! `watch --all --headless --metrics ADDR`: an agent for the whole machine.
//! It samples the machine (`sampler::machine`) every interval and
//! publishes each sample at `/metrics`, until SIGINT, SIGTERM or
//! `--duration`; it prints nothing and writes no file.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::{Instant, sleep_until};

use crate::config::Settings;
use crate::error::UsageError;
use crate::sampler::machine::MachineReader;

/// Runs the agent per `settings` (which must hold the `--metrics`
/// endpoint) every `interval`, for `duration` or until a signal.
pub(crate) fn watch_all(
    settings: &Settings,
    interval: Duration,
    duration: Option<Duration>,
) -> Result<()> {
    let Some(exporter) = &settings.metrics else {
        return Err(UsageError(
            "watch --all exports the machine for Prometheus: give --metrics ADDR too".to_owned(),
        )
        .into());
    };
    if !settings.taps.is_empty() {
        return Err(UsageError(
            "--record and --csv need a PID to watch; watch --all only exports (--metrics)"
                .to_owned(),
        )
        .into());
    }
    let mut reader = MachineReader::open()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the sampling loop")?;
    runtime.block_on(async {
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let end = duration.map(|d| Instant::now() + d);
        let mut next = Instant::now();
        loop {
            exporter.publish_machine(&reader.sample());
            next += interval;
            let wake = end.map_or(next, |end| next.min(end));
            tokio::select! {
                () = sleep_until(wake) => {}
                _ = interrupt.recv() => return Ok(()),
                _ = terminate.recv() => return Ok(()),
            }
            if end.is_some_and(|end| Instant::now() >= end) {
                return Ok(());
            }
        }
    })
}
