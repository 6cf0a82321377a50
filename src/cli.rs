//! The command line: clap definitions and the checks clap cannot express.
//!
//! Everything a user types is validated here, once, into plain values; the rest
//! of corescope never parses an argument. Exit codes are part of the contract:
//! 0 success, 2 a usage error (clap's own, or a `UsageError`), 1 a runtime error.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use corescope_demos::catalog::{Kind, Mode};
use corescope_demos::config::DemoRequest;
use corescope_demos::config::Fault;

use crate::snapshot::compare::ComparePlan;

use crate::sampler::INTERVAL_RANGE_MS;

/// corescope: see concurrency happen. Per-core load, threads, processes, lock
/// waits and queue depths, live, for built-in demos or any running program.
#[derive(Debug, Parser)]
#[command(name = "corescope", version, propagate_version = true)]
#[command(after_help = "Run with no command to open the dashboard on corescope itself.")]
pub(crate) struct Cli {
    /// Sampling interval in milliseconds (50 to 10000). Default 500; 100 for
    /// headless demos, which often last under a second.
    #[arg(long, global = true, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(*INTERVAL_RANGE_MS.start()..=*INTERVAL_RANGE_MS.end()))]
    pub interval: Option<u64>,

    /// A lesson file (TOML) to add to the picker, first in the list.
    #[arg(long, value_name = "FILE")]
    pub lesson: Option<std::path::PathBuf>,

    /// Write every snapshot to FILE (JSON Lines), to play back later with
    /// `corescope replay FILE`. Created mode 0600; never through a link.
    #[arg(long, global = true, value_name = "FILE.jsonl")]
    pub record: Option<PathBuf>,

    /// Write the timeline to FILE as CSV: a row per snapshot (per-core load,
    /// parallelism, threads, processes, a demo's tasks and probes). Created
    /// mode 0600; never through a link.
    #[arg(long, global = true, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Serve the figures for Prometheus at `http://ADDR/metrics` (OpenMetrics
    /// text): PORT (then 127.0.0.1:PORT), IP:PORT or [IPv6]:PORT. Loopback
    /// unless the address says otherwise; the endpoint only reads.
    #[arg(long, global = true, value_name = "ADDR", value_parser = crate::metrics::parse_addr)]
    pub metrics: Option<std::net::SocketAddr>,

    /// With --metrics: how many threads (the most CPU time first) are
    /// exported one by one; the others are summed (1 to 1000, default 20).
    #[arg(long, global = true, value_name = "N", default_value_t = crate::metrics::DEFAULT_TOP_THREADS,
          value_parser = clap::value_parser!(u16).range(1..=1000).map(usize::from))]
    pub metrics_top: usize,

    /// The config file (TOML). Default: `$XDG_CONFIG_HOME/corescope/config.toml`,
    /// else `~/.config/corescope/config.toml` (none there means the defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The colours: dark (default), light, high-contrast (projectors),
    /// monochrome, or a theme file. Wins over the config file and `NO_COLOR`.
    #[arg(long, global = true, value_name = "NAME|FILE")]
    pub theme: Option<String>,

    /// What to do; without one, the dashboard opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands of the DESIGN contract.
#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per run: boxing the demo's many options would buy nothing"
)]
pub(crate) enum Command {
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
    /// Play a recording (`--record FILE.jsonl`) back at its recorded pace.
    Replay(ReplayArgs),
    /// Print a shell completion script: `corescope completions bash > ...`.
    Completions {
        /// The shell.
        #[arg(value_parser = PossibleValuesParser::new(["bash", "zsh", "fish", "elvish", "powershell"]))]
        shell: String,
    },
    /// Print the manual page (roff): `corescope man | man -l -`.
    Man,
    /// A demo's worker process (started by corescope itself, not by hand).
    #[command(hide = true)]
    Worker(WorkerArgs),
    /// The first moments of a `run` command (started by corescope itself).
    #[command(hide = true)]
    Exec(ExecArgs),
    /// The guardian of a `run` command (started by corescope itself).
    #[command(hide = true)]
    Guard(GuardArgs),
}

/// `corescope worker`: the internal command a worker process runs.
#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    /// The shared region's descriptor, inherited from the parent.
    #[arg(long)]
    pub fd: i32,
    /// The parent's process id, to check it is still there.
    #[arg(long)]
    pub parent: i32,
    /// The job, as JSON.
    #[arg(long)]
    pub spec: String,
}

/// `corescope exec`: ties itself to corescope's life, then becomes the
/// command of `run` (see `launch`).
#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// The process id of the corescope that started it.
    #[arg(long)]
    pub parent: i32,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    pub command: Vec<OsString>,
}

/// `corescope guard`: the subreaper between corescope and a `run` command,
/// which ends everything the command started (see `launch::guardian`).
#[derive(Debug, Args)]
pub(crate) struct GuardArgs {
    /// The process id of the corescope that started it.
    #[arg(long)]
    pub parent: i32,
    /// Milliseconds between SIGTERM and SIGKILL when ending the tree.
    #[arg(long)]
    pub grace_ms: u64,
    /// Leave what the command left running until corescope ends.
    #[arg(long)]
    pub keep: bool,
    /// A directory of corescope's (a Python program's probes) to remove at
    /// the end if corescope died meanwhile.
    #[arg(long)]
    pub remove_dir: Option<std::path::PathBuf>,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    pub command: Vec<OsString>,
}

/// Options shared by every command that can run without a screen.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct HeadlessArgs {
    /// No dashboard: sample, then print a report.
    #[arg(long)]
    pub headless: bool,
    /// Print the report as JSON (with --headless).
    #[arg(long, requires = "headless")]
    pub json: bool,
    /// A time limit (with --headless), e.g. 2 or 0.5: the run ends then, or
    /// earlier when it ends by itself (watch: the process exits; run: the
    /// command exits, else it is stopped; demo: its round finishes, else it
    /// is stopped and the report says so; compare: the last mode finishes,
    /// else the modes done so far are reported).
    #[arg(long, value_name = "SECS", requires = "headless", allow_hyphen_values = true,
          value_parser = parse_duration)]
    pub duration: Option<Duration>,
}

/// `corescope demo NAME ...`
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The demo to run (see `corescope list`).
    pub name: String,
    /// How its workers run (each demo supports some; see `corescope list`).
    #[arg(long, value_parser = PossibleValuesParser::new(["threads", "processes", "gil", "async"])
          .map(|m| Mode::from_name(&m).unwrap_or(Mode::Threads)))]
    pub mode: Option<Mode>,
    /// What each task does: compute (cpu) or wait (io).
    #[arg(long, value_parser = PossibleValuesParser::new(["cpu", "io"])
          .map(|k| Kind::from_name(&k).unwrap_or(Kind::Cpu)))]
    pub kind: Option<Kind>,
    /// Run only this variant (race: unsynchronized|locked|atomic, or stepped: the race one step at a time, then at full speed; bank: unlocked|locked).
    #[arg(long)]
    pub variant: Option<String>,
    /// The demo's numeric options.
    #[command(flatten)]
    pub numbers: DemoNumbers,
    /// Crash worker N (processes mode) after its first task, to see a failure
    /// reported (a drill; repeatable).
    #[arg(long, value_name = "N", hide = true)]
    pub crash_worker: Vec<usize>,
    /// Make worker N (processes mode) hang until the demo stops it.
    #[arg(long, value_name = "N", hide = true)]
    pub hang_worker: Vec<usize>,
    /// Report options.
    #[command(flatten)]
    pub output: HeadlessArgs,
}

/// Every numeric demo option. Each demo takes some of them (`corescope list`
/// says which, with limits); the others are refused with the list it takes.
#[derive(Debug, Clone, Copy, Default, Args)]
#[command(next_help_heading = "Demo options (each demo takes some; see `corescope list`)")]
pub(crate) struct DemoNumbers {
    /// Worker threads (or processes), 1 to 4096; in processes mode at most
    /// 64 processes in all (`corescope list --json` gives each mode's most).
    #[arg(long, value_name = "N")]
    pub workers: Option<u64>,
    /// Tasks to run.
    #[arg(long, value_name = "N")]
    pub tasks: Option<u64>,
    /// Milliseconds of work per task.
    #[arg(long, value_name = "MS")]
    pub work_ms: Option<u64>,
    /// Increments per worker (race).
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// Starting balance (bank).
    #[arg(long, value_name = "N")]
    pub balance: Option<u64>,
    /// Each withdrawal (bank).
    #[arg(long, value_name = "N")]
    pub amount: Option<u64>,
    /// A pause in milliseconds (bank: check to update; event: before setting).
    #[arg(long, value_name = "MS")]
    pub delay_ms: Option<u64>,
    /// Milliseconds of work inside the lock (lock-contention).
    #[arg(long, value_name = "MS")]
    pub critical_ms: Option<u64>,
    /// Recursion depth (rlock).
    #[arg(long, value_name = "N")]
    pub depth: Option<u64>,
    /// Barrier generations (barrier).
    #[arg(long, value_name = "N")]
    pub phases: Option<u64>,
    /// Permits (semaphore, async).
    #[arg(long, value_name = "K")]
    pub permits: Option<u64>,
    /// Queue capacity (producer-consumer).
    #[arg(long, value_name = "C")]
    pub capacity: Option<u64>,
    /// Producer threads (producer-consumer).
    #[arg(long, value_name = "N")]
    pub producers: Option<u64>,
    /// Consumer threads (producer-consumer).
    #[arg(long, value_name = "N")]
    pub consumers: Option<u64>,
    /// Milliseconds to produce an item (producer-consumer).
    #[arg(long, value_name = "MS")]
    pub produce_ms: Option<u64>,
    /// GIL switch interval in milliseconds (gil).
    #[arg(long, value_name = "MS")]
    pub switch_ms: Option<u64>,
    /// Messages (round trips) to send (pipe).
    #[arg(long, value_name = "N")]
    pub messages: Option<u64>,
    /// Bytes in each message (pipe).
    #[arg(long, value_name = "N")]
    pub bytes: Option<u64>,
}

impl DemoNumbers {
    /// The options given, by catalogue name (`work-ms`), in a fixed order.
    #[must_use]
    pub(crate) fn given(&self) -> Vec<(String, u64)> {
        [
            ("workers", self.workers),
            ("tasks", self.tasks),
            ("work-ms", self.work_ms),
            ("iterations", self.iterations),
            ("balance", self.balance),
            ("amount", self.amount),
            ("delay-ms", self.delay_ms),
            ("critical-ms", self.critical_ms),
            ("depth", self.depth),
            ("phases", self.phases),
            ("permits", self.permits),
            ("capacity", self.capacity),
            ("producers", self.producers),
            ("consumers", self.consumers),
            ("produce-ms", self.produce_ms),
            ("switch-ms", self.switch_ms),
            ("messages", self.messages),
            ("bytes", self.bytes),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?)))
        .collect()
    }
}

impl DemoArgs {
    /// What the user asked for, to be checked against the catalogue.
    #[must_use]
    pub(crate) fn request(&self) -> DemoRequest {
        DemoRequest {
            name: self.name.clone(),
            mode: self.mode,
            kind: self.kind,
            variant: self.variant.clone(),
            values: self.numbers.given(),
            faults: self
                .crash_worker
                .iter()
                .map(|slot| (*slot, Fault::Crash))
                .chain(self.hang_worker.iter().map(|slot| (*slot, Fault::Hang)))
                .collect(),
        }
    }
}

/// `corescope compare ...`
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// What each task does: compute (cpu) or wait (io).
    #[arg(long, default_value = "cpu", value_parser = PossibleValuesParser::new(["cpu", "io"])
          .map(|k| Kind::from_name(&k).unwrap_or(Kind::Cpu)))]
    pub kind: Kind,
    /// Workers in the concurrent modes (1 to 64); default: one per core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: Option<u64>,
    /// Tasks, the same in every mode (1 to 100000); default: two per worker.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub tasks: Option<u64>,
    /// Milliseconds of work per task (0 to 60000).
    #[arg(long, value_name = "MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub work_ms: u64,
    /// Report options.
    #[command(flatten)]
    pub output: HeadlessArgs,
}

impl CompareArgs {
    /// The workload, with the defaults filled in.
    #[must_use]
    pub(crate) fn plan(&self) -> ComparePlan {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = self
            .workers
            .map_or(cores.min(64), |w| usize::try_from(w).unwrap_or(64));
        ComparePlan {
            kind: self.kind,
            workers,
            tasks: self.tasks.unwrap_or(2 * workers as u64),
            work_ms: self.work_ms,
        }
    }
}

/// `corescope watch [PID] ...`
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// The process to watch, with its threads and descendants. Without it,
    /// a list of the machine's processes to choose one from (not headless).
    #[arg(value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: Option<i32>,
    /// No PID: the whole machine (per-core load, memory, the top processes
    /// by CPU, as many as --metrics-top), for --metrics; with --headless.
    /// Runs until a signal (or --duration).
    #[arg(long, conflicts_with_all = ["pid", "stay", "json"], requires = "headless")]
    pub all: bool,
    /// Keep the dashboard open after the process exits (it closes, printing
    /// a report, without this).
    #[arg(long, conflicts_with = "headless")]
    pub stay: bool,
    /// Report options.
    #[command(flatten)]
    pub output: HeadlessArgs,
}

/// `corescope run -- CMD ARGS...`
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Write the command's output (stdout and stderr) to FILE (mode 0600 if
    /// new; never through a symbolic link). Default: in the dashboard
    /// `$XDG_STATE_HOME/corescope/corescope-run-PID.log` (else under
    /// `~/.local/state`); headless, corescope's stderr (the report alone goes
    /// to stdout).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Keep the dashboard open after the command exits (it closes, printing
    /// a report, without this), and what the command left running with it:
    /// it is watched, and ended when you quit. Without --stay it is ended
    /// when the command exits.
    #[arg(long, conflicts_with = "headless")]
    pub stay: bool,
    /// Run a Python program without corescope's probes (by default its
    /// locks, semaphores and queues are measured: see the README).
    #[arg(long)]
    pub no_probes: bool,
    /// Report options.
    #[command(flatten)]
    pub output: HeadlessArgs,
    /// The command to start, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// `corescope replay FILE.jsonl ...`
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The recording, as `--record` wrote it.
    #[arg(value_name = "FILE.jsonl")]
    pub file: PathBuf,
    /// No dashboard: read the whole recording at once and print the report
    /// its run would have printed (with `--csv`, also write its timeline).
    #[arg(long)]
    pub headless: bool,
    /// Print the report as JSON (with --headless).
    #[arg(long, requires = "headless")]
    pub json: bool,
}

impl Cli {
    /// The files this run writes besides its screen or report.
    #[must_use]
    pub(crate) fn taps(&self) -> crate::record::TapPaths {
        crate::record::TapPaths {
            record: self.record.clone(),
            csv: self.csv.clone(),
        }
    }
}

/// The longest `--duration` accepted: a day. Longer is a typo, not a plan.
const MAX_DURATION: Duration = Duration::from_hours(24);

/// Parses `--duration SECS`: a positive number of seconds, at most a day.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !secs.is_finite() {
        return Err(format!("must be a finite number of seconds, got {text}"));
    }
    if secs <= 0.0 {
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
        assert_eq!(cli.interval, None);
    }

    #[test]
    fn interval_outside_its_range_is_a_usage_error() {
        for bad in ["49", "10001", "0", "abc"] {
            let err = parse(&["--interval", bad]).expect_err(bad);
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
        assert_eq!(parse(&["--interval", "50"]).expect("50").interval, Some(50));
    }

    #[test]
    fn watch_takes_a_positive_pid_and_headless_options() {
        let cli =
            parse(&["watch", "42", "--headless", "--duration", "1.5", "--json"]).expect("parse");
        let Some(Command::Watch(watch)) = cli.command else {
            panic!("watch")
        };
        assert_eq!(watch.pid, Some(42));
        assert!(watch.output.headless && watch.output.json);
        assert_eq!(watch.output.duration, Some(Duration::from_millis(1500)));
        for bad in ["0", "-3", "x"] {
            assert_eq!(parse(&["watch", bad]).expect_err(bad).exit_code(), 2);
        }
    }

    #[test]
    fn watch_without_a_pid_parses_for_the_process_list() {
        let Some(Command::Watch(watch)) = parse(&["watch"]).expect("parse").command else {
            panic!("watch")
        };
        assert_eq!((watch.pid, watch.all), (None, false));
    }

    #[test]
    fn durations_must_be_positive_and_sane() {
        for (bad, says) in [
            ("-1", "must be more than 0 seconds"),
            ("0", "must be more than 0 seconds"),
            ("nan", "must be a finite number of seconds"),
            ("inf", "must be a finite number of seconds"),
            ("-inf", "must be a finite number of seconds"),
            ("1e9", "must be at most 86400 seconds"),
            ("soon", "is not a number of seconds"),
        ] {
            let err = parse(&["watch", "1", "--headless", "--duration", bad]).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::ValueValidation, "{bad}");
            assert!(err.to_string().contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn json_without_headless_is_refused() {
        let err = parse(&["watch", "1", "--json"]).expect_err("needs headless");
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn demo_options_reach_the_request_by_catalogue_name() {
        let cli = parse(&[
            "demo",
            "semaphore",
            "--permits",
            "3",
            "--work-ms",
            "5",
            "--mode",
            "threads",
        ])
        .expect("parse");
        let Some(Command::Demo(demo)) = cli.command else {
            panic!("demo")
        };
        let request = demo.request();
        assert_eq!(request.name, "semaphore");
        assert_eq!(request.mode, Some(Mode::Threads));
        assert_eq!(
            request.values,
            [("work-ms".to_owned(), 5), ("permits".to_owned(), 3)]
        );
        assert_eq!(
            parse(&["demo", "gil", "--mode", "fibers"])
                .expect_err("mode")
                .exit_code(),
            2
        );
    }

    #[test]
    fn every_catalogue_parameter_has_a_flag() {
        let command = Cli::command();
        let demo = command.find_subcommand("demo").expect("demo");
        for spec in corescope_demos::registry::specs() {
            for param in spec.params {
                assert!(
                    demo.get_arguments()
                        .any(|a| a.get_long() == Some(param.name)),
                    "--{} of `{}` has no flag",
                    param.name,
                    spec.name
                );
            }
        }
    }

    #[test]
    fn run_keeps_everything_after_the_double_dash() {
        let cli = parse(&["run", "--headless", "--", "python3", "-c", "print(1)"]).expect("parse");
        let Some(Command::Run(run)) = cli.command else {
            panic!("run")
        };
        assert_eq!(run.command, ["python3", "-c", "print(1)"]);
        assert!(!run.stay && run.log.is_none());
        assert!(parse(&["run"]).is_err(), "a command is required");
    }

    #[test]
    fn run_takes_a_log_file_and_stay_only_with_a_screen() {
        let cli = parse(&["run", "--stay", "--log", "out.txt", "--", "ls"]).expect("parse");
        let Some(Command::Run(run)) = cli.command else {
            panic!("run")
        };
        assert!(run.stay);
        assert_eq!(run.log, Some(PathBuf::from("out.txt")));
        let err = parse(&["run", "--stay", "--headless", "--", "ls"]).expect_err("conflict");
        assert_eq!(err.exit_code(), 2);
        assert!(parse(&["watch", "1", "--stay"]).is_ok());
    }
}
