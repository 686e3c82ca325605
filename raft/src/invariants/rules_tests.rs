//! Each message rule fails on hand-made facts that break it and passes on
//! the facts a correct node produces.

use super::*;

fn five() -> Membership {
    Membership::new(1..=5)
}

fn node(role: Role, term: Term) -> NodeFacts {
    NodeFacts {
        id: 1,
        role,
        term,
        commit: 3,
        commit_term: Some(1),
        last_index: 5,
        last_term: 2,
    }
}

fn msg(from: NodeId, term: Term, kind: IncomingKind) -> Incoming {
    Incoming { from, term, kind }
}

fn vote_request(last_log_index: LogIndex, last_log_term: Term) -> IncomingKind {
    IncomingKind::Vote {
        pre_vote: false,
        last_log_index,
        last_log_term,
    }
}

fn vote(to: NodeId, term: Term, granted: bool) -> Sent {
    Sent::Vote {
        to,
        term,
        pre_vote: false,
        granted,
    }
}

const GRANTED: IncomingKind = IncomingKind::VoteResponse {
    pre_vote: false,
    granted: true,
};

/// Runs one input through fresh rules and returns the rules broken.
fn broken(
    before: NodeFacts,
    m: Option<Incoming>,
    after: NodeFacts,
    sent: &[Sent],
) -> Vec<&'static str> {
    let mut rules = MessageRules::default();
    names_of(rules.check(&before, m.as_ref(), &after, sent, &five()))
}

fn names_of(found: Vec<Violation>) -> Vec<&'static str> {
    found.into_iter().map(|v| v.invariant).collect()
}

#[test]
fn a_newer_term_in_appendentries_or_a_response_is_adopted() {
    let before = node(Role::Follower, 3);
    let append = msg(2, 5, IncomingKind::Append);
    let stayed = broken(before, Some(append), before, &[]);
    assert_eq!(stayed, vec![names::TERM_ADOPTION]);
    let adopted = broken(before, Some(append), node(Role::Follower, 5), &[]);
    assert!(adopted.is_empty(), "{adopted:?}");
    let leader = node(Role::Leader, 3);
    let answer = msg(2, 4, IncomingKind::AppendResponse);
    assert_eq!(
        broken(leader, Some(answer), leader, &[]),
        vec![names::TERM_ADOPTION]
    );
}

#[test]
fn vote_requests_pre_votes_and_strangers_need_not_move_the_term() {
    let before = node(Role::Follower, 3);
    let request = msg(2, 5, vote_request(9, 3));
    assert!(broken(before, Some(request), before, &[]).is_empty());
    let pre_vote_answer = IncomingKind::VoteResponse {
        pre_vote: true,
        granted: false,
    };
    assert!(broken(before, Some(msg(2, 5, pre_vote_answer)), before, &[]).is_empty());
    let stranger = msg(9, 5, IncomingKind::Append);
    assert!(broken(before, Some(stranger), before, &[]).is_empty());
}

#[test]
fn appendentries_or_a_vote_request_of_a_stale_term_is_never_accepted() {
    let before = node(Role::Follower, 3);
    let append = msg(2, 2, IncomingKind::Append);
    let accepted = [Sent::AppendResponse {
        to: 2,
        success: true,
    }];
    assert_eq!(
        broken(before, Some(append), before, &accepted),
        vec![names::STALE_TERM_REFUSED]
    );
    let refused = [Sent::AppendResponse {
        to: 2,
        success: false,
    }];
    assert!(broken(before, Some(append), before, &refused).is_empty());
    let request = msg(2, 2, vote_request(9, 3));
    let found = broken(before, Some(request), before, &[vote(2, 3, true)]);
    assert!(found.contains(&names::STALE_TERM_REFUSED), "{found:?}");
}

#[test]
fn a_vote_goes_only_to_a_log_at_least_as_up_to_date_by_last_term_then_length() {
    let before = node(Role::Follower, 3);
    let after = node(Role::Follower, 4);
    // Longer, but of an older last term (the by-length bug grants this).
    let longer_older = msg(2, 4, vote_request(10, 1));
    assert_eq!(
        broken(before, Some(longer_older), after, &[vote(2, 4, true)]),
        vec![names::VOTE_RESTRICTION]
    );
    let shorter_same_term = msg(2, 4, vote_request(4, 2));
    assert_eq!(
        broken(before, Some(shorter_same_term), after, &[vote(2, 4, true)]),
        vec![names::VOTE_RESTRICTION]
    );
    let equal = msg(2, 4, vote_request(5, 2));
    assert!(broken(before, Some(equal), after, &[vote(2, 4, true)]).is_empty());
    let shorter_newer = msg(2, 4, vote_request(2, 3));
    assert!(broken(before, Some(shorter_newer), after, &[vote(2, 4, true)]).is_empty());
    assert!(broken(before, Some(longer_older), after, &[vote(2, 4, false)]).is_empty());
}

#[test]
fn one_vote_per_term_however_many_inputs_apart() {
    let mut rules = MessageRules::default();
    let f = node(Role::Follower, 4);
    let mut check = |sent: &[Sent]| names_of(rules.check(&f, None, &f, sent, &five()));
    assert!(check(&[vote(2, 4, true)]).is_empty());
    assert!(check(&[vote(2, 4, true)]).is_empty(), "a repeated answer");
    assert!(check(&[vote(3, 4, false)]).is_empty(), "a refusal");
    assert!(check(&[vote(3, 5, true)]).is_empty(), "the next term");
    assert_eq!(check(&[vote(3, 4, true)]), vec![names::VOTE_RESTRICTION]);
}

#[test]
fn a_leader_holds_votes_of_its_own_term_from_a_quorum() {
    let candidate = node(Role::Candidate, 4);
    let leader = node(Role::Leader, 4);
    let mut rules = MessageRules::default();
    let mut take = |from: NodeId, term: Term, after: NodeFacts| {
        let m = msg(from, term, GRANTED);
        names_of(rules.check(&candidate, Some(&m), &after, &[], &five()))
    };
    assert!(take(2, 4, candidate).is_empty());
    // A vote of an earlier term does not count (the earlier-term bug).
    assert_eq!(take(3, 3, leader), vec![names::ELECTION_QUORUM]);
    assert!(take(3, 4, leader).is_empty(), "itself, n2 and n3: 3 of 5");
}

#[test]
fn votes_of_an_earlier_campaign_do_not_elect() {
    let mut rules = MessageRules::default();
    let five = five();
    for from in [2, 3] {
        let m = msg(from, 3, GRANTED);
        let c = node(Role::Candidate, 3);
        assert!(rules.check(&c, Some(&m), &c, &[], &five).is_empty());
    }
    let m = msg(2, 4, GRANTED);
    let found = rules.check(
        &node(Role::Candidate, 4),
        Some(&m),
        &node(Role::Leader, 4),
        &[],
        &five,
    );
    assert_eq!(names_of(found), vec![names::ELECTION_QUORUM]);
}

#[test]
fn a_single_voter_elects_itself() {
    let mut rules = MessageRules::default();
    let one = Membership::new([1]);
    let found = rules.check(
        &node(Role::Candidate, 2),
        None,
        &node(Role::Leader, 2),
        &[],
        &one,
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_leader_advances_its_commit_only_to_an_entry_of_its_term() {
    let before = node(Role::Leader, 4);
    let to = |commit_term: Option<Term>| NodeFacts {
        commit: 5,
        commit_term,
        ..before
    };
    assert_eq!(
        broken(before, None, to(Some(2)), &[]),
        vec![names::CURRENT_TERM_COMMIT]
    );
    assert!(broken(before, None, to(Some(4)), &[]).is_empty());
    assert!(broken(before, None, to(None), &[]).is_empty(), "compacted");
    let follower = node(Role::Follower, 4);
    let follows = NodeFacts {
        commit: 5,
        ..follower
    };
    assert!(broken(follower, None, follows, &[]).is_empty());
}
