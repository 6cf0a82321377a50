//! `pipe`: a two-way pipe between two processes, as `multiprocessing.Pipe()`
//! gives (a connected pair of UNIX stream sockets, duplex).
//!
//! Two worker processes hold its ends, made by the parent and given to each
//! at its start (nobody else can reach them): worker 1 echoes; worker 0 sends
//! `tasks` messages of `amount` bytes, one at a time, and times each round
//! trip until the echo is back, checking it byte for byte. Both count the
//! bytes they send in their slots, so the bytes moved are measured, not
//! computed from the parameters.

use std::cell::RefCell;
use std::os::fd::OwnedFd;
use std::sync::atomic::Ordering;

use serde::Serialize;

use crate::context::{Demo, RunContext};
use crate::outcome::{Latency, Outcome, ResultLine, RoundOutcome};
use crate::process::{PoolPlan, Role, ipc, run_process_pool_with, slot, value};
use crate::shm::SharedRegion;

const CALLER: usize = slot::PIPE_CALLER;
const ECHO: usize = slot::PIPE_ECHO;

/// What went through the pipe in a round.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PipeOutcome {
    /// Round trips asked for.
    pub messages: u64,
    /// Bytes in each message.
    pub bytes: u64,
    /// Round trips made: a message there and its echo back.
    pub round_trips: u64,
    /// Echoes that came back byte for byte as sent.
    pub intact: u64,
    /// Bytes the two ends sent, both directions, as they counted them.
    pub bytes_moved: u64,
    /// The time of each round trip, from sending a message to having its
    /// echo back, as the caller measured it.
    pub round_trip: Latency,
    /// Wall time of the round, from the first spawn to the last exit, ms.
    pub wall_ms: f64,
}

impl RoundOutcome for PipeOutcome {
    /// Round trips, intact echoes and bytes against what was asked; latency.
    fn lines(&self) -> Vec<ResultLine> {
        let expected_bytes = 2 * self.round_trips * self.bytes;
        vec![
            ResultLine::compare(
                "round trips",
                self.messages,
                self.round_trips,
                self.round_trips == self.messages,
                format!("{} bytes each way per message", self.bytes),
            ),
            ResultLine::compare(
                "echoes intact",
                self.round_trips,
                self.intact,
                self.intact == self.round_trips,
                "each reply checked byte for byte".to_owned(),
            ),
            ResultLine::compare(
                "bytes moved",
                expected_bytes,
                self.bytes_moved,
                self.bytes_moved == expected_bytes,
                "counted by both ends, both directions".to_owned(),
            ),
            ResultLine::figure(
                "round trip",
                self.round_trip.mean_and_p99(),
                "mean / p99: two trips through the kernel per message".to_owned(),
            ),
        ]
    }
}

/// The demo; its ends are two worker processes.
pub struct Pipe;

impl Pipe {
    /// Nothing to register: both ends report through their slots.
    #[must_use]
    pub fn new(_ctx: &RunContext) -> Self {
        Self
    }

    fn round_in_processes(ctx: &RunContext, region: &'static SharedRegion) -> PipeOutcome {
        let messages = ctx.config.get("messages");
        let bytes = ctx.config.get("bytes");
        region.latency.reset();
        for index in [value::PIPE_ROUND_TRIPS, value::PIPE_INTACT] {
            region.values[index].store(0, Ordering::Relaxed);
        }
        for end in [CALLER, ECHO] {
            region.workers[end].bytes_sent.store(0, Ordering::Relaxed);
        }
        // The two ends of the pipe, one for each process, taken as each is
        // spawned; none is left in the parent after the round.
        let ends = match ipc::channel() {
            Ok((caller, echo)) => RefCell::new([Some(caller), Some(echo)]),
            Err(err) => {
                ctx.status.fail(format!("cannot make the pipe: {err}"));
                return PipeOutcome::default();
            }
        };
        let role = |end: usize| {
            if end == CALLER {
                Role::PipeCaller { messages, bytes }
            } else {
                Role::PipeEcho { bytes }
            }
        };
        let channel = |end: usize| {
            let index = usize::from(end != CALLER);
            Ok(ends.borrow_mut()[index].take().map(OwnedFd::from))
        };
        let more = |_: &SharedRegion| true;
        let run = run_process_pool_with(
            ctx,
            region,
            &PoolPlan {
                role: &role,
                more: &more,
                first_slot: CALLER,
                fixed: Some(2),
            },
            &channel,
        );
        PipeOutcome {
            messages,
            bytes,
            round_trips: region.values[value::PIPE_ROUND_TRIPS].load(Ordering::Relaxed),
            intact: region.values[value::PIPE_INTACT].load(Ordering::Relaxed),
            bytes_moved: [CALLER, ECHO]
                .iter()
                .map(|end| region.workers[*end].bytes_sent.load(Ordering::Relaxed))
                .sum(),
            round_trip: region.latency.summary().into(),
            wall_ms: run.wall.as_secs_f64() * 1e3,
        }
    }
}

impl Demo for Pipe {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        ctx.tasks.start_round(ctx.config.get("messages"));
        let Some(region) = ctx.region() else {
            ctx.status
                .fail("pipe runs only in processes mode".to_owned());
            return Outcome::new(PipeOutcome::default());
        };
        Outcome::new(Self::round_in_processes(ctx, region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    #[test]
    fn a_full_exchange_reads_good_and_a_short_one_bad() {
        let full = PipeOutcome {
            messages: 10,
            bytes: 8,
            round_trips: 10,
            intact: 10,
            bytes_moved: 160,
            ..PipeOutcome::default()
        };
        let verdicts: Vec<Verdict> = full.lines().iter().map(|l| l.verdict).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Good,
                Verdict::Good,
                Verdict::Good,
                Verdict::Neutral
            ]
        );
        let short = PipeOutcome {
            round_trips: 4,
            intact: 3,
            bytes_moved: 64,
            ..full
        };
        let lines = short.lines();
        assert_eq!(lines[0].verdict, Verdict::Bad);
        assert_eq!(lines[1].verdict, Verdict::Bad);
        assert_eq!(lines[2].expected, "64");
    }
}
