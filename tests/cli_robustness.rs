//! The command line under conditions found by trying: a standard output
//! that closes early, output paths that cannot be written, clusters too
//! small for some fault kinds, negative numbers.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

mod support;
use support::{explain, faultline, scratch};

/// A very short run: 5 simulated seconds and 2 quiet.
const SHORT: [&str; 4] = ["--time-limit", "5", "--quiet", "2"];

/// Runs faultline with `args`, reads the first line it prints and then
/// closes the pipe (as `| head -1` does); returns the exit status and
/// stderr.
fn with_stdout_closed_after_one_line(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: every later write gets EPIPE.
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_closed_stdout_makes_run_and_suite_quiet_not_fail() {
    let root = scratch("cli_robustness", "closed-stdout");
    let store = root.join("store");
    let store_s = store.to_str().unwrap();
    let mut args = vec!["run", "--seed", "4", "--store", store_s];
    args.extend(SHORT);
    let (code, stderr) = with_stdout_closed_after_one_line(&args);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(store.join("kv/latest/results.json").is_file(), "run stored");

    let summary = root.join("summary.json");
    let mut args = vec![
        "suite",
        "--seeds",
        "1..=3",
        "--jobs",
        "2",
        "--store",
        store_s,
        "--summary",
        summary.to_str().unwrap(),
    ];
    args.extend(SHORT);
    let (code, stderr) = with_stdout_closed_after_one_line(&args);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["tally"]["valid"], 3, "every seed ran: {s}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn unwritable_output_paths_are_refused_before_anything_runs() {
    let root = scratch("cli_robustness", "output-paths");
    let store = root.join("store");
    let blocker = root.join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let under_file = blocker.join("summary.json");
    let cases: Vec<(Vec<&str>, &str, String)> = vec![
        (
            vec![
                "suite",
                "--seeds",
                "1..=4",
                "--store",
                store.to_str().unwrap(),
                "--summary",
                under_file.to_str().unwrap(),
            ],
            "--summary",
            under_file.display().to_string(),
        ),
        (
            vec![
                "suite",
                "--seeds",
                "1",
                "--summary",
                root.to_str().unwrap(),
                "--store",
                store.to_str().unwrap(),
            ],
            "--summary",
            root.display().to_string(),
        ),
        (
            vec!["run", "--seed", "1", "--store", "/dev/null"],
            "--store",
            "/dev/null".into(),
        ),
        (
            vec!["suite", "--seeds", "1", "--store", "/dev/null"],
            "--store",
            "/dev/null".into(),
        ),
        (
            vec!["run", "--seed", "1", "--store", blocker.to_str().unwrap()],
            "--store",
            blocker.display().to_string(),
        ),
    ];
    for (args, flag, path) in cases {
        let started = std::time::Instant::now();
        let out = faultline(&args);
        assert_eq!(out.status.code(), Some(254), "{args:?}: {}", explain(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains(&path),
            "{args:?}: {stderr}"
        );
        // Refused up front: no run directory was made.
        assert!(!store.join("kv").exists(), "{args:?} ran before refusing");
        assert!(started.elapsed().as_secs() < 30, "{args:?}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn small_clusters_run_with_every_fault_that_applies_to_them() {
    let root = scratch("cli_robustness", "small-clusters");
    let store = root.join("store");
    for nodes in ["1", "2"] {
        let mut args = vec![
            "run",
            "--seed",
            "2",
            "--nodes",
            nodes,
            "--store",
            store.to_str().unwrap(),
        ];
        args.extend(SHORT);
        let out = faultline(&args);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "--nodes {nodes}: {}",
            explain(&out)
        );
        let replay = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("replay: ").map(str::to_string))
            .unwrap();
        // The replay names the kinds that ran: none needs more nodes.
        assert!(replay.contains("kill-leader"), "{replay}");
        assert!(!replay.contains("partition-bridge"), "{replay}");
        assert_eq!(replay.contains("partition-one,"), nodes == "2", "{replay}");
    }
    // A kind named explicitly that needs more nodes is still refused.
    let out = faultline(&["run", "--nodes", "2", "--nemesis", "partition-bridge"]);
    assert_eq!(out.status.code(), Some(254), "{}", explain(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--nemesis") && stderr.contains("partition-bridge"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn negative_numbers_are_refused_naming_the_flag() {
    for (args, flag) in [
        (vec!["run", "--rate", "-1"], "--rate"),
        (vec!["run", "--seed", "-1"], "--seed"),
        (vec!["run", "--nodes", "-3"], "--nodes"),
        (vec!["run", "--op-timeout", "-0.5"], "--op-timeout"),
        (vec!["suite", "--count", "-5"], "--count"),
        (vec!["suite", "--seeds", "1", "--jobs", "-2"], "--jobs"),
    ] {
        let out = faultline(&args);
        assert_eq!(out.status.code(), Some(254), "{args:?}: {}", explain(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("unexpected argument"),
            "{args:?}: {stderr}"
        );
    }
}
