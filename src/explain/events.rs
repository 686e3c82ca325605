//! The events of a run a reader needs to follow a failure, read from its
//! node logs (`nodes/n<id>.log`, written by `faultline_sim::node_log`):
//! nemesis actions, leader changes and their causes (election timeouts,
//! check-quorum), step-downs, log truncations, crashes and restarts,
//! snapshot installs, and each node's state when a fault started (`state`
//! events, for the strip before the fault; never listed in a story). Each keeps the log line it came from, so the report
//! can link to it. A nemesis action is written into every node's log; it is
//! kept once, from the first log that has it.

use std::collections::BTreeSet;
use std::path::Path;

use faultline_reports::{LogLine, StoryEvent};
use serde_json::Value;

/// One event with the nodes it touched (a nemesis action's targets; the
/// node itself otherwise; empty: every node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEvent {
    /// The event as the story shows it.
    pub event: StoryEvent,
    /// The nodes it touched (`n1`, ...); empty for a cluster-wide action.
    pub touched: Vec<String>,
}

impl RunEvent {
    /// Whether the event touched any of `nodes` (every event does when
    /// `nodes` is empty, and a cluster-wide one always does).
    pub fn involves(&self, nodes: &[String]) -> bool {
        nodes.is_empty()
            || self.touched.is_empty()
            || self.touched.iter().any(|n| nodes.contains(n))
    }

    /// Whether the event is a fault starting or a leader change: what most
    /// likely set a failure off.
    pub fn is_cause(&self) -> bool {
        match self.event.kind.as_str() {
            "nemesis" => self.event.text.starts_with("start-"),
            "leader" | "crash" => true,
            _ => false,
        }
    }
}

/// Every event in the run's node logs (`logs`: paths relative to `dir`),
/// in time order; unreadable logs are skipped.
pub fn read(dir: &Path, logs: &[String]) -> Vec<RunEvent> {
    let mut events = Vec::new();
    let mut nemesis_seen = BTreeSet::new();
    for path in logs {
        let Ok(text) = std::fs::read_to_string(dir.join(path)) else {
            continue;
        };
        let mut leading = false;
        for (i, line) in text.lines().enumerate() {
            let Some(parsed) = parse_line(line) else {
                continue;
            };
            let log = LogLine {
                path: path.clone(),
                line: i + 1,
                stamp: parsed.stamp.to_string(),
            };
            let Some(mut e) = classify(&parsed, &mut leading) else {
                continue;
            };
            if e.event.kind == "nemesis"
                && !nemesis_seen.insert((parsed.time_ns, e.event.text.clone()))
            {
                continue;
            }
            e.event.log = Some(log);
            events.push(e);
        }
    }
    events.sort_by(|a, b| (a.event.time_ns, &a.event.node).cmp(&(b.event.time_ns, &b.event.node)));
    events
}

/// A node-log line taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed<'a> {
    stamp: &'a str,
    time_ns: u64,
    node: &'a str,
    text: &'a str,
}

/// `   11.398000s clock   +0.000000s n3 INFO  role, ...` (the clock part
/// may be blank).
fn parse_line(line: &str) -> Option<Parsed<'_>> {
    let line = line.trim_start();
    let (stamp, rest) = line.split_once(' ')?;
    let secs: f64 = stamp.strip_suffix('s')?.parse().ok()?;
    let mut rest = rest.trim_start();
    if let Some(after) = rest.strip_prefix("clock ") {
        rest = after.trim_start().split_once(' ')?.1.trim_start();
    }
    let (node, rest) = rest.split_once(' ')?;
    node.strip_prefix('n')?.parse::<u64>().ok()?;
    let (_level, text) = rest.trim_start().split_once(' ')?;
    Some(Parsed {
        stamp,
        time_ns: (secs * 1e9).round() as u64,
        node,
        text: text.trim_start(),
    })
}

/// The longest event text kept from a log line.
const TEXT_CHARS_MAX: usize = 160;

fn classify(p: &Parsed<'_>, leading: &mut bool) -> Option<RunEvent> {
    let text = p.text;
    let node_event = |kind: &str, text: String| RunEvent {
        event: StoryEvent {
            time_ns: p.time_ns,
            node: Some(p.node.to_string()),
            kind: kind.to_string(),
            text: text.chars().take(TEXT_CHARS_MAX).collect(),
            log: None,
        },
        touched: vec![p.node.to_string()],
    };
    if let Some(action) = text.strip_prefix("nemesis ") {
        let (f, value) = action.split_once(' ').unwrap_or((action, "null"));
        let value: Value = serde_json::from_str(value).unwrap_or(Value::Null);
        let (description, touched) = describe_nemesis(&value);
        return Some(RunEvent {
            event: StoryEvent {
                time_ns: p.time_ns,
                node: None,
                kind: "nemesis".into(),
                text: format!("{f}{description}"),
                log: None,
            },
            touched,
        });
    }
    if let Some(state) = text.strip_prefix("state at fault start: ") {
        // A node's state at a fault's start: kept whole, for the strip.
        let mut e = node_event("state", String::new());
        e.event.text = state.to_string();
        return Some(e);
    }
    if let Some(fields) = text.strip_prefix("role, term or leader changed ") {
        let was_leading = *leading;
        *leading = fields.starts_with("role=leader");
        let term = field(fields, "term").unwrap_or("?");
        return if *leading && !was_leading {
            Some(node_event(
                "leader",
                format!("became leader of term {term}"),
            ))
        } else if was_leading && !*leading {
            let role = field(fields, "role").unwrap_or("?");
            Some(node_event(
                "step-down",
                format!("stepped down to {role} in term {term}"),
            ))
        } else {
            None
        };
    }
    let kind = if text.starts_with("election timeout") || text.starts_with("TimeoutNow") {
        "election"
    } else if text.starts_with("check-quorum") {
        *leading = false;
        "step-down"
    } else if text.starts_with("conflicting entries") {
        "truncation"
    } else if text.starts_with("process stopped") || text.starts_with("node stopped") {
        *leading = false;
        "crash"
    } else if text.starts_with("started from durable state start=1 ") {
        "start"
    } else if text.starts_with("started from durable state") || text.starts_with("log recovery") {
        "restart"
    } else if text.starts_with("installed a snapshot") {
        "snapshot"
    } else {
        return None;
    };
    Some(node_event(kind, text.to_string()))
}

/// `key=value` out of a log line's fields.
fn field<'a>(fields: &'a str, name: &str) -> Option<&'a str> {
    fields
        .split_whitespace()
        .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
}

/// A nemesis action's value in a few words, ` (partition-majority: n1 n4 |
/// n2 n3 n5)`, and the nodes it touched (none named: all).
fn describe_nemesis(value: &Value) -> (String, Vec<String>) {
    let kind = value.get("kind").and_then(Value::as_str);
    let touched: Vec<String> = value
        .get("nodes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .map(|n| format!("n{n}"))
                .collect()
        })
        .unwrap_or_default();
    let mut detail = Vec::new();
    if let Some(drops) = value
        .get("grudge")
        .and_then(|g| g.get("drops"))
        .and_then(Value::as_object)
    {
        detail.push(partition_sides(drops));
    } else if !touched.is_empty() {
        detail.push(touched.join(" "));
    }
    let text = match (kind, detail.is_empty()) {
        (Some(k), false) => format!(" ({k}: {})", detail.join(" ")),
        (Some(k), true) => format!(" ({k})"),
        (None, false) => format!(" ({})", detail.join(" ")),
        (None, true) => String::new(),
    };
    (text, touched)
}

/// A partition from its grudge (who drops whom): its sides, `n1 n4 | n2
/// n3 n5`, when nodes that reach each other reach only each other; else
/// whom each node reaches, `n1→n2 n5, n2→n1 n3, ...` (a ring, a bridge).
fn partition_sides(drops: &serde_json::Map<String, Value>) -> String {
    let all: BTreeSet<u64> = drops.keys().filter_map(|k| k.parse().ok()).collect();
    let reach: Vec<(u64, BTreeSet<u64>)> = drops
        .iter()
        .filter_map(|(node, dropped)| {
            let id = node.parse::<u64>().ok()?;
            let dropped: BTreeSet<u64> = dropped
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            Some((id, all.difference(&dropped).copied().collect()))
        })
        .collect();
    let names = |set: &BTreeSet<u64>| {
        set.iter()
            .map(|n| format!("n{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let clean = reach.iter().all(|(_, r)| {
        r.iter()
            .all(|m| reach.iter().any(|(id, rm)| id == m && rm == r))
    });
    if clean {
        let mut sides: Vec<&BTreeSet<u64>> = reach.iter().map(|(_, r)| r).collect();
        sides.sort();
        sides.dedup();
        sides
            .iter()
            .map(|s| names(s))
            .collect::<Vec<_>>()
            .join(" | ")
    } else {
        reach
            .iter()
            .map(|(id, r)| {
                let others: BTreeSet<u64> = r.iter().copied().filter(|m| m != id).collect();
                format!("n{id}→{}", names(&others))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "    0.000000s                    n3 INFO  started from durable state start=1 term=0 voted_for=None\n\
   10.000000s clock   +0.000000s n3 INFO  nemesis start-partition {\"fault\":\"partition\",\"grudge\":{\"drops\":{\"1\":[2,3,5],\"2\":[1,4],\"3\":[1,4],\"4\":[2,3,5],\"5\":[1,4]}},\"kind\":\"partition-majority\"}\n\
   11.390000s clock   +0.000000s n3 DEBUG election timeout: asking for pre-votes next_term=2 last_index=115 last_term=1\n\
   11.390000s clock   +0.000000s n3 INFO  role, term or leader changed role=pre_candidate term=1 leader=none\n\
   11.398000s clock   +0.000000s n3 INFO  role, term or leader changed role=leader term=2 leader=n3 last_index=116 commit=115\n\
   12.000000s clock   -0.500000s n3 DEBUG peer reachable again peer=4\n\
   13.000000s clock   +0.000000s n3 INFO  check-quorum: no quorum heard within an election timeout, stepping down\n\
   13.000000s clock   +0.000000s n3 INFO  role, term or leader changed role=follower term=2 leader=none\n\
   14.000000s clock   +0.000000s n3 INFO  nemesis start-kill {\"fault\":\"kill\",\"kind\":\"kill\",\"nodes\":[2]}\n";

    #[test]
    fn node_logs_become_events_with_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("nodes")).unwrap();
        std::fs::write(dir.path().join("nodes/n3.log"), LOG).unwrap();
        // The same nemesis action in a second log is kept once.
        std::fs::write(dir.path().join("nodes/n4.log"), LOG.lines().nth(1).unwrap()).unwrap();
        let logs = ["nodes/n3.log".to_string(), "nodes/n4.log".to_string()];
        let events = read(dir.path(), &logs);
        let got: Vec<(u64, &str, &str, usize)> = events
            .iter()
            .map(|e| {
                let log = e.event.log.as_ref().unwrap();
                (
                    e.event.time_ns / 1_000_000,
                    e.event.kind.as_str(),
                    e.event.text.as_str(),
                    log.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    0,
                    "start",
                    "started from durable state start=1 term=0 voted_for=None",
                    1
                ),
                (
                    10_000,
                    "nemesis",
                    "start-partition (partition-majority: n1 n4 | n2 n3 n5)",
                    2
                ),
                (
                    11_390,
                    "election",
                    "election timeout: asking for pre-votes next_term=2 last_index=115 last_term=1",
                    3
                ),
                (11_398, "leader", "became leader of term 2", 5),
                (
                    13_000,
                    "step-down",
                    "check-quorum: no quorum heard within an election timeout, stepping down",
                    7
                ),
                (14_000, "nemesis", "start-kill (kill: n2)", 9),
            ]
        );
        assert_eq!(events[3].event.log.as_ref().unwrap().stamp, "11.398000s");
        assert!(
            events[1].touched.is_empty(),
            "a partition touches every node"
        );
        assert_eq!(events[5].touched, ["n2"]);
        assert!(events[5].involves(&["n2".into()]) && !events[5].involves(&["n1".into()]));
        assert!(events[1].is_cause() && events[3].is_cause() && !events[2].is_cause());
    }

    #[test]
    fn a_ring_partition_says_whom_each_node_reaches() {
        let ring: Value =
            serde_json::from_str(r#"{"1":[3,4],"2":[4,5],"3":[5,1],"4":[1,2],"5":[2,3]}"#).unwrap();
        assert_eq!(
            partition_sides(ring.as_object().unwrap()),
            "n1→n2 n5, n2→n1 n3, n3→n2 n4, n4→n3 n5, n5→n1 n4"
        );
    }
}
