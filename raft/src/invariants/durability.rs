//! The persistence contract (Raft §5.1 and Figure 2, "Persistent state"):
//! whatever a message promises is durable before the message leaves.
//!
//! * any message of term `t` (other than pre-vote traffic, which may carry
//!   a future term) is sent only once term `t` is durable;
//! * a granted vote for `c` in term `t` is sent only once the durable hard
//!   state records term `t` and the vote for `c`;
//! * a successful AppendEntries answer with match index `m` is sent only once
//!   the durable log reaches `m`, with the same term there as in memory.
//!
//! Checked on every message at the moment the driver sends it, against the
//! disk's durable (synced) view only.

use super::{names, Violation};
use crate::{HardState, LogIndex, Message, MessageBody, Term};

const NAME: &str = names::PERSISTENCE_CONTRACT;

/// What the disk holds durably, as far as promises are concerned.
pub trait DurableView {
    /// The durable hard state.
    fn hard_state(&self) -> HardState;
    /// The durable last index (the snapshot's when the log is empty).
    fn last_index(&self) -> LogIndex;
    /// The durable term at `index`, if stored (or the snapshot's boundary).
    fn term(&self, index: LogIndex) -> Option<Term>;
}

/// Checks one outgoing message against the durable state. `memory_term_at`
/// is the core's in-memory term at an index.
pub fn check_promise(
    message: &Message,
    durable: &dyn DurableView,
    memory_term_at: &dyn Fn(LogIndex) -> Option<Term>,
) -> Result<(), Violation> {
    let id = message.from;
    let hard_state = durable.hard_state();
    let pre_vote = matches!(
        message.body,
        MessageBody::RequestVote { pre_vote: true, .. }
            | MessageBody::RequestVoteResponse { pre_vote: true, .. }
    );
    if !pre_vote && hard_state.term < message.term {
        return Err(Violation::new(
            NAME,
            format!(
                "node {id} sent a {} of term {} while its durable term is {}",
                message.body.kind(),
                message.term,
                hard_state.term
            ),
        ));
    }
    match &message.body {
        MessageBody::RequestVoteResponse {
            pre_vote: false,
            granted: true,
        } if hard_state.term == message.term && hard_state.voted_for != Some(message.to) => {
            return Err(Violation::new(
                NAME,
                format!(
                    "node {id} granted its term-{} vote to {} while its durable vote is {:?}",
                    message.term, message.to, hard_state.voted_for
                ),
            ));
        }
        MessageBody::AppendEntriesResponse {
            success: true,
            match_index,
            ..
        } => {
            let m = *match_index;
            if durable.last_index() < m {
                return Err(Violation::new(
                    NAME,
                    format!(
                        "node {id} acknowledged entries up to {m} while its durable log ends at {}",
                        durable.last_index()
                    ),
                ));
            }
            let in_memory = memory_term_at(m);
            if m > 0 && in_memory.is_some() && durable.term(m).is_some_and(|t| Some(t) != in_memory)
            {
                return Err(Violation::new(
                    NAME,
                    format!(
                        "node {id} acknowledged index {m} (term {in_memory:?} in memory) while the \
                         durable log has term {:?} there",
                        durable.term(m)
                    ),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}
