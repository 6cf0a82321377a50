//! A demo's run configuration: the catalogue's parameters resolved against
//! what the user asked for, and checked once, here.
//!
//! Every rejection is one sentence a student can act on: the unknown demo
//! lists the known ones, a value out of range states the range.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{DemoSpec, Kind, Mode};
use crate::shm::{ARRAY_LEN, MAX_PROCESSES, MAX_QUEUE_CAPACITY};

/// Why a configuration was refused. Each is a usage error (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No demo has this name.
    #[error("unknown demo `{name}`; the demos are: {}", .known.join(", "))]
    UnknownDemo {
        /// What was asked for.
        name: String,
        /// Every demo name.
        known: Vec<&'static str>,
    },
    /// The demo does not take this option.
    #[error("demo `{demo}` has no --{option} option{}", accepted_list(.accepted))]
    UnknownOption {
        /// The demo.
        demo: &'static str,
        /// The option given.
        option: String,
        /// The options it does take.
        accepted: Vec<&'static str>,
    },
    /// A value outside the parameter's limits.
    #[error("--{option} must be between {min} and {max}, got {value}")]
    OutOfRange {
        /// The option.
        option: &'static str,
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
        /// What was given.
        value: u64,
    },
    /// The demo does not run in this mode.
    #[error("demo `{demo}` runs in {} mode, not in {mode}", either(.modes))]
    UnsupportedMode {
        /// The demo.
        demo: &'static str,
        /// The mode asked for.
        mode: &'static str,
        /// Its modes.
        modes: Vec<&'static str>,
    },
    /// `--kind` given to a demo whose tasks have no kind.
    #[error("demo `{demo}` has no --kind option (its tasks are what they are)")]
    NoKind {
        /// The demo.
        demo: &'static str,
    },
    /// More worker processes than the shared region has slots for.
    #[error("processes mode runs at most {max} worker processes, asked for {asked}")]
    TooManyProcesses {
        /// Processes asked for.
        asked: u64,
        /// The limit.
        max: u64,
    },
    /// An unknown `--variant`.
    #[error("demo `{demo}` has no variant `{variant}`{}", variants_list(.variants))]
    UnknownVariant {
        /// The demo.
        demo: &'static str,
        /// What was asked for.
        variant: String,
        /// Its variants.
        variants: Vec<&'static str>,
    },
}

/// Processes a demo starts besides its workers, producers and consumers.
const EXTRA_PROCESSES: &[(&str, u64)] = &[
    // The manager's server.
    ("manager", 1),
    // The two ends of the pipe (it has no worker count).
    ("pipe", 2),
];

/// The parameters that each count worker processes in processes mode.
const PROCESS_COUNTS: [&str; 3] = ["workers", "producers", "consumers"];

/// Processes `spec` starts besides those its parameters count.
fn extra_processes(spec: &DemoSpec) -> u64 {
    EXTRA_PROCESSES
        .iter()
        .find(|(name, _)| *name == spec.name)
        .map_or(0, |(_, n)| *n)
}

/// Demos whose processes put one result per task in the region's array.
const RESULT_PER_TASK: &[&str] = &["thread-pool"];

/// Worker processes report through fixed-size slots in shared memory: their
/// number, the queue's capacity and the results they can leave have smaller
/// limits than threads'.
fn check_process_limits(
    spec: &DemoSpec,
    values: &[(&'static str, u64)],
) -> Result<(), ConfigError> {
    let extra = extra_processes(spec);
    let processes: u64 = extra
        + values
            .iter()
            .filter(|(name, _)| PROCESS_COUNTS.contains(name))
            .map(|(_, v)| *v)
            .sum::<u64>();
    let max_processes = MAX_PROCESSES as u64;
    if processes > max_processes {
        return Err(ConfigError::TooManyProcesses {
            asked: processes,
            max: max_processes,
        });
    }
    if let Some((_, capacity)) = values.iter().find(|(name, _)| *name == "capacity")
        && *capacity > MAX_QUEUE_CAPACITY as u64
    {
        return Err(ConfigError::OutOfRange {
            option: "capacity",
            min: 1,
            max: MAX_QUEUE_CAPACITY as u64,
            value: *capacity,
        });
    }
    if RESULT_PER_TASK.contains(&spec.name)
        && let Some((_, tasks)) = values.iter().find(|(name, _)| *name == "tasks")
        && *tasks > ARRAY_LEN as u64
    {
        return Err(ConfigError::OutOfRange {
            option: "tasks",
            min: 1,
            max: ARRAY_LEN as u64,
            value: *tasks,
        });
    }
    Ok(())
}

/// `a`, `a or b`, `a, b or c`.
fn either(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [rest @ .., final_one] => format!("{} or {final_one}", rest.join(", ")),
    }
}

fn accepted_list(accepted: &[&str]) -> String {
    if accepted.is_empty() {
        " (it takes no numeric options)".to_owned()
    } else {
        let flags: Vec<String> = accepted.iter().map(|a| format!("--{a}")).collect();
        format!(" (its options: {})", flags.join(", "))
    }
}

fn variants_list(variants: &[&str]) -> String {
    if variants.is_empty() {
        " (it has no variants)".to_owned()
    } else {
        format!(" (its variants: {})", variants.join(", "))
    }
}

/// A fault a worker process injects on purpose (hidden options, for
/// failure drills and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Crashes (SIGSEGV) after its first task.
    Crash,
    /// Stops answering: sleeps forever, ignoring the controls, until killed.
    Hang,
}

/// Faults to inject, by slot: the first process started in the slot gets it.
pub type Faults = BTreeMap<usize, Fault>;

/// What a user asked for, before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoRequest {
    /// Demo name.
    pub name: String,
    /// `--mode`, if given.
    pub mode: Option<Mode>,
    /// `--kind`, if given.
    pub kind: Option<Kind>,
    /// `--variant`, if given.
    pub variant: Option<String>,
    /// Numeric options given, by name without dashes.
    pub values: Vec<(String, u64)>,
    /// Faults to inject into worker processes, by worker index (hidden
    /// options, for failure drills and tests).
    pub faults: Faults,
}

/// A checked configuration, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// The demo.
    pub spec: &'static DemoSpec,
    /// The mode it runs in.
    pub mode: Mode,
    /// The kind of its tasks, for demos that have one.
    pub kind: Option<Kind>,
    /// The one variant to run; `None` runs them all.
    pub variant: Option<&'static str>,
    /// Faults to inject into worker processes, by worker index.
    pub faults: Faults,
    values: Vec<(&'static str, u64)>,
}

impl DemoConfig {
    /// Checks `request`'s options against `spec`, the demo it names.
    /// (`DemoConfig::new`, in `registry`, finds the spec by name first.)
    pub fn for_spec(spec: &'static DemoSpec, request: &DemoRequest) -> Result<Self, ConfigError> {
        let mode = match request.mode {
            Some(mode) if !spec.modes.contains(&mode) => {
                return Err(ConfigError::UnsupportedMode {
                    demo: spec.name,
                    mode: mode.name(),
                    modes: spec.modes.iter().map(|m| m.name()).collect(),
                });
            }
            Some(mode) => mode,
            None => spec.default_mode(),
        };
        let kind = match (request.kind, spec.kind) {
            (Some(_), None) => return Err(ConfigError::NoKind { demo: spec.name }),
            (asked, default) => asked.or(default),
        };
        let variant =
            match &request.variant {
                None => None,
                Some(v) => Some(*spec.variants.iter().find(|known| *known == v).ok_or_else(
                    || ConfigError::UnknownVariant {
                        demo: spec.name,
                        variant: v.clone(),
                        variants: spec.variants.to_vec(),
                    },
                )?),
            };
        let mut values: Vec<(&'static str, u64)> =
            spec.params.iter().map(|p| (p.name, p.default)).collect();
        for (option, value) in &request.values {
            let Some(param) = spec.param(option) else {
                return Err(ConfigError::UnknownOption {
                    demo: spec.name,
                    option: option.clone(),
                    accepted: spec.params.iter().map(|p| p.name).collect(),
                });
            };
            if !(param.min..=param.max).contains(value) {
                return Err(ConfigError::OutOfRange {
                    option: param.name,
                    min: param.min,
                    max: param.max,
                    value: *value,
                });
            }
            if let Some(slot) = values.iter_mut().find(|(n, _)| *n == param.name) {
                slot.1 = *value;
            }
        }
        if mode == Mode::Processes {
            check_process_limits(spec, &values)?;
        }
        Ok(Self {
            spec,
            mode,
            kind,
            variant,
            faults: request.faults.clone(),
            values,
        })
    }

    /// The demo's defaults in its default mode.
    #[must_use]
    pub fn defaults(spec: &'static DemoSpec) -> Self {
        Self {
            spec,
            mode: spec.default_mode(),
            kind: spec.kind,
            variant: None,
            faults: Faults::new(),
            values: spec.params.iter().map(|p| (p.name, p.default)).collect(),
        }
    }

    /// The value of parameter `name`. Demos ask only for their own
    /// parameters; an unknown name is a bug, caught in debug builds.
    #[must_use]
    pub fn get(&self, name: &str) -> u64 {
        let value = self
            .values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v);
        debug_assert!(
            value.is_some(),
            "demo `{}` has no parameter `{name}`",
            self.spec.name
        );
        value.unwrap_or(0)
    }

    /// The value of `name` as a `usize` (counts of workers, tasks...).
    #[must_use]
    pub fn count(&self, name: &str) -> usize {
        usize::try_from(self.get(name)).unwrap_or(usize::MAX)
    }

    /// Every parameter with its value, in catalogue order.
    #[must_use]
    pub fn values(&self) -> &[(&'static str, u64)] {
        &self.values
    }

    /// The same configuration with `name` set to `value`, clamped to the
    /// parameter's limits in this mode ([`DemoConfig::max_of`]); unchanged
    /// if the demo has no such parameter.
    #[must_use]
    pub fn with(&self, name: &str, value: u64) -> Self {
        let mut next = self.clone();
        let max = self.max_of(name);
        if let Some(param) = self.spec.param(name)
            && let Some(slot) = next.values.iter_mut().find(|(n, _)| *n == name)
        {
            slot.1 = value.clamp(param.min, max.max(param.min));
        }
        next
    }

    /// The most `name` may be in this configuration's mode, the other
    /// values as they are: the catalogue's limit, and in processes mode no
    /// more than the shared region's worker slots left by the other
    /// process counts ([`MAX_PROCESSES`] in all). 0 for no such parameter.
    #[must_use]
    pub fn max_of(&self, name: &str) -> u64 {
        let Some(param) = self.spec.param(name) else {
            return 0;
        };
        if self.mode != Mode::Processes || !PROCESS_COUNTS.contains(&name) {
            return param.max;
        }
        let others: u64 = self
            .values
            .iter()
            .filter(|(n, _)| *n != name && PROCESS_COUNTS.contains(n))
            .map(|(_, v)| *v)
            .sum();
        let left = (MAX_PROCESSES as u64).saturating_sub(extra_processes(self.spec) + others);
        param.max.min(left)
    }

    /// The parameter that sets how many workers run, which `+`/`-` change:
    /// `workers`, or `consumers` where the workers are consumers.
    #[must_use]
    pub fn scaled_param(&self) -> Option<&'static str> {
        ["workers", "consumers"]
            .into_iter()
            .find(|name| self.spec.param(name).is_some())
    }

    /// The same configuration in `mode`, if the demo supports it.
    #[must_use]
    pub fn in_mode(&self, mode: Mode) -> Option<Self> {
        let moved = self.spec.modes.contains(&mode).then(|| Self {
            mode,
            ..self.clone()
        })?;
        // Threads may outnumber the processes a mode can start: each count
        // is brought within what is left to it.
        Some(PROCESS_COUNTS.iter().fold(moved, |config, name| {
            match config.values.iter().find(|(n, _)| n == name) {
                Some((_, value)) => config.with(name, *value),
                None => config,
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, values: &[(&str, u64)]) -> DemoRequest {
        DemoRequest {
            name: name.to_owned(),
            values: values.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect(),
            ..DemoRequest::default()
        }
    }

    #[test]
    fn the_most_workers_depends_on_the_mode_and_the_other_counts() {
        let threads = DemoConfig::new(&request("thread-pool", &[("workers", 100)])).expect("valid");
        assert_eq!(threads.max_of("workers"), crate::catalog::MAX_WORKERS);
        let processes = threads.in_mode(Mode::Processes).expect("processes");
        assert_eq!(processes.max_of("workers"), MAX_PROCESSES as u64);
        assert_eq!(
            processes.get("workers"),
            MAX_PROCESSES as u64,
            "brought within"
        );
        assert_eq!(
            processes.with("workers", 1000).get("workers"),
            MAX_PROCESSES as u64
        );
        let manager = DemoConfig::new(&DemoRequest {
            mode: Some(Mode::Processes),
            ..request("manager", &[])
        })
        .expect("valid");
        assert_eq!(
            manager.max_of("workers"),
            MAX_PROCESSES as u64 - 1,
            "its server"
        );
        let pc = DemoConfig::new(&DemoRequest {
            mode: Some(Mode::Processes),
            ..request("producer-consumer", &[("producers", 10)])
        })
        .expect("valid");
        assert_eq!(pc.max_of("consumers"), MAX_PROCESSES as u64 - 10);
        assert_eq!(pc.max_of("nothing"), 0);
    }

    #[test]
    fn defaults_fill_what_was_not_given() {
        let config = DemoConfig::new(&request("semaphore", &[("permits", 5)])).expect("valid");
        assert_eq!(config.get("permits"), 5);
        assert_eq!(config.get("workers"), 8);
        assert_eq!(config.mode, Mode::Threads);
        assert_eq!(config.kind, Some(Kind::Io));
    }

    #[test]
    fn an_unknown_demo_lists_the_known_ones() {
        let err = DemoConfig::new(&request("raec", &[])).expect_err("unknown");
        let text = err.to_string();
        assert!(
            text.starts_with("unknown demo `raec`; the demos are: threads, race"),
            "{text}"
        );
    }

    #[test]
    fn zero_workers_and_too_many_are_refused_with_the_range() {
        for bad in [0, 4097] {
            let err = DemoConfig::new(&request("race", &[("workers", bad)])).expect_err("range");
            assert_eq!(
                err.to_string(),
                format!("--workers must be between 1 and 4096, got {bad}")
            );
        }
        let err = DemoConfig::new(&request("semaphore", &[("permits", 0)])).expect_err("permits");
        assert!(err.to_string().contains("--permits must be between 1"));
        let err =
            DemoConfig::new(&request("producer-consumer", &[("capacity", 0)])).expect_err("cap");
        assert!(err.to_string().contains("--capacity must be between 1"));
    }

    #[test]
    fn options_a_demo_does_not_take_are_named() {
        let err = DemoConfig::new(&request("race", &[("permits", 3)])).expect_err("no permits");
        assert_eq!(
            err.to_string(),
            "demo `race` has no --permits option (its options: --workers, --iterations)"
        );
    }

    #[test]
    fn modes_kinds_and_variants_are_checked() {
        let mut r = request("race", &[]);
        r.mode = Some(Mode::Async);
        assert!(
            DemoConfig::new(&r)
                .expect_err("mode")
                .to_string()
                .contains("runs in threads or processes mode, not in async")
        );
        let mut r = request("race", &[]);
        r.kind = Some(Kind::Io);
        assert!(matches!(
            DemoConfig::new(&r),
            Err(ConfigError::NoKind { .. })
        ));
        let mut r = request("race", &[]);
        r.variant = Some("locked".to_owned());
        assert_eq!(
            DemoConfig::new(&r).expect("variant").variant,
            Some("locked")
        );
        r.variant = Some("lokced".to_owned());
        assert!(
            DemoConfig::new(&r)
                .expect_err("typo")
                .to_string()
                .contains("unsynchronized, locked, atomic")
        );
    }

    #[test]
    fn processes_mode_has_the_region_s_limits() {
        let in_processes = |name: &str, values: &[(&str, u64)]| {
            let mut r = request(name, values);
            r.mode = Some(Mode::Processes);
            DemoConfig::new(&r)
        };
        assert!(in_processes("thread-pool", &[("tasks", 1024)]).is_ok());
        assert_eq!(
            in_processes("thread-pool", &[("tasks", 1025)])
                .expect_err("one cell per task")
                .to_string(),
            "--tasks must be between 1 and 1024, got 1025"
        );
        assert!(
            DemoConfig::new(&request("thread-pool", &[("tasks", 5000)])).is_ok(),
            "threads keep their results on the heap"
        );
        assert!(in_processes("manager", &[("workers", 63)]).is_ok());
        assert_eq!(
            in_processes("manager", &[("workers", 64)])
                .expect_err("and the server")
                .to_string(),
            "processes mode runs at most 64 worker processes, asked for 65"
        );
        assert!(in_processes("separate-memory", &[("workers", 64)]).is_ok());
        assert!(in_processes("pipe", &[]).is_ok());
    }

    #[test]
    fn process_only_demos_default_to_processes() {
        for name in ["separate-memory", "pipe", "shared-value", "manager"] {
            let config = DemoConfig::new(&request(name, &[])).expect(name);
            assert_eq!(config.mode, Mode::Processes, "{name}");
            let mut threads = request(name, &[]);
            threads.mode = Some(Mode::Threads);
            assert!(
                DemoConfig::new(&threads)
                    .expect_err(name)
                    .to_string()
                    .contains("runs in processes mode, not in threads"),
                "{name}"
            );
        }
    }

    #[test]
    fn live_changes_stay_within_limits() {
        let config = DemoConfig::new(&request("gil", &[])).expect("gil");
        assert_eq!(config.with("workers", 0).get("workers"), 1);
        assert_eq!(config.with("workers", 9999).get("workers"), 4096);
        assert_eq!(
            config.in_mode(Mode::Threads).map(|c| c.mode),
            Some(Mode::Threads)
        );
        assert!(config.in_mode(Mode::Async).is_none());
    }
}
