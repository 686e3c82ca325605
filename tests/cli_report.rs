//! `faultline report` and `faultline check --html` end to end, through the
//! built binary: a stored run's report and plots are rebuilt from its files
//! and the exit status is the stored verdict; a missing run exits 254
//! naming the path; an invalid foreign history gets a self-contained page
//! that points at the operation that cannot be linearized.

/// The files `faultline report` must rebuild.
mod support;
use support::{explain, faultline, run_dir, scratch};

const RENDERED: [&str; 4] = [
    "report.html",
    "latency-raw.png",
    "latency-quantiles.png",
    "rate.png",
];

#[test]
fn report_rebuilds_a_stored_runs_page_and_plots_and_exits_with_its_verdict() {
    let dir = scratch("cli_report", "rebuild");
    let store = dir.join("store");
    let store_arg = store.to_str().unwrap();
    let run = faultline(&[
        "run",
        "--seed",
        "3",
        "--time-limit",
        "10",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "3",
        "--quiet",
        "3",
        "--store",
        store_arg,
    ]);
    let run_code = run.status.code();
    assert!(
        matches!(run_code, Some(0..=2)),
        "run failed: {}",
        explain(&run)
    );
    let run_dir = run_dir(&run);
    for name in RENDERED {
        std::fs::remove_file(run_dir.join(name))
            .unwrap_or_else(|e| panic!("{name} was not written by the run: {e}"));
    }
    std::fs::remove_file(store.join("index.html")).expect("the run wrote store/index.html");

    let report = faultline(&["report", run_dir.to_str().unwrap()]);
    assert_eq!(
        report.status.code(),
        run_code,
        "report exits with the stored verdict: {}",
        explain(&report)
    );
    let printed = String::from_utf8_lossy(&report.stdout);
    assert!(
        printed.trim_end().ends_with("report.html"),
        "prints the report's path: {}",
        explain(&report)
    );
    for name in RENDERED {
        let bytes = std::fs::read(run_dir.join(name))
            .unwrap_or_else(|e| panic!("{name} was not rebuilt: {e}"));
        assert!(bytes.len() > 1000, "{name} is only {} bytes", bytes.len());
        if name.ends_with(".png") {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name} is not a PNG");
        }
    }
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(html.contains("--seed 3"), "the page shows the seed");
    let index = std::fs::read_to_string(store.join("index.html"))
        .expect("report refreshes the store's index.html");
    let run_name = run_dir.file_name().unwrap().to_str().unwrap();
    assert!(index.contains(run_name), "the index lists {run_name}");

    // A run stored by an older build wrote verdicts as strings; it still
    // renders, with the same verdict.
    let results = run_dir.join("results.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let old = |v: &serde_json::Value| match v {
        serde_json::Value::Bool(true) => serde_json::json!("valid"),
        serde_json::Value::Bool(false) => serde_json::json!("invalid"),
        other => other.clone(),
    };
    doc["valid"] = old(&doc["valid"]);
    for c in doc["checkers"].as_array_mut().unwrap() {
        c["valid"] = old(&c["valid"]);
    }
    std::fs::write(&results, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    std::fs::remove_file(run_dir.join("report.html")).unwrap();
    let report = faultline(&["report", run_dir.to_str().unwrap()]);
    assert_eq!(report.status.code(), run_code, "{}", explain(&report));
    assert!(run_dir.join("report.html").is_file());
}

#[test]
fn report_of_a_missing_run_exits_254_naming_the_path() {
    let out = faultline(&["report", "/nonexistent/faultline-run"]);
    assert_eq!(out.status.code(), Some(254), "{}", explain(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/faultline-run"),
        "{}",
        explain(&out)
    );
}

#[test]
fn report_of_a_run_with_broken_results_exits_254_naming_the_file() {
    let dir = scratch("cli_report", "broken");
    std::fs::write(dir.join("results.json"), "{ not json").unwrap();
    let out = faultline(&["report", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254), "{}", explain(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("results.json"),
        "{}",
        explain(&out)
    );
    assert!(!dir.join("report.html").exists());
}

/// Op 1 reads 2 after the write of 1 completed: nothing ever wrote 2.
const BAD_READ: &str = "index,time_ns,process,type,f,key,value\n\
                        0,0,0,invoke,write,,1\n1,10,0,ok,write,,1\n\
                        2,20,1,invoke,read,,null\n3,30,1,ok,read,,2\n";

#[test]
fn check_html_of_an_invalid_history_is_self_contained_and_marks_the_failing_op() {
    let dir = scratch("cli_report", "check-html");
    let history = dir.join("bad.csv");
    std::fs::write(&history, BAD_READ).unwrap();
    let page = dir.join("x.html");
    let out = faultline(&[
        "check",
        history.to_str().unwrap(),
        "--model",
        "cas-register",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    let html = std::fs::read_to_string(&page).expect("the HTML report was written");
    assert!(
        html.contains(
            "class=\"culprit\">Operation <a href=\"#timeline\" class=\"oplink\" data-op=\"1\">"
        ),
        "the page names op 1 as the one that cannot be linearized"
    );
    assert!(
        !html.contains("src=\"http"),
        "the page loads nothing remote"
    );
    assert!(
        !html.contains("href=\"http"),
        "the page links nothing remote"
    );
    assert!(
        html.contains("src=\"data:image/png;base64,"),
        "the plots are embedded"
    );
}

#[test]
fn check_html_with_several_files_writes_one_page_per_file_stem() {
    let dir = scratch("cli_report", "check-html-many");
    let bad = dir.join("bad.csv");
    let good = dir.join("good.csv");
    std::fs::write(&bad, BAD_READ).unwrap();
    std::fs::write(
        &good,
        "index,time_ns,process,type,f,key,value\n0,0,0,invoke,write,,1\n1,10,0,ok,write,,1\n",
    )
    .unwrap();
    let out = faultline(&[
        "check",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
        "--model",
        "cas-register",
        "--html",
        dir.join("r.html").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    assert!(!dir.join("r.html").exists());
    let bad_page = std::fs::read_to_string(dir.join("r-bad.html")).expect("r-bad.html");
    let good_page = std::fs::read_to_string(dir.join("r-good.html")).expect("r-good.html");
    assert!(bad_page.contains("class=\"culprit\""));
    assert!(!good_page.contains("class=\"culprit\""));
}
