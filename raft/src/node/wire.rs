//! Everything that travels on a node's TCP connections, as one frame type.
//!
//! A connection opens with a [`Hello`] that says who is calling: a peer node
//! (then Raft [`Message`]s flow one way and [`Frame::Ack`]s the other) or a
//! client (then [`ClientRequest`]s and [`ClientResponse`]s).

use crate::node::protocol::{ClientRequest, ClientResponse};
use crate::types::{Message, NodeId};
use serde::{Deserialize, Serialize};

/// The first frame on every connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hello {
    /// A peer node opening its outbound link to us.
    Peer {
        /// The caller's node id.
        from: NodeId,
        /// The node id the caller believes it reached.
        to: NodeId,
    },
    /// A KV client.
    Client {
        /// The client's id (also its session id in the state machine).
        client_id: u64,
    },
}

/// One frame on a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// Opens a connection.
    Hello(Hello),
    /// A Raft message from the connecting peer.
    Raft(Message),
    /// The receiver of a peer link has read this many `Raft` frames on it so
    /// far; lets the sender notice a stream that silently stalled.
    Ack {
        /// Cumulative count of frames received on this connection.
        frames: u64,
    },
    /// A client request.
    Request(ClientRequest),
    /// The answer to a client request.
    Response(ClientResponse),
}
