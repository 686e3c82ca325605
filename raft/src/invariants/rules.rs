//! Raft's rules for handling one message (Figure 2 and §5.1–§5.4), checked
//! on every input a node takes: what it knew before, the message, what it
//! knew after, and the answers it sent. These name the rule a node broke at
//! the moment it broke it, where the cluster-wide properties only see the
//! damage once it has spread (and often never: a vote granted to a less
//! up-to-date candidate is harmless until that candidate's log wins).
//!
//! - **term adoption** (§5.1): a request or response of a newer term makes
//!   the node adopt it. Vote requests are exempt (a node that heard from its
//!   leader within the election timeout ignores them, thesis §4.2.3), and so
//!   are pre-votes (thesis §9.6), which change nobody's term.
//! - **stale terms are refused** (§5.1): AppendEntries or a vote request of
//!   an older term is never answered with success.
//! - **the vote restriction** (§5.2, §5.4.1): at most one vote per term, and
//!   a (pre-)vote only for a candidate whose log is at least as up-to-date.
//! - **the election quorum** (§5.2): a node becomes leader of term T only
//!   with granted votes of term T from a quorum (itself included).
//! - **the current-term commit rule** (§5.4.2): a leader advances its commit
//!   index only to an entry of its own term.
//!
//! Each check reads plain facts ([`NodeFacts`], [`Incoming`], [`Sent`]), so
//! every harness can feed it: the turmoil node driver does after each input,
//! and the tests feed hand-made facts to prove each rule can fail.

use super::{names, Violation};
use crate::core::quorum;
use crate::core::{Raft, Role};
use crate::types::{LogIndex, Membership, Message, MessageBody, NodeId, Term};
use std::collections::{BTreeMap, BTreeSet};

/// How many terms of granted votes a node's rule memory keeps.
const GRANTED_TERMS_MAX: usize = 64;

/// What the rules need of a node, before or after one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeFacts {
    /// The node.
    pub id: NodeId,
    /// Its role.
    pub role: Role,
    /// Its current term.
    pub term: Term,
    /// Its commit index.
    pub commit: LogIndex,
    /// The term of the entry at its commit index, if the log holds it.
    pub commit_term: Option<Term>,
    /// Its last log index.
    pub last_index: LogIndex,
    /// The term of its last log entry (0 for an empty log).
    pub last_term: Term,
}

impl NodeFacts {
    /// The facts of a core, now.
    pub fn of(raft: &Raft) -> NodeFacts {
        let last_index = raft.last_index();
        let commit = raft.commit_index();
        NodeFacts {
            id: raft.id(),
            role: raft.role(),
            term: raft.term(),
            commit,
            commit_term: raft.term_at(commit),
            last_index,
            last_term: raft.term_at(last_index).unwrap_or(0),
        }
    }
}

/// The kinds of incoming message the rules tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncomingKind {
    /// A (pre-)vote request and the candidate's last log position.
    Vote {
        /// A pre-vote.
        pre_vote: bool,
        /// The candidate's last log index.
        last_log_index: LogIndex,
        /// The term of the candidate's last entry.
        last_log_term: Term,
    },
    /// The answer to a (pre-)vote request.
    VoteResponse {
        /// Answers a pre-vote.
        pre_vote: bool,
        /// Granted.
        granted: bool,
    },
    /// AppendEntries (or a heartbeat).
    Append,
    /// The answer to AppendEntries.
    AppendResponse,
    /// A snapshot chunk.
    Snapshot,
    /// The answer to a snapshot chunk.
    SnapshotResponse,
    /// Any other message (a leadership transfer's TimeoutNow).
    Other,
}

/// What the rules need of the message a node handled (not its entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incoming {
    /// The sender.
    pub from: NodeId,
    /// The sender's term.
    pub term: Term,
    /// Its kind.
    pub kind: IncomingKind,
}

impl Incoming {
    /// The facts of `msg`.
    pub fn of(msg: &Message) -> Incoming {
        let kind = match msg.body {
            MessageBody::RequestVote {
                pre_vote,
                last_log_index,
                last_log_term,
                ..
            } => IncomingKind::Vote {
                pre_vote,
                last_log_index,
                last_log_term,
            },
            MessageBody::RequestVoteResponse { pre_vote, granted } => {
                IncomingKind::VoteResponse { pre_vote, granted }
            }
            MessageBody::AppendEntries { .. } => IncomingKind::Append,
            MessageBody::AppendEntriesResponse { .. } => IncomingKind::AppendResponse,
            MessageBody::InstallSnapshot { .. } => IncomingKind::Snapshot,
            MessageBody::InstallSnapshotResponse { .. } => IncomingKind::SnapshotResponse,
            _ => IncomingKind::Other,
        };
        Incoming {
            from: msg.from,
            term: msg.term,
            kind,
        }
    }

    /// Whether a newer term in this message must be adopted (§5.1): every
    /// kind but vote requests and pre-votes.
    fn binds_term(&self) -> bool {
        match self.kind {
            IncomingKind::Vote { .. } => false,
            IncomingKind::VoteResponse { pre_vote, .. } => !pre_vote,
            _ => true,
        }
    }

    fn name(&self) -> &'static str {
        match self.kind {
            IncomingKind::Vote { pre_vote: true, .. } => "a pre-vote request",
            IncomingKind::Vote { .. } => "a vote request",
            IncomingKind::VoteResponse { .. } => "a vote response",
            IncomingKind::Append => "AppendEntries",
            IncomingKind::AppendResponse => "an AppendEntries response",
            IncomingKind::Snapshot => "InstallSnapshot",
            IncomingKind::SnapshotResponse => "an InstallSnapshot response",
            IncomingKind::Other => "a message",
        }
    }
}

/// An answer a node sent, as far as the rules look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// A (pre-)vote answer.
    Vote {
        /// The candidate.
        to: NodeId,
        /// The term it was sent in.
        term: Term,
        /// Answers a pre-vote.
        pre_vote: bool,
        /// Granted.
        granted: bool,
    },
    /// An AppendEntries answer.
    AppendResponse {
        /// The leader.
        to: NodeId,
        /// Success.
        success: bool,
    },
}

impl Sent {
    /// The facts of `msg`, if it is an answer the rules look at.
    pub fn of(msg: &Message) -> Option<Sent> {
        match msg.body {
            MessageBody::RequestVoteResponse { pre_vote, granted } => Some(Sent::Vote {
                to: msg.to,
                term: msg.term,
                pre_vote,
                granted,
            }),
            MessageBody::AppendEntriesResponse { success, .. } => Some(Sent::AppendResponse {
                to: msg.to,
                success,
            }),
            _ => None,
        }
    }
}

/// One node's rule memory: the votes it received in its current term and
/// the votes it granted in recent terms. Lives as long as the node's
/// process (a restart starts afresh; the durability of a granted vote
/// across restarts is [`super::promises`]' concern).
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct MessageRules {
    votes_term: Term,
    votes: BTreeSet<NodeId>,
    granted: BTreeMap<Term, NodeId>,
}

impl MessageRules {
    /// Checks one input: `before` and `after` the node took it (`input` is
    /// the message, if it was one), and the answers it sent meanwhile.
    pub fn check(
        &mut self,
        before: &NodeFacts,
        input: Option<&Incoming>,
        after: &NodeFacts,
        sent: &[Sent],
        membership: &Membership,
    ) -> Vec<Violation> {
        let mut found = Vec::new();
        if let Some(m) = input {
            if membership.contains(m.from) {
                found.extend(term_adoption(before, m, after));
                found.extend(stale_refused(before, m, sent));
                found.extend(vote_restriction(before, m, sent));
                self.count_vote(before, m);
            }
        }
        found.extend(self.one_vote_per_term(after.id, sent));
        found.extend(self.election_quorum(before, after, membership));
        found.extend(current_term_commit(before, after));
        found
    }

    fn count_vote(&mut self, before: &NodeFacts, m: &Incoming) {
        let granted = m.kind
            == IncomingKind::VoteResponse {
                pre_vote: false,
                granted: true,
            };
        if granted && before.role == Role::Candidate && m.term == before.term {
            if self.votes_term != before.term {
                self.votes_term = before.term;
                self.votes.clear();
            }
            self.votes.insert(m.from);
        }
    }

    fn one_vote_per_term(&mut self, id: NodeId, sent: &[Sent]) -> Option<Violation> {
        for s in sent {
            let &Sent::Vote {
                to,
                term,
                pre_vote: false,
                granted: true,
            } = s
            else {
                continue;
            };
            match self.granted.get(&term) {
                Some(&earlier) if earlier != to => {
                    return Some(Violation::new(
                        names::VOTE_RESTRICTION,
                        format!(
                            "n{id} granted its term-{term} vote to n{to} after granting it to \
                             n{earlier} (§5.2: at most one vote per term)"
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    self.granted.insert(term, to);
                    while self.granted.len() > GRANTED_TERMS_MAX {
                        self.granted.pop_first();
                    }
                }
            }
        }
        None
    }

    fn election_quorum(
        &self,
        before: &NodeFacts,
        after: &NodeFacts,
        membership: &Membership,
    ) -> Option<Violation> {
        if after.role != Role::Leader || before.role == Role::Leader {
            return None;
        }
        let held =
            |v: NodeId| v == after.id || self.votes_term == after.term && self.votes.contains(&v);
        if quorum::has_quorum(membership, held) {
            return None;
        }
        let granted: Vec<String> = membership
            .voters
            .iter()
            .filter(|&&v| held(v))
            .map(|v| format!("n{v}"))
            .collect();
        Some(Violation::new(
            names::ELECTION_QUORUM,
            format!(
                "n{} became leader of term {} holding term-{} votes of only {} of {} voters \
                 ({}; §5.2: a candidate wins with votes from a majority in its term)",
                after.id,
                after.term,
                after.term,
                granted.len(),
                membership.voters.len(),
                granted.join(", ")
            ),
        ))
    }
}

fn term_adoption(before: &NodeFacts, m: &Incoming, after: &NodeFacts) -> Option<Violation> {
    if m.term <= before.term || !m.binds_term() || after.term >= m.term {
        return None;
    }
    Some(Violation::new(
        names::TERM_ADOPTION,
        format!(
            "n{} ({} of term {}) handled {} of newer term {} from n{} and stayed in term {} \
             (§5.1: a newer term is adopted at once)",
            after.id,
            before.role.as_str(),
            before.term,
            m.name(),
            m.term,
            m.from,
            after.term
        ),
    ))
}

fn stale_refused(before: &NodeFacts, m: &Incoming, sent: &[Sent]) -> Option<Violation> {
    if m.term >= before.term {
        return None;
    }
    let accepted = sent.iter().any(|s| match (*s, m.kind) {
        (Sent::AppendResponse { to, success }, IncomingKind::Append) => to == m.from && success,
        (
            Sent::Vote {
                to,
                pre_vote: false,
                granted,
                ..
            },
            IncomingKind::Vote {
                pre_vote: false, ..
            },
        ) => to == m.from && granted,
        _ => false,
    });
    accepted.then(|| {
        Violation::new(
            names::STALE_TERM_REFUSED,
            format!(
                "n{} in term {} accepted {} of stale term {} from n{} (§5.1: a request with \
                 a stale term is rejected)",
                before.id,
                before.term,
                m.name(),
                m.term,
                m.from
            ),
        )
    })
}

fn vote_restriction(before: &NodeFacts, m: &Incoming, sent: &[Sent]) -> Option<Violation> {
    let IncomingKind::Vote {
        pre_vote,
        last_log_index,
        last_log_term,
    } = m.kind
    else {
        return None;
    };
    let granted = sent.iter().any(|s| {
        matches!(*s, Sent::Vote { to, pre_vote: p, granted: true, .. } if to == m.from && p == pre_vote)
    });
    let candidate = (last_log_term, last_log_index);
    let voter = (before.last_term, before.last_index);
    if !granted || candidate >= voter {
        return None;
    }
    Some(Violation::new(
        names::VOTE_RESTRICTION,
        format!(
            "n{} granted {} of term {} to n{}, whose log ends at index {} term {}, behind its \
             own (index {} term {}; §5.4.1: vote only for a log at least as up-to-date, by \
             last term, then length)",
            before.id,
            if pre_vote { "a pre-vote" } else { "its vote" },
            m.term,
            m.from,
            last_log_index,
            last_log_term,
            before.last_index,
            before.last_term
        ),
    ))
}

fn current_term_commit(before: &NodeFacts, after: &NodeFacts) -> Option<Violation> {
    let same_leader =
        before.role == Role::Leader && after.role == Role::Leader && before.term == after.term;
    if !same_leader || after.commit <= before.commit {
        return None;
    }
    let entry_term = after.commit_term?;
    if entry_term == after.term {
        return None;
    }
    Some(Violation::new(
        names::CURRENT_TERM_COMMIT,
        format!(
            "n{}, leader of term {}, advanced its commit index from {} to {}, an entry of term \
             {} (§5.4.2: a leader commits by counting replicas only entries of its own term)",
            after.id, after.term, before.commit, after.commit, entry_term
        ),
    ))
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
