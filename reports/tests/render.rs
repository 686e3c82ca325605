//! Renders reports for small valid and invalid histories and checks the
//! files: PNGs that decode with real content, pages that show the failing
//! operation, escape what came from the history, and embed every op.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use faultline_reports::{render_index, render_run, render_standalone, ReportInput};
use serde_json::Value;

/// Decodes a PNG and returns (width, height, distinct colours).
fn decode(path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let colours: BTreeSet<&[u8]> = bytes.chunks(channels).collect();
    (info.width, info.height, colours.len())
}

/// The fraction of pixels in the light blue of the partition band.
fn band_fraction(path: &Path) -> f64 {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
    let blue = pixels
        .iter()
        .filter(|p| p[0] > 170 && p[0] < 235 && p[0] < p[1] && p[1] < p[2] && p[2] > 220)
        .count();
    blue as f64 / pixels.len() as f64
}

/// The timeline data embedded in a page.
fn embedded_data(page: &str) -> Value {
    let start_tag = "<script type=\"application/json\" id=\"fl-data\">";
    let start = page.find(start_tag).expect("page embeds its data") + start_tag.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).expect("embedded data is JSON")
}

fn render(input: &ReportInput) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let page = render_run(dir.path(), input).unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    (dir, html)
}

#[test]
fn valid_report_writes_three_pngs_with_real_content() {
    let input = common::valid_input(200);
    let (dir, html) = render(&input);
    for name in ["latency-raw.png", "latency-quantiles.png", "rate.png"] {
        let (w, h, colours) = decode(&dir.path().join(name));
        assert!(w >= 1000 && h >= 500, "{name} is {w}x{h}");
        // White, black text, axis grey, fault band colours, op colours, anti-aliasing.
        assert!(colours >= 20, "{name} has only {colours} distinct colours");
    }
    assert!(html.contains("latency-raw.png") && html.contains("rate.png"));
    assert!(html.contains("badge valid"));
    assert!(!html.contains("Not linearizable"));
}

#[test]
fn invalid_report_names_the_failing_op_and_the_fault_it_ran_in() {
    let input = common::invalid_input(200);
    let failing = common::culprit(&input);
    let (_dir, html) = render(&input);
    assert!(html.contains(&format!("data-op=\"{failing}\"><code>#{failing} read")));
    assert!(html.contains("cannot be linearized"));
    // The stale read ran during the partition (10 s – 20 s).
    let during = &html[html.find("class=\"during\"").unwrap()..];
    assert!(during[..during.find("</p>").unwrap()].contains("partition 10.000 s – 20.000 s"));
    assert!(html.contains("raft invariants: 1 violation(s)"));
    assert!(html.contains("liveness: no recovery after the final heal"));
    assert!(html.contains("term 4: two leaders &lt;n1&gt; &amp; &lt;n3&gt;"));
    assert!(html.contains("<h2>Faults (2 periods)</h2>"));
    assert!(html.contains("<td>10.000 s</td><td>20.000 s</td><td>n1, n2, n3, n4, n5</td>"));
}

#[test]
fn everything_from_the_history_is_escaped() {
    let input = common::invalid_input(200);
    let (_dir, html) = render(&input);
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("<b>stale</b>"));
    assert!(html.contains("&lt;/script&gt;&lt;b&gt;stale&lt;/b&gt;"));
    // Exactly the page's own three script elements (error capture, data, timeline).
    assert_eq!(html.matches("<script").count(), 3);
    assert_eq!(html.matches("</script>").count(), 3);
}

#[test]
fn page_embeds_every_op_and_the_failure_for_the_timeline() {
    let input = common::invalid_input(300);
    let (_dir, html) = render(&input);
    let data = embedded_data(&html);
    assert_eq!(
        data["ops"].as_array().unwrap().len(),
        input.operations.len()
    );
    assert_eq!(input.operations.len(), 300);
    assert_eq!(data["failures"][0]["op"], common::culprit(&input));
    assert_eq!(data["faults"].as_array().unwrap().len(), 2);
    assert_eq!(data["faultKinds"][0][0], "kill");
    let stale = data["ops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op[0] == common::culprit(&input))
        .unwrap();
    assert_eq!(stale[8], "</script><b>stale</b>");
}

#[test]
fn empty_and_single_op_histories_render_without_panicking() {
    let empty = ReportInput::default();
    let (dir, html) = render(&empty);
    assert!(html.contains("Timeline (0 operations)"));
    assert!(decode(&dir.path().join("rate.png")).2 > 2);
    let mut one = common::valid_input(1);
    one.faults.clear();
    assert_eq!(one.operations.len(), 1);
    let (dir, _) = render(&one);
    assert!(decode(&dir.path().join("latency-raw.png")).2 > 2);
    let mut unfinished = one.clone();
    unfinished.operations[0].return_ns = None;
    render(&unfinished);
}

#[test]
fn standalone_page_embeds_its_plots_as_data_uris() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/check.html");
    render_standalone(&path, &common::invalid_input(120)).unwrap();
    let html = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        html.matches("src=\"data:image/png;base64,iVBORw0KGgo")
            .count(),
        3
    );
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );
}

#[test]
fn store_index_lists_every_run_and_tolerates_unreadable_ones() {
    use faultline_checker::Verdict;
    use faultline_reports::index::{RunEntry, RunStatus};
    let store = tempfile::tempdir().unwrap();
    let entry = |test: &str, run: &str, status, latest, files: &[&str]| RunEntry {
        test: test.into(),
        run: run.into(),
        time: run[..15].into(),
        seed: Some(1),
        status,
        latest,
        files: files.iter().map(|f| f.to_string()).collect(),
    };
    let entries = [
        entry(
            "kv",
            "20261123T110000-s2",
            Ok(RunStatus {
                verdict: Verdict::Invalid,
                title: "<i>bad</i>".into(),
                checkers: vec![],
            }),
            true,
            &["results.json"],
        ),
        entry(
            "kv",
            "20261123T100000-s1",
            Ok(RunStatus {
                verdict: Verdict::Valid,
                title: String::new(),
                checkers: vec![("linearizability".into(), Verdict::Valid)],
            }),
            false,
            &["report.html", "results.json"],
        ),
        entry(
            "register",
            "20261123T090000-s3",
            Err("results.json: EOF while parsing".into()),
            false,
            &[],
        ),
    ];
    let index = render_index(store.path(), &entries).unwrap();
    let html = std::fs::read_to_string(index).unwrap();
    assert!(html.contains("3 runs: 1 valid, 1 invalid, 0 unknown, 1 unreadable."));
    let b = html.find("20261123T110000-s2").unwrap();
    let a = html.find("20261123T100000-s1").unwrap();
    let c = html.find("20261123T090000-s3").unwrap();
    assert!(b < a && a < c);
    assert!(html.contains("href=\"kv/20261123T100000-s1/report.html\""));
    assert!(html.contains("&lt;i&gt;bad&lt;/i&gt;"));
    assert!(html.contains("class=\"unreadable\""));
    assert!(html.contains("<span class=\"latest\">latest</span>"));
}

#[test]
fn empty_store_gets_an_index_saying_so() {
    let store = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(render_index(store.path(), &[]).unwrap()).unwrap();
    assert!(html.contains("0 runs") && html.contains("holds no runs yet"));
}

#[test]
fn fault_periods_shade_every_plot() {
    let with = common::valid_input(200);
    let mut without = with.clone();
    without.faults.clear();
    let (dir_with, _) = render(&with);
    let (dir_without, _) = render(&without);
    for name in ["latency-raw.png", "latency-quantiles.png", "rate.png"] {
        let shaded = band_fraction(&dir_with.path().join(name));
        let plain = band_fraction(&dir_without.path().join(name));
        // The partition covers a third of the run's time axis.
        assert!(shaded > 0.10, "{name}: {shaded}");
        assert!(plain < 0.01, "{name}: {plain}");
    }
}

#[test]
fn many_failing_keys_show_five_in_full_and_list_the_rest() {
    let mut input = common::invalid_input(200);
    let first = input.results.linearizability_failures[0].clone();
    for (i, op) in input.operations.iter().take(8).enumerate() {
        let mut f = first.clone();
        f.key = Some(format!("extra{i}"));
        f.failing_op_id = op.id;
        input.results.linearizability_failures.push(f);
    }
    let (_dir, html) = render(&input);
    assert_eq!(html.matches("<section class=\"card explain\">").count(), 5);
    assert_eq!(html.matches("<h2>Not linearizable: key").count(), 5);
    assert!(html.contains("<h2>4 more keys are not linearizable</h2>"));
    assert!(html.contains("key <code>extra7</code>"));
    assert_eq!(
        embedded_data(&html)["failures"].as_array().unwrap().len(),
        9
    );
}

#[test]
fn wall_clock_timestamps_are_shown_relative_to_their_first_second() {
    let mut input = common::invalid_input(100);
    let base = 1_763_900_000_000_000_000u64;
    for op in &mut input.operations {
        op.call_ns += base;
        op.return_ns = op.return_ns.map(|r| r + base);
    }
    for f in &mut input.faults {
        f.start_ns += base;
        f.end_ns = f.end_ns.map(|e| e + base);
    }
    let (_dir, html) = render(&input);
    assert!(html.contains(&format!("Times are relative to {base} ns")));
    assert!(html.contains("partition 10.000 s – 20.000 s"));
    let data = embedded_data(&html);
    assert!(data["t1"].as_u64().unwrap() < 60_000_000_000);
}

#[test]
fn node_logs_the_input_names_are_linked() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = common::valid_input(20);
    input.node_logs = vec!["nodes/n1.log".into(), "nodes/n 2.log".into()];
    let page = render_run(dir.path(), &input).unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html
        .contains("<a href=\"nodes/n1.log\">n1.log</a> · <a href=\"nodes/n%202.log\">n 2.log</a>"));
}

#[test]
fn rendering_the_same_run_twice_gives_identical_files() {
    let input = common::invalid_input(150);
    let (a, _) = render(&input);
    let (b, _) = render(&input);
    for name in [
        "report.html",
        "latency-raw.png",
        "latency-quantiles.png",
        "rate.png",
    ] {
        let left = std::fs::read(a.path().join(name)).unwrap();
        let right = std::fs::read(b.path().join(name)).unwrap();
        assert!(left == right, "{name} differs between two renders");
    }
}

#[test]
fn raw_latency_plot_draws_each_function_in_its_own_colour() {
    let input = common::valid_input(200);
    let colours = faultline_reports::style::Colours::for_input(&input);
    assert_eq!(colours.ops.len(), 3);
    let (dir, _) = render(&input);
    let decoder =
        png::Decoder::new(std::fs::File::open(dir.path().join("latency-raw.png")).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
    for (f, c) in &colours.ops {
        let exact = pixels
            .iter()
            .filter(|p| p[0] == c.0 && p[1] == c.1 && p[2] == c.2)
            .count();
        // Markers plus the legend swatch: far more than the swatch alone (~150 px).
        assert!(exact > 300, "{f}: {exact} pixels in its colour");
    }
}

#[test]
fn a_run_with_seeded_bugs_says_so_in_its_header() {
    let mut input = common::valid_input(20);
    let (_dir, page) = render(&input);
    assert!(!page.contains("seeded bugs"));
    input.results.config["bugs"] = serde_json::json!(["figure-8-commit", "vote-not-durable"]);
    let (_dir, page) = render(&input);
    assert!(
        page.contains("seeded bugs: figure-8-commit, vote-not-durable"),
        "the header names the injected bugs"
    );
}
