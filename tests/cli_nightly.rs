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

/// Flags of a short suite that finds a seeded bug on about half its
/// seeds (and one seed unknown): verdicts that vary from seed to seed.
const MIXED: [&str; 8] = [
    "--time-limit",
    "5",
    "--quiet",
    "2",
    "--nemesis-interval",
    "1",
    "--inject-bug",
    "commit-quorum-off-by-one",
];

/// Each seed's verdict, first checker and first finding.
fn verdicts(summary: &Value) -> Vec<(u64, Value, Value, Value)> {
    summary["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["seed"].as_u64().unwrap(),
                o["valid"].clone(),
                o["checker"].clone(),
                o["first_finding"].clone(),
            )
        })
        .collect()
}

/// Checks `xml` against the common JUnit schema (Ant's format, as
/// Jenkins' junit-10.xsd and GitLab read it): the required elements and
/// attributes, their order, numeric counts that add up. Returns the
/// test cases as (name, failure or error element name, its type, its text).
fn validate_junit(xml: &str) -> Vec<(String, Option<String>, Option<String>, String)> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let number = |n: roxmltree::Node, attr: &str| -> f64 {
        let v = n
            .attribute(attr)
            .unwrap_or_else(|| panic!("<{}> lacks {attr}", n.tag_name().name()));
        v.parse::<f64>()
            .unwrap_or_else(|_| panic!("{attr}={v:?} is not a number"))
    };
    let mut cases = Vec::new();
    let (mut tests, mut failures, mut errors) = (0.0, 0.0, 0.0);
    for suite in root.children().filter(|n| n.is_element()) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        for attr in ["name", "timestamp", "hostname"] {
            assert!(
                suite.attribute(attr).is_some_and(|v| !v.is_empty()),
                "testsuite {attr}"
            );
        }
        let stamp = suite.attribute("timestamp").unwrap();
        assert!(
            stamp.len() == 19 && stamp.as_bytes()[10] == b'T' && !stamp.ends_with('Z'),
            "timestamp {stamp:?} is not ISO 8601 without a zone"
        );
        assert!(number(suite, "time") >= 0.0);
        let children: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
        assert_eq!(
            children[0].tag_name().name(),
            "properties",
            "properties come first"
        );
        for p in children[0].children().filter(|n| n.is_element()) {
            assert_eq!(p.tag_name().name(), "property");
            assert!(p.attribute("name").is_some() && p.attribute("value").is_some());
        }
        let (mut f, mut e, mut s) = (0.0, 0.0, 0.0);
        let mut n = 0.0;
        for c in &children[1..] {
            match c.tag_name().name() {
                "system-out" | "system-err" => continue,
                "testcase" => {}
                other => panic!("unexpected <{other}> in a testsuite"),
            }
            n += 1.0;
            for attr in ["name", "classname"] {
                assert!(
                    c.attribute(attr).is_some_and(|v| !v.is_empty()),
                    "testcase {attr}"
                );
            }
            assert!(number(*c, "time") >= 0.0);
            let outcome: Vec<_> = c
                .children()
                .filter(|n| n.is_element() && n.tag_name().name() != "system-out")
                .collect();
            assert!(outcome.len() <= 1, "one outcome per testcase");
            let mut row = (
                c.attribute("name").unwrap().to_string(),
                None,
                None,
                String::new(),
            );
            if let Some(o) = outcome.first() {
                let tag = o.tag_name().name();
                match tag {
                    "failure" => f += 1.0,
                    "error" => e += 1.0,
                    "skipped" => s += 1.0,
                    other => panic!("unexpected <{other}> in a testcase"),
                }
                if tag != "skipped" {
                    for attr in ["message", "type"] {
                        assert!(
                            o.attribute(attr).is_some_and(|v| !v.is_empty()),
                            "{tag} {attr}"
                        );
                    }
                }
                row.1 = Some(tag.to_string());
                row.2 = o.attribute("type").map(str::to_string);
                row.3 = o.text().unwrap_or("").to_string();
            }
            cases.push(row);
        }
        assert_eq!(number(suite, "tests"), n);
        assert_eq!(number(suite, "failures"), f);
        assert_eq!(number(suite, "errors"), e);
        assert_eq!(number(suite, "skipped"), s);
        tests += n;
        failures += f;
        errors += e;
    }
    assert_eq!(number(root, "tests"), tests);
    assert_eq!(number(root, "failures"), failures);
    assert_eq!(number(root, "errors"), errors);
    cases
}

#[test]
fn forty_seeds_as_four_shard_processes_merge_to_the_unsharded_verdicts() {
    let root = scratch("cli_nightly", "merge");
    let root_s = root.to_str().unwrap();
    // The whole suite in one process.
    let whole = root.join("whole.json");
    let whole_junit = root.join("whole.xml");
    let mut args = vec![
        "suite",
        "--seeds",
        "1..=40",
        "--jobs",
        "2",
        "--store",
        root_s,
        "--summary",
        whole.to_str().unwrap(),
        "--junit",
        whole_junit.to_str().unwrap(),
    ];
    args.extend(MIXED);
    let out = faultline_env(&args, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    // Four shard processes side by side, each with its own store (as on
    // four machines).
    let children: Vec<_> = (1..=4)
        .map(|i| {
            let store = root.join(format!("shard{i}/store"));
            let summary = root.join(format!("shards/s{i}.json"));
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_faultline"));
            cmd.args([
                "suite",
                "--seeds",
                "1..=40",
                "--shard",
                &format!("{i}/4"),
                "--jobs",
                "1",
            ])
            .arg("--store")
            .arg(&store)
            .arg("--summary")
            .arg(&summary)
            .args(MIXED)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{}",
            explain(&out)
        );
    }
    let merged = root.join("merged.json");
    let junit = root.join("merged.xml");
    let page = root.join("pages/nightly.html");
    let shards = root.join("shards");
    let out = faultline_env(
        &[
            "merge",
            shards.to_str().unwrap(),
            "--summary",
            merged.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--html",
            page.to_str().unwrap(),
        ],
        &[],
    );
    let whole = read_json(&whole);
    let merged = read_json(&merged);
    assert_eq!(seeds_of(&merged), (1..=40).collect::<Vec<_>>());
    assert_eq!(
        verdicts(&merged),
        verdicts(&whole),
        "sharded + merged == unsharded"
    );
    assert_eq!(merged["tally"], whole["tally"]);
    assert_eq!(merged["valid"], whole["valid"]);
    assert_eq!(merged["failure_groups"], whole["failure_groups"]);
    assert_eq!(merged["merged_from"].as_array().unwrap().len(), 4);
    // The exit status is the worst verdict (the bug makes seeds invalid).
    assert!(
        whole["tally"]["invalid"].as_u64().unwrap() > 0,
        "{}",
        whole["tally"]
    );
    assert!(
        whole["tally"]["valid"].as_u64().unwrap() > 0,
        "{}",
        whole["tally"]
    );
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));

    // JUnit: the schema's structure, one case per seed, failures carrying
    // the checker, the first finding and the replay command.
    let cases = validate_junit(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(cases.len(), 40);
    // The same cases as the unsharded suite's (only run directories differ).
    let outline = |cases: &[(String, Option<String>, Option<String>, String)]| -> Vec<String> {
        cases
            .iter()
            .map(|(n, o, k, _)| format!("{n} {o:?} {k:?}"))
            .collect()
    };
    let whole_cases = validate_junit(&std::fs::read_to_string(&whole_junit).unwrap());
    assert!(
        outline(&cases) == outline(&whole_cases),
        "JUnit cases differ"
    );
    for (o, (name, outcome, kind, text)) in merged["seeds"].as_array().unwrap().iter().zip(&cases) {
        assert!(
            name.starts_with(&format!("seed {} (kv, 5 nodes", o["seed"])),
            "{name}"
        );
        assert!(name.contains("bug commit-quorum-off-by-one"), "{name}");
        match o["valid"].clone() {
            Value::Bool(true) => assert_eq!(outcome, &None, "{name}"),
            Value::Bool(false) => {
                assert_eq!(outcome.as_deref(), Some("failure"), "{name}");
                assert_eq!(kind.as_deref(), o["checker"].as_str(), "{name}");
                let finding = o["first_finding"].as_str().unwrap();
                assert!(text.contains(finding), "{text}");
                assert!(
                    text.contains(&format!("replay: faultline run --seed {} ", o["seed"])),
                    "{text}"
                );
            }
            _ => assert_eq!(outcome.as_deref(), Some("error"), "{name}"),
        }
    }

    // The suite page: a cell per seed, a row per failure group, and every
    // seed that was not valid linked to its report (kept by --keep failing).
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("data-seed=").count(), 40);
    assert_eq!(
        html.matches("<tr class=\"group\">").count(),
        merged["failure_groups"].as_array().unwrap().len()
    );
    let failing = 40 - merged["tally"]["valid"].as_u64().unwrap() as usize;
    // The matrix's linked cells: `<a class="cell ..." ... href="...">`.
    let links: Vec<&str> = html
        .split("<a class=\"cell ")
        .skip(1)
        .map(|cell| cell.split('>').next().unwrap())
        .filter_map(|tag| tag.split("href=\"").nth(1))
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(links.len(), failing, "one link per kept (failing) seed");
    for link in links {
        assert!(page.parent().unwrap().join(link).is_file(), "{link}");
    }

    // An earlier merge's summary next to the shards is not a shard.
    std::fs::copy(root.join("merged.json"), shards.join("nightly.json")).unwrap();
    let again = root.join("again.json");
    let out = faultline_env(
        &[
            "merge",
            shards.to_str().unwrap(),
            "--summary",
            again.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    assert_eq!(verdicts(&read_json(&again)), verdicts(&merged));
    std::fs::remove_file(shards.join("nightly.json")).unwrap();

    // A missing shard is named, and the merge is at least unknown.
    let three: Vec<String> = (1..=3)
        .map(|i| shards.join(format!("s{i}.json")).display().to_string())
        .collect();
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(three.iter().map(String::as_str));
    let out = faultline_env(&args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("missing shards: 4/4"), "{stdout}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "invalid is worse than unknown: {}",
        explain(&out)
    );
    // A shard given twice is refused, naming it and both files.
    let out = faultline_env(&["merge", &three[0], &three[1], &three[0]], &[]);
    assert_eq!(out.status.code(), Some(254), "{}", explain(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shard 1/4 is given twice"), "{stderr}");
    // A summary of another configuration is refused unless --allow-mixed.
    let other = root.join("other.json");
    let mut args = vec![
        "suite",
        "--seeds",
        "1..=40",
        "--shard",
        "4/4",
        "--keep",
        "none",
        "--store",
        root_s,
        "--summary",
        other.to_str().unwrap(),
        "--time-limit",
        "5",
        "--quiet",
        "2",
    ];
    args.extend(["--nemesis-interval", "1"]);
    let out = faultline_env(&args, &[]);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{}",
        explain(&out)
    );
    let other_s = other.to_str().unwrap();
    let out = faultline_env(&["merge", &three[0], &three[1], &three[2], other_s], &[]);
    assert_eq!(out.status.code(), Some(254), "{}", explain(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not shards of one suite")
            && stderr.contains("--inject-bug commit-quorum-off-by-one vs (nothing)")
            && stderr.contains("--allow-mixed"),
        "{stderr}"
    );
    let out = faultline_env(
        &[
            "merge",
            "--allow-mixed",
            &three[0],
            &three[1],
            &three[2],
            other_s,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    std::fs::remove_dir_all(&root).unwrap();
}

/// Runs a suite of seeds 1..=10 with the short faults of [`MIXED`] (with
/// or without its seeded bug) and returns its summary's path.
fn short_suite(root: &Path, name: &str, bug: bool, extra: &[&str]) -> std::path::PathBuf {
    let summary = root.join(format!("{name}.json"));
    let store = root.join(name);
    let mut args = vec![
        "suite",
        "--seeds",
        "1..=10",
        "--jobs",
        "2",
        "--store",
        store.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ];
    args.extend(if bug { &MIXED[..] } else { &MIXED[..6] });
    args.extend(extra);
    let out = faultline_env(&args, &[]);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{}",
        explain(&out)
    );
    summary
}

#[test]
fn compare_finds_no_difference_between_identical_builds_and_the_seeded_bug_in_the_other() {
    let root = scratch("cli_nightly", "compare");
    let base = short_suite(&root, "base", false, &[]);
    let again = short_suite(&root, "again", false, &[]);
    let buggy = short_suite(&root, "buggy", true, &[]);
    let (base_s, again_s, buggy_s) = (
        base.to_str().unwrap(),
        again.to_str().unwrap(),
        buggy.to_str().unwrap(),
    );
    // The same build twice: the same verdicts and, deterministically, the
    // same statistics.
    let json = root.join("same.json");
    let out = faultline_env(
        &["compare", base_s, again_s, "--json", json.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("verdict: no new failures (no differences)"),
        "{stdout}"
    );
    let c = read_json(&json);
    assert_eq!(c["common_seeds"], 10);
    for list in [
        "newly_failing",
        "newly_passing",
        "changed_finding",
        "only_base",
        "only_new",
    ] {
        assert_eq!(c[list], serde_json::json!([]), "{list}: {c}");
    }
    let stats = c["stats"].as_object().unwrap();
    for stat in ["availability_during_faults", "latency_ms_p99", "ops_ok"] {
        assert_eq!(stats[stat]["delta"], 0.0, "{stat}: {c}");
    }
    // The correct Raft against the same seeds with a bug: new failures,
    // exit 1; each names its checker and finding and how to replay it.
    let json = root.join("bug.json");
    let out = faultline_env(
        &["compare", base_s, buggy_s, "--json", json.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    let c = read_json(&json);
    let failing = c["newly_failing"].as_array().unwrap();
    let buggy_summary = read_json(&buggy);
    let invalid = buggy_summary["tally"]["invalid"].as_u64().unwrap();
    assert!(invalid > 0 && failing.len() as u64 >= invalid, "{c}");
    for f in failing {
        assert_eq!(f["base"], "valid", "{f}");
        assert!(f["finding"].as_str().unwrap().contains(": "), "{f}");
        assert!(
            f["replay"]
                .as_str()
                .unwrap()
                .ends_with("--inject-bug commit-quorum-off-by-one"),
            "{f}"
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("flags: (nothing) vs --inject-bug commit-quorum-off-by-one"),
        "{stdout}"
    );
    assert!(
        stdout.contains("seeds fail in new that did not in base"),
        "{stdout}"
    );
    // The other way round the bug's seeds newly pass: exit 0.
    let out = faultline_env(&["compare", buggy_s, base_s], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("newly passing: {}", failing.len())),
        "{}",
        explain(&out)
    );
    // Other flags are another suite.
    let other = short_suite(&root, "other", false, &["--keys", "2"]);
    let out = faultline_env(&["compare", base_s, other.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(254), "{}", explain(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--keys 4 vs --keys 2"), "{stderr}");
    std::fs::remove_dir_all(&root).unwrap();
}
