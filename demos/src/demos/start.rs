//! Starting a demo's threads: named spawns that end the run cleanly when the
//! system refuses a thread.
//!
//! A failed spawn must never leave the threads already started waiting for
//! one that does not exist: the spawn records the failure and stops the run.

use std::thread::{Scope, ScopedJoinHandle};

use crate::run::RunContext;

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
        Ok(handle) => Some(handle),
        Err(err) => {
            ctx.status.fail(format!("cannot start {name}: {err}"));
            ctx.controls.stop();
            None
        }
    }
}
