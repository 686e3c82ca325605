//! The stale-replay stash behind `packet-stale-replay`: copies of a node's
//! granted votes and AppendEntries, kept from the start of any run whose
//! schedule has the fault and, while the fault is in effect, each
//! delivered once more, late, at the moment it misleads most: a vote when
//! its candidate campaigns again in a later term; an AppendEntries once its
//! recipient has moved to a later term and neither leads nor has heard
//! from its new leader (a node that follows a known leader refuses a
//! second one of its term whatever the message's term, so that is where a
//! stale leader can pass for the current one). An asynchronous network may
//! deliver any message at any later time (Raft §5.1 assumes no more), so a
//! correct node refuses both by their stale terms; a node that counts the
//! old vote or accepts the old leader breaks Figure 2's rules at once,
//! where a random delay would rarely land in the window.
//!
//! The stash is protocol-aware: each step the executor shows the sender's
//! stash every node's state ([`StaleStash::take_due`]) and hands what came
//! due to the recipient's switch, whose driver takes it as input before
//! its next one (the outbound seam's `delivered_late`), so the old copy
//! lands in the window where it misleads, ahead of the current traffic.

use crate::trigger::NodeState;
use faultline_raft::{Message, MessageBody};

/// How many copies of each kind (votes, AppendEntries) one node's stash
/// holds at most (the oldest go first): frequent heartbeats never crowd
/// out the rare votes.
const KEPT_MAX: usize = 16;

/// One node's kept copies (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct StaleStash {
    /// Whether new messages are kept.
    keeping: bool,
    /// Whether kept copies are delivered when their moment comes.
    delivering: bool,
    /// Copies waiting for their moment, oldest first.
    kept: Vec<Message>,
    /// Old copies addressed to this node, delivered with its next loop.
    arriving: Vec<Message>,
    /// Copies this node received late so far.
    replayed: u64,
}

impl StaleStash {
    /// Starts or stops keeping copies of new messages.
    pub(crate) fn set_keeping(&mut self, keeping: bool) {
        self.keeping = keeping;
    }

    /// Starts or stops delivering kept copies (the fault's start and stop).
    pub(crate) fn set_delivering(&mut self, delivering: bool) {
        self.delivering = delivering;
    }

    /// Drops every copy and stops keeping and delivering (the final heal).
    pub(crate) fn forget(&mut self) {
        self.keeping = false;
        self.delivering = false;
        self.kept.clear();
        self.arriving.clear();
    }

    /// Keeps a copy of `message` if it is a kind worth replaying: one copy
    /// per recipient, kind and term (the newest).
    pub(crate) fn keep(&mut self, message: &Message) {
        if !self.keeping || !replayable(&message.body) {
            return;
        }
        self.kept.retain(|k| {
            !(k.to == message.to
                && k.term == message.term
                && std::mem::discriminant(&k.body) == std::mem::discriminant(&message.body))
        });
        let vote = is_vote(&message.body);
        if self
            .kept
            .iter()
            .filter(|k| is_vote(&k.body) == vote)
            .count()
            >= KEPT_MAX
        {
            if let Some(oldest) = self.kept.iter().position(|k| is_vote(&k.body) == vote) {
                self.kept.remove(oldest);
            }
        }
        self.kept.push(message.clone());
    }

    /// Takes out each copy whose moment has come (see the module docs):
    /// its recipient runs in a later term and, for a vote, campaigns; for
    /// an AppendEntries, neither leads nor knows its new leader.
    pub(crate) fn take_due(&mut self, view: &[NodeState]) -> Vec<Message> {
        if !self.delivering || self.kept.is_empty() {
            return Vec::new();
        }
        let due = |m: &Message| {
            view.iter().find(|n| n.id == m.to).is_some_and(|n| {
                let moment = if is_vote(&m.body) {
                    n.campaigning
                } else {
                    !n.leads && !n.knows_leader
                };
                n.running && n.term > m.term && moment
            })
        };
        let (due, kept) = std::mem::take(&mut self.kept).into_iter().partition(due);
        self.kept = kept;
        due
    }

    /// Queues an old copy addressed to this node.
    pub(crate) fn arrive(&mut self, message: Message) {
        self.arriving.push(message);
    }

    /// The old copies to take as input now, counted as replayed.
    pub(crate) fn deliver(&mut self) -> Vec<Message> {
        self.replayed += self.arriving.len() as u64;
        std::mem::take(&mut self.arriving)
    }

    /// Old copies this node received so far.
    pub(crate) fn replayed(&self) -> u64 {
        self.replayed
    }
}

/// A granted vote of a real election (pre-votes change no term).
fn is_vote(body: &MessageBody) -> bool {
    matches!(
        body,
        MessageBody::RequestVoteResponse {
            pre_vote: false,
            granted: true
        }
    )
}

fn replayable(body: &MessageBody) -> bool {
    is_vote(body) || matches!(body, MessageBody::AppendEntries { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(from: u64, to: u64, term: u64) -> Message {
        Message {
            from,
            to,
            term,
            body: MessageBody::RequestVoteResponse {
                pre_vote: false,
                granted: true,
            },
        }
    }

    fn append(from: u64, to: u64, term: u64, commit: u64) -> Message {
        Message {
            from,
            to,
            term,
            body: MessageBody::AppendEntries {
                prev_log_index: 0,
                prev_log_term: 0,
                entries: Vec::new(),
                leader_commit: commit,
                read_round: 0,
            },
        }
    }

    fn state(id: u64, term: u64, campaigning: bool) -> NodeState {
        NodeState {
            id,
            running: true,
            term,
            campaigning,
            ..NodeState::default()
        }
    }

    #[test]
    fn a_vote_comes_back_when_its_candidate_campaigns_in_a_later_term() {
        let mut s = StaleStash::default();
        s.keep(&vote(2, 1, 3));
        assert!(s.kept.is_empty(), "nothing is kept before the fault starts");
        s.set_keeping(true);
        s.keep(&vote(2, 1, 3));
        // Kept, but not delivered before the fault starts.
        assert!(s.take_due(&[state(1, 5, true)]).is_empty());
        s.set_delivering(true);
        // A refused vote or a pre-vote is not worth replaying.
        s.keep(&Message {
            body: MessageBody::RequestVoteResponse {
                pre_vote: true,
                granted: true,
            },
            ..vote(2, 1, 3)
        });
        assert_eq!(s.kept.len(), 1);
        // Same term, or a later term without a campaign: not yet.
        assert!(s.take_due(&[state(1, 3, true)]).is_empty());
        assert!(s.take_due(&[state(1, 4, false)]).is_empty());
        assert_eq!(s.take_due(&[state(1, 5, true)]), vec![vote(2, 1, 3)]);
        // Taken once only.
        assert!(s.take_due(&[state(1, 6, true)]).is_empty());
        // The recipient's side counts what it was handed.
        let mut r = StaleStash::default();
        r.arrive(vote(2, 1, 3));
        assert_eq!(r.deliver(), vec![vote(2, 1, 3)]);
        assert!(r.deliver().is_empty());
        assert_eq!(r.replayed(), 1);
    }

    #[test]
    fn an_append_comes_back_once_its_recipient_moved_on_and_the_newest_of_a_term_is_kept() {
        let mut s = StaleStash::default();
        s.set_keeping(true);
        s.set_delivering(true);
        s.keep(&append(1, 2, 3, 5));
        s.keep(&append(1, 2, 3, 6));
        s.keep(&append(1, 3, 3, 6));
        assert_eq!(s.kept.len(), 2);
        s.set_keeping(false);
        s.keep(&append(1, 2, 4, 9));
        assert_eq!(s.kept.len(), 2, "stopped keeping");
        // A crashed recipient gets nothing; a running one of a later term does.
        let mut down = state(2, 4, false);
        down.running = false;
        assert!(s.take_due(&[down, state(3, 3, false)]).is_empty());
        // Nor one that follows its new leader, or leads.
        let mut follows = state(2, 4, false);
        follows.knows_leader = true;
        let mut leads = state(2, 4, false);
        leads.leads = true;
        assert!(s.take_due(&[follows, state(3, 3, false)]).is_empty());
        assert!(s.take_due(&[leads, state(3, 3, false)]).is_empty());
        assert_eq!(
            s.take_due(&[state(2, 4, false), state(3, 3, false)]),
            vec![append(1, 2, 3, 6)]
        );
        s.forget();
        assert!(s.take_due(&[state(3, 9, false)]).is_empty());
    }

    #[test]
    fn the_stash_is_bounded_per_kind_oldest_first() {
        let mut s = StaleStash::default();
        s.set_keeping(true);
        s.keep(&vote(2, 1, 1));
        for term in 1..=(KEPT_MAX as u64 + 4) {
            s.keep(&append(1, 2, term, 0));
        }
        assert_eq!(s.kept.len(), KEPT_MAX + 1);
        assert_eq!(s.kept[0], vote(2, 1, 1), "heartbeats never evict a vote");
        assert_eq!(s.kept[1].term, 5);
    }
}
