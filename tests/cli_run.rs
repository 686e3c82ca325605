//! `faultline run` end to end, through the built binary: the default run is
//! valid on the correct Raft for 20 seeds, every nemesis kind visibly acts,
//! one seed reproduces the same history bytes, a run records the situations
//! it reached, and bad flags exit 254 naming the flag.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod support;
use support::{explain, faultline, run_dir, scratch};

fn results(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("results.json")).expect("results.json");
    serde_json::from_str(&text).expect("results.json parses")
}

#[test]
fn default_runs_are_valid_for_twenty_seeds() {
    let root = scratch("cli_run", "defaults");
    let root_s = root.to_str().unwrap();
    let seeds: Vec<u64> = (1..=20).map(|i| i * 7919).collect();
    // Two runs at a time: the machine has two cores.
    for pair in seeds.chunks(2) {
        let handles: Vec<_> = pair
            .iter()
            .map(|&seed| {
                let root_s = root_s.to_string();
                std::thread::spawn(move || {
                    let s = seed.to_string();
                    (seed, faultline(&["run", "--seed", &s, "--store", &root_s]))
                })
            })
            .collect();
        for h in handles {
            let (seed, out) = h.join().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "seed {seed} not valid; reproduce with: faultline run --seed {seed}\n{}",
                explain(&out)
            );
            let dir = run_dir(&out);
            let r = results(&dir);
            assert_eq!(r["valid"], serde_json::json!(true), "seed {seed}");
            assert_eq!(r["seed"], seed);
            for f in [
                "config.json",
                "history.csv",
                "history.jsonl",
                "report.html",
                "latency-raw.png",
                "latency-quantiles.png",
                "rate.png",
                "nodes/n1.log",
                "nodes/n5.log",
            ] {
                assert!(dir.join(f).is_file(), "seed {seed}: {f} missing");
            }
            let history = std::fs::read_to_string(dir.join("history.csv")).unwrap();
            assert!(
                history.contains(",nemesis,"),
                "seed {seed}: no nemesis events"
            );
            assert!(history.contains(",stop-all,"), "seed {seed}: no final heal");
        }
    }
    assert!(root.join("kv/latest/results.json").is_file());
    assert!(root.join("index.html").is_file());
    std::fs::remove_dir_all(&root).unwrap();
}

/// A short run with one fault kind; returns (history.csv, results.json,
/// the run directory).
fn short_run(root: &Path, kind: &str, seed: u64) -> (String, Value, PathBuf) {
    let s = seed.to_string();
    let out = faultline(&[
        "run",
        "--seed",
        &s,
        "--nemesis",
        kind,
        "--nemesis-interval",
        "3",
        "--time-limit",
        "13",
        "--quiet",
        "4",
        "--rate",
        "40",
        "--store",
        root.to_str().unwrap(),
        "--test-name",
        kind,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{kind} seed {seed}: {}",
        explain(&out)
    );
    let dir = run_dir(&out);
    (
        std::fs::read_to_string(dir.join("history.csv")).unwrap(),
        results(&dir),
        dir,
    )
}

/// Every node's log of a run, by file name.
fn node_logs(dir: &Path) -> Vec<(String, String)> {
    let mut logs: Vec<(String, String)> = std::fs::read_dir(dir.join("nodes"))
        .expect("nodes/ exists")
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    logs.sort();
    logs
}

fn stat(r: &Value, name: &str) -> u64 {
    r["stats"][name].as_u64().unwrap_or(0)
}

#[test]
fn every_nemesis_kind_visibly_acts() {
    let root = scratch("cli_run", "kinds");
    let kinds = [
        "partition-one",
        "partition-majority",
        "partition-majorities-ring",
        "partition-minority-third",
        "partition-bridge",
        "partition-one-way",
        "partition-isolate-leader",
        "partition-leader-in-minority",
        "kill",
        "kill-leader",
        "kill-majority",
        "kill-all",
        "pause",
        "clock-bump",
        "clock-strobe",
        "clock-skew",
        "packet-loss",
        "packet-delay",
        "packet-duplicate",
        "packet-reorder",
        "disk-corruption",
        "disk-io-error",
    ];
    for kind in kinds {
        let (history, r, _) = short_run(&root, kind, 11);
        assert!(
            history.contains(",start-") && history.contains(",stop-"),
            "{kind}: no start/stop events"
        );
        let disrupted = stat(&r, "ops_fail") + stat(&r, "ops_info");
        let evidence = match kind {
            "kill" | "kill-leader" | "kill-majority" | "kill-all" => stat(&r, "cluster_restarts"),
            "packet-duplicate" => stat(&r, "cluster_messages_duplicated"),
            "packet-reorder" => stat(&r, "cluster_messages_held_back"),
            "disk-corruption" => stat(&r, "cluster_disk_corruptions_injected"),
            "disk-io-error" => stat(&r, "cluster_disk_io_errors_injected"),
            "partition-isolate-leader" | "partition-leader-in-minority" | "pause" => disrupted,
            _ if kind.starts_with("partition") || kind == "packet-loss" => {
                stat(&r, "cluster_stalls_detected")
                    + stat(&r, "cluster_connect_failures")
                    + disrupted
            }
            // Clock faults and delays: the event carries what was moved.
            _ => u64::from(
                history.contains("deltas_ms")
                    || history.contains("rates_ppm")
                    || history.contains("period_ms")
                    || history.contains("delay_ms"),
            ),
        };
        assert!(
            evidence > 0,
            "{kind}: no sign that the fault acted; stats: {}",
            r["stats"]
        );
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn node_logs_tell_each_nodes_story_in_simulated_time() {
    let root = scratch("cli_run", "nodelogs");
    let (_, _, dir) = short_run(&root, "kill-leader", 5);
    let logs = node_logs(&dir);
    assert_eq!(logs.len(), 5, "one log per node");
    let all: String = logs.iter().map(|(_, text)| text.as_str()).collect();
    for needle in [
        "started from durable state start=1",
        "role=leader",
        "nemesis start-kill",
        "process stopped",
        "started from durable state start=2",
        "election timeout: asking for pre-votes",
    ] {
        assert!(all.contains(needle), "no node log says {needle:?}:\n{all}");
    }
    for (name, text) in &logs {
        let id = name.trim_end_matches(".log");
        let mut last = 0.0f64;
        for line in text.lines() {
            assert!(
                line.contains(&format!(" {id} ")),
                "{name}: foreign line {line:?}"
            );
            let t: f64 = line
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('s')
                .parse()
                .unwrap();
            assert!(t >= last, "{name}: time goes backwards at {line:?}");
            last = t;
        }
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_same_seed_reproduces_the_history_byte_for_byte() {
    let root = scratch("cli_run", "replay");
    let (a, _, dir_a) = short_run(&root, "all", 42);
    let (b, _, dir_b) = short_run(&root, "all", 42);
    assert!(a == b, "two runs of seed 42 recorded different histories");
    assert!(
        node_logs(&dir_a) == node_logs(&dir_b),
        "two runs of seed 42 wrote different node logs"
    );
    let (c, _, _) = short_run(&root, "all", 43);
    assert!(a != c, "seeds 42 and 43 recorded the same history");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_flags_exit_254_naming_the_flag() {
    let cases: [(&[&str], &str); 10] = [
        (&["--nodes", "0"], "--nodes"),
        (&["--nodes", "many"], "--nodes"),
        (&["--workload", "queue"], "--workload"),
        (&["--nemesis", "meteor"], "--nemesis"),
        (&["--nemesis-targets", "half"], "--nemesis-targets"),
        (&["--rate=0"], "--rate"),
        (&["--read-mode", "dirty"], "--read-mode"),
        (&["--test-name", "a/b"], "--test-name"),
        (&["--inject-bug", "no-such-bug"], "--inject-bug"),
        (
            &["--nodes", "2", "--nemesis", "partition-bridge"],
            "--nemesis",
        ),
    ];
    for (args, flag) in cases {
        let mut all = vec!["run", "--store", "/nonexistent/never-created"];
        all.extend_from_slice(args);
        let out = faultline(&all);
        assert_eq!(out.status.code(), Some(254), "{args:?}: {}", explain(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(flag),
            "{args:?}: error does not name {flag}: {err}"
        );
    }
}

#[test]
fn an_injected_bug_is_recorded_in_the_config_the_replay_and_the_report() {
    let root = scratch("cli_run", "bugs");
    let out = faultline(&[
        "run",
        "--seed",
        "5",
        "--time-limit",
        "8",
        "--quiet",
        "3",
        "--inject-bug",
        "vote-not-durable",
        "--inject-bug",
        "figure-8-commit",
        "--store",
        root.to_str().unwrap(),
    ]);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0..=2)),
        "ended {code:?}: {}",
        explain(&out)
    );
    let dir = run_dir(&out);
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        config["bugs"],
        serde_json::json!(["figure-8-commit", "vote-not-durable"])
    );
    let replay = results(&dir)["replay_command"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        replay.contains("--inject-bug figure-8-commit --inject-bug vote-not-durable"),
        "{replay}"
    );
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("seeded bugs: figure-8-commit, vote-not-durable"));
    // A correct run records no bugs at all.
    let (_, _, plain) = short_run(&root, "none", 5);
    let config = std::fs::read_to_string(plain.join("config.json")).unwrap();
    assert!(!config.contains("\"bugs\""), "{config}");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Nine faults in 20 s, so the run reaches a few situations whatever kinds
/// its seed draws.
#[test]
fn a_short_run_records_the_situations_it_reached_and_they_round_trip() {
    let root = scratch("cli_run", "situations");
    let out = faultline(&[
        "run",
        "--seed",
        "7",
        "--time-limit",
        "20",
        "--nemesis-interval",
        "2",
        "--store",
        root.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let dir = run_dir(&out);
    let text = std::fs::read_to_string(dir.join("results.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    let situations = r["situations"].as_object().expect("situations recorded");
    let names = faultline_sim::situations::names::ALL;
    assert_eq!(situations.len(), names.len(), "{situations:?}");
    let end_ms = (r["stats"]["simulated_s"].as_f64().unwrap() * 1e3).ceil() as u64;
    let mut reached = Vec::new();
    for name in names {
        let c = &situations[*name];
        let count = c["count"].as_u64().expect("a count");
        assert_eq!(c["first_ms"].is_u64(), count > 0, "{name}: {c}");
        if count > 0 {
            assert!(c["first_ms"].as_u64().unwrap() <= end_ms, "{name}: {c}");
            reached.push(*name);
        }
    }
    assert!(reached.len() >= 3, "only {reached:?} reached");
    // results.json loads into the results model and writes back the same.
    let model: faultline_checker::RunResults = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&model).unwrap(), r);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("Situations reached"), "the report shows them");
    assert!(page.contains(reached[0]), "{}", reached[0]);
    std::fs::remove_dir_all(&root).unwrap();
}

/// `packet-stale-replay` hands old AppendEntries to nodes that moved to a
/// later term: correct Raft refuses them by their term, and a follower that
/// accepts a stale leader is caught by the per-message rules at once.
#[test]
fn a_stale_replay_is_harmless_to_correct_raft_and_catches_a_stale_term_append() {
    let root = scratch("cli_run", "stale");
    let run = |bug: Option<&str>| {
        let mut args = vec![
            "run",
            "--seed",
            "1",
            "--nemesis",
            "packet-stale-replay,kill-leader,partition",
            "--nemesis-overlap",
            "2",
            "--nemesis-interval",
            "3",
            "--store",
            root.to_str().unwrap(),
        ];
        if let Some(bug) = bug {
            args.extend(["--inject-bug", bug]);
        }
        let out = faultline(&args);
        (out.status.code(), results(&run_dir(&out)), explain(&out))
    };
    let (code, r, why) = run(None);
    assert_eq!(code, Some(0), "{why}");
    assert!(
        stat(&r, "cluster_messages_replayed_stale") > 0,
        "{}",
        r["stats"]
    );
    let (code, r, why) = run(Some("stale-term-append-accepted"));
    assert_eq!(code, Some(1), "{why}");
    let text = r["checkers"].to_string();
    assert!(text.contains("stale term"), "{text}");
    std::fs::remove_dir_all(&root).unwrap();
}
