//! The KV state machine's snapshot format.
//!
//! ```text
//! "FLKV" | version: u16 LE | crc32(body): u32 LE | body
//! ```
//! The body is the [`crate::codec`] encoding of the applied index, the data
//! (a `BTreeMap`, so the bytes are deterministic) and the session table. A
//! wrong magic, an unknown version, a checksum mismatch, undecodable bytes or
//! a broken invariant is a [`KvError::CorruptSnapshot`], never a panic.

use super::error::KvError;
use super::session::SessionsImage;
use crate::codec;
use crate::types::LogIndex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const MAGIC: [u8; 4] = *b"FLKV";
const VERSION: u16 = 1;
const HEADER_BYTES: usize = 4 + 2 + 4;

/// Everything replicated about the state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KvImage {
    pub(crate) applied_index: LogIndex,
    pub(crate) data: BTreeMap<String, String>,
    pub(crate) sessions: SessionsImage,
}

/// Encodes an image with its header and checksum.
pub(crate) fn encode_image(image: &KvImage) -> Vec<u8> {
    // Strings, integers, enums and BTreeMaps always encode.
    let body = codec::encode(image).expect("a KV image always encodes");
    let mut bytes = Vec::with_capacity(HEADER_BYTES + body.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

/// Decodes and verifies an image.
pub(crate) fn decode_image(bytes: &[u8]) -> Result<KvImage, KvError> {
    let corrupt = |reason: String| KvError::CorruptSnapshot { reason };
    if bytes.len() < HEADER_BYTES {
        return Err(corrupt(format!(
            "{} bytes is shorter than the {HEADER_BYTES}-byte header",
            bytes.len()
        )));
    }
    let (header, body) = bytes.split_at(HEADER_BYTES);
    if header[..4] != MAGIC {
        return Err(corrupt("bad magic (not a faultline KV snapshot)".into()));
    }
    let version = u16::from_le_bytes([header[4], header[5]]);
    if version != VERSION {
        return Err(corrupt(format!("unsupported version {version}")));
    }
    let stored = u32::from_le_bytes([header[6], header[7], header[8], header[9]]);
    let actual = crc32fast::hash(body);
    if stored != actual {
        return Err(corrupt(format!(
            "checksum mismatch (stored {stored:#010x}, computed {actual:#010x})"
        )));
    }
    codec::decode(body).map_err(|e| corrupt(format!("body does not decode: {e}")))
}
