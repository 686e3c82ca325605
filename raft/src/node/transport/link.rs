//! The outbound half of the transport: one [`Link`] task per peer owns one
//! connection at a time, reconnects with jittered backoff, and watches the
//! peer's acknowledgements for a silently stalled stream.

use super::{write_with_timeout, TransportConfig};
use crate::node::codec::{encode_frame, read_frame, FrameDecoder};
use crate::node::network::Network;
use crate::node::queue::DropOldestQueue;
use crate::node::stats::NodeStats;
use crate::node::wire::{Frame, Hello};
use crate::types::{Message, NodeId};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout, Instant, MissedTickBehavior};

/// Why an outbound peer connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkClosed {
    ByPeer,
    ReadFailed,
    WriteFailed,
    Stalled,
    MalformedFrame,
    ProtocolViolation,
}

impl LinkClosed {
    fn as_str(self) -> &'static str {
        match self {
            LinkClosed::ByPeer => "closed by the peer",
            LinkClosed::ReadFailed => "read failed",
            LinkClosed::WriteFailed => "write failed or timed out",
            LinkClosed::Stalled => "stalled: frames not acknowledged in time",
            LinkClosed::MalformedFrame => "malformed frame from the peer",
            LinkClosed::ProtocolViolation => "protocol violation",
        }
    }

    /// Whether the peer sent bytes it should not have (not a network fault).
    fn is_fault(self) -> bool {
        matches!(
            self,
            LinkClosed::MalformedFrame | LinkClosed::ProtocolViolation
        )
    }
}

/// One peer's outbound link task.
pub(super) struct Link<N: Network> {
    pub(super) net: N,
    pub(super) me: NodeId,
    pub(super) peer: NodeId,
    pub(super) addr: String,
    pub(super) queue: Arc<DropOldestQueue<Message>>,
    pub(super) config: Arc<TransportConfig>,
    pub(super) stats: Arc<NodeStats>,
    pub(super) rng: ChaCha8Rng,
}

impl<N: Network> Link<N> {
    /// Runs the link until the node stops.
    pub(super) async fn run(mut self) {
        let mut backoff = self.config.backoff_min;
        // Whether the last attempt reached the peer: only changes are logged,
        // so a long partition costs two lines, not one per retry.
        let mut reachable = true;
        loop {
            // Connect lazily: an idle link (closed by the peer's idle
            // timeout) stays down until there is something to send.
            self.queue.wait_nonempty().await;
            match timeout(self.config.connect_timeout, self.net.connect(&self.addr)).await {
                Ok(Ok((read, write))) => {
                    NodeStats::bump(&self.stats.connects);
                    backoff = self.config.backoff_min;
                    if !reachable {
                        tracing::debug!(peer = self.peer, "peer reachable again");
                    }
                    reachable = true;
                    let closed = self.drive(read, write).await;
                    if closed.is_fault() {
                        tracing::warn!(
                            peer = self.peer,
                            reason = closed.as_str(),
                            "peer link closed"
                        );
                    } else {
                        tracing::debug!(
                            peer = self.peer,
                            reason = closed.as_str(),
                            "peer link closed"
                        );
                    }
                }
                _ => {
                    NodeStats::bump(&self.stats.connect_failures);
                    if reachable {
                        tracing::debug!(peer = self.peer, "cannot connect to peer");
                    }
                    reachable = false;
                    // The peer is unreachable: what is queued would be lost
                    // in the network anyway, and replaying it later is noise.
                    let stale = self.queue.len() as u64;
                    self.queue.clear();
                    self.stats
                        .peer_queue_drops
                        .fetch_add(stale, std::sync::atomic::Ordering::Relaxed);
                }
            }
            let half = backoff / 2;
            let jitter_ms = self.rng.gen_range(0..=half.as_millis() as u64);
            tokio::time::sleep(half + Duration::from_millis(jitter_ms)).await;
            backoff = (backoff * 2).min(self.config.backoff_max);
        }
    }

    /// Runs one connection until it fails, stalls or is closed; says why.
    async fn drive(&mut self, mut read: N::ReadHalf, mut write: N::WriteHalf) -> LinkClosed {
        let cfg = self.config.clone();
        let hello = Frame::Hello(Hello::Peer {
            from: self.me,
            to: self.peer,
        });
        let Ok(bytes) = encode_frame(&hello, cfg.max_frame_bytes) else {
            return LinkClosed::ProtocolViolation;
        };
        if !self.write_bytes(&mut write, &bytes).await {
            return LinkClosed::WriteFailed;
        }
        let mut decoder = FrameDecoder::new(cfg.max_frame_bytes);
        let mut sent: u64 = 0;
        let mut acked: u64 = 0;
        let mut waiting_since: Option<Instant> = None;
        let mut check = tokio::time::interval(cfg.ack_timeout / 4);
        check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                frame = read_frame::<_, Frame>(&mut read, &mut decoder) => match frame {
                    Ok(Some(Frame::Ack { frames })) if frames <= sent => {
                        if frames > acked {
                            acked = frames;
                            waiting_since = (acked < sent).then(Instant::now);
                        }
                    }
                    Ok(Some(_)) => {
                        NodeStats::bump(&self.stats.protocol_violations);
                        return LinkClosed::ProtocolViolation;
                    }
                    Ok(None) => return LinkClosed::ByPeer,
                    Err(e) => {
                        if e.is_malformed() {
                            NodeStats::bump(&self.stats.malformed_frames);
                            return LinkClosed::MalformedFrame;
                        }
                        return LinkClosed::ReadFailed;
                    }
                },
                msg = self.queue.pop() => {
                    let bytes = match encode_frame(&Frame::Raft(msg), cfg.max_frame_bytes) {
                        Ok(bytes) => bytes,
                        Err(_) => {
                            // A message larger than a frame: the core's batch
                            // bounds are misconfigured. Drop it, keep the link.
                            NodeStats::bump(&self.stats.protocol_violations);
                            continue;
                        }
                    };
                    if !self.write_bytes(&mut write, &bytes).await {
                        return LinkClosed::WriteFailed;
                    }
                    sent += 1;
                    NodeStats::bump(&self.stats.peer_frames_sent);
                    self.stats
                        .peer_bytes_sent
                        .fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    if waiting_since.is_none() {
                        waiting_since = Some(Instant::now());
                    }
                },
                _ = check.tick() => {
                    if let Some(since) = waiting_since {
                        if since.elapsed() > cfg.ack_timeout {
                            NodeStats::bump(&self.stats.stalls_detected);
                            return LinkClosed::Stalled;
                        }
                    }
                },
            }
        }
    }

    async fn write_bytes(&self, write: &mut N::WriteHalf, bytes: &[u8]) -> bool {
        write_with_timeout(write, bytes, self.config.write_timeout, &self.stats).await
    }
}
