//! The set of operations linearized so far: a bitset with an incrementally
//! maintained Zobrist hash, so hashing it costs O(1) per step whatever the
//! history's length.

/// A fixed-size bitset over operation indices `0..len`, with a hash that is
/// the XOR of a pseudo-random key per member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinearizedSet {
    words: Vec<u64>,
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
    /// An empty set over `len` operations.
    pub(crate) fn new(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
            keys: (0..len as u64)
                .map(|i| splitmix64(i.wrapping_mul(0x2545_F491_4F6C_DD1D)))
                .collect(),
            hash: 0,
        }
    }

    /// Adds `i` (which must be absent).
    pub(crate) fn insert(&mut self, i: usize) {
        debug_assert!(!self.contains(i));
        self.words[i / 64] |= 1 << (i % 64);
        self.hash ^= self.keys[i];
    }

    /// Removes `i` (which must be present).
    pub(crate) fn remove(&mut self, i: usize) {
        debug_assert!(self.contains(i));
        self.words[i / 64] &= !(1 << (i % 64));
        self.hash ^= self.keys[i];
    }

    /// Whether `i` is a member.
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    /// The set's hash (equal sets have equal hashes).
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    /// The raw words, for storing a copy in the memo.
    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }
}

#[cfg(test)]
mod tests {
    use super::LinearizedSet;

    #[test]
    fn hash_depends_only_on_membership_not_on_insertion_order() {
        let mut a = LinearizedSet::new(130);
        let mut b = LinearizedSet::new(130);
        for i in [3, 64, 129] {
            a.insert(i);
        }
        for i in [129, 3, 7, 64] {
            b.insert(i);
        }
        b.remove(7);
        assert_eq!(a, b);
        assert_eq!(a.hash(), b.hash());
        assert!(a.contains(129) && !a.contains(7));
        a.remove(3);
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.words().len(), 3);
    }
}
