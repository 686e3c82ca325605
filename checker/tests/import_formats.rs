//! Importers on Porcupine's real histories (skipped with a message when
//! `../shared/data/porcupine` is absent) and on malformed snippets of every
//! format: they must give `file:line: field` errors and never panic.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use faultline_checker::history::{Outcome, Process};
use faultline_checker::import::{self, detect, Format};
use proptest::prelude::*;

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/porcupine");
    if dir.join("VERDICTS.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

/// `(file, notes)` rows of VERDICTS.tsv that have a verdict.
fn verdict_rows(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("VERDICTS.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            let has_verdict = cells.len() >= 4 && matches!(cells[2], "ok" | "fail");
            has_verdict.then(|| (cells[0].to_owned(), cells[3].to_owned()))
        })
        .collect()
}

/// The number before `word` in `notes` ("85 ops" -> 85).
fn count_before(notes: &str, word: &str) -> Option<usize> {
    let at = notes.find(word)?;
    notes[..at]
        .split_whitespace()
        .last()?
        .trim_start_matches('(')
        .parse()
        .ok()
}

#[test]
fn every_porcupine_etcd_log_imports_with_the_documented_counts() {
    let Some(dir) = data_dir() else { return };
    let mut checked = 0;
    for (file, notes) in verdict_rows(&dir) {
        if !file.contains("/jepsen/") {
            continue;
        }
        let path = dir.join(&file);
        let imported = import::load(&path, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(imported.format, Format::PorcupineEtcd, "{file}");
        let ops = imported.history.operations().unwrap();
        assert_eq!(
            Some(ops.len()),
            count_before(&notes, " ops"),
            "{file}: {notes}"
        );
        let infos = ops.iter().filter(|o| o.outcome == Outcome::Info).count();
        assert_eq!(
            Some(infos),
            count_before(&notes, " :info"),
            "{file}: {notes}"
        );
        let fails = ops
            .iter()
            .filter(|o| o.outcome == Outcome::Fail && o.f == "read")
            .count();
        assert_eq!(
            Some(fails),
            count_before(&notes, " :fail read"),
            "{file}: {notes}"
        );
        let processes: BTreeSet<u64> = ops.iter().map(|o| o.process).collect();
        assert_eq!(
            Some(processes.len()),
            count_before(&notes, " process ids"),
            "{file}"
        );
        assert!(ops
            .iter()
            .all(|o| ["read", "write", "cas"].contains(&o.f.as_str())));
        assert!(ops.iter().all(|o| o.key.is_none()));
        checked += 1;
    }
    assert_eq!(checked, 102, "etcd logs with a verdict");
}

#[test]
fn the_empty_etcd_log_imports_as_an_empty_history() {
    let Some(dir) = data_dir() else { return };
    let imported = import::load(&dir.join("test_data/jepsen/etcd_095.log"), None).unwrap();
    assert_eq!(imported.format, Format::PorcupineEtcd);
    assert!(imported.history.history.events.is_empty());
}

#[test]
fn every_porcupine_kv_file_imports_with_the_documented_counts() {
    let Some(dir) = data_dir() else { return };
    let mut checked = 0;
    for (file, notes) in verdict_rows(&dir) {
        if !file.contains("/kv/") {
            continue;
        }
        let imported = import::load(&dir.join(&file), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(imported.format, Format::PorcupineKv, "{file}");
        let ops = imported.history.operations().unwrap();
        assert_eq!(
            Some(ops.len()),
            count_before(&notes, " ops"),
            "{file}: {notes}"
        );
        let keys: BTreeSet<&str> = ops.iter().filter_map(|o| o.key.as_deref()).collect();
        assert_eq!(Some(keys.len()), count_before(&notes, " keys"), "{file}");
        let clients: BTreeSet<u64> = ops.iter().map(|o| o.process).collect();
        assert_eq!(
            Some(clients.len()),
            count_before(&notes, " clients"),
            "{file}"
        );
        assert!(
            ops.iter().all(|o| o.outcome == Outcome::Ok),
            "{file}: all ops complete"
        );
        assert!(ops
            .iter()
            .all(|o| ["read", "write", "append"].contains(&o.f.as_str())));
        // Reads carry their result as a string; their input is null.
        let read = ops.iter().find(|o| o.f == "read").unwrap();
        assert!(read.input.is_null() && read.output.is_string(), "{read:?}");
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn a_forced_format_overrides_detection() {
    let Some(dir) = data_dir() else { return };
    let path = dir.join("test_data/kv/c01-ok.txt");
    let err = import::load(&path, Some(Format::Csv))
        .unwrap_err()
        .to_string();
    assert!(err.contains("c01-ok.txt:1: header:"), "{err}");
    let jepsen = import::load(&path, Some(Format::JepsenEdn)).unwrap();
    assert_eq!(jepsen.format, Format::JepsenEdn);
    let kv = import::load(&path, None).unwrap();
    assert_eq!(jepsen.history.history, kv.history.history);
}

/// Imports `text` as `format` under the name `x`.
fn import_text(text: &str, format: Format) -> Result<usize, String> {
    import::read_str(text, "x", format)
        .map(|h| h.history.events.len())
        .map_err(|e| e.to_string())
}

#[test]
fn etcd_lines_parse_and_normalise() {
    let text = "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\n\n\
                INFO  jepsen.util - 3   :invoke :read   nil\n\
                INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n\
                INFO  jepsen.util - 2\t:info\t:cas\t:timed-out\n\
                INFO  jepsen.util - 3\t:ok\t:read\t0\n";
    let h = import::read_str(text, "x", Format::PorcupineEtcd).unwrap();
    assert_eq!(h.lines, vec![1, 3, 5, 6]);
    let times: Vec<u64> = h.history.events.iter().map(|e| e.time_ns).collect();
    assert_eq!(
        times,
        [0, 1, 3, 4],
        "one tick per line, the nemesis line included"
    );
    let ops = h.operations().unwrap();
    assert_eq!(ops[0].input, serde_json::json!([3, 0]));
    assert_eq!(ops[0].outcome, Outcome::Info);
    assert_eq!(
        (ops[1].input.clone(), ops[1].output.clone()),
        (serde_json::Value::Null, serde_json::json!(0))
    );
    assert!(h
        .history
        .events
        .iter()
        .all(|e| e.process != Process::Nemesis));
}

#[test]
fn malformed_etcd_lines_name_file_line_and_field() {
    let ok = "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n";
    let cases = [
        ("hello world", "x:2: line: expected `INFO  jepsen.util - "),
        (
            "INFO  jepsen.util - one\t:invoke\t:read\tnil",
            "x:2: process: ",
        ),
        (
            "INFO  jepsen.util - 2\t:begin\t:read\tnil",
            "x:2: type: unknown type \":begin\"",
        ),
        (
            "INFO  jepsen.util - 2\t:invoke\t:lock\tnil",
            "x:2: f: unsupported function \":lock\"",
        ),
        (
            "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0",
            "x:2: value: unterminated",
        ),
        (
            "INFO  jepsen.util - 2\t:invoke\t:cas",
            "x:2: value: missing",
        ),
        (
            "INFO  jepsen.util - 2\t:invoke\t:cas\t[1 2] 3",
            "x:2: value: unexpected text",
        ),
        (
            "INFO  jepsen.util - 2\t:ok\t:read\t1",
            "x:2: type: ok completion without invoke",
        ),
        (
            "INFO  jepsen.util - 1\t:ok\t:write\t1",
            "x:2: f: completion f \"write\" does not match",
        ),
    ];
    for (line, expected) in cases {
        let err = import_text(&format!("{ok}{line}\n"), Format::PorcupineEtcd).unwrap_err();
        assert!(
            err.starts_with(expected),
            "{line:?}: expected {expected:?}, got {err:?}"
        );
    }
}

#[test]
fn jepsen_edn_reads_maps_vectors_tuples_and_skips_the_nemesis() {
    let text = r#"; a Jepsen history
[{:type :invoke, :f :write, :value 3, :process 0, :time 100, :index 0}
 {:type :info, :f :start, :value {"n1" #{"n2"}}, :process :nemesis, :time 150, :index 1}
 {:type :ok, :f :write, :value 3, :process 0, :time 200, :index 2}
 {:type :invoke, :f :read, :value #jepsen.independent/tuple [7 nil], :process 1, :time 300, :index 3}
 {:type :ok, :f :read, :value #jepsen.independent/tuple [7 3], :process 1, :time 400, :index 4, :error nil}]
"#;
    let h = import::read_str(text, "h.edn", Format::JepsenEdn).unwrap();
    assert_eq!(h.lines, vec![2, 4, 5, 6]);
    let ops = h.operations().unwrap();
    assert_eq!(ops.len(), 2);
    assert_eq!((ops[0].call_ns, ops[0].return_ns), (100, Some(200)));
    assert_eq!(ops[1].key.as_deref(), Some("7"));
    assert_eq!(ops[1].output, serde_json::json!(3));
    assert_eq!(h.history.events[3].index, 4);
    assert_eq!(detect::by_content(text), Some(Format::JepsenEdn));
}

#[test]
fn jepsen_edn_without_times_synthesises_line_order() {
    let text = "{:type :invoke, :f :cas, :value [1 2], :process 0}\n\
                {:type :fail, :f :cas, :value [1 2], :process 0}\n";
    let h = import::read_str(text, "h.edn", Format::JepsenEdn).unwrap();
    let stamps: Vec<(u64, u64)> = h
        .history
        .events
        .iter()
        .map(|e| (e.index, e.time_ns))
        .collect();
    assert_eq!(stamps, [(0, 0), (1, 1)]);
}

#[test]
fn malformed_edn_names_file_line_and_field() {
    let first = "{:type :invoke, :f :read, :value nil, :process 0}\n";
    let cases = [
        (
            "{:type :invoke, :f :lock, :value [[:r 1 nil]], :process 1}",
            "h.edn:2: f: unsupported function \"lock\"",
        ),
        (
            "{:type :invoke, :f :read, :process -1}",
            "h.edn:2: process: expected a non-negative integer or :nemesis, found -1",
        ),
        ("{:type :invoke, :f :read}", "h.edn:2: process: missing"),
        (
            "{:type \"ok\", :f :read, :process 1}",
            "h.edn:2: type: expected a keyword, found \"ok\"",
        ),
        (
            "{:type :done, :f :read, :process 1}",
            "h.edn:2: type: unknown type :done",
        ),
        ("{:type :invoke, :process 1}", "h.edn:2: f: missing"),
        (
            "{:type :invoke, :f :read, :process 1 :time 5}",
            "h.edn:2: time: present, while earlier operations have no :time",
        ),
        (
            "{:type :invoke, :f :read, :process 1, :value \"abc}",
            "h.edn:2: edn: unterminated string",
        ),
        (
            "{:type :invoke, :f :read, :process 1 :value}",
            "h.edn:2: edn: map has a key without a value",
        ),
        ("[1 2]", "h.edn:2: line: expected an operation map"),
        (
            "{:type :ok, :f :read, :process 0, :value 1.0e999}",
            "h.edn:2: edn: malformed number",
        ),
        (
            "{:type :invoke, :f :read, :process 0}",
            "h.edn:2: process: process 0 invokes again",
        ),
        (
            "{:type :invoke, :f :read, :process 1, :value {[1] 2}}",
            "h.edn:2: value: a vector cannot be a key",
        ),
    ];
    for (line, expected) in cases {
        let err = import::read_str(&format!("{first}{line}\n"), "h.edn", Format::JepsenEdn)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(expected),
            "{line:?}: expected {expected:?}, got {err:?}"
        );
    }
}

#[test]
fn porcupine_kv_normalises_names_and_requires_keys() {
    let text = "{:process 0, :type :invoke, :f :put, :key \"1\", :value \"x\"}\n\
                {:process 0, :type :ok, :f :put, :key \"1\", :value \"x\"}\n\
                {:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n\
                {:process 0, :type :ok, :f :get, :key \"1\", :value \"x\"}\n";
    let ops = import::read_str(text, "kv.txt", Format::PorcupineKv)
        .unwrap()
        .operations()
        .unwrap();
    let fs: Vec<&str> = ops.iter().map(|o| o.f.as_str()).collect();
    assert_eq!(fs, ["write", "read"]);
    let err = import_text(
        "{:process 0, :type :invoke, :f :get, :value nil}\n",
        Format::PorcupineKv,
    )
    .unwrap_err();
    assert!(err.starts_with("x:1: key: missing"), "{err}");
}

#[test]
fn detection_falls_back_to_the_extension_and_otherwise_asks_for_a_format() {
    assert_eq!(
        import::detect("", Path::new("a.log")).unwrap(),
        Format::PorcupineEtcd
    );
    let err = import::detect("", Path::new("a.txt"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "a.txt: format: cannot detect the format of an empty input; pass --format"
    );
    let err = import::detect("hello", Path::new("a"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("a: format: cannot detect"), "{err}");
    let err = import::load(Path::new("/nonexistent/h.csv"), None)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("/nonexistent/h.csv: cannot read:"), "{err}");
}

#[test]
fn invalid_utf8_is_reported_with_its_line() {
    let dir = std::env::temp_dir().join(format!("faultline-ckio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.csv");
    std::fs::write(
        &path,
        b"index,time_ns,process,type,f,key,value\n0,0,1,invoke,r\xffead,,null\n",
    )
    .unwrap();
    let err = import::load(&path, None).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(err.ends_with("bad.csv:2: line: not valid UTF-8"), "{err}");
}

/// A sample of every format, for the mutation test.
const SAMPLES: [(&str, Format); 5] = [
    (
        "index,time_ns,process,type,f,key,value\n0,0,1,invoke,cas,k,\"[1,2]\"\n1,5,1,ok,cas,k,\"[1,2]\"\n",
        Format::Csv,
    ),
    (
        "{\"index\":0,\"time_ns\":0,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"a\",\"value\":null}\n{\"index\":1,\"time_ns\":2,\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"a\",\"value\":[1,\"x\"]}\n",
        Format::Jsonl,
    ),
    (
        "[{:type :invoke, :f :cas, :value [1 2], :process 0, :time 1}\n{:type :ok, :f :cas, :value #jepsen.independent/tuple [1 [1 2]], :process 0, :time 3} #{1 \\a \"s\\n\"}]\n",
        Format::JepsenEdn,
    ),
    (
        "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\nINFO  jepsen.util - 2\t:info\t:cas\t:timed-out\n",
        Format::PorcupineEtcd,
    ),
    (
        "{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}\n{:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}\n",
        Format::PorcupineKv,
    ),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Deleting, duplicating or replacing characters anywhere never panics,
    /// and every error names the input and a line.
    #[test]
    fn mutated_inputs_never_panic_and_errors_name_a_line(
        sample in 0usize..5,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(vec!['[', '{', '"', '\\', ',', ':', '\n', '#', '-', '9', ' ', 'é'])), 1..4),
        forced in any::<bool>(),
    ) {
        let (text, format) = SAMPLES[sample];
        let mut chars: Vec<char> = text.chars().collect();
        for (at, op, c) in edits {
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                _ => chars[i] = c,
            }
        }
        let mutated: String = chars.into_iter().collect();
        let format = if forced {
            format
        } else {
            match import::detect(&mutated, Path::new("m")) {
                Ok(f) => f,
                Err(_) => return Ok(()),
            }
        };
        if let Err(err) = import::read_str(&mutated, "m", format) {
            let text = err.to_string();
            prop_assert!(text.starts_with("m:"), "{}", text);
            prop_assert!(err.location().and_then(|l| l.line).is_some(), "{}", text);
        }
    }
}

#[test]
fn jepsen_edn_ignores_rich_error_fields_of_real_histories() {
    let text = r#"{:type :invoke, :f :write, :value 3, :process 0, :time 100, :index 0}
{:type :info, :f :start-partition, :value :majority, :process :nemesis, :time 120, :index 1}
{:type :info, :f :start-partition, :value [:isolated {"n1" #{"n2" "n3"}}], :process :nemesis, :time 130, :index 2}
{:type :info, :f :write, :value 3, :process 0, :time 250, :index 3, :error [:timeout], :exception {:via [{:type java.net.SocketTimeoutException, :message "Read timed out", :at [java.net.SocketInputStream socketRead0 "SocketInputStream.java" -2]}], :trace [[java.lang.Thread run "Thread.java" 829]], :cause "Read timed out", :data #object[clojure.lang.Atom 0x1f2e {:status :ready, :val 1/2}]}}
{:type :invoke, :f :read, :value nil, :process 5, :time 300, :index 4}
{:type :ok, :f :read, :value 3, :process 5, :time 310, :index 5}
"#;
    let h = import::read_str(text, "history.edn", Format::JepsenEdn).unwrap();
    assert_eq!(h.lines, vec![1, 4, 5, 6]);
    let ops = h.operations().unwrap();
    assert_eq!(ops.len(), 2);
    assert_eq!((ops[0].outcome, ops[0].return_ns), (Outcome::Info, None));
    assert_eq!(ops[1].output, serde_json::json!(3));
}
