//! The demo a dashboard or a headless report runs: sampled each tick and
//! steered by commands between ticks. This is the crate's front door for
//! running a demo: start a [`DemoHost`] from a checked `DemoConfig`, read a
//! [`DemoSample`] whenever you like (it never waits for the demo), apply
//! [`DemoCommand`]s, stop it (or drop it).
//!
//! Commands carry no data (STYLE: data flows one way); each says what to
//! change, and the host reads the current values from the run itself. A
//! restart or a mode change stops the run (its workers end within one step)
//! and starts a fresh one with the live settings carried over.

use crate::config::DemoConfig;
use crate::control::MAX_SLOW_MOTION;
use crate::run::{DemoRun, DemoSample, Rounds};

/// A demo that could not be started or restarted: no thread or shared
/// region could be had, or its spec is not in the table of demos. Its
/// message names the demo and the cause.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} demo `{demo}`: {cause}")]
pub struct StartError {
    /// "start" or "restart".
    action: &'static str,
    /// The demo's name.
    demo: &'static str,
    /// What the system said.
    cause: std::io::Error,
}

type Result<T> = std::result::Result<T, StartError>;

/// What the dashboard may ask of the running demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoCommand {
    /// One more worker.
    MoreWorkers,
    /// One fewer worker (never fewer than one).
    FewerWorkers,
    /// Pause the workers, or let them go on.
    TogglePause,
    /// Restart in the demo's next mode.
    NextMode,
    /// Restart with the current settings.
    Restart,
    /// Twice as slow (slow motion, up to 64x).
    Slower,
    /// Twice as fast (back to real time at most).
    Faster,
}

/// A running demo and how to restart it.
#[derive(Debug)]
pub struct DemoHost {
    run: DemoRun,
    rounds: Rounds,
    /// Why the last command failed, shown until the next one succeeds.
    command_error: Option<String>,
    /// Why the last command did nothing (`+` at the mode's limit), shown
    /// until the next command.
    notice: Option<String>,
}

impl DemoHost {
    /// Starts the demo.
    pub fn start(config: DemoConfig, rounds: Rounds) -> Result<Self> {
        let demo = config.spec.name;
        let run = DemoRun::start(config, rounds).map_err(|cause| StartError {
            action: "start",
            demo,
            cause,
        })?;
        Ok(Self {
            run,
            rounds,
            command_error: None,
            notice: None,
        })
    }

    /// The demo now.
    #[must_use]
    pub fn sample(&self) -> DemoSample {
        let mut sample = self.run.sample();
        if sample.error.is_none() {
            sample.error.clone_from(&self.command_error);
        }
        sample
    }

    /// Workers the run has started so far (see `DemoRun::workers_started`).
    #[must_use]
    pub fn workers_started(&self) -> u64 {
        self.run.workers_started()
    }

    /// True once the run has ended.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.run.is_finished()
    }

    /// Stops the demo and waits for its threads.
    pub fn stop(&mut self) {
        self.run.stop();
    }

    /// Applies `command`. A failed restart leaves the demo stopped; its
    /// error shows in the next samples.
    pub fn apply(&mut self, command: DemoCommand) {
        self.notice = None;
        self.command_error = self.try_apply(command).err();
    }

    /// Why the last command did nothing, if it did nothing.
    #[must_use]
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Applies `command`, or says in one line why it could not.
    fn try_apply(&mut self, command: DemoCommand) -> std::result::Result<(), String> {
        let controls = self.run.controls();
        match command {
            DemoCommand::MoreWorkers | DemoCommand::FewerWorkers => {
                if let Some(name) = self.run.config().scaled_param() {
                    let config = self.live_config();
                    let max = usize::try_from(config.max_of(name)).unwrap_or(usize::MAX);
                    let more = command == DemoCommand::MoreWorkers;
                    match next_workers(controls.workers(), max, more) {
                        Some(next) => controls.set_workers(next),
                        None => {
                            self.notice = Some(format!(
                                "{} mode runs at most {max} {name} here",
                                config.mode.name()
                            ));
                        }
                    }
                }
            }
            DemoCommand::TogglePause => controls.set_paused(!controls.is_paused()),
            DemoCommand::Slower => {
                controls.set_slow_motion((controls.slow_motion() * 2).min(MAX_SLOW_MOTION));
            }
            DemoCommand::Faster => controls.set_slow_motion((controls.slow_motion() / 2).max(1)),
            DemoCommand::Restart => self
                .restart(self.live_config())
                .map_err(|e| e.to_string())?,
            DemoCommand::NextMode => {
                let config = self.live_config();
                let modes = config.spec.modes;
                let at = modes.iter().position(|m| *m == config.mode).unwrap_or(0);
                let next = modes[(at + 1) % modes.len()];
                if let Some(config) = config.in_mode(next) {
                    self.restart(config).map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    }

    /// The run's configuration with the live worker count folded in.
    fn live_config(&self) -> DemoConfig {
        let config = self.run.config().clone();
        match config.scaled_param() {
            Some(name) => config.with(name, self.run.controls().workers() as u64),
            None => config,
        }
    }

    fn restart(&mut self, config: DemoConfig) -> Result<()> {
        let slow_motion = self.run.controls().slow_motion();
        let demo = config.spec.name;
        self.run.stop();
        self.run = DemoRun::start(config, self.rounds).map_err(|cause| StartError {
            action: "restart",
            demo,
            cause,
        })?;
        self.run.controls().set_slow_motion(slow_motion);
        Ok(())
    }
}

/// The worker count after `+` (`more`) or `-` from `now`: never under one,
/// and `None` when `+` would go past `max`, the most this mode can run.
fn next_workers(now: usize, max: usize, more: bool) -> Option<usize> {
    if more {
        (now < max).then_some(now + 1)
    } else {
        Some(now.saturating_sub(1).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_stops_at_the_modes_limit_and_minus_at_one() {
        assert_eq!(next_workers(63, 64, true), Some(64));
        assert_eq!(next_workers(64, 64, true), None, "no 65th process");
        assert_eq!(next_workers(64, 64, false), Some(63));
        assert_eq!(next_workers(1, 64, false), Some(1));
    }
}
