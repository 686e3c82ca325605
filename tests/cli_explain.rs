//! Failure reports that explain themselves, on a real invalid run (the
//! catalogue's `commit-quorum-off-by-one`, a short run under majority
//! partitions): `results.json` groups each checker's findings by kind with
//! counts and spans; the page shows the same groups expandable, the story
//! before the first violation (the partition, the leader in office) and the
//! node-state strip marking the index the finding names; `run` and
//! `report --text` print the one-screen summary; a run stored without
//! groups reads the same.

mod support;
use support::{explain, faultline, run_dir, scratch};

use serde_json::Value;

fn invalid_run(name: &str) -> std::path::PathBuf {
    let dir = scratch("cli_explain", name);
    let store = dir.join("store");
    let out = faultline(&[
        "run",
        "--seed",
        "1",
        "--inject-bug",
        "commit-quorum-off-by-one",
        "--time-limit",
        "12",
        "--quiet",
        "2",
        "--nemesis",
        "partition-majority,partition-isolate-leader",
        "--nemesis-interval",
        "3",
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    // The summary replaces the wall of findings.
    assert!(printed.contains("raft invariants invalid: "), "{printed}");
    assert!(printed.contains("  what:    "), "{printed}");
    assert!(
        !printed.contains("    n2 Follower"),
        "no node dumps in the summary: {printed}"
    );
    assert!(printed.lines().count() < 60, "one screen: {printed}");
    run_dir(&out)
}

fn results(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

#[test]
fn an_invalid_run_is_grouped_told_and_summarized() {
    let dir = invalid_run("grouped");
    let results = results(&dir);
    let raft = results["checkers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "raft invariants")
        .unwrap();
    let findings = raft["findings"].as_array().unwrap();
    let groups = raft["groups"].as_array().unwrap();
    assert!(groups.len() >= 2, "{groups:?}");
    // Every finding is in exactly one group, and a group is one kind.
    let total: u64 = groups.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, findings.len());
    let mut kinds: Vec<&str> = groups.iter().map(|g| g["kind"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), groups.len(), "one group per kind");
    for g in groups {
        let kind = g["kind"].as_str().unwrap();
        let members: Vec<&str> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| findings[m.as_u64().unwrap() as usize].as_str().unwrap())
            .collect();
        assert_eq!(members.len() as u64, g["count"].as_u64().unwrap());
        assert_eq!(g["first"].as_str().unwrap(), members[0]);
        let times: Vec<u64> = members
            .iter()
            .map(|m| {
                assert!(m.starts_with(&format!("{kind} violated at ")), "{m}");
                let secs: f64 = m.split(' ').nth(3).unwrap().parse().unwrap();
                (secs * 1000.0).round() as u64
            })
            .collect();
        assert_eq!(g["span"]["first_ms"], *times.iter().min().unwrap());
        assert_eq!(g["span"]["last_ms"], *times.iter().max().unwrap());
    }
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for g in groups {
        let tag = format!(
            "data-kind=\"{}\" data-count=\"{}\"",
            g["kind"].as_str().unwrap(),
            g["count"]
        );
        assert!(page.contains(&tag), "the page shows the group {tag}");
    }
    assert!(page.contains("<details class=\"rest\"><summary>+"));

    // The story: the first violation, after the partition, under its leader.
    let story = &page[page.find("id=\"story\"").expect("a story")..];
    let story = &story[..story.find("</section>").unwrap()];
    assert!(
        story.contains("start-partition (partition-majority: "),
        "{story}"
    );
    assert!(story.contains("became leader of term"), "{story}");
    assert!(
        story.contains("href=\"nodes/n"),
        "events link their log lines"
    );
    // The strip marks the index the first violation names.
    let first = groups
        .iter()
        .min_by_key(|g| g["span"]["first_ms"].as_u64())
        .unwrap()["first"]
        .as_str()
        .unwrap();
    let words: Vec<&str> = first.lines().next().unwrap().split(' ').collect();
    let index: u64 = words
        .windows(2)
        .find(|w| w[0] == "index")
        .map(|w| w[1].trim_end_matches([':', ',']).parse().unwrap())
        .expect("the first violation names an index");
    assert!(
        story.contains(&format!("<line class=\"mark\" data-index=\"{index}\"")),
        "the strip marks index {index}: {story}"
    );
    let (at_failure, before) =
        story.split_at(story.find("id=\"strip-before\"").expect("the strip before"));
    assert_eq!(
        at_failure.matches("<g class=\"node\"").count(),
        5,
        "a row per node"
    );
    // And every node as the fault that started it began.
    assert_eq!(before.matches("<g class=\"node\"").count(), 5, "{before}");

    // The terminal summary of the stored run.
    let text = faultline(&["report", "--text", dir.to_str().unwrap()]);
    assert_eq!(text.status.code(), Some(1), "{}", explain(&text));
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    for needle in [
        "INVALID: ",
        "  what:    ",
        "  where:   ",
        "  when:    ",
        "  context: ",
        "replay: faultline run --seed 1",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
    assert!(
        text.contains("start-partition (partition-majority"),
        "{text}"
    );

    // A run stored before groups existed is grouped when read.
    let mut old = results.clone();
    for c in old["checkers"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("groups");
    }
    std::fs::write(dir.join("results.json"), old.to_string()).unwrap();
    let again = faultline(&["report", "--text", dir.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&again.stdout), text);
}

#[test]
fn report_text_of_a_valid_run_is_one_line() {
    let dir = scratch("cli_explain", "valid");
    let out = faultline(&[
        "run",
        "--seed",
        "2",
        "--time-limit",
        "3",
        "--quiet",
        "1",
        "--nemesis",
        "none",
        "--store",
        dir.join("store").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let text = faultline(&["report", "--text", run_dir(&out).to_str().unwrap()]);
    assert_eq!(text.status.code(), Some(0), "{}", explain(&text));
    let printed = String::from_utf8_lossy(&text.stdout);
    assert!(printed.starts_with("VALID: "), "{printed}");
    assert_eq!(
        printed.lines().count(),
        2,
        "the verdict and the replay: {printed}"
    );
}

/// The first of `seeds` on which `bug` makes a short run invalid, with the
/// run's directory (the test fails when none does).
fn first_invalid(name: &str, bug: &str, seeds: &[u64], extra: &[&str]) -> std::path::PathBuf {
    let store = scratch("cli_explain", name).join("store");
    for seed in seeds {
        let seed = seed.to_string();
        let mut args = vec![
            "run",
            "--seed",
            &seed,
            "--inject-bug",
            bug,
            "--quiet",
            "2",
            "--store",
            store.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = faultline(&args);
        if out.status.code() == Some(1) {
            return run_dir(&out);
        }
    }
    panic!("{bug}: no seed of {seeds:?} was invalid");
}

/// Each checker's groups on the page, a story whose strips have a row per
/// node (at the violation, and as the fault that started it began) and
/// whose events link their log lines, and a summary naming each group.
fn assert_told(dir: &std::path::Path) {
    let results = results(dir);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let text = faultline(&["report", "--text", dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    for c in results["checkers"].as_array().unwrap() {
        if c["verdict"] != "invalid" {
            continue;
        }
        let groups = c["groups"].as_array().unwrap();
        let total: u64 = groups.iter().map(|g| g["count"].as_u64().unwrap()).sum();
        assert_eq!(total as usize, c["findings"].as_array().unwrap().len());
        for g in groups {
            let tag = format!("data-kind=\"{}\"", g["kind"].as_str().unwrap());
            assert!(page.contains(&tag), "the page shows the group {tag}");
        }
        let name = c["name"].as_str().unwrap();
        assert!(text.contains(&format!("{name} invalid: ")), "{text}");
    }
    let story = &page[page.find("id=\"story\"").expect("a story")..];
    let story = &story[..story.find("</section>").unwrap()];
    assert!(story.contains("href=\"nodes/n"), "{story}");
    let nodes = results["config"]["nodes"].as_u64().expect("config.nodes") as usize;
    if let Some(at) = story.find("id=\"strip-before\"") {
        let (at_failure, before) = story.split_at(at);
        assert_eq!(before.matches("<g class=\"node\"").count(), nodes);
        let rows = at_failure.matches("<g class=\"node\"").count();
        assert!(rows == 0 || rows == nodes, "{rows} rows");
    }
}

#[test]
fn a_follower_that_commits_past_what_it_matched_is_told() {
    // Seeds whose default draw reaches the bug in 22 s (a new fault kind
    // redraws every seed's schedule: pick them again then).
    let dir = first_invalid(
        "follower-commit",
        "follower-commit-to-last-index",
        &[6, 7, 11, 13],
        &["--time-limit", "22"],
    );
    assert_told(&dir);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let story = &page[page.find("id=\"story\"").unwrap()..];
    assert!(
        story.contains("<line class=\"mark\" data-index=\""),
        "{story}"
    );
    assert!(story.contains("id=\"strip-before\""), "{story}");
}

#[test]
fn a_follower_that_reads_its_own_state_is_told() {
    let dir = first_invalid(
        "follower-reads",
        "follower-local-reads",
        &[1, 2, 3],
        &[
            "--time-limit",
            "12",
            "--nemesis",
            "partition-majority,partition-isolate-leader",
            "--nemesis-interval",
            "3",
        ],
    );
    assert_told(&dir);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // The stale read's explanation: what the model allows beside what was read.
    assert!(page.contains("The model allows"), "no allowed values");
    assert!(page.contains("read-freshness"), "the rule it broke");
}
