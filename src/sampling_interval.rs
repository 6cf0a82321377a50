//! The sampling intervals `[` and `]` step through live, within the range
//! the sampler accepts (`sampler::INTERVAL_RANGE_MS`, 50 ms to 10 s), and
//! how the title writes one.
//!
//! Changing the interval changes no figure's meaning: every rate in a
//! snapshot covers the wall time measured since the previous one (see
//! `Snapshot::interval`), not the interval asked for.

use std::time::Duration;

/// The intervals offered, in milliseconds, shortest first: roughly doubling,
/// on round numbers, from the sampler's shortest to its longest.
const STEPS_MS: [u64; 9] = [50, 100, 200, 500, 1_000, 2_000, 3_000, 5_000, 10_000];

/// The next interval after `now`, longer (`longer`) or shorter; `now`
/// itself at either end. An interval between two steps (`--interval 300`)
/// goes to the nearest step that way.
#[must_use]
pub(crate) fn step(now: Duration, longer: bool) -> Duration {
    let now_ms = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
    let next = if longer {
        STEPS_MS.iter().copied().find(|ms| *ms > now_ms)
    } else {
        STEPS_MS.iter().rev().copied().find(|ms| *ms < now_ms)
    };
    next.map_or(now, Duration::from_millis)
}

/// The interval a replayed snapshot was taken at: the recording's (`asked`,
/// from its header) while the snapshot's measured interval is within a
/// tenth of it, else what was measured, on the nearest step within a tenth
/// of it or to 10 ms. The interval changed while recording (`[`, `]`) shows
/// as it was, not as the header says it began.
#[must_use]
pub(crate) fn as_recorded(asked: Duration, measured: Option<Duration>) -> Duration {
    let near = |a: f64, b: f64| (a - b).abs() <= b / 10.0;
    let Some(measured) = measured else {
        return asked;
    };
    let ms = measured.as_secs_f64() * 1e3;
    if near(ms, asked.as_secs_f64() * 1e3) {
        return asked;
    }
    STEPS_MS
        .iter()
        .copied()
        .find(|step| near(ms, *step as f64))
        .map_or_else(
            || Duration::from_millis(((ms / 10.0).round() * 10.0) as u64),
            Duration::from_millis,
        )
}

/// The interval as the title writes it: `500 ms` below a second, `2 s`
/// (or `1.5 s`) from one.
#[must_use]
pub(crate) fn label(interval: Duration) -> String {
    let ms = interval.as_millis();
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1_000) {
        format!("{} s", ms / 1_000)
    } else {
        format!("{:.1} s", interval.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::INTERVAL_RANGE_MS;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    #[test]
    fn a_replayed_interval_is_the_recordings_unless_it_was_changed() {
        let header = ms(500);
        assert_eq!(as_recorded(header, None), header, "the first snapshot");
        assert_eq!(as_recorded(header, Some(ms(503))), header, "jitter");
        assert_eq!(
            as_recorded(header, Some(ms(101))),
            ms(100),
            "changed to a step"
        );
        assert_eq!(
            as_recorded(header, Some(ms(298))),
            ms(300),
            "a custom interval"
        );
    }

    #[test]
    fn the_steps_span_the_samplers_range_exactly() {
        assert_eq!(STEPS_MS.first(), Some(INTERVAL_RANGE_MS.start()));
        assert_eq!(STEPS_MS.last(), Some(INTERVAL_RANGE_MS.end()));
        assert!(STEPS_MS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn steps_go_both_ways_and_stop_at_the_ends() {
        assert_eq!(step(ms(500), true), ms(1_000));
        assert_eq!(step(ms(500), false), ms(200));
        assert_eq!(step(ms(10_000), true), ms(10_000));
        assert_eq!(step(ms(50), false), ms(50));
        let mut interval = ms(50);
        let mut seen = vec![interval];
        while step(interval, true) != interval {
            interval = step(interval, true);
            seen.push(interval);
        }
        assert_eq!(seen, STEPS_MS.map(ms));
    }

    #[test]
    fn an_interval_between_steps_goes_to_the_nearest_one_that_way() {
        assert_eq!(step(ms(300), true), ms(500));
        assert_eq!(step(ms(300), false), ms(200));
    }

    #[test]
    fn labels_read_in_the_unit_that_fits() {
        assert_eq!(label(ms(50)), "50 ms");
        assert_eq!(label(ms(500)), "500 ms");
        assert_eq!(label(ms(2_000)), "2 s");
        assert_eq!(label(ms(1_500)), "1.5 s");
    }
}
