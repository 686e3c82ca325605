//! End-to-end: loads rendered reports in headless Chromium and checks the
//! page as the browser built it (via `--dump-dom`): the timeline script ran,
//! drew one bar per operation, and nothing logged an error.
//!
//! Needs Debian's `chromium` package. Without it every test here prints
//! `SKIPPED: chromium not installed` and returns (or fails, when
//! `FAULTLINE_REQUIRE_BROWSER` is set); CI installs it.
//! Set `FAULTLINE_REPORTS_OUT=/some/dir` to keep the rendered pages and
//! screenshots for a look, `FAULTLINE_SCREENSHOTS=$PWD/docs` (an absolute path: tests run in the crate's directory) to refresh the
//! README's screenshots.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use faultline_reports::{render_run, ReportInput};

/// How long one browser invocation may take before the test fails.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

/// The browser: `FAULTLINE_CHROMIUM` if set (and present), else
/// `/usr/bin/chromium`, else `chromium` / `chromium-browser` on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(chosen) = std::env::var_os("FAULTLINE_CHROMIUM") {
        let chosen = PathBuf::from(chosen);
        return chosen.exists().then_some(chosen);
    }
    let fixed = Path::new("/usr/bin/chromium");
    if fixed.exists() {
        return Some(fixed.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.exists())
}

macro_rules! chromium_or_skip {
    () => {
        match chromium() {
            Some(path) => path,
            None => {
                let message = "SKIPPED: chromium not installed (apt-get install chromium)";
                assert!(
                    std::env::var_os("FAULTLINE_REQUIRE_BROWSER").is_none(),
                    "FAULTLINE_REQUIRE_BROWSER is set but {message}"
                );
                println!("{message}");
                eprintln!("{message}");
                return;
            }
        }
    };
}

/// Runs headless Chromium with `extra` arguments on `url`; returns stdout.
/// Fails with the tail of Chromium's stderr if it exits unsuccessfully.
fn run_browser(browser: &Path, url: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let log_path = profile.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).map(|_| out)
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            if !status.success() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail: String = log
                    .chars()
                    .rev()
                    .take(2000)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                panic!("chromium exited with {status} on {url}:\n{tail}");
            }
            break;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish {url} within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap().unwrap()
}

/// The value of attribute `name` on the first tag containing `marker`.
fn attribute(dom: &str, marker: &str, name: &str) -> Option<String> {
    let at = dom.find(marker)?;
    let tag_start = dom[..at + 1].rfind('<')?;
    let tag = &dom[tag_start..tag_start + dom[tag_start..].find('>')?];
    let needle = format!("{name}=\"");
    let v = tag.find(&needle)? + needle.len();
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

fn output_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("FAULTLINE_REPORTS_OUT") {
        Some(dir) => (None, PathBuf::from(dir)),
        None => {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().to_path_buf();
            (Some(tmp), path)
        }
    }
}

/// Renders `input` into `dir/name`, loads it, and checks the DOM.
fn render_and_check(browser: &Path, dir: &Path, name: &str, input: &ReportInput) -> String {
    let page = render_run(&dir.join(name), input).unwrap();
    let url = format!(
        "file://{}#fl-selftest",
        page.canonicalize().unwrap().display()
    );
    let dom = run_browser(browser, &url, &["--dump-dom"]);
    assert!(
        dom.contains("id=\"timeline\""),
        "no timeline in the DOM of {name}"
    );
    assert_eq!(
        attribute(&dom, "<html", "data-console-error-count").as_deref(),
        Some("0"),
        "console errors in {name}: {:?}",
        attribute(&dom, "<html", "data-console-errors")
    );
    assert_eq!(
        attribute(&dom, "id=\"timeline\"", "data-rendered").as_deref(),
        Some("true")
    );
    let bars: usize = attribute(&dom, "id=\"timeline\"", "data-op-bars")
        .expect("the timeline script reports its bar count")
        .parse()
        .unwrap();
    assert_eq!(bars, input.operations.len(), "op bars in {name}");
    // The self-test zoomed in once: the view halved.
    assert_eq!(
        attribute(&dom, "id=\"timeline\"", "data-selftest-zoom").as_deref(),
        Some("0.500")
    );
    dom
}

#[test]
fn invalid_report_loads_without_errors_and_draws_every_op() {
    let browser = chromium_or_skip!();
    let (_keep, dir) = output_dir();
    let mut input = common::invalid_input(400);
    // A second failing key: the button then steps through both.
    let mut second = input.results.linearizability_failures[0].clone();
    second.key = Some("k9".to_string());
    second.failing_op_id = input.operations[5].id;
    input.results.linearizability_failures.push(second);
    let dom = render_and_check(&browser, &dir, "invalid", &input);
    assert!(
        dom.contains(">show failing op 2/2</button>"),
        "the failure button steps on"
    );
    // The page opened zoomed onto the failing op, so only part is drawn.
    let drawn: usize = attribute(&dom, "id=\"timeline\"", "data-drawn-bars")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        drawn >= 1 && drawn < input.operations.len(),
        "drawn {drawn}"
    );
}

#[test]
fn ten_thousand_op_report_loads_without_errors_and_draws_every_op() {
    let browser = chromium_or_skip!();
    let (_keep, dir) = output_dir();
    let input = common::valid_input(10_000);
    assert_eq!(input.operations.len(), 10_000);
    render_and_check(&browser, &dir, "large", &input);
}

/// Screenshots of a valid and an invalid report: checked here, and kept in
/// `FAULTLINE_SCREENSHOTS` (a directory) when that is set, which is how the
/// README's pictures are made:
/// `FAULTLINE_SCREENSHOTS=$PWD/docs cargo test -p faultline-reports --test browser screenshots`.
#[test]
fn screenshots_of_a_valid_and_an_invalid_report_have_content() {
    let browser = chromium_or_skip!();
    let (_keep, dir) = output_dir();
    let keep = std::env::var_os("FAULTLINE_SCREENSHOTS").map(PathBuf::from);
    let pages = [
        ("valid-report", {
            let mut valid = common::valid_input(400);
            valid.results.title = "register, 5 nodes, seed 7".into();
            valid
        }),
        ("invalid-report", common::grouped_input(400, 32)),
    ];
    for (name, input) in pages {
        let page = render_run(&dir.join(name), &input).unwrap();
        let shot = dir.join(format!("{name}.png"));
        run_browser(
            &browser,
            &format!("file://{}", page.canonicalize().unwrap().display()),
            &[
                &format!("--screenshot={}", shot.display()),
                "--window-size=1400,2000",
                "--hide-scrollbars",
            ],
        );
        let decoder = png::Decoder::new(std::fs::File::open(&shot).expect("screenshot written"));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (1400, 2000));
        if let Some(to) = &keep {
            std::fs::create_dir_all(to).unwrap();
            std::fs::copy(&shot, to.join(format!("{name}.png"))).unwrap();
        }
    }
}

#[test]
fn grouped_invalid_report_expands_its_groups_without_errors() {
    let browser = chromium_or_skip!();
    let (_keep, dir) = output_dir();
    let input = common::grouped_input(2_000, 3_000);
    let dom = render_and_check(&browser, &dir, "grouped", &input);
    let page = std::fs::metadata(dir.join("grouped").join("report.html"))
        .unwrap()
        .len();
    println!("page weight of an invalid report with 3,001 findings: {page} bytes");
    assert!(page < 3_000_000, "{page} bytes");
    // One expandable group (the other has a single finding): clicked open
    // by the self-test, and its list then shows.
    assert_eq!(
        attribute(&dom, "id=\"timeline\"", "data-selftest-groups").as_deref(),
        Some("1/1"),
        "the groups expand"
    );
    assert!(
        dom.contains("<details class=\"rest\" open=\"\">"),
        "opened in the DOM"
    );
    assert!(
        dom.contains("<line class=\"mark\" data-index=\"117\""),
        "the strip rendered"
    );
}
