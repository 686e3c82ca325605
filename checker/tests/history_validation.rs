//! The history contract (DESIGN §3) is enforced with `file:line: field:
//! reason` errors, and valid histories pair into the right operations.

use faultline_checker::error::HistoryError;
use faultline_checker::history::{Event, EventType, History, Outcome, Process};
use faultline_checker::io::{csv, jsonl};
use serde_json::{json, Value};

const HEADER: &str = "index,time_ns,process,type,f,key,value\n";

/// Reads CSV rows (after the header) and returns the error text.
fn csv_error(rows: &str) -> String {
    let text = format!("{HEADER}{rows}");
    match csv::read(text.as_bytes(), "h.csv") {
        Ok(h) => panic!("accepted {rows:?}: {h:?}"),
        Err(err) => err.to_string(),
    }
}

fn assert_starts(err: &str, prefix: &str) {
    assert!(err.starts_with(prefix), "expected {prefix:?}, got {err:?}");
}

#[test]
fn unparsable_rows_and_fields_name_the_line_and_field() {
    let cases = [
        (
            "0,0,1,invoke,read,,null,extra\n",
            "h.csv:2: line: expected 7 cells",
        ),
        ("0,0,1,invoke\n", "h.csv:2: line: expected 7 cells"),
        (
            "x,0,1,invoke,read,,null\n",
            "h.csv:2: index: expected a non-negative integer",
        ),
        (
            "0,-5,1,invoke,read,,null\n",
            "h.csv:2: time_ns: expected a non-negative",
        ),
        ("0,0,p1,invoke,read,,null\n", "h.csv:2: process: expected"),
        (
            "0,0,1,begin,read,,null\n",
            "h.csv:2: type: unknown event type \"begin\"",
        ),
        (
            "0,0,1,invoke,read,,{oops\n",
            "h.csv:2: value: not a JSON value",
        ),
        // An empty cell says "output unknown", which only an ok may say.
        (
            "0,0,1,invoke,read,,\n",
            "h.csv:2: value: an unknown value is only meaningful on an ok completion",
        ),
        ("0,0,1,invoke,,,null\n", "h.csv:2: f: empty function name"),
    ];
    for (rows, expected) in cases {
        assert_starts(&csv_error(rows), expected);
    }
}

#[test]
fn csv_needs_its_header() {
    let err = csv::read("0,0,1,invoke,read,,null\n".as_bytes(), "h.csv").unwrap_err();
    assert_starts(
        &err.to_string(),
        "h.csv:1: header: expected `index,time_ns,",
    );
    let err = csv::read("".as_bytes(), "h.csv").unwrap_err();
    assert_starts(&err.to_string(), "h.csv:1: header: missing header row");
}

#[test]
fn contract_violations_name_the_line_and_the_earlier_event() {
    let cases = [
        (
            "0,0,1,ok,read,,1\n",
            "h.csv:2: type: ok completion without invoke",
        ),
        (
            "0,0,1,invoke,write,,1\n1,1,1,ok,write,,1\n2,2,1,ok,write,,1\n",
            "h.csv:4: type: ok completion without a pending invoke: process 1's last operation already completed at line 3",
        ),
        (
            "0,0,1,invoke,write,,1\n1,1,1,info,write,,1\n2,2,1,invoke,read,,null\n",
            "h.csv:4: process: process 1 issues again after its info at line 3",
        ),
        (
            "0,0,1,invoke,write,,1\n1,1,1,info,write,,1\n2,2,1,fail,write,,1\n",
            "h.csv:4: type: fail completion after process 1's operation already ended in info at line 3",
        ),
        (
            "0,0,1,invoke,write,,1\n1,1,1,invoke,read,,null\n",
            "h.csv:3: process: process 1 invokes again while its operation invoked at line 2 is pending",
        ),
        (
            "0,50,1,invoke,write,,1\n1,40,2,invoke,read,,null\n",
            "h.csv:3: time_ns: time goes backwards: 40 ns is before 50 ns of the previous event (line 2)",
        ),
        (
            "3,0,1,invoke,write,,1\n3,0,2,invoke,read,,null\n",
            "h.csv:3: index: index 3 does not increase",
        ),
        (
            "0,0,1,invoke,write,,1\n1,0,1,ok,read,,1\n",
            "h.csv:3: f: completion f \"read\" does not match f \"write\" of the invoke at line 2",
        ),
        (
            "0,0,1,invoke,write,a,1\n1,0,1,ok,write,b,1\n",
            "h.csv:3: key: completion key Some(\"b\") does not match",
        ),
    ];
    for (rows, expected) in cases {
        assert_starts(&csv_error(rows), expected);
    }
}

#[test]
fn contract_errors_are_invalid_and_syntax_errors_are_parse_errors() {
    let text = format!("{HEADER}0,0,1,ok,read,,1\n");
    let err = csv::read(text.as_bytes(), "h.csv").unwrap_err();
    assert!(matches!(err, HistoryError::Invalid { .. }), "{err:?}");
    assert_eq!(err.field(), Some("type"));
    assert_eq!(err.location().and_then(|l| l.line), Some(2));
    let text = format!("{HEADER}0,0,1,nope,read,,1\n");
    let err = csv::read(text.as_bytes(), "h.csv").unwrap_err();
    assert!(matches!(err, HistoryError::Parse { .. }), "{err:?}");
}

#[test]
fn jsonl_errors_name_line_and_field_and_skip_blank_lines() {
    let cases = [
        ("{\"index\":0", "h.jsonl:1: line: not valid JSON"),
        ("[1,2]", "h.jsonl:1: line: expected a JSON object"),
        (
            "\n{\"time_ns\":0,\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}",
            "h.jsonl:2: index: missing",
        ),
        (
            "{\"index\":-1,\"time_ns\":0,\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}",
            "h.jsonl:1: index: expected a non-negative integer, found -1",
        ),
        (
            "{\"index\":0,\"time_ns\":0,\"process\":\"x\",\"type\":\"invoke\",\"f\":\"read\"}",
            "h.jsonl:1: process: expected an integer or \"nemesis\"",
        ),
        (
            "{\"index\":0,\"time_ns\":0,\"process\":1,\"type\":\"done\",\"f\":\"read\"}",
            "h.jsonl:1: type: unknown event type \"done\"",
        ),
        (
            "{\"index\":0,\"time_ns\":0,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"kee\":1}",
            "h.jsonl:1: kee: unknown field",
        ),
        (
            "{\"index\":0,\"time_ns\":0,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":1}",
            "h.jsonl:1: key: expected a string or null",
        ),
        (
            "{\"index\":0,\"time_ns\":0,\"process\":1,\"type\":\"ok\",\"f\":\"read\"}",
            "h.jsonl:1: type: ok completion without invoke",
        ),
    ];
    for (text, expected) in cases {
        let err = jsonl::read(text.as_bytes(), "h.jsonl")
            .unwrap_err()
            .to_string();
        assert_starts(&err, expected);
    }
}

fn event(index: u64, process: Process, kind: EventType, f: &str, value: Value) -> Event {
    Event {
        index,
        time_ns: index * 10,
        process,
        kind,
        f: f.into(),
        key: None,
        value,
        value_unknown: false,
    }
}

#[test]
fn operations_pair_invokes_with_completions_in_invocation_order() {
    use EventType::*;
    let c = Process::Client;
    let h = History {
        events: vec![
            event(0, c(1), Invoke, "write", json!(3)),
            event(1, c(2), Invoke, "read", Value::Null),
            event(2, Process::Nemesis, Info, "start-partition", json!(["n1"])),
            event(3, c(2), Ok, "read", json!(3)),
            event(4, c(1), Info, "write", json!("timed-out")),
            event(5, c(3), Invoke, "cas", json!([3, 4])),
            event(6, c(3), Fail, "cas", json!([3, 4])),
            event(7, c(4), Invoke, "write", json!(9)),
        ],
    };
    let ops = h.operations().unwrap();
    assert_eq!(ops.len(), 4);
    assert_eq!(h.invocation_count(), 4);
    let ids: Vec<usize> = ops.iter().map(|o| o.id).collect();
    assert_eq!(ids, [0, 1, 2, 3]);

    assert_eq!((ops[0].process, ops[0].outcome), (1, Outcome::Info));
    assert_eq!(ops[0].input, json!(3));
    assert_eq!(ops[0].output, Value::Null);
    assert_eq!((ops[0].call_ns, ops[0].return_ns), (0, None));
    assert_eq!(ops[0].complete_index, Some(4));

    assert_eq!(
        (ops[1].outcome, &ops[1].input, &ops[1].output),
        (Outcome::Ok, &Value::Null, &json!(3))
    );
    assert_eq!((ops[1].call_ns, ops[1].return_ns), (10, Some(30)));
    assert_eq!((ops[1].invoke_index, ops[1].complete_index), (1, Some(3)));

    assert_eq!(ops[2].outcome, Outcome::Fail);
    assert_eq!(ops[2].input, json!([3, 4]));
    assert_eq!(ops[2].return_ns, Some(60));

    assert_eq!(
        (ops[3].outcome, ops[3].return_ns, ops[3].complete_index),
        (Outcome::Info, None, None)
    );
}

#[test]
fn in_memory_errors_name_the_event_index() {
    let h = History {
        events: vec![
            event(
                0,
                Process::Client(1),
                EventType::Invoke,
                "read",
                Value::Null,
            ),
            event(
                1,
                Process::Client(1),
                EventType::Invoke,
                "read",
                Value::Null,
            ),
        ],
    };
    let err = h.validate().unwrap_err().to_string();
    assert_starts(&err, "history: event 1: process: process 1 invokes again while its operation invoked at event 0 is pending");
}

#[test]
fn nemesis_events_are_free_of_pairing_but_not_of_ordering() {
    let mut h = History {
        events: vec![
            event(0, Process::Nemesis, EventType::Info, "start", Value::Null),
            event(1, Process::Nemesis, EventType::Info, "stop", Value::Null),
            event(2, Process::Nemesis, EventType::Ok, "stop", Value::Null),
        ],
    };
    assert_eq!(h.operations().unwrap(), vec![]);
    h.events[2].time_ns = 0;
    assert!(h.validate().is_err());
}

#[test]
fn sourced_history_maps_indices_back_to_lines() {
    let text = format!("{HEADER}0,0,1,invoke,write,,1\n\n5,1,1,ok,write,,1\n");
    let sourced = csv::read(text.as_bytes(), "h.csv").unwrap();
    assert_eq!(sourced.lines, vec![2, 4]);
    assert_eq!(sourced.line_of_index(5), Some(4));
    assert_eq!(sourced.line_of_index(1), None);
    assert_eq!(sourced.operations().unwrap().len(), 1);
}
