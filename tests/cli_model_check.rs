//! `faultline model-check` end to end through the built binary: the exit
//! codes (0 holds, 1 violated, 2 time limit first, 254 bad flags), the
//! counterexample's replay command, and its HTML chart.

mod support;

use support::{explain, faultline, scratch};

/// Bounds small enough for a debug build: one term, one entry.
const TINY: &[&str] = &[
    "model-check",
    "--max-term",
    "1",
    "--max-log",
    "1",
    "--max-proposals",
    "0",
    "--max-crashes",
    "0",
    "--threads",
    "1",
];

fn with(extra: &[&str]) -> Vec<String> {
    TINY.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run(args: &[String]) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    faultline(&refs)
}

#[test]
fn the_correct_core_within_tiny_bounds_holds_and_exits_0() {
    let out = run(&with(&[]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        stdout.contains("all properties hold within the bounds"),
        "{stdout}"
    );
    assert!(
        stdout.contains("unique") && stdout.contains("states/s"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sometimes: a leader is elected: reached"),
        "{stdout}"
    );
}

#[test]
fn a_seeded_bug_exits_1_with_a_counterexample_that_replays_and_draws() {
    let dir = scratch("cli_model_check", "bug");
    let chart = dir.join("cx.html");
    let args = [
        "model-check",
        "--max-term",
        "2",
        "--max-log",
        "1",
        "--max-proposals",
        "0",
        "--max-crashes",
        "1",
        "--inject-bug",
        "vote-not-durable",
        "--html",
        chart.to_str().unwrap(),
    ];
    let out = faultline(&args);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    assert!(stdout.contains("VIOLATED: election-safety"), "{stdout}");
    let page = std::fs::read_to_string(&chart).unwrap();
    assert!(
        page.contains("<svg") && page.contains("election-safety"),
        "{page}"
    );
    let replay = stdout
        .lines()
        .find_map(|l| l.strip_prefix("replay: faultline "))
        .expect("a replay command");
    let replay_args: Vec<String> = replay.split_whitespace().map(str::to_string).collect();
    let again = run(&replay_args);
    let again_stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(1), "{}", explain(&again));
    assert!(
        again_stdout.contains("VIOLATED: election-safety"),
        "{again_stdout}"
    );
}

#[test]
fn running_out_of_time_first_exits_2() {
    let out = faultline(&["model-check", "--time-limit", "0.05", "--threads", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    assert!(stdout.contains("incomplete"), "{stdout}");
}

#[test]
fn bad_flags_exit_254_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (&["--nodes", "9"], "--nodes"),
        (&["--max-term", "0"], "--max-term"),
        (&["--inject-bug", "no-such-bug"], "no-such-bug"),
        (&["--inject-bug", "session-no-dedup"], "session-no-dedup"),
        (&["--time-limit", "0"], "--time-limit"),
        (&["--threads", "0"], "--threads"),
        (&["--replay", "1.x"], "--replay"),
        (&["--replay", "999"], "--replay"),
        (&["--bfs", "--dfs"], "--dfs"),
        (&["--no-such-flag"], "--no-such-flag"),
    ];
    for (extra, named) in cases {
        let out = run(&with(extra));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(254), "{extra:?}: {}", explain(&out));
        assert!(stderr.contains(named), "{extra:?}: {stderr}");
    }
}
