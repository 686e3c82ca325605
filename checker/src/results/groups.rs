//! Findings grouped by what they are about, so a report says "32 violations
//! of 3 kinds" instead of listing 32 near-identical dumps: per checker, one
//! [`FindingGroup`] per kind of finding (the Raft invariant's name, the
//! anomaly's kind, `not linearizable`), with the first occurrence in full,
//! how many there are, and the [`GroupSpan`] they cover (times, log
//! indices, nodes, keys). This is the one place findings are grouped: the
//! run stores the groups in `results.json`, and the reports and the
//! terminal summary only show them ([`crate::CheckerResult::grouped`]
//! groups a result stored before groups existed the same way).
//!
//! Findings are plain text, written by the checkers in a few fixed shapes,
//! which this module reads:
//!
//! * `<invariant> violated at 11.401 s (step 11401): <detail>` (the Raft
//!   invariants; the node-state lines that follow are not read here, see
//!   [`super::NodeState`]);
//! * `key <key>: <text>` (per-key checkers: the key is noted, the text read
//!   on);
//! * `<kind>: <detail>`, a short kind without digits (`lost: ...`,
//!   `unstable: ...`, `no recovery: ...`);
//! * `  <heading> (N):` followed by deeper-indented items (the set and
//!   append checkers' lists): the items take the heading's kind unless they
//!   name their own, and a closing `... and N more` adds N to the count;
//! * anything else takes the checker's default kind.
//!
//! Nodes are read from the detail as `n3`, `node 3`, `nodes 1 and 3` or
//! `leader 3`; the log index as the first `index N` or `entry N`; the time
//! as the first `at 12.345 s`.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

/// Findings of one kind in one checker's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingGroup {
    /// What broke: the invariant's name, the anomaly's kind, ...
    pub kind: String,
    /// The group's first finding, in full (all its lines).
    pub first: String,
    /// How many findings the group holds (the first included).
    pub count: u64,
    /// What the whole group covers.
    #[serde(default)]
    pub span: GroupSpan,
    /// The positions of the group's findings in the checker's `findings`
    /// (the first included); a count above their number is findings the
    /// checker elided (`... and N more`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<usize>,
}

/// What a group of findings covers; every field is left out when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSpan {
    /// The earliest finding's simulated time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ms: Option<u64>,
    /// The latest finding's simulated time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ms: Option<u64>,
    /// The lowest log index named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_min: Option<u64>,
    /// The highest log index named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_max: Option<u64>,
    /// Every node named (`n1`, ...), ascending by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// The nodes every finding of the group names (the one the others are
    /// compared against, when there is one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes_in_every: Vec<String>,
    /// Every key named, in order of first appearance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
}

impl FindingGroup {
    /// The first finding's first line.
    pub fn headline(&self) -> &str {
        self.first.lines().next().unwrap_or("")
    }

    /// What the first finding alone covers (its time, index, nodes).
    pub fn first_span(&self) -> GroupSpan {
        group_findings(std::slice::from_ref(&self.first), &self.kind)
            .pop()
            .map(|g| g.span)
            .unwrap_or_default()
    }

    /// The rest of the group in one line, `+31 more: indices 117–130 on n1
    /// vs n2, n3, n5, 11.407–11.958 s` (the span is the whole group's);
    /// `None` for a group of one.
    pub fn rest_summary(&self) -> Option<String> {
        if self.count <= 1 {
            return None;
        }
        let span = self.span.describe();
        let sep = if span.is_empty() { "" } else { ": " };
        Some(format!("+{} more{sep}{span}", self.count - 1))
    }
}

impl GroupSpan {
    /// Indices, keys, nodes and times in one phrase (empty when unknown):
    /// `indices 117–130 on n1 vs n2, n3, 11.407–11.958 s`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(place) = self.place() {
            parts.push(place);
        }
        if let Some(when) = self.when() {
            parts.push(when);
        }
        parts.join(", ")
    }

    /// Indices, keys and nodes: `indices 117–130 on n1 vs n2, n3`.
    pub fn place(&self) -> Option<String> {
        let mut s = String::new();
        match (self.index_min, self.index_max) {
            (Some(a), Some(b)) if a != b => {
                let _ = write!(s, "indices {a}–{b}");
            }
            (Some(a), _) => {
                let _ = write!(s, "index {a}");
            }
            _ => {}
        }
        if !self.keys.is_empty() {
            const KEYS_SHOWN: usize = 8;
            let shown: Vec<&str> = self
                .keys
                .iter()
                .take(KEYS_SHOWN)
                .map(String::as_str)
                .collect();
            let more = if self.keys.len() > KEYS_SHOWN {
                ", …"
            } else {
                ""
            };
            let noun = if self.keys.len() == 1 { "key" } else { "keys" };
            let sep = if s.is_empty() { "" } else { " of " };
            let _ = write!(s, "{sep}{noun} {}{more}", shown.join(", "));
        }
        if !self.nodes.is_empty() {
            let sep = if s.is_empty() { "" } else { " " };
            let others: Vec<&str> = self
                .nodes
                .iter()
                .filter(|n| !self.nodes_in_every.contains(n))
                .map(String::as_str)
                .collect();
            if self.nodes_in_every.is_empty() || others.is_empty() {
                let _ = write!(s, "{sep}on {}", self.nodes.join(", "));
            } else {
                let _ = write!(
                    s,
                    "{sep}on {} vs {}",
                    self.nodes_in_every.join(", "),
                    others.join(", ")
                );
            }
        }
        (!s.is_empty()).then_some(s)
    }

    /// The times: `11.407–11.958 s` or `at 11.407 s`.
    pub fn when(&self) -> Option<String> {
        let secs = |ms: u64| format!("{}.{:03}", ms / 1000, ms % 1000);
        match (self.first_ms, self.last_ms) {
            (Some(a), Some(b)) if a != b => Some(format!("{}–{} s", secs(a), secs(b))),
            (Some(a), _) => Some(format!("at {} s", secs(a))),
            _ => None,
        }
    }
}

/// What one finding's first line says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Facts {
    kind: String,
    key: Option<String>,
    time_ms: Option<u64>,
    index: Option<u64>,
    nodes: BTreeSet<u64>,
}

/// Groups `findings` (one checker's, in order) by kind; `default_kind`
/// names findings of no recognisable kind. Groups come in the order of
/// their first finding.
pub fn group_findings(findings: &[String], default_kind: &str) -> Vec<FindingGroup> {
    let mut groups: Vec<FindingGroup> = Vec::new();
    let mut node_sets: Vec<Option<BTreeSet<u64>>> = Vec::new();
    let mut key: Option<String> = None;
    let mut heading: Option<(usize, String)> = None;
    let mut last_group: Option<usize> = None;
    for (position, finding) in findings.iter().enumerate() {
        let line = finding.lines().next().unwrap_or("");
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if let Some(more) = more_count(text) {
            if let Some(g) = last_group {
                groups[g].count += more;
            }
            continue;
        }
        if heading.as_ref().is_some_and(|(at, _)| indent <= *at) {
            heading = None;
        }
        if let Some(name) = heading_name(text) {
            heading = Some((indent, name.to_string()));
            continue;
        }
        let mut text = text;
        if indent == 0 {
            key = None;
        }
        if let Some((k, rest)) = text.strip_prefix("key ").and_then(|t| t.split_once(": ")) {
            key = Some(k.to_string());
            text = rest;
        }
        let fallback = heading.as_ref().map_or(default_kind, |(_, h)| h.as_str());
        let facts = read_facts(text, key.clone(), fallback);
        let g = match groups.iter().position(|g| g.kind == facts.kind) {
            Some(g) => {
                groups[g].count += 1;
                g
            }
            None => {
                groups.push(FindingGroup {
                    kind: facts.kind.clone(),
                    first: finding.trim_start().to_string(),
                    count: 1,
                    span: GroupSpan::default(),
                    members: Vec::new(),
                });
                node_sets.push(None);
                groups.len() - 1
            }
        };
        groups[g].members.push(position);
        widen(&mut groups[g].span, &mut node_sets[g], &facts);
        last_group = Some(g);
    }
    groups
}

/// Adds one finding's facts to its group's span.
fn widen(span: &mut GroupSpan, in_every: &mut Option<BTreeSet<u64>>, facts: &Facts) {
    let (min, max) = (
        |a: Option<u64>, b: u64| Some(a.map_or(b, |a| a.min(b))),
        |a: Option<u64>, b: u64| Some(a.map_or(b, |a| a.max(b))),
    );
    if let Some(t) = facts.time_ms {
        span.first_ms = min(span.first_ms, t);
        span.last_ms = max(span.last_ms, t);
    }
    if let Some(i) = facts.index {
        span.index_min = min(span.index_min, i);
        span.index_max = max(span.index_max, i);
    }
    if let Some(k) = &facts.key {
        if !span.keys.contains(k) {
            span.keys.push(k.clone());
        }
    }
    let mut all: BTreeSet<u64> = span
        .nodes
        .iter()
        .filter_map(|n| n.strip_prefix('n')?.parse().ok())
        .collect();
    all.extend(&facts.nodes);
    span.nodes = all.iter().map(|n| format!("n{n}")).collect();
    let every = match in_every.take() {
        None => facts.nodes.clone(),
        Some(before) => before.intersection(&facts.nodes).copied().collect(),
    };
    span.nodes_in_every = every.iter().map(|n| format!("n{n}")).collect();
    *in_every = Some(every);
}

/// `... and 12 more` → 12.
fn more_count(text: &str) -> Option<u64> {
    let rest = text
        .strip_prefix("... and ")
        .or_else(|| text.strip_prefix("… and "))?;
    rest.strip_suffix(" more")?.parse().ok()
}

/// `lost (3):` → `lost`.
fn heading_name(text: &str) -> Option<&str> {
    let (name, count) = text.strip_suffix("):")?.rsplit_once(" (")?;
    count.parse::<u64>().ok()?;
    (!name.is_empty() && !name.contains(':')).then_some(name)
}

/// The kind, time, index and nodes of one finding's text (its key already
/// taken off).
fn read_facts(text: &str, key: Option<String>, fallback: &str) -> Facts {
    let (kind, detail) = match text.split_once(" violated at ") {
        Some((invariant, rest)) if !invariant.contains(' ') => (
            invariant.to_string(),
            rest.split_once("): ").map_or(rest, |(_, d)| d),
        ),
        _ => match text.split_once(": ") {
            Some((prefix, rest)) if is_kind(prefix) => (prefix.to_string(), rest),
            _ => (fallback.to_string(), text),
        },
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let time_ms = words.windows(3).find_map(|w| {
        let unit = w[2].trim_end_matches([',', ';', ')', '.', ':']);
        if w[0] != "at" || unit != "s" {
            return None;
        }
        let secs: f64 = w[1].parse().ok()?;
        (secs >= 0.0 && secs.is_finite()).then(|| (secs * 1000.0).round() as u64)
    });
    let tokens: Vec<&str> = detail
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|t| !t.is_empty())
        .collect();
    let mut nodes = BTreeSet::new();
    let mut index = None;
    for (i, t) in tokens.iter().enumerate() {
        if let Some(id) = t.strip_prefix('n').and_then(|d| d.parse::<u64>().ok()) {
            nodes.insert(id);
        }
        let next = tokens.get(i + 1).and_then(|n| n.parse::<u64>().ok());
        match *t {
            "node" | "nodes" | "leader" => {
                let ids = tokens[i + 1..]
                    .iter()
                    .take_while(|w| **w == "and" || w.parse::<u64>().is_ok())
                    .filter_map(|w| w.parse::<u64>().ok());
                nodes.extend(ids);
            }
            "index" | "entry" if index.is_none() => index = next,
            _ => {}
        }
    }
    Facts {
        kind,
        key,
        time_ms,
        index,
        nodes,
    }
}

/// A short name of a kind: a few words, no digits, no punctuation that
/// would make it a sentence.
fn is_kind(prefix: &str) -> bool {
    let short = !prefix.is_empty() && prefix.len() <= 40 && prefix.split(' ').count() <= 5;
    short
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(kind: &str, at: &str, detail: &str) -> String {
        format!(
            "{kind} violated at {at} s (step 1): {detail}\n    n1 Leader term=1 commit=1 applied=1 \
             snapshot=0 last=1 starts=1 log=[t1:1..=1]"
        )
    }

    #[test]
    fn raft_violations_group_by_invariant_with_their_span() {
        let findings = vec![
            violation("state-machine-safety", "11.401", "index 116: node 1 holds it committed as term 1 but node 3 as term 2"),
            violation("leader-completeness", "11.425", "leader 3 of term 2 has no entry at index 117, which was committed with term 1 (first seen on node 1)"),
            violation("state-machine-safety", "11.442", "index 116: node 1 holds it committed as term 1 but node 2 as term 2"),
            violation("state-machine-safety", "11.958", "index 130: node 1 holds it committed as term 1 but node 5 as term 2"),
        ];
        let groups = group_findings(&findings, "raft invariants");
        assert_eq!(groups.len(), 2);
        let sms = &groups[0];
        assert_eq!((sms.kind.as_str(), sms.count), ("state-machine-safety", 3));
        assert_eq!(sms.first, findings[0]);
        assert_eq!(sms.members, [0, 2, 3]);
        assert_eq!(
            sms.span,
            GroupSpan {
                first_ms: Some(11_401),
                last_ms: Some(11_958),
                index_min: Some(116),
                index_max: Some(130),
                nodes: vec!["n1".into(), "n2".into(), "n3".into(), "n5".into()],
                nodes_in_every: vec!["n1".into()],
                keys: vec![],
            }
        );
        assert_eq!(
            sms.rest_summary().unwrap(),
            "+2 more: indices 116–130 on n1 vs n2, n3, n5, 11.401–11.958 s"
        );
        let lc = &groups[1];
        assert_eq!((lc.kind.as_str(), lc.count), ("leader-completeness", 1));
        assert_eq!(lc.span.nodes, ["n1", "n3"]);
        assert_eq!(lc.span.index_min, Some(117));
        assert_eq!(lc.rest_summary(), None);
        let first = sms.first_span();
        assert_eq!((first.index_min, first.first_ms), (Some(116), Some(11_401)));
        assert_eq!(first.nodes, ["n1", "n3"]);
    }

    #[test]
    fn keyed_findings_and_lists_group_by_kind_and_count_what_was_elided() {
        let findings: Vec<String> = [
            "key 3: read 2 (op 973)",
            "key 4: read 1 (op 12)",
            "key a: invalid; 5 add(s) attempted",
            "  lost (3):",
            "    element 5 was acknowledged by op 3 but is missing",
            "    element 6 was acknowledged by op 4 but is missing",
            "    ... and 1 more",
            "key b: invalid; 2 add(s) attempted",
            "  anomalies (2):",
            "    stale-read: op 9 began after op 3 completed",
            "    lost: op 3 was acknowledged before op 9 began",
            "unstable: the term rose from 2 to 3 (n4) at 30.100 s without any fault",
        ]
        .map(String::from)
        .to_vec();
        let groups = group_findings(&findings, "not linearizable");
        let summary: Vec<(&str, u64, Vec<String>)> = groups
            .iter()
            .map(|g| (g.kind.as_str(), g.count, g.span.keys.clone()))
            .collect();
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            summary,
            vec![
                ("not linearizable", 4, keys(&["3", "4", "a", "b"])),
                ("lost", 4, keys(&["a", "b"])),
                ("stale-read", 1, keys(&["b"])),
                ("unstable", 1, keys(&[])),
            ]
        );
        assert_eq!(
            groups[1].first,
            "element 5 was acknowledged by op 3 but is missing"
        );
        assert_eq!(
            groups[1].members,
            [4, 5, 10],
            "the elided one is counted, not a member"
        );
        assert_eq!(groups[3].span.first_ms, Some(30_100));
        assert_eq!(groups[3].span.nodes, ["n4"]);
    }

    #[test]
    fn spans_read_as_phrases() {
        let span = GroupSpan {
            first_ms: Some(10_007),
            index_min: Some(116),
            index_max: Some(116),
            nodes: vec!["n1".into()],
            ..GroupSpan::default()
        };
        assert_eq!(span.describe(), "index 116 on n1, at 10.007 s");
        let keys = GroupSpan {
            keys: (0..10).map(|k| k.to_string()).collect(),
            ..GroupSpan::default()
        };
        assert_eq!(keys.describe(), "keys 0, 1, 2, 3, 4, 5, 6, 7, …");
        assert_eq!(GroupSpan::default().describe(), "");
    }
}
