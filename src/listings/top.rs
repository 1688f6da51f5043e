//! The few best of a stream: a bounded min-heap, so ranking 20,000 listings holds five.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// An entry ranked by `key`, ties broken by the smaller id (so the order is reproducible).
#[derive(Debug, Clone, Copy)]
struct Ranked<T> {
    key: u64,
    id: i64,
    value: T,
}

impl<T> Ranked<T> {
    fn rank(&self) -> (u64, Reverse<i64>) {
        (self.key, Reverse(self.id))
    }
}

impl<T> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}
impl<T> Eq for Ranked<T> {}
impl<T> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// The `capacity` entries with the largest keys seen.
#[derive(Debug)]
pub struct Top<T> {
    capacity: usize,
    heap: BinaryHeap<Reverse<Ranked<T>>>,
}

impl<T> Top<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            heap: BinaryHeap::with_capacity(capacity + 1),
        }
    }

    pub fn offer(&mut self, key: u64, id: i64, value: T) {
        self.heap.push(Reverse(Ranked { key, id, value }));
        if self.heap.len() > self.capacity {
            self.heap.pop();
        }
    }

    /// Largest key first.
    pub fn into_sorted(self) -> Vec<T> {
        let mut entries: Vec<Ranked<T>> = self.heap.into_iter().map(|r| r.0).collect();
        entries.sort_by(|a, b| b.cmp(a));
        entries.into_iter().map(|r| r.value).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_largest_in_order_with_ties_to_the_smaller_id() {
        let mut top = Top::new(3);
        for (key, id) in [(5, 1), (9, 2), (1, 3), (9, 0), (7, 4), (2, 5)] {
            top.offer(key, id, id);
        }
        assert_eq!(top.into_sorted(), vec![0, 2, 4]);
        assert!(Top::<i64>::new(5).into_sorted().is_empty());
    }
}
