//! Time a thread spent asleep in a futex wait (a lock, a condition, a join,
//! a GIL), estimated from time rather than from a count of samples.
//!
//! The method, per thread and per interval between two readings:
//!
//! 1. **How long it slept.** Wall time minus the time it ran on a CPU minus
//!    the time it waited runnable in the run queue: both come from
//!    `schedstat` to the nanosecond, so the off-CPU time `O` is exact.
//! 2. **What it slept in.** Its wait channel (`wchan`: `futex_wait_queue`,
//!    `hrtimer_nanosleep`, `do_epoll_wait`...) is read at the interval's end
//!    and every few milliseconds in between ([`FutexClock::observe`]; the
//!    polls keep to a budget of readings a second, so their cost is bounded
//!    too, and a thread that has not run since its last reading is not read
//!    again: it is still in that wait). Of the readings that found the
//!    thread asleep, the share in a futex wait is `f`.
//! 3. **The estimate** adds `O * f` to the thread's futex time. A thread that
//!    did not run at all in the interval slept in one wait throughout, which
//!    the end reading names: then the estimate is exact.
//!
//! A share of ~40 tick samples (the old method) weighs a tick in which the
//! thread ran 95% of the time like one in which it slept throughout, and
//! with few samples its error is large; here the sleep's length is measured
//! and only its kind is sampled, at a rate independent of the tick.
//! Without readable wait channels (another user's process) there is no
//! estimate: `None`, never 0.

/// What one reading of a wait channel says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    /// Asleep in a futex wait.
    Futex,
    /// Asleep in something else (a timer, I/O, a pipe...).
    Other,
    /// Running, runnable, or unknown.
    Awake,
}

impl Wait {
    /// Classifies a wait channel as read (`None` when the thread was not
    /// asleep or the channel could not be read).
    #[must_use]
    pub(super) fn of(wchan: Option<&str>) -> Self {
        match wchan {
            Some(name) if name.starts_with("futex") => Self::Futex,
            Some(_) => Self::Other,
            None => Self::Awake,
        }
    }
}

/// One thread's futex time so far and the readings of the interval under way.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FutexClock {
    futex_ns: u64,
    asleep: u32,
    in_futex: u32,
}

impl FutexClock {
    /// Counts one reading of the thread's wait channel.
    pub(super) fn observe(&mut self, wait: Wait) {
        match wait {
            Wait::Futex => {
                self.asleep += 1;
                self.in_futex += 1;
            }
            Wait::Other => self.asleep += 1,
            Wait::Awake => {}
        }
    }

    /// The futex time so far, as the last [`FutexClock::close`] returned it.
    pub(super) const fn total_ns(&self) -> u64 {
        self.futex_ns
    }

    /// Ends an interval in which the thread was off a CPU (and out of the
    /// run queue) for `off_cpu_ns`, its end reading being `now`, and returns
    /// the futex time so far.
    pub(super) fn close(&mut self, off_cpu_ns: u64, now: Wait) -> u64 {
        self.observe(now);
        if self.asleep > 0 {
            let share = f64::from(self.in_futex) / f64::from(self.asleep);
            self.futex_ns += (off_cpu_ns as f64 * share) as u64;
        }
        self.asleep = 0;
        self.in_futex = 0;
        self.futex_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_slept_on_a_lock_throughout_counts_all_its_sleep() {
        let mut clock = FutexClock::default();
        assert_eq!(clock.close(100, Wait::Futex), 100);
        assert_eq!(
            clock.close(50, Wait::Other),
            100,
            "a timer sleep is not a lock"
        );
    }

    #[test]
    fn readings_between_ticks_split_the_sleep_by_kind() {
        let mut clock = FutexClock::default();
        for wait in [Wait::Futex, Wait::Awake, Wait::Futex, Wait::Other] {
            clock.observe(wait);
        }
        // Three futex readings of four asleep (the end reading included).
        assert_eq!(clock.close(400, Wait::Futex), 300);
    }

    #[test]
    fn no_reading_asleep_attributes_nothing() {
        let mut clock = FutexClock::default();
        clock.observe(Wait::Awake);
        assert_eq!(clock.close(1_000, Wait::Awake), 0);
    }
}
