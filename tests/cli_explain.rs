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
    assert_eq!(
        story.matches("<g class=\"node\"").count(),
        5,
        "a row per node"
    );

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
