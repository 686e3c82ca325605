//! The append checker's plain-text explanation: per key, the tally of
//! appends and reads and every anomaly in a sentence that names its
//! operations (process, value, invocation and completion times).

use std::fmt::Write as _;

use super::{AppendAnomaly, AppendKeyResult};
use crate::elements::list;
use crate::history::Operation;
use crate::verdict::Verdict;

/// "op 12 (process 3, append 7, invoked 1.500000000 s, ok at 1.600000000 s)".
fn describe(ops: &[Operation], id: usize) -> String {
    let Some(op) = ops.get(id) else {
        return format!("op {id}");
    };
    let secs = |ns: u64| format!("{}.{:09} s", ns / 1_000_000_000, ns % 1_000_000_000);
    let end = match op.return_ns {
        Some(ret) => format!("{:?} at {}", op.outcome, secs(ret)).to_lowercase(),
        None => "outcome unknown".to_string(),
    };
    format!(
        "op {id} (process {}, {} {}, invoked {}, {end})",
        op.process,
        op.f,
        op.input,
        secs(op.call_ns)
    )
}

pub(super) fn explain(verdict: Verdict, keys: &[AppendKeyResult], ops: &[Operation]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "append checker: {verdict} ({} key(s))", keys.len());
    for k in keys {
        let name = k.key.as_deref().unwrap_or("(no key)");
        let _ = writeln!(
            out,
            "key {name}: {}; {} append(s): {} ok, {} fail, {} info; {} read(s), longest {}",
            k.verdict,
            k.append_count,
            k.ok_count,
            k.fail_count,
            k.info_count,
            k.read_count,
            k.longest_read_len
        );
        if k.malformed_read_count > 0 {
            let _ = writeln!(
                out,
                "  {} read(s) did not return a list",
                k.malformed_read_count
            );
        }
        if k.anomalies.iter().any(|a| a.name() == "divergence") {
            let _ = writeln!(
                out,
                "  reads diverge, so there is no single list order: order checks skipped"
            );
        }
        list(&mut out, "anomalies", &k.anomalies, |a| {
            describe_anomaly(a, ops)
        });
    }
    out
}

/// One anomaly in a sentence, naming the operations involved.
fn describe_anomaly(a: &AppendAnomaly, ops: &[Operation]) -> String {
    let d = |id: usize| describe(ops, id);
    match a {
        AppendAnomaly::Duplicate {
            element,
            read_op,
            count,
        } => {
            format!(
                "duplicate: {} returned {element} {count} times",
                d(*read_op)
            )
        }
        AppendAnomaly::Unexpected { element, read_op } => {
            format!(
                "unexpected: {} returned {element}, never appended",
                d(*read_op)
            )
        }
        AppendAnomaly::Resurrected {
            element,
            append_op,
            read_op,
        } => format!(
            "resurrected: {} returned {element}, but {} failed",
            d(*read_op),
            d(*append_op)
        ),
        AppendAnomaly::FutureRead {
            element,
            append_op,
            read_op,
        } => format!(
            "future-read: {} returned {element} before {} was even invoked",
            d(*read_op),
            d(*append_op)
        ),
        AppendAnomaly::Divergence {
            read_op_a,
            read_op_b,
            position,
            element_a,
            element_b,
        } => {
            format!(
                "divergence: at position {position} {} holds {element_a} but {} holds {element_b}",
                d(*read_op_a),
                d(*read_op_b)
            )
        }
        AppendAnomaly::StaleRead {
            earlier_read_op,
            later_read_op,
            missing,
        } => format!(
            "stale-read: {} began after {} completed, yet no longer holds {missing}",
            d(*later_read_op),
            d(*earlier_read_op)
        ),
        AppendAnomaly::Lost {
            element,
            append_op,
            read_op,
        } => format!(
            "lost: {} was acknowledged before {} began, which lacks {element}",
            d(*append_op),
            d(*read_op)
        ),
        AppendAnomaly::Reordered {
            earlier_append_op,
            earlier_position,
            later_append_op,
            later_position,
            ..
        } => format!(
            "reordered: {} was acknowledged before {} was invoked, yet sits at \
             position {earlier_position}, after position {later_position}",
            d(*earlier_append_op),
            d(*later_append_op)
        ),
    }
}
