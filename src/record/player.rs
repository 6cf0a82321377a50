//! `corescope replay`: a recording played back at the pace it was
//! recorded, on its own thread, in place of the sampler.
//!
//! The player sends what the live sampler would have: one snapshot at a
//! time, each after the recorded gap since the one before. A seek sends a
//! [`Playback::Rewind`] holding the snapshots up to the new position (as
//! many as the screen's history keeps), so the history drawn after a seek
//! is the recorded one, not a splice.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::Recording;
use crate::model::HISTORY_LEN;
use crate::snapshot::Snapshot;

/// How far one press of an arrow moves a replay.
pub const SEEK_STEP: Duration = Duration::from_secs(5);

/// What the screen may ask of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayCommand {
    /// Stop or go on playing.
    TogglePause,
    /// Move back by [`SEEK_STEP`].
    Back,
    /// Move ahead by [`SEEK_STEP`].
    Ahead,
}

/// What the player sends the screen.
#[derive(Debug, Clone)]
pub enum Playback {
    /// The next snapshot.
    Snapshot(Arc<Snapshot>),
    /// Start the history over from these, oldest first (after a seek).
    Rewind(Vec<Arc<Snapshot>>),
    /// The recording could not be read further.
    Failed(String),
}

/// The player's thread. Dropping it stops the thread.
pub struct Player {
    commands: mpsc::SyncSender<ReplayCommand>,
    thread: Option<JoinHandle<()>>,
}

impl Player {
    /// Starts playing `recording` from its first snapshot.
    pub fn spawn(recording: Recording, out: tokio::sync::mpsc::Sender<Playback>) -> Result<Self> {
        // Keys arrive one at a time and the player takes them at once.
        let (commands, inbox) = mpsc::sync_channel(16);
        let thread = std::thread::Builder::new()
            .name("cs-replay".into())
            .spawn(move || play(&recording, &out, &inbox))
            .context("cannot start the replay thread")?;
        Ok(Self {
            commands,
            thread: Some(thread),
        })
    }

    /// Sends a command; ignored once the thread has stopped (or when 16 wait
    /// already: the screen never blocks on the player).
    pub fn send(&self, command: ReplayCommand) {
        let _ = self.commands.try_send(command);
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        // A new sender disconnects the inbox: the thread ends at its next
        // wait, or at its next send, which fails once the screen is gone.
        self.commands = mpsc::sync_channel(0).0;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Plays until the screen goes away. `next` is the snapshot to send next,
/// `due` when; at the end the player waits for a seek back.
fn play(
    recording: &Recording,
    out: &tokio::sync::mpsc::Sender<Playback>,
    inbox: &mpsc::Receiver<ReplayCommand>,
) {
    let deliver = |playback| out.blocking_send(playback).is_ok();
    let mut next = 0;
    let mut due = Instant::now();
    let mut paused = false;
    loop {
        let waiting = paused || next >= recording.len();
        let command = if waiting {
            inbox
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else {
            inbox.recv_timeout(due.saturating_duration_since(Instant::now()))
        };
        match command {
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let sent = match recording.read(next) {
                    Ok(snapshot) => deliver(Playback::Snapshot(Arc::new(snapshot))),
                    Err(err) => {
                        let _ = deliver(Playback::Failed(format!("{err:#}")));
                        return;
                    }
                };
                if !sent {
                    return;
                }
                next += 1;
                due += gap(recording, next);
            }
            Ok(ReplayCommand::TogglePause) => {
                paused = !paused;
                // Playing on waits the recorded gap from now, not from
                // when it was paused.
                due = Instant::now() + gap(recording, next);
            }
            Ok(seek @ (ReplayCommand::Back | ReplayCommand::Ahead)) => {
                let shown = recording.elapsed(next.saturating_sub(1));
                let target = if seek == ReplayCommand::Back {
                    recording.index_at(shown.saturating_sub(SEEK_STEP))
                } else {
                    recording.index_at(shown + SEEK_STEP)
                };
                let from = (target + 1).saturating_sub(HISTORY_LEN);
                let history: Result<Vec<_>> = (from..=target)
                    .map(|i| recording.read(i).map(Arc::new))
                    .collect();
                let sent = match history {
                    Ok(history) => deliver(Playback::Rewind(history)),
                    Err(err) => {
                        let _ = deliver(Playback::Failed(format!("{err:#}")));
                        return;
                    }
                };
                if !sent {
                    return;
                }
                next = target + 1;
                due = Instant::now() + gap(recording, next);
            }
        }
    }
}

/// The recorded time between snapshot `index - 1` and `index` (none for the
/// first, or past the end).
fn gap(recording: &Recording, index: usize) -> Duration {
    if index == 0 || index >= recording.len() {
        return Duration::ZERO;
    }
    recording
        .elapsed(index)
        .saturating_sub(recording.elapsed(index - 1))
}
