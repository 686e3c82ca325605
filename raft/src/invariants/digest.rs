//! A small, stable 64-bit hash (FNV-1a with a final avalanche) used to
//! fingerprint entries (for the invariants and the nodes' applied-entry
//! observations), chain a test state machine and fold traces.
//! It is deterministic across runs and platforms, unlike `std`'s hashers.

use crate::{Entry, EntryPayload};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// An incremental FNV-1a hasher.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(FNV_OFFSET)
    }
}

impl Fnv {
    /// Feeds raw bytes.
    pub fn bytes(mut self, data: &[u8]) -> Self {
        for byte in data {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
        self
    }

    /// Feeds one integer (little-endian).
    pub fn u64(self, value: u64) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    /// The final value, with an avalanche step so that nearby inputs differ widely.
    pub fn finish(self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

/// A fingerprint of an entry's index, term and payload.
pub fn entry_digest(entry: &Entry) -> u64 {
    let hasher = Fnv::default().u64(entry.index).u64(entry.term);
    match &entry.payload {
        EntryPayload::Noop => hasher.u64(0).finish(),
        EntryPayload::Command(data) => hasher.u64(1).u64(data.len() as u64).bytes(data).finish(),
        EntryPayload::Membership(m) => {
            let mut hasher = hasher.u64(2).u64(m.voters.len() as u64);
            for voter in &m.voters {
                hasher = hasher.u64(*voter);
            }
            hasher = hasher.u64(m.learners.len() as u64);
            for learner in &m.learners {
                hasher = hasher.u64(*learner);
            }
            hasher.finish()
        }
    }
}
