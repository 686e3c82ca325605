//! The seeded-bug catalogue: named, realistic single-rule mistakes a Raft
//! implementation makes, each behind a runtime switch, so that a test
//! framework can measure whether it catches them (`faultline hunt`).
//!
//! The switches are consulted only when the crate is built with the cargo
//! feature `bug-catalogue` (off by default: a crate depending on this one
//! never runs a seeded bug; the `faultline` binary turns it on). Without the
//! feature [`BugSet::on`] is the constant `false`, so every mutated branch
//! is dead code the compiler removes, and a configuration that asks for a
//! bug is refused by validation rather than silently run correct.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether this build consults bug switches.
pub const CATALOGUE_COMPILED: bool = cfg!(feature = "bug-catalogue");

macro_rules! catalogue {
    ($($variant:ident = $name:literal, $layer:literal, $rule:literal, $what:literal;)*) => {
        /// One seeded bug.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Bug {
            $(#[doc = $what] $variant,)*
        }

        impl Bug {
            /// Every bug, in catalogue order.
            pub const ALL: &'static [Bug] = &[$(Bug::$variant,)*];

            /// The bug's name, as `--inject-bug` takes it.
            pub fn name(self) -> &'static str {
                match self { $(Bug::$variant => $name,)* }
            }

            /// Where it lives: core, driver, storage, kv or client.
            pub fn layer(self) -> &'static str {
                match self { $(Bug::$variant => $layer,)* }
            }

            /// The rule it breaks (paper or thesis section).
            pub fn rule(self) -> &'static str {
                match self { $(Bug::$variant => $rule,)* }
            }

            /// What the mutated code does, in a sentence.
            pub fn description(self) -> &'static str {
                match self { $(Bug::$variant => $what,)* }
            }
        }
    };
}

catalogue! {
    Figure8Commit = "figure-8-commit", "core",
        "Raft §5.4.2 (Figure 8): only entries of the leader's term commit by counting replicas",
        "The leader commits an entry of an earlier term as soon as a majority holds it.";
    UpToDateByLength = "up-to-date-by-length", "core",
        "Raft §5.4.1: a vote needs the candidate's log up to date by last term, then length",
        "A voter compares logs by length alone, ignoring the last entries' terms.";
    CommitQuorumOffByOne = "commit-quorum-off-by-one", "core",
        "Raft §5.3: an entry commits once a majority of the voters holds it",
        "The leader commits an index held by one voter fewer than a majority.";
    FollowerCommitToLastIndex = "follower-commit-to-last-index", "core",
        "Raft Figure 2, AppendEntries rule 5: commit = min(leaderCommit, index of last new entry)",
        "A follower advances its commit index to min(leaderCommit, its last index), past what the leader's entries proved.";
    TruncateOnMatchingEntries = "truncate-on-matching-entries", "core",
        "Raft Figure 2, AppendEntries rule 3: truncate only at a conflicting entry",
        "A follower truncates its log after the leader's entries even where they match, dropping later entries it acknowledged.";
    StaleTermAppendAccepted = "stale-term-append-accepted", "core",
        "Raft §5.1 and Figure 2, AppendEntries rule 1: reply false if term < currentTerm",
        "A follower accepts AppendEntries from a leader of an older term.";
    VoteFromEarlierTerm = "vote-from-earlier-term", "core",
        "Raft §5.2: a candidate counts only votes granted in its own term",
        "A candidate counts a vote granted in an earlier term of its own campaigning.";
    NoStepDownOnHigherTerm = "no-step-down-on-higher-term", "core",
        "Raft §5.1: a node that sees a higher term in any message becomes a follower of it",
        "A leader ignores the higher term in an answer to its AppendEntries instead of stepping down.";
    VoteNotDurable = "vote-not-durable", "core",
        "Raft Figure 2, persistent state: votedFor is on stable storage before any reply",
        "The persisted hard state leaves out the vote, so a restarted node may vote twice in one term.";
    ReadBeforeFirstCommit = "read-before-first-commit", "core",
        "Raft thesis §6.4 step 1: a new leader serves reads only once an entry of its term has committed",
        "A new leader takes its commit index as the read index before committing in its term (it may lag the real commit).";
    ReadIndexNoHeartbeat = "read-index-no-heartbeat", "core",
        "Raft thesis §6.4: a ReadIndex read waits for a heartbeat round to a quorum",
        "The leader serves a ReadIndex read at once, without confirming it still leads.";
    LeaseNoDriftBound = "lease-no-drift-bound", "core",
        "Raft thesis §6.4.1: a lease lasts the election timeout minus the clock-drift bound",
        "The leader's read lease lasts the whole base election timeout, with no drift allowance.";
    LeaseOutlivesElectionTimeout = "lease-outlives-election-timeout", "core",
        "Raft thesis §6.4.1: a lease must end before any follower can time out and elect",
        "The leader's read lease lasts twice the base election timeout, past the longest election timeout.";
    NoCheckQuorum = "no-check-quorum", "core",
        "Raft thesis §6.2 and §9.6 (check-quorum): a leader that has not heard from a majority for an election timeout steps down",
        "The leader never checks that a majority still hears it: cut off, it keeps leading (and its clients keep waiting on it) until a higher term reaches it.";
    SnapshotInstallWrongLastTerm = "snapshot-install-wrong-last-term", "core",
        "Raft §7 and Figure 13 (InstallSnapshot): the follower keeps the snapshot's lastIncludedIndex and lastIncludedTerm",
        "A follower installing a snapshot records the leader's current term as the term of its last entry.";
    JointQuorumLargerMajority = "joint-quorum-larger-majority", "core",
        "Raft §6: in C_old,new, elections and commitment need a majority of C_old and, separately, a majority of C_new",
        "While joint, the core counts the union of both voter sets against the larger of the two majorities, so a quorum may lack a majority of one half.";
    ChangeBeforeTermCommit = "change-before-term-commit", "core",
        "Raft thesis §4.1 (the single-server change bug): a leader starts no configuration change until an entry of its own term has committed",
        "A new leader starts a membership change at once, while a change appended in an earlier term may still be uncommitted.";
    ConfigAtCommit = "config-at-commit", "core",
        "Raft §6 and thesis §4.1: a server uses the latest configuration in its log, committed or not",
        "A node switches to a new configuration only once its entry commits, so nodes decide quorums with different configurations.";
    TwoChangesInFlight = "two-changes-in-flight", "core",
        "Raft thesis §4.1: at most one configuration change is in flight (the previous one commits before the next starts)",
        "The leader starts a new single-server change while the previous one is still uncommitted.";
    AckWrongResultAfterLeaderChange = "ack-wrong-result-after-leader-change", "driver",
        "Raft thesis §6.3: a client is answered with the result of its own entry",
        "A proposer waiting at an index is answered with whatever entry committed there, even one of another term.";
    FollowerLocalReads = "follower-local-reads", "driver",
        "Raft thesis §6.4: only a leader that confirmed its leadership serves a linearizable read",
        "A follower answers reads from its own state machine instead of redirecting to the leader.";
    SessionNoDedup = "session-no-dedup", "kv",
        "Raft thesis §6.3: a retried command with a known (client, sequence) is not executed again",
        "The state machine executes a duplicate command again instead of returning the recorded reply.";
    SessionTableNotInSnapshot = "session-table-not-in-snapshot", "kv",
        "Raft thesis §6.3: client sessions are replicated state, saved in snapshots",
        "Snapshots leave out the client session table, so a retry after a snapshot install executes twice.";
    RetryNewSequence = "retry-new-sequence", "client",
        "Raft thesis §6.3: a client retries a command with the same sequence number",
        "The client gives a command a new sequence number when it retries after an unknown outcome.";
    WalSkipDirSync = "wal-skip-dir-sync", "storage",
        "Raft Figure 2: persistent state is on stable storage (a new file's name needs a directory sync)",
        "The write-ahead log never syncs its directory, so a new segment can vanish in a power loss.";
    AckBeforeDurable = "ack-before-durable", "driver",
        "Raft §5.1 and Figure 2: persist before responding to RPCs",
        "The node driver skips the sync: a step's messages (votes, append acknowledgements) promise writes still in the page cache.";
}

impl Bug {
    /// The bug named `name`, if the catalogue has it.
    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.iter().copied().find(|b| b.name() == name)
    }

    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The set of bugs switched on in one node (empty: correct Raft).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BugSet(u64);

impl BugSet {
    /// No bug.
    pub const NONE: BugSet = BugSet(0);

    /// The set holding `bugs`.
    pub fn of(bugs: impl IntoIterator<Item = Bug>) -> BugSet {
        let mut set = BugSet::NONE;
        for bug in bugs {
            set.insert(bug);
        }
        set
    }

    /// Switches `bug` on.
    pub fn insert(&mut self, bug: Bug) {
        self.0 |= bug.bit();
    }

    /// Whether `bug` is to be run: it is in the set and the build has the
    /// catalogue (constant `false` otherwise).
    #[inline]
    pub fn on(self, bug: Bug) -> bool {
        CATALOGUE_COMPILED && self.0 & bug.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The bugs in the set, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL
            .iter()
            .copied()
            .filter(move |b| self.0 & b.bit() != 0)
    }
}

impl fmt::Debug for BugSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for BugSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Bug::name))
    }
}

impl<'de> Deserialize<'de> for BugSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        let mut set = BugSet::NONE;
        for name in names {
            let bug = Bug::from_name(&name).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown bug {name:?} (`faultline bugs` lists them)"
                ))
            })?;
            set.insert(bug);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        assert!(Bug::ALL.len() <= 64, "a BugSet is one u64");
        for (i, bug) in Bug::ALL.iter().enumerate() {
            assert_eq!(Bug::from_name(bug.name()), Some(*bug));
            assert!(bug
                .name()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()));
            assert!(Bug::ALL[i + 1..].iter().all(|b| b.name() != bug.name()));
            assert!(!bug.rule().is_empty() && !bug.description().is_empty());
        }
        let set = BugSet::of([Bug::VoteNotDurable, Bug::Figure8Commit]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["figure-8-commit","vote-not-durable"]"#);
        assert_eq!(serde_json::from_str::<BugSet>(&json).unwrap(), set);
        let unknown = serde_json::from_str::<BugSet>(r#"["no-such-bug"]"#).unwrap_err();
        assert!(unknown.to_string().contains("no-such-bug"), "{unknown}");
        assert_eq!(set.on(Bug::Figure8Commit), CATALOGUE_COMPILED);
        assert!(!set.on(Bug::UpToDateByLength));
        assert!(BugSet::NONE.is_empty());
    }
}
