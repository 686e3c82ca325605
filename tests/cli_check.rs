//! `faultline check` end to end, through the built binary: verdicts map to
//! exit codes 0/1, and bad flags, missing files and malformed lines exit
//! 254 with a message naming the flag or `file:line`.

use std::path::Path;
use std::process::Output;

mod support;
use support::{faultline, scratch};

const HEADER: &str = "index,time_ns,process,type,f,key,value\n";

/// A stale read: the write of 1 completed before the read began, yet the
/// read saw the initial null.
const STALE_READ: &str = "0,0,0,invoke,write,,1\n1,1,0,ok,write,,1\n\
                          2,2,1,invoke,read,,null\n3,3,1,ok,read,,null\n";

/// A write overlapping a read that saw it: linearizable.
const OVERLAP: &str = "0,0,0,invoke,write,,1\n1,1,1,invoke,read,,null\n\
                       2,2,1,ok,read,,1\n3,3,0,ok,write,,1\n";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_linearizable_history_exits_0() {
    let dir = scratch("cli_check", "valid");
    let file = write(&dir, "ok.csv", &format!("{HEADER}{OVERLAP}"));
    let out = faultline(&["check", &file, "--model", "register"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("ok.csv (csv): valid"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_stale_read_exits_1_with_an_explanation() {
    let dir = scratch("cli_check", "invalid");
    let file = write(&dir, "stale.csv", &format!("{HEADER}{STALE_READ}"));
    let out = faultline(&["check", &file, "--model", "register"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("stale.csv (csv): invalid"), "{text}");
    assert!(
        text.contains("read null"),
        "the explanation names the read: {text}"
    );
    assert!(
        text.contains("(cannot be linearized): ")
            && text.contains("stale.csv:4 (invoke), line 5 (completion)"),
        "the read is located in the file: {text}"
    );
}

#[test]
fn initial_value_changes_the_verdict() {
    let dir = scratch("cli_check", "initial");
    let file = write(
        &dir,
        "h.csv",
        &format!("{HEADER}2,2,1,invoke,read,,null\n3,3,1,ok,read,,7\n"),
    );
    assert_eq!(
        code(&faultline(&["check", &file, "--model", "register"])),
        1
    );
    let out = faultline(&["check", &file, "--model", "register", "--initial", "7"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn the_worst_verdict_of_several_files_wins() {
    let dir = scratch("cli_check", "several");
    let good = write(&dir, "good.csv", &format!("{HEADER}{OVERLAP}"));
    let bad = write(&dir, "bad.csv", &format!("{HEADER}{STALE_READ}"));
    let missing = dir.join("missing.csv").display().to_string();
    assert_eq!(
        code(&faultline(&["check", &good, &bad, "--model", "register"])),
        1
    );
    assert_eq!(
        code(&faultline(&["check", &bad, &good, "--model", "register"])),
        1
    );
    let out = faultline(&["check", &good, &missing, &bad, "--model", "register"]);
    assert_eq!(code(&out), 254);
    assert!(
        stdout(&out).contains("bad.csv (csv): invalid"),
        "later files are still checked"
    );
}

#[test]
fn json_output_is_machine_readable() {
    let dir = scratch("cli_check", "json");
    let good = write(
        &dir,
        "good.jsonl",
        "{\"index\":0,\"time_ns\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n",
    );
    let bad = write(&dir, "bad.csv", &format!("{HEADER}{STALE_READ}"));
    let out = faultline(&["check", &bad, &good, "--model", "register", "--json"]);
    assert_eq!(code(&out), 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("stdout is JSON");
    assert_eq!(doc["valid"], serde_json::json!(false));
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["model"], "register");
    assert_eq!(doc["files"][0]["valid"], serde_json::json!(false));
    assert_eq!(doc["files"][0]["format"], "csv");
    assert_eq!(doc["files"][0]["report"]["valid"], serde_json::json!(false));
    assert_eq!(doc["files"][0]["locations"][0]["invoke_line"], 4);
    assert_eq!(doc["files"][0]["locations"][0]["failed"], true);
    assert_eq!(doc["files"][1]["valid"], serde_json::json!(true));
    assert_eq!(doc["files"][1]["format"], "jsonl");
}

#[test]
fn a_bad_flag_exits_254_naming_the_flag() {
    let dir = scratch("cli_check", "flags");
    let file = write(&dir, "ok.csv", &format!("{HEADER}{OVERLAP}"));
    let cases: [(&[&str], &str); 6] = [
        (
            &["check", &file, "--model", "register", "--bogus"],
            "--bogus",
        ),
        (&["check", &file], "--model"),
        (&["check", &file, "--model", "stack"], "--model"),
        (
            &["check", &file, "--model", "register", "--format", "xml"],
            "--format",
        ),
        (
            &["check", &file, "--model", "register", "--initial", "{"],
            "--initial",
        ),
        (
            &[
                "check",
                &file,
                "--model",
                "register",
                "--time-limit",
                "soon",
            ],
            "--time-limit",
        ),
    ];
    for (args, flag) in cases {
        let out = faultline(args);
        assert_eq!(code(&out), 254, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["--version"], &["check", "--help"]] {
        let out = faultline(args);
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(!stdout(&out).is_empty());
    }
    assert_eq!(code(&faultline(&[])), 254, "no subcommand is a usage error");
}

#[test]
fn a_missing_file_exits_254() {
    let dir = scratch("cli_check", "missing");
    let missing = dir.join("nope.csv").display().to_string();
    let out = faultline(&["check", &missing, "--model", "register"]);
    assert_eq!(code(&out), 254);
    assert!(
        stderr(&out).contains(&format!("{missing}: cannot read")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_malformed_line_exits_254_naming_file_and_line() {
    let dir = scratch("cli_check", "malformed");
    let cases = [
        (
            "a.csv",
            format!("{HEADER}0,0,0,invoke,write,,1\n1,x,0,ok,write,,1\n"),
            ":3: time_ns:",
        ),
        (
            "b.csv",
            format!("{HEADER}0,0,0,ok,write,,1\n"),
            ":2: type: ok completion without invoke",
        ),
        (
            "c.log",
            "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:okay\t:read\t1\n"
                .to_owned(),
            ":2: type:",
        ),
        (
            "d.edn",
            "{:type :invoke, :f :lock, :process 0, :value []}\n".to_owned(),
            ":1: f: unsupported function",
        ),
        (
            "e.jsonl",
            "{\"index\":0}\n".to_owned(),
            ":1: time_ns: missing",
        ),
    ];
    for (name, text, expected) in cases {
        let file = write(&dir, name, &text);
        let out = faultline(&["check", &file, "--model", "cas-register"]);
        assert_eq!(code(&out), 254, "{name}: {}", stderr(&out));
        let want = format!("{file}{expected}");
        assert!(
            stderr(&out).contains(&want),
            "{name}: want {want:?} in {}",
            stderr(&out)
        );
    }
}

#[test]
fn an_operation_the_model_cannot_read_exits_254_naming_its_line() {
    let dir = scratch("cli_check", "model");
    let file = write(
        &dir,
        "h.csv",
        &format!("{HEADER}0,0,0,invoke,append,,1\n1,1,0,ok,append,,1\n"),
    );
    let out = faultline(&["check", &file, "--model", "register"]);
    assert_eq!(code(&out), 254, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{file}:2:")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn porcupine_files_check_with_their_known_verdicts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/porcupine/test_data");
    if !dir.is_dir() {
        eprintln!("skipping: {} is absent", dir.display());
        return;
    }
    let file = |rel: &str| dir.join(rel).display().to_string();
    let cases = [
        ("jepsen/etcd_000.log", "cas-register", 1),
        ("jepsen/etcd_002.log", "cas-register", 0),
        ("kv/c01-ok.txt", "append-kv", 0),
        ("kv/c01-bad.txt", "append-kv", 1),
    ];
    for (rel, model, expected) in cases {
        let out = faultline(&["check", &file(rel), "--model", model]);
        assert_eq!(
            code(&out),
            expected,
            "{rel}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    let forced = faultline(&[
        "check",
        &file("kv/c01-ok.txt"),
        "--model",
        "append-kv",
        "--format",
        "csv",
    ]);
    assert_eq!(
        code(&forced),
        254,
        "a forced format is used: {}",
        stderr(&forced)
    );
}

/// Runs the binary with `input` on its standard input.
fn faultline_with_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_dash_reads_the_history_from_standard_input() {
    let out = faultline_with_stdin(
        &["check", "-", "--model", "register"],
        &format!("{HEADER}{STALE_READ}"),
    );
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("- (csv): invalid"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_empty_history_exits_254_unless_allowed() {
    let dir = scratch("cli_check", "empty");
    let files = [
        write(&dir, "empty.jsonl", ""),
        write(&dir, "empty.edn", "\n"),
        write(&dir, "header.csv", HEADER),
        write(&dir, "bom.csv", &format!("\u{feff}{HEADER}")),
    ];
    for file in &files {
        let out = faultline(&["check", file, "--model", "register"]);
        assert_eq!(code(&out), 254, "{file}: {}{}", stdout(&out), stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{file}: the history is empty")),
            "{}",
            stderr(&out)
        );
        let out = faultline(&["check", file, "--model", "register", "--allow-empty"]);
        assert_eq!(code(&out), 0, "{file}: {}{}", stdout(&out), stderr(&out));
    }
}

#[test]
fn a_fifo_without_a_writer_and_an_endless_device_exit_254() {
    let dir = scratch("cli_check", "fifo");
    let fifo = dir.join("h.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let path = fifo.display().to_string();
        let args = [
            "check",
            &path,
            "--model",
            "register",
            "--input-timeout",
            "0.3",
        ];
        let out = faultline(&args);
        assert_eq!(code(&out), 254, "{}{}", stdout(&out), stderr(&out));
        assert!(
            stderr(&out).contains("no data for 0.3 s"),
            "{}",
            stderr(&out)
        );
    }
    if Path::new("/dev/zero").exists() {
        let args = [
            "check",
            "/dev/zero",
            "--model",
            "register",
            "--max-input-bytes",
            "1000000",
        ];
        let out = faultline(&args);
        assert_eq!(code(&out), 254, "{}{}", stdout(&out), stderr(&out));
        assert!(
            stderr(&out).contains("/dev/zero: input: larger than the limit of 1000000 bytes"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn html_into_a_directory_is_bad_input_and_missing_parents_are_created() {
    let dir = scratch("cli_check", "html-dir");
    let file = write(&dir, "ok.csv", &format!("{HEADER}{OVERLAP}"));
    let target = dir.display().to_string();
    let out = faultline(&["check", &file, "--model", "register", "--html", &target]);
    assert_eq!(code(&out), 254, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains(&format!("--html: {target} is a directory")),
        "{}",
        stderr(&out)
    );
    let nested = dir.join("a/b/report.html");
    let nested_text = nested.display().to_string();
    let out = faultline(&[
        "check",
        &file,
        "--model",
        "register",
        "--html",
        &nested_text,
    ]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(nested.is_file());
}

/// A Jepsen history whose read of nil follows a completed write, with
/// `:time` going backwards between two workers' lines.
const JEPSEN_NIL_READ: &str = "\
{:type :invoke, :f :write, :value 1, :process 0, :time 100}
{:type :invoke, :f :read, :value nil, :process 1, :time 90}
{:type :ok, :f :write, :value 1, :process 0, :time 200}
{:type :ok, :f :read, :value nil, :process 1, :time 190}
{:type :invoke, :f :read, :value nil, :process 1, :time 300}
{:type :ok, :f :read, :value nil, :process 1, :time 310}
";

#[test]
fn jepsen_nil_reads_are_unknown_unless_nil_is_a_value() {
    let dir = scratch("cli_check", "jepsen-nil");
    let file = write(&dir, "history.edn", JEPSEN_NIL_READ);
    let out = faultline(&["check", &file, "--model", "cas-register"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let args = [
        "check",
        &file,
        "--model",
        "cas-register",
        "--nil-reads",
        "value",
    ];
    let out = faultline(&args);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let bad = [
        "check",
        &file,
        "--model",
        "register",
        "--nil-reads",
        "maybe",
    ];
    let out = faultline(&bad);
    assert_eq!(code(&out), 254);
    assert!(stderr(&out).contains("--nil-reads"), "{}", stderr(&out));
}

#[test]
fn an_integer_beyond_64_bits_exits_254_naming_its_line() {
    let dir = scratch("cli_check", "bigint");
    let file = write(
        &dir,
        "big.csv",
        &format!(
            "{HEADER}0,0,0,invoke,write,,100000000000000000000\n1,1,0,ok,write,,100000000000000000000\n\
             2,2,1,invoke,read,,null\n3,3,1,ok,read,,100000000000000000001\n"
        ),
    );
    let out = faultline(&["check", &file, "--model", "register"]);
    assert_eq!(code(&out), 254, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{file}:2: value: integer 100000000000000000000")),
        "{}",
        stderr(&out)
    );
}
