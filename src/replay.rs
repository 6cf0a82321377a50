//! `corescope replay FILE.jsonl`: a recording on the dashboard at its
//! recorded pace (space pauses, the arrows seek), or headless, the report
//! its run would have printed, made from the recorded snapshots alone.

use anyhow::Result;

use crate::cli::ReplayArgs;
use crate::config::Settings;
use crate::error::UsageError;
use crate::event;
use crate::record::{Recording, TapPaths, Taps};
use crate::report::compare::CompareReport;
use crate::report::demo::DemoReport;
use crate::report::rendered;
use crate::report::run::RunOutcome;
use crate::report::watch::{WatchReport, WatchReportBuilder};
use crate::snapshot::Snapshot;

/// Runs `corescope replay` with the user's colours and keys. Of the
/// global `--record` and `--csv`, a replay takes only `--csv`, headless.
pub(crate) fn replay(args: &ReplayArgs, settings: &Settings) -> Result<()> {
    let taps = &settings.taps;
    if taps.record.is_some() {
        return Err(UsageError(
            "a replay cannot --record: the recording is already a file to copy".to_owned(),
        )
        .into());
    }
    if taps.csv.is_some() && !args.headless {
        return Err(UsageError(
            "--csv with replay needs --headless (it writes the whole recording's timeline at once)"
                .to_owned(),
        )
        .into());
    }
    let recording = Recording::open(&args.file)?;
    if recording.cut_short() {
        // Said before the screen opens, so it stands in the terminal after.
        eprintln!(
            "corescope: note: the last line of {} was cut short (the recording was \
             interrupted mid-write) and is left out",
            args.file.display()
        );
    }
    if args.headless {
        let text = report(&recording, taps, args.json)?;
        return crate::print(&text);
    }
    event::require_terminal()?;
    event::run_replay(recording, settings.preferences.clone())
}

/// The report of the recorded run, in the form its live run printed it: a
/// comparison's, a demo's, or a watched tree's (with how a `run` command
/// ended). With `--csv`, the timeline is written on the way.
fn report(recording: &Recording, taps: &TapPaths, json: bool) -> Result<String> {
    let mut csv = Taps::open(taps, recording.header())?;
    let mut builder = WatchReportBuilder::new();
    let mut last: Option<Snapshot> = None;
    for index in 0..recording.len() {
        let snapshot = recording.read(index)?;
        csv.write(&snapshot);
        builder.add(snapshot.clone());
        last = Some(snapshot);
    }
    if let Some(err) = csv.error() {
        anyhow::bail!("{err}");
    }
    let Some(last) = last else {
        anyhow::bail!("the recording holds no snapshot");
    };
    if let Some(compare) = &last.compare {
        let report = CompareReport::new(compare.plan, compare.rows.clone(), compare.error.clone());
        return rendered(&report, json, CompareReport::to_text);
    }
    let run = last
        .run
        .as_ref()
        .map(|run| RunOutcome::new(run.exit.as_ref(), run.exit.is_none(), run.log.as_deref()));
    let demo = last.demo.clone();
    let Some(tree) = builder.finish(run) else {
        anyhow::bail!("the recording holds no snapshot");
    };
    match demo {
        Some(demo) => {
            // A recording that ends before its round did was stopped.
            let stopped = !demo.finished;
            let report = DemoReport::new(demo, &tree).stopped(stopped);
            rendered(&report, json, DemoReport::to_text)
        }
        None => rendered(&tree, json, WatchReport::to_text),
    }
}
