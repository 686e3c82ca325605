//! Per-node logs (`nodes/<id>.log`): what each node went through, stamped
//! with simulated time: starts and stops, role and term changes, leaders
//! followed, fatal errors, and the nemesis actions that touched it.

use faultline_nemesis::cluster::SimCluster;
use faultline_raft::{NodeId, Role};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// The most lines kept per node (a bound, not a hang; the log says so).
const LINES_MAX: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    running: bool,
    role: Role,
    term: u64,
    leader: Option<NodeId>,
    starts: u64,
    paused: bool,
    fatal: Option<String>,
}

/// Collects each node's log lines as the run goes.
#[derive(Debug)]
pub struct NodeLog {
    seen: BTreeMap<NodeId, Option<Seen>>,
    lines: BTreeMap<NodeId, (usize, String)>,
}

impl NodeLog {
    /// Empty logs for `ids`.
    pub fn new(ids: &[NodeId]) -> Self {
        NodeLog {
            seen: ids.iter().map(|&id| (id, None)).collect(),
            lines: ids.iter().map(|&id| (id, (0, String::new()))).collect(),
        }
    }

    fn line(&mut self, id: NodeId, time_ns: u64, text: &str) {
        if let Some((count, buf)) = self.lines.get_mut(&id) {
            *count += 1;
            if *count <= LINES_MAX {
                let _ = writeln!(buf, "{:>12.6}s n{id} {text}", time_ns as f64 / 1e9);
            } else if *count == LINES_MAX + 1 {
                let _ = writeln!(buf, "... log truncated at {LINES_MAX} lines");
            }
        }
    }

    /// Notes what changed on each node since the last call.
    pub fn observe(&mut self, now: Duration, cluster: &SimCluster<'_>) {
        let t = now.as_nanos() as u64;
        for (&id, h) in cluster.handles() {
            let cur = {
                let o = h.observation.lock();
                Seen {
                    running: o.running,
                    role: o.role,
                    term: o.hard_state.term,
                    leader: o.leader,
                    starts: o.starts,
                    paused: o.paused,
                    fatal: o.fatal_error.clone(),
                }
            };
            let prev = self.seen.get(&id).cloned().flatten();
            if prev.as_ref() == Some(&cur) {
                continue;
            }
            let mut notes = Vec::new();
            match &prev {
                None => notes.push(format!("started (start #{})", cur.starts)),
                Some(p) => {
                    if cur.starts > p.starts {
                        notes.push(format!("restarted (start #{})", cur.starts));
                    } else if p.running && !cur.running {
                        notes.push("stopped".to_string());
                    }
                    if cur.paused != p.paused {
                        notes.push(if cur.paused { "paused" } else { "resumed" }.to_string());
                    }
                    if cur.fatal != p.fatal {
                        if let Some(f) = &cur.fatal {
                            notes.push(format!("fatal error: {f}"));
                        }
                    }
                }
            }
            if prev.as_ref().map(|p| (p.role, p.term)) != Some((cur.role, cur.term)) {
                notes.push(format!("{:?} in term {}", cur.role, cur.term));
            }
            if prev.as_ref().map(|p| p.leader) != Some(cur.leader) {
                if let Some(l) = cur.leader {
                    notes.push(format!("follows leader n{l}"));
                }
            }
            for n in notes {
                self.line(id, t, &n);
            }
            self.seen.insert(id, Some(cur));
        }
    }

    /// Notes a nemesis action on every node it names (or on all).
    pub fn nemesis(&mut self, time_ns: u64, f: &str, value: &Value) {
        let text = value.to_string();
        let ids: Vec<NodeId> = self.lines.keys().copied().collect();
        for id in ids {
            self.line(id, time_ns, &format!("nemesis {f} {text}"));
        }
    }

    /// The finished logs.
    pub fn finish(self) -> BTreeMap<NodeId, String> {
        self.lines.into_iter().map(|(id, (_, s))| (id, s)).collect()
    }
}
