//! Unit tests of the suite command: seed bounds, tallies and exit status.

use super::*;

#[test]
fn seed_lists_take_numbers_and_both_kinds_of_range() {
    assert_eq!(parse_seeds("7").unwrap(), vec![7]);
    assert_eq!(parse_seeds("1..4").unwrap(), vec![1, 2, 3]);
    assert_eq!(parse_seeds("1..=4").unwrap(), vec![1, 2, 3, 4]);
    assert_eq!(parse_seeds("9, 1..=2,100").unwrap(), vec![9, 1, 2, 100]);
}

#[test]
fn the_summary_file_gets_its_missing_parent_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nightly/2024/summary.json");
    let parts = SummaryParts {
        config: RunConfig::with_seed(1),
        seed_set: "1".into(),
        seeds_total: 1,
        shard: None,
        keep: Keep::Failing,
        started_at: None,
    };
    let summary = summary::summarize(parts, Vec::new(), 0, 1.0);
    write_summary(&path, &summary).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"tally\""), "{text}");
    // A parent that is a file is still an error naming the flag.
    let blocked = tmp.path().join("nightly/2024/summary.json/x.json");
    let err = write_summary(&blocked, &summary).unwrap_err();
    assert_eq!(err.exit(), Exit::BadInput);
    assert!(err.error().to_string().contains("--summary"), "{err:?}");
}

/// A stand-in for the faultline binary: writes `record` (if any) to the
/// file after `--result-file`, `stderr` to stderr, and exits with `code`.
#[cfg(unix)]
fn fake_exe(name: &str, record: Option<&str>, stderr: &str, code: i32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("faultline-suite-t-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let write = record.map_or(String::new(), |r| {
        format!(
            "while [ $# -gt 0 ]; do [ \"$1\" = --result-file ] && printf '%s' '{r}' > \"$2\"; shift; done\n"
        )
    });
    let script = format!("#!/bin/sh\n{write}printf '{stderr}' >&2\nexit {code}\n");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[cfg(unix)]
#[test]
fn a_seed_outcome_comes_from_the_childs_record_not_its_output() {
    let config = RunConfig::with_seed(42);
    let store = Path::new("/nonexistent-store");
    let tmp = tempfile::tempdir().unwrap();
    let record_path = tmp.path().join("r.json");
    let record = r#"{"seed": 42, "valid": false, "run_dir": "/x/kv/r-s42-2",
        "first_failure": "raft invariants: election-safety violated at 37.180 s"}"#;
    let exe = fake_exe("invalid", Some(record), "", 1);
    let o = run_seed(&exe, &config, store, &record_path, 60);
    assert_eq!((o.status(), o.exit()), ("invalid", Exit::Invalid));
    assert_eq!(o.run_dir, Some(PathBuf::from("/x/kv/r-s42-2")));
    assert_eq!(
        o.reason.as_deref(),
        Some("raft invariants: election-safety violated at 37.180 s")
    );
    assert!(o.replay.starts_with("faultline run --seed 42 "));
    assert_eq!(o.error, None);
    let exe = fake_exe("crash", None, "line 1\\nboom: it broke\\n", 255);
    let o = run_seed(&exe, &config, store, &record_path, 60);
    assert_eq!((o.status(), o.exit()), ("error", Exit::Internal));
    assert!(o.error.as_deref().unwrap().contains("boom: it broke"));
    let exe = fake_exe("bad", None, "", 254);
    assert_eq!(
        run_seed(&exe, &config, store, &record_path, 60).exit(),
        Exit::BadInput
    );
    // A record of another seed (a stale file) is not believed.
    let other = r#"{"seed": 7, "valid": true, "run_dir": "/x", "first_failure": null}"#;
    let exe = fake_exe("stale", Some(other), "", 0);
    let o = run_seed(&exe, &config, store, &record_path, 60);
    assert_eq!(o.exit(), Exit::Internal);
    let unknown = r#"{"seed": 42, "valid": "unknown", "run_dir": "/x", "first_failure": null}"#;
    let exe = fake_exe("unknown", Some(unknown), "", 2);
    assert_eq!(
        run_seed(&exe, &config, store, &record_path, 60).exit(),
        Exit::Unknown
    );
    let o = run_seed(
        Path::new("/nonexistent/faultline"),
        &config,
        store,
        &record_path,
        60,
    );
    assert_eq!(o.exit(), Exit::Internal);
    assert!(o.error.unwrap().contains("cannot start"));
}

#[cfg(unix)]
#[test]
fn a_seed_past_its_wall_clock_bound_is_stopped_and_unknown() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("hang");
    std::fs::write(&exe, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = RunConfig::with_seed(5);
    let record_path = tmp.path().join("r.json");
    let o = run_seed(&exe, &config, Path::new("/x"), &record_path, 1);
    assert_eq!(
        (o.status(), o.exit()),
        ("unknown", Exit::Unknown),
        "{:?}",
        o.error
    );
    assert!(o.reason.unwrap().contains("--seed-timeout"));
    assert!(o.wall_s < 20.0, "{}", o.wall_s);
}

#[test]
fn bad_seed_lists_say_which_part_is_wrong() {
    for (list, needle) in [
        ("", "not a seed"),
        ("x", "\"x\""),
        ("5..5", "empty"),
        ("5..=4", "empty"),
        ("1..0", "empty"),
        ("1,2,1", "listed twice"),
        ("0..=2000000", "more than"),
        ("-3", "not a seed"),
    ] {
        let err = parse_seeds(list).unwrap_err();
        assert!(err.contains(needle), "{list:?}: {err}");
    }
}
