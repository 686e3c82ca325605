//! The search's memo: every (linearized set, model state) pair already
//! explored. Reaching a pair twice means the second path cannot succeed
//! where the first failed, so it is pruned.
//!
//! Pairs live in flat arrays: per entry its hash, its state and where its
//! set's canonical form (frontiers and windows, see
//! [`LinearizedSet::encode`]) starts in one shared word arena, so an entry
//! costs a few dozen bytes however long the history is. An open-addressing
//! table finds them by the pair's hash (the set's Zobrist hash mixed with an
//! Fx-style hash of the state, so the many states that share one
//! linearized set do not collide); nothing iterates the table, and every
//! vector grows by half at a time, checked against the byte cap before it
//! grows.

use super::bitset::LinearizedSet;
use std::hash::{Hash, Hasher};

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

/// What [`Memo::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Insert {
    /// The pair is new and now recorded.
    New,
    /// The pair was recorded before; nothing changed.
    Seen,
    /// The pair is new but recording it would take the memo past its byte
    /// cap; nothing changed.
    Full,
}

/// Below this capacity (in elements) vectors double.
const SMALL_CAPACITY: usize = 1 << 16;

/// The capacity a vector of `len` elements and capacity `cap` grows to when
/// `extra` more are pushed: double while small, then half as much again
/// at a time (geometric, so pushes stay amortized O(1), and a search near
/// its byte cap wastes at most a third of it); the byte cap is checked
/// against the grown capacity before growing.
fn grown(len: usize, cap: usize, extra: usize) -> usize {
    if len + extra <= cap {
        cap
    } else {
        let step = if cap < SMALL_CAPACITY { cap } else { cap / 2 };
        (len + extra).max(cap + step).max(1024)
    }
}

fn push_within<T: Clone>(vec: &mut Vec<T>, items: &[T]) {
    let cap = grown(vec.len(), vec.capacity(), items.len());
    vec.reserve_exact(cap - vec.len());
    vec.extend_from_slice(items);
}

/// The set of explored (linearized set, state) pairs.
pub(crate) struct Memo<S> {
    /// Open addressing with linear probing, a power of two long and at
    /// most half full; a slot is 0 when empty, else the low 32
    /// bits of the pair's hash above the entry's index plus one. A probe
    /// starts at the hash's high bits, so a lookup touches one cache line
    /// until a tag matches.
    table: Vec<u64>,
    /// Per entry: the pair's hash (for growing the table), where its set's
    /// form starts in `words` (it ends where the next entry's starts), and
    /// its state.
    hashes: Vec<u64>,
    starts: Vec<u32>,
    states: Vec<S>,
    /// The sets' forms, back to back.
    words: Vec<u64>,
}

/// Where a probe for `hash` starts in a table of `len` (a power of two).
fn home(hash: u64, len: usize) -> usize {
    (hash >> (64 - len.trailing_zeros())) as usize
}

impl<S: Eq + Clone + Hash> Memo<S> {
    /// An empty memo.
    pub(crate) fn new() -> Self {
        Self {
            table: Vec::new(),
            hashes: Vec::new(),
            starts: Vec::new(),
            states: Vec::new(),
            words: Vec::new(),
        }
    }

    /// How many pairs have been recorded.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// The bytes the memo has allocated (not what states share on the heap).
    pub(crate) fn bytes(&self) -> usize {
        Self::bytes_with(
            self.table.len(),
            self.hashes.capacity(),
            self.states.capacity(),
            self.words.capacity(),
        )
    }

    /// The bytes for a table of `slots`, per-entry vectors of capacity
    /// `entries` and `states`, and `words` form words.
    fn bytes_with(slots: usize, entries: usize, states: usize, words: usize) -> usize {
        slots * 8 + entries * (8 + 4) + states * std::mem::size_of::<S>() + words * 8
    }

    /// The form of the entry `at`.
    fn form(&self, at: usize) -> &[u64] {
        let start = self.starts[at] as usize;
        let end = self
            .starts
            .get(at + 1)
            .map_or(self.words.len(), |&s| s as usize);
        &self.words[start..end]
    }

    /// Records (`set`, `state`) and says whether it is new, unless that
    /// would take the memo past `bytes_max()` bytes (asked only for a new
    /// pair) or 2^32 words.
    #[inline]
    pub(crate) fn insert(
        &mut self,
        set: &LinearizedSet,
        state: &S,
        bytes_max: impl FnOnce() -> usize,
    ) -> Insert {
        let hash = set.hash() ^ state_hash(state);
        let tag = hash & 0xFFFF_FFFF;
        let mut at = None;
        if !self.table.is_empty() {
            let mask = self.table.len() - 1;
            let mut i = home(hash, self.table.len());
            loop {
                let slot = self.table[i];
                if slot == 0 {
                    at = Some(i);
                    break;
                }
                if slot >> 32 == tag {
                    let e = (slot & 0xFFFF_FFFF) as usize - 1;
                    if self.states[e] == *state && set.matches(self.form(e)) {
                        return Insert::Seen;
                    }
                }
                i = (i + 1) & mask;
            }
        }
        self.record(set, state, hash, at, bytes_max)
    }

    /// Records a pair [`Memo::insert`] did not find, in the empty slot `at`
    /// it found (`None` if the table is not allocated yet). Kept out of
    /// line, so the lookup that most steps end with stays small.
    #[inline(never)]
    fn record(
        &mut self,
        set: &LinearizedSet,
        state: &S,
        hash: u64,
        at: Option<usize>,
        bytes_max: impl FnOnce() -> usize,
    ) -> Insert {
        let tag = hash & 0xFFFF_FFFF;
        let len = self.len();
        let form_len = set.form_len();
        let slots = if (len + 1) * 2 > self.table.len() {
            (self.table.len() * 2).max(1024)
        } else {
            self.table.len()
        };
        let after = Self::bytes_with(
            slots,
            grown(len, self.hashes.capacity(), 1),
            grown(len, self.states.capacity(), 1),
            grown(self.words.len(), self.words.capacity(), form_len),
        );
        let words_end = self.words.len() + form_len;
        if after > bytes_max() || words_end > u32::MAX as usize || len + 1 >= u32::MAX as usize {
            return Insert::Full;
        }
        let at = match at {
            Some(at) if slots == self.table.len() => at,
            _ => {
                self.grow(slots);
                self.vacant(hash)
            }
        };
        self.table[at] = tag << 32 | (len as u64 + 1);
        push_within(&mut self.hashes, &[hash]);
        push_within(&mut self.starts, &[self.words.len() as u32]);
        push_within(&mut self.states, std::slice::from_ref(state));
        let cap = grown(self.words.len(), self.words.capacity(), form_len);
        self.words.reserve_exact(cap - self.words.len());
        set.encode(&mut self.words);
        debug_assert_eq!(self.words.len(), words_end);
        Insert::New
    }

    /// The first empty slot on `hash`'s probe sequence.
    fn vacant(&self, hash: u64) -> usize {
        let mask = self.table.len() - 1;
        let mut i = home(hash, self.table.len());
        while self.table[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// Rebuilds the table with `slots` slots.
    fn grow(&mut self, slots: usize) {
        self.table = vec![0; slots];
        for (e, &hash) in self.hashes.iter().enumerate() {
            let at = self.vacant(hash);
            self.table[at] = (hash & 0xFFFF_FFFF) << 32 | (e as u64 + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::bitset::Forms;

    fn set(len: usize) -> LinearizedSet {
        let by_call: Vec<u32> = (0..len as u32).collect();
        LinearizedSet::with_forms(&by_call, &vec![true; len], Forms::Auto)
    }

    #[test]
    fn a_pair_is_new_once_and_states_are_told_apart() {
        let mut memo = Memo::new();
        let mut set = set(70);
        set.insert(69);
        assert_eq!(memo.insert(&set, &1u8, || usize::MAX), Insert::New);
        assert_eq!(memo.insert(&set, &1u8, || usize::MAX), Insert::Seen);
        assert_eq!(memo.insert(&set, &2u8, || usize::MAX), Insert::New);
        set.insert(0);
        assert_eq!(memo.insert(&set, &1u8, || usize::MAX), Insert::New);
        set.remove(0);
        assert_eq!(memo.insert(&set, &2u8, || usize::MAX), Insert::Seen);
        assert_eq!(memo.len(), 3);
    }

    #[test]
    fn the_byte_cap_refuses_new_pairs_but_still_finds_old_ones() {
        let mut memo = Memo::new();
        let mut set = set(4000);
        let mut added = 0;
        for i in 0..4000 {
            set.insert(i);
            match memo.insert(&set, &0u32, || 100_000) {
                Insert::New => added += 1,
                Insert::Full => break,
                Insert::Seen => panic!("every set is new"),
            }
        }
        assert!(added > 0 && added < 4000, "{added} entries fit");
        assert!(memo.bytes() <= 100_000, "{} bytes", memo.bytes());
        // Growth past the first allocation rehashes; old pairs stay found.
        let mut again = self::set(4000);
        again.insert(0);
        assert_eq!(memo.insert(&again, &0u32, || 100_000), Insert::Seen);
    }
}
