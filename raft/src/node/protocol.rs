//! The KV client protocol: requests a client sends to any node and the
//! answers it gets back.
//!
//! Writes (`Write`, `Cas`, `Append`) carry the client's id and a sequence
//! number; the state machine's sessions apply a retried `(client_id, seq)`
//! at most once and answer a retry with the cached reply. Reads go through
//! the core's ReadIndex (or lease) and never enter the log.

use crate::types::NodeId;
use serde::{Deserialize, Serialize};

/// One KV operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvOp {
    /// Read a key's value.
    Read {
        /// The key.
        key: String,
    },
    /// Set a key's value.
    Write {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Set `key` to `new` only if its current value is `expected`
    /// (`None`: the key is absent).
    Cas {
        /// The key.
        key: String,
        /// The value the key must hold.
        expected: Option<String>,
        /// The value to set.
        new: String,
    },
    /// Append `value` to the key's value (a list, read back whole).
    Append {
        /// The key.
        key: String,
        /// The element to append.
        value: String,
    },
}

impl KvOp {
    /// Whether the operation only reads.
    pub fn is_read(&self) -> bool {
        matches!(self, KvOp::Read { .. })
    }

    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            KvOp::Read { key }
            | KvOp::Write { key, .. }
            | KvOp::Cas { key, .. }
            | KvOp::Append { key, .. } => key,
        }
    }
}

/// A request on a client connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRequest {
    /// Chosen by the client to match the response (unique per connection).
    pub req_id: u64,
    /// The client's session id.
    pub client_id: u64,
    /// The operation's sequence number within the session (writes only;
    /// retries reuse it).
    pub seq: u64,
    /// What to do.
    pub op: KvOp,
}

/// The state machine's answer to an operation that was carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvReply {
    /// A read's result (`None`: the key is absent).
    Value(Option<String>),
    /// A write or append took effect.
    Done,
    /// A compare-and-set took effect.
    CasOk,
    /// A compare-and-set found another value (`None`: the key is absent) and
    /// changed nothing.
    CasFailed {
        /// The value actually found.
        current: Option<String>,
    },
    /// The state machine refused the command (a stale sequence number or an
    /// undecodable command); nothing changed.
    Rejected(String),
}

/// Why a node did not carry an operation out, or what it returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseBody {
    /// The operation was applied (writes) or served (reads).
    Reply(KvReply),
    /// This node is not the leader; the command was not appended here.
    NotLeader {
        /// The leader this node knows of.
        leader_hint: Option<NodeId>,
    },
    /// The node refused the request before appending it (too many requests
    /// in flight, leadership transfer).
    Overloaded,
    /// The command was appended but a different entry was committed at its
    /// index: this attempt did not take effect (a retry with the same
    /// sequence number is safe).
    Dropped,
}

/// The answer to one [`ClientRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientResponse {
    /// The request's `req_id`.
    pub req_id: u64,
    /// The answer.
    pub body: ResponseBody,
}
