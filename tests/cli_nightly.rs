//! Nightly suites at scale, end to end through the built binary: shards
//! of one seed set (from the flag or a CI engine's environment), their
//! summaries, what `--keep` leaves in the store.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod support;
use support::{explain, scratch};

/// A very short run: 5 simulated seconds and 2 quiet.
const SHORT: [&str; 4] = ["--time-limit", "5", "--quiet", "2"];

/// Runs faultline with `args` and the extra environment `env`.
fn faultline_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faultline"));
    cmd.args(args)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("CI_NODE_INDEX")
        .env_remove("CI_NODE_TOTAL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the faultline binary")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn seeds_of(summary: &Value) -> Vec<u64> {
    summary["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["seed"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_shard_runs_its_interleaved_slice_and_its_summary_says_what_ran() {
    let root = scratch("cli_nightly", "shard");
    let store = root.join("store");
    let summary = root.join("s2.json");
    let mut args = vec![
        "suite",
        "--seeds",
        "1..=6",
        "--shard",
        "2/3",
        "--jobs",
        "2",
        "--store",
        store.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ];
    args.extend(SHORT);
    let out = faultline_env(&args, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("shard 2/3 (from --shard 2/3): 2 of the 6 seeds of 1..=6"),
        "{stdout}"
    );
    let s = read_json(&summary);
    assert_eq!(seeds_of(&s), [2, 5]);
    assert_eq!(s["format"], "faultline-suite-summary/2");
    assert_eq!(s["shard"]["index"], 2);
    assert_eq!(s["shard"]["count"], 3);
    assert_eq!(s["seed_set"], "1..=6");
    assert_eq!(s["seeds_total"], 6);
    assert_eq!(s["faultline_version"], env!("CARGO_PKG_VERSION"));
    // Built inside git: the commit is known (40 hex digits, maybe -dirty).
    let commit = s["git_commit"].as_str().expect("git commit recorded");
    assert!(
        commit.len() >= 40 && commit[..40].bytes().all(|b| b.is_ascii_hexdigit()),
        "{commit}"
    );
    assert!(
        s["run_flags"].as_str().unwrap().contains("--time-limit 5"),
        "{s}"
    );
    assert_eq!(s["keep"], "failing");
    assert!(s["started_at"].is_string() && s["wall_s"].as_f64().unwrap() > 0.0);
    for o in s["seeds"].as_array().unwrap() {
        assert_eq!(o["valid"], true, "{o}");
        // Valid seeds keep their summary line only (--keep failing).
        assert!(o["run_dir"].is_null(), "{o}");
        assert!(o["wall_s"].as_f64().unwrap() > 0.0, "{o}");
        for stat in [
            "availability_outside_faults",
            "ops_ok",
            "latency_ms_p50",
            "latency_ms_p99",
        ] {
            assert!(o["stats"][stat].is_number(), "{stat}: {o}");
        }
    }
    // Nothing is left of valid runs: no run directory, no dangling latest,
    // an index without them.
    let kv = store.join("kv");
    let left: Vec<_> = std::fs::read_dir(&kv)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(store.join("index.html").is_file());

    // The index from a Kubernetes Indexed Job's environment (0-based).
    let summary = root.join("s1.json");
    let mut args = vec![
        "suite",
        "--seeds",
        "1..=6",
        "--shard",
        "auto/3",
        "--keep",
        "all",
        "--store",
        store.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ];
    args.extend(SHORT);
    let out = faultline_env(&args, &[("JOB_COMPLETION_INDEX", "0")]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("shard 1/3 (from JOB_COMPLETION_INDEX=0)"),
        "{stdout}"
    );
    let s = read_json(&summary);
    assert_eq!(seeds_of(&s), [1, 4]);
    assert_eq!(s["shard"]["source"], "JOB_COMPLETION_INDEX=0");
    for o in s["seeds"].as_array().unwrap() {
        let dir = Path::new(o["run_dir"].as_str().expect("--keep all keeps it"));
        assert!(dir.join("results.json").is_file(), "{o}");
    }
    assert!(store.join("kv/latest/results.json").is_file());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_shards_are_refused_naming_the_flag() {
    for (args, env, needle) in [
        (
            vec!["suite", "--count", "4", "--shard", "1/2"],
            vec![],
            "needs --seeds",
        ),
        (
            vec!["suite", "--seeds", "1..=4", "--shard", "5/4"],
            vec![],
            "does not exist",
        ),
        (
            vec!["suite", "--seeds", "1..=3", "--shard", "1/4"],
            vec![],
            "leave some empty",
        ),
        (
            vec!["suite", "--seeds", "1..=4", "--shard", "auto/4"],
            vec![],
            "JOB_COMPLETION_INDEX",
        ),
        (
            vec!["suite", "--seeds", "1..=4", "--shard", "auto/4"],
            vec![("JOB_COMPLETION_INDEX", "4")],
            "JOB_COMPLETION_INDEX=4",
        ),
    ] {
        let out = faultline_env(&args, &env);
        assert_eq!(out.status.code(), Some(254), "{args:?}: {}", explain(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--shard") && stderr.contains(needle),
            "{args:?}: {stderr}"
        );
    }
}
