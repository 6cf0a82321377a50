//! What a worker process is asked to do: the one message from parent to
//! child, passed as a single JSON argument of the hidden `worker` command.
//!
//! Both sides of the protocol are here, so they cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::catalog::Kind;
use crate::config::Fault;

/// One worker process's job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildSpec {
    /// Its slot in the shared region (its worker index).
    pub slot: usize,
    /// What it does.
    pub role: Role,
    /// A fault to inject, for the failure demos and tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

/// The jobs a worker process can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "kebab-case")]
pub enum Role {
    /// Takes task numbers from the shared counter until `total`, each one
    /// `work_ms` of computing or waiting; records each task's completion
    /// order in the shared array (a process pool's results).
    Pool {
        /// Computing or waiting.
        kind: Kind,
        /// Milliseconds of work per task.
        work_ms: u64,
        /// Tasks in the round.
        total: u64,
        /// Task t does `work_ms` x (total - t) / total instead: later tasks
        /// are shorter, so they finish out of input order.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        uneven: bool,
    },
    /// Tasks of `work_ms` outside and `critical_ms` inside the region's
    /// first cross-process lock.
    Contention {
        /// Milliseconds outside the lock.
        work_ms: u64,
        /// Milliseconds inside it.
        critical_ms: u64,
        /// Tasks in the round.
        total: u64,
    },
    /// Adds 1 to a counter in shared memory `iterations` times.
    Race {
        /// `unsynchronized`, `locked` or `atomic`.
        variant: String,
        /// Increments.
        iterations: u64,
    },
    /// Puts item numbers below `total` on the shared queue, one every
    /// `produce_ms`. The last producer to finish sends one sentinel per
    /// consumer, as the main program does after joining its producers.
    Producer {
        /// Items in the round (shared by all producers).
        total: u64,
        /// Milliseconds to produce one.
        produce_ms: u64,
        /// Producers in the round.
        producers: u64,
        /// Consumers to send a sentinel to.
        consumers: u64,
    },
    /// Takes items off the shared queue until a sentinel, working
    /// `work_ms` on each.
    Consumer {
        /// Milliseconds of computing per item.
        work_ms: u64,
    },
    /// Adds 1 to this process's own copy of a global counter `iterations`
    /// times, then reports the copy's value in `array[slot]`.
    OwnCounter {
        /// Increments.
        iterations: u64,
    },
    /// `multiprocessing.Value` and `Array`: adds 1 to a shared value
    /// `iterations` times without a lock, then as many times to another
    /// under the region's first lock, then fills its stripe of the shared
    /// array with its slot number.
    SharedValue {
        /// Increments of each value.
        iterations: u64,
        /// Workers in the round: they start counting together, and the
        /// array is cut into this many stripes.
        workers: u64,
    },
    /// One end of a two-way pipe (its channel, as stdin): sends `messages`
    /// messages of `bytes` bytes and times each round trip.
    PipeCaller {
        /// Round trips to make.
        messages: u64,
        /// Bytes in each message.
        bytes: u64,
    },
    /// The other end: sends every message back.
    PipeEcho {
        /// Bytes in each message.
        bytes: u64,
    },
    /// A manager: serves a dictionary, to every connection passed through
    /// the door it has as stdin, until asked to shut down.
    ManagerServer,
    /// Updates the manager's dictionary with `requests` increments, timing
    /// each request.
    ManagerClient {
        /// Requests to make.
        requests: u64,
    },
    /// A map step: takes task numbers below `total` from the shared counter,
    /// computes `work_ms` for each, and writes its result (`task² + 1`, so 0
    /// means never written) to its cell of the shared array.
    MapSquares {
        /// Milliseconds of computing per task.
        work_ms: u64,
        /// Tasks in the round.
        total: u64,
    },
}

/// The queue item that tells a consumer to stop (Python's sentinel `None`).
pub const SENTINEL: u64 = u64::MAX;

/// What each of the region's shared values holds: parent and children must
/// agree, so the indices are named here, beside the rest of the protocol.
pub mod value {
    /// Pool tasks finished so far: the next finishing task's place.
    pub const PLACES: usize = 0;
    /// The race's unsynchronized counter.
    pub const RACE_UNSYNCHRONIZED: usize = 1;
    /// The race's locked counter.
    pub const RACE_LOCKED: usize = 2;
    /// The race's atomic counter.
    pub const RACE_ATOMIC: usize = 3;
    /// Producers that have finished.
    pub const PRODUCERS_DONE: usize = 4;
    /// Work the pool's tasks measured, nanoseconds (CPU time or waiting).
    pub const WORK_NS: usize = 5;
    /// Items the producers put on the queue (sentinels not counted).
    pub const PRODUCED: usize = 6;
    /// `shared-value`: the value added to without a lock.
    pub const SHARED_UNLOCKED: usize = 7;
    /// `shared-value`: the value added to under the lock.
    pub const SHARED_LOCKED: usize = 8;
    /// `shared-value`: workers at the start line.
    pub const SHARED_ARRIVED: usize = 9;
    /// `pipe`: round trips completed.
    pub const PIPE_ROUND_TRIPS: usize = 10;
    /// `pipe`: replies that came back byte for byte as sent.
    pub const PIPE_INTACT: usize = 11;
    /// `manager`: requests the clients made and saw answered.
    pub const MANAGER_REQUESTS: usize = 12;
    /// `manager`: data requests (`incr`, `get`) the server answered.
    pub const MANAGER_SERVED: usize = 13;
    /// Pool tasks doing their work (computing or waiting) now.
    pub const WORKING_NOW: usize = 14;
    /// The most pool tasks that were doing their work at once.
    pub const WORKING_PEAK: usize = 15;

    /// Every index above, for the test that keeps them apart.
    #[cfg(test)]
    pub(super) const ALL: [usize; 16] = [
        PLACES,
        RACE_UNSYNCHRONIZED,
        RACE_LOCKED,
        RACE_ATOMIC,
        PRODUCERS_DONE,
        WORK_NS,
        PRODUCED,
        SHARED_UNLOCKED,
        SHARED_LOCKED,
        SHARED_ARRIVED,
        PIPE_ROUND_TRIPS,
        PIPE_INTACT,
        MANAGER_REQUESTS,
        MANAGER_SERVED,
        WORKING_NOW,
        WORKING_PEAK,
    ];
}

/// Which slot plays which part, where a demo's processes are not all alike.
pub mod slot {
    /// `pipe`: the end that sends and times the round trips.
    pub const PIPE_CALLER: usize = 0;
    /// `pipe`: the end that echoes.
    pub const PIPE_ECHO: usize = 1;
    /// `manager`: the server; the clients take the slots after it.
    pub const MANAGER_SERVER: usize = 0;
}

/// One task's result in a process pool, as a worker stores it in
/// `region.array[task]`: which task it is and the place it finished in.
/// Carrying the task's id lets the parent check that the result it gathers
/// at position i really is task i's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolResult {
    /// The task's id (its position in the input).
    pub task: u64,
    /// Its finishing place, from 0.
    pub place: u64,
}

impl PoolResult {
    /// The cell's value: id + 1 in the high half, place + 1 in the low half,
    /// so an empty cell (0) reads as no result.
    #[must_use]
    pub const fn to_cell(self) -> u64 {
        ((self.task + 1) << 32) | ((self.place + 1) & 0xFFFF_FFFF)
    }

    /// The result a cell holds, if any.
    #[must_use]
    pub const fn from_cell(cell: u64) -> Option<Self> {
        let (task, place) = (cell >> 32, cell & 0xFFFF_FFFF);
        if task == 0 || place == 0 {
            None
        } else {
            Some(Self {
                task: task - 1,
                place: place - 1,
            })
        }
    }
}

impl ChildSpec {
    /// The JSON argument for the child's command line.
    #[must_use]
    pub fn to_arg(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the spec a parent passed.
    pub fn from_arg(arg: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_survives_the_command_line() {
        let roles = [
            Role::Pool {
                kind: Kind::Io,
                work_ms: 5,
                total: 9,
                uneven: true,
            },
            Role::Contention {
                work_ms: 1,
                critical_ms: 2,
                total: 3,
            },
            Role::Race {
                variant: "locked".to_owned(),
                iterations: 10,
            },
            Role::Producer {
                total: 4,
                produce_ms: 1,
                producers: 2,
                consumers: 1,
            },
            Role::Consumer { work_ms: 2 },
            Role::OwnCounter { iterations: 7 },
            Role::SharedValue {
                iterations: 8,
                workers: 2,
            },
            Role::PipeCaller {
                messages: 3,
                bytes: 64,
            },
            Role::PipeEcho { bytes: 64 },
            Role::ManagerServer,
            Role::ManagerClient { requests: 5 },
            Role::MapSquares {
                work_ms: 3,
                total: 7,
            },
        ];
        for (slot, role) in roles.into_iter().enumerate() {
            let spec = ChildSpec {
                slot,
                role,
                fault: (slot == 2).then_some(Fault::Hang),
            };
            assert_eq!(ChildSpec::from_arg(&spec.to_arg()).expect("parse"), spec);
        }
        assert!(ChildSpec::from_arg("{\"slot\":1}").is_err());
    }

    #[test]
    fn an_even_pool_spec_reads_as_before() {
        let spec = ChildSpec::from_arg(
            r#"{"slot":0,"role":{"role":"pool","kind":"cpu","work_ms":1,"total":2}}"#,
        )
        .expect("parse");
        assert!(matches!(spec.role, Role::Pool { uneven: false, .. }));
        assert!(!spec.to_arg().contains("uneven"));
    }

    #[test]
    fn value_indices_are_distinct_and_inside_the_region() {
        for (i, index) in value::ALL.iter().enumerate() {
            assert!(*index < crate::shm::VALUES, "index {index}");
            assert!(!value::ALL[i + 1..].contains(index), "index {index} twice");
        }
    }

    #[test]
    fn pool_results_carry_task_and_place() {
        assert_eq!(PoolResult::from_cell(0), None);
        for (task, place) in [(0, 0), (5, 2), (1023, 1023)] {
            let result = PoolResult { task, place };
            assert_eq!(PoolResult::from_cell(result.to_cell()), Some(result));
        }
    }
}
