//! Tests for the set and append checkers: good histories pass, and each
//! anomaly (lost, duplicated, unexpected, resurrected, reordered, stale,
//! divergent) is caught with the operations involved.

use std::collections::BTreeMap;

use faultline_checker::append::{check_append, AppendAnomaly};
use faultline_checker::error::HistoryError;
use faultline_checker::history::{Event, EventType, History, Process};
use faultline_checker::set::check_set;
use faultline_checker::Verdict;
use serde_json::{json, Value};

/// Builds histories op by op (in any time order); completions copy their
/// invoke's f and key.
#[derive(Default)]
struct Builder {
    history: History,
    open: BTreeMap<u64, (String, Option<String>)>,
}

impl Builder {
    fn push(&mut self, t: u64, p: u64, kind: EventType, f: &str, key: Option<&str>, v: Value) {
        let index = self.history.events.len() as u64;
        self.history.events.push(Event {
            index,
            time_ns: t,
            process: Process::Client(p),
            kind,
            f: f.to_string(),
            key: key.map(str::to_string),
            value: v,
            value_unknown: false,
        });
    }

    fn invoke(&mut self, t: u64, p: u64, f: &str, key: &str, v: Value) -> &mut Self {
        self.open.insert(p, (f.to_string(), Some(key.to_string())));
        self.push(t, p, EventType::Invoke, f, Some(key), v);
        self
    }

    fn complete(&mut self, t: u64, p: u64, kind: EventType, v: Value) -> &mut Self {
        let (f, key) = self
            .open
            .remove(&p)
            .expect("test builder: completion without invoke");
        self.push(t, p, kind, &f, key.as_deref(), v);
        self
    }

    fn ok(&mut self, t: u64, p: u64, v: Value) -> &mut Self {
        self.complete(t, p, EventType::Ok, v)
    }

    fn fail(&mut self, t: u64, p: u64) -> &mut Self {
        self.complete(t, p, EventType::Fail, Value::Null)
    }

    fn info(&mut self, t: u64, p: u64) -> &mut Self {
        self.complete(t, p, EventType::Info, Value::Null)
    }

    /// A complete op on one process: invoke at `t0`, ok at `t1`.
    fn op(
        &mut self,
        (t0, t1): (u64, u64),
        p: u64,
        f: &str,
        key: &str,
        input: Value,
        out: Value,
    ) -> &mut Self {
        self.invoke(t0, p, f, key, input).ok(t1, p, out)
    }

    /// The events in time order (stable, so an op's invoke stays before its
    /// completion), re-indexed densely.
    fn build(&self) -> History {
        let mut history = self.history.clone();
        history.events.sort_by_key(|e| e.time_ns);
        for (i, e) in history.events.iter_mut().enumerate() {
            e.index = i as u64;
        }
        history
    }
}

fn add(b: &mut Builder, t: u64, p: u64, e: i64) {
    b.op((t, t + 1), p, "add", "s", json!(e), Value::Null);
}

// ---------------------------------------------------------------- set

#[test]
fn set_good_history_is_valid_with_recovered_and_unknown_info_adds() {
    let mut b = Builder::default();
    add(&mut b, 0, 0, 1);
    add(&mut b, 2, 1, 2);
    b.invoke(4, 2, "add", "s", json!(3)).info(5, 2); // recovered below
    b.invoke(6, 3, "add", "s", json!(4)).info(7, 3); // never seen
    b.invoke(8, 0, "add", "s", json!(5)).fail(9, 0);
    b.op((10, 12), 1, "read", "s", Value::Null, json!([2, 1, 3]));
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Valid, "{}", result.explanation);
    let key = &result.keys[0];
    assert_eq!((key.ok_count, key.fail_count, key.info_count), (2, 1, 2));
    assert_eq!((key.recovered_count, key.unknown_count), (1, 1));
    assert_eq!(key.final_read_count, 1);
}

#[test]
fn set_lost_acknowledged_add_is_invalid_and_names_the_ops() {
    let mut b = Builder::default();
    add(&mut b, 0, 0, 1);
    add(&mut b, 2, 1, 2);
    b.op((10, 12), 1, "read", "s", Value::Null, json!([1]));
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Invalid);
    let lost = &result.keys[0].lost;
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].element, json!(2));
    assert_eq!((lost[0].add_op, lost[0].read_op), (1, 2));
    assert!(result
        .explanation
        .contains("element 2 was acknowledged by op 1"));
}

#[test]
fn set_duplicated_unexpected_and_resurrected_elements_are_invalid() {
    let mut b = Builder::default();
    add(&mut b, 0, 0, 1);
    b.invoke(2, 1, "add", "s", json!(2)).fail(3, 1);
    b.op((10, 12), 1, "read", "s", Value::Null, json!([1, 1, 2, 99]));
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Invalid);
    let key = &result.keys[0];
    assert_eq!(key.duplicated.len(), 1);
    assert_eq!(
        (key.duplicated[0].element.clone(), key.duplicated[0].count),
        (json!(1), 2)
    );
    assert_eq!(key.unexpected[0].element, json!(99));
    assert_eq!(key.resurrected[0].element, json!(2));
    assert!(key.lost.is_empty());
}

#[test]
fn set_read_concurrent_with_an_add_is_not_a_final_read() {
    let mut b = Builder::default();
    b.invoke(0, 0, "add", "s", json!(1));
    b.op((1, 2), 1, "read", "s", Value::Null, json!([]));
    b.ok(3, 0, Value::Null);
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Unknown, "{}", result.explanation);
    assert!(result.keys[0].lost.is_empty());
    assert!(result.explanation.contains("cannot be ruled out"));
}

#[test]
fn set_read_missing_an_element_visible_before_it_began_is_stale() {
    // 1 acknowledged at t=1; a read from t=3 (not final: an add is still
    // in flight) lacks it.
    let mut b = Builder::default();
    add(&mut b, 0, 0, 1);
    b.invoke(2, 1, "add", "s", json!(2));
    b.op((3, 4), 2, "read", "s", Value::Null, json!([]));
    b.ok(5, 1, Value::Null);
    b.op((10, 11), 2, "read", "s", Value::Null, json!([1, 2]));
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Invalid, "{}", result.explanation);
    let key = &result.keys[0];
    assert!(key.lost.is_empty());
    assert_eq!(key.stale.len(), 1);
    assert_eq!(key.stale[0].element, json!(1));
    assert!(result
        .explanation
        .contains("lacks element 1, visible since op"));
}

#[test]
fn set_info_add_seen_then_missing_is_stale_but_concurrent_reads_may_differ() {
    // The info add of 7 shows up in a read that completed at t=5, then a
    // read begun at t=6 lacks it: it vanished.
    let mut b = Builder::default();
    b.invoke(0, 0, "add", "s", json!(7)).info(1, 0);
    b.op((4, 5), 1, "read", "s", Value::Null, json!([7]));
    b.op((6, 7), 2, "read", "s", Value::Null, json!([]));
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Invalid, "{}", result.explanation);
    assert_eq!(result.keys[0].stale[0].element, json!(7));
    assert_eq!(result.keys[0].stale[0].visible_op, 1);

    // Overlapping reads may disagree: the add may take effect between them.
    let mut b = Builder::default();
    b.invoke(0, 0, "add", "s", json!(7)).info(1, 0);
    b.invoke(4, 1, "read", "s", Value::Null);
    b.op((5, 6), 2, "read", "s", Value::Null, json!([]));
    b.ok(7, 1, json!([7]));
    b.op((8, 9), 2, "read", "s", Value::Null, json!([7]));
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Valid, "{}", result.explanation);
}

#[test]
fn set_keys_are_checked_independently() {
    let mut b = Builder::default();
    b.op((0, 1), 0, "add", "a", json!(1), Value::Null);
    b.op((0, 1), 1, "add", "b", json!(1), Value::Null);
    b.op((5, 6), 0, "read", "a", Value::Null, json!([1]));
    b.op((5, 6), 1, "read", "b", Value::Null, json!([]));
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Invalid);
    assert_eq!(result.keys[0].verdict, Verdict::Valid);
    assert_eq!(result.keys[1].verdict, Verdict::Invalid);
}

#[test]
fn set_malformed_history_is_an_error_not_a_panic() {
    let mut history = History::default();
    history.events.push(Event {
        index: 0,
        time_ns: 0,
        process: Process::Client(4),
        kind: EventType::Ok,
        f: "add".into(),
        key: None,
        value: json!(1),
        value_unknown: false,
    });
    let err = check_set(&history).unwrap_err();
    assert!(matches!(err, HistoryError::Invalid { .. }), "{err}");
}

// ---------------------------------------------------------------- append

fn append(b: &mut Builder, t0: u64, t1: u64, p: u64, e: i64) {
    b.op((t0, t1), p, "append", "k", json!(e), Value::Null);
}

fn read(b: &mut Builder, t0: u64, t1: u64, p: u64, list: Value) {
    b.op((t0, t1), p, "read", "k", Value::Null, list);
}

fn kinds(result: &faultline_checker::append::AppendResult) -> Vec<&'static str> {
    result
        .keys
        .iter()
        .flat_map(|k| k.anomalies.iter().map(AppendAnomaly::name))
        .collect()
}

#[test]
fn append_good_history_with_concurrent_ops_is_valid() {
    let mut b = Builder::default();
    append(&mut b, 0, 10, 0, 1);
    append(&mut b, 1, 9, 1, 2); // concurrent with 1: either order is fine
    read(&mut b, 2, 3, 2, json!([2]));
    b.invoke(11, 0, "append", "k", json!(3)).info(12, 0); // may appear or not
    read(&mut b, 13, 14, 2, json!([2, 1]));
    read(&mut b, 15, 16, 1, json!([2, 1, 3]));
    let result = check_append(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Valid, "{}", result.explanation);
    assert_eq!(result.keys[0].longest_read_len, 3);
}

#[test]
fn append_lost_acknowledged_append_is_reported_with_its_ops() {
    let mut b = Builder::default();
    append(&mut b, 0, 1, 0, 1);
    append(&mut b, 2, 3, 0, 2);
    read(&mut b, 4, 5, 1, json!([1]));
    let result = check_append(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Invalid);
    assert_eq!(
        result.keys[0].anomalies,
        vec![AppendAnomaly::Lost {
            element: json!(2),
            append_op: 1,
            read_op: 2
        }]
    );
    assert!(result
        .explanation
        .contains("lost: op 1 (process 0, append 2"));
}

#[test]
fn append_lost_append_missing_from_a_read_but_present_later_is_caught() {
    let mut b = Builder::default();
    append(&mut b, 0, 1, 0, 1);
    append(&mut b, 2, 3, 0, 2);
    read(&mut b, 4, 5, 1, json!([1]));
    read(&mut b, 6, 7, 1, json!([1, 2]));
    let result = check_append(&b.build()).unwrap();
    assert_eq!(kinds(&result), vec!["lost"]);
}

#[test]
fn append_reordered_appends_are_invalid() {
    let mut b = Builder::default();
    append(&mut b, 0, 1, 0, 1);
    append(&mut b, 2, 3, 0, 2); // invoked after 1 was acknowledged
    read(&mut b, 4, 5, 1, json!([2, 1]));
    let result = check_append(&b.build()).unwrap();
    assert_eq!(kinds(&result), vec!["reordered"]);
    match &result.keys[0].anomalies[0] {
        AppendAnomaly::Reordered {
            earlier_append_op,
            later_append_op,
            ..
        } => {
            assert_eq!((*earlier_append_op, *later_append_op), (0, 1));
        }
        other => panic!("unexpected anomaly {other:?}"),
    }
}

#[test]
fn append_divergent_reads_are_invalid() {
    let mut b = Builder::default();
    append(&mut b, 0, 10, 0, 1);
    append(&mut b, 0, 10, 1, 2);
    read(&mut b, 11, 12, 2, json!([1, 2]));
    read(&mut b, 11, 12, 3, json!([2, 1]));
    let result = check_append(&b.build()).unwrap();
    assert_eq!(kinds(&result), vec!["divergence"]);
    assert!(result.explanation.contains("order checks skipped"));
}

#[test]
fn append_stale_read_after_longer_read_is_invalid() {
    let mut b = Builder::default();
    append(&mut b, 0, 10, 0, 1);
    append(&mut b, 0, 10, 1, 2);
    read(&mut b, 1, 2, 2, json!([1, 2])); // sees both before they are acknowledged
    read(&mut b, 3, 4, 2, json!([1]));
    let result = check_append(&b.build()).unwrap();
    assert_eq!(kinds(&result), vec!["stale-read"]);
}

#[test]
fn append_duplicates_unexpected_resurrected_and_future_elements_are_invalid() {
    let mut b = Builder::default();
    append(&mut b, 0, 1, 0, 1);
    b.invoke(2, 1, "append", "k", json!(2)).fail(3, 1);
    read(&mut b, 4, 5, 2, json!([1, 1, 2, 7, 8]));
    append(&mut b, 6, 7, 0, 8); // invoked after the read returned
    let result = check_append(&b.build()).unwrap();
    let mut found = kinds(&result);
    found.sort();
    assert_eq!(
        found,
        vec!["duplicate", "future-read", "resurrected", "unexpected"]
    );
}

#[test]
fn append_non_list_read_makes_the_verdict_unknown() {
    let mut b = Builder::default();
    append(&mut b, 0, 1, 0, 1);
    read(&mut b, 2, 3, 1, json!("oops"));
    let result = check_append(&b.build()).unwrap();
    assert_eq!(result.verdict, Verdict::Unknown);
}

#[test]
fn append_results_serialize_with_kebab_case_anomaly_kinds() {
    let mut b = Builder::default();
    append(&mut b, 0, 1, 0, 1);
    read(&mut b, 2, 3, 1, json!([]));
    let result = check_append(&b.build()).unwrap();
    let v = serde_json::to_value(&result).unwrap();
    assert_eq!(v["valid"], json!(false));
    assert_eq!(v["keys"][0]["anomalies"][0]["kind"], json!("lost"));
    assert_eq!(v["anomaly_counts"]["lost"], json!(1));
}

#[test]
fn null_reads_count_as_empty_so_lost_elements_are_still_caught() {
    let mut b = Builder::default();
    append(&mut b, 0, 1, 0, 1);
    read(&mut b, 2, 3, 1, Value::Null);
    let result = check_append(&b.build()).unwrap();
    assert_eq!(kinds(&result), vec!["lost"]);
    let mut b = Builder::default();
    add(&mut b, 0, 0, 1);
    b.op((5, 6), 1, "read", "s", Value::Null, Value::Null);
    let result = check_set(&b.build()).unwrap();
    assert_eq!(result.keys[0].lost.len(), 1);
}

#[test]
fn set_checks_string_and_sparse_integer_elements_too() {
    for (a, b, stranger) in [
        (json!("a"), json!("b"), json!("c")),
        (json!(1), json!(1_000_000_000_000i64), json!(5)),
        (json!(-3), json!(2), json!(-4)),
    ] {
        let mut b_ = Builder::default();
        b_.op((0, 1), 0, "add", "s", a.clone(), Value::Null);
        b_.op((2, 3), 0, "add", "s", b.clone(), Value::Null);
        b_.op((5, 6), 1, "read", "s", Value::Null, json!([a, a, stranger]));
        let result = check_set(&b_.build()).unwrap();
        let key = &result.keys[0];
        assert_eq!(key.duplicated.len(), 1, "{}", result.explanation);
        assert_eq!(
            (key.duplicated[0].element.clone(), key.duplicated[0].count),
            (a.clone(), 2)
        );
        assert_eq!(key.unexpected[0].element, stranger);
        assert_eq!(key.lost.len(), 1);
        assert_eq!(key.lost[0].element, b);
    }
}
