//! corescope: a terminal dashboard that makes concurrency visible.
//!
//! Data flows one way: the `sampler` reads `/proc` into an immutable
//! `snapshot`; the `model` keeps bounded history of snapshots; `ui` draws the
//! model with the widgets crate; `app` turns input into actions that `event`
//! (the loop) performs. `report` and `headless` serve runs without a screen.

pub mod app;
pub mod cli;
pub mod event;
pub mod headless;
pub mod keymap;
pub mod model;
pub mod report;
pub mod sampler;
pub mod snapshot;
pub mod terminal;
pub mod ui;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Parser;

use cli::{Cli, Command, HeadlessArgs, UsageError};
use headless::HeadlessPlan;
use sampler::Sampler;

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
            eprintln!("corescope: error: {err:#}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    sampler::raise_open_file_limit();
    let interval = Duration::from_millis(cli.interval);
    match cli.command {
        None => event::run_dashboard(Sampler::for_own_process()?, interval),
        Some(Command::Watch(watch)) => {
            let sampler = Sampler::new(watch.pid)?;
            if watch.output.headless {
                print_watch_report(sampler, interval, watch.output)
            } else {
                event::run_dashboard(sampler, interval)
            }
        }
        Some(Command::List { .. }) => bail!("`list` is not implemented yet"),
        Some(Command::Demo(_)) => bail!("`demo` is not implemented yet"),
        Some(Command::Compare(_)) => bail!("`compare` is not implemented yet"),
        Some(Command::Run(_)) => bail!("`run` is not implemented yet"),
    }
}

fn print_watch_report(sampler: Sampler, interval: Duration, output: HeadlessArgs) -> Result<()> {
    let plan = HeadlessPlan {
        interval,
        duration: output.duration,
    };
    let report = headless::watch(sampler, plan)?;
    let text = if output.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        report.to_text()
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is the reader's choice, not our error.
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
