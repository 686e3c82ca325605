//! A counterexample as people read it: numbered steps, each action followed
//! by every node's role, term, log and commit index after it, then the
//! broken invariant. The same steps feed the HTML message-sequence chart.

use faultline_raft::Role;
use std::fmt::Write as _;

use crate::action::{describe_entry, Action};
use crate::state::ClusterState;

/// One node after one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSummary {
    /// The node's id.
    pub id: u64,
    /// Its role.
    pub role: Role,
    /// Its term.
    pub term: u64,
    /// Whom it voted for in that term (in memory: what a crash may lose).
    pub voted_for: Option<u64>,
    /// Its log, one `index/tTERM` per entry.
    pub log: Vec<String>,
    /// Its commit index.
    pub commit: u64,
}

/// One step of a counterexample: the action and the nodes after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What happened.
    pub action: Action,
    /// Every node afterwards, by id.
    pub nodes: Vec<NodeSummary>,
}

impl Step {
    /// The step of `action`, which led to `state`.
    pub fn new(action: Action, state: &ClusterState) -> Step {
        let nodes = state
            .nodes
            .iter()
            .map(|n| {
                let core = &n.core;
                NodeSummary {
                    id: core.id(),
                    role: core.role(),
                    term: core.term(),
                    voted_for: core.status().voted_for,
                    log: (core.first_index()..=core.last_index())
                        .filter_map(|i| core.entry(i).map(describe_entry))
                        .collect(),
                    commit: core.commit_index(),
                }
            })
            .collect();
        Step { action, nodes }
    }
}

/// A path to a broken property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterexample {
    /// The property that fails at the end (empty for a replay that broke none).
    pub property: &'static str,
    /// The violation's evidence, in a sentence.
    pub detail: String,
    /// The steps from the initial state.
    pub steps: Vec<Step>,
    /// The index of each step's action among those its state offered.
    pub choices: Vec<usize>,
}

impl Counterexample {
    /// The choices as `--replay` takes them: `3.0.7`.
    pub fn replay_arg(&self) -> String {
        let parts: Vec<String> = self.choices.iter().map(|c| c.to_string()).collect();
        parts.join(".")
    }

    /// The numbered steps, one action per line and one line per node.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            let _ = writeln!(out, "{:3}. {}", i + 1, step.action);
            for node in &step.nodes {
                let _ = writeln!(out, "       {}", render_node(node));
            }
        }
        if !self.detail.is_empty() {
            let _ = writeln!(out, "     ✗ {}", self.detail);
        }
        out
    }
}

/// One node in one line: `n1 Leader    t2 vote n1 commit 1 log [1/t1* 2/t2*]`.
pub fn render_node(node: &NodeSummary) -> String {
    format!(
        "n{} {:<12} t{} vote {:<3} commit {} log [{}]",
        node.id,
        node.role.as_str(),
        node.term,
        node.voted_for.map_or("-".to_string(), |v| format!("n{v}")),
        node.commit,
        node.log.join(" ")
    )
}
