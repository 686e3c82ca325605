//! The KV client library used by workloads.
//!
//! A [`KvClient`] talks to any node of the cluster, follows `NotLeader`
//! hints (or tries the next node), bounds every operation by a timeout and
//! retries a write with the same `(client_id, seq)` so that the state
//! machine's sessions apply it at most once. Each operation ends in exactly
//! one [`OpResult`]:
//!
//! * `Ok(reply)`: the state machine's reply (a write was applied exactly
//!   once; a read was served linearizably);
//! * `Err(`[`ClientError::NotApplied`]`)`: it certainly did not happen: a
//!   compare-and-set whose precondition failed, a command the state machine
//!   refused, or a write no leader could have received (every attempt was
//!   refused before being appended, or never sent). A read that could not
//!   be served is `NotApplied` too, since reads change nothing;
//! * `Err(`[`ClientError::Indeterminate`]`)`: unknown. Once any attempt of a
//!   write may have reached a leader (a timeout, a broken connection after
//!   sending, an `Unknown` answer), the write ends indeterminate unless a
//!   later attempt learns its fate.
//!
//! A recorder maps these to Jepsen's `ok` / `fail` / `info`; this crate does
//! not know histories. A process whose operation ended indeterminate should
//! stop using this client (the workload gives the next operation a fresh
//! process and a fresh client id).

use crate::bugs::{Bug, BugSet};
use crate::kv::{KvOp, KvReply};
use crate::node::codec::{encode_frame, read_frame, FrameDecoder, DEFAULT_MAX_FRAME_BYTES};
use crate::node::network::Network;
use crate::node::protocol::{ClientRequest, ResponseBody};
use crate::node::wire::{Frame, Hello};
use crate::types::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::{timeout, Instant};

/// How a client reaches the cluster and how long it waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// Every node and its client address (`host:port`).
    pub nodes: BTreeMap<NodeId, String>,
    /// The whole operation's time budget, retries included.
    pub op_timeout: Duration,
    /// How long one attempt waits for its answer.
    pub attempt_timeout: Duration,
    /// How long connecting to one node may take.
    pub connect_timeout: Duration,
    /// The pause before retrying after `Overloaded`, an unknown leader, or a
    /// full round of unreachable nodes.
    pub retry_backoff: Duration,
    /// A connection idle this long is replaced before use (the node may have
    /// closed it; a request on a dead connection would make a write `Info`).
    pub idle_reconnect: Duration,
    /// The largest frame accepted.
    pub max_frame_bytes: usize,
    /// Seeded bugs switched on in the client ([`crate::bugs`]).
    pub bugs: BugSet,
    /// Bound to its home node (the one at position `client_id % nodes`), as
    /// Jepsen's clients are: every operation starts there, and a redirect
    /// is followed only within the operation. Unbound, a client keeps
    /// sending to the last node that answered.
    pub bound: bool,
}

impl ClientConfig {
    /// Defaults: 5 s per operation, 1 s per attempt.
    pub fn new(nodes: BTreeMap<NodeId, String>) -> Self {
        ClientConfig {
            nodes,
            op_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_millis(500),
            retry_backoff: Duration::from_millis(50),
            idle_reconnect: Duration::from_secs(30),
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            bugs: BugSet::NONE,
            bound: false,
        }
    }
}

/// How an operation ended: the state machine's reply, or why there is none.
pub type OpResult = Result<KvReply, ClientError>;

/// Why an operation has no reply, and whether it may still have taken effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ClientError {
    /// It certainly did not take effect; why.
    #[error("not applied: {0}")]
    NotApplied(String),
    /// It may or may not have taken effect; why.
    #[error("indeterminate: {0}")]
    Indeterminate(String),
}

struct Connection<N: Network> {
    node: NodeId,
    read: N::ReadHalf,
    write: N::WriteHalf,
    decoder: FrameDecoder,
    last_used: Instant,
}

/// Counters of one client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientStats {
    /// Requests sent (attempts).
    pub attempts: u64,
    /// Connections opened.
    pub connects: u64,
    /// Connection attempts that failed.
    pub connect_failures: u64,
    /// Attempts that timed out waiting for an answer.
    pub timeouts: u64,
    /// `NotLeader` answers.
    pub redirects: u64,
    /// Frames from a node that did not decode.
    pub malformed_frames: u64,
}

/// A KV client with one session (`client_id`).
pub struct KvClient<N: Network> {
    net: N,
    config: ClientConfig,
    client_id: u64,
    last_seq: u64,
    next_req_id: u64,
    order: Vec<NodeId>,
    target: usize,
    conn: Option<Connection<N>>,
    stats: ClientStats,
}

impl<N: Network> std::fmt::Debug for KvClient<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvClient")
            .field("client_id", &self.client_id)
            .field("last_seq", &self.last_seq)
            .field("target", &self.order.get(self.target))
            .finish_non_exhaustive()
    }
}

/// The position of client `client_id`'s home node among `nodes` nodes.
fn home_of(client_id: u64, nodes: usize) -> usize {
    if nodes == 0 {
        0
    } else {
        (client_id % nodes as u64) as usize
    }
}

/// Why one attempt did not settle the operation.
enum Attempt {
    /// The operation is settled.
    Done(OpResult),
    /// Try again; the request certainly was not appended by this attempt.
    RetryClean(String),
    /// Try again; this attempt may have reached a leader.
    RetryMaybe(String),
}

impl<N: Network> KvClient<N> {
    /// A client with session `client_id` (unique per process). It starts
    /// with the node at position `client_id % nodes` to spread the load.
    pub fn new(net: N, config: ClientConfig, client_id: u64) -> Self {
        let order: Vec<NodeId> = config.nodes.keys().copied().collect();
        let target = home_of(client_id, order.len());
        KvClient {
            net,
            config,
            client_id,
            last_seq: 0,
            next_req_id: 1,
            order,
            target,
            conn: None,
            stats: ClientStats::default(),
        }
    }

    /// The position of this client's home node in the node order.
    fn home(&self) -> usize {
        home_of(self.client_id, self.order.len())
    }

    /// This client's session id.
    pub fn client_id(&self) -> u64 {
        self.client_id
    }

    /// This client's counters.
    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    /// Reads `key` (`Ok(KvReply::Read { value })`).
    pub async fn read(&mut self, key: &str) -> OpResult {
        self.execute(KvOp::Read { key: key.into() }).await
    }

    /// Sets `key` to `value`.
    pub async fn write(&mut self, key: &str, value: &str) -> OpResult {
        self.execute(KvOp::Write {
            key: key.into(),
            value: value.into(),
        })
        .await
    }

    /// Sets `key` to `new` if it holds `expected` (a precondition failure
    /// is `Fail`).
    pub async fn cas(&mut self, key: &str, expected: &str, new: &str) -> OpResult {
        self.execute(KvOp::Cas {
            key: key.into(),
            expected: expected.into(),
            new: new.into(),
        })
        .await
    }

    /// Appends `value` to `key`.
    pub async fn append(&mut self, key: &str, value: &str) -> OpResult {
        self.execute(KvOp::Append {
            key: key.into(),
            value: value.into(),
        })
        .await
    }

    /// Runs one operation to its outcome within `op_timeout`.
    pub async fn execute(&mut self, op: KvOp) -> OpResult {
        if self.order.is_empty() {
            return Err(ClientError::NotApplied("the client knows no nodes".into()));
        }
        if self.config.bound {
            self.target = self.home();
        }
        let is_read = matches!(op, KvOp::Read { .. });
        let mut seq = if is_read {
            0
        } else {
            self.last_seq += 1;
            self.last_seq
        };
        let deadline = Instant::now() + self.config.op_timeout;
        let mut maybe_applied = false;
        let mut reason = String::from("operation timed out before any attempt");
        let mut clean_failures_in_a_row = 0usize;
        while Instant::now() < deadline {
            match self.attempt(&op, seq, deadline, maybe_applied).await {
                Attempt::Done(outcome) => return outcome,
                Attempt::RetryClean(why) => {
                    reason = why;
                    clean_failures_in_a_row += 1;
                    if clean_failures_in_a_row >= self.order.len() {
                        clean_failures_in_a_row = 0;
                        self.sleep_until_before(deadline, self.config.retry_backoff)
                            .await;
                    }
                }
                Attempt::RetryMaybe(why) => {
                    reason = why;
                    clean_failures_in_a_row = 0;
                    if !is_read {
                        maybe_applied = true;
                        if self.config.bugs.on(Bug::RetryNewSequence) {
                            self.last_seq += 1;
                            seq = self.last_seq;
                        }
                    }
                }
            }
        }
        if is_read {
            Err(ClientError::NotApplied(format!(
                "read not served: {reason}"
            )))
        } else if maybe_applied {
            Err(ClientError::Indeterminate(reason))
        } else {
            Err(ClientError::NotApplied(format!(
                "no leader accepted the command: {reason}"
            )))
        }
    }

    async fn sleep_until_before(&self, deadline: Instant, pause: Duration) {
        let wake = (Instant::now() + pause).min(deadline);
        tokio::time::sleep_until(wake).await;
    }

    fn advance(&mut self) {
        self.target = (self.target + 1) % self.order.len();
    }

    fn follow(&mut self, hint: Option<NodeId>, current: NodeId) {
        match hint.and_then(|h| self.order.iter().position(|&n| n == h)) {
            Some(pos) if self.order[pos] != current => self.target = pos,
            _ => self.advance(),
        }
    }

    async fn connect(&mut self, node: NodeId, deadline: Instant) -> Result<(), String> {
        let fresh = self
            .conn
            .as_ref()
            .is_some_and(|c| c.node == node && c.last_used.elapsed() < self.config.idle_reconnect);
        if fresh {
            return Ok(());
        }
        self.conn = None;
        let addr = self.config.nodes.get(&node).cloned().unwrap_or_default();
        let limit = self.config.connect_timeout.min(deadline - Instant::now());
        let (read, mut write) = match timeout(limit, self.net.connect(&addr)).await {
            Ok(Ok(halves)) => halves,
            Ok(Err(e)) => {
                self.stats.connect_failures += 1;
                return Err(format!("connect to node {node} failed: {e}"));
            }
            Err(_) => {
                self.stats.connect_failures += 1;
                return Err(format!("connect to node {node} timed out"));
            }
        };
        let hello = Frame::Hello(Hello::Client {
            client_id: self.client_id,
        });
        let bytes = encode_frame(&hello, self.config.max_frame_bytes)
            .map_err(|e| format!("cannot encode hello: {e}"))?;
        match timeout(limit, write.write_all(&bytes)).await {
            Ok(Ok(())) => {}
            _ => {
                self.stats.connect_failures += 1;
                return Err(format!("hello to node {node} failed"));
            }
        }
        self.stats.connects += 1;
        self.conn = Some(Connection {
            node,
            read,
            write,
            decoder: FrameDecoder::new(self.config.max_frame_bytes),
            last_used: Instant::now(),
        });
        Ok(())
    }

    async fn attempt(
        &mut self,
        op: &KvOp,
        seq: u64,
        deadline: Instant,
        maybe_applied: bool,
    ) -> Attempt {
        let node = self.order[self.target];
        if let Err(why) = self.connect(node, deadline).await {
            self.advance();
            return Attempt::RetryClean(why);
        }
        let req_id = self.next_req_id;
        self.next_req_id += 1;
        let request = Frame::Request(ClientRequest {
            req_id,
            client_id: self.client_id,
            seq,
            op: op.clone(),
        });
        let bytes = match encode_frame(&request, self.config.max_frame_bytes) {
            Ok(bytes) => bytes,
            Err(e) => {
                return Attempt::Done(Err(ClientError::NotApplied(format!(
                    "cannot encode request: {e}"
                ))))
            }
        };
        self.stats.attempts += 1;
        let limit = self.config.attempt_timeout.min(deadline - Instant::now());
        let wait_until = Instant::now() + limit;
        let Some(conn) = self.conn.as_mut() else {
            return Attempt::RetryClean("no connection".into());
        };
        conn.last_used = Instant::now();
        let sent = timeout(limit, async {
            conn.write.write_all(&bytes).await?;
            conn.write.flush().await
        })
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            self.conn = None;
            self.advance();
            return Attempt::RetryMaybe(format!("sending to node {node} failed"));
        }
        let body = loop {
            let left = wait_until.saturating_duration_since(Instant::now());
            match timeout(
                left,
                read_frame::<_, Frame>(&mut conn.read, &mut conn.decoder),
            )
            .await
            {
                Ok(Ok(Some(Frame::Response(resp)))) if resp.req_id == req_id => break resp.body,
                // An answer to an abandoned request on this connection.
                Ok(Ok(Some(Frame::Response(_)))) => continue,
                other => {
                    let why = match other {
                        Err(_) => {
                            self.stats.timeouts += 1;
                            format!("no answer from node {node} within the attempt timeout")
                        }
                        Ok(Err(e)) if e.is_malformed() => {
                            self.stats.malformed_frames += 1;
                            format!("node {node} sent a malformed frame: {e}")
                        }
                        Ok(Ok(Some(_))) => format!("node {node} sent an unexpected frame"),
                        _ => format!("connection to node {node} broke"),
                    };
                    self.conn = None;
                    self.advance();
                    return Attempt::RetryMaybe(why);
                }
            }
        };
        conn.last_used = Instant::now();
        self.settle(body, node, deadline, maybe_applied).await
    }

    /// What one answer from `node` means for the operation.
    async fn settle(
        &mut self,
        body: ResponseBody,
        node: NodeId,
        deadline: Instant,
        maybe_applied: bool,
    ) -> Attempt {
        match body {
            ResponseBody::Reply(reply) => {
                if reply.is_ok() {
                    Attempt::Done(Ok(reply))
                } else if reply.is_definite_failure() {
                    Attempt::Done(Err(ClientError::NotApplied(format!("{reply:?}"))))
                } else if maybe_applied {
                    Attempt::Done(Err(ClientError::Indeterminate(format!(
                        "{reply:?} after an uncertain attempt"
                    ))))
                } else {
                    Attempt::Done(Err(ClientError::NotApplied(format!("{reply:?}"))))
                }
            }
            ResponseBody::NotLeader { leader_hint } => {
                self.stats.redirects += 1;
                self.follow(leader_hint, node);
                Attempt::RetryClean(format!("node {node} is not the leader"))
            }
            ResponseBody::Overloaded => {
                self.sleep_until_before(deadline, self.config.retry_backoff)
                    .await;
                Attempt::RetryClean(format!("node {node} is overloaded"))
            }
            ResponseBody::Dropped => {
                Attempt::RetryClean(format!("node {node} lost the command to another entry"))
            }
            ResponseBody::Unknown => {
                Attempt::RetryMaybe(format!("node {node} lost track of the command"))
            }
        }
    }
}
