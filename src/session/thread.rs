//! The session on its own thread, for the dashboard: it publishes each
//! snapshot in a one-slot channel where the newest replaces the one before:
//! the screen always draws the newest tick, a slow frame skips ticks (a gap in
//! `Snapshot::seq`, which the history keeps as a gap) and nothing old queues up,
//! because the session never waits for the screen. Commands come back on a
//! bounded channel.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use corescope_demos::config::DemoConfig;
use corescope_demos::host::DemoCommand;

use super::Session;
use crate::lesson::PythonStep;
use crate::snapshot::Snapshot;
use crate::snapshot::compare::ComparePlan;

/// What the UI may ask of a running session thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionCommand {
    /// Tick at this interval from now on.
    SetInterval(Duration),
    /// Steer the demo, if one runs.
    Demo(DemoCommand),
    /// Run this demo (round after round), stopping any other first.
    Start(Box<DemoConfig>),
    /// Run this lesson step's Python program, stopping any demo first.
    StartPython(PythonStep),
    /// Stop the demo (or lesson program) running, if any.
    Stop,
    /// Start the peaks (and the counts of exited tasks) over.
    ResetPeaks,
    /// Run this comparison from its first mode, in place of the one running.
    Compare(ComparePlan),
    /// Watch the tree under this PID in place of the one watched.
    Watch(i32),
}

/// Where the session thread publishes: the newest snapshot only (none
/// before the first tick).
pub(crate) type NewestSnapshot = tokio::sync::watch::Sender<Option<Arc<Snapshot>>>;

/// Commands waiting for the session thread. It takes them as they come (it
/// only stops to sample), so a full channel means a key far faster than any
/// person presses them; such a command is dropped rather than block the screen.
const COMMAND_BUFFER: usize = 64;

/// The running session thread. Dropping it stops the thread.
pub(crate) struct SessionHandle {
    commands: mpsc::SyncSender<SessionCommand>,
    thread: Option<JoinHandle<()>>,
}

impl SessionHandle {
    /// Starts `session` on its own thread, ticking every `interval`.
    pub(crate) fn spawn(session: Session, interval: Duration, out: NewestSnapshot) -> Result<Self> {
        let (commands, inbox) = mpsc::sync_channel(COMMAND_BUFFER);
        let thread = std::thread::Builder::new()
            .name("cs-sampler".into())
            .spawn(move || tick_loop(session, interval, &out, &inbox))
            .context("cannot start the sampler thread")?;
        Ok(Self {
            commands,
            thread: Some(thread),
        })
    }

    /// Sends a command; ignored if the thread has already stopped (or, never
    /// seen in use, if `COMMAND_BUFFER` commands wait already).
    pub(crate) fn send(&self, command: SessionCommand) {
        let _ = self.commands.try_send(command);
    }
}

/// How often a session waiting for its next tick looks again: has the root
/// exited (then the next sample is taken at once), and what do the threads'
/// wait channels and the processes' CPU clocks say (see
/// [`Session::poll_between_ticks`]).
pub(crate) const POLL_BETWEEN_TICKS: Duration = Duration::from_millis(10);

/// How long quitting waits for the session thread (and the demo it stops).
const STOP_WAIT: Duration = Duration::from_secs(2);

impl Drop for SessionHandle {
    fn drop(&mut self) {
        // Replacing the sender disconnects the inbox, which ends the loop at
        // its next wait; the demo it owns stops as it drops.
        self.commands = mpsc::sync_channel(0).0;
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Quitting must never hang on a thread that cannot finish (a bug, or
        // a demo stuck in a wait): after a bounded wait the thread is left to
        // end with the process, whose exit stops every thread it has.
        let deadline = Instant::now() + STOP_WAIT;
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

/// Samples on a fixed schedule (deadlines, not sleeps, so ticks do not drift)
/// until the receiver or the command channel goes away.
fn tick_loop(
    mut session: Session,
    mut interval: Duration,
    out: &NewestSnapshot,
    inbox: &mpsc::Receiver<SessionCommand>,
) {
    crate::sampler::wake_on_time();
    let mut next = Instant::now();
    loop {
        let snapshot = session.sample();
        // corescope's own tree (a demo, the process list) ends with
        // corescope and has nothing read between ticks: no 10 ms wake-ups.
        let last_alive = snapshot.target.alive && !session.watches_own_tree();
        // Replaces a snapshot the screen has not taken yet (it is behind or
        // suspended): the newest matters, a backlog would show the past.
        if out.send(Some(Arc::new(snapshot))).is_err() {
            return;
        }
        next += interval;
        let now = Instant::now();
        if next < now {
            next = now + interval;
        }
        // The root's exit wakes the loop at once (checked every POLL_BETWEEN_TICKS),
        // so the last snapshot is the exit's, not the next tick's.
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            let wait = if last_alive {
                wait.min(POLL_BETWEEN_TICKS)
            } else {
                wait
            };
            match inbox.recv_timeout(wait) {
                Ok(SessionCommand::SetInterval(new)) => {
                    next = next.checked_sub(interval).unwrap_or(next) + new;
                    interval = new;
                }
                Ok(SessionCommand::Start(config)) => session.start_demo(*config),
                Ok(SessionCommand::StartPython(step)) => session.start_python(&step),
                Ok(SessionCommand::Stop) => session.stop_demo(),
                Ok(SessionCommand::Compare(plan)) => session.restart_comparison(plan),
                // The effect shows at the next tick: an extra snapshot now
                // would make the history's time axis uneven.
                Ok(SessionCommand::Demo(command)) => session.steer_demo(command),
                Ok(SessionCommand::ResetPeaks) => session.reset_peaks(),
                Ok(SessionCommand::Watch(pid)) => session.watch_root(pid),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if Instant::now() >= next || (last_alive && session.root_exited()) {
                        break;
                    }
                    session.poll_between_ticks();
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}
