//! The set of operations linearized so far, relative to a moving frontier.
//!
//! Operations are ranked in invocation order within two lanes: those that
//! returned and those that never did (`info`). In each lane every operation
//! ranked below the lane's *frontier* (its first operation not linearized)
//! is linearized, so the set is told apart by the two frontiers and the few
//! words of bits from each frontier up to the lane's last member: the
//! *window*. A returned operation above the frontier can only be linearized
//! if it was invoked before the frontier operation returned, so that lane's
//! window spans the operations concurrent with one operation, whatever the
//! history's length. The info lane's window spans the info operations from
//! the first one not (yet) taken to effect to the last one that was.
//!
//! The set also keeps an incrementally maintained Zobrist hash, so hashing
//! it costs O(1) per step; [`LinearizedSet::encode`] writes the canonical
//! (frontiers, windows) form the memo stores. Short partitions (at most
//! 256 operations) store their whole bitsets instead, which is no longer.

/// Which lane an operation is in, and its rank there, packed in a `u32`
/// (the top bit is the lane).
const INFO_LANE: u32 = 1 << 31;

/// Partitions whose bitset takes at most this many words store whole
/// bitsets in the memo rather than frontier forms: no longer, and cheaper.
const WHOLE_FORM_WORDS_MAX: usize = 4;

/// One lane: a bitset over ranks with its frontier and the end of its last
/// non-zero word.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lane {
    words: Vec<u64>,
    /// The smallest rank not in the set.
    frontier: u32,
    /// One past the last non-zero word (0 when the lane is empty).
    words_end: u32,
}

impl Lane {
    fn new(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
            frontier: 0,
            words_end: 0,
        }
    }

    #[inline]
    fn contains(&self, r: u32) -> bool {
        self.words[r as usize / 64] & (1 << (r % 64)) != 0
    }

    #[inline]
    fn insert(&mut self, r: u32, track: bool) {
        let w = r as usize / 64;
        self.words[w] |= 1 << (r % 64);
        if !track {
            return;
        }
        self.words_end = self.words_end.max(w as u32 + 1);
        if r == self.frontier {
            self.advance();
        }
    }

    /// Moves the frontier past the members that start at it.
    fn advance(&mut self) {
        let mut w = self.frontier as usize / 64;
        let below = (1u64 << (self.frontier % 64)) - 1;
        let mut word = self.words.get(w).map_or(0, |x| x | below);
        while word == u64::MAX {
            w += 1;
            word = self.words.get(w).copied().unwrap_or(0);
        }
        self.frontier = (w * 64) as u32 + word.trailing_ones();
    }

    #[inline]
    fn remove(&mut self, r: u32, track: bool) {
        let w = r as usize / 64;
        self.words[w] &= !(1 << (r % 64));
        if !track {
            return;
        }
        self.frontier = self.frontier.min(r);
        while self.words_end > 0 && self.words[self.words_end as usize - 1] == 0 {
            self.words_end -= 1;
        }
    }

    /// The words from the frontier's word to the last non-zero one.
    fn window(&self) -> &[u64] {
        let start = (self.frontier as usize / 64).min(self.words_end as usize);
        &self.words[start..self.words_end as usize]
    }
}

/// Which canonical forms a set writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forms {
    /// Whole bitsets for short partitions, frontier forms otherwise.
    Auto,
    /// Frontier forms always (tests compare the two kinds of forms).
    #[cfg_attr(not(test), allow(dead_code))]
    Frontier,
    /// Whole bitsets always, however long the partition.
    #[cfg_attr(not(test), allow(dead_code))]
    Whole,
}

/// A set of a partition's operations, indexed by operation, stored by lane
/// and rank, with a hash that is the XOR of a pseudo-random key per member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinearizedSet {
    lanes: [Lane; 2],
    /// Short partitions keep every operation in lane 0, store whole
    /// bitsets, and track no frontier.
    whole: bool,
    /// Each operation's lane and rank (see [`INFO_LANE`]); unused when
    /// `whole`.
    slots: Vec<u32>,
    keys: Vec<u64>,
    hash: u64,
}

/// SplitMix64: a fixed, well-mixed sequence, so hashes (and thus the search)
/// are identical on every run.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl LinearizedSet {
    /// An empty set over operations `0..returned.len()`, given in invocation
    /// order `by_call` (every operation once) and whether each returned.
    /// `forms` chooses which canonical forms it writes.
    pub(crate) fn with_forms(by_call: &[u32], returned: &[bool], forms: Forms) -> Self {
        let len = returned.len();
        let whole = match forms {
            Forms::Auto => len.div_ceil(64) <= WHOLE_FORM_WORDS_MAX,
            Forms::Frontier => false,
            Forms::Whole => true,
        };
        let mut slots = vec![0; if whole { 0 } else { len }];
        let mut ranks = [0u32, 0u32];
        if whole {
            // Every operation in lane 0 at the rank of its index.
            ranks[0] = len as u32;
        } else {
            for &i in by_call {
                let lane = usize::from(!returned[i as usize]);
                slots[i as usize] = ranks[lane] | if lane == 1 { INFO_LANE } else { 0 };
                ranks[lane] += 1;
            }
        }
        Self {
            lanes: [Lane::new(ranks[0] as usize), Lane::new(ranks[1] as usize)],
            whole,
            slots,
            keys: (0..len as u64)
                .map(|i| splitmix64(i.wrapping_mul(0x2545_F491_4F6C_DD1D)))
                .collect(),
            hash: 0,
        }
    }

    #[inline]
    fn lane_rank(&self, i: usize) -> (usize, u32) {
        if self.whole {
            return (0, i as u32);
        }
        let slot = self.slots[i];
        (usize::from(slot & INFO_LANE != 0), slot & !INFO_LANE)
    }

    /// Adds `i` (which must be absent).
    #[inline(always)]
    pub(crate) fn insert(&mut self, i: usize) {
        debug_assert!(!self.contains(i));
        self.hash ^= self.keys[i];
        if self.whole {
            self.lanes[0].words[i / 64] |= 1 << (i % 64);
        } else {
            let (lane, rank) = self.lane_rank(i);
            self.lanes[lane].insert(rank, true);
        }
    }

    /// Removes `i` (which must be present).
    #[inline(always)]
    pub(crate) fn remove(&mut self, i: usize) {
        debug_assert!(self.contains(i));
        self.hash ^= self.keys[i];
        if self.whole {
            self.lanes[0].words[i / 64] &= !(1 << (i % 64));
        } else {
            let (lane, rank) = self.lane_rank(i);
            self.lanes[lane].remove(rank, true);
        }
    }

    /// Whether `i` is a member.
    #[inline]
    pub(crate) fn contains(&self, i: usize) -> bool {
        let (lane, rank) = self.lane_rank(i);
        self.lanes[lane].contains(rank)
    }

    /// The set's hash (equal sets have equal hashes).
    #[inline]
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    /// The length in words of the set's canonical form.
    #[inline]
    pub(crate) fn form_len(&self) -> usize {
        let [ret, info] = &self.lanes;
        if self.whole {
            ret.words.len()
        } else {
            2 + ret.window().len() + info.window().len()
        }
    }

    /// Appends the canonical form of the set to `out`. For short partitions
    /// that is the whole bitset; otherwise one word with both frontiers,
    /// one with both window lengths, then both windows. Two sets of one
    /// partition are equal exactly when their forms are.
    pub(crate) fn encode(&self, out: &mut Vec<u64>) {
        let [ret, info] = &self.lanes;
        if self.whole {
            out.extend_from_slice(&ret.words);
            return;
        }
        let (a, b) = (ret.window(), info.window());
        out.push(u64::from(ret.frontier) | u64::from(info.frontier) << 32);
        out.push(a.len() as u64 | (b.len() as u64) << 32);
        out.extend_from_slice(a);
        out.extend_from_slice(b);
    }

    /// Whether `form` is this set's canonical form (without building it).
    #[inline]
    pub(crate) fn matches(&self, form: &[u64]) -> bool {
        let [ret, info] = &self.lanes;
        if self.whole {
            // Short: compared inline rather than through `memcmp`.
            return form.len() == ret.words.len()
                && form.iter().zip(&ret.words).all(|(a, b)| a == b);
        }
        let (a, b) = (ret.window(), info.window());
        form.len() == 2 + a.len() + b.len()
            && form[0] == u64::from(ret.frontier) | u64::from(info.frontier) << 32
            && form[1] == a.len() as u64 | (b.len() as u64) << 32
            && form[2..2 + a.len()] == *a
            && form[2 + a.len()..] == *b
    }

    /// Bytes held (the lanes, slots and hash keys).
    pub(crate) fn bytes(&self) -> usize {
        let lanes: usize = self.lanes.iter().map(|l| l.words.capacity() * 8).sum();
        lanes + self.slots.capacity() * 4 + self.keys.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::{Forms, LinearizedSet};

    /// 997 returned operations in id order, and 3 that never returned
    /// (long enough for frontier forms).
    fn set() -> LinearizedSet {
        let mut returned = vec![true; 1000];
        returned[10] = false;
        returned[70] = false;
        returned[132] = false;
        let by_call: Vec<u32> = (0..1000).collect();
        LinearizedSet::with_forms(&by_call, &returned, Forms::Auto)
    }

    fn form(set: &LinearizedSet) -> Vec<u64> {
        let mut out = Vec::new();
        set.encode(&mut out);
        assert_eq!(out.len(), set.form_len());
        assert!(set.matches(&out));
        out
    }

    #[test]
    fn hash_and_form_depend_only_on_membership_not_on_insertion_order() {
        let (mut a, mut b) = (set(), set());
        for i in [3, 64, 129, 70] {
            a.insert(i);
        }
        for i in [129, 70, 3, 7, 64] {
            b.insert(i);
        }
        b.remove(7);
        assert_eq!(a.hash(), b.hash());
        assert_eq!(form(&a), form(&b));
        assert!(a.contains(129) && !a.contains(7) && a.contains(70));
        a.remove(3);
        assert_ne!(a.hash(), b.hash());
        assert_ne!(form(&a), form(&b));
        assert!(!a.matches(&form(&b)));
    }

    #[test]
    fn short_partitions_store_whole_bitsets() {
        let by_call: Vec<u32> = (0..100).collect();
        let mut s = LinearizedSet::with_forms(&by_call, &[true; 100], Forms::Auto);
        s.insert(3);
        s.insert(99);
        let whole = form(&s);
        assert_eq!(whole, vec![1 << 3, 1 << 35]);
    }

    #[test]
    fn the_frontier_moves_past_a_full_prefix_and_back_on_removal() {
        let mut s = set();
        // Returned ops 0..=9 and 11..=69 are ranks 0..=68 of their lane.
        for i in (0..70).filter(|&i| i != 10) {
            s.insert(i);
        }
        let full = form(&s);
        assert_eq!(full[0] & 0xFFFF_FFFF, 69, "frontier after 69 members");
        assert_eq!(full[0] >> 32, 0, "no info op taken");
        // Only the word holding the frontier is stored, not the prefix.
        assert_eq!(full[1], 1);
        assert_eq!(full.len(), 3);
        s.remove(5);
        assert_eq!(form(&s)[0] & 0xFFFF_FFFF, 5);
        s.insert(5);
        assert_eq!(form(&s), full);
        // An info op taken moves the info lane's frontier only.
        s.insert(10);
        assert_eq!(form(&s)[0] >> 32, 1);
        s.remove(10);
        assert_eq!(form(&s), full);
    }
}
