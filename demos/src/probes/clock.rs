//! The one clock every probe reads: `CLOCK_MONOTONIC` in nanoseconds.
//!
//! Owns the conversion from the kernel's clock to a plain `u64`, so that a
//! timestamp taken in one process means the same instant in another (an
//! `Instant` is opaque and cannot cross a shared-memory mapping). It must never
//! be called on a fast path: a read costs about 25 ns on the machines we target.

use nix::time::{ClockId, clock_gettime};

/// Nanoseconds since an arbitrary fixed point (boot, on Linux) on the
/// monotonic clock, comparable across the processes of one machine.
///
/// `CLOCK_MONOTONIC` cannot fail on Linux; if the call ever did, this returns
/// 0, which probes read as "no time passed" rather than as a huge interval.
#[must_use]
pub fn now_ns() -> u64 {
    clock_gettime(ClockId::CLOCK_MONOTONIC).map_or(0, |ts| {
        let secs = u64::try_from(ts.tv_sec()).unwrap_or(0);
        let nanos = u64::try_from(ts.tv_nsec()).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(nanos)
    })
}

#[cfg(test)]
mod tests {
    use super::now_ns;
    use std::time::Duration;

    #[test]
    fn is_monotonic_and_counts_nanoseconds() {
        let a = now_ns();
        std::thread::sleep(Duration::from_millis(5));
        let b = now_ns();
        assert!(a > 0);
        // A sleep lasts at least what was asked; the upper bound is generous
        // because tests share two cores.
        assert!(b - a >= 5_000_000, "elapsed {} ns", b - a);
        assert!(b - a < 5_000_000_000, "elapsed {} ns", b - a);
    }
}
