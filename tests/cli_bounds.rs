//! The bounds of a run, end to end through the built binary: a run over
//! its deterministic work bound (a message storm) stops there and is
//! `unknown` with the storm named, and the same run within the bound is
//! judged as usual; a run drawn from a profile stores and replays its draw.

mod support;

use support::{explain, faultline, run_dir, scratch};

#[test]
fn a_run_over_its_message_bound_stops_there_and_is_unknown_with_the_storm_named() {
    let root = scratch("cli_bounds", "storm");
    let root_s = root.to_str().unwrap();
    let out = faultline(&[
        "run",
        "--seed",
        "4",
        "--time-limit",
        "8",
        "--quiet",
        "2",
        "--nemesis",
        "none",
        "--store",
        root_s,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let dir = run_dir(&out);
    let results = std::fs::read_to_string(dir.join("results.json")).unwrap();
    assert!(results.contains("\"bounds\""), "{results}");

    // The same run with a bound of 100 messages per simulated second: a
    // five-node cluster with clients sends more than that in its first
    // second of leadership.
    let config_path = dir.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["sim"]["messages_per_s_max"] = serde_json::json!(100);
    std::fs::write(&config_path, config.to_string()).unwrap();
    let out = faultline(&["replay", dir.to_str().unwrap(), "--store", root_s]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    let stopped = run_dir(&out);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stopped.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(results["valid"], "unknown");
    let bounds = results["checkers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "bounds")
        .unwrap();
    assert_eq!(bounds["valid"], "unknown", "{bounds}");
    let finding = bounds["findings"][0].as_str().unwrap();
    assert!(finding.starts_with("message storm: "), "{finding}");
    assert!(finding.contains("bound of 100"), "{finding}");
    // Stopped early: the history ends well before the main phase would.
    let history = std::fs::read_to_string(stopped.join("history.csv")).unwrap();
    let last_ns: u64 = history
        .lines()
        .last()
        .and_then(|l| l.split(',').nth(1))
        .and_then(|t| t.parse().ok())
        .unwrap();
    assert!(last_ns < 8_000_000_000, "history ends at {last_ns} ns");
}

#[test]
fn a_profile_run_prints_and_stores_its_draw_and_replays_identically() {
    let root = scratch("cli_bounds", "profile");
    let root_s = root.to_str().unwrap();
    let out = faultline(&[
        "run",
        "--profile",
        "nightly",
        "--seed",
        "11",
        "--time-limit",
        "8",
        "--quiet",
        "2",
        "--keys",
        "2",
        "--store",
        root_s,
    ]);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{}",
        explain(&out)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("profile nightly: "), "{text}");
    let replay = text
        .lines()
        .find_map(|l| l.strip_prefix("replay: "))
        .unwrap();
    assert!(replay.contains("--profile nightly"), "{replay}");
    assert!(
        replay.contains("--keys 2") && !replay.contains("--workload"),
        "{replay}"
    );
    let dir = run_dir(&out);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["profile"]["profile"], "nightly");
    assert_eq!(config["profile"]["pinned"], serde_json::json!(["keys"]));
    assert_eq!(config["keys"], 2);
    let out = faultline(&[
        "replay",
        dir.to_str().unwrap(),
        "--store",
        root_s,
        "--require-identical",
    ]);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{}",
        explain(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("identical"));
}
