//! The command line: clap definitions and the checks clap cannot express.
//!
//! Everything a user types is validated here, once, into plain values; the rest
//! of corescope never parses an argument. Exit codes are part of the contract:
//! 0 success, 2 a usage error (clap's own, or a `UsageError`), 1 a runtime error.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::sampler::INTERVAL_RANGE_MS;

/// corescope: see concurrency happen. Per-core load, threads, processes, lock
/// waits and queue depths, live, for built-in demos or any running program.
#[derive(Debug, Parser)]
#[command(name = "corescope", version, propagate_version = true)]
#[command(after_help = "Run with no command to open the dashboard on corescope itself.")]
pub struct Cli {
    /// Sampling interval in milliseconds (50 to 10000).
    #[arg(long, global = true, value_name = "MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(*INTERVAL_RANGE_MS.start()..=*INTERVAL_RANGE_MS.end()))]
    pub interval: u64,

    /// What to do; without one, the dashboard opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands of the DESIGN contract.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the built-in demos, one line each.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run one demo in the dashboard, or headless with a report.
    Demo(DemoArgs),
    /// Run one workload as sequential, threads, gil, processes and async, side by side.
    Compare(CompareArgs),
    /// Watch a running process and everything it starts.
    Watch(WatchArgs),
    /// Start a command and watch it until it exits.
    Run(RunArgs),
}

/// Options shared by every command that can run without a screen.
#[derive(Debug, Clone, Copy, Args)]
pub struct HeadlessArgs {
    /// No dashboard: sample, then print a report.
    #[arg(long)]
    pub headless: bool,
    /// Print the report as JSON (with --headless).
    #[arg(long, requires = "headless")]
    pub json: bool,
    /// Stop after this many seconds (with --headless), e.g. 2 or 0.5.
    #[arg(long, value_name = "SECS", requires = "headless", allow_hyphen_values = true,
          value_parser = parse_duration)]
    pub duration: Option<Duration>,
}

/// `corescope demo NAME ...`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The demo to run (see `corescope list`).
    pub name: String,
    /// Report options.
    #[command(flatten)]
    pub output: HeadlessArgs,
}

/// `corescope compare ...`
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Report options.
    #[command(flatten)]
    pub output: HeadlessArgs,
}

/// `corescope watch PID ...`
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The process to watch, with its threads and descendants.
    #[arg(value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: i32,
    /// Report options.
    #[command(flatten)]
    pub output: HeadlessArgs,
}

/// `corescope run -- CMD ARGS...`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Report options.
    #[command(flatten)]
    pub output: HeadlessArgs,
    /// The command to start, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// A usage problem found after parsing (exit code 2, like clap's own).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The longest `--duration` accepted: a day. Longer is a typo, not a plan.
const MAX_DURATION: Duration = Duration::from_hours(24);

/// Parses `--duration SECS`: a positive number of seconds, at most a day.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("must be more than 0 seconds, got {text}"));
    }
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
        .ok_or_else(|| {
            format!(
                "must be at most {} seconds, got {text}",
                MAX_DURATION.as_secs()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("corescope").chain(args.iter().copied()))
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_arguments_opens_the_dashboard_at_the_default_interval() {
        let cli = parse(&[]).expect("parse");
        assert!(cli.command.is_none());
        assert_eq!(cli.interval, 500);
    }

    #[test]
    fn interval_outside_its_range_is_a_usage_error() {
        for bad in ["49", "10001", "0", "abc"] {
            let err = parse(&["--interval", bad]).expect_err(bad);
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
        assert_eq!(parse(&["--interval", "50"]).expect("50").interval, 50);
    }

    #[test]
    fn watch_takes_a_positive_pid_and_headless_options() {
        let cli =
            parse(&["watch", "42", "--headless", "--duration", "1.5", "--json"]).expect("parse");
        let Some(Command::Watch(watch)) = cli.command else {
            panic!("watch")
        };
        assert_eq!(watch.pid, 42);
        assert!(watch.output.headless && watch.output.json);
        assert_eq!(watch.output.duration, Some(Duration::from_millis(1500)));
        for bad in ["0", "-3", "x"] {
            assert_eq!(parse(&["watch", bad]).expect_err(bad).exit_code(), 2);
        }
    }

    #[test]
    fn durations_must_be_positive_and_sane() {
        for bad in ["-1", "0", "nan", "inf", "1e9", "soon"] {
            let err = parse(&["watch", "1", "--headless", "--duration", bad]).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::ValueValidation, "{bad}");
        }
    }

    #[test]
    fn json_without_headless_is_refused() {
        let err = parse(&["watch", "1", "--json"]).expect_err("needs headless");
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn run_keeps_everything_after_the_double_dash() {
        let cli = parse(&["run", "--headless", "--", "python3", "-c", "print(1)"]).expect("parse");
        let Some(Command::Run(run)) = cli.command else {
            panic!("run")
        };
        assert_eq!(run.command, ["python3", "-c", "print(1)"]);
        assert!(parse(&["run"]).is_err(), "a command is required");
    }
}
