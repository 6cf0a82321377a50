//! `watch PID` and `run -- CMD`: one process tree, on the dashboard or
//! headless, until its root exits (or the user stops), then a report.
//!
//! For `run`, what the command left running when it exits is ended then,
//! unless `--stay`: it runs on, watched, and is ended when corescope ends
//! (see `launch::guardian`).
//!
//! The dashboard closes when the root exits, unless `--stay`, and then prints
//! the same text report a headless run prints, so a watched program's figures
//! stay on the terminal after the screen is gone. Only the time up to the
//! root's exit counts in the report, also with `--stay`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Result;

use crate::cli::{HeadlessArgs, RunArgs, WatchArgs};
use crate::config::Settings;
use crate::error::UsageError;
use crate::event::{self, Flow};
use crate::headless::{self, HeadlessPlan};
use crate::launch::{Launched, Lifetime, OutputTo, RunEnd};
use crate::record::Taps;
use crate::report::run::RunOutcome;
use crate::report::watch::{WatchReport, WatchReportBuilder};
use crate::sampler;
use crate::session::Session;

/// The sampling interval of the dashboard and of a headless `watch`.
const DASHBOARD_MS: u64 = 500;
/// A headless `run`'s: a thread or a child process that lives a few hundred
/// milliseconds must still be counted.
const HEADLESS_RUN_MS: u64 = 100;

/// `corescope watch PID`.
pub(crate) fn watch(args: &WatchArgs, settings: &Settings) -> Result<()> {
    let interval = Duration::from_millis(settings.interval.unwrap_or(DASHBOARD_MS));
    if args.all {
        return crate::agent::watch_all(settings, interval, args.output.duration);
    }
    let Some(pid) = args.pid else {
        return process_list(args, settings, interval);
    };
    // The PID first: a file is created only for a run that can happen.
    let session = Session::watch(pid)?;
    let taps = Taps::for_this_run(&settings.taps, interval)?.export_to(settings.metrics.clone());
    let mut session = session.record_to(taps);
    if args.output.headless {
        let report = headless::watch(&mut session, plan(interval, args.output))?;
        print_report(&report, args.output.json)?;
        headless::files_written(&session)
    } else {
        dashboard_then_report(session, interval, settings, args.stay, None)
    }
}

/// `corescope watch` without a PID: the process list, to watch one
/// process after another, until the user quits. There is no report after
/// it: which of the processes watched would it be about?
fn process_list(args: &WatchArgs, settings: &Settings, interval: Duration) -> Result<()> {
    if args.output.headless {
        return Err(UsageError(
            "watch --headless needs a PID (the process list is for the dashboard)".to_owned(),
        )
        .into());
    }
    if args.stay {
        return Err(UsageError(
            "watch --stay needs a PID (in the process list the screen stays anyway: b goes back)"
                .to_owned(),
        )
        .into());
    }
    if !settings.taps.is_empty() || settings.metrics.is_some() {
        return Err(UsageError(
            "--record, --csv and --metrics need a PID to watch (watch --all exports the \
             machine)"
                .to_owned(),
        )
        .into());
    }
    event::require_terminal()?;
    event::run_process_list(
        Session::for_own_process()?,
        interval,
        settings.preferences.clone(),
    )
}

/// `corescope run -- CMD ARGS...`.
pub(crate) fn run(args: &RunArgs, settings: &Settings) -> Result<()> {
    let interval = settings.interval;
    let headless = args.output.headless;
    if !headless {
        // Before the command starts: nothing should run for a screen that
        // cannot open.
        event::require_terminal()?;
    }
    if let Some(log) = &args.log
        && let Some(flag) = settings.taps.flag_naming(log)
    {
        return Err(UsageError(format!(
            "--log and {flag} name the same file ({}); each needs its own",
            log.display()
        ))
        .into());
    }
    let output = match (&args.log, headless) {
        (Some(path), _) => OutputTo::File(path.clone()),
        (None, true) => OutputTo::Stderr,
        (None, false) => OutputTo::DefaultLog(settings.run_log_dir.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "nowhere to put the command's output: neither XDG_STATE_HOME nor HOME is set; \
                 use --log FILE"
            )
        })?),
    };
    let default_ms = if headless {
        HEADLESS_RUN_MS
    } else {
        DASHBOARD_MS
    };
    let every = Duration::from_millis(interval.unwrap_or(default_ms));
    // Before the command starts, so a file that cannot be written stops
    // nothing half-way.
    let taps = Taps::for_this_run(&settings.taps, every)?.export_to(settings.metrics.clone());
    let probes = crate::python_probes::for_command(&args.command, args.no_probes)?;
    // With `--stay` the dashboard goes on watching what the command left
    // running; it is ended when corescope ends.
    let lifetime = if args.stay {
        Lifetime::KeepAfterExit
    } else {
        Lifetime::EndWithCommand
    };
    // From the main thread, which lives as long as corescope: the guardian's
    // parent-death signal is tied to the thread that starts it.
    let launched = Launched::start(&args.command, &output, lifetime, probes)?;
    // After the start: the command keeps the limits it was given.
    sampler::raise_open_file_limit();
    let ending = Ending {
        end: launched.final_end(),
        log: launched.log_path().map(PathBuf::from),
    };
    let mut session = Session::for_command(launched)?.record_to(taps);
    if headless {
        let report = headless::run_command(&mut session, plan(every, args.output))?;
        crate::python_probes::tell_notices(report.python.as_ref());
        print_report(&report, args.output.json)?;
        headless::files_written(&session)
    } else {
        dashboard_then_report(session, every, settings, args.stay, Some(ending))
    }
}

/// What the dashboard's final report needs of a command it started: how it
/// ended (known once the session thread, which owns it, has stopped it) and
/// where its output went.
struct Ending {
    end: Arc<OnceLock<RunEnd>>,
    log: Option<PathBuf>,
}

fn plan(interval: Duration, output: HeadlessArgs) -> HeadlessPlan {
    HeadlessPlan {
        interval,
        duration: output.duration,
    }
}

/// The dashboard until the user quits, or the root exits (without `stay`);
/// then the text report of the time up to the exit.
fn dashboard_then_report(
    session: Session,
    interval: Duration,
    settings: &Settings,
    stay: bool,
    ending: Option<Ending>,
) -> Result<()> {
    // A command corescope started (`run`, which has an ending) is measured
    // from its launch.
    let mut builder = if ending.is_some() {
        WatchReportBuilder::from_launch()
    } else {
        WatchReportBuilder::new()
    };
    let mut root_exited = false;
    let preferences = settings.preferences.clone();
    event::run_dashboard_with(session, interval, None, preferences, |snapshot| {
        if root_exited {
            return Flow::Continue;
        }
        root_exited = !snapshot.target.alive;
        builder.add(Arc::clone(snapshot));
        if root_exited && !stay {
            Flow::Stop
        } else {
            Flow::Continue
        }
    })?;
    // The dashboard is closed and its session thread gone: a command it
    // started has been stopped, and how it ended is known.
    let outcome = ending.map(|ending| match ending.end.get() {
        Some(end) => RunOutcome::ended(end, ending.log.as_deref()),
        None => RunOutcome::new(None, !root_exited, ending.log.as_deref()),
    });
    match builder.finish(outcome) {
        Some(report) => print_report(&report, false),
        None => Ok(()),
    }
}

fn print_report(report: &WatchReport, json: bool) -> Result<()> {
    crate::print(&crate::report::rendered(
        report,
        json,
        WatchReport::to_text,
    )?)
}
