//! The report of an invalid run explains itself: findings grouped by kind
//! (one group per kind, its count and span, the rest expandable), the story
//! before the first violation (the partition and the leader change, linked
//! to their node-log lines) and the node-state strip marking the divergent
//! index; thousands of findings keep the page small.

mod common;

use faultline_reports::render_run;

fn page(findings: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input = common::grouped_input(200, findings);
    let path = render_run(dir.path(), &input).unwrap();
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn findings_show_as_one_group_per_kind_with_count_and_span() {
    let html = page(32);
    assert!(html.contains("32 violation(s)") || html.contains("33 violation(s)"));
    assert!(html.contains("33 findings in 2 groups"), "two kinds");
    assert!(html.contains("data-kind=\"state-machine-safety\" data-count=\"32\""));
    assert!(html.contains("data-kind=\"leader-completeness\" data-count=\"1\""));
    assert!(
        html.contains(
            "<summary>+31 more: indices 117–130 on n1 vs n2, n3, n5, 11.407–11.438 s</summary>"
        ),
        "the rest summarized"
    );
    // The first in full (with its node states), the rest one line each.
    let group = &html[html.find("data-kind=\"state-machine-safety\"").unwrap()..];
    let group = &group[..group.find("</details>").unwrap()];
    assert_eq!(group.matches("n4 DOWN Follower").count(), 1, "one dump");
    assert_eq!(group.matches("<li>").count(), 31);
    // The checkers table lists the groups, not the findings.
    let table = &html[html.find("id=\"checkers\"").unwrap()..];
    assert!(table.contains("<code>state-machine-safety</code> ×32: indices 117–130"));
}

#[test]
fn the_story_holds_the_partition_and_the_leader_change_and_the_strip_marks_the_index() {
    let html = page(5);
    let story = &html[html.find("id=\"story\"").expect("a story section")..];
    let story = &story[..story.find("</section>").unwrap()];
    let partition = story
        .find("start-partition (partition-majority")
        .expect("the partition");
    let leader = story
        .find("became leader of term 2")
        .expect("the leader change");
    let failure = story.find("class=\"failure\"").expect("the violation");
    assert!(partition < leader && leader < failure, "in time order");
    assert!(story.contains("<a href=\"nodes/n3.log#:~:text=11.398000s\">n3.log:14</a>"));
    assert!(story.contains("<line class=\"mark\" data-index=\"117\""));
    // A 130-entry log is drawn around the mark, one cell per entry.
    assert!(story.contains("data-indices=\"96-130\""), "{story}");
    assert!(story.contains(">… 96</text>"));
    // One row per node; the marked index is term 1 on n1, term 2 on n3.
    let at_failure = &story[..story.find("id=\"strip-before\"").unwrap()];
    assert_eq!(at_failure.matches("<g class=\"node\"").count(), 5);
    assert!(story.contains("data-node=\"n1\" data-term-at-mark=\"1\""));
    assert!(story.contains("data-node=\"n3\" data-term-at-mark=\"2\""));
    assert!(story.contains("data-node=\"n4\" data-term-at-mark=\"1\""));
    assert!(story.contains("n4 DOWN Follower t1 c130 a130"));
    assert!(story.contains("snapshot ..=100"), "the snapshot is marked");
    assert!(
        story.contains("(uncommitted)"),
        "n2's entry past its commit"
    );
    // The cluster as the partition started: one log, term 1 throughout.
    let before = &story[story
        .find("Node states as <code>start-partition (partition-majority")
        .expect("the strip before the fault")..];
    assert!(before.contains("at 10.000 s"), "{before}");
    let before = &before[before.find("id=\"strip-before\"").unwrap()..];
    assert_eq!(before.matches("<g class=\"node\"").count(), 5);
    assert!(before.contains("n1 Leader t1 c110 a110"), "{before}");
}

#[test]
fn thousands_of_findings_keep_the_page_small() {
    let html = page(5_000);
    println!("page weight with 5,001 findings: {} bytes", html.len());
    assert!(html.len() < 3_000_000, "{} bytes", html.len());
    assert!(html.contains("… and 4799 more"), "the list is capped");
}

#[test]
fn a_linearizability_failure_shows_what_the_model_allows_and_the_keys_recent_ops() {
    let html = page(1);
    let explain = &html[html
        .find("class=\"card explain\"")
        .expect("the explanation")..];
    let explain = &explain[..explain.find("</section>").unwrap()];
    assert!(
        explain.contains("The model allows <b>3"),
        "the state after the prefix: {explain}"
    );
    assert!(explain.contains("<h4>Operations on the key from "));
    assert_eq!(
        explain.matches("<tr class=\"failure\">").count(),
        1,
        "the failing op is marked among them"
    );
}
