//! The compact JSON the page's timeline script reads.
//!
//! Operations are arrays rather than objects so that 10,000+ of them stay a
//! modest page: `[id, process, f_index, key_index (-1: none), outcome
//! (0 ok, 1 fail, 2 info), call_ns, return_ns or null, input, output]`,
//! where input and output are compact JSON text cut at [`VALUE_CHARS_MAX`]
//! characters. Faults are `[kind_index, start_ns, end_ns or null, nodes,
//! description]`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::input::ReportInput;
use crate::plot::frame::Frame;
use crate::style::{outcome_colour, Colours};
use faultline_checker::history::Outcome;

/// Longest input/output text embedded per op; longer values are cut with `…`.
pub const VALUE_CHARS_MAX: usize = 160;

/// Compact JSON text of a value, cut to `max` characters.
pub fn short_value(value: &Value, max: usize) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= max {
        text
    } else {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

/// Builds the timeline's data for `input`.
pub fn timeline_json(input: &ReportInput, colours: &Colours) -> Value {
    let f_index: BTreeMap<&str, usize> = colours
        .ops
        .iter()
        .enumerate()
        .map(|(i, (f, _))| (f.as_str(), i))
        .collect();
    let kind_index: BTreeMap<&str, usize> = colours
        .faults
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_str(), i))
        .collect();
    let keys: Vec<&str> = {
        let set: std::collections::BTreeSet<&str> = input
            .operations
            .iter()
            .filter_map(|o| o.key.as_deref())
            .collect();
        set.into_iter().collect()
    };
    let key_index: BTreeMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let ops: Vec<Value> = input
        .operations
        .iter()
        .map(|op| {
            let key = op
                .key
                .as_deref()
                .and_then(|k| key_index.get(k))
                .map_or(-1, |i| *i as i64);
            let outcome = match op.outcome {
                Outcome::Ok => 0,
                Outcome::Fail => 1,
                Outcome::Info => 2,
            };
            json!([
                op.id,
                op.process,
                f_index.get(op.f.as_str()).copied().unwrap_or(0),
                key,
                outcome,
                op.call_ns,
                op.return_ns,
                short_value(&op.input, VALUE_CHARS_MAX),
                short_value(&op.output, VALUE_CHARS_MAX),
            ])
        })
        .collect();
    let faults: Vec<Value> = input
        .faults
        .iter()
        .map(|f| {
            json!([
                kind_index.get(f.kind.as_str()).copied().unwrap_or(0),
                f.start_ns,
                f.end_ns,
                f.nodes.join(" "),
                short_value(&Value::String(f.description.clone()), 300),
            ])
        })
        .collect();
    let failures: Vec<Value> = input
        .results
        .linearizability_failures
        .iter()
        .map(|f| {
            json!({
                "op": f.failing_op_id,
                "key": f.key,
                "concurrent": f.concurrent_op_ids,
                "prefix": f.prefix.iter().map(|p| p.op_id).collect::<Vec<_>>(),
            })
        })
        .collect();
    let frame = Frame::of(input);
    json!({
        "ops": ops,
        "fs": colours.ops.iter().map(|(f, c)| json!([f, c.hex()])).collect::<Vec<_>>(),
        "keys": keys,
        "faultKinds": colours.faults.iter().map(|(k, c)| json!([k, c.hex()])).collect::<Vec<_>>(),
        "faults": faults,
        "outcomeColours": Outcome::ALL.iter().map(|o| outcome_colour(*o).hex()).collect::<Vec<_>>(),
        "failures": failures,
        "t0": (frame.start_s * 1e9).round() as u64,
        "t1": (frame.end_s * 1e9).round() as u64,
    })
}
