//! The search's memo: every (linearized set, model state) pair already
//! explored. Reaching a pair twice means the second path cannot succeed
//! where the first failed, so it is pruned.
//!
//! Pairs live in flat arrays (one row of bitset words per entry) chained per
//! hash of the pair (the bitset's Zobrist hash mixed with an Fx-style hash of
//! the state, so the many states that share one linearized set do not share
//! one chain); only lookups go through the hash map, never iteration.

use super::bitset::LinearizedSet;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

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

/// A fast, deterministic hasher for model states (the multiply-rotate
/// scheme of rustc's FxHasher).
#[derive(Default)]
struct StateHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for StateHasher {
    fn finish(&self) -> u64 {
        // A final avalanche so low bits depend on every input bit.
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        z ^ (z >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
            self.write_u64(word);
        }
        for b in chunks.remainder() {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }
}

/// The hash of a state, identical on every run and platform word size.
pub(crate) fn state_hash<S: Hash>(state: &S) -> u64 {
    let mut hasher = StateHasher::default();
    state.hash(&mut hasher);
    hasher.finish()
}

/// The set of explored (linearized set, state) pairs.
pub(crate) struct Memo<S> {
    words_per_entry: usize,
    heads: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    words: Vec<u64>,
    states: Vec<S>,
    next: Vec<u32>,
}

impl<S: Eq + Clone + Hash> Memo<S> {
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

    /// Roughly how many bytes the recorded pairs occupy (bitset rows, state
    /// handles, chain links and hash-table slots; not what states share).
    pub(crate) fn approx_bytes(&self) -> usize {
        let per_entry = self.words_per_entry * 8 + std::mem::size_of::<S>() + 4 + 16;
        self.states.len() * per_entry
    }

    fn row(&self, entry: u32) -> &[u64] {
        let start = entry as usize * self.words_per_entry;
        &self.words[start..start + self.words_per_entry]
    }

    /// Records (`set`, `state`) and returns true if it is new; returns false,
    /// changing nothing, if it was recorded before.
    pub(crate) fn insert(&mut self, set: &LinearizedSet, state: &S) -> bool {
        let key = set.hash() ^ state_hash(state);
        let head = match self.heads.entry(key) {
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
