//! The process list's readings, made on a thread of their own while the list
//! is open, published like the sampler's snapshots: the newest replaces one
//! the screen has not taken yet. While the list is closed (a process is
//! watched) the thread waits for the next open and reads nothing.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::processes::{ProcessesReader, ProcessesReading};

/// Where the feed publishes: the newest reading only (none before the first).
pub type NewestProcesses = tokio::sync::watch::Sender<Option<Arc<ProcessesReading>>>;

/// What the screen tells the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeedCommand {
    /// The list is on screen: read every interval.
    Open,
    /// The list is gone: read nothing until the next `Open`.
    Close,
}

/// The running feed thread. Dropping it stops the thread.
#[derive(Debug)]
pub struct ProcessFeed {
    commands: Option<mpsc::Sender<FeedCommand>>,
    thread: Option<JoinHandle<()>>,
}

impl ProcessFeed {
    /// Starts reading every `interval`, the list open.
    pub fn spawn(interval: Duration, out: NewestProcesses) -> Result<Self> {
        let (commands, inbox) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("cs-processes".into())
            .spawn(move || feed_loop(interval, &out, &inbox))
            .context("cannot start the process list's thread")?;
        Ok(Self {
            commands: Some(commands),
            thread: Some(thread),
        })
    }

    /// The list is on screen again: a reading now, then every interval.
    pub fn open(&self) {
        self.send(FeedCommand::Open);
    }

    /// The list left the screen: no more readings until it opens.
    pub fn close(&self) {
        self.send(FeedCommand::Close);
    }

    fn send(&self, command: FeedCommand) {
        if let Some(commands) = &self.commands {
            let _ = commands.send(command);
        }
    }
}

impl Drop for ProcessFeed {
    fn drop(&mut self) {
        // A closed channel ends the loop at its next wait; a reading under
        // way takes milliseconds.
        self.commands = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads on a fixed schedule while open; waits for a command while closed.
/// A reopened list starts its CPU shares over: a share over the time it was
/// closed would be an average of the past, not what runs now.
fn feed_loop(interval: Duration, out: &NewestProcesses, inbox: &mpsc::Receiver<FeedCommand>) {
    let mut reader = ProcessesReader::new();
    let mut open = true;
    let mut next = Instant::now();
    loop {
        if open {
            if out.send(Some(Arc::new(reader.read()))).is_err() {
                return;
            }
            next += interval;
            let now = Instant::now();
            if next < now {
                next = now + interval;
            }
        }
        loop {
            let command = if open {
                match inbox.recv_timeout(next.saturating_duration_since(Instant::now())) {
                    Ok(command) => command,
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            } else {
                match inbox.recv() {
                    Ok(command) => command,
                    Err(mpsc::RecvError) => return,
                }
            };
            match command {
                FeedCommand::Open if !open => {
                    open = true;
                    reader.forget();
                    next = Instant::now();
                    break;
                }
                FeedCommand::Close => open = false,
                FeedCommand::Open => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next_reading(
        rx: &mut tokio::sync::watch::Receiver<Option<Arc<ProcessesReading>>>,
    ) -> Arc<ProcessesReading> {
        loop {
            futures::executor::block_on(rx.changed()).expect("the feed runs");
            if let Some(reading) = rx.borrow_and_update().clone() {
                return reading;
            }
        }
    }

    #[test]
    fn the_feed_reads_while_open_and_starts_its_shares_over_when_reopened() {
        let (tx, mut rx) = tokio::sync::watch::channel(None);
        let feed = ProcessFeed::spawn(Duration::from_millis(50), tx).expect("spawn");
        let own = i32::try_from(std::process::id()).expect("pid");
        let share = |reading: &ProcessesReading| {
            reading
                .processes
                .iter()
                .find(|p| p.pid == own)
                .map(|p| p.cpu_pct)
        };
        assert_eq!(share(&next_reading(&mut rx)), Some(None), "first sight");
        assert!(
            share(&next_reading(&mut rx)).is_some_and(|s| s.is_some()),
            "a share from the second reading"
        );
        feed.close();
        feed.open();
        // Readings made before the reopen may still come; the reopen's
        // first one has no share again.
        assert!(
            within_readings(|| share(&next_reading(&mut rx)) == Some(None)),
            "a reopened list shows no share on its first reading"
        );
        drop(feed);
    }

    /// True once `check` holds, trying up to a few hundred readings.
    fn within_readings(mut check: impl FnMut() -> bool) -> bool {
        (0..400).any(|_| check())
    }
}
