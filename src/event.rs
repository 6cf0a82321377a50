//! The dashboard's event loop: snapshots, terminal input and signals in one
//! `select!`, on a single-threaded tokio runtime.
//!
//! It redraws only when something changed (a snapshot arrived, a key did
//! something, the window resized): a static screen costs nothing. SIGINT,
//! SIGTERM and SIGHUP become a normal quit, so the terminal is restored by the
//! session guard on the way out; SIGTSTP suspends like Ctrl-Z; SIGCONT (after
//! someone else stopped us) takes the terminal back and redraws.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::app::{Action, App, Preferences, Replay};
use crate::error::UsageError;
use crate::lesson::Play;
use crate::picker::Picker;
use crate::process_list::ProcessList;
use crate::record::{Playback, Player, Recording, ReplayCommand};
use crate::sampler::process_feed::ProcessFeed;
use crate::sampler::processes::ProcessesReading;
use crate::session::{Session, SessionCommand, SessionHandle};
use crate::snapshot::Snapshot;
use crate::terminal::TerminalSession;
use crate::ui;

/// Snapshots a replay's player may send ahead of the screen (it blocks
/// then: its pace is the recording's, and a seek replaces what it sends).
const PLAYBACK_BUFFER: usize = 16;

/// What the dashboard does after a snapshot, as its caller decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep going.
    Continue,
    /// Close the dashboard, as if the user quit.
    Stop,
}

/// Opens the dashboard on `session`'s target until the user quits.
pub(crate) fn run_dashboard(
    session: Session,
    interval: Duration,
    picker: Option<Picker>,
    preferences: Preferences,
) -> Result<()> {
    run_dashboard_with(session, interval, picker, preferences, |_| Flow::Continue)
}

/// Opens the dashboard on `session`'s target until the user quits or
/// `observe`, shown every snapshot as it arrives, says stop.
pub(crate) fn run_dashboard_with(
    session: Session,
    interval: Duration,
    picker: Option<Picker>,
    preferences: Preferences,
    observe: impl FnMut(&Arc<Snapshot>) -> Flow,
) -> Result<()> {
    require_terminal()?;
    let (tx, snapshots) = tokio::sync::watch::channel(None);
    let source = Source::Live {
        snapshots,
        session: SessionHandle::spawn(session, interval, tx)?,
    };
    let app = match picker {
        Some(picker) => App::with_picker(interval, picker),
        None => App::new(interval),
    }
    .with_preferences(preferences);
    block_on(event_loop(source, None, app, observe))
}

/// Opens the process list (`watch` without a PID) until the user quits;
/// `session` watches corescope itself until a process is chosen, at its
/// slowest tick: the list shows none of it.
pub(crate) fn run_process_list(
    session: Session,
    interval: Duration,
    preferences: Preferences,
) -> Result<()> {
    require_terminal()?;
    let own = session.root_pid();
    let (tx, snapshots) = tokio::sync::watch::channel(None);
    let source = Source::Live {
        snapshots,
        session: SessionHandle::spawn(session, LISTING_TICK, tx)?,
    };
    let (tx, readings) = tokio::sync::watch::channel(None);
    let list = ListFeed {
        readings,
        feed: ProcessFeed::spawn(interval, tx)?,
        own,
    };
    let own_uid = nix::unistd::geteuid().as_raw();
    let app =
        App::with_process_list(interval, ProcessList::new(own_uid)).with_preferences(preferences);
    block_on(event_loop(source, Some(list), app, |_| Flow::Continue))
}

/// The sampler's tick while the process list is open.
const LISTING_TICK: Duration = Duration::from_millis(*crate::sampler::INTERVAL_RANGE_MS.end());

/// The process list's readings, and the thread making them.
struct ListFeed {
    readings: tokio::sync::watch::Receiver<Option<Arc<ProcessesReading>>>,
    feed: ProcessFeed,
    /// What the sampler watches while the list is open: corescope itself.
    own: i32,
}

/// The next reading of the process list; never, without one.
async fn next_reading(list: Option<&mut ListFeed>) -> Arc<ProcessesReading> {
    if let Some(list) = list {
        while list.readings.changed().await.is_ok() {
            if let Some(reading) = list.readings.borrow_and_update().clone() {
                return reading;
            }
        }
    }
    std::future::pending().await
}

/// Opens the dashboard on a recording, played at its recorded pace, until
/// the user quits.
pub(crate) fn run_replay(recording: Recording, preferences: Preferences) -> Result<()> {
    require_terminal()?;
    let header = recording.header();
    let replay = Replay {
        length: recording.length(),
        last_seq: recording.last_seq(),
        paused: false,
    };
    let app = App::for_replay(Duration::from_millis(header.interval_ms), replay)
        .with_preferences(preferences);
    let (tx, playback) = tokio::sync::mpsc::channel(PLAYBACK_BUFFER);
    let source = Source::Replay {
        playback,
        player: Player::spawn(recording, tx)?,
    };
    block_on(event_loop(source, None, app, |_| Flow::Continue))
}

fn block_on(future: impl Future<Output = Result<()>>) -> Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the event loop")?
        .block_on(future)
}

/// Where the dashboard's snapshots come from.
enum Source {
    /// The session, live: the newest snapshot, replaced at each tick.
    Live {
        snapshots: tokio::sync::watch::Receiver<Option<Arc<Snapshot>>>,
        session: SessionHandle,
    },
    /// A recording. The receiver is declared first so that it drops
    /// first: a player blocked sending then fails, and its thread ends.
    Replay {
        playback: tokio::sync::mpsc::Receiver<Playback>,
        player: Player,
    },
}

impl Source {
    /// The next thing to show; `None` when the source stopped.
    async fn next(&mut self) -> Option<Playback> {
        match self {
            Self::Live { snapshots, .. } => loop {
                snapshots.changed().await.ok()?;
                if let Some(newest) = snapshots.borrow_and_update().clone() {
                    return Some(Playback::Snapshot(newest));
                }
            },
            Self::Replay { playback, .. } => playback.recv().await,
        }
    }

    /// Sends the session a command; a replay has none to take.
    fn sample(&self, command: SessionCommand) {
        if let Self::Live { session, .. } = self {
            session.send(command);
        }
    }

    /// Sends the player a command; the live session has none to take.
    fn replay(&self, command: ReplayCommand) {
        if let Self::Replay { player, .. } = self {
            player.send(command);
        }
    }
}

/// Refuses to open the dashboard without a terminal on stdin and stdout, with
/// a hint; checked before a demo starts, so none starts for nothing.
pub(crate) fn require_terminal() -> Result<()> {
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
    mut source: Source,
    mut list: Option<ListFeed>,
    mut app: App,
    mut observe: impl FnMut(&Arc<Snapshot>) -> Flow,
) -> Result<()> {
    let mut signals = Signals::install()?;
    let mut session = TerminalSession::enter()?;
    let mut events = EventStream::new();
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
            next = source.next() => match next {
                Some(Playback::Snapshot(snapshot)) => {
                    let flow = observe(&snapshot);
                    let action = app.ingest(snapshot);
                    if flow == Flow::Stop { Action::Quit } else { action }
                }
                Some(Playback::Rewind(history)) => app.rewind(history),
                Some(Playback::Failed(why)) => bail!("{why}"),
                None => bail!("the sampler stopped unexpectedly"),
            },
            event = events.next() => match event {
                Some(Ok(event)) => app.handle_event(&event),
                Some(Err(err)) => return Err(err).context("cannot read the terminal"),
                None => Action::Quit,
            },
            reading = next_reading(list.as_mut()) => app.ingest_processes(reading),
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
            other => {
                perform(other, &mut source, list.as_ref(), &mut app);
                dirty = true;
            }
        }
    }
}

/// Does what an action asks of the session, the replay, the process list
/// or the system (a signal); the screen is redrawn after it.
fn perform(action: Action, source: &mut Source, list: Option<&ListFeed>, app: &mut App) {
    match action {
        Action::Demo(command) => source.sample(SessionCommand::Demo(command)),
        Action::Start(play) => source.sample(match *play {
            Play::Demo(config) => SessionCommand::Start(Box::new(config)),
            Play::Python(step) => SessionCommand::StartPython(step),
        }),
        Action::StopDemo => source.sample(SessionCommand::Stop),
        Action::ResetPeaks => source.sample(SessionCommand::ResetPeaks),
        Action::Compare(plan) => source.sample(SessionCommand::Compare(plan)),
        Action::Replay(command) => source.replay(command),
        Action::Signal(request) => {
            let outcome = crate::signal_send::send(&request);
            app.signal_sent(crate::signal_send::describe(request.choice, &outcome));
        }
        Action::Interval(interval) => source.sample(SessionCommand::SetInterval(interval)),
        Action::WatchProcess(pid) => {
            if let Some(list) = list {
                list.feed.close();
            }
            source.sample(SessionCommand::Watch(pid));
            source.sample(SessionCommand::SetInterval(app.interval()));
        }
        Action::ListProcesses => {
            // No per-thread reads of a process no longer watched.
            if let Some(list) = list {
                source.sample(SessionCommand::Watch(list.own));
                source.sample(SessionCommand::SetInterval(LISTING_TICK));
                list.feed.open();
            }
        }
        Action::None | Action::Redraw | Action::Quit | Action::Suspend => {}
    }
}
