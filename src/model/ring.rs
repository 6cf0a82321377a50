//! A fixed-capacity history: the newest `capacity` values, oldest first.
//!
//! `VecDeque` does the work; this type only promises the bound, so no history
//! in corescope can grow with run time.

use std::collections::VecDeque;

/// The last `capacity` values pushed, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct RingBuffer<T> {
    values: VecDeque<T>,
    capacity: usize,
}

impl<T> RingBuffer<T> {
    /// An empty buffer that will keep at most `capacity` values (at least one).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            values: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Appends `value`, forgetting the oldest one when full.
    pub fn push(&mut self, value: T) {
        if self.values.len() == self.capacity {
            self.values.pop_front();
        }
        self.values.push_back(value);
    }

    /// How many values are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing has been pushed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The most values the buffer keeps.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// The newest value.
    #[must_use]
    pub fn last(&self) -> Option<&T> {
        self.values.back()
    }

    /// The values as two slices, oldest first, without copying.
    #[must_use]
    pub fn as_slices(&self) -> (&[T], &[T]) {
        self.values.as_slices()
    }

    /// The values, oldest first.
    #[must_use]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.values.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_capacity_still_keeps_the_newest_value() {
        let mut ring = RingBuffer::new(0);
        ring.push(1);
        ring.push(2);
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [2]);
    }

    proptest! {
        #[test]
        fn keeps_exactly_the_newest_values_in_order(
            capacity in 1usize..64,
            pushes in proptest::collection::vec(any::<u32>(), 0..300),
        ) {
            let mut ring = RingBuffer::new(capacity);
            for v in &pushes {
                ring.push(*v);
            }
            let expected: Vec<u32> = pushes.iter().rev().take(capacity).rev().copied().collect();
            prop_assert!(ring.len() <= capacity);
            prop_assert_eq!(ring.iter().copied().collect::<Vec<_>>(), expected.clone());
            let (a, b) = ring.as_slices();
            prop_assert_eq!([a, b].concat(), expected);
            prop_assert_eq!(ring.last().copied(), pushes.last().copied());
        }
    }
}
