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

use crate::catalog::MAX_WORKERS;
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
        self.command_error = self.try_apply(command).err().map(|e| e.to_string());
    }

    fn try_apply(&mut self, command: DemoCommand) -> Result<()> {
        let controls = self.run.controls();
        match command {
            DemoCommand::MoreWorkers | DemoCommand::FewerWorkers => {
                if self.run.config().scaled_param().is_some() {
                    let now = controls.workers();
                    let next = if command == DemoCommand::MoreWorkers {
                        (now + 1).min(usize::try_from(MAX_WORKERS).unwrap_or(usize::MAX))
                    } else {
                        now.saturating_sub(1).max(1)
                    };
                    controls.set_workers(next);
                }
            }
            DemoCommand::TogglePause => controls.set_paused(!controls.is_paused()),
            DemoCommand::Slower => {
                controls.set_slow_motion((controls.slow_motion() * 2).min(MAX_SLOW_MOTION));
            }
            DemoCommand::Faster => controls.set_slow_motion((controls.slow_motion() / 2).max(1)),
            DemoCommand::Restart => self.restart(self.live_config())?,
            DemoCommand::NextMode => {
                let config = self.live_config();
                let modes = config.spec.modes;
                let at = modes.iter().position(|m| *m == config.mode).unwrap_or(0);
                let next = modes[(at + 1) % modes.len()];
                if let Some(config) = config.in_mode(next) {
                    self.restart(config)?;
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
