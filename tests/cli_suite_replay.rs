//! `faultline suite` and `faultline replay` end to end, through the built
//! binary: a suite runs every listed seed in its own process and tallies
//! them; a stored run replays to a byte-identical history; a tampered
//! history is reported at its line; bad flags and corrupt files exit 254.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod support;
use support::{explain, faultline, run_dir, scratch};

/// Flags for a short run (13 simulated seconds, a fault every 3 s).
const SHORT: [&str; 8] = [
    "--time-limit",
    "13",
    "--nemesis-interval",
    "3",
    "--quiet",
    "4",
    "--rate",
    "40",
];

#[test]
fn a_suite_runs_every_seed_and_tallies_them() {
    let root = scratch("cli_suite_replay", "suite");
    // The summary's parent directories do not exist yet: they are created.
    let summary = root.join("nightly/summary.json");
    let mut args = vec![
        "suite",
        "--seeds",
        "3,10..=11",
        "--jobs",
        "2",
        "--keep",
        "all",
        "--store",
        root.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ];
    args.extend(SHORT);
    let out = faultline(&args);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("suite done: 3 seeds"), "{stdout}");
    assert!(stdout.contains("verdict: valid"), "{stdout}");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let seeds: Vec<u64> = s["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, vec![3, 10, 11], "in seed order");
    assert_eq!(s["tally"]["valid"], 3);
    assert!(
        stdout.contains("situations (seeds that reached each, of 3"),
        "{stdout}"
    );
    // The situation tally adds up the seeds' own counts.
    let tally = s["situations"].as_object().unwrap();
    assert_eq!(tally.len(), faultline_sim::situations::names::ALL.len());
    for (name, t) in tally {
        let counts: Vec<u64> = s["seeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["situations"][name]["count"].as_u64().unwrap())
            .collect();
        let reached = counts.iter().filter(|&&n| n > 0).count() as u64;
        assert_eq!(t["seeds_reached"], reached, "{name}: {t}");
        assert_eq!(t["count_total"], counts.iter().sum::<u64>(), "{name}: {t}");
    }
    for o in s["seeds"].as_array().unwrap() {
        let dir = PathBuf::from(o["run_dir"].as_str().unwrap());
        assert!(dir.join("results.json").is_file(), "{}", dir.display());
        let replay = o["replay"].as_str().unwrap();
        assert!(
            replay.starts_with(&format!("faultline run --seed {} ", o["seed"])),
            "{replay}"
        );
        assert!(replay.contains("--time-limit 13"), "{replay}");
        let results: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap())
                .unwrap();
        assert_eq!(o["situations"], results["situations"], "{}", dir.display());
    }
    assert!(root.join("kv/latest/results.json").is_file());
    assert!(root.join("index.html").is_file());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_suite_refuses_bad_flags_naming_them() {
    for (args, flag) in [
        (vec!["suite", "--seed", "5"], "--seed"),
        (vec!["suite", "--seeds", "5..5"], "--seeds"),
        (vec!["suite", "--seeds", "1,x"], "--seeds"),
        (vec!["suite", "--count", "0"], "--count"),
        (vec!["suite", "--seeds", "1", "--jobs", "0"], "--jobs"),
        (vec!["suite", "--seeds", "1", "--nodes", "12"], "--nodes"),
    ] {
        let out = faultline(&args);
        assert_eq!(out.status.code(), Some(254), "{args:?}: {}", explain(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

/// A short stored run of `seed`; returns its directory.
fn stored_run(root: &Path, seed: u64) -> PathBuf {
    let s = seed.to_string();
    let mut args = vec!["run", "--seed", &s, "--store", root.to_str().unwrap()];
    args.extend(SHORT);
    let out = faultline(&args);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    run_dir(&out)
}

#[test]
fn a_replayed_run_records_the_same_history_and_a_tampered_one_is_caught() {
    let root = scratch("cli_suite_replay", "replay");
    let dir = stored_run(&root, 77);
    let dir_s = dir.to_str().unwrap();
    let root_s = root.to_str().unwrap();
    let out = faultline(&["replay", dir_s, "--store", root_s, "--require-identical"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("history: identical"), "{stdout}");

    // Change one recorded operation: the replay names the line.
    let history = std::fs::read_to_string(dir.join("history.csv")).unwrap();
    let mut lines: Vec<String> = history.lines().map(str::to_string).collect();
    lines[5].push('9');
    std::fs::write(dir.join("history.csv"), lines.join("\n") + "\n").unwrap();
    let out = faultline(&["replay", dir_s, "--store", root_s]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("differs from the stored run at line 6"),
        "{}",
        explain(&out)
    );
    let out = faultline(&["replay", dir_s, "--store", root_s, "--require-identical"]);
    assert_eq!(out.status.code(), Some(255), "{}", explain(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 6"),
        "{}",
        explain(&out)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn replay_refuses_missing_or_corrupt_run_files_naming_them() {
    let root = scratch("cli_suite_replay", "replay-bad");
    let root_s = root.to_str().unwrap();
    let dir = root.join("kv/nothing");
    std::fs::create_dir_all(&dir).unwrap();
    let dir_s = dir.to_str().unwrap();
    let out = faultline(&["replay", dir_s, "--store", root_s]);
    assert_eq!(out.status.code(), Some(254), "{}", explain(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("config.json"));

    std::fs::write(dir.join("config.json"), "{\n  \"seed\": \"seven\"\n}\n").unwrap();
    let out = faultline(&["replay", dir_s, "--store", root_s]);
    assert_eq!(out.status.code(), Some(254), "{}", explain(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("config.json:2"), "{stderr}");
    assert!(stderr.contains("seven"), "{stderr}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn hunt_runs_the_control_and_each_bug_on_the_same_seeds_and_writes_the_table() {
    let root = scratch("cli_suite_replay", "hunt");
    let json = root.join("out/hunt.json");
    let png = root.join("charts/hunt.png");
    let mut args = vec![
        "hunt",
        "--bugs",
        "vote-not-durable,session-no-dedup",
        "--seeds",
        "2",
        "--seed-start",
        "11",
        "--jobs",
        "2",
        "--store",
        root.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--png",
        png.to_str().unwrap(),
    ];
    args.extend_from_slice(&SHORT);
    let out = faultline(&args);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("| bug | invalid |"), "{stdout}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["bug"].as_str().unwrap()).collect();
    assert_eq!(names, ["none", "vote-not-durable", "session-no-dedup"]);
    for r in rows {
        assert_eq!(r["seeds"], 2, "{r}");
        for (name, t) in r["situations"].as_object().unwrap() {
            let reached = t["seeds_reached"].as_u64().unwrap();
            assert!(reached <= 2, "{name}: {t}");
            assert_eq!(reached == 0, t["count_total"] == 0, "{name}: {t}");
        }
    }
    assert!(stdout.contains("situations never reached |"), "{stdout}");
    // The chart: one bar per row, a PNG of the documented size.
    let decoder = png::Decoder::new(std::fs::File::open(&png).expect("hunt.png written"));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(
        (info.width, info.height),
        faultline_reports::plot::detection::detection_size(3)
    );
    assert!(
        stdout.contains(&format!("png: {}", png.display())),
        "{stdout}"
    );
    assert_eq!(rows[0]["invalid"], 0, "the correct Raft is never invalid");
    // Every bug's runs are stored with the bug in their config.
    let stored = std::fs::read_dir(root.join("kv")).unwrap().count();
    assert!(stored >= 6, "{stored} run directories");
    let bad = faultline(&[
        "hunt",
        "--bugs",
        "figure-9",
        "--store",
        root.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(254), "{}", explain(&bad));
    std::fs::remove_dir_all(&root).unwrap();
}
