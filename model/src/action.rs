//! The model's transitions, and how each reads in a counterexample.

use faultline_raft::{Entry, EntryPayload, Message, MessageBody, NodeId};
use std::fmt;

/// One transition of the modelled cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// Deliver one copy of a message in flight to its recipient.
    Deliver(Message),
    /// Lose one copy of a message in flight.
    Drop(Message),
    /// Add a second copy of a message in flight.
    Duplicate(Message),
    /// The node's election timeout fires: it is ticked until it campaigns.
    Timeout(NodeId),
    /// The leader's heartbeat timer fires: it is ticked until it broadcasts.
    Heartbeat(NodeId),
    /// A client proposes a command to the leader.
    Propose(NodeId),
    /// The node crashes (losing everything not durable) and restarts from
    /// its durable state.
    Crash(NodeId),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Deliver(m) => write!(f, "deliver {}", describe(m)),
            Action::Drop(m) => write!(f, "drop {}", describe(m)),
            Action::Duplicate(m) => write!(f, "duplicate {}", describe(m)),
            Action::Timeout(n) => write!(f, "n{n}: election timeout"),
            Action::Heartbeat(n) => write!(f, "n{n}: heartbeat timeout"),
            Action::Propose(n) => write!(f, "client proposes to n{n}"),
            Action::Crash(n) => write!(f, "n{n} crashes and restarts from disk"),
        }
    }
}

/// A message in one line: `n1→n2 AppendEntries t2 ...`.
pub fn describe(m: &Message) -> String {
    format!("n{}→n{} {}", m.from, m.to, describe_body(m))
}

/// A message's kind, term and fields, without the addresses.
pub fn describe_body(m: &Message) -> String {
    let t = m.term;
    match &m.body {
        MessageBody::RequestVote {
            pre_vote,
            last_log_index,
            last_log_term,
            ..
        } => format!(
            "{} t{t} (last {last_log_index}/t{last_log_term})",
            if *pre_vote { "PreVote" } else { "RequestVote" }
        ),
        MessageBody::RequestVoteResponse { pre_vote, granted } => format!(
            "{} t{t} {}",
            if *pre_vote { "PreVoteResp" } else { "VoteResp" },
            if *granted { "granted" } else { "refused" }
        ),
        MessageBody::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            ..
        } => format!(
            "AppendEntries t{t} (prev {prev_log_index}/t{prev_log_term}, [{}], commit {leader_commit})",
            entries.iter().map(describe_entry).collect::<Vec<_>>().join(" ")
        ),
        MessageBody::AppendEntriesResponse {
            success,
            match_index,
            conflict_index,
            ..
        } => {
            if *success {
                format!("AppendResp t{t} ok match {match_index}")
            } else {
                format!("AppendResp t{t} reject (retry at {conflict_index})")
            }
        }
        MessageBody::InstallSnapshot { meta, .. } => {
            format!("InstallSnapshot t{t} (to {}/t{})", meta.last_index, meta.last_term)
        }
        MessageBody::InstallSnapshotResponse { last_index, .. } => {
            format!("SnapshotResp t{t} ({last_index})")
        }
        MessageBody::TimeoutNow => format!("TimeoutNow t{t}"),
    }
}

/// An entry as `index/tTERM` with a mark for its payload (`=v` a command
/// with its first byte, `*` a no-op, `m` a membership change).
pub fn describe_entry(e: &Entry) -> String {
    let mark = match &e.payload {
        EntryPayload::Noop => "*".to_string(),
        EntryPayload::Command(data) => format!("=v{}", data.first().copied().unwrap_or(0)),
        EntryPayload::Membership(_) => "m".to_string(),
    };
    format!("{}/t{}{mark}", e.index, e.term)
}
