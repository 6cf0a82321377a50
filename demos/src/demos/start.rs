//! Starting a demo's threads: named spawns that end the run cleanly when the
//! system refuses a thread, and a start line that releases threads together.
//!
//! A failed spawn must never leave the threads already started waiting for
//! one that does not exist: the spawn records the failure and stops the run,
//! and a start line that is called off sends its waiting threads home.

use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::{Scope, ScopedJoinHandle};

use crate::context::RunContext;

/// Spawns a thread named `name` in `scope`. When the system refuses, records
/// why (the run's first failure wins), stops the run and returns `None`.
pub(crate) fn spawn<'scope, T, F>(
    scope: &'scope Scope<'scope, '_>,
    ctx: &RunContext,
    name: &str,
    body: F,
) -> Option<ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    match std::thread::Builder::new()
        .name(name.to_owned())
        .spawn_scoped(scope, body)
    {
        Ok(handle) => {
            ctx.status.worker_spawned();
            Some(handle)
        }
        Err(err) => {
            ctx.status.fail(format!("cannot start {name}: {err}"));
            ctx.controls.stop();
            None
        }
    }
}

const WAITING: u8 = 0;
const GO: u8 = 1;
const CALLED_OFF: u8 = 2;

/// A flag that holds threads until every one of them is started, then lets
/// them all go at once, or sends them home if one could not start. Unlike a
/// barrier, it never waits for a thread that failed to spawn.
#[derive(Debug)]
pub(crate) struct StartLine {
    state: AtomicU8,
}

impl StartLine {
    /// A closed start line.
    pub(crate) const fn new() -> Self {
        Self {
            state: AtomicU8::new(WAITING),
        }
    }

    /// Releases the waiting threads: to run when `go`, home otherwise.
    pub(crate) fn open(&self, go: bool) {
        // Release pairs with the Acquire in `wait`: what the opener wrote
        // before opening is visible to every thread it releases.
        self.state
            .store(if go { GO } else { CALLED_OFF }, Ordering::Release);
    }

    /// Waits, yielding the CPU, until the line opens; true to run, false
    /// when the start was called off.
    pub(crate) fn wait(&self) -> bool {
        loop {
            match self.state.load(Ordering::Acquire) {
                WAITING => std::thread::yield_now(),
                state => return state == GO,
            }
        }
    }
}
