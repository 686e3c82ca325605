//! JUnit XML, so CI systems (GitHub Actions reporters, GitLab, Jenkins)
//! show a suite's seeds as test cases natively.
//!
//! The output follows the common JUnit schema (Ant's `XMLJUnitResultFormatter`
//! format, which Jenkins' `junit-10.xsd` and GitLab read): a root
//! `<testsuites>` with `tests`, `failures`, `errors`, `skipped` and `time`;
//! per suite a `<testsuite>` with `name`, `tests`, `failures`, `errors`,
//! `skipped`, `time`, `timestamp` (ISO 8601, no zone) and `hostname`, then
//! `<properties>`, then its `<testcase>`s (`name`, `classname`, `time`),
//! each with at most one `<failure>`, `<error>` or `<skipped>` (`message`
//! and `type` on the first two) and an optional `<system-out>`.
//!
//! This module only renders: the caller decides what a case is and how it
//! ended.

use std::fmt::Write;

use crate::html::escape::html;

/// How one test case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseOutcome {
    /// It passed.
    Passed,
    /// A check failed (`<failure>`).
    Failure {
        /// The `type` attribute (e.g. the checker).
        kind: String,
        /// The `message` attribute (one line).
        message: String,
        /// The element's text (details, the replay command).
        text: String,
    },
    /// It could not be decided or run (`<error>`).
    Error {
        /// The `type` attribute.
        kind: String,
        /// The `message` attribute (one line).
        message: String,
        /// The element's text.
        text: String,
    },
    /// It did not run (`<skipped>`).
    Skipped {
        /// Why.
        message: String,
    },
}

/// One test case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Its name (unique within its suite).
    pub name: String,
    /// Its class name (CI systems group cases by it).
    pub classname: String,
    /// Seconds it took.
    pub time_s: f64,
    /// How it ended.
    pub outcome: CaseOutcome,
    /// Text for `<system-out>` (e.g. where its artifacts are), if any.
    pub system_out: Option<String>,
}

/// One test suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// Its name.
    pub name: String,
    /// The machine it ran on (`localhost` when unknown).
    pub hostname: String,
    /// When it started, ISO 8601 (`2026-12-06T18:44:00`, UTC, no zone).
    pub timestamp: String,
    /// Seconds it took.
    pub time_s: f64,
    /// Name/value pairs for `<properties>` (configuration, build).
    pub properties: Vec<(String, String)>,
    /// Its cases.
    pub cases: Vec<Case>,
}

impl Suite {
    /// Cases by outcome: (failures, errors, skipped).
    fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for case in &self.cases {
            match case.outcome {
                CaseOutcome::Passed => {}
                CaseOutcome::Failure { .. } => counts.0 += 1,
                CaseOutcome::Error { .. } => counts.1 += 1,
                CaseOutcome::Skipped { .. } => counts.2 += 1,
            }
        }
        counts
    }
}

/// The JUnit XML document of `suites`, named `name`.
pub fn render(name: &str, suites: &[Suite]) -> String {
    let mut totals = (0, 0, 0, 0, 0.0);
    for s in suites {
        let (f, e, k) = s.counts();
        totals.0 += s.cases.len();
        totals.1 += f;
        totals.2 += e;
        totals.3 += k;
        totals.4 += s.time_s;
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        xml(name),
        totals.0,
        totals.1,
        totals.2,
        totals.3,
        totals.4
    );
    for (id, s) in suites.iter().enumerate() {
        let (failures, errors, skipped) = s.counts();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" id=\"{id}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{:.3}\" timestamp=\"{}\" hostname=\"{}\">",
            xml(&s.name),
            s.cases.len(),
            s.time_s,
            xml(&s.timestamp),
            xml(&s.hostname)
        );
        out.push_str("    <properties>\n");
        for (k, v) in &s.properties {
            let _ = writeln!(
                out,
                "      <property name=\"{}\" value=\"{}\"/>",
                xml(k),
                xml(v)
            );
        }
        out.push_str("    </properties>\n");
        for c in &s.cases {
            write_case(&mut out, c);
        }
        out.push_str("    <system-out/>\n    <system-err/>\n  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn write_case(out: &mut String, c: &Case) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
        xml(&c.name),
        xml(&c.classname),
        c.time_s
    );
    if c.outcome == CaseOutcome::Passed && c.system_out.is_none() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    match &c.outcome {
        CaseOutcome::Passed => {}
        CaseOutcome::Failure {
            kind,
            message,
            text,
        }
        | CaseOutcome::Error {
            kind,
            message,
            text,
        } => {
            let element = if matches!(c.outcome, CaseOutcome::Failure { .. }) {
                "failure"
            } else {
                "error"
            };
            let _ = writeln!(
                out,
                "      <{element} message=\"{}\" type=\"{}\">{}</{element}>",
                xml(&one_line(message)),
                xml(kind),
                xml(text)
            );
        }
        CaseOutcome::Skipped { message } => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                xml(&one_line(message))
            );
        }
    }
    if let Some(text) = &c.system_out {
        let _ = writeln!(out, "      <system-out>{}</system-out>", xml(text));
    }
    out.push_str("    </testcase>\n");
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}

/// Escapes text for XML content and double-quoted attributes (the HTML
/// escapes are XML's too); characters XML 1.0 cannot hold (most control
/// characters) become U+FFFD.
pub fn xml(text: &str) -> String {
    let allowed: String = text
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect();
    html(&allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escaping() {
        let case = |name: &str, outcome| Case {
            name: name.into(),
            classname: "faultline.kv".into(),
            time_s: 1.25,
            outcome,
            system_out: None,
        };
        let suite = Suite {
            name: "a <suite>".into(),
            hostname: "h".into(),
            timestamp: "2026-12-06T18:44:00".into(),
            time_s: 3.0,
            properties: vec![("flags".into(), "--nodes 5 & \"x\"".into())],
            cases: vec![
                case("seed 1", CaseOutcome::Passed),
                case(
                    "seed 2",
                    CaseOutcome::Failure {
                        kind: "raft invariants".into(),
                        message: "log-matching\u{1} violated\nsecond".into(),
                        text: "replay: faultline run --seed 2".into(),
                    },
                ),
                case(
                    "seed 3",
                    CaseOutcome::Error {
                        kind: "unknown".into(),
                        message: "storm".into(),
                        text: String::new(),
                    },
                ),
            ],
        };
        let xml = render("faultline", &[suite]);
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"0\" time=\"3.000\">"),
            "{xml}"
        );
        assert!(xml.contains("name=\"a &lt;suite&gt;\""), "{xml}");
        assert!(
            xml.contains("value=\"--nodes 5 &amp; &quot;x&quot;\""),
            "{xml}"
        );
        assert!(
            xml.contains("message=\"log-matching\u{FFFD} violated\" type=\"raft invariants\""),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase name=\"seed 1\" classname=\"faultline.kv\" time=\"1.250\"/>"),
            "{xml}"
        );
    }
}
