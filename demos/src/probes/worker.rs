//! What one worker is doing now, and how long it has spent in each state.
//!
//! Owns `WorkerProbe` (a fixed block of atomics, valid when zeroed, so that it
//! can live in shared memory), the `WorkerState` enum, and the thread-local
//! "current worker" that the slow paths of the instrumented primitives mark as
//! waiting while they block. It must never block the worker it describes: the
//! worker writes, readers retry, nobody waits. The fast path of a primitive must
//! never reach the thread-local.

use std::cell::RefCell;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering, fence};

use super::ProbeRef;
use super::clock::now_ns;

/// What a worker is doing. Stored in a `WorkerProbe` as its `u32` discriminant.
#[repr(u32)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum WorkerState {
    /// Started, with no task in hand (also the state of a zeroed probe).
    #[default]
    Idle = 0,
    /// Running its task on a CPU.
    Computing = 1,
    /// Blocked on a lock, or on a condition, event or barrier.
    WaitingLock = 2,
    /// Blocked for a semaphore permit.
    WaitingPermit = 3,
    /// Blocked on a full or empty queue, or in `join`.
    WaitingQueue = 4,
    /// Blocked on the simulated global interpreter lock.
    WaitingGil = 5,
    /// Sleeping to simulate I/O.
    SleepingIo = 6,
    /// Finished; the time in this state keeps growing after the worker ends.
    Done = 7,
}

impl WorkerState {
    /// Number of states.
    pub const COUNT: usize = 8;
    /// Every state, in discriminant order (the order of `state_ns`).
    pub const ALL: [Self; Self::COUNT] = [
        Self::Idle,
        Self::Computing,
        Self::WaitingLock,
        Self::WaitingPermit,
        Self::WaitingQueue,
        Self::WaitingGil,
        Self::SleepingIo,
        Self::Done,
    ];

    /// A short lowercase name for screens and reports.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Computing => "computing",
            Self::WaitingLock => "waiting: lock",
            Self::WaitingPermit => "waiting: permit",
            Self::WaitingQueue => "waiting: queue",
            Self::WaitingGil => "waiting: GIL",
            Self::SleepingIo => "sleeping: I/O",
            Self::Done => "done",
        }
    }

    /// The state with discriminant `value`, or `None` for a value no state
    /// has (a corrupt shared mapping, for instance).
    #[must_use]
    pub fn from_u32(value: u32) -> Option<Self> {
        Self::ALL.get(value as usize).copied()
    }
}

/// The live record of one worker, written by that worker only.
///
/// Transitions are published under a sequence counter (a seqlock made of
/// atomics): the worker bumps `seq` to odd, writes, bumps it to even; a reader
/// retries while it sees an odd or changed `seq`, and after a few tries accepts
/// what it read, so a worker that died mid-write cannot hang the sampler.
#[repr(C)]
#[derive(Debug)]
pub struct WorkerProbe {
    /// Sequence counter: odd while a transition is being written.
    seq: AtomicU32,
    /// Process id of the worker; 0 until it starts.
    pid: AtomicI32,
    /// Kernel thread id of the worker; 0 until it starts.
    tid: AtomicI32,
    /// The current `WorkerState` discriminant.
    state: AtomicU32,
    /// Tasks finished.
    tasks_done: AtomicU64,
    /// When the current state was entered, `CLOCK_MONOTONIC` nanoseconds;
    /// 0 means the worker has not started.
    since_ns: AtomicU64,
    /// Nanoseconds spent in each state before the current one, indexed by
    /// discriminant; the current state's running time is added on read.
    state_ns: [AtomicU64; WorkerState::COUNT],
}

/// A plain copy of a worker's probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct WorkerReading {
    /// Process id of the worker; 0 if it has not started.
    pub pid: i32,
    /// Kernel thread id of the worker; 0 if it has not started.
    pub tid: i32,
    /// What the worker is doing now.
    pub state: WorkerState,
    /// Tasks finished.
    pub tasks_done: u64,
    /// Nanoseconds spent in each state, the current one up to the read,
    /// indexed by `WorkerState` discriminant.
    pub state_ns: [u64; WorkerState::COUNT],
}

/// Read attempts before a reader accepts a possibly torn reading.
const READ_ATTEMPTS: usize = 8;

impl WorkerProbe {
    /// A probe for a worker that has not started (all zero).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            seq: AtomicU32::new(0),
            pid: AtomicI32::new(0),
            tid: AtomicI32::new(0),
            state: AtomicU32::new(0),
            tasks_done: AtomicU64::new(0),
            since_ns: AtomicU64::new(0),
            state_ns: [const { AtomicU64::new(0) }; WorkerState::COUNT],
        }
    }

    /// Records the calling thread's process and thread ids and enters
    /// `Idle`. Call it first thing on the worker's own thread.
    pub fn start(&self) {
        self.pid
            .store(nix::unistd::getpid().as_raw(), Ordering::Relaxed);
        self.tid
            .store(nix::unistd::gettid().as_raw(), Ordering::Relaxed);
        self.set_state(WorkerState::Idle);
    }

    /// Enters `state`, reading the clock once. Only the worker's own thread
    /// may call it (the probe has a single writer).
    pub fn set_state(&self, state: WorkerState) {
        self.set_state_at(state, now_ns());
    }

    /// The state the worker is in now.
    #[must_use]
    pub fn state(&self) -> WorkerState {
        WorkerState::from_u32(self.state.load(Ordering::Relaxed)).unwrap_or_default()
    }

    /// Returns the probe to its never-started state, for probes in shared
    /// memory reused by the next run. No worker may be using it.
    pub(crate) fn reset(&self) {
        for field in [&self.seq, &self.state] {
            field.store(0, Ordering::Relaxed);
        }
        for field in [&self.pid, &self.tid] {
            field.store(0, Ordering::Relaxed);
        }
        self.tasks_done.store(0, Ordering::Relaxed);
        self.since_ns.store(0, Ordering::Relaxed);
        for spent in &self.state_ns {
            spent.store(0, Ordering::Relaxed);
        }
    }

    /// Starts the count of finished tasks over, for a new round: a lane's
    /// "N done" is this round's, like the run's "tasks x / y".
    pub(crate) fn start_round(&self) {
        self.tasks_done.store(0, Ordering::Relaxed);
    }

    /// Counts one finished task.
    pub fn task_done(&self) {
        self.tasks_done.fetch_add(1, Ordering::Relaxed);
    }

    /// Copies the probe out, adding the current state's running time. Never
    /// blocks the worker.
    #[must_use]
    pub fn read(&self) -> WorkerReading {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let before = self.seq.load(Ordering::Acquire);
            let state = self.state.load(Ordering::Relaxed);
            let since_ns = self.since_ns.load(Ordering::Relaxed);
            let mut state_ns: [u64; WorkerState::COUNT] =
                std::array::from_fn(|i| self.state_ns[i].load(Ordering::Relaxed));
            fence(Ordering::Acquire);
            let consistent = before.is_multiple_of(2) && self.seq.load(Ordering::Relaxed) == before;
            if !consistent && attempt < READ_ATTEMPTS {
                std::hint::spin_loop();
                continue;
            }
            let state = WorkerState::from_u32(state).unwrap_or_default();
            if since_ns != 0 {
                state_ns[state as usize] += now_ns().saturating_sub(since_ns);
            }
            return WorkerReading {
                pid: self.pid.load(Ordering::Relaxed),
                tid: self.tid.load(Ordering::Relaxed),
                state,
                tasks_done: self.tasks_done.load(Ordering::Relaxed),
                state_ns,
            };
        }
    }

    /// Enters `state` at `now_ns`, a clock reading the caller already has.
    pub(crate) fn set_state_at(&self, state: WorkerState, now_ns: u64) {
        // Single writer, so plain loads and stores suffice for `seq` and the
        // accumulators; the fences order them for readers (the seqlock pattern).
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let since_ns = self.since_ns.load(Ordering::Relaxed);
        if since_ns != 0 {
            let previous = WorkerState::from_u32(self.state.load(Ordering::Relaxed))
                .unwrap_or_default() as usize;
            let spent = &self.state_ns[previous];
            let elapsed = now_ns.saturating_sub(since_ns);
            spent.store(spent.load(Ordering::Relaxed) + elapsed, Ordering::Relaxed);
        }
        self.since_ns.store(now_ns.max(1), Ordering::Relaxed);
        self.state.store(state as u32, Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }
}

impl Default for WorkerProbe {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    static CURRENT_WORKER: RefCell<Option<ProbeRef<WorkerProbe>>> = const { RefCell::new(None) };
}

/// Makes `probe` the calling thread's current worker: from now on the slow
/// paths of the instrumented primitives mark it as waiting while they block.
pub fn set_current_worker(probe: ProbeRef<WorkerProbe>) {
    CURRENT_WORKER.with(|current| *current.borrow_mut() = Some(probe));
}

/// Forgets the calling thread's current worker.
pub fn clear_current_worker() {
    CURRENT_WORKER.with(|current| current.borrow_mut().take());
}

/// Marks the current worker (if the thread has one) as waiting for the length
/// of a blocking call, then restores the state it had before.
pub(crate) struct WaitMark {
    worker: Option<(ProbeRef<WorkerProbe>, WorkerState)>,
}

impl WaitMark {
    /// Enters `waiting` at `now_ns` (a clock reading the slow path already took).
    pub(crate) fn begin(waiting: WorkerState, now_ns: u64) -> Self {
        let worker = CURRENT_WORKER
            .try_with(|current| current.borrow().clone())
            .ok()
            .flatten()
            .map(|probe| {
                let previous = probe.state();
                probe.set_state_at(waiting, now_ns);
                (probe, previous)
            });
        Self { worker }
    }

    /// Restores the state from before the wait, at `now_ns`.
    pub(crate) fn end(self, now_ns: u64) {
        if let Some((probe, previous)) = self.worker {
            probe.set_state_at(previous, now_ns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{WaitMark, WorkerProbe, WorkerState, clear_current_worker, set_current_worker};
    use crate::probes::ProbeRef;
    use std::time::Duration;

    #[test]
    fn a_zeroed_probe_reads_as_not_started() {
        let reading = WorkerProbe::new().read();
        assert_eq!(reading.state, WorkerState::Idle);
        assert_eq!(reading.pid, 0);
        assert_eq!(reading.state_ns, [0; WorkerState::COUNT]);
    }

    #[test]
    fn states_round_trip_through_their_discriminant() {
        for (index, state) in WorkerState::ALL.into_iter().enumerate() {
            assert_eq!(state as usize, index);
            assert_eq!(WorkerState::from_u32(state as u32), Some(state));
            assert!(!state.label().is_empty());
        }
        assert_eq!(WorkerState::from_u32(WorkerState::COUNT as u32), None);
    }

    #[test]
    fn time_accumulates_in_each_state() {
        let probe = WorkerProbe::new();
        probe.start();
        probe.set_state_at(WorkerState::Computing, 1_000);
        probe.set_state_at(WorkerState::SleepingIo, 4_000);
        probe.set_state_at(WorkerState::Computing, 6_000);
        probe.set_state_at(WorkerState::Done, 7_000);
        probe.task_done();
        let reading = probe.read();
        assert_eq!(reading.state_ns[WorkerState::Computing as usize], 4_000);
        assert_eq!(reading.state_ns[WorkerState::SleepingIo as usize], 2_000);
        assert_eq!(reading.state, WorkerState::Done);
        assert_eq!(reading.tasks_done, 1);
        assert_eq!(reading.tid, nix::unistd::gettid().as_raw());
        assert_eq!(reading.pid, std::process::id() as i32);
    }

    #[test]
    fn the_current_state_is_counted_up_to_the_read() {
        let probe = WorkerProbe::new();
        probe.start();
        probe.set_state(WorkerState::Computing);
        std::thread::sleep(Duration::from_millis(5));
        let first = probe.read().state_ns[WorkerState::Computing as usize];
        assert!(first >= 5_000_000, "{first} ns");
        let second = probe.read().state_ns[WorkerState::Computing as usize];
        assert!(second >= first);
    }

    #[test]
    fn a_wait_mark_marks_and_restores_the_current_worker() {
        let probe = ProbeRef::new(WorkerProbe::new());
        probe.start();
        probe.set_state(WorkerState::Computing);
        set_current_worker(probe.clone());
        let mark = WaitMark::begin(WorkerState::WaitingPermit, crate::probes::clock::now_ns());
        assert_eq!(probe.state(), WorkerState::WaitingPermit);
        mark.end(crate::probes::clock::now_ns());
        assert_eq!(probe.state(), WorkerState::Computing);
        clear_current_worker();
        let mark = WaitMark::begin(WorkerState::WaitingLock, crate::probes::clock::now_ns());
        assert_eq!(probe.state(), WorkerState::Computing);
        mark.end(crate::probes::clock::now_ns());
    }
}
