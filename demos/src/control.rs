//! Live controls of a running demo: worker count, pause, stop, slow motion.
//!
//! The dashboard writes these (keys `+`/`-`, space, `<`/`>`); workers read
//! them at every step boundary. Reads are single relaxed atomic loads: a
//! worker sees a change within one step, and nothing needs ordering with
//! other memory, because each knob is a value on its own.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// The slowest slow motion: work and waits stretched 64 times.
pub const MAX_SLOW_MOTION: u32 = 64;

/// The longest a worker sleeps without looking at the controls, so that a
/// stop or a pause takes effect within this.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// Knobs shared between the dashboard and a demo's workers.
#[derive(Debug)]
pub struct Controls {
    workers: AtomicUsize,
    slow_motion: AtomicU32,
    stopping: AtomicBool,
    /// Mirrors `paused` so a checkpoint costs one load when nothing is paused.
    pause_requested: AtomicBool,
    paused: Mutex<bool>,
    resumed: Condvar,
}

impl Controls {
    /// Controls for a run with `workers` workers, running at normal speed.
    #[must_use]
    pub fn new(workers: usize) -> Self {
        Self {
            workers: AtomicUsize::new(workers.max(1)),
            slow_motion: AtomicU32::new(1),
            stopping: AtomicBool::new(false),
            pause_requested: AtomicBool::new(false),
            paused: Mutex::new(false),
            resumed: Condvar::new(),
        }
    }

    /// How many workers the run should have now.
    #[must_use]
    pub fn workers(&self) -> usize {
        self.workers.load(Ordering::Relaxed)
    }

    /// Asks for `n` workers (at least one). Pools grow or shrink at their
    /// workers' next task boundary.
    pub fn set_workers(&self, n: usize) {
        self.workers.store(n.max(1), Ordering::Relaxed);
    }

    /// The slow-motion factor: 1 is real time, 4 makes work and waits take
    /// four times as long.
    #[must_use]
    pub fn slow_motion(&self) -> u32 {
        self.slow_motion.load(Ordering::Relaxed)
    }

    /// Sets the slow-motion factor, within 1..=`MAX_SLOW_MOTION`.
    pub fn set_slow_motion(&self, factor: u32) {
        self.slow_motion
            .store(factor.clamp(1, MAX_SLOW_MOTION), Ordering::Relaxed);
    }

    /// `d` stretched by the slow-motion factor.
    #[must_use]
    pub fn stretch(&self, d: Duration) -> Duration {
        d.saturating_mul(self.slow_motion())
    }

    /// Asks every worker to stop at its next step and wakes paused ones.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        let _guard = self.paused.lock();
        self.resumed.notify_all();
    }

    /// True once `stop` was called.
    #[must_use]
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// Pauses or resumes the workers.
    pub fn set_paused(&self, paused: bool) {
        let mut state = self.paused.lock();
        *state = paused;
        self.pause_requested.store(paused, Ordering::Relaxed);
        if !paused {
            self.resumed.notify_all();
        }
    }

    /// True while paused.
    #[must_use]
    pub fn is_paused(&self) -> bool {
        self.pause_requested.load(Ordering::Relaxed)
    }

    /// A step boundary: blocks while paused. Returns false when the run is
    /// stopping, so the caller ends its loop.
    pub fn checkpoint(&self) -> bool {
        if !self.is_paused() {
            return !self.is_stopping();
        }
        let mut paused = self.paused.lock();
        while *paused && !self.is_stopping() {
            self.resumed.wait(&mut paused);
        }
        !self.is_stopping()
    }

    /// Sleeps `d` stretched by slow motion, in short naps so that a stop ends
    /// it early and a pause holds it (paused time is not counted). Returns
    /// false if the run is stopping.
    pub fn sleep(&self, d: Duration) -> bool {
        let mut left = self.stretch(d);
        while !left.is_zero() {
            if !self.checkpoint() {
                return false;
            }
            let nap = left.min(CHECK_EVERY);
            let started = Instant::now();
            std::thread::sleep(nap);
            left = left.saturating_sub(started.elapsed());
        }
        self.checkpoint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn knobs_stay_in_range() {
        let controls = Controls::new(0);
        assert_eq!(controls.workers(), 1, "never zero workers");
        controls.set_slow_motion(0);
        assert_eq!(controls.slow_motion(), 1);
        controls.set_slow_motion(1000);
        assert_eq!(controls.slow_motion(), MAX_SLOW_MOTION);
        assert_eq!(
            controls.stretch(Duration::from_millis(3)),
            Duration::from_millis(192)
        );
    }

    #[test]
    fn stop_ends_a_long_sleep_early() {
        let controls = Arc::new(Controls::new(1));
        let sleeper = Arc::clone(&controls);
        let started = Instant::now();
        let handle = std::thread::spawn(move || sleeper.sleep(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(50));
        controls.stop();
        assert!(!handle.join().expect("join"), "a stopped sleep says so");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "expected the stop to end the 30 s sleep before its end"
        );
    }

    #[test]
    fn pause_holds_a_checkpoint_until_resumed() {
        let controls = Arc::new(Controls::new(1));
        controls.set_paused(true);
        let worker = Arc::clone(&controls);
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            assert!(worker.checkpoint());
            started.elapsed()
        });
        std::thread::sleep(Duration::from_millis(100));
        controls.set_paused(false);
        let held = handle.join().expect("join");
        assert!(held >= Duration::from_millis(90), "held {held:?}");
    }

    #[test]
    fn slow_motion_stretches_sleeps() {
        let controls = Controls::new(1);
        controls.set_slow_motion(4);
        let started = Instant::now();
        assert!(controls.sleep(Duration::from_millis(25)));
        assert!(started.elapsed() >= Duration::from_millis(100));
    }
}
