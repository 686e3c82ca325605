//! Stability (Raft §5.2 and §9.6, thesis §6.2 and §9.6), checked on the
//! nodes' observed state after every step of a run:
//!
//! - **No elections without faults.** In a fault-free stretch (after the
//!   final heal, or the whole run with no nemesis), once the cluster has
//!   converged (one leader, every node running, in its term and knowing it),
//!   the term never rises again: pre-vote and check-quorum exist so that a
//!   healthy cluster keeps its leader. A Raft whose leader changes dozens
//!   of times a minute is broken even when client retries hide it.
//! - **A deposed leader steps down.** A node that still leads term `t`
//!   while another node leads a higher term and has committed an entry of
//!   it must stop leading within a bound: check-quorum makes a leader cut
//!   off from its majority step down within about one election timeout of
//!   its own clock. The bound allows for the slowest clock the nemesis
//!   makes (half speed) and twice the randomized timeout; time the node
//!   spends paused does not count.
//!
//! Both name the node, the terms and the times.

use faultline_raft::node::NodeHandles;
use faultline_raft::{NodeId, Role, Term};
use std::collections::{BTreeMap, BTreeSet};

/// How long a deposed leader may keep leading, in base election timeouts
/// (two for the randomized timeout, times two for a clock at half speed,
/// times two for slack).
const DEPOSED_TIMEOUTS_MAX: u64 = 8;

/// The converged state a fault-free stretch started from.
#[derive(Debug, Clone, Copy)]
struct Converged {
    since_ns: u64,
    leader: NodeId,
    term: Term,
}

/// The stability checks of one run.
#[derive(Debug)]
pub struct Stability {
    election_timeout_ns: u64,
    converged: Option<Converged>,
    /// Per node leading an outdated term: (that term, since when).
    deposed: BTreeMap<NodeId, (Term, u64)>,
    /// Deposed leaders already reported, by (node, term).
    reported: BTreeSet<(NodeId, Term)>,
    /// Fault-free simulated time seen, and term rises within it.
    fault_free_ns: u64,
    fault_free_term_rises: u64,
    last_ns: u64,
    last_fault_free: bool,
    last_term_max: Term,
    findings: Vec<String>,
}

/// What one node looks like to these checks.
#[derive(Debug, Clone, Copy)]
struct Seen {
    id: NodeId,
    live: bool,
    leads: bool,
    term: Term,
    leader: Option<NodeId>,
    committed_own_term: bool,
}

impl Stability {
    /// The checks for a cluster whose base election timeout is
    /// `election_timeout_ms`.
    pub fn new(election_timeout_ms: u64) -> Self {
        Stability {
            election_timeout_ns: election_timeout_ms * 1_000_000,
            converged: None,
            deposed: BTreeMap::new(),
            reported: BTreeSet::new(),
            fault_free_ns: 0,
            fault_free_term_rises: 0,
            last_ns: 0,
            last_fault_free: false,
            last_term_max: 0,
            findings: Vec::new(),
        }
    }

    /// Checks the nodes at `now_ns`; `fault_free` says that no fault is in
    /// effect and none will start again.
    pub fn observe(
        &mut self,
        now_ns: u64,
        nodes: &BTreeMap<NodeId, NodeHandles>,
        fault_free: bool,
    ) {
        let seen: Vec<Seen> = nodes
            .values()
            .map(|h| {
                let o = h.observation.lock();
                Seen {
                    id: o.id,
                    live: o.running && !o.paused,
                    leads: o.running && o.role == Role::Leader,
                    term: o.hard_state.term,
                    leader: o.leader,
                    committed_own_term: o.term_at(o.commit_index) == Some(o.hard_state.term),
                }
            })
            .collect();
        self.step(now_ns, &seen, fault_free);
    }

    fn step(&mut self, now_ns: u64, seen: &[Seen], fault_free: bool) {
        let term_max = seen.iter().map(|s| s.term).max().unwrap_or(0);
        if fault_free {
            if self.last_fault_free {
                self.fault_free_ns += now_ns.saturating_sub(self.last_ns);
                if term_max > self.last_term_max {
                    self.fault_free_term_rises += 1;
                }
            }
            self.check_stable(now_ns, seen, term_max);
        } else {
            self.converged = None;
        }
        self.last_ns = now_ns;
        self.last_fault_free = fault_free;
        self.last_term_max = term_max;
        self.check_deposed(now_ns, seen);
    }

    fn check_stable(&mut self, now_ns: u64, seen: &[Seen], term_max: Term) {
        let Some(c) = self.converged else {
            self.converged = converged(seen).map(|(leader, term)| Converged {
                since_ns: now_ns,
                leader,
                term,
            });
            return;
        };
        if term_max <= c.term {
            return;
        }
        let riser = seen.iter().find(|s| s.term == term_max).map_or(0, |s| s.id);
        self.findings.push(format!(
            "unstable: the term rose from {} to {term_max} (n{riser}) at {:.3} s without any \
             fault, {:.3} s after the cluster converged under leader n{} (every node running, \
             in term {} and knowing its leader)",
            c.term,
            secs(now_ns),
            secs(now_ns - c.since_ns),
            c.leader,
            c.term
        ));
        // Look for the next convergence (one finding per disruption).
        self.converged = None;
    }

    fn check_deposed(&mut self, now_ns: u64, seen: &[Seen]) {
        let newest = seen
            .iter()
            .filter(|s| s.leads && s.committed_own_term)
            .map(|s| (s.term, s.id))
            .max();
        let bound_ns = DEPOSED_TIMEOUTS_MAX * self.election_timeout_ns;
        for s in seen {
            let outdated = matches!(newest, Some((t, id)) if s.leads && s.term < t && id != s.id);
            if !outdated || !s.live {
                // Paused time does not count: the clock starts again.
                self.deposed.remove(&s.id);
                continue;
            }
            let (term, since_ns) = *self.deposed.entry(s.id).or_insert((s.term, now_ns));
            if term != s.term {
                self.deposed.insert(s.id, (s.term, now_ns));
                continue;
            }
            if now_ns - since_ns > bound_ns && self.reported.insert((s.id, term)) {
                let (new_term, new_leader) = newest.unwrap_or((0, 0));
                self.findings.push(format!(
                    "deposed leader kept leading: n{} still led term {term} at {:.3} s, {:.3} s \
                     after n{new_leader} led term {new_term} and committed in it (bound: {} \
                     election timeouts, {:.1} s, not counting time paused)",
                    s.id,
                    secs(now_ns),
                    secs(now_ns - since_ns),
                    DEPOSED_TIMEOUTS_MAX,
                    secs(bound_ns)
                ));
            }
        }
    }

    /// Everything found, in order.
    pub fn findings(&self) -> &[String] {
        &self.findings
    }

    /// Fault-free simulated time, in milliseconds, and the term rises seen
    /// in it (elections, converged or not).
    pub fn fault_free(&self) -> (u64, u64) {
        (self.fault_free_ns / 1_000_000, self.fault_free_term_rises)
    }
}

/// The leader and term every node agrees on, if every node runs and they
/// do (a node that is down will campaign when it comes back).
fn converged(seen: &[Seen]) -> Option<(NodeId, Term)> {
    let leader = seen.iter().find(|s| s.leads && s.live)?;
    let all = seen
        .iter()
        .all(|s| s.live && s.term == leader.term && s.leader == Some(leader.id));
    all.then_some((leader.id, leader.term))
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn node(id: NodeId, term: Term, leader: NodeId) -> Seen {
        Seen {
            id,
            live: true,
            leads: id == leader,
            term,
            leader: Some(leader),
            committed_own_term: id == leader,
        }
    }

    fn cluster(term: Term, leader: NodeId) -> Vec<Seen> {
        (1..=3).map(|id| node(id, term, leader)).collect()
    }

    #[test]
    fn a_term_rise_after_convergence_without_faults_is_reported_once() {
        let mut st = Stability::new(1_000);
        st.step(S, &cluster(2, 1), true);
        st.step(2 * S, &cluster(2, 1), true);
        assert!(st.findings().is_empty());
        let mut rising = cluster(2, 1);
        rising[2].term = 3;
        st.step(3 * S, &rising, true);
        st.step(4 * S, &cluster(3, 3), true);
        assert_eq!(st.findings().len(), 1, "{:?}", st.findings());
        assert!(st.findings()[0].contains("rose from 2 to 3 (n3)"));
        assert_eq!(st.fault_free(), (3_000, 1));
    }

    #[test]
    fn elections_during_faults_or_before_convergence_are_not_findings() {
        let mut st = Stability::new(1_000);
        st.step(S, &cluster(2, 1), false);
        st.step(2 * S, &cluster(5, 2), false);
        // Not converged yet: n3 does not know the leader.
        let mut unsettled = cluster(5, 2);
        unsettled[2].leader = None;
        st.step(3 * S, &unsettled, true);
        st.step(4 * S, &cluster(6, 2), true);
        assert!(st.findings().is_empty(), "{:?}", st.findings());
        // Not converged: n3 is down (it will campaign when it is back).
        let mut st = Stability::new(1_000);
        let mut down = cluster(6, 2);
        down[2].live = false;
        st.step(5 * S, &down, true);
        st.step(6 * S, &cluster(7, 3), true);
        assert!(st.findings().is_empty(), "{:?}", st.findings());
    }

    #[test]
    fn a_deposed_leader_must_step_down_within_the_bound_not_counting_pauses() {
        let mut st = Stability::new(1_000);
        let deposed = |paused: bool| {
            let mut c = cluster(4, 2);
            c[0] = Seen {
                term: 3,
                live: !paused,
                ..node(1, 3, 1)
            };
            c
        };
        st.step(S, &deposed(false), false);
        st.step(8 * S, &deposed(false), false);
        // Paused: the clock starts again.
        st.step(8 * S + 1, &deposed(true), false);
        st.step(16 * S, &deposed(false), false);
        assert!(st.findings().is_empty(), "{:?}", st.findings());
        st.step(25 * S, &deposed(false), false);
        st.step(26 * S, &deposed(false), false);
        assert_eq!(st.findings().len(), 1, "{:?}", st.findings());
        assert!(st.findings()[0].contains("n1 still led term 3"));
    }
}
