//! KV commands and replies, and their wire encoding.
//!
//! A command is what a client proposes (it travels in a log entry's
//! `EntryPayload::Command` bytes); a reply is what applying it produced. Both
//! encode with [`crate::codec`] and decode with a clear [`KvError`] on bad
//! bytes.

use super::error::KvError;
use crate::codec;
use serde::{Deserialize, Serialize};

/// A client's identity; sessions are keyed by it.
pub type ClientId = u64;
/// A client's per-command sequence number. A retry reuses the number; a new
/// command uses a larger one.
pub type Seq = u64;

/// What a command does to the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KvOp {
    /// Read the value of `key` through the log.
    Read {
        /// The key.
        key: String,
    },
    /// Set `key` to `value`.
    Write {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Set `key` to `new` if its current value is `expected`; a missing key
    /// never matches.
    Cas {
        /// The key.
        key: String,
        /// The value the key must hold.
        expected: String,
        /// The value to store if it does.
        new: String,
    },
    /// Append `value` to the key's value (a missing key counts as empty), as
    /// Porcupine's KV model does.
    Append {
        /// The key.
        key: String,
        /// The suffix to append.
        value: String,
    },
}

impl KvOp {
    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            KvOp::Read { key }
            | KvOp::Write { key, .. }
            | KvOp::Cas { key, .. }
            | KvOp::Append { key, .. } => key,
        }
    }

    /// A short stable name for metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            KvOp::Read { .. } => "read",
            KvOp::Write { .. } => "write",
            KvOp::Cas { .. } => "cas",
            KvOp::Append { .. } => "append",
        }
    }
}

/// One client command: an operation tagged with the client's session
/// coordinates, so that a retry is applied at most once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KvCommand {
    /// The client that issued the command.
    pub client_id: ClientId,
    /// The command's sequence number within the client's session.
    pub seq: Seq,
    /// The operation.
    pub op: KvOp,
}

impl KvCommand {
    /// Encodes the command for a log entry.
    pub fn encode(&self) -> Vec<u8> {
        encode_command(self)
    }

    /// Decodes a command from a log entry's bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, KvError> {
        decode_command(bytes)
    }
}

/// What applying a command produced.
///
/// How a client should report each reply in a Jepsen history:
/// * `Read`, `Done`, `CasSucceeded`: **ok**, the command took effect once;
/// * `CasFailed`, `Malformed`: **fail**, the command certainly had no effect;
/// * `StaleSequence`, `SessionExpired`: nothing was applied *now*, but an
///   earlier attempt of the same command may have been, so the outcome is
///   **info** (unknown) unless the client knows it never sent it before.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KvReply {
    /// The value a read observed (`None`: the key does not exist).
    Read {
        /// The value.
        value: Option<String>,
    },
    /// A write or append took effect.
    Done,
    /// A compare-and-set matched and stored its new value.
    CasSucceeded,
    /// A compare-and-set did not match; nothing changed.
    CasFailed {
        /// The key's value when the comparison failed.
        current: Option<String>,
    },
    /// The client has already moved past this sequence number: the command is
    /// an old retry and was not applied again.
    StaleSequence {
        /// The highest sequence number applied for the client.
        last_seq: Seq,
    },
    /// The client's session was evicted (see [`super::SessionLimits`]), so a
    /// retry cannot be told from a new command; nothing was applied.
    SessionExpired,
    /// The entry's bytes were not a valid command; nothing was applied.
    Malformed {
        /// Why decoding failed.
        reason: String,
    },
}

impl KvReply {
    /// Whether the command certainly took effect (exactly once).
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            KvReply::Read { .. } | KvReply::Done | KvReply::CasSucceeded
        )
    }

    /// Whether the command certainly had no effect, now or ever.
    pub fn is_definite_failure(&self) -> bool {
        matches!(self, KvReply::CasFailed { .. } | KvReply::Malformed { .. })
    }

    /// Encodes the reply (for the KV service's responses).
    pub fn encode(&self) -> Vec<u8> {
        encode_reply(self)
    }

    /// Decodes a reply.
    pub fn decode(bytes: &[u8]) -> Result<Self, KvError> {
        decode_reply(bytes)
    }
}

/// Encodes a command for a log entry.
pub fn encode_command(command: &KvCommand) -> Vec<u8> {
    // Plain enums, strings and integers always encode.
    codec::encode(command).expect("a KvCommand always encodes")
}

/// Decodes a command; bad bytes give [`KvError::Decode`].
pub fn decode_command(bytes: &[u8]) -> Result<KvCommand, KvError> {
    codec::decode(bytes).map_err(|e| KvError::Decode {
        what: "command",
        reason: e.to_string(),
    })
}

/// Encodes a reply.
pub fn encode_reply(reply: &KvReply) -> Vec<u8> {
    // Plain enums, strings and integers always encode.
    codec::encode(reply).expect("a KvReply always encodes")
}

/// Decodes a reply; bad bytes give [`KvError::Decode`].
pub fn decode_reply(bytes: &[u8]) -> Result<KvReply, KvError> {
    codec::decode(bytes).map_err(|e| KvError::Decode {
        what: "reply",
        reason: e.to_string(),
    })
}
