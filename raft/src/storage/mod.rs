//! The durable log storage contract.
//!
//! The consensus core keeps its working log in memory; a [`LogStorage`] is
//! where the node driver makes that log durable, in the order the core's
//! output prescribes (see the crate docs), and where a restarted node recovers
//! it from. Every implementation must pass the conformance suite in
//! `conformance` (with the crash-simulating `MemDisk`, behind the cargo
//! feature `testing`).

use crate::types::{Entry, HardState, LogIndex, Snapshot, Term};

#[cfg(any(test, feature = "testing"))]
pub mod conformance;
pub mod disk;
pub mod log_state;
pub mod mem;
#[cfg(any(test, feature = "testing"))]
pub mod mem_disk;
pub mod std_disk;
pub mod wal;

pub use disk::Disk;
pub use log_state::LogState;
pub use mem::MemStorage;
#[cfg(any(test, feature = "testing"))]
pub use mem_disk::{CrashMode, MemDisk};
pub use std_disk::StdDisk;
pub use wal::{Wal, WalOptions, WalStats};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The underlying device reported an error.
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Stored bytes failed validation (bad checksum, impossible record).
    #[error("corrupt storage at {location}: {reason}")]
    Corrupt {
        /// Where the corruption was found (file and offset, or a record index).
        location: String,
        /// What was wrong.
        reason: String,
    },
    /// The stored bytes were written by another storage format (an older
    /// build): they are refused, never decoded as this format.
    #[error(
        "{location} was written by storage format {found}, but this build reads format \
         {supported} only: recover it with the build that wrote it, or start the node empty"
    )]
    UnsupportedFormat {
        /// The file that holds them.
        location: String,
        /// The format that wrote them.
        found: u32,
        /// The format this build reads.
        supported: u32,
    },
    /// The caller broke the contract (a gap in appended indices, compaction
    /// past the last entry, ...).
    #[error("invalid storage request: {0}")]
    Invalid(String),
}

/// Everything a node needs to restart: the result of [`LogStorage::recover`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveredState {
    /// The last durable hard state (default if none was ever saved).
    pub hard_state: HardState,
    /// The newest durable snapshot, if any.
    pub snapshot: Option<Snapshot>,
    /// The durable entries after the snapshot, contiguous and ascending.
    pub entries: Vec<Entry>,
    /// A human-readable note when recovery stopped early at a torn or corrupt
    /// record (everything before it is returned; nothing after it is).
    pub truncated_at: Option<String>,
}

/// Durable storage of one node's Raft state.
///
/// Writes may be buffered until [`LogStorage::sync`]; only synced data is
/// guaranteed to survive a crash. Implementations must be deterministic.
pub trait LogStorage {
    /// Appends `entries`, which are contiguous and ascending. If the first
    /// entry's index is at or below the current last index, the stored suffix
    /// from that index on is discarded first (a real conflict, decided by the
    /// core). A gap after the last index is an [`StorageError::Invalid`].
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError>;

    /// Records a new hard state.
    fn save_hard_state(&mut self, hard_state: &HardState) -> Result<(), StorageError>;

    /// Stores a snapshot and discards every entry it covers. Entries after
    /// `snapshot.meta.last_index` are kept only if the entry at `last_index`
    /// has the snapshot's `last_term`; otherwise the whole log is discarded.
    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StorageError>;

    /// Makes every earlier write durable.
    fn sync(&mut self) -> Result<(), StorageError>;

    /// Reads back the durable state, as a restarted node would see it.
    fn recover(&mut self) -> Result<RecoveredState, StorageError>;

    /// The index of the first stored entry (`snapshot.last_index + 1`).
    fn first_index(&self) -> LogIndex;

    /// The index of the last stored entry (or the snapshot's last index).
    fn last_index(&self) -> LogIndex;

    /// The term of the entry at `index`, if it is stored or is the snapshot's
    /// last index.
    fn term(&self, index: LogIndex) -> Option<Term>;

    /// Stored entries in `[lo, hi)`; an error if any of them is not stored.
    fn entries(&self, lo: LogIndex, hi: LogIndex) -> Result<Vec<Entry>, StorageError>;
}

/// Storage recovers more than the core needs (a note on where recovery
/// stopped early); the core restarts from the durable state alone.
impl From<RecoveredState> for crate::DurableState {
    fn from(recovered: RecoveredState) -> Self {
        let RecoveredState {
            hard_state,
            snapshot,
            entries,
            truncated_at: _,
        } = recovered;
        crate::DurableState {
            hard_state,
            snapshot,
            entries,
        }
    }
}
