//! Jepsen's rules for imported histories, value exactness and input edges:
//! Knossos's nil reads and line order (§1), unknown read values in our own
//! formats, the byte order mark in every format, duplicate JSON keys and
//! integers beyond 64 bits.

use faultline_checker::history::SourcedHistory;
use faultline_checker::import::{self, Format, NilReads};
use faultline_checker::{check_operations, CheckOptions, ModelKind, RealTimeOrder, Verdict};

fn cas() -> ModelKind {
    "cas-register".parse().unwrap()
}

fn verdict(history: &SourcedHistory, model: &ModelKind) -> Verdict {
    let ops = history.operations().unwrap();
    let opts = CheckOptions {
        order: if history.line_order {
            RealTimeOrder::HistoryIndex
        } else {
            RealTimeOrder::Timestamps
        },
        ..CheckOptions::default()
    };
    check_operations(&ops, model, &opts).unwrap().verdict
}

fn read(text: &str, format: Format) -> SourcedHistory {
    import::read_str(text, "h", format).unwrap_or_else(|e| panic!("{e}"))
}

const NIL_READ_EDN: &str = "\
{:type :invoke, :f :write, :value 1, :process 0, :time 10, :index 0}
{:type :ok, :f :write, :value 1, :process 0, :time 20, :index 1}
{:type :invoke, :f :read, :value nil, :process 1, :time 30, :index 2}
{:type :ok, :f :read, :value nil, :process 1, :time 40, :index 3}
";

#[test]
fn a_jepsen_read_of_nil_matches_every_state_by_default() {
    let history = read(NIL_READ_EDN, Format::JepsenEdn);
    assert!(history.history.events[3].value_unknown);
    assert_eq!(verdict(&history, &cas()), Verdict::Valid);
}

#[test]
fn nil_as_a_value_makes_the_same_read_stale() {
    let history =
        import::read_str_with(NIL_READ_EDN, "h", Format::JepsenEdn, NilReads::Value).unwrap();
    assert!(!history.history.events[3].value_unknown);
    assert_eq!(verdict(&history, &cas()), Verdict::Invalid);
}

/// By `:time` the read (invoked at 15) overlaps the write (returned at 20)
/// and may see 0; by line order the write returned before the read began,
/// so the read of 0 is stale, which is Knossos's verdict.
const BACKWARDS_TIME_EDN: &str = "\
{:type :invoke, :f :write, :value 1, :process 0, :time 10}
{:type :ok, :f :write, :value 1, :process 0, :time 20}
{:type :invoke, :f :read, :value nil, :process 1, :time 15}
{:type :ok, :f :read, :value 0, :process 1, :time 30}
";

#[test]
fn jepsen_time_may_go_backwards_and_line_order_is_real_time() {
    let history = read(BACKWARDS_TIME_EDN, Format::JepsenEdn);
    assert!(history.line_order);
    assert_eq!(
        history.history.events[2].time_ns, 15,
        "time kept for display"
    );
    let model = cas().with_initial(serde_json::json!(0)).unwrap();
    assert_eq!(verdict(&history, &model), Verdict::Invalid);
}

#[test]
fn our_own_formats_still_refuse_time_going_backwards() {
    let csv = "index,time_ns,process,type,f,key,value\n\
               0,10,0,invoke,read,,null\n\
               1,5,0,ok,read,,1\n";
    let err = import::read_str(csv, "h.csv", Format::Csv).unwrap_err();
    assert_eq!(err.field(), Some("time_ns"), "{err}");
    assert!(err
        .to_string()
        .starts_with("h.csv:3: time_ns: time goes backwards"));
}

const UNKNOWN_CSV: &str = "index,time_ns,process,type,f,key,value\n\
    0,10,0,invoke,write,,1\n\
    1,20,0,ok,write,,1\n\
    2,30,1,invoke,read,,null\n\
    3,40,1,ok,read,,\n";

#[test]
fn an_empty_csv_value_cell_is_a_read_of_unknown_value() {
    let history = read(UNKNOWN_CSV, Format::Csv);
    assert!(history.history.events[3].value_unknown);
    assert_eq!(verdict(&history, &cas()), Verdict::Valid);
    let null = UNKNOWN_CSV.replace("3,40,1,ok,read,,\n", "3,40,1,ok,read,,null\n");
    assert_eq!(verdict(&read(&null, Format::Csv), &cas()), Verdict::Invalid);
}

#[test]
fn an_unknown_value_survives_both_of_our_formats() {
    let history = read(UNKNOWN_CSV, Format::Csv).history;
    let mut jsonl = Vec::new();
    faultline_checker::io::jsonl::write(&history, &mut jsonl).unwrap();
    let text = String::from_utf8(jsonl).unwrap();
    assert!(text
        .lines()
        .nth(3)
        .unwrap()
        .contains("\"value_unknown\":true"));
    assert!(!text.lines().nth(2).unwrap().contains("value_unknown"));
    let back = read(&text, Format::Jsonl).history;
    assert_eq!(back, history);
    let mut csv = Vec::new();
    faultline_checker::io::csv::write(&back, &mut csv).unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap().replace("\r\n", "\n"),
        UNKNOWN_CSV
    );
}

#[test]
fn an_unknown_value_is_refused_where_it_means_nothing() {
    let invoke = UNKNOWN_CSV.replace("2,30,1,invoke,read,,null", "2,30,1,invoke,read,,");
    let err = import::read_str(&invoke, "h.csv", Format::Csv).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("h.csv:4: value: an unknown value"),
        "{err}"
    );
    let jsonl = r#"{"index":0,"time_ns":0,"process":0,"type":"invoke","f":"read","value":null}
{"index":1,"time_ns":1,"process":0,"type":"ok","f":"read","value":3,"value_unknown":true}"#;
    let err = import::read_str(jsonl, "h.jsonl", Format::Jsonl).unwrap_err();
    assert!(err.to_string().starts_with("h.jsonl:2: value: "), "{err}");
}

#[test]
fn a_txn_read_of_nil_becomes_a_read_of_unknown_value() {
    let edn = "{:type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]], :process 0}\n\
               {:type :ok, :f :txn, :value [[:read :x nil] [:write :y 2]], :process 0}\n";
    let history = read(edn, Format::JepsenEdn);
    let events = &history.history.events;
    assert_eq!(
        events[0].value,
        serde_json::json!([["read", "x", null], ["write", "y", 2]])
    );
    assert_eq!(
        events[1].value,
        serde_json::json!([["read", "x"], ["write", "y", 2]])
    );
}

/// One small valid history in each format, and the same with a leading
/// byte order mark.
fn one_per_format() -> Vec<(Format, &'static str)> {
    vec![
        (
            Format::Csv,
            "index,time_ns,process,type,f,key,value\n0,0,0,invoke,write,,1\n1,1,0,ok,write,,1\n",
        ),
        (
            Format::Jsonl,
            "{\"index\":0,\"time_ns\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n",
        ),
        (
            Format::JepsenEdn,
            "{:type :invoke, :f :write, :value 1, :process 0, :time 0}\n",
        ),
        (
            Format::PorcupineKv,
            "{:process 0, :type :invoke, :f :put, :key \"1\", :value \"x\"}\n",
        ),
        (
            Format::PorcupineEtcd,
            "INFO  jepsen.util - 0\t:invoke\t:write\t1\n",
        ),
    ]
}

#[test]
fn a_byte_order_mark_is_accepted_and_detected_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for (format, text) in one_per_format() {
        let plain = read(text, format);
        let marked = format!("\u{feff}{text}");
        let with_bom = read(&marked, format);
        assert_eq!(with_bom.history, plain.history, "{format}");
        let path = dir.path().join(format!("h-{format}.txt"));
        std::fs::write(&path, &marked).unwrap();
        let loaded = import::load(&path, None).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(loaded.format, format);
        assert_eq!(loaded.history.history, plain.history, "{format}");
    }
}

#[test]
fn duplicate_json_keys_are_refused_with_file_line_and_field() {
    let top = "{\"index\":0,\"time_ns\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"f\":\"read\",\"value\":1}\n";
    let err = import::read_str(top, "h.jsonl", Format::Jsonl).unwrap_err();
    assert_eq!(
        err.to_string(),
        "h.jsonl:1: f: duplicate key \"f\" in a JSON object"
    );
    let nested = "\n{\"index\":0,\"time_ns\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":{\"a\":1,\"a\":2}}\n";
    let err = import::read_str(nested, "h.jsonl", Format::Jsonl).unwrap_err();
    assert_eq!(
        err.to_string(),
        "h.jsonl:2: value: duplicate key \"a\" in a JSON object"
    );
    let csv = "index,time_ns,process,type,f,key,value\n0,0,0,invoke,write,,\"{\"\"a\"\":1,\"\"a\"\":2}\"\n";
    let err = import::read_str(csv, "h.csv", Format::Csv).unwrap_err();
    assert_eq!(
        err.to_string(),
        "h.csv:2: value: duplicate key \"a\" in a JSON object"
    );
}

#[test]
fn integers_beyond_64_bits_are_refused_not_rounded() {
    let csv = "index,time_ns,process,type,f,key,value\n\
               0,0,0,invoke,write,,100000000000000000000\n\
               1,1,0,ok,write,,100000000000000000000\n\
               2,2,0,invoke,read,,null\n\
               3,3,0,ok,read,,100000000000000000001\n";
    let err = import::read_str(csv, "h.csv", Format::Csv).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "h.csv:2: value: integer 100000000000000000000 is outside the 64-bit range"
        ),
        "{err}"
    );
    let jsonl = "{\"index\":0,\"time_ns\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":[1,-9223372036854775809]}\n";
    let err = import::read_str(jsonl, "h.jsonl", Format::Jsonl).unwrap_err();
    assert!(
        err.to_string().starts_with("h.jsonl:1: value: integer"),
        "{err}"
    );
    let edn = "{:type :invoke, :f :write, :value 1.00000000000000001, :process 0}\n";
    let err = import::read_str(edn, "h.edn", Format::JepsenEdn).unwrap_err();
    assert!(err.to_string().starts_with("h.edn:1: "), "{err}");
}
