//! The write-ahead log's record framing and record kinds.
//!
//! ```text
//! length: u32 LE | crc32(version ++ length bytes ++ payload): u32 LE | payload (length bytes)
//! ```
//! The payload is the [`crate::codec`] encoding of a [`WalRecord`] (segments)
//! or a [`SnapshotFile`] (snapshot files). Scanning a byte buffer yields the
//! records up to the first frame that is incomplete (a torn write) or fails
//! its checksum or decoding (corruption), and says which it was and where.
//!
//! # Format versions
//!
//! The encoding is bincode, which is not self-describing: bytes written
//! with other types could decode into wrong values. So the checksum covers
//! the format version ([`FORMAT_VERSION`], 4 bytes LE, not stored): a frame
//! written by another format never passes it, and is never misread. A
//! frame that passes the checksum of format 1 (no version in the checksum:
//! builds before configurations had joint consensus, whose `Membership`
//! had no `outgoing` voters) is reported as [`StopReason::OlderFormat`], so
//! recovery refuses it with a clear error instead of calling it corrupt.

use crate::codec;
use crate::types::{Entry, HardState, LogIndex, SnapshotMeta, Term};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The format this build writes and reads: 2 since configurations carry
/// the outgoing voters of a joint configuration.
pub const FORMAT_VERSION: u32 = 2;

/// Bytes of the frame header (length and checksum).
pub const FRAME_HEADER_BYTES: usize = 8;
/// The largest payload a frame may carry.
pub const RECORD_BYTES_MAX: usize = 64 * 1024 * 1024;

/// One record of a WAL segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WalRecord {
    /// The first record of a checkpoint segment: the complete state at that
    /// point. Replay starts from the newest checkpoint; older segments are
    /// obsolete.
    Checkpoint {
        /// The hard state.
        hard_state: HardState,
        /// The snapshot the log starts after (its file is `snap-<index>-<term>.snap`).
        snapshot: Option<(LogIndex, Term)>,
        /// The entries after the snapshot.
        entries: Vec<Entry>,
    },
    /// An append: like [`crate::storage::LogStorage::append`], it first
    /// discards the stored suffix from its first index on.
    Append(Vec<Entry>),
    /// A new hard state.
    HardState(HardState),
}

/// The single record of a snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFile {
    /// What the snapshot covers.
    pub meta: SnapshotMeta,
    /// The state machine's bytes.
    pub data: Vec<u8>,
}

/// Frames `payload` (the caller checks [`RECORD_BYTES_MAX`]).
pub fn frame_bytes(payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_le_bytes();
    let mut out = Vec::with_capacity(FRAME_HEADER_BYTES + payload.len());
    out.extend_from_slice(&len);
    out.extend_from_slice(&checksum(Some(FORMAT_VERSION), len, payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The checksum of a frame: of format `version`'s (`None`: format 1's,
/// which did not cover a version), over the length bytes and the payload.
fn checksum(version: Option<u32>, len: [u8; 4], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    if let Some(version) = version {
        hasher.update(&version.to_le_bytes());
    }
    hasher.update(&len);
    hasher.update(payload);
    hasher.finalize()
}

/// Encodes and frames a value; `None` if it exceeds [`RECORD_BYTES_MAX`].
pub fn frame<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    // Entries, hard states and snapshots are plain data: encoding cannot fail.
    let payload = codec::encode(value).ok()?;
    (payload.len() <= RECORD_BYTES_MAX).then(|| frame_bytes(&payload))
}

/// Why a scan stopped before the end of its buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The buffer ends inside a frame: an interrupted (torn) write.
    Torn {
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes that remain.
        remaining: usize,
    },
    /// The frame is complete but wrong.
    Corrupt(String),
    /// The frame is intact but was written by an older format (its
    /// checksum is that format's): it is not decoded.
    OlderFormat {
        /// The format that wrote it.
        version: u32,
    },
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Torn { needed, remaining } => {
                write!(f, "torn record ({remaining} of {needed} bytes present)")
            }
            StopReason::Corrupt(reason) => write!(f, "corrupt record: {reason}"),
            StopReason::OlderFormat { version } => write!(
                f,
                "record written by format {version}; this build reads format {FORMAT_VERSION}"
            ),
        }
    }
}

/// The valid records of a buffer and where and why scanning stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan<T> {
    /// Each valid record with its starting offset.
    pub records: Vec<(u64, T)>,
    /// The length of the valid prefix (where the next record would start).
    pub valid_len: u64,
    /// Why scanning stopped early, if it did.
    pub stop: Option<StopReason>,
}

/// Scans `bytes` as a sequence of framed `T`s.
pub fn scan<T: DeserializeOwned>(bytes: &[u8]) -> Scan<T> {
    let mut records = Vec::new();
    let mut offset = 0usize;
    let stop = loop {
        let rest = &bytes[offset..];
        if rest.is_empty() {
            break None;
        }
        if rest.len() < FRAME_HEADER_BYTES {
            break Some(StopReason::Torn {
                needed: FRAME_HEADER_BYTES,
                remaining: rest.len(),
            });
        }
        let len_bytes = [rest[0], rest[1], rest[2], rest[3]];
        let len = u32::from_le_bytes(len_bytes) as usize;
        let stored_crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len == 0 || len > RECORD_BYTES_MAX {
            break Some(StopReason::Corrupt(format!("impossible length {len}")));
        }
        if rest.len() < FRAME_HEADER_BYTES + len {
            break Some(StopReason::Torn {
                needed: FRAME_HEADER_BYTES + len,
                remaining: rest.len(),
            });
        }
        let payload = &rest[FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + len];
        let crc = checksum(Some(FORMAT_VERSION), len_bytes, payload);
        if crc != stored_crc && checksum(None, len_bytes, payload) == stored_crc {
            break Some(StopReason::OlderFormat { version: 1 });
        }
        if crc != stored_crc {
            break Some(StopReason::Corrupt(format!(
                "checksum mismatch (stored {stored_crc:#010x}, computed {crc:#010x})"
            )));
        }
        match codec::decode::<T>(payload) {
            Ok(record) => records.push((offset as u64, record)),
            Err(e) => break Some(StopReason::Corrupt(format!("undecodable payload: {e}"))),
        }
        offset += FRAME_HEADER_BYTES + len;
    };
    Scan {
        records,
        valid_len: offset as u64,
        stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut bytes = Vec::new();
        for term in 1..=3 {
            bytes.extend(
                frame(&WalRecord::HardState(HardState {
                    term,
                    voted_for: Some(term),
                    commit: 0,
                }))
                .unwrap(),
            );
        }
        bytes
    }

    #[test]
    fn every_truncation_stops_at_a_record_boundary_as_torn() {
        let bytes = sample();
        let full = scan::<WalRecord>(&bytes);
        assert_eq!(full.records.len(), 3);
        assert_eq!(full.stop, None);
        let mut ends: Vec<u64> = full.records.iter().skip(1).map(|(o, _)| *o).collect();
        ends.push(bytes.len() as u64);
        for cut in 0..=bytes.len() as u64 {
            let s = scan::<WalRecord>(&bytes[..cut as usize]);
            let complete = ends.iter().filter(|&&end| end <= cut).count();
            let valid = ends
                .iter()
                .copied()
                .filter(|&end| end <= cut)
                .max()
                .unwrap_or(0);
            assert_eq!(s.records.len(), complete, "cut {cut}");
            assert_eq!(s.valid_len, valid, "cut {cut}");
            assert_eq!(s.stop.is_some(), cut != valid, "cut {cut}");
            assert!(!matches!(s.stop, Some(StopReason::Corrupt(_))), "cut {cut}");
        }
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let bytes = sample();
        for position in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[position] ^= 1 << bit;
                let s = scan::<WalRecord>(&bad);
                assert!(s.stop.is_some(), "flip at {position} bit {bit} undetected");
                assert!(
                    s.valid_len <= position as u64,
                    "record holding the flip was accepted"
                );
            }
        }
    }

    #[test]
    fn zero_filled_tail_is_reported_not_accepted() {
        let mut bytes = sample();
        let valid = bytes.len() as u64;
        bytes.extend_from_slice(&[0u8; 64]);
        let s = scan::<WalRecord>(&bytes);
        assert_eq!(s.valid_len, valid);
        assert!(matches!(s.stop, Some(StopReason::Corrupt(_))));
    }

    /// Frames `payload` as format 1 did (checksum without the version).
    fn frame_format_1(payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() as u32).to_le_bytes();
        let mut out = len.to_vec();
        out.extend_from_slice(&checksum(None, len, payload).to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn a_frame_of_format_1_is_reported_as_such_and_not_decoded() {
        let payload = codec::encode(&WalRecord::HardState(HardState::default())).unwrap();
        let s = scan::<WalRecord>(&frame_format_1(&payload));
        assert!(s.records.is_empty());
        assert_eq!(s.stop, Some(StopReason::OlderFormat { version: 1 }));
        let current = scan::<WalRecord>(&frame_bytes(&payload));
        assert_eq!(current.records.len(), 1);
        assert_eq!(current.stop, None);
    }
}
