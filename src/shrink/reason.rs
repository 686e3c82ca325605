//! "Failing for the same reason": the same checker and the same kind of
//! finding, where the kind is the results model's grouping
//! ([`faultline_checker::FindingGroup::kind`]: the Raft invariant's name,
//! the anomaly's kind, `not linearizable`). Where and when it happens (the
//! index, the key, the time) may change as a run shrinks; what broke may
//! not.

use std::fmt;

use faultline_checker::{RunResults, Verdict};
use serde::{Deserialize, Serialize};

/// One checker's kind of finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reason {
    /// The checker's name (`raft invariants`, `linearizability (kv)`, ...).
    pub checker: String,
    /// The finding group's kind.
    pub kind: String,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.checker, self.kind)
    }
}

impl Reason {
    /// Every reason an invalid run is invalid for: each invalid checker's
    /// kinds of finding, in the results' order.
    pub fn all(results: &RunResults) -> Vec<Reason> {
        results
            .checkers
            .iter()
            .filter(|c| c.verdict == Verdict::Invalid)
            .flat_map(|c| {
                let kinds: Vec<String> = c.grouped().iter().map(|g| g.kind.clone()).collect();
                let kinds = if kinds.is_empty() {
                    vec![c.name.clone()]
                } else {
                    kinds
                };
                kinds.into_iter().map(move |kind| Reason {
                    checker: c.name.clone(),
                    kind,
                })
            })
            .collect()
    }

    /// The reason a shrink keeps: the first invalid checker's first kind
    /// (`None` unless the run is invalid).
    pub fn primary(results: &RunResults) -> Option<Reason> {
        if results.verdict != Verdict::Invalid {
            return None;
        }
        Reason::all(results).into_iter().next()
    }

    /// Whether `results` are invalid for this reason (among others).
    pub fn found_in(&self, results: &RunResults) -> bool {
        results.verdict == Verdict::Invalid && Reason::all(results).contains(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::CheckerResult;

    fn results(checkers: Vec<CheckerResult>) -> RunResults {
        let mut r = RunResults {
            checkers,
            ..RunResults::default()
        };
        r.combine();
        r.group_findings();
        r
    }

    fn invalid(name: &str, findings: &[&str]) -> CheckerResult {
        CheckerResult {
            name: name.to_string(),
            verdict: Verdict::Invalid,
            findings: findings.iter().map(|f| f.to_string()).collect(),
            ..CheckerResult::default()
        }
    }

    #[test]
    fn the_same_reason_is_the_same_checker_and_kind_wherever_it_happens() {
        let a = results(vec![invalid(
            "raft invariants",
            &["state-machine-safety violated at 9.200 s (step 9200): n3 applied term 2 at index 7"],
        )]);
        let reason = Reason::primary(&a).unwrap();
        assert_eq!(reason.to_string(), "raft invariants: state-machine-safety");
        let elsewhere = results(vec![invalid(
            "raft invariants",
            &["state-machine-safety violated at 1.000 s (step 1000): n1 applied term 5 at index 2"],
        )]);
        assert!(reason.found_in(&elsewhere));
        let other_kind = results(vec![invalid(
            "raft invariants",
            &["election-safety violated at 1.000 s (step 1000): two leaders in term 3"],
        )]);
        assert!(!reason.found_in(&other_kind));
        let other_checker = results(vec![invalid(
            "liveness",
            &["state-machine-safety violated at 1.000 s (step 1000): x"],
        )]);
        assert!(!reason.found_in(&other_checker));
        assert_eq!(Reason::primary(&results(Vec::new())), None);
    }
}
