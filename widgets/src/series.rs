//! A window of history borrowed from a ring buffer without copying it.
//!
//! The model keeps history in bounded ring buffers (`VecDeque`), whose contents are two
//! slices; [`Series`] reads both in order so a widget never needs a contiguous copy.
//! `None` is a gap, a reading that failed: widgets draw it as a gap, never as zero.

use core::iter::FusedIterator;
use core::slice;

/// A read-only window of history, oldest value first; each value an
/// `Option<T>` (`None` a gap). Plain numbers by default; the worker lanes and the
/// core map keep their own cells in the same kind of history
/// ([`LaneSeries`](crate::LaneSeries), [`CoreSeries`](crate::CoreSeries)).
///
/// Made of two slices so it can borrow a `VecDeque` as it is
/// (`Series::from_parts(deque.as_slices().0, deque.as_slices().1)`).
#[derive(Debug, PartialEq)]
pub struct Series<'a, T = f32> {
    /// The older part of the history, oldest first.
    older: &'a [Option<T>],
    /// The newer part of the history, continuing where `older` ends.
    newer: &'a [Option<T>],
}

// By hand, not derived: a derive would ask `T` to be `Clone`, `Copy` or
// `Default` too, and the series only borrows its values.
impl<T> Clone for Series<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Series<'_, T> {}

impl<T> Default for Series<'_, T> {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl<'a, T> Series<'a, T> {
    /// A series over one slice, oldest value first and newest last.
    #[must_use]
    pub const fn new(values: &'a [Option<T>]) -> Self {
        Self {
            older: values,
            newer: &[],
        }
    }

    /// A series over two slices read one after the other, as `VecDeque::as_slices`
    /// returns them.
    #[must_use]
    pub const fn from_parts(older: &'a [Option<T>], newer: &'a [Option<T>]) -> Self {
        Self { older, newer }
    }

    /// The number of values, gaps included.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.older.len() + self.newer.len()
    }

    /// Whether there are no values at all (not even gaps).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, T: Copy> Series<'a, T> {
    /// All values, oldest to newest.
    #[must_use]
    pub fn iter(&self) -> SeriesIter<'a, Option<T>> {
        SeriesIter::over(self.older, self.newer)
    }

    /// The newest `n` values (all of them if there are fewer), oldest first.
    ///
    /// This is what a history drawn `n` cells wide shows, newest at the right edge.
    #[must_use]
    pub fn latest(&self, n: usize) -> SeriesIter<'a, Option<T>> {
        let (older, newer) = newest(self.older, self.newer, n);
        SeriesIter::over(older, newer)
    }
}

/// The newest `n` values of the history `older` then `newer` (all of them if there
/// are fewer), still as two slices.
fn newest<'a, T>(older: &'a [T], newer: &'a [T], n: usize) -> (&'a [T], &'a [T]) {
    let skip = (older.len() + newer.len()).saturating_sub(n);
    match older.get(skip..) {
        Some(older) => (older, newer),
        None => (&[], newer.get(skip - older.len()..).unwrap_or(&[])),
    }
}

impl<'a, T: Copy> IntoIterator for Series<'a, T> {
    type Item = Option<T>;
    type IntoIter = SeriesIter<'a, Option<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T: Copy> IntoIterator for &Series<'a, T> {
    type Item = Option<T>;
    type IntoIter = SeriesIter<'a, Option<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the values of a [`Series`], oldest to newest; `None` is a gap.
///
/// The item type is the series' value, `Option<T>`.
#[derive(Clone, Debug)]
pub struct SeriesIter<'a, T = Option<f32>> {
    /// What is left of the older slice.
    older: slice::Iter<'a, T>,
    /// What is left of the newer slice.
    newer: slice::Iter<'a, T>,
}

impl<'a, T> SeriesIter<'a, T> {
    /// An iterator over `older`, then `newer`.
    fn over(older: &'a [T], newer: &'a [T]) -> Self {
        Self {
            older: older.iter(),
            newer: newer.iter(),
        }
    }
}

impl<T: Copy> Iterator for SeriesIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<Self::Item> {
        self.older.next().or_else(|| self.newer.next()).copied()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.older.len() + self.newer.len();
        (len, Some(len))
    }
}

impl<T: Copy> DoubleEndedIterator for SeriesIter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.newer
            .next_back()
            .or_else(|| self.older.next_back())
            .copied()
    }
}

impl<T: Copy> ExactSizeIterator for SeriesIter<'_, T> {}

impl<T: Copy> FusedIterator for SeriesIter<'_, T> {}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn empty_series() {
        let series: Series<'_> = Series::default();
        assert!(series.is_empty());
        assert_eq!(series.len(), 0);
        assert_eq!(series.iter().next(), None);
        assert_eq!(series.latest(5).count(), 0);
    }

    #[test]
    fn new_iterates_oldest_first_and_keeps_gaps() {
        let values = [Some(1.0), None, Some(3.0)];
        let series = Series::new(&values);
        assert_eq!(series.len(), 3);
        assert_eq!(series.iter().collect::<Vec<_>>(), values);
        assert_eq!(
            series.iter().rev().collect::<Vec<_>>(),
            [Some(3.0), None, Some(1.0)]
        );
    }

    #[test]
    fn latest_takes_the_newest_across_both_parts() {
        let series = Series::from_parts(&[Some(1.0), Some(2.0)], &[Some(3.0), None]);
        assert_eq!(
            series.latest(3).collect::<Vec<_>>(),
            [Some(2.0), Some(3.0), None]
        );
        assert_eq!(series.latest(1).collect::<Vec<_>>(), [None]);
        assert_eq!(series.latest(0).count(), 0);
        assert_eq!(series.latest(100).len(), 4);
    }

    #[test]
    fn borrows_a_wrapped_vecdeque_in_order() {
        let mut deque: VecDeque<Option<f32>> = VecDeque::with_capacity(4);
        for i in 0..7u8 {
            if deque.len() == 4 {
                deque.pop_front();
            }
            deque.push_back(Some(f32::from(i)));
        }
        let (older, newer) = deque.as_slices();
        let series = Series::from_parts(older, newer);
        let expected: Vec<_> = deque.iter().copied().collect();
        assert_eq!(series.iter().collect::<Vec<_>>(), expected);
    }

    proptest! {
        #[test]
        fn from_parts_reads_older_then_newer(
            older in proptest::collection::vec(proptest::option::of(-10.0f32..110.0), 0..40),
            newer in proptest::collection::vec(proptest::option::of(-10.0f32..110.0), 0..40),
            n in 0usize..100,
        ) {
            let series = Series::from_parts(&older, &newer);
            let all: Vec<_> = older.iter().chain(&newer).copied().collect();
            prop_assert_eq!(series.len(), all.len());
            prop_assert_eq!(series.iter().len(), all.len());
            prop_assert_eq!(series.iter().collect::<Vec<_>>(), all.clone());
            let mut reversed = all.clone();
            reversed.reverse();
            prop_assert_eq!(series.iter().rev().collect::<Vec<_>>(), reversed);
            let tail = &all[all.len().saturating_sub(n)..];
            prop_assert_eq!(series.latest(n).len(), tail.len());
            prop_assert_eq!(series.latest(n).collect::<Vec<_>>(), tail.to_vec());
        }
    }
}
