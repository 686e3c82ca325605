//! The search's memo: every (linearized set, model state) pair already
//! explored. Reaching a pair twice means the second path cannot succeed
//! where the first failed, so it is pruned.
//!
//! Pairs live in flat arrays (one row of bitset words per entry) chained per
//! bitset hash; only lookups go through the hash map, never iteration.

use super::bitset::LinearizedSet;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const NONE: u32 = u32::MAX;

/// A hasher for keys that already are uniformly distributed 64-bit hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The set of explored (linearized set, state) pairs.
pub(crate) struct Memo<S> {
    words_per_entry: usize,
    heads: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    words: Vec<u64>,
    states: Vec<S>,
    next: Vec<u32>,
}

impl<S: Eq + Clone> Memo<S> {
    /// An empty memo for bitsets of `ops` operations.
    pub(crate) fn new(ops: usize) -> Self {
        Self {
            words_per_entry: ops.div_ceil(64),
            heads: HashMap::default(),
            words: Vec::new(),
            states: Vec::new(),
            next: Vec::new(),
        }
    }

    /// How many pairs have been recorded.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    fn row(&self, entry: u32) -> &[u64] {
        let start = entry as usize * self.words_per_entry;
        &self.words[start..start + self.words_per_entry]
    }

    /// Records (`set`, `state`) and returns true if it is new; returns false,
    /// changing nothing, if it was recorded before.
    pub(crate) fn insert(&mut self, set: &LinearizedSet, state: &S) -> bool {
        let head = match self.heads.entry(set.hash()) {
            Entry::Vacant(slot) => {
                slot.insert(self.states.len() as u32);
                NONE
            }
            Entry::Occupied(mut slot) => {
                let head = *slot.get();
                let mut at = head;
                while at != NONE {
                    let start = at as usize * self.words_per_entry;
                    if self.words[start..start + self.words_per_entry] == *set.words()
                        && self.states[at as usize] == *state
                    {
                        return false;
                    }
                    at = self.next[at as usize];
                }
                slot.insert(self.states.len() as u32);
                head
            }
        };
        self.words.extend_from_slice(set.words());
        self.states.push(state.clone());
        self.next.push(head);
        debug_assert_eq!(self.row(self.next.len() as u32 - 1), set.words());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_new_once_and_states_are_told_apart() {
        let mut memo = Memo::new(70);
        let mut set = LinearizedSet::new(70);
        set.insert(69);
        assert!(memo.insert(&set, &1u8));
        assert!(!memo.insert(&set, &1u8));
        assert!(memo.insert(&set, &2u8));
        set.insert(0);
        assert!(memo.insert(&set, &1u8));
        set.remove(0);
        assert!(!memo.insert(&set, &2u8));
        assert_eq!(memo.len(), 3);
    }
}
