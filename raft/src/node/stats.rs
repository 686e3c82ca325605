//! Counters kept by a node's transport and driver, shared through an `Arc`
//! so a test or an observer can read them while the node runs (and after it
//! crashes). Plain relaxed atomics: reading them never blocks the node.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

macro_rules! counters {
    ($(#[doc = $doc:expr] $name:ident,)*) => {
        /// Live counters of one node (transport, service and driver).
        #[derive(Debug, Default)]
        pub struct NodeStats {
            $(#[doc = $doc] pub $name: Arc<AtomicU64>,)*
        }

        /// A point-in-time copy of [`NodeStats`].
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct NodeStatsSnapshot {
            $(#[doc = $doc] pub $name: u64,)*
        }

        impl NodeStats {
            /// Copies every counter.
            pub fn snapshot(&self) -> NodeStatsSnapshot {
                NodeStatsSnapshot {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                }
            }
        }
    };
}

counters! {
    /// Raft messages the core emitted and the driver handed to the transport.
    raft_messages_sent,
    /// Raft messages written to a peer connection.
    peer_frames_sent,
    /// Bytes of Raft message frames written to peer connections.
    peer_bytes_sent,
    /// Raft messages received from peers and handed to the driver.
    peer_frames_received,
    /// Outbound peer messages dropped because the peer's queue was full.
    peer_queue_drops,
    /// Inbound peer messages dropped because the driver's inbox was full.
    inbox_drops,
    /// Outbound connections established.
    connects,
    /// Outbound connection attempts that failed or timed out.
    connect_failures,
    /// Writes that did not finish within the write timeout.
    write_timeouts,
    /// Outbound connections abandoned because the peer stopped acknowledging.
    stalls_detected,
    /// Inbound connections closed after being idle too long.
    idle_closes,
    /// Frames that failed to decode (bad magic, version, size or payload).
    malformed_frames,
    /// Well-formed frames that broke the protocol (wrong hello, wrong sender).
    protocol_violations,
    /// Client requests received.
    client_requests,
    /// Client responses that could not be queued to their connection.
    client_response_drops,
    /// Logical ticks fed to the core.
    ticks,
    /// Steps the core rejected with an error.
    step_errors,
    /// Application snapshots taken by this node.
    snapshots_taken,
    /// Snapshots received from a leader (InstallSnapshot) and restored into the state machine.
    snapshots_installed,
    /// Commands not applied again because their session had seen their sequence number.
    retries_deduplicated,
    /// Log entries applied to the state machine.
    entries_applied,
}

impl NodeStats {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
