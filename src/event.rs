//! The dashboard's event loop: snapshots, terminal input and signals in one
//! `select!`, on a single-threaded tokio runtime.
//!
//! It redraws only when something changed (a snapshot arrived, a key did
//! something, the window resized): a static screen costs nothing. SIGINT,
//! SIGTERM and SIGHUP become a normal quit, so the terminal is restored by the
//! session guard on the way out; SIGTSTP suspends like Ctrl-Z; SIGCONT (after
//! someone else stopped us) takes the terminal back and redraws.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::app::{Action, App, Preferences};
use crate::cli::UsageError;
use crate::picker::Picker;
use crate::sampler::{Sampler, SamplerCommand, SamplerHandle};
use crate::snapshot::Snapshot;
use crate::terminal::TerminalSession;
use crate::ui;

/// Snapshots buffered between the sampler and the screen.
const SNAPSHOT_BUFFER: usize = 16;

/// What the dashboard does after a snapshot, as its caller decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Close the dashboard, as if the user quit.
    Stop,
}

/// Opens the dashboard on `sampler`'s target until the user quits.
pub fn run_dashboard(
    sampler: Sampler,
    interval: Duration,
    picker: Option<Picker>,
    preferences: Preferences,
) -> Result<()> {
    run_dashboard_with(sampler, interval, picker, preferences, |_| Flow::Continue)
}

/// Opens the dashboard on `sampler`'s target until the user quits or
/// `observe`, shown every snapshot as it arrives, says stop.
pub fn run_dashboard_with(
    sampler: Sampler,
    interval: Duration,
    picker: Option<Picker>,
    preferences: Preferences,
    observe: impl FnMut(&Snapshot) -> Flow,
) -> Result<()> {
    require_terminal()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the event loop")?;
    runtime.block_on(event_loop(sampler, interval, picker, preferences, observe))
}

/// Refuses to open the dashboard without a terminal on stdin and stdout, with
/// a hint; checked before a demo starts, so none starts for nothing.
pub fn require_terminal() -> Result<()> {
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(UsageError(
            "the dashboard needs a terminal; use --headless for a printed report".to_owned(),
        )
        .into())
    }
}

/// The signals the dashboard answers.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
    stop: Signal,
    resume: Signal,
}

/// What a signal asks of the loop.
enum SignalAction {
    Quit,
    Suspend,
    Resume,
}

impl Signals {
    fn install() -> Result<Self> {
        let on = |kind| signal(kind).context("cannot install signal handlers");
        Ok(Self {
            interrupt: on(SignalKind::interrupt())?,
            terminate: on(SignalKind::terminate())?,
            hangup: on(SignalKind::hangup())?,
            stop: on(SignalKind::from_raw(nix::libc::SIGTSTP))?,
            resume: on(SignalKind::from_raw(nix::libc::SIGCONT))?,
        })
    }

    async fn next(&mut self) -> SignalAction {
        tokio::select! {
            _ = self.interrupt.recv() => SignalAction::Quit,
            _ = self.terminate.recv() => SignalAction::Quit,
            _ = self.hangup.recv() => SignalAction::Quit,
            _ = self.stop.recv() => SignalAction::Suspend,
            _ = self.resume.recv() => SignalAction::Resume,
        }
    }
}

async fn event_loop(
    sampler: Sampler,
    interval: Duration,
    picker: Option<Picker>,
    preferences: Preferences,
    mut observe: impl FnMut(&Snapshot) -> Flow,
) -> Result<()> {
    let mut signals = Signals::install()?;
    let (tx, mut snapshots) = tokio::sync::mpsc::channel(SNAPSHOT_BUFFER);
    let sampler = SamplerHandle::spawn(sampler, interval, tx)?;
    let mut session = TerminalSession::enter()?;
    let mut events = EventStream::new();
    let mut app = match picker {
        Some(picker) => App::with_picker(interval, picker),
        None => App::new(interval),
    }
    .with_preferences(preferences);
    let mut dirty = true;

    loop {
        if dirty {
            let mut hits = None;
            session
                .screen()
                .draw(|frame| hits = Some(ui::render(&app, frame)))
                .context("cannot draw")?;
            app.set_hits(hits.unwrap_or_default());
            dirty = false;
        }
        let action = tokio::select! {
            snapshot = snapshots.recv() => match snapshot {
                Some(snapshot) => {
                    let flow = observe(&snapshot);
                    let action = app.ingest(snapshot);
                    if flow == Flow::Stop { Action::Quit } else { action }
                }
                None => bail!("the sampler stopped unexpectedly"),
            },
            event = events.next() => match event {
                Some(Ok(event)) => app.handle_event(&event),
                Some(Err(err)) => return Err(err).context("cannot read the terminal"),
                None => Action::Quit,
            },
            signal = signals.next() => match signal {
                SignalAction::Quit => Action::Quit,
                SignalAction::Suspend => Action::Suspend,
                SignalAction::Resume => {
                    session.resume()?;
                    Action::Redraw
                }
            },
        };
        match action {
            Action::None => {}
            Action::Redraw => dirty = true,
            Action::Quit => return Ok(()),
            Action::Suspend => {
                session.suspend()?;
                dirty = true;
            }
            Action::Demo(command) => {
                sampler.send(SamplerCommand::Demo(command));
                dirty = true;
            }
            Action::Start(config) => {
                sampler.send(SamplerCommand::Start(config));
                dirty = true;
            }
            Action::StopDemo => {
                sampler.send(SamplerCommand::Stop);
                dirty = true;
            }
        }
    }
}
