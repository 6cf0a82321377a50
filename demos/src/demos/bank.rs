//! `bank`: withdrawals that check, pause, then update a shared balance.
//!
//! Each of `workers` withdrawers tries once to take `amount` from a balance
//! that starts at `balance`. Unlocked, a withdrawal reads the balance, and if
//! it is enough, pauses for `delay-ms` (the bank's processing) before
//! subtracting from the balance as it is then: every withdrawer checked the
//! same starting balance, so all are approved and the balance goes negative.
//! Locked (an instrumented mutex), the check and the update happen while
//! holding the lock, the processing included: the next withdrawer waits, then
//! sees what is left and is refused. The withdrawers of a variant are released
//! together by a start line, so they really overlap.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::start::{StartLine, spawn};
use crate::context::{Demo, RunContext};
use crate::outcome::{Outcome, ResultLine, RoundOutcome};
use crate::probes::{InstrumentedMutex, WorkerState};
use crate::worker::Worker;

/// The two ways to withdraw.
const VARIANTS: [&str; 2] = ["unlocked", "locked"];

/// One variant's account after the withdrawals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankVariant {
    /// `unlocked` or `locked`.
    pub variant: &'static str,
    /// The balance before any withdrawal, in currency units.
    pub start_balance: i64,
    /// Withdrawals approved.
    pub approved: u64,
    /// The balance after every withdrawal, in currency units; negative is
    /// an overdraft.
    pub final_balance: i64,
}

/// The accounts of every variant run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankOutcome {
    /// In the order run.
    pub variants: Vec<BankVariant>,
}

impl RoundOutcome for BankOutcome {
    /// One line per variant: a correct bank never goes below zero.
    fn lines(&self) -> Vec<ResultLine> {
        self.variants
            .iter()
            .map(|v| {
                let overdrawn = v.final_balance < 0;
                ResultLine::compare(
                    v.variant,
                    "≥ 0",
                    v.final_balance,
                    !overdrawn,
                    format!(
                        "{} approved from {}{}",
                        v.approved,
                        v.start_balance,
                        if overdrawn { ": overdrawn" } else { "" }
                    ),
                )
            })
            .collect()
    }
}

/// What one withdrawal asks.
#[derive(Debug, Clone, Copy)]
struct Withdrawal {
    amount: i64,
    /// Processing time between the check and the update.
    delay: Duration,
}

/// The locked account, kept across rounds.
pub struct Bank {
    account: InstrumentedMutex<i64>,
}

impl Bank {
    /// Registers the locked account's probe.
    #[must_use]
    pub fn new(ctx: &RunContext) -> Self {
        Self {
            account: InstrumentedMutex::new(0, ctx.registry.lock("account (locked)")),
        }
    }

    /// Checks, pauses, then subtracts, with nothing held in between. `None`
    /// when the run stopped mid-way.
    fn withdraw_unlocked(worker: &Worker, balance: &AtomicI64, w: Withdrawal) -> Option<bool> {
        worker.set_state(WorkerState::Computing);
        if balance.load(Ordering::Relaxed) < w.amount {
            return Some(false);
        }
        if !worker.sleep_io(w.delay) {
            return None;
        }
        // One atomic subtraction, as `self.balance -= amount` nearly always
        // is under a GIL: the bug shown is the gap between the check and the
        // update, not a lost update, so the final balance is exactly
        // start - approved x amount.
        balance.fetch_sub(w.amount, Ordering::Relaxed);
        Some(true)
    }

    /// Checks and subtracts while holding the lock. `None` when the run
    /// stopped mid-way.
    fn withdraw_locked(&self, worker: &Worker, w: Withdrawal) -> Option<bool> {
        worker.set_state(WorkerState::Computing);
        let mut balance = self.account.lock();
        if *balance < w.amount {
            return Some(false);
        }
        if !worker.sleep_io(w.delay) {
            return None;
        }
        *balance -= w.amount;
        Some(true)
    }

    fn run_variant(&self, ctx: &RunContext, variant: &'static str) -> Option<BankVariant> {
        let workers = ctx.controls.workers();
        let start_balance = i64::try_from(ctx.config.get("balance")).unwrap_or(i64::MAX);
        let withdrawal = Withdrawal {
            amount: i64::try_from(ctx.config.get("amount")).unwrap_or(i64::MAX),
            delay: Duration::from_millis(ctx.config.get("delay-ms")),
        };
        let unlocked = AtomicI64::new(start_balance);
        *self.account.lock() = start_balance;
        let approved = AtomicU64::new(0);
        let start_line = StartLine::new();
        std::thread::scope(|scope| {
            let mut all_started = true;
            for index in 0..workers {
                let (unlocked, approved, start_line) = (&unlocked, &approved, &start_line);
                let body = move || {
                    let worker =
                        Worker::start(index, ctx.registry.worker(index), ctx.controls.clone());
                    if start_line.wait() {
                        let result = if variant == "locked" {
                            self.withdraw_locked(&worker, withdrawal)
                        } else {
                            Self::withdraw_unlocked(&worker, unlocked, withdrawal)
                        };
                        if let Some(granted) = result {
                            if granted {
                                approved.fetch_add(1, Ordering::Relaxed);
                            }
                            worker.task_done();
                            ctx.tasks.done();
                        }
                    }
                    worker.finish();
                };
                if spawn(scope, ctx, &format!("worker-{index}"), body).is_none() {
                    all_started = false;
                    break;
                }
            }
            start_line.open(all_started);
        });
        if ctx.controls.is_stopping() {
            return None;
        }
        let final_balance = if variant == "locked" {
            *self.account.lock()
        } else {
            unlocked.load(Ordering::Relaxed)
        };
        Some(BankVariant {
            variant,
            start_balance,
            approved: approved.load(Ordering::Relaxed),
            final_balance,
        })
    }
}

impl Demo for Bank {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        let chosen: Vec<&'static str> = VARIANTS
            .into_iter()
            .filter(|v| ctx.config.variant.is_none_or(|only| only == *v))
            .collect();
        ctx.tasks
            .start_round((chosen.len() * ctx.controls.workers()) as u64);
        let variants = chosen
            .into_iter()
            .map_while(|variant| self.run_variant(ctx, variant))
            .collect();
        Outcome::new(BankOutcome { variants })
    }
}
