//! The randomized safety harness (issue 2, "Tests").
//!
//! Each seed simulates 3 to 5 Raft cores, deterministically and on one
//! thread, over a network that drops, delays, reorders and duplicates
//! messages, with partitions that heal, crashes (some striking in the middle
//! of persisting) and restarts from the synced disk alone, client proposals
//! and reads at random nodes, application snapshots (so lagging and restarted
//! nodes receive InstallSnapshot in chunks) and leadership transfers. After
//! every step it checks election safety, log matching, leader completeness,
//! commit monotonicity, state machine safety and read freshness; at the end
//! it heals everything and requires a leader that commits a new proposal on
//! every node. See `support/` for the pieces.
//!
//! Sensitivity (measured by injecting bugs into a scratch copy of the core,
//! 1000 seeds each): votes granted without the up-to-date check fail ~40% of
//! seeds (leader completeness); a vote left out of the persisted hard state
//! fails every seed (persistence contract); a follower truncating at every
//! AppendEntries fails ~49% (leader completeness); committing old-term
//! entries by counting replicas (Figure 8) fails ~0.7% (stale reads).
//!
//! Environment knobs: `FAULTLINE_SEEDS` (how many seeds the bulk test runs,
//! default 1000), `FAULTLINE_SEED_START` (the first of them, default 0),
//! `FAULTLINE_SEED` (the seed `one_seed` runs), `FAULTLINE_TRACE=1` (print
//! `one_seed`'s whole trace).

mod support;

use faultline_raft::{Entry, EntryPayload, LogIndex, NodeId, ReadOutcome, Term};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use support::invariants::commit::CommitTracker;
use support::invariants::election::ElectionSafety;
use support::invariants::log_matching::LogMatching;
use support::invariants::reads::ReadCheck;
use support::invariants::state_machine::StateMachineSafety;
use support::invariants::{leader_completeness, LogShape, NodeView, Violation};
use support::sim::{RunOutcome, RunStats, Simulation};

/// Trace lines printed with a failure.
const TRACE_TAIL_LINES: usize = 80;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a non-negative integer")),
        Err(_) => default,
    }
}

fn reproduce_command(seed: u64) -> String {
    format!(
        "FAULTLINE_SEED={seed} cargo test -p faultline-raft --test randomized -- one_seed \
         --nocapture"
    )
}

/// Re-runs a failing seed with tracing on and renders the failure report.
fn failure_report(seed: u64, violation: &Violation) -> String {
    let traced = Simulation::run(seed, true);
    let reproduced = traced.violation.as_ref() == Some(violation);
    let mut report = format!(
        "seed {seed}: {violation}\nreproduce: {}\n",
        reproduce_command(seed)
    );
    if !reproduced {
        report.push_str(&format!(
            "WARNING: the traced re-run ended with {:?} (non-determinism?)\n",
            traced.violation
        ));
    }
    report.push_str(&format!("last {TRACE_TAIL_LINES} trace lines:\n"));
    for line in traced.trace.tail(TRACE_TAIL_LINES) {
        report.push_str(line);
        report.push('\n');
    }
    report
}

fn add_stats(total: &mut RunStats, run: &RunStats) {
    total.ticks += run.ticks;
    total.iterations += run.iterations;
    total.rejected_inputs += run.rejected_inputs;
    total.crashes += run.crashes;
    total.restarts += run.restarts;
    total.partitions += run.partitions;
    total.snapshots_taken += run.snapshots_taken;
    total.snapshots_installed += run.snapshots_installed;
    total.transfers += run.transfers;
    total.garbage_rejected += run.garbage_rejected;
    total.leader_terms += run.leader_terms;
    total.max_committed += run.max_committed;
    total.acknowledged += run.acknowledged;
    total.reads_ready += run.reads_ready;
    total.net.sent += run.net.sent;
    total.net.delivered += run.net.delivered;
    total.net.dropped_random += run.net.dropped_random;
    total.net.dropped_partition += run.net.dropped_partition;
    total.net.dropped_overflow += run.net.dropped_overflow;
    total.net.dropped_down += run.net.dropped_down;
    total.net.duplicated += run.net.duplicated;
}

/// Runs `count` seeds from `start` on every available core; returns the
/// summed statistics and the failures, lowest seed first.
fn run_seeds(start: u64, count: u64) -> (RunStats, Vec<(u64, Violation)>) {
    let next = AtomicU64::new(start);
    let end = start + count;
    let totals = Mutex::new(RunStats::default());
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= end {
                    break;
                }
                let RunOutcome {
                    violation, stats, ..
                } = Simulation::run(seed, false);
                add_stats(&mut totals.lock().expect("no poisoning"), &stats);
                if let Some(violation) = violation {
                    failures
                        .lock()
                        .expect("no poisoning")
                        .push((seed, violation));
                }
            });
        }
    });
    let mut failures = failures.into_inner().expect("no poisoning");
    failures.sort_by_key(|(seed, _)| *seed);
    (totals.into_inner().expect("no poisoning"), failures)
}

#[test]
fn random_seeds_keep_every_safety_invariant_and_recover_liveness() {
    let start = env_u64("FAULTLINE_SEED_START", 0);
    let count = env_u64("FAULTLINE_SEEDS", 1000);
    let (totals, failures) = run_seeds(start, count);
    println!("{count} seeds from {start}: {totals:?}");
    if let Some((seed, violation)) = failures.first() {
        let seeds: Vec<u64> = failures.iter().map(|(s, _)| *s).collect();
        panic!(
            "{} of {count} seeds failed: {seeds:?}\nfirst failure:\n{}",
            failures.len(),
            failure_report(*seed, violation)
        );
    }
    // The harness must actually exercise what it claims to (a harness that
    // silently stopped crashing nodes or installing snapshots would pass
    // everything).
    if count >= 100 {
        assert!(
            totals.crashes > 0 && totals.restarts > 0,
            "no crashes: {totals:?}"
        );
        assert!(totals.partitions > 0, "no partitions: {totals:?}");
        assert!(totals.garbage_rejected > 0, "no bad input: {totals:?}");
        assert!(totals.transfers > 0, "no leadership transfer: {totals:?}");
        assert!(
            totals.snapshots_installed > 0,
            "no InstallSnapshot: {totals:?}"
        );
        assert!(totals.acknowledged > 0, "nothing acknowledged: {totals:?}");
        assert!(totals.reads_ready > 0, "no read served: {totals:?}");
        assert!(totals.leader_terms > count, "too few elections: {totals:?}");
        assert!(
            totals.net.dropped_random > 0 && totals.net.duplicated > 0,
            "no lossy network: {totals:?}"
        );
    }
}

#[test]
fn one_seed() {
    let seed = env_u64("FAULTLINE_SEED", 0);
    let outcome = Simulation::run(seed, true);
    if std::env::var("FAULTLINE_TRACE").is_ok_and(|v| v == "1") {
        for line in outcome.trace.lines() {
            println!("{line}");
        }
    }
    println!("seed {seed}: {:?}", outcome.stats);
    if let Some(violation) = &outcome.violation {
        panic!("{}", failure_report(seed, violation));
    }
}

#[test]
fn same_seed_produces_identical_trace() {
    let seed = env_u64("FAULTLINE_SEED", 7);
    let first = Simulation::run(seed, true);
    let second = Simulation::run(seed, true);
    assert!(
        first.trace.lines().len() > 100,
        "the trace is implausibly short"
    );
    assert_eq!(first.trace.lines(), second.trace.lines());
    assert_eq!(first.trace.hash(), second.trace.hash());
    assert_eq!(first.stats, second.stats);
    let other = Simulation::run(seed + 1, true);
    assert_ne!(
        first.trace.hash(),
        other.trace.hash(),
        "different seeds, same trace"
    );
}

/// A hand-made node for proving that each invariant can fail.
struct FakeNode {
    id: NodeId,
    term: Term,
    leader: bool,
    commit: LogIndex,
    /// `(term, payload)` of entries 1..
    log: Vec<(Term, &'static str)>,
}

impl NodeView for FakeNode {
    fn id(&self) -> NodeId {
        self.id
    }
    fn term(&self) -> Term {
        self.term
    }
    fn is_leader(&self) -> bool {
        self.leader
    }
    fn commit_index(&self) -> LogIndex {
        self.commit
    }
    fn first_index(&self) -> LogIndex {
        1
    }
    fn last_index(&self) -> LogIndex {
        self.log.len() as LogIndex
    }
    fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.log.get(index as usize - 1).map(|(t, _)| *t)
    }
    fn entry(&self, index: LogIndex) -> Option<Entry> {
        let (term, data) = self.log.get((index as usize).checked_sub(1)?)?;
        Some(Entry {
            term: *term,
            index,
            payload: EntryPayload::Command(data.as_bytes().to_vec()),
        })
    }
}

fn fake(id: NodeId, term: Term, commit: LogIndex, log: Vec<(Term, &'static str)>) -> FakeNode {
    FakeNode {
        id,
        term,
        leader: false,
        commit,
        log,
    }
}

#[test]
fn election_safety_flags_two_leaders_in_one_term() {
    let mut check = ElectionSafety::default();
    assert!(check.observe(1, 3, true).is_ok());
    assert!(check.observe(2, 3, false).is_ok());
    assert!(check.observe(2, 4, true).is_ok());
    let violation = check.observe(2, 3, true).unwrap_err();
    assert_eq!(violation.invariant, "election safety");
}

#[test]
fn log_matching_flags_same_index_and_term_with_different_payloads() {
    let mut check = LogMatching::default();
    let a = fake(1, 2, 0, vec![(1, "x"), (2, "y")]);
    let b = fake(2, 2, 0, vec![(1, "x"), (2, "z")]);
    assert!(check.observe(&a).is_ok());
    assert_eq!(check.observe(&b).unwrap_err().invariant, "log matching");
}

#[test]
fn log_matching_flags_same_entry_after_different_prefixes() {
    let mut check = LogMatching::default();
    let a = fake(1, 3, 0, vec![(1, "x"), (3, "y")]);
    let b = fake(2, 3, 0, vec![(2, "w"), (3, "y")]);
    assert!(check.observe(&a).is_ok());
    assert_eq!(check.observe(&b).unwrap_err().invariant, "log matching");
}

#[test]
fn log_matching_accepts_a_legitimately_overwritten_suffix() {
    let mut check = LogMatching::default();
    let before = fake(1, 2, 1, vec![(1, "x"), (1, "stale")]);
    let after = fake(1, 2, 1, vec![(1, "x"), (2, "new")]);
    assert!(check.observe(&before).is_ok());
    assert!(check.observe(&after).is_ok());
}

#[test]
fn commit_check_flags_regression_and_disagreement() {
    let mut commits = CommitTracker::default();
    let mut logs = LogMatching::default();
    let node = fake(1, 1, 2, vec![(1, "a"), (1, "b")]);
    let shape = logs.observe(&node).unwrap();
    assert!(commits.observe(&node, &shape).is_ok());
    let regressed = fake(1, 1, 1, vec![(1, "a"), (1, "b")]);
    let violation = commits.observe(&regressed, &shape).unwrap_err();
    assert_eq!(violation.invariant, "commit safety");
    let other = fake(2, 2, 2, vec![(1, "a"), (2, "c")]);
    let shape = logs.observe(&other).unwrap();
    assert_eq!(
        commits.observe(&other, &shape).unwrap_err().invariant,
        "commit safety"
    );
}

#[test]
fn leader_completeness_flags_a_leader_missing_a_committed_entry() {
    let mut commits = CommitTracker::default();
    let follower = fake(1, 2, 2, vec![(1, "a"), (2, "b")]);
    let shape = LogMatching::default().observe(&follower).unwrap();
    commits.observe(&follower, &shape).unwrap();
    let mut leader = fake(2, 3, 1, vec![(1, "a")]);
    leader.leader = true;
    let shape = LogShape {
        base: 0,
        base_term: Some(0),
        terms: vec![1],
    };
    let violation = leader_completeness::check(&leader, &shape, &commits).unwrap_err();
    assert_eq!(violation.invariant, "leader completeness");
    // A stale leader of an older term may lack it.
    leader.term = 1;
    assert!(leader_completeness::check(&leader, &shape, &commits).is_ok());
}

#[test]
fn state_machine_safety_flags_different_entries_applied_at_one_index() {
    let mut check = StateMachineSafety::default();
    assert!(check.reached(1, 1, 0xaaaa, 1, "applied").is_ok());
    assert!(check.reached(2, 1, 0xaaaa, 1, "applied").is_ok());
    let violation = check.reached(3, 1, 0xbbbb, 1, "applied").unwrap_err();
    assert_eq!(violation.invariant, "state machine safety");
    let beyond_commit = check.reached(1, 2, 0xcccc, 1, "applied").unwrap_err();
    assert_eq!(beyond_commit.invariant, "state machine safety");
}

#[test]
fn read_check_flags_a_read_below_an_acknowledged_write() {
    let mut check = ReadCheck::default();
    check.acknowledged(5);
    check.issued(1, 1);
    let stale = check.answered(1, 1, &ReadOutcome::Ready { index: 4 }, 9);
    assert_eq!(stale.unwrap_err().invariant, "read linearizability");
    check.issued(2, 1);
    assert!(check
        .answered(2, 1, &ReadOutcome::Ready { index: 5 }, 9)
        .is_ok());
}
