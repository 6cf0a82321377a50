//! The demos themselves, one module each, and [`DEMOS`]: the one table of
//! demos, each entry pairing a demo's spec (name, texts, parameters with
//! their limits, modes) with the code that builds it.
//!
//! A name cannot lack code: the constructor sits in the same entry as the
//! name. Several entries may share one implementation (`cpu-vs-io`, `gil`
//! and `async` are all `scaling`). Adding a demo is one new file here plus
//! one `mod` line and one entry below: see `demos/README.md`.
//!
//! Each demo imports the runner's vocabulary (`context`, `outcome`) and the
//! primitives it needs, never this table; `registry` finds entries in it,
//! and the runner (`run`) builds each run from one.

pub mod bank;
pub mod barrier;
pub mod combine;
pub mod condition;
pub mod event;
pub mod lock_contention;
pub mod manager;
pub mod pipe;
pub mod producer_consumer;
pub mod race;
pub mod rlock;
pub mod scaling;
pub mod semaphore;
pub mod separate_memory;
pub mod shared_value;
mod start;
pub mod thread_pool;
pub mod threads;

use serde::Serialize;

use crate::catalog::{
    DemoSpec, Kind, MAX_WORKERS, Mode, iterations, param, tasks, work_ms, workers,
};
use crate::context::{Demo, RunContext};

/// Builds a demo for one run: registers its probes and creates its
/// primitives, once; the runner then calls its rounds.
pub type Build = fn(&RunContext) -> Box<dyn Demo>;

/// One demo: what it is, and the code that runs it.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(transparent)]
pub struct Entry {
    /// Builds it.
    #[serde(skip)]
    pub build: Build,
    /// Its name, texts, parameters and modes (all that `list --json` prints).
    pub spec: DemoSpec,
}

/// Every demo, in teaching order.
pub const DEMOS: &[Entry] = &[
    Entry {
        build: |ctx| Box::new(threads::Threads::new(ctx)),
        spec: DemoSpec {
            name: "threads",
            summary: "Start and join threads; a worker object with a run method; daemon threads",
            look_for: "Each worker becomes a row when it starts. The joined workers all finish before \
                       the main thread goes on; the daemon workers are abandoned when the main thread \
                       ends, their work cut off unfinished.",
            modes: &[Mode::Threads],
            kind: Some(Kind::Io),
            params: &[workers(4), work_ms(600)],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(race::Race::new(ctx)),
        spec: DemoSpec {
            name: "race",
            summary: "A shared counter without a lock loses updates; with a lock or an atomic it is exact",
            look_for: "Unsynchronized: two workers read the same value, both add one, both write: one \
                       update is lost. The actual count falls short of the expected one. The locked \
                       and atomic counters always match, and the lock shows its contention.",
            modes: &[Mode::Threads, Mode::Processes],
            kind: None,
            params: &[workers(2), iterations(1_000_000)],
            variants: &["unsynchronized", "locked", "atomic", "stepped"],
        },
    },
    Entry {
        build: |ctx| Box::new(bank::Bank::new(ctx)),
        spec: DemoSpec {
            name: "bank",
            summary: "Two withdrawals of 80 from 100 race: without a lock both are approved",
            look_for: "Unlocked: each withdrawal checks the balance, pauses (the bank's processing), \
                       then subtracts. Both see 100, both are approved, the balance goes negative. \
                       Locked: the check and the update are one step; the second is refused.",
            modes: &[Mode::Threads],
            kind: None,
            params: &[
                workers(2),
                param("balance", "starting balance", 100, 0, 1_000_000_000),
                param("amount", "each withdrawal", 80, 1, 1_000_000_000),
                param(
                    "delay-ms",
                    "processing time between check and update",
                    50,
                    0,
                    10_000,
                ),
            ],
            variants: &["unlocked", "locked"],
        },
    },
    Entry {
        build: |ctx| Box::new(lock_contention::LockContention::new(ctx)),
        spec: DemoSpec {
            name: "lock-contention",
            summary: "N workers, one lock: waits grow with the critical section",
            look_for: "Workers queue for the lock (waiting: lock, in their lanes). The longer the critical \
                       section, the higher the wait p99 and the fewer cores stay busy: a convoy.",
            modes: &[Mode::Threads, Mode::Processes],
            kind: None,
            params: &[
                workers(4),
                tasks(400),
                work_ms(2),
                param(
                    "critical-ms",
                    "milliseconds of work inside the lock",
                    2,
                    0,
                    10_000,
                ),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(rlock::RLock::new(ctx)),
        spec: DemoSpec {
            name: "rlock",
            summary: "A re-entrant lock: the holder may take it again, a plain lock would deadlock",
            look_for: "Each task takes the lock at every level of a recursion. The re-entrant lock \
                       counts the nested acquires without blocking; a plain lock's second acquire by \
                       the same thread is refused (it would wait for itself forever).",
            modes: &[Mode::Threads],
            kind: None,
            params: &[
                workers(3),
                tasks(60),
                work_ms(5),
                param("depth", "recursion depth", 3, 1, 64),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(condition::Condition::new(ctx)),
        spec: DemoSpec {
            name: "condition",
            summary: "Consumers wait on a condition until items exist; a producer notifies",
            look_for: "Consumers sleep in the condition (no CPU) until the producer adds an item and \
                       notifies; each wake-up re-checks the state. Waits, notifies and wake-ups are \
                       counted.",
            modes: &[Mode::Threads],
            kind: None,
            params: &[workers(3), tasks(30), work_ms(40)],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(event::Event::new(ctx)),
        spec: DemoSpec {
            name: "event",
            summary: "Workers wait for one flag; setting it releases them all at once",
            look_for: "Every worker blocks on the event until the main thread sets it, then all wake \
                       within a fraction of a millisecond: the wake-up latency is measured.",
            modes: &[Mode::Threads],
            kind: None,
            params: &[
                workers(8),
                param("delay-ms", "time before the event is set", 800, 0, 60_000),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(barrier::Barrier::new(ctx)),
        spec: DemoSpec {
            name: "barrier",
            summary: "N parties meet at a barrier each phase; the fastest waits for the slowest",
            look_for: "In each phase workers do uneven amounts of work, then wait at the barrier. \
                       The quick ones idle (waiting) until the slowest arrives; the phase ends together.",
            modes: &[Mode::Threads],
            kind: None,
            params: &[
                workers(4),
                param("phases", "barrier generations", 8, 1, 100_000),
                work_ms(80),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(thread_pool::ThreadPool::new(ctx)),
        spec: DemoSpec {
            name: "thread-pool",
            summary: "A fixed pool: map returns results in input order, as-completed in finish order",
            look_for: "Tasks take different times. First a rayon pool maps them: `map` hands back \
                   results in the order given. Then, one after the other, a pool of plain threads \
                   runs the same tasks `as completed`: each result back when it finishes. In \
                   processes mode a pool of worker processes maps them, in input order.",
            modes: &[Mode::Threads, Mode::Processes],
            kind: Some(Kind::Cpu),
            params: &[workers(4), tasks(12), work_ms(60)],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(semaphore::Semaphore::new(ctx)),
        spec: DemoSpec {
            name: "semaphore",
            summary: "K permits among N workers: at most K at a time",
            look_for: "The permit gauge never passes K. The other workers wait for a permit (waiting: \
                       permit, in their lanes) and start as soon as one is released.",
            modes: &[Mode::Threads],
            kind: Some(Kind::Io),
            params: &[
                workers(8),
                tasks(48),
                work_ms(150),
                param("permits", "permits available", 3, 1, MAX_WORKERS),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(producer_consumer::ProducerConsumer::new(ctx)),
        spec: DemoSpec {
            name: "producer-consumer",
            summary: "A bounded queue between producers and consumers; sentinels stop them",
            look_for: "The queue depth gauge: when consumers are slower, it fills and producers block \
                       (back-pressure). One sentinel per consumer ends the run; join waits until every \
                       item is marked done.",
            modes: &[Mode::Threads, Mode::Processes],
            kind: None,
            params: &[
                param("producers", "producer threads", 2, 1, MAX_WORKERS),
                param("consumers", "consumer threads", 2, 1, MAX_WORKERS),
                param("capacity", "queue capacity", 8, 1, 1_000_000),
                tasks(200),
                param(
                    "produce-ms",
                    "milliseconds to produce an item",
                    5,
                    0,
                    60_000,
                ),
                work_ms(20),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(scaling::Scaling::new(ctx)),
        spec: DemoSpec {
            name: "cpu-vs-io",
            summary: "The same tasks as computation or as waits, in each mode",
            look_for: "CPU-bound tasks keep one core per worker busy and scale with threads (no GIL); \
                       with the GIL they share one core. I/O-bound tasks overlap in every mode: the \
                       cores stay idle and the run takes about one task's time per round.",
            modes: &[Mode::Threads, Mode::Gil, Mode::Processes, Mode::Async],
            kind: Some(Kind::Cpu),
            params: &[workers(2), tasks(8), work_ms(250)],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(scaling::Scaling::new(ctx)),
        spec: DemoSpec {
            name: "gil",
            summary: "A simulated global interpreter lock: one worker computes at a time",
            look_for: "Each worker holds the GIL while it computes and hands it over every switch \
                       interval. Their lanes alternate computing and waiting: GIL, and parallelism stays near \
                       1.0 whatever the number of cores. Press m for plain threads and watch it climb.",
            modes: &[Mode::Gil, Mode::Threads],
            kind: Some(Kind::Cpu),
            params: &[
                workers(2),
                tasks(8),
                work_ms(500),
                param(
                    "switch-ms",
                    "GIL switch interval in milliseconds",
                    5,
                    1,
                    1000,
                ),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(separate_memory::SeparateMemory::new(ctx)),
        spec: DemoSpec {
            name: "separate-memory",
            summary: "A child process counts in its own copy of memory; the parent's counter stays 0",
            look_for: "Each worker process adds to the program's counter and reports what its copy \
                       reached: every child counted to the full number, yet the parent's counter is \
                       still 0. A process has memory of its own. The same counting on threads does \
                       change the parent's counter: threads share its memory.",
            modes: &[Mode::Processes],
            kind: None,
            params: &[workers(2), iterations(1_000_000)],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(pipe::Pipe::new(ctx)),
        spec: DemoSpec {
            name: "pipe",
            summary: "A two-way pipe between two processes: each message sent there and back, timed",
            look_for: "Two worker processes hold the ends of a pipe (connected sockets, like \
                       multiprocessing.Pipe()). One sends a message and waits; the other sends it \
                       back. Each round trip passes through the kernel twice: its latency is the \
                       price of talking instead of sharing memory. Bytes moved count both ways.",
            modes: &[Mode::Processes],
            kind: None,
            params: &[
                param("messages", "round trips to make", 2_000, 1, 1_000_000),
                param("bytes", "bytes in each message", 256, 1, 1 << 20),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(shared_value::SharedValue::new(ctx)),
        spec: DemoSpec {
            name: "shared-value",
            summary: "multiprocessing.Value and Array: shared memory between processes, and its lock",
            look_for: "Worker processes add 1 to a value in shared memory. Without its lock, the \
                       read-add-write steps of two processes interleave and updates are lost; with \
                       get_lock() the count is exact, and the lock's waits show. Each process fills \
                       its own stripe of a shared array; the parent checks every cell.",
            modes: &[Mode::Processes],
            kind: None,
            params: &[workers(2), iterations(200_000)],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(manager::Manager::new(ctx)),
        spec: DemoSpec {
            name: "manager",
            summary: "A manager process serves a dictionary; worker processes update it by request",
            look_for: "Worker 0 is the manager: it holds the dictionary, and nobody else can touch \
                       it. The clients send it requests over a socket (incr KEY) and wait for each \
                       reply: the request latency is what sharing through a server costs. The final \
                       counts add up to every request made: the server applies them one at a time.",
            modes: &[Mode::Processes],
            kind: None,
            params: &[workers(3), tasks(500)],
            variants: &[],
        },
    },
    Entry {
        build: |ctx| Box::new(scaling::Scaling::new(ctx)),
        spec: DemoSpec {
            name: "async",
            summary: "Thousands of waiting tasks on one event-loop thread; a semaphore limits them",
            look_for: "Ten thousand tasks each wait a second, all on one thread, the event loop: the \
                   thread count stays put. A tokio semaphore lets 2000 wait at once (the tasks in \
                   flight gauge); the others wait for a permit, so the run takes five waves, \
                   about five seconds. More permits, fewer waves.",
            modes: &[Mode::Async],
            kind: Some(Kind::Io),
            params: &[
                tasks(10_000),
                work_ms(1000),
                param("permits", "concurrent tasks allowed", 2_000, 1, 1_000_000),
            ],
            variants: &[],
        },
    },
    Entry {
        build: |_ctx| Box::new(combine::Combine),
        spec: DemoSpec {
            name: "combine",
            summary: "CPU work in worker processes while a thread waits on I/O; then map and reduce",
            look_for: "The worker processes compute (their lanes computing, the cores busy) while \
                       the I/O thread sleeps on I/O, at the same time. Alone they take their sum; together \
                       about the longer of the two. The reduce adds up what the processes mapped.",
            modes: &[Mode::Processes],
            kind: None,
            params: &[
                workers(2),
                param("tasks", "tasks mapped and fetches made", 8, 1, 1024),
                work_ms(250),
                param("delay-ms", "milliseconds each fetch waits", 250, 0, 60_000),
            ],
            variants: &[],
        },
    },
];
