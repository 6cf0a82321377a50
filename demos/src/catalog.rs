//! The demo catalogue: every demo's name, one-line summary, "what to look
//! for" text, parameters (defaults and limits) and modes.
//!
//! This is the vocabulary of the table of demos (`demos::DEMOS`), where each
//! demo's entry pairs its spec with the code that runs it; it is data only.

use serde::{Deserialize, Serialize};

/// How a demo's workers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// OS threads, no global lock: they run in parallel.
    Threads,
    /// Child processes, each with its own memory.
    Processes,
    /// OS threads that must hold one global lock to compute (a simulated GIL).
    Gil,
    /// Tasks on one tokio event-loop thread.
    Async,
}

impl Mode {
    /// Every mode, in the order `m` cycles through them.
    pub const ALL: [Self; 4] = [Self::Threads, Self::Gil, Self::Processes, Self::Async];

    /// The name used on the command line and in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Threads => "threads",
            Self::Processes => "processes",
            Self::Gil => "gil",
            Self::Async => "async",
        }
    }

    /// The mode named `name`, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// What a task does with its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Computes: needs a CPU the whole time.
    Cpu,
    /// Waits (sleeps, as for a disk or network reply): needs no CPU.
    Io,
}

impl Kind {
    /// The name used on the command line and in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Io => "io",
        }
    }

    /// The kind named `name`, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Cpu, Self::Io].into_iter().find(|k| k.name() == name)
    }
}

/// A numeric demo parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParamSpec {
    /// The option name without dashes (`workers` is `--workers`).
    pub name: &'static str,
    /// What it sets, for `list` and `--help`.
    pub help: &'static str,
    /// The value when the option is not given.
    pub default: u64,
    /// The smallest value accepted.
    pub min: u64,
    /// The largest value accepted.
    pub max: u64,
}

/// The most workers any demo accepts.
pub const MAX_WORKERS: u64 = 4096;

pub(crate) const fn param(
    name: &'static str,
    help: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> ParamSpec {
    ParamSpec {
        name,
        help,
        default,
        min,
        max,
    }
}

pub(crate) const fn workers(default: u64) -> ParamSpec {
    param(
        "workers",
        "worker threads (or processes)",
        default,
        1,
        MAX_WORKERS,
    )
}

pub(crate) const fn tasks(default: u64) -> ParamSpec {
    param("tasks", "tasks to run", default, 1, 1_000_000)
}

pub(crate) const fn work_ms(default: u64) -> ParamSpec {
    param(
        "work-ms",
        "milliseconds of work per task",
        default,
        0,
        60_000,
    )
}

/// `iterations` for the demos that count in a loop.
pub(crate) const fn iterations(default: u64) -> ParamSpec {
    param(
        "iterations",
        "increments per worker",
        default,
        1,
        100_000_000,
    )
}

/// One demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemoSpec {
    /// The name on the command line.
    pub name: &'static str,
    /// One line: what the demo shows.
    pub summary: &'static str,
    /// What to look for on screen while it runs.
    pub look_for: &'static str,
    /// Modes it runs in; the first is the default.
    pub modes: &'static [Mode],
    /// Whether `--kind cpu|io` applies, and its default.
    pub kind: Option<Kind>,
    /// Its numeric parameters.
    pub params: &'static [ParamSpec],
    /// Named variants (`--variant`); empty when there are none. By default
    /// every variant runs, side by side.
    pub variants: &'static [&'static str],
}

impl DemoSpec {
    /// The spec of parameter `name`, if the demo takes it.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The default mode.
    #[must_use]
    pub fn default_mode(&self) -> Mode {
        self.modes.first().copied().unwrap_or(Mode::Threads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_and_kind_names_round_trip() {
        for mode in Mode::ALL {
            assert_eq!(Mode::from_name(mode.name()), Some(mode));
        }
        assert_eq!(Kind::from_name("io"), Some(Kind::Io));
        assert_eq!(Kind::from_name("gpu"), None);
    }
}
