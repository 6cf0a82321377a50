//! Headless runs: sample on a schedule without a screen, then print a report.
//!
//! A run ends at `--duration`, when the watched process exits, when the demo
//! finishes, or on Ctrl-C / SIGTERM / SIGHUP (a closed terminal or ssh
//! session: a `run` command is then stopped, not left running). An
//! interrupted run is a shorter run, not a failed one: its report is still
//! printed. The last sample is taken right at the end (a demo's end or the
//! root's exit is noticed within 10 ms), so the report's window is the run
//! itself and not the run plus part of a tick.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::{Instant, sleep_until};

use crate::report::compare::CompareReport;
use crate::report::demo::DemoReport;
use crate::report::run::RunOutcome;
use crate::report::watch::{WatchReport, WatchReportBuilder};
use crate::session::Session;
use crate::snapshot::Snapshot;
use crate::snapshot::compare::ComparePlan;

/// How a headless run decides when to stop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadlessPlan {
    /// Time between samples.
    pub interval: Duration,
    /// Stop after this long; `None` runs until the target exits (or the demo
    /// finishes) or a signal.
    pub duration: Option<Duration>,
}

/// How often a headless comparison looks at its mode under way.
pub(crate) const COMPARE_POLL: Duration = Duration::from_millis(50);

/// Runs the comparison `session` holds (made for `plan`), in every mode,
/// one after the other, and returns the report. Ctrl-C, SIGTERM, SIGHUP or
/// the end of `duration` stops it; the modes done so far are reported, with
/// why the rest are not.
pub(crate) fn compare(
    session: &mut Session,
    plan: ComparePlan,
    duration: Option<Duration>,
) -> Result<CompareReport> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the comparison loop")?;
    runtime.block_on(async {
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let mut hangup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;
        let deadline = duration.map(|d| Instant::now() + d);
        let limit = duration.map(|d| format!("--duration of {} s reached", d.as_secs_f64()));
        loop {
            // Each sample steps the comparison (see `Session::sample`).
            let progress = session.sample().compare;
            let progress = progress.context("the session runs no comparison")?;
            if session.comparison_mut().is_some_and(|c| c.is_finished()) {
                return Ok(CompareReport::new(plan, progress.rows, progress.error));
            }
            let wake = Instant::now() + COMPARE_POLL;
            let interrupted = tokio::select! {
                () = sleep_until(deadline.map_or(wake, |d| d.min(wake))) => deadline
                    .is_some_and(|d| Instant::now() >= d)
                    .then(|| limit.as_deref().unwrap_or_default()),
                _ = interrupt.recv() => Some("interrupted"),
                _ = terminate.recv() => Some("terminated"),
                _ = hangup.recv() => Some("hung up"),
            };
            if let Some(why) = interrupted {
                let comparison = session
                    .comparison_mut()
                    .context("the session runs no comparison")?;
                comparison.stop();
                return Ok(CompareReport::new(
                    plan,
                    comparison.rows().to_vec(),
                    Some(why.to_owned()),
                ));
            }
        }
    })
}

/// Samples `session`'s target per `plan` and returns the report.
pub(crate) fn watch(session: &mut Session, plan: HeadlessPlan) -> Result<WatchReport> {
    let (builder, _, _) = run(session, plan)?;
    builder.finish(None).context("no sample was taken")
}

/// Samples the tree of the command `session` started until it exits (or per
/// `plan`), stops what is left of it, and returns the report with how the
/// command ended.
pub(crate) fn run_command(session: &mut Session, plan: HeadlessPlan) -> Result<WatchReport> {
    let (builder, _, _) = run(session, plan)?;
    let command = session.command_mut().context("no command was started")?;
    let outcome = RunOutcome::after_stop(command);
    builder.finish(Some(outcome)).context("no sample was taken")
}

/// Runs the session's demo per `plan` (one round, or less if `--duration`
/// or a signal ends it first: the report then says it was stopped) and
/// returns the report.
pub(crate) fn demo(session: &mut Session, plan: HeadlessPlan) -> Result<DemoReport> {
    let (builder, last, stopped) = run(session, plan)?;
    let demo = last.demo.context("the demo reported nothing")?;
    let tree = builder.finish(None).context("no sample was taken")?;
    Ok(DemoReport::new(demo, &tree).stopped(stopped))
}

/// The samples of a run, its last snapshot, and whether corescope stopped
/// a demo before it finished.
type Sampled = (WatchReportBuilder, Snapshot, bool);

fn run(session: &mut Session, plan: HeadlessPlan) -> Result<Sampled> {
    crate::sampler::wake_on_time();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the sampling loop")?;
    runtime.block_on(sample_until_done(session, plan))
}

/// What ended a wait between two samples.
enum Wake {
    /// The next sample is due.
    Tick,
    /// Something worth a sample now: the demo finished or started workers
    /// (a short round's workers must be seen), or the root exited.
    Now,
    /// A signal asked us to stop.
    Interrupted,
}

async fn sample_until_done(session: &mut Session, plan: HeadlessPlan) -> Result<Sampled> {
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;
    let start = Instant::now();
    let end = plan.duration.map(|d| start + d);
    let mut builder = if session.command_mut().is_some() {
        WatchReportBuilder::from_launch()
    } else {
        WatchReportBuilder::new()
    };
    let mut next = start + plan.interval;
    loop {
        let started = workers_started(session);
        let snapshot = session.sample();
        let over = !snapshot.target.alive
            || snapshot.demo.as_ref().is_some_and(|d| d.finished)
            || end.is_some_and(|end| Instant::now() >= end);
        if over {
            return Ok(finish(session, builder, snapshot));
        }
        builder.add(snapshot);
        let wake = end.map_or(next, |end| next.min(end));
        let woken = tokio::select! {
            () = sleep_until(wake) => Wake::Tick,
            () = worth_a_sample(session, started) => Wake::Now,
            _ = interrupt.recv() => Wake::Interrupted,
            _ = terminate.recv() => Wake::Interrupted,
            _ = hangup.recv() => Wake::Interrupted,
        };
        match woken {
            Wake::Tick => next += plan.interval,
            Wake::Now => {}
            Wake::Interrupted => {
                let snapshot = session.sample();
                return Ok(finish(session, builder, snapshot));
            }
        }
    }
}

/// Fails, saying why, when writing the `--record` or `--csv` file stopped
/// during the run (a full disk): called once the report is printed, so the
/// run's figures are not lost with the file, and the exit code says the
/// file is not whole.
pub(crate) fn files_written(session: &Session) -> Result<()> {
    match session.record_error() {
        Some(err) => anyhow::bail!("{err} (the file stops there)"),
        None => Ok(()),
    }
}

/// Workers the session's demo has started so far; 0 without a demo.
fn workers_started(session: &Session) -> u64 {
    session
        .demo()
        .map_or(0, corescope_demos::host::DemoHost::workers_started)
}

/// Resolves once something happened that the report must see now: the
/// demo finished, or started workers since `started` was read (a round
/// shorter than the interval would otherwise pass unseen), or the watched
/// root exited (so the report's window ends at the exit, not at the next
/// tick).
async fn worth_a_sample(session: &mut Session, started: u64) {
    while !session
        .demo()
        .is_some_and(corescope_demos::host::DemoHost::is_finished)
        && workers_started(session) == started
        && !session.root_exited()
    {
        tokio::time::sleep(crate::session::POLL_BETWEEN_TICKS).await;
        session.poll_between_ticks();
    }
}

/// Stops the demo if it still runs (an interrupted or timed-out run), then
/// records the final snapshot, taken after it stopped; says whether it
/// stopped one.
fn finish(session: &mut Session, mut builder: WatchReportBuilder, snapshot: Snapshot) -> Sampled {
    let running = session.demo().is_some_and(|d| !d.is_finished());
    let last = if running {
        if let Some(demo) = session.demo_mut() {
            demo.stop();
        }
        session.sample()
    } else {
        snapshot
    };
    builder.add(last.clone());
    (builder, last, running)
}
