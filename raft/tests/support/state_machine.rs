//! The application the harness replicates: a hash chain over every applied
//! entry. Two nodes that applied the same prefix hold the same chain value,
//! so whole applied histories, including the parts hidden inside snapshots,
//! compare in O(1).
//!
//! A snapshot's data encodes `(applied index, chain)` plus deterministic
//! padding (so that snapshots span several InstallSnapshot chunks) and a
//! checksum; a restored node verifies every byte.

use faultline_raft::invariants::digest::Fnv;
use faultline_raft::{Entry, LogIndex, Snapshot};

pub use faultline_raft::invariants::state_machine::GENESIS_CHAIN;

const MAGIC: &[u8; 4] = b"FLSN";

pub use faultline_raft::invariants::state_machine::chain_step;

/// The simulated application state: how far it applied and the chain there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashChain {
    /// The last applied index.
    pub applied_index: LogIndex,
    /// The chain value at `applied_index`.
    pub chain: u64,
}

impl Default for HashChain {
    fn default() -> Self {
        HashChain {
            applied_index: 0,
            chain: GENESIS_CHAIN,
        }
    }
}

impl HashChain {
    /// Applies the next entry; entries must arrive exactly in index order.
    pub fn apply(&mut self, entry: &Entry) -> Result<(), String> {
        if entry.index != self.applied_index + 1 {
            return Err(format!(
                "applied entry {} right after {} (gap or repeat)",
                entry.index, self.applied_index
            ));
        }
        self.chain = chain_step(self.chain, entry);
        self.applied_index = entry.index;
        Ok(())
    }

    /// Replaces the state with a snapshot's, after verifying its data.
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<(), String> {
        let (index, chain) = decode_snapshot_data(&snapshot.data)?;
        if index != snapshot.meta.last_index {
            return Err(format!(
                "snapshot data is at index {index} but its metadata says {}",
                snapshot.meta.last_index
            ));
        }
        self.applied_index = index;
        self.chain = chain;
        Ok(())
    }

    /// Serialises the current state as snapshot data.
    pub fn snapshot_data(&self) -> Vec<u8> {
        encode_snapshot_data(self.applied_index, self.chain)
    }
}

/// Encodes `(index, chain)` with padding and a checksum.
pub fn encode_snapshot_data(index: LogIndex, chain: u64) -> Vec<u8> {
    let pad_len = 16 + (chain % 97) as usize;
    let mut data = Vec::with_capacity(4 + 8 + 8 + 2 + pad_len + 8);
    data.extend_from_slice(MAGIC);
    data.extend_from_slice(&index.to_le_bytes());
    data.extend_from_slice(&chain.to_le_bytes());
    data.extend_from_slice(&(pad_len as u16).to_le_bytes());
    let mut filler = chain;
    for _ in 0..pad_len {
        filler = Fnv::default().u64(filler).finish();
        data.push(filler as u8);
    }
    let checksum = Fnv::default().bytes(&data).finish();
    data.extend_from_slice(&checksum.to_le_bytes());
    data
}

/// Decodes and verifies snapshot data, returning `(index, chain)`.
pub fn decode_snapshot_data(data: &[u8]) -> Result<(LogIndex, u64), String> {
    let header_len = 4 + 8 + 8 + 2;
    if data.len() < header_len + 8 || &data[..4] != MAGIC {
        return Err(format!("snapshot data malformed ({} bytes)", data.len()));
    }
    let word = |at: usize| {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(&data[at..at + 8]);
        u64::from_le_bytes(buf)
    };
    let index = word(4);
    let chain = word(12);
    let expected = encode_snapshot_data(index, chain);
    if expected != data {
        return Err(format!(
            "snapshot data for index {index} is corrupt or truncated ({} bytes, expected {})",
            data.len(),
            expected.len()
        ));
    }
    Ok((index, chain))
}
