//! `shared-value`: Python's `multiprocessing.Value` and `Array`, memory that
//! worker processes really share, and the lock that comes with it.
//!
//! `workers` worker processes meet at a start line in the region, then each
//! adds 1 to a shared value `iterations` times without its lock (read, add,
//! write: two processes read the same value and one update is lost), then
//! to another under the region's cross-process lock (`get_lock()`: exact).
//! Last, each fills its own stripe of the shared array with its worker
//! number; the parent checks every cell against the stripe it belongs to.

use std::sync::atomic::Ordering;

use serde::Serialize;

use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::process::{PoolPlan, Role, run_process_pool, value};
use crate::shm::SharedRegion;
use crate::steps::stripe;

/// The name the value's lock is shown under.
const LOCK_NAME: &str = "value.get_lock()";

/// A cell before any worker wrote it.
const UNWRITTEN: u64 = u64::MAX;

/// What the shared value and array held after a round.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SharedValueOutcome {
    /// Worker processes.
    pub workers: usize,
    /// Increments of each value per worker.
    pub iterations: u64,
    /// What each value should reach: workers x iterations.
    pub expected: u64,
    /// The value added to without its lock.
    pub unlocked: u64,
    /// `expected - unlocked`.
    pub unlocked_lost: u64,
    /// The value added to under its lock.
    pub locked: u64,
    /// `expected - locked`.
    pub locked_lost: u64,
    /// Acquires of the lock that found it held (over the run).
    pub lock_contended: u64,
    /// Cells in the shared array.
    pub array_len: usize,
    /// Cells holding the number of the worker whose stripe they are in,
    /// checked one by one by the parent.
    pub cells_right: u64,
    /// Cells holding another worker's number.
    pub cells_wrong: u64,
    /// Cells no worker wrote.
    pub cells_unwritten: u64,
}

impl RoundOutcome for SharedValueOutcome {
    /// Each value against the expected count, and the array's cells.
    fn lines(&self) -> Vec<ResultLine> {
        let lost = |n: u64| {
            if n == 0 {
                "exact".to_owned()
            } else {
                format!("lost {n} updates")
            }
        };
        vec![
            ResultLine::compare(
                "value, no lock",
                self.expected,
                self.unlocked,
                self.unlocked_lost == 0,
                lost(self.unlocked_lost),
            ),
            ResultLine::compare(
                "value, get_lock()",
                self.expected,
                self.locked,
                self.locked_lost == 0,
                format!(
                    "{}; {} acquires waited",
                    lost(self.locked_lost),
                    self.lock_contended
                ),
            ),
            ResultLine::compare(
                "array cells",
                self.array_len,
                self.cells_right,
                self.cells_right == self.array_len as u64,
                format!(
                    "right: each stripe holds its worker's number ({} wrong, {} unwritten)",
                    self.cells_wrong, self.cells_unwritten
                ),
            ),
        ]
    }
}

/// The demo; its value, lock and array are the region's.
pub struct SharedValue;

impl SharedValue {
    /// Registers the region's lock as the value's.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        if let Some(region) = ctx.region() {
            ctx.registry
                .register_lock_shared(LOCK_NAME, region.locks[0].stats());
        }
        Self
    }

    fn round_in_processes(ctx: &RunContext, region: &'static SharedRegion) -> SharedValueOutcome {
        let workers = ctx.controls.workers();
        let iterations = ctx.config.get("iterations");
        for index in [
            value::SHARED_UNLOCKED,
            value::SHARED_LOCKED,
            value::SHARED_ARRIVED,
        ] {
            region.values[index].store(0, Ordering::Relaxed);
        }
        for cell in &region.array {
            cell.store(UNWRITTEN, Ordering::Relaxed);
        }
        let role = |_| Role::SharedValue {
            iterations,
            workers: workers as u64,
        };
        let more = |_: &SharedRegion| true;
        run_process_pool(
            ctx,
            region,
            &PoolPlan {
                role: &role,
                more: &more,
                first_slot: 0,
                fixed: Some(workers),
            },
        );
        let expected = workers as u64 * iterations;
        let unlocked = region.values[value::SHARED_UNLOCKED].load(Ordering::Relaxed);
        let locked = region.values[value::SHARED_LOCKED].load(Ordering::Relaxed);
        let (mut right, mut wrong, mut unwritten) = (0, 0, 0);
        let len = region.array.len();
        for owner in 0..workers {
            for cell in &region.array[stripe(owner, workers as u64, len)] {
                match cell.load(Ordering::Relaxed) {
                    UNWRITTEN => unwritten += 1,
                    number if number == owner as u64 => right += 1,
                    _ => wrong += 1,
                }
            }
        }
        SharedValueOutcome {
            workers,
            iterations,
            expected,
            unlocked,
            unlocked_lost: expected.saturating_sub(unlocked),
            locked,
            locked_lost: expected.saturating_sub(locked),
            lock_contended: region.locks[0].stats().report(LOCK_NAME).contended,
            array_len: len,
            cells_right: right,
            cells_wrong: wrong,
            cells_unwritten: unwritten,
        }
    }
}

impl Demo for SharedValue {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        ctx.tasks.start_round(ctx.controls.workers() as u64);
        let Some(region) = ctx.region() else {
            ctx.status
                .fail("shared-value runs only in processes mode".to_owned());
            return Outcome::new(SharedValueOutcome::default());
        };
        Outcome::new(Self::round_in_processes(ctx, region))
    }
}
