//! Durations as people read them: `850 ns`, `12.3 µs`, `4.1 ms`, `2.0 s`.
//!
//! Lock waits span nine orders of magnitude, from an uncontended 16 ns to a convoy
//! of seconds; a column of raw nanoseconds is unreadable on a projector. Formatting
//! is integer-only, so no value can produce `NaN` or panic.

/// Nanoseconds per microsecond, millisecond and second, with their units.
const UNITS: [(u64, &str); 3] = [(1_000, "µs"), (1_000_000, "ms"), (1_000_000_000, "s")];

/// A duration in nanoseconds as short text with a unit: whole nanoseconds below one
/// microsecond (`850 ns`), then one decimal in the largest unit that keeps the value
/// below 1000 (`12.3 µs`, `999.9 µs`, `1.0 ms`, `2.0 s`), rounded half up; from
/// 1000 seconds whole seconds (`3600 s`).
#[must_use]
pub fn format_ns(ns: u64) -> String {
    if ns < 1_000 {
        return format!("{ns} ns");
    }
    for (scale, unit) in UNITS {
        let tenths = rounded_div(ns, scale / 10);
        if tenths < 10_000 {
            return format!("{}.{} {unit}", tenths / 10, tenths % 10);
        }
    }
    format!("{} s", rounded_div(ns, 1_000_000_000))
}

/// `value / divisor` rounded half up, without overflow.
const fn rounded_div(value: u64, divisor: u64) -> u64 {
    value / divisor + (value % divisor >= divisor.div_ceil(2)) as u64
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn each_unit_boundary() {
        for (ns, text) in [
            (0, "0 ns"),
            (850, "850 ns"),
            (999, "999 ns"),
            (1_000, "1.0 µs"),
            (1_049, "1.0 µs"),
            (1_050, "1.1 µs"),
            (12_345, "12.3 µs"),
            (999_949, "999.9 µs"),
            (999_950, "1.0 ms"),
            (1_000_000, "1.0 ms"),
            (4_100_000, "4.1 ms"),
            (999_949_999, "999.9 ms"),
            (999_950_000, "1.0 s"),
            (1_000_000_000, "1.0 s"),
            (2_000_000_000, "2.0 s"),
            (999_949_999_999, "999.9 s"),
            (999_950_000_000, "1000 s"),
            (3_600_000_000_000, "3600 s"),
            (u64::MAX, "18446744074 s"),
        ] {
            assert_eq!(format_ns(ns), text, "{ns} ns");
        }
    }

    proptest! {
        #[test]
        fn short_with_a_unit_and_monotonic(a in any::<u64>(), b in any::<u64>()) {
            let text = format_ns(a);
            let (number, unit) = text.split_once(' ').unwrap_or_default();
            prop_assert!(["ns", "µs", "ms", "s"].contains(&unit), "{text}");
            prop_assert!(number.len() <= 11, "{text}");
            let seconds = |ns: u64| -> f64 {
                let text = format_ns(ns);
                let (number, unit) = text.split_once(' ').unwrap_or_default();
                let scale = match unit { "ns" => 1e-9, "µs" => 1e-6, "ms" => 1e-3, _ => 1.0 };
                number.parse::<f64>().unwrap_or(f64::NAN) * scale
            };
            let (low, high) = (a.min(b), a.max(b));
            prop_assert!(seconds(low) <= seconds(high), "{low} {high}");
        }
    }
}
