//! Quorum arithmetic over a configuration: the one place that knows what "a
//! quorum of the voters" means.
//!
//! Every decision that needs a quorum goes through these three functions:
//!
//! * [`committed_index`] gives the highest value a quorum has reached (a
//!   leader's commit index from the match indices, the highest read round a
//!   quorum has answered);
//! * [`vote_result`] tells whether an election is won, lost or still open;
//! * [`has_quorum`] tells whether a set of voters (the ones heard from, or
//!   just this node) forms a quorum.
//!
//! A simple configuration is a single majority: of `n` voters, any
//! `n / 2 + 1` form a quorum (an even-sized group needs more than half, so a
//! tie decides nothing). A configuration with no voters has no quorum at
//! all: nothing commits, no election is won, no set is a quorum.
//!
//! # Joint consensus
//!
//! A joint configuration `C_old,new` (Raft §6) needs separate majorities of
//! both voter sets ([`Membership::outgoing`] and [`Membership::voters`]):
//!
//! * [`committed_index`] takes the smaller of the two majorities' values;
//! * [`vote_result`] is won if both are won, lost if either is lost, else
//!   pending;
//! * [`has_quorum`] needs both.
//!
//! Callers never count voters themselves. They pass a [`Quorum`]: a
//! configuration and the rule combining its halves, which is always
//! [`JointRule::BothMajorities`] except under the seeded bug
//! [`crate::bugs::Bug::JointQuorumLargerMajority`].

use crate::types::{Membership, NodeId};
use std::collections::BTreeSet;

/// The outcome of counting the votes of one election.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VoteResult {
    /// A quorum granted its vote.
    Won,
    /// Enough voters refused that no quorum can grant any more.
    Lost,
    /// Neither yet: some voters have not answered.
    Pending,
}

/// How the two halves of a joint configuration combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JointRule {
    /// A majority of C_old and a majority of C_new, separately (Raft §6).
    BothMajorities,
    /// Seeded bug: as many voters of the union as the larger of the two
    /// majorities, from either half.
    LargerMajority,
}

/// A configuration and the rule that combines its halves while joint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quorum<'a> {
    membership: &'a Membership,
    rule: JointRule,
}

impl<'a> Quorum<'a> {
    /// The quorums of `membership` under `rule`.
    pub(crate) fn new(membership: &'a Membership, rule: JointRule) -> Self {
        Quorum { membership, rule }
    }

    /// The voter sets whose quorums must all agree, with the number of
    /// their voters that forms a quorum.
    fn groups(&self) -> Vec<(Vec<NodeId>, usize)> {
        let m = self.membership;
        let majority = |set: &BTreeSet<NodeId>| (set.iter().copied().collect(), set.len() / 2 + 1);
        if !m.is_joint() {
            return vec![majority(&m.voters)];
        }
        match self.rule {
            JointRule::BothMajorities => vec![majority(&m.outgoing), majority(&m.voters)],
            JointRule::LargerMajority => {
                let larger = (m.outgoing.len().max(m.voters.len())) / 2 + 1;
                vec![(m.all_voters().collect(), larger)]
            }
        }
    }
}

impl<'a> From<&'a Membership> for Quorum<'a> {
    fn from(membership: &'a Membership) -> Self {
        Quorum::new(membership, JointRule::BothMajorities)
    }
}

/// The highest value that a quorum of the voters has reached, where
/// `acked(voter)` is how far that voter got (a voter that did not answer
/// counts as 0). With no voters this is 0.
pub(crate) fn committed_index<'a>(
    quorum: impl Into<Quorum<'a>>,
    acked: impl Fn(NodeId) -> u64,
) -> u64 {
    index_reached_short_of(quorum, 0, acked)
}

/// The highest value reached by `shortfall` voters fewer than a quorum in
/// every group of `quorum` (0: the committed index).
fn index_reached_short_of<'a>(
    quorum: impl Into<Quorum<'a>>,
    shortfall: usize,
    acked: impl Fn(NodeId) -> u64,
) -> u64 {
    quorum
        .into()
        .groups()
        .iter()
        .map(|(voters, count)| {
            Majority(voters).index_reached_by(count.saturating_sub(shortfall), &acked)
        })
        .min()
        .unwrap_or(0)
}

/// Seeded bug [`crate::bugs::Bug::CommitQuorumOffByOne`]: the highest value
/// reached by one voter fewer than a quorum.
pub(crate) fn index_reached_by_one_fewer<'a>(
    quorum: impl Into<Quorum<'a>>,
    acked: impl Fn(NodeId) -> u64,
) -> u64 {
    index_reached_short_of(quorum, 1, acked)
}

/// Counts an election's votes: `vote(voter)` is `Some(granted)` for a voter
/// that answered and `None` for one that did not.
pub(crate) fn vote_result<'a>(
    quorum: impl Into<Quorum<'a>>,
    vote: impl Fn(NodeId) -> Option<bool>,
) -> VoteResult {
    let results: Vec<VoteResult> = quorum
        .into()
        .groups()
        .iter()
        .map(|(voters, count)| Majority(voters).vote_result(*count, &vote))
        .collect();
    if results.contains(&VoteResult::Lost) {
        VoteResult::Lost
    } else if results.iter().all(|r| *r == VoteResult::Won) {
        VoteResult::Won
    } else {
        VoteResult::Pending
    }
}

/// Whether the voters for which `member(voter)` holds form a quorum.
pub(crate) fn has_quorum<'a>(
    quorum: impl Into<Quorum<'a>>,
    member: impl Fn(NodeId) -> bool,
) -> bool {
    quorum
        .into()
        .groups()
        .iter()
        .all(|(voters, count)| Majority(voters).count(&member) >= *count)
}

/// One voter set, counted against a quorum size.
#[derive(Debug, Clone, Copy)]
struct Majority<'a>(&'a [NodeId]);

impl Majority<'_> {
    /// The highest value at least `count` voters reached (0 if fewer vote;
    /// a `count` of 0 asks as much as 1).
    fn index_reached_by(&self, count: usize, acked: &impl Fn(NodeId) -> u64) -> u64 {
        let mut values: Vec<u64> = self.0.iter().map(|&v| acked(v)).collect();
        values.sort_unstable_by(|a, b| b.cmp(a));
        values.get(count.max(1) - 1).copied().unwrap_or(0)
    }

    fn vote_result(&self, quorum: usize, vote: &impl Fn(NodeId) -> Option<bool>) -> VoteResult {
        let granted = self.count(&|v| vote(v) == Some(true));
        let rejected = self.count(&|v| vote(v) == Some(false));
        if granted >= quorum {
            VoteResult::Won
        } else if self.0.len().saturating_sub(rejected) < quorum {
            VoteResult::Lost
        } else {
            VoteResult::Pending
        }
    }

    fn count(&self, member: &impl Fn(NodeId) -> bool) -> usize {
        self.0.iter().filter(|&&v| member(v)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn voters(ids: &[NodeId]) -> Membership {
        Membership::new(ids.iter().copied())
    }

    fn acked(values: &[(NodeId, u64)]) -> impl Fn(NodeId) -> u64 + '_ {
        |id| {
            values
                .iter()
                .find(|(v, _)| *v == id)
                .map_or(0, |(_, value)| *value)
        }
    }

    fn votes(answers: &[(NodeId, bool)]) -> impl Fn(NodeId) -> Option<bool> {
        let answers: BTreeMap<NodeId, bool> = answers.iter().copied().collect();
        move |id| answers.get(&id).copied()
    }

    #[test]
    fn committed_index_is_the_value_a_majority_reached() {
        let m = voters(&[1, 2, 3]);
        assert_eq!(committed_index(&m, acked(&[(1, 5), (2, 3), (3, 9)])), 5);
        assert_eq!(committed_index(&m, acked(&[(1, 5)])), 0);
        assert_eq!(committed_index(&m, acked(&[(1, 5), (3, 4)])), 4);
        let five = voters(&[1, 2, 3, 4, 5]);
        let values = [(1, 10), (2, 9), (3, 8), (4, 7), (5, 6)];
        assert_eq!(committed_index(&five, acked(&values)), 8);
    }

    #[test]
    fn committed_index_of_an_even_group_needs_more_than_half() {
        let m = voters(&[1, 2, 3, 4]);
        // Two of four is a tie, not a quorum: the third-highest value counts.
        assert_eq!(
            committed_index(&m, acked(&[(1, 9), (2, 9), (3, 2), (4, 1)])),
            2
        );
        assert_eq!(committed_index(&m, acked(&[(1, 9), (2, 9)])), 0);
        let two = voters(&[1, 2]);
        assert_eq!(committed_index(&two, acked(&[(1, 7), (2, 3)])), 3);
    }

    #[test]
    fn committed_index_of_one_voter_is_its_own_and_of_none_is_zero() {
        assert_eq!(committed_index(&voters(&[4]), acked(&[(4, 11)])), 11);
        assert_eq!(committed_index(&voters(&[]), acked(&[(1, 11)])), 0);
        // Values of non-voters never count.
        assert_eq!(committed_index(&voters(&[4]), acked(&[(1, 11)])), 0);
    }

    #[test]
    fn vote_result_wins_loses_or_waits() {
        let m = voters(&[1, 2, 3]);
        assert_eq!(vote_result(&m, votes(&[(1, true)])), VoteResult::Pending);
        let won = votes(&[(1, true), (2, true)]);
        assert_eq!(vote_result(&m, won), VoteResult::Won);
        let lost = votes(&[(1, true), (2, false), (3, false)]);
        assert_eq!(vote_result(&m, lost), VoteResult::Lost);
        let open = votes(&[(1, true), (2, false)]);
        assert_eq!(vote_result(&m, open), VoteResult::Pending);
        // Answers from non-voters are not counted.
        let outsiders = votes(&[(1, true), (7, true), (8, true)]);
        assert_eq!(vote_result(&m, outsiders), VoteResult::Pending);
    }

    #[test]
    fn vote_result_of_a_tie_is_lost_once_no_quorum_can_grant() {
        let m = voters(&[1, 2, 3, 4]);
        let tie = votes(&[(1, true), (2, true), (3, false), (4, false)]);
        assert_eq!(vote_result(&m, tie), VoteResult::Lost);
        let half = votes(&[(1, true), (2, true), (3, false)]);
        assert_eq!(vote_result(&m, half), VoteResult::Pending);
        let two_down = votes(&[(3, false), (4, false)]);
        assert_eq!(vote_result(&m, two_down), VoteResult::Lost);
        let three = votes(&[(1, true), (2, true), (4, true)]);
        assert_eq!(vote_result(&m, three), VoteResult::Won);
    }

    #[test]
    fn vote_result_of_one_voter_and_of_none() {
        let one = voters(&[1]);
        assert_eq!(vote_result(&one, votes(&[(1, true)])), VoteResult::Won);
        assert_eq!(vote_result(&one, votes(&[(1, false)])), VoteResult::Lost);
        assert_eq!(vote_result(&one, votes(&[])), VoteResult::Pending);
        let none = voters(&[]);
        assert_eq!(vote_result(&none, votes(&[(1, true)])), VoteResult::Lost);
    }

    #[test]
    fn has_quorum_counts_only_voters_and_needs_a_majority() {
        let m = voters(&[1, 2, 3]);
        assert!(has_quorum(&m, |v| v != 3));
        assert!(!has_quorum(&m, |v| v == 1));
        let even = voters(&[1, 2, 3, 4]);
        assert!(!has_quorum(&even, |v| v <= 2), "a tie is no quorum");
        assert!(has_quorum(&even, |v| v <= 3));
        assert!(!has_quorum(&m, |v| v > 3), "non-voters do not count");
    }

    #[test]
    fn has_quorum_alone_only_as_the_single_voter() {
        assert!(has_quorum(&voters(&[5]), |v| v == 5));
        assert!(!has_quorum(&voters(&[5]), |v| v == 6));
        assert!(!has_quorum(&voters(&[5, 6]), |v| v == 5));
        assert!(!has_quorum(&voters(&[]), |_| true));
    }

    fn joint(old: &[NodeId], new: &[NodeId]) -> Membership {
        let mut m = voters(new);
        m.outgoing = old.iter().copied().collect();
        m
    }

    #[test]
    fn s6_joint_commit_is_the_smaller_of_both_majorities() {
        let m = joint(&[1, 2, 3], &[3, 4, 5]);
        let values = [(1, 9), (2, 9), (3, 4), (4, 6), (5, 2)];
        // C_old's majority reached 9, C_new's only 4.
        assert_eq!(committed_index(&m, acked(&values)), 4);
        let larger = Quorum::new(&m, JointRule::LargerMajority);
        // The bug: any 2 of the 5 (the majority of either 3-voter half)
        // suffice, so 9 commits with no voter of C_new but node 3.
        assert_eq!(committed_index(larger, acked(&values)), 9);
    }

    #[test]
    fn s6_joint_election_needs_both_majorities() {
        let m = joint(&[1, 2, 3], &[3, 4, 5]);
        let new_refuses = votes(&[(1, true), (2, true), (4, false), (5, false)]);
        assert_eq!(vote_result(&m, new_refuses), VoteResult::Lost);
        let old_only = votes(&[(1, true), (2, true)]);
        assert_eq!(vote_result(&m, old_only), VoteResult::Pending);
        let both = votes(&[(1, true), (3, true), (4, true)]);
        assert_eq!(vote_result(&m, both), VoteResult::Won);
        assert!(!has_quorum(&m, |v| v <= 2));
        assert!(has_quorum(&m, |v| (2..=4).contains(&v)));
        let larger = Quorum::new(&m, JointRule::LargerMajority);
        assert!(has_quorum(larger, |v| v == 1 || v == 2 || v == 5));
    }
}
