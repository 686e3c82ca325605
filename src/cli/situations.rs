//! Situation coverage across seeds, for `faultline suite` and `faultline
//! hunt`: how many seeds reached each situation
//! ([`faultline_sim::situations::names`]) and how often, so a profile that
//! never reaches one is visibly blind to it.

use super::suite::SeedOutcome;
use faultline_sim::situations::names;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One situation over many seeds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SituationTally {
    /// Seeds whose run reached it at least once.
    pub seeds_reached: u64,
    /// Occurrences over every seed.
    pub count_total: u64,
    /// The earliest first occurrence over every seed, ms of simulated time.
    pub first_ms_min: Option<u64>,
}

/// Every known situation (reached or not) and any other a run recorded,
/// tallied over `outcomes`. A seed that recorded no situations (it did not
/// finish) reaches none.
pub fn tally(outcomes: &[SeedOutcome]) -> BTreeMap<String, SituationTally> {
    let mut all: BTreeMap<String, SituationTally> = names::ALL
        .iter()
        .map(|&n| (n.to_string(), SituationTally::default()))
        .collect();
    for o in outcomes {
        for (name, c) in &o.situations {
            let t = all.entry(name.clone()).or_default();
            if c.count == 0 {
                continue;
            }
            t.seeds_reached += 1;
            t.count_total += c.count;
            if let Some(first) = c.first_ms {
                t.first_ms_min = Some(t.first_ms_min.map_or(first, |m| m.min(first)));
            }
        }
    }
    all
}

/// The situations no seed reached, in name order.
pub fn never_reached(tally: &BTreeMap<String, SituationTally>) -> Vec<&str> {
    tally
        .iter()
        .filter(|(_, t)| t.seeds_reached == 0)
        .map(|(n, _)| n.as_str())
        .collect()
}

/// Lines for a terminal: each situation with the seeds that reached it out
/// of `seeds` and its occurrences, then those never reached.
pub fn lines(tally: &BTreeMap<String, SituationTally>, seeds: usize) -> Vec<String> {
    let mut out = vec![format!(
        "situations (seeds that reached each, of {seeds}; occurrences):"
    )];
    for (name, t) in tally.iter().filter(|(_, t)| t.seeds_reached > 0) {
        let first = t.first_ms_min.map_or(String::new(), |ms| {
            format!(", first at {:.1} s", ms as f64 / 1e3)
        });
        out.push(format!(
            "  {name}: {}/{seeds} ({}{first})",
            t.seeds_reached, t.count_total
        ));
    }
    let blind = never_reached(tally);
    if !blind.is_empty() {
        out.push(format!("  never reached: {}", blind.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::SituationCount;

    fn outcome(seed: u64, reached: &[(&str, u64, u64)]) -> SeedOutcome {
        SeedOutcome {
            seed,
            exit_code: Some(0),
            wall_s: 1.0,
            situations: names::ALL
                .iter()
                .map(|&n| (n.to_string(), SituationCount::default()))
                .chain(reached.iter().map(|&(n, count, first_ms)| {
                    let c = SituationCount {
                        count,
                        first_ms: Some(first_ms),
                    };
                    (n.to_string(), c)
                }))
                .collect(),
            ..SeedOutcome::default()
        }
    }

    #[test]
    fn a_tally_adds_up_the_seeds_and_occurrences_of_every_situation() {
        let outcomes = [
            outcome(
                1,
                &[(names::TWO_LEADERS, 2, 900), (names::SNAPSHOT_TAKEN, 5, 40)],
            ),
            outcome(2, &[(names::TWO_LEADERS, 1, 300)]),
            outcome(3, &[]),
            // A seed that did not finish recorded nothing.
            SeedOutcome {
                situations: BTreeMap::new(),
                ..outcome(4, &[])
            },
        ];
        let t = tally(&outcomes);
        assert_eq!(t.len(), names::ALL.len(), "every name, reached or not");
        let two = t[names::TWO_LEADERS];
        assert_eq!(
            (two.seeds_reached, two.count_total, two.first_ms_min),
            (2, 3, Some(300))
        );
        assert_eq!(t[names::SNAPSHOT_TAKEN].seeds_reached, 1);
        for (name, total) in t.iter().map(|(n, t)| (n, t.count_total)) {
            let summed: u64 = outcomes
                .iter()
                .filter_map(|o| o.situations.get(name))
                .map(|c| c.count)
                .sum();
            assert_eq!(total, summed, "{name}");
        }
        let blind = never_reached(&t);
        assert_eq!(blind.len(), names::ALL.len() - 2);
        assert!(!blind.contains(&names::TWO_LEADERS));
        let text = lines(&t, outcomes.len()).join("\n");
        assert!(
            text.contains("two-leaders: 2/4 (3, first at 0.3 s)"),
            "{text}"
        );
        assert!(
            text.contains("never reached: deposed-leader-serving"),
            "{text}"
        );
    }
}
