//! One simulated node: its core (absent while crashed), its disk, its
//! application, and an optional crash armed to strike in the middle of
//! carrying out the core's next output.

use super::disk::SimDisk;
use super::state_machine::HashChain;
use faultline_raft::invariants::NodeView;
use faultline_raft::{
    Config, Entry, LogIndex, Membership, MessageBody, NodeId, Output, Raft, Role, Term,
};

/// Where, inside the handling of one output, an armed crash strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// After writing, before the sync: the writes are lost.
    BeforeSync,
    /// After the sync, before `Persisted` is reported and messages are sent.
    AfterSync,
    /// After sending, before the committed entries are applied.
    AfterSend,
}

impl CrashPoint {
    /// A short name for traces.
    pub fn as_str(self) -> &'static str {
        match self {
            CrashPoint::BeforeSync => "before sync",
            CrashPoint::AfterSync => "after sync, before send",
            CrashPoint::AfterSend => "after send, before apply",
        }
    }
}

/// Which output an armed crash waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashTrigger {
    /// The node's next output, whatever it holds.
    NextOutput,
    /// An output that grants a (real) vote: the crash then tests that the
    /// vote was durable before it was sent.
    VoteGranted,
    /// An output that acknowledges AppendEntries: tests that the entries
    /// were durable before the acknowledgement.
    AppendAcked,
}

impl CrashTrigger {
    /// Whether `output` fires this trigger.
    pub fn fires_on(self, output: &Output) -> bool {
        match self {
            CrashTrigger::NextOutput => true,
            CrashTrigger::VoteGranted => output.messages.iter().any(|m| {
                matches!(
                    m.body,
                    MessageBody::RequestVoteResponse {
                        pre_vote: false,
                        granted: true
                    }
                )
            }),
            CrashTrigger::AppendAcked => output.messages.iter().any(|m| {
                matches!(
                    m.body,
                    MessageBody::AppendEntriesResponse { success: true, .. }
                )
            }),
        }
    }
}

/// A crash waiting to strike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArmedCrash {
    /// Which output it waits for.
    pub trigger: CrashTrigger,
    /// Where in that output's handling it strikes.
    pub point: CrashPoint,
}

/// One node of the simulated cluster.
#[derive(Debug)]
pub struct SimNode {
    /// Its configuration.
    pub config: Config,
    /// The running core; `None` while the node is down.
    pub raft: Option<Raft>,
    /// What survives crashes.
    pub disk: SimDisk,
    /// The application (volatile: rebuilt from the disk's snapshot on restart).
    pub app: HashChain,
    /// A crash waiting for one of the node's outputs.
    pub armed: Option<ArmedCrash>,
    /// While down: the tick at which it restarts.
    pub restart_at_tick: u64,
}

impl SimNode {
    /// A fresh node running `raft`.
    pub fn new(config: Config, raft: Raft) -> Self {
        SimNode {
            config,
            raft: Some(raft),
            disk: SimDisk::new(),
            app: HashChain::default(),
            armed: None,
            restart_at_tick: 0,
        }
    }

    /// Whether the core is running.
    pub fn is_up(&self) -> bool {
        self.raft.is_some()
    }

    /// Whether the node is up and believes it leads.
    pub fn is_leader(&self) -> bool {
        self.raft.as_ref().is_some_and(|r| r.role() == Role::Leader)
    }
}

/// The invariants' view of a running core.
pub struct CoreView<'a> {
    /// The node's id.
    pub id: NodeId,
    /// Its core.
    pub raft: &'a Raft,
}

impl NodeView for CoreView<'_> {
    fn id(&self) -> NodeId {
        self.id
    }
    fn term(&self) -> Term {
        self.raft.term()
    }
    fn is_leader(&self) -> bool {
        self.raft.role() == Role::Leader
    }
    fn commit_index(&self) -> LogIndex {
        self.raft.commit_index()
    }
    fn first_index(&self) -> LogIndex {
        self.raft.first_index()
    }
    fn last_index(&self) -> LogIndex {
        self.raft.last_index()
    }
    fn term_at(&self, index: LogIndex) -> Option<Term> {
        self.raft.term_at(index)
    }
    fn entry(&self, index: LogIndex) -> Option<Entry> {
        self.raft.entry(index).cloned()
    }
    fn membership(&self) -> Option<Membership> {
        Some(self.raft.membership().clone())
    }
    fn base_membership(&self) -> Option<Membership> {
        let base = self.raft.first_index().saturating_sub(1);
        self.raft.snapshot_meta(base).map(|meta| meta.membership)
    }
}
