//! The KV client protocol: requests a client sends to any node and the
//! answers it gets back.
//!
//! Writes (`Write`, `Cas`, `Append`) carry the client's id and a sequence
//! number; the state machine's sessions apply a retried `(client_id, seq)`
//! at most once and answer a retry with the cached reply. Reads go through
//! the core's ReadIndex (or lease) and never enter the log. The operations
//! and replies are the KV state machine's own ([`KvOp`], [`KvReply`]).

pub use crate::kv::{KvOp, KvReply};
use crate::types::NodeId;
use serde::{Deserialize, Serialize};

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

/// Why a node did not carry an operation out, or what it returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseBody {
    /// The operation was applied (writes: the state machine's reply, cached
    /// for retries) or served (reads: [`KvReply::Read`]).
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
    /// The node lost track of the command (a snapshot replaced the log
    /// around it): it may or may not have taken effect. Retry with the same
    /// sequence number; the session answers with the cached reply if it did.
    Unknown,
}

/// The answer to one [`ClientRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientResponse {
    /// The request's `req_id`.
    pub req_id: u64,
    /// The answer.
    pub body: ResponseBody,
}
