//! One node's Raft state at one moment, as a finding of the Raft invariants
//! checker records it: one line per node under the finding's first line,
//!
//! ```text
//! n3 Leader term=2 commit=116 applied=116 snapshot=0 last=116 starts=1 log=[t1:1..=115 t2:116..=116]
//! ```
//!
//! (`DOWN Leader` for a node whose process is not running). [`NodeState`]
//! writes that line ([`std::fmt::Display`]) and reads it back
//! ([`NodeState::parse`]), so a stored run's findings carry the node-state
//! strip a report draws at the first violation, and results written before
//! this type existed read the same way.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A run of consecutive log entries of one term: `t{term}:{first}..={last}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermRun {
    /// The entries' term.
    pub term: u64,
    /// The first index of the run.
    pub first: u64,
    /// The last index of the run (inclusive).
    pub last: u64,
}

/// One node's state at one step (see the module docs for the line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    /// The node's id (`3` for `n3`).
    pub id: u64,
    /// Whether its process was running.
    pub running: bool,
    /// Its role (`Leader`, `Follower`, `Candidate`, `PreCandidate`).
    pub role: String,
    /// Its current term.
    pub term: u64,
    /// Its commit index.
    pub commit: u64,
    /// Its applied index.
    pub applied: u64,
    /// The last index its snapshot covers (0: none).
    pub snapshot: u64,
    /// Its last log index.
    pub last: u64,
    /// How many times it started.
    pub starts: u64,
    /// Its durable log as runs of one term, ascending; the snapshot's last
    /// entry is the first run when a snapshot exists.
    pub log: Vec<TermRun>,
}

impl NodeState {
    /// The node's name, `n3`.
    pub fn name(&self) -> String {
        format!("n{}", self.id)
    }

    /// The term of the entry at `index` in the node's log, if it holds it.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        self.log
            .iter()
            .find(|r| (r.first..=r.last).contains(&index))
            .map(|r| r.term)
    }

    /// Reads one node line; `None` when the line is not one.
    pub fn parse(line: &str) -> Option<NodeState> {
        let mut words = line.split_whitespace();
        let id = words.next()?.strip_prefix('n')?.parse().ok()?;
        let mut role = words.next()?;
        let running = role != "DOWN";
        if !running {
            role = words.next()?;
        }
        let mut field = |name: &str| -> Option<u64> {
            words
                .next()?
                .strip_prefix(name)?
                .strip_prefix('=')?
                .parse()
                .ok()
        };
        let (term, commit, applied) = (field("term")?, field("commit")?, field("applied")?);
        let (snapshot, last, starts) = (field("snapshot")?, field("last")?, field("starts")?);
        let log_at = line.find("log=[")? + "log=[".len();
        let log_text = line[log_at..].strip_suffix(']')?;
        let log = log_text
            .split_whitespace()
            .map(|run| {
                let (term, range) = run.strip_prefix('t')?.split_once(':')?;
                let (first, last) = range.split_once("..=")?;
                Some(TermRun {
                    term: term.parse().ok()?,
                    first: first.parse().ok()?,
                    last: last.parse().ok()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(NodeState {
            id,
            running,
            role: role.to_string(),
            term,
            commit,
            applied,
            snapshot,
            last,
            starts,
            log,
        })
    }

    /// Every node line among `lines` (the lines after a finding's first).
    pub fn parse_all<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<NodeState> {
        lines.into_iter().filter_map(NodeState::parse).collect()
    }
}

impl fmt::Display for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runs: Vec<String> = self
            .log
            .iter()
            .map(|r| format!("t{}:{}..={}", r.term, r.first, r.last))
            .collect();
        write!(
            f,
            "n{} {}{} term={} commit={} applied={} snapshot={} last={} starts={} log=[{}]",
            self.id,
            if self.running { "" } else { "DOWN " },
            self.role,
            self.term,
            self.commit,
            self.applied,
            self.snapshot,
            self.last,
            self.starts,
            runs.join(" ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_lines_round_trip() {
        for line in [
            "n3 Leader term=2 commit=116 applied=116 snapshot=0 last=116 starts=1 log=[t1:1..=115 t2:116..=116]",
            "n2 DOWN Follower term=2 commit=243 applied=243 snapshot=200 last=243 starts=3 log=[t2:200..=243]",
            "n4 PreCandidate term=1 commit=0 applied=0 snapshot=0 last=0 starts=1 log=[]",
        ] {
            let state = NodeState::parse(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(state.to_string(), line);
        }
        let n3 = NodeState::parse(
            "n3 Leader term=2 commit=116 applied=116 snapshot=0 last=116 starts=1 log=[t1:1..=115 t2:116..=116]",
        )
        .unwrap();
        assert_eq!(
            (n3.term_at(115), n3.term_at(116), n3.term_at(117)),
            (Some(1), Some(2), None)
        );
        assert!(NodeState::parse("node 3 acknowledged index 5").is_none());
        assert!(NodeState::parse("n3 Leader term=x").is_none());
    }
}
