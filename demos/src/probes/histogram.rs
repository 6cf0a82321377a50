//! A fixed-size, lock-free histogram of durations in nanoseconds.
//!
//! Owns the bucket layout and the percentile arithmetic. It must never allocate,
//! lock or hold a pointer: a `Histogram` lives inside the stats structs that a
//! later step places in shared memory, where all-zero bytes are its empty state.
//!
//! Why hand-written rather than `hdrhistogram`: that crate keeps its counts in a
//! heap `Vec` and records through `&mut self`, so it can neither sit at a fixed
//! layout inside a memory mapping nor be recorded into by many threads (or
//! processes) at once without a lock. This one is a `#[repr(C)]` block of
//! atomics, recorded with relaxed read-modify-writes.
//!
//! Layout (log-linear): values 0..8 ns have one bucket each; every power of two
//! above that is split into 8 equal sub-buckets, up to 2^36 ns (about 68.7 s).
//! A bucket is at most 1/8 as wide as its lower bound, and a percentile is
//! reported as its bucket's midpoint, so a reported percentile is within 6.25%
//! (1/16) of the true value at that rank. Values of 2^36 ns and above are
//! outliers: counted in `outliers`, and still included in `count`, `sum_ns` and
//! `max_ns`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// log2 of the number of sub-buckets per power of two.
const SUB_BITS: u32 = 3;
/// Sub-buckets per power of two.
const SUB_BUCKETS: usize = 1 << SUB_BITS;
/// Values from `2^RANGE_BITS` nanoseconds upwards are outliers.
const RANGE_BITS: u32 = 36;
/// Number of buckets: one group of `SUB_BUCKETS` for 0..8 and one per power of
/// two from 2^3 to 2^35.
pub const BUCKETS: usize = SUB_BUCKETS * (RANGE_BITS - SUB_BITS + 1) as usize;
/// The smallest value counted as an outlier, in nanoseconds (about 68.7 s).
pub const OUTLIER_NS: u64 = 1 << RANGE_BITS;

/// A concurrent histogram of durations.
///
/// Every field is an atomic recorded with `Relaxed` ordering: each counter is
/// independent, and no other memory is published through them. A reader racing
/// with writers sees each field exact on its own, though `count` may be a few
/// records ahead of or behind the buckets; `summary` tolerates that.
#[repr(C)]
#[derive(Debug)]
pub struct Histogram {
    /// Number of values recorded, outliers included.
    count: AtomicU64,
    /// Sum of all values recorded, in nanoseconds (wraps after 584 years).
    sum_ns: AtomicU64,
    /// Largest value recorded, in nanoseconds; 0 while empty.
    max_ns: AtomicU64,
    /// Number of values of `OUTLIER_NS` or more (not in any bucket).
    outliers: AtomicU64,
    /// Count of values per bucket; see the module header for the layout.
    buckets: [AtomicU64; BUCKETS],
}

/// log2 of the edges of [`HistogramSummary::coarse`], in nanoseconds: every
/// other power of two from 2^10 ns (about 1 µs) to 2^36 ns (about 68.7 s).
/// Each is an edge of the fine layout, so the coarse counts are exact.
pub const COARSE_EDGE_BITS: [u32; 14] = [10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36];

/// A plain copy of a histogram's headline figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct HistogramSummary {
    /// Number of values recorded, outliers included.
    pub count: u64,
    /// Mean value in nanoseconds (exact, rounded down); 0 when empty.
    pub mean_ns: u64,
    /// Median in nanoseconds, within 6.25%; 0 when empty.
    pub p50_ns: u64,
    /// 99th percentile in nanoseconds, within 6.25%; 0 when empty.
    pub p99_ns: u64,
    /// Largest value in nanoseconds (exact); 0 when empty.
    pub max_ns: u64,
    /// Number of values of about 68.7 s (2^36 ns) or more.
    pub outliers: u64,
    /// Sum of all values recorded, in nanoseconds (for exporters; a
    /// recording made before it existed reads 0).
    #[serde(default)]
    pub sum_ns: u64,
    /// Values per coarse bucket, for exporters: `coarse[k]` counts the
    /// values below `2^COARSE_EDGE_BITS[k]` ns and not below the edge before
    /// (0 for `k = 0`); outliers are in none. Read from the same copy of the
    /// buckets as the percentiles.
    #[serde(default)]
    pub coarse: [u64; COARSE_EDGE_BITS.len()],
}

impl Histogram {
    /// Empties the histogram (atomic stores, so a reader sees numbers, never
    /// torn memory): for stats in shared memory reused by the next run.
    pub(crate) fn reset(&self) {
        for counter in [&self.count, &self.sum_ns, &self.max_ns, &self.outliers] {
            counter.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        for bucket in &self.buckets {
            bucket.store(0, std::sync::atomic::Ordering::Relaxed);
        }
    }
    /// An empty histogram (all zero, like a fresh shared mapping).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            count: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
            max_ns: AtomicU64::new(0),
            outliers: AtomicU64::new(0),
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
        }
    }

    /// Records one duration in nanoseconds. Never blocks; safe to call from
    /// any number of threads at once.
    pub fn record(&self, ns: u64) {
        match bucket_index(ns) {
            Some(index) => self.buckets[index].fetch_add(1, Relaxed),
            None => self.outliers.fetch_add(1, Relaxed),
        };
        self.count.fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(ns, Relaxed);
        // A plain load first: the maximum rarely changes, and a load is far
        // cheaper than the compare-and-swap loop behind `fetch_max`.
        if ns > self.max_ns.load(Relaxed) {
            self.max_ns.fetch_max(ns, Relaxed);
        }
    }

    /// Number of values recorded so far, outliers included.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// The value at quantile `q` (0.0 ..= 1.0, clamped; NaN reads as 0.0) in
    /// nanoseconds, within 6.25%; 0 when empty. A rank that falls among the
    /// outliers reads as the maximum.
    #[must_use]
    pub fn percentile(&self, q: f64) -> u64 {
        self.snapshot().percentile(q)
    }

    /// Count, mean, median, 99th percentile, maximum and outliers, read
    /// without blocking any writer.
    #[must_use]
    pub fn summary(&self) -> HistogramSummary {
        let snapshot = self.snapshot();
        let count = self.count.load(Relaxed);
        let sum_ns = self.sum_ns.load(Relaxed);
        HistogramSummary {
            count,
            mean_ns: sum_ns.checked_div(count).unwrap_or(0),
            p50_ns: snapshot.percentile(0.5),
            p99_ns: snapshot.percentile(0.99),
            max_ns: snapshot.max_ns,
            outliers: snapshot.outliers,
            sum_ns,
            coarse: snapshot.coarse(),
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            buckets: std::array::from_fn(|i| self.buckets[i].load(Relaxed)),
            outliers: self.outliers.load(Relaxed),
            max_ns: self.max_ns.load(Relaxed),
        }
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The counts copied out once, so that all percentiles of one summary agree.
struct Snapshot {
    buckets: [u64; BUCKETS],
    outliers: u64,
    max_ns: u64,
}

impl Snapshot {
    /// The counts summed over the coarse buckets (see `HistogramSummary::coarse`).
    fn coarse(&self) -> [u64; COARSE_EDGE_BITS.len()] {
        let mut coarse = [0; COARSE_EDGE_BITS.len()];
        for (index, &n) in self.buckets.iter().enumerate() {
            let (low, _) = bucket_bounds(index);
            let slot = COARSE_EDGE_BITS
                .iter()
                .position(|&bits| low < 1 << bits)
                .unwrap_or(COARSE_EDGE_BITS.len() - 1);
            coarse[slot] += n;
        }
        coarse
    }

    fn percentile(&self, q: f64) -> u64 {
        let in_buckets: u64 = self.buckets.iter().sum();
        let total = in_buckets + self.outliers;
        if total == 0 {
            return 0;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        // The rank (1-based) of the value at quantile q.
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (index, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let (low, high) = bucket_bounds(index);
                let midpoint = low + (high - low) / 2;
                return midpoint.min(self.max_ns);
            }
        }
        self.max_ns
    }
}

/// The bucket that holds `ns`, or `None` for an outlier.
fn bucket_index(ns: u64) -> Option<usize> {
    if ns >= OUTLIER_NS {
        return None;
    }
    if ns < SUB_BUCKETS as u64 {
        return Some(ns as usize);
    }
    // `ns` is in [2^e, 2^(e+1)) with e >= 3; shifting by e - 3 leaves a value
    // in [8, 16) whose low three bits pick the sub-bucket.
    let exponent = u64::BITS - 1 - ns.leading_zeros();
    let shift = exponent - SUB_BITS;
    Some(SUB_BUCKETS * shift as usize + (ns >> shift) as usize)
}

/// The values bucket `index` holds: `low ..high` nanoseconds.
fn bucket_bounds(index: usize) -> (u64, u64) {
    if index < SUB_BUCKETS {
        return (index as u64, index as u64 + 1);
    }
    let shift = index / SUB_BUCKETS - 1;
    let low = ((SUB_BUCKETS + index % SUB_BUCKETS) as u64) << shift;
    (low, low + (1 << shift))
}

#[cfg(test)]
mod tests {
    use super::{BUCKETS, Histogram, HistogramSummary, OUTLIER_NS, bucket_bounds, bucket_index};
    use proptest::prelude::*;

    /// The precision promised in the module header, as a ratio.
    const PRECISION: f64 = 1.0 / 16.0;

    fn assert_within(actual: u64, expected: u64) {
        let error = (actual as f64 - expected as f64).abs() / expected as f64;
        assert!(
            error <= PRECISION,
            "{actual} is not within 6.25% of {expected}"
        );
    }

    #[test]
    fn empty_summary_is_all_zero() {
        assert_eq!(Histogram::new().summary(), HistogramSummary::default());
        assert_eq!(Histogram::default().percentile(0.99), 0);
    }

    #[test]
    fn buckets_tile_the_range_without_gaps() {
        assert_eq!(bucket_bounds(0).0, 0);
        for index in 1..BUCKETS {
            assert_eq!(bucket_bounds(index - 1).1, bucket_bounds(index).0);
        }
        assert_eq!(bucket_bounds(BUCKETS - 1).1, OUTLIER_NS);
    }

    #[test]
    fn counts_sums_and_max_are_exact() {
        let histogram = Histogram::new();
        for ns in 1..=1000 {
            histogram.record(ns);
        }
        let summary = histogram.summary();
        assert_eq!(summary.count, 1000);
        assert_eq!(summary.mean_ns, 500);
        assert_eq!(summary.max_ns, 1000);
        assert_eq!(summary.outliers, 0);
    }

    #[test]
    fn coarse_buckets_split_exactly_at_their_edges() {
        let histogram = Histogram::new();
        // Just below and at 2^10 ns, at 2^20 ns, and an outlier.
        for ns in [0, 1023, 1024, 1 << 20, OUTLIER_NS - 1, OUTLIER_NS] {
            histogram.record(ns);
        }
        let summary = histogram.summary();
        let mut expected = [0; super::COARSE_EDGE_BITS.len()];
        expected[0] = 2; // 0 and 1023: below 2^10
        expected[1] = 1; // 1024: below 2^12
        expected[6] = 1; // 2^20: below 2^22, not below 2^20
        expected[13] = 1; // just under 2^36
        assert_eq!(summary.coarse, expected);
        assert_eq!(summary.outliers, 1);
        assert_eq!(summary.sum_ns, 1023 + 1024 + (1 << 20) + 2 * OUTLIER_NS - 1);
    }

    #[test]
    fn small_values_are_exact() {
        let histogram = Histogram::new();
        for ns in [3, 3, 3, 7] {
            histogram.record(ns);
        }
        assert_eq!(histogram.percentile(0.5), 3);
        assert_eq!(histogram.percentile(1.0), 7);
    }

    #[test]
    fn uniform_distribution_lands_in_the_right_percentiles() {
        let histogram = Histogram::new();
        for us in 1..=100_000 {
            histogram.record(us * 1_000);
        }
        let summary = histogram.summary();
        assert_within(summary.p50_ns, 50_000_000);
        assert_within(summary.p99_ns, 99_000_000);
        assert_within(histogram.percentile(0.1), 10_000_000);
        assert_eq!(summary.max_ns, 100_000_000);
    }

    #[test]
    fn a_rare_slow_tail_shows_only_above_its_rank() {
        let histogram = Histogram::new();
        for _ in 0..990 {
            histogram.record(1_000);
        }
        for _ in 0..10 {
            histogram.record(5_000_000);
        }
        assert_within(histogram.percentile(0.5), 1_000);
        assert_within(histogram.percentile(0.99), 1_000);
        assert_within(histogram.percentile(0.995), 5_000_000);
        // Out-of-range quantiles clamp instead of panicking.
        assert_within(histogram.percentile(-1.0), 1_000);
        assert_within(histogram.percentile(f64::NAN), 1_000);
        assert_within(histogram.percentile(2.0), 5_000_000);
    }

    #[test]
    fn outliers_are_counted_and_still_in_max_and_sum() {
        let histogram = Histogram::new();
        histogram.record(10);
        histogram.record(OUTLIER_NS);
        histogram.record(u64::MAX / 4);
        let summary = histogram.summary();
        assert_eq!(summary.count, 3);
        assert_eq!(summary.outliers, 2);
        assert_eq!(summary.max_ns, u64::MAX / 4);
        assert_eq!(summary.mean_ns, (10 + OUTLIER_NS + u64::MAX / 4) / 3);
        assert_eq!(summary.p99_ns, u64::MAX / 4);
    }

    #[test]
    fn concurrent_records_are_all_counted() {
        let histogram = Histogram::new();
        std::thread::scope(|scope| {
            for thread in 0..4_u64 {
                let histogram = &histogram;
                scope.spawn(move || {
                    for i in 0..10_000 {
                        histogram.record(thread * 1_000 + i);
                    }
                });
            }
        });
        assert_eq!(histogram.summary().count, 40_000);
        assert_eq!(histogram.summary().max_ns, 3_000 + 9_999);
    }

    proptest! {
        #[test]
        fn every_value_lands_in_a_bucket_that_contains_it(ns in 0..OUTLIER_NS) {
            let index = bucket_index(ns).expect("in range");
            prop_assert!(index < BUCKETS);
            let (low, high) = bucket_bounds(index);
            prop_assert!(low <= ns && ns < high, "{} not in {}..{}", ns, low, high);
            // Each bucket is at most 1/8 as wide as its lower bound.
            prop_assert!(low < 8 || (high - low) * 8 <= low);
        }

        #[test]
        fn bucket_index_is_monotonic(a in 0..OUTLIER_NS, b in 0..OUTLIER_NS) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(bucket_index(low) <= bucket_index(high));
        }

        #[test]
        fn values_above_the_range_are_outliers(ns in OUTLIER_NS..) {
            prop_assert_eq!(bucket_index(ns), None);
        }

        #[test]
        fn a_single_value_reads_back_within_precision(ns in 1..OUTLIER_NS) {
            let histogram = Histogram::new();
            histogram.record(ns);
            let read = histogram.percentile(0.5);
            prop_assert!((read as f64 - ns as f64).abs() <= ns as f64 * PRECISION);
        }
    }
}
