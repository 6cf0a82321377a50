//! A demo worker's handle: its probe, the run's controls, and the two kinds
//! of work a task can do.
//!
//! CPU work is measured in the thread's own CPU time (`CLOCK_THREAD_CPUTIME_ID`),
//! not wall time: "250 ms of computing" is the same amount of work whether the
//! thread runs alone, shares a core, or waits for a GIL, so oversubscription
//! and serialisation show up honestly as longer wall time. I/O work is a sleep.
//! Both stretch with slow motion and stop or pause at once when asked.

use std::sync::Arc;
use std::time::Duration;

use nix::time::{ClockId, clock_gettime};

use crate::control::Controls;
use crate::probes::{ProbeRef, WorkerProbe, WorkerState, clear_current_worker, set_current_worker};

/// Arithmetic steps between two reads of the thread's CPU clock (a syscall
/// of a few hundred nanoseconds): about 50 us of work on this class of machine.
const STEPS_PER_CHECK: u32 = 20_000;

/// One worker of a running demo.
#[derive(Debug, Clone)]
pub struct Worker {
    index: usize,
    probe: ProbeRef<WorkerProbe>,
    controls: Arc<Controls>,
}

impl Worker {
    /// Binds the calling thread to `probe`: records its thread id and makes it
    /// the thread's current worker, so blocking primitives mark it as waiting.
    #[must_use]
    pub fn start(index: usize, probe: ProbeRef<WorkerProbe>, controls: Arc<Controls>) -> Self {
        probe.start();
        set_current_worker(probe.clone());
        Self {
            index,
            probe,
            controls,
        }
    }

    /// The worker's number in its pool, from 0.
    #[must_use]
    pub const fn index(&self) -> usize {
        self.index
    }

    /// The run's controls.
    #[must_use]
    pub fn controls(&self) -> &Controls {
        &self.controls
    }

    /// The worker's probe.
    #[must_use]
    pub fn probe(&self) -> &WorkerProbe {
        &self.probe
    }

    /// Records a state change (computing, waiting...).
    pub fn set_state(&self, state: WorkerState) {
        self.probe.set_state(state);
    }

    /// Counts a finished task.
    pub fn task_done(&self) {
        self.probe.task_done();
    }

    /// A step boundary: while the run is paused the worker shows as idle and
    /// waits here. False when the run is stopping.
    pub fn checkpoint(&self) -> bool {
        if !self.controls.is_paused() {
            return !self.controls.is_stopping();
        }
        let before = self.probe.state();
        self.probe.set_state(WorkerState::Idle);
        let go_on = self.controls.checkpoint();
        self.probe.set_state(before);
        go_on
    }

    /// Computes for `cpu` of this thread's CPU time (stretched by slow
    /// motion). False if the run stopped first.
    pub fn compute(&self, cpu: Duration) -> bool {
        self.set_state(WorkerState::Computing);
        let mut burn = CpuBurn::new(self.controls.stretch(cpu));
        while !burn.step() {
            if !self.checkpoint() {
                return false;
            }
        }
        true
    }

    /// Waits `d` (stretched by slow motion) as if for a disk or a network.
    /// False if the run stopped first.
    pub fn sleep_io(&self, d: Duration) -> bool {
        self.set_state(WorkerState::SleepingIo);
        let mut left = self.controls.stretch(d);
        let nap = Duration::from_millis(20);
        while !left.is_zero() {
            if !self.checkpoint() {
                return false;
            }
            let this = left.min(nap);
            std::thread::sleep(this);
            left = left.saturating_sub(this);
        }
        true
    }

    /// Marks the worker finished and unbinds the thread.
    pub fn finish(self) {
        self.probe.set_state(WorkerState::Done);
        clear_current_worker();
    }
}

/// CPU time of this whole process so far: every thread, exited ones
/// included, and every child it has reaped (`getrusage`, microseconds).
#[must_use]
pub fn process_cpu_time() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    let used = |who| {
        getrusage(who).map_or(Duration::ZERO, |usage| {
            let total = usage.user_time() + usage.system_time();
            Duration::new(
                u64::try_from(total.tv_sec()).unwrap_or(0),
                u32::try_from(total.tv_usec()).unwrap_or(0) * 1_000,
            )
        })
    };
    used(UsageWho::RUSAGE_SELF) + used(UsageWho::RUSAGE_CHILDREN)
}

/// How much of the calling thread's stack is resident, KiB: the `Rss` of the
/// mapping in `/proc/self/smaps` that holds this function's own frame. A
/// thread's memory is its stack (the rest it shares with its process), and
/// this is measured on the stack itself, whatever stacks glibc recycles.
#[must_use]
pub fn own_stack_resident_kib() -> Option<u64> {
    let marker = 0_u8;
    let here = (&raw const marker) as usize;
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    let mut inside = false;
    for line in smaps.lines() {
        let first = line.split_ascii_whitespace().next().unwrap_or_default();
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            inside = (start..end).contains(&here);
        } else if inside && let Some(rss) = line.strip_prefix("Rss:") {
            return rss.trim().trim_end_matches("kB").trim().parse().ok();
        }
    }
    None
}

/// This thread's CPU time so far.
#[must_use]
pub fn thread_cpu_time() -> Duration {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(Duration::ZERO, Duration::from)
}

/// A stretch of pure computation measured in the thread's CPU time, done in
/// small steps so that the caller can look at its controls in between.
#[derive(Debug)]
pub struct CpuBurn {
    until: Duration,
    state: u64,
}

impl CpuBurn {
    /// `cpu` of computation from now.
    #[must_use]
    pub fn new(cpu: Duration) -> Self {
        Self {
            until: thread_cpu_time() + cpu,
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// Does one step (about 50 us); true once the whole amount is done.
    pub fn step(&mut self) -> bool {
        for _ in 0..STEPS_PER_CHECK {
            // xorshift: real work the optimiser cannot remove or shorten.
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
        }
        std::hint::black_box(self.state);
        thread_cpu_time() >= self.until
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn worker() -> Worker {
        Worker::start(
            0,
            ProbeRef::new(WorkerProbe::new()),
            Arc::new(Controls::new(1)),
        )
    }

    #[test]
    fn compute_spends_the_asked_cpu_time_on_this_thread() {
        let w = worker();
        let before = thread_cpu_time();
        assert!(w.compute(Duration::from_millis(30)));
        let spent = thread_cpu_time().saturating_sub(before);
        assert!(spent >= Duration::from_millis(30), "{spent:?}");
        assert!(spent < Duration::from_millis(60), "{spent:?}");
        assert_eq!(w.probe().state(), WorkerState::Computing);
    }

    #[test]
    fn io_sleeps_without_using_the_cpu() {
        let w = worker();
        let (cpu, wall) = (thread_cpu_time(), Instant::now());
        assert!(w.sleep_io(Duration::from_millis(60)));
        assert!(wall.elapsed() >= Duration::from_millis(60));
        assert!(thread_cpu_time().saturating_sub(cpu) < Duration::from_millis(10));
        let reading = w.probe().read();
        assert_eq!(reading.state, WorkerState::SleepingIo);
    }

    #[test]
    fn a_stopped_run_ends_work_early() {
        let w = worker();
        w.controls().stop();
        let before = thread_cpu_time();
        assert!(
            !w.compute(Duration::from_secs(10)),
            "a stopped compute says so"
        );
        assert!(
            !w.sleep_io(Duration::from_secs(10)),
            "a stopped sleep says so"
        );
        // CPU time, not wall time: it does not stretch on a busy machine.
        let spent = thread_cpu_time().saturating_sub(before);
        assert!(
            spent < Duration::from_secs(1),
            "expected a stopped run to skip its 10 s of computing, it spent {spent:?}"
        );
    }

    #[test]
    fn finishing_marks_the_worker_done() {
        let probe = ProbeRef::new(WorkerProbe::new());
        let w = Worker::start(3, probe.clone(), Arc::new(Controls::new(1)));
        assert_eq!(w.index(), 3);
        assert_eq!(probe.read().tid, nix::unistd::gettid().as_raw());
        w.finish();
        assert_eq!(probe.state(), WorkerState::Done);
    }
}
