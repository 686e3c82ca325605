//! The one conversion from the checker's results to the report's views:
//! verdicts, linearizability failures and the linearizability checker's
//! summary. `faultline run` (via `run::checks`) and `faultline check
//! --html` both render through these, so a stored run and a foreign
//! history explain a failure the same way.

use faultline_checker::{CheckReport, Verdict as CheckVerdict};
use faultline_reports::{CheckerView, FailureView, PrefixStep, Verdict};

/// The report view of a checker verdict.
pub fn view_verdict(v: CheckVerdict) -> Verdict {
    match v {
        CheckVerdict::Valid => Verdict::Valid,
        CheckVerdict::Invalid => Verdict::Invalid,
        CheckVerdict::Unknown => Verdict::Unknown,
    }
}

/// The report views of every non-linearizable partition of `report`.
pub fn failure_views(report: &CheckReport) -> Vec<FailureView> {
    report
        .partitions
        .iter()
        .filter_map(|p| p.explanation.as_ref())
        .map(|e| FailureView {
            key: e.key.clone(),
            failing_op_id: e.failed.id as u64,
            prefix: e
                .prefix
                .iter()
                .map(|&id| PrefixStep {
                    op_id: id as u64,
                    state: None,
                })
                .collect(),
            state_after: Some(e.state_after.clone()),
            concurrent_op_ids: e.concurrent.iter().map(|o| o.id as u64).collect(),
            text: e.to_string(),
        })
        .collect()
}

/// The linearizability checker's view of `report`.
pub fn linearizability_view(report: &CheckReport) -> CheckerView {
    let bad: Vec<String> = report
        .partitions
        .iter()
        .filter(|p| p.verdict != CheckVerdict::Valid)
        .map(|p| {
            let key = p.key.as_deref().unwrap_or("(no key)");
            match (&p.explanation, &p.note) {
                (Some(e), _) => format!("key {key}: {}", e.failed.text),
                (None, Some(note)) => format!("key {key}: {note}"),
                (None, None) => format!("key {key}: {}", p.verdict.as_str()),
            }
        })
        .collect();
    CheckerView {
        name: format!("linearizability ({})", report.model),
        verdict: view_verdict(report.verdict),
        summary: format!(
            "{} operations in {} partitions: {}",
            report.operations,
            report.partitions.len(),
            report.verdict.as_str()
        ),
        findings: bad,
    }
}
