//! Number formatting shared by the screens: one place decides how a value
//! reads, and "unknown" always reads `?`.

/// Bytes as `3.0 GiB`, `512 MiB`, `12 KiB`.
#[must_use]
pub(super) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Seconds as `12.5 s`, `3 m 05 s`, `2 h 03 m`.
#[must_use]
pub(super) fn elapsed(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{:.1} s", d.as_secs_f64()),
        60..3600 => format!("{} m {:02} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} m", secs / 3600, (secs % 3600) / 60),
    }
}

/// `count` and `noun`, the noun plural unless the count is one: `1 worker`,
/// `2 workers`.
#[must_use]
pub(super) fn count(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bytes_pick_a_readable_unit() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(bytes(200 << 20), "200 MiB");
    }

    #[test]
    fn one_of_a_thing_is_singular() {
        assert_eq!(count(1, "worker"), "1 worker");
        assert_eq!(count(0, "worker"), "0 workers");
        assert_eq!(count(8, "worker"), "8 workers");
    }

    #[test]
    fn elapsed_reads_like_a_clock() {
        assert_eq!(elapsed(Duration::from_millis(12_500)), "12.5 s");
        assert_eq!(elapsed(Duration::from_secs(185)), "3 m 05 s");
        assert_eq!(elapsed(Duration::from_mins(123)), "2 h 03 m");
    }
}
