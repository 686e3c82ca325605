//! CSV and JSON Lines are lossless: random valid histories survive
//! write → read in each form and across forms, byte-identical on rewrite.

use faultline_checker::history::{Event, EventType, History, Process};
use faultline_checker::io::{csv, jsonl};
use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value: nested arrays and objects of awkward strings and numbers.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::from),
        awkward_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(awkward_text(), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text with the characters that break naive CSV and JSON handling.
fn awkward_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(",".to_owned()),
            Just("\"".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\\".to_owned()),
            Just(" ".to_owned()),
            Just("é☃".to_owned()),
            "[a-z0-9]{1,3}",
        ],
        0..5,
    )
    .prop_map(|parts| parts.concat())
}

/// One step of a random history: which process acts, what it does.
#[derive(Debug, Clone)]
struct Step {
    process: u64,
    nemesis: bool,
    completion: u8,
    f: String,
    key: Option<String>,
    value: Value,
    time_gap_ns: u64,
    index_gap: u64,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u64..5,
        prop::bool::weighted(0.1),
        0u8..3,
        prop_oneof![
            Just("read".to_owned()),
            Just("cas".to_owned()),
            awkward_text()
        ],
        prop::option::of(awkward_text()),
        json_value(),
        prop_oneof![Just(0u64), 1u64..1_000_000, Just(u64::MAX / 1024)],
        1u64..3,
    )
        .prop_map(
            |(process, nemesis, completion, f, key, value, time_gap_ns, index_gap)| Step {
                process,
                nemesis,
                completion,
                f,
                key,
                value,
                time_gap_ns,
                index_gap,
            },
        )
}

/// Builds a history that obeys the contract from random steps: a process
/// with a pending op completes it (ok, fail or info), otherwise invokes; a
/// process that ended in info is replaced by a fresh id.
fn valid_history(steps: Vec<Step>) -> History {
    let mut pending: std::collections::BTreeMap<u64, (String, Option<String>)> = Default::default();
    let mut alias: Vec<u64> = (0..5).collect();
    let mut next_fresh = 5;
    let mut events = Vec::new();
    let (mut index, mut time_ns) = (0u64, 0u64);
    for s in steps {
        index += s.index_gap;
        time_ns = time_ns.saturating_add(s.time_gap_ns);
        let f = if s.f.is_empty() {
            "noop".to_owned()
        } else {
            s.f
        };
        let key = s.key.filter(|k| !k.is_empty());
        if s.nemesis {
            events.push(Event {
                index,
                time_ns,
                process: Process::Nemesis,
                kind: EventType::Info,
                f,
                key,
                value: s.value,
                value_unknown: false,
            });
            continue;
        }
        let slot = s.process as usize;
        let process = alias[slot];
        let event = match pending.remove(&process) {
            Some((f, key)) => {
                let kind = [EventType::Ok, EventType::Fail, EventType::Info][s.completion as usize];
                if kind == EventType::Info {
                    alias[slot] = next_fresh;
                    next_fresh += 1;
                }
                // Some ok completions record an unknown output.
                let unknown = kind == EventType::Ok && s.index_gap == 2 && s.process == 0;
                Event {
                    index,
                    time_ns,
                    process: Process::Client(process),
                    kind,
                    f,
                    key,
                    value: if unknown { Value::Null } else { s.value },
                    value_unknown: unknown,
                }
            }
            None => {
                pending.insert(process, (f.clone(), key.clone()));
                Event {
                    index,
                    time_ns,
                    process: Process::Client(process),
                    kind: EventType::Invoke,
                    f,
                    key,
                    value: s.value,
                    value_unknown: false,
                }
            }
        };
        events.push(event);
    }
    History { events }
}

fn history() -> impl Strategy<Value = History> {
    prop::collection::vec(step(), 0..40).prop_map(valid_history)
}

fn to_csv(h: &History) -> Vec<u8> {
    let mut out = Vec::new();
    csv::write(h, &mut out).unwrap();
    out
}

fn to_jsonl(h: &History) -> Vec<u8> {
    let mut out = Vec::new();
    jsonl::write(h, &mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn csv_round_trip_is_lossless(h in history()) {
        h.validate().unwrap();
        let bytes = to_csv(&h);
        let back = csv::read(bytes.as_slice(), "h.csv").unwrap();
        prop_assert_eq!(&back.history, &h);
        prop_assert_eq!(to_csv(&back.history), bytes);
    }

    #[test]
    fn jsonl_round_trip_is_lossless(h in history()) {
        let bytes = to_jsonl(&h);
        let back = jsonl::read(bytes.as_slice(), "h.jsonl").unwrap();
        prop_assert_eq!(&back.history, &h);
        prop_assert_eq!(to_jsonl(&back.history), bytes);
    }

    #[test]
    fn csv_and_jsonl_convert_into_each_other_losslessly(h in history()) {
        let via_csv = csv::read(to_csv(&h).as_slice(), "h.csv").unwrap().history;
        let via_both = jsonl::read(to_jsonl(&via_csv).as_slice(), "h.jsonl").unwrap().history;
        prop_assert_eq!(&via_both, &h);
        let back_to_csv = csv::read(to_csv(&via_both).as_slice(), "h.csv").unwrap().history;
        prop_assert_eq!(&back_to_csv, &h);
        prop_assert_eq!(
            h.operations().unwrap(),
            back_to_csv.operations().unwrap()
        );
    }
}

#[test]
fn csv_rows_have_the_documented_columns_and_cells() {
    let h = History {
        events: vec![
            Event {
                index: 0,
                time_ns: 5,
                process: Process::Client(3),
                kind: EventType::Invoke,
                f: "cas".into(),
                key: None,
                value: serde_json::json!([1, 2]),
                value_unknown: false,
            },
            Event {
                index: 1,
                time_ns: 9,
                process: Process::Nemesis,
                kind: EventType::Info,
                f: "start-partition".into(),
                key: Some("k".into()),
                value: serde_json::json!("a,b"),
                value_unknown: false,
            },
        ],
    };
    let text = String::from_utf8(to_csv(&h)).unwrap();
    assert_eq!(
        text,
        "index,time_ns,process,type,f,key,value\n\
         0,5,3,invoke,cas,,\"[1,2]\"\n\
         1,9,nemesis,info,start-partition,k,\"\"\"a,b\"\"\"\n"
    );
    let jsonl_text = String::from_utf8(to_jsonl(&h)).unwrap();
    assert_eq!(
        jsonl_text.lines().next().unwrap(),
        r#"{"index":0,"time_ns":5,"process":3,"type":"invoke","f":"cas","key":null,"value":[1,2]}"#
    );
}

#[test]
fn csv_writer_refuses_an_empty_key_it_could_not_read_back() {
    let h = History {
        events: vec![Event {
            index: 0,
            time_ns: 0,
            process: Process::Client(0),
            kind: EventType::Invoke,
            f: "read".into(),
            key: Some(String::new()),
            value: Value::Null,
            value_unknown: false,
        }],
    };
    let err = csv::write(&h, Vec::new()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
