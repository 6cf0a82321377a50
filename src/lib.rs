//! corescope: a terminal dashboard that makes concurrency visible.
//!
//! Data flows one way: the `session` owns the run (its workload: a demo, a
//! comparison or a command; its recorders) and at each tick assembles an
//! immutable `snapshot` from the readings the `sampler` takes of `/proc`;
//! the `model` keeps bounded history of snapshots; `ui` draws the
//! model with the widgets crate; `app` turns input into actions that `event`
//! (the loop) performs. `report` and `headless` serve runs without a screen.

#![warn(unreachable_pub)]
#![cfg_attr(not(test), deny(clippy::expect_used))]

pub(crate) mod agent;
pub mod app;
pub(crate) mod cli;
pub(crate) mod compare;
pub(crate) mod config;
pub(crate) mod error;
pub(crate) mod event;
#[cfg(test)]
mod fuzz_inputs;
pub(crate) mod headless;
pub(crate) mod hits;
pub(crate) mod job_control;
pub(crate) mod keymap;
pub(crate) mod launch;
pub mod lesson;
pub(crate) mod lesson_programs;
pub(crate) mod metrics;
pub(crate) mod model;
pub(crate) mod outside_file;
pub mod picker;
pub(crate) mod printable;
pub(crate) mod private_file;
pub(crate) mod process_list;
pub(crate) mod python_probes;
pub mod record;
pub(crate) mod replay;
pub(crate) mod report;
pub mod sampler;
pub(crate) mod sampling_interval;
pub(crate) mod session;
pub(crate) mod signal_dialog;
pub(crate) mod signal_send;
pub mod snapshot;
pub(crate) mod terminal;
pub(crate) mod thread_view;
pub mod ui;
pub(crate) mod watching;

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::Parser;

use corescope_demos::config::DemoConfig;
use corescope_demos::registry;
use corescope_demos::run::Rounds;

use cli::{Cli, Command};
use corescope_demos::host::DemoHost;
use error::UsageError;
use headless::HeadlessPlan;
use record::Taps;
use session::Session;

/// Runs the command line and returns the process exit code: 0 success,
/// 1 a runtime error (one line on stderr), 2 a usage error.
#[must_use]
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            terminal::restore();
            let code = if err.is::<UsageError>() { 2 } else { 1 };
            // A file's or a process's text can reach the message.
            let message = format!("{err:#}");
            eprintln!("corescope: error: {}", printable::printable(&message));
            ExitCode::from(code)
        }
    }
}

/// The dashboard's (and `watch`'s) sampling interval unless `--interval` says.
const DASHBOARD_MS: u64 = 500;
/// The compare screen's: a mode's end is noticed at the next tick, so the
/// next mode starts sooner; a mode's own figures do not depend on it.
const COMPARE_MS: u64 = 200;
/// A headless demo's: many last under a second, and a worker that lives a
/// few hundred milliseconds must still be seen.
const HEADLESS_DEMO_MS: u64 = 100;

fn run(cli: Cli) -> Result<()> {
    if let Some(code) = helper_process(cli.command.as_ref()) {
        std::process::exit(code);
    }
    let mut settings = config::load(&cli)?;
    // Before anything starts: a port in use stops the run here.
    settings.metrics = metrics_for(&cli)?;
    if let Some(Command::Run(args)) = &cli.command {
        // Raises the open-file limit itself, after the command has started.
        return watching::run(args, &settings);
    }
    sampler::raise_open_file_limit();
    let interval = |default_ms| Duration::from_millis(settings.interval.unwrap_or(default_ms));
    let session_for = |session: Result<Session>, every| -> Result<Session> {
        let taps = Taps::for_this_run(&settings.taps, every)?.export_to(settings.metrics.clone());
        Ok(session?.record_to(taps))
    };
    match cli.command {
        None => {
            let mut lessons = lesson::built_in()
                .map_err(|e| anyhow::anyhow!("a built-in lesson is broken: {e}"))?;
            if let Some(path) = &settings.lesson {
                lessons.insert(
                    0,
                    lesson::load(path).map_err(|e| UsageError(e.to_string()))?,
                );
            }
            event::require_terminal()?;
            let picker = picker::Picker::new(lessons);
            let every = interval(DASHBOARD_MS);
            event::run_dashboard(
                session_for(Session::for_own_process(), every)?,
                every,
                Some(picker),
                settings.preferences,
            )
        }
        Some(Command::Watch(watch)) => watching::watch(&watch, &settings),
        Some(Command::Replay(args)) => replay::replay(&args, &settings),
        Some(Command::List { json }) => print(&list_text(json)?),
        Some(Command::Demo(demo)) => {
            let config = DemoConfig::new(&demo.request()).map_err(|e| UsageError(e.to_string()))?;
            if demo.output.headless {
                let host = DemoHost::start(config, Rounds::Once)?;
                let plan = HeadlessPlan {
                    interval: interval(HEADLESS_DEMO_MS),
                    duration: demo.output.duration,
                };
                let mut session = session_for(Session::for_demo(host), plan.interval)?;
                let report = headless::demo(&mut session, plan)?;
                print_demo_report(&report, demo.output.json)?;
                headless::files_written(&session)
            } else {
                event::require_terminal()?;
                let host = DemoHost::start(config, Rounds::Repeat)?;
                let every = interval(DASHBOARD_MS);
                event::run_dashboard(
                    session_for(Session::for_demo(host), every)?,
                    every,
                    None,
                    settings.preferences,
                )
            }
        }
        Some(Command::Compare(compare)) => {
            if compare.output.headless {
                let comparison = compare::Comparison::new(compare.plan())?;
                let mut session =
                    session_for(Session::for_comparison(comparison), headless::COMPARE_POLL)?;
                let report =
                    headless::compare(&mut session, compare.plan(), compare.output.duration)?;
                print(&report::rendered(
                    &report,
                    compare.output.json,
                    report::compare::CompareReport::to_text,
                )?)?;
                headless::files_written(&session)
            } else {
                event::require_terminal()?;
                let comparison = compare::Comparison::new(compare.plan())?;
                let every = interval(COMPARE_MS);
                event::run_dashboard(
                    session_for(Session::for_comparison(comparison), every)?,
                    every,
                    None,
                    settings.preferences,
                )
            }
        }
        Some(Command::Run(_) | Command::Worker(_) | Command::Exec(_) | Command::Guard(_)) => Ok(()),
        Some(Command::Completions { shell }) => print(&completions(&shell)?),
        Some(Command::Man) => print(&man_page()?),
    }
}

/// The endpoint `cli` asks for, bound and served; `None` without
/// `--metrics`. A command that does not sample (`list`, `replay`, ...) with
/// `--metrics` is a usage error.
fn metrics_for(cli: &Cli) -> Result<Option<metrics::Exporter>> {
    let Some(addr) = cli.metrics else {
        return Ok(None);
    };
    let samples = matches!(
        cli.command,
        None | Some(Command::Demo(_) | Command::Compare(_) | Command::Watch(_) | Command::Run(_))
    );
    if !samples {
        return Err(UsageError(
            "--metrics works with the commands that sample: the dashboard, demo, compare, watch and run"
                .to_owned(),
        )
        .into());
    }
    metrics::Exporter::start(addr, cli.metrics_top).map(Some)
}

/// Runs a hidden command, one of corescope's own helper processes, to its
/// exit code; `None` for any other command. Nothing of the dashboard starts
/// in a helper.
fn helper_process(command: Option<&Command>) -> Option<i32> {
    Some(match command? {
        Command::Worker(worker) => {
            corescope_demos::process::child_main(worker.fd, worker.parent, &worker.spec)
        }
        // About to become a `run` command: it must not inherit anything of ours.
        Command::Exec(exec) => launch::exec::exec_main(exec.parent, &exec.command),
        // Between corescope and a `run` command, until everything it started has ended.
        Command::Guard(guard) => {
            let code = launch::guardian::guard_main(
                guard.parent,
                Duration::from_millis(guard.grace_ms),
                guard.keep,
                &guard.command,
            );
            launch::orphaned_dir::remove_if_orphaned(guard.parent, guard.remove_dir.as_deref());
            code
        }
        _ => return None,
    })
}

/// The completion script for `shell`, generated from the CLI definition.
/// Prints a headless demo's report; a run that failed (its report says
/// why) is then an error, so the exit code says so too.
fn print_demo_report(report: &report::demo::DemoReport, json: bool) -> Result<()> {
    print(&report::rendered(
        report,
        json,
        report::demo::DemoReport::to_text,
    )?)?;
    match &report.error {
        Some(error) => anyhow::bail!("the demo failed: {error}"),
        None => Ok(()),
    }
}

fn completions(shell: &str) -> Result<String> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let shell: Shell = shell.parse().map_err(|e: String| UsageError(e))?;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "corescope", &mut out);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The manual page (roff), generated from the CLI definition, with a section
/// for every subcommand.
fn man_page() -> Result<String> {
    use clap::CommandFactory;
    let command = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("corescope-{}", sub.get_name());
        clap_mangen::Man::new(sub.clone())
            .title(name)
            .render(&mut out)?;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `corescope list`: one line per demo, or the whole catalogue as JSON.
fn list_text(json: bool) -> Result<String> {
    if json {
        let demos = registry::specs()
            .map(demo_json)
            .collect::<Result<Vec<_>>>()?;
        return Ok(serde_json::to_string_pretty(&demos)? + "\n");
    }
    let width = registry::specs().map(|d| d.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for demo in registry::specs() {
        let modes: Vec<&str> = demo.modes.iter().map(|m| m.name()).collect();
        let _ = writeln!(
            text,
            "{:<width$}  {}  [{}]",
            demo.name,
            demo.summary,
            modes.join(", ")
        );
    }
    Ok(text)
}

/// One demo of `list --json`: its catalogue entry, each parameter with
/// `max_by_mode`, the most it may be in each of the demo's modes (its other
/// options at their defaults): processes mode has fewer worker slots than
/// threads have.
fn demo_json(spec: &'static corescope_demos::catalog::DemoSpec) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(spec)?;
    let defaults = DemoConfig::defaults(spec);
    if let Some(params) = value
        .get_mut("params")
        .and_then(serde_json::Value::as_array_mut)
    {
        for param in params {
            let Some(name) = param
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
            else {
                continue;
            };
            let by_mode: serde_json::Map<String, serde_json::Value> = spec
                .modes
                .iter()
                .filter_map(|mode| defaults.in_mode(*mode))
                .map(|config| (config.mode.name().to_owned(), config.max_of(&name).into()))
                .collect();
            param["max_by_mode"] = by_mode.into();
        }
    }
    Ok(value)
}

/// Writes `text` to stdout.
pub(crate) fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is the reader's choice, not our error.
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
