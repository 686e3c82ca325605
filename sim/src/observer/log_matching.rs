//! Log matching (Raft §5.3): if two logs hold an entry with the same index
//! and term, they are identical up to that index. Checked on the terms of
//! each pair of durable logs, over the range both still hold (after their
//! snapshots).

use super::NodeView;

/// Describes the first pair of nodes whose logs break log matching.
pub fn check(views: &[NodeView]) -> Option<String> {
    for (i, a) in views.iter().enumerate() {
        for b in &views[i + 1..] {
            if let Some(d) = pair(a, b) {
                return Some(d);
            }
        }
    }
    None
}

fn pair(a: &NodeView, b: &NodeView) -> Option<String> {
    let lo = a.snapshot_index.max(b.snapshot_index).max(1);
    let hi = a.last_index.min(b.last_index);
    if lo > hi {
        return None;
    }
    // The highest index in [lo, hi] where both logs hold the same term: every
    // index below it (down to lo) must then agree too. Terms are checked at
    // run boundaries of either log, which is where a disagreement begins.
    let mut agree_at = None;
    let mut idx = hi;
    loop {
        if a.term_at(idx).is_some() && a.term_at(idx) == b.term_at(idx) {
            agree_at = Some(idx);
            break;
        }
        // Jump to the end of the previous run of either log.
        let prev = [a, b]
            .iter()
            .filter_map(|v| {
                let pos = v.runs.partition_point(|r| r.2 < idx);
                v.runs.get(pos).map(|r| r.1.saturating_sub(1))
            })
            .max()
            .unwrap_or(0);
        if prev < lo || prev >= idx {
            break;
        }
        idx = prev;
    }
    let top = agree_at?;
    let mut boundaries: Vec<u64> = a
        .runs
        .iter()
        .chain(b.runs.iter())
        .flat_map(|r| [r.1, r.2])
        .filter(|&x| x >= lo && x <= top)
        .collect();
    boundaries.push(lo);
    boundaries.sort_unstable();
    boundaries.dedup();
    for x in boundaries {
        if a.term_at(x) != b.term_at(x) {
            return Some(format!(
                "n{} and n{} agree on term {} at index {top} but differ at index {x} (terms {:?} vs {:?})",
                a.id,
                b.id,
                a.term_at(top).unwrap_or(0),
                a.term_at(x),
                b.term_at(x)
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::Role;

    fn view(id: u64, snapshot_index: u64, runs: Vec<(u64, u64, u64)>) -> NodeView {
        NodeView {
            id,
            running: true,
            role: Role::Follower,
            term: 9,
            commit: 0,
            applied: 0,
            starts: 1,
            snapshot_index,
            last_index: runs.last().map(|r| r.2).unwrap_or(snapshot_index),
            runs,
        }
    }

    #[test]
    fn logs_that_diverge_only_at_the_tail_match() {
        let a = view(1, 0, vec![(1, 1, 5), (2, 6, 8)]);
        let b = view(2, 0, vec![(1, 1, 5), (3, 6, 9)]);
        assert!(check(&[a, b]).is_none());
    }

    #[test]
    fn equal_terms_above_a_difference_are_reported() {
        let a = view(1, 0, vec![(1, 1, 3), (2, 4, 8)]);
        let b = view(2, 0, vec![(1, 1, 2), (2, 3, 8)]);
        let d = check(&[a, b]).unwrap();
        assert!(d.contains("differ at index 3"), "{d}");
    }

    #[test]
    fn snapshots_limit_the_compared_range() {
        let a = view(1, 6, vec![(2, 6, 6), (2, 7, 9)]);
        let b = view(2, 0, vec![(1, 1, 5), (2, 6, 9)]);
        assert!(check(&[a, b]).is_none());
    }
}
