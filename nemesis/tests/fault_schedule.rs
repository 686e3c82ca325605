//! Tests of the pure fault catalogue and schedule: every partition shape's
//! grudge has the promised structure, targets pick the right nodes, kind
//! lists parse (with errors naming bad values), and schedules are
//! deterministic, alternate start/stop and end with a heal.

use std::collections::{BTreeMap, BTreeSet};

use faultline_nemesis::fault::{
    Fault, FaultError, FaultKind, FaultPlan, Magnitudes, ParseFaultError, Target,
};
use faultline_nemesis::grudge::{self, majority, minority_third_size, Grudge};
use faultline_nemesis::schedule::{
    Action, Effect, FaultLedger, Schedule, ScheduleConfig, ScheduleError,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn nodes(n: u64) -> Vec<u64> {
    (1..=n).collect()
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// The groups of a symmetric complete grudge: nodes that hear exactly each other.
fn sides(g: &Grudge) -> BTreeSet<BTreeSet<u64>> {
    g.drops.keys().map(|&n| g.hears(n)).collect()
}

fn cases() -> impl Iterator<Item = (u64, u64)> {
    (3..=9).flat_map(|n| (0..20).map(move |seed| (n, seed)))
}

#[test]
fn partition_one_isolates_exactly_one_node_both_ways() {
    for (n, seed) in cases() {
        let g = grudge::one(&nodes(n), &mut rng(seed));
        assert!(g.is_symmetric());
        let isolated: Vec<u64> = g
            .drops
            .iter()
            .filter(|(_, d)| d.len() as u64 == n - 1)
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(isolated.len(), 1, "n={n}: {g:?}");
        for (node, drops) in &g.drops {
            if *node != isolated[0] {
                assert_eq!(drops, &BTreeSet::from([isolated[0]]));
            }
        }
    }
}

#[test]
fn partition_majority_splits_into_a_majority_and_a_minority_side() {
    for (n, seed) in cases() {
        let g = grudge::majority_minority(&nodes(n), &mut rng(seed));
        assert!(g.is_symmetric());
        let sizes: BTreeSet<usize> = sides(&g).iter().map(BTreeSet::len).collect();
        let expected: BTreeSet<usize> =
            [majority(n as usize), n as usize - majority(n as usize)].into();
        assert_eq!(sizes, expected, "n={n}");
        assert_eq!(
            sides(&g).iter().map(BTreeSet::len).sum::<usize>(),
            n as usize
        );
    }
}

#[test]
fn partition_majorities_ring_gives_each_node_a_distinct_majority() {
    for (n, seed) in cases() {
        let g = grudge::majorities_ring(&nodes(n), &mut rng(seed));
        let views: Vec<BTreeSet<u64>> = g.drops.keys().map(|&k| g.hears(k)).collect();
        for view in &views {
            assert_eq!(view.len(), majority(n as usize), "n={n}: {view:?}");
        }
        let distinct: BTreeSet<&BTreeSet<u64>> = views.iter().collect();
        assert_eq!(distinct.len(), n as usize, "n={n}: views must all differ");
        // Every node is seen by a majority too (the ring is regular).
        for &node in g.drops.keys() {
            let seen_by = g.drops.keys().filter(|&&o| g.can_hear(o, node)).count();
            assert_eq!(seen_by, majority(n as usize));
        }
    }
}

#[test]
fn partition_minority_third_cuts_off_about_a_third() {
    assert_eq!(
        (3..=9).map(minority_third_size).collect::<Vec<_>>(),
        [1, 1, 2, 2, 3, 3, 3]
    );
    for (n, seed) in cases() {
        let g = grudge::minority_third(&nodes(n), &mut rng(seed));
        assert!(g.is_symmetric());
        let smallest = sides(&g).iter().map(BTreeSet::len).min().unwrap();
        assert_eq!(smallest, minority_third_size(n as usize));
        assert!(smallest < majority(n as usize));
    }
}

#[test]
fn partition_bridge_node_sees_both_sides_which_cannot_see_each_other() {
    for (n, seed) in cases() {
        let g = grudge::bridge(&nodes(n), &mut rng(seed));
        let all = nodes(n).into_iter().collect::<BTreeSet<_>>();
        let bridges: Vec<u64> = g
            .drops
            .iter()
            .filter(|(_, d)| d.is_empty())
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(bridges.len(), 1, "n={n}: {g:?}");
        let b = bridges[0];
        assert_eq!(g.hears(b), all);
        assert!(
            all.iter().all(|&o| g.can_hear(o, b)),
            "everyone hears the bridge"
        );
        let others: Vec<u64> = all.iter().copied().filter(|&o| o != b).collect();
        let side_a = g.hears(others[0]);
        let side_b: BTreeSet<u64> = all.difference(&side_a).copied().chain([b]).collect();
        assert!(!side_a.is_empty() && side_b.len() > 1);
        for &x in side_a.iter().filter(|&&x| x != b) {
            for &y in side_b.iter().filter(|&&y| y != b) {
                assert!(
                    !g.can_hear(x, y) && !g.can_hear(y, x),
                    "n={n}: {x} and {y} must be cut"
                );
            }
        }
        if n % 2 == 1 {
            assert_eq!(
                side_a.len(),
                majority(n as usize),
                "odd n: bridge + a side is a majority"
            );
            assert_eq!(side_b.len(), majority(n as usize));
        }
    }
}

#[test]
fn partition_one_way_is_asymmetric() {
    for (n, seed) in cases() {
        let g = grudge::one_way(&nodes(n), &mut rng(seed));
        assert!(!g.is_symmetric());
        let muted: BTreeSet<u64> = g
            .drops
            .values()
            .find(|d| !d.is_empty())
            .cloned()
            .expect("someone drops");
        assert_eq!(muted.len(), n as usize - majority(n as usize));
        for (node, drops) in &g.drops {
            if muted.contains(node) {
                assert!(drops.is_empty(), "muted nodes still hear everyone");
            } else {
                assert_eq!(drops, &muted, "everyone else drops the muted nodes");
            }
        }
        for (from, to) in g.cut_links() {
            assert!(muted.contains(&from) && !muted.contains(&to));
            assert!(g.can_hear(from, to), "the reverse direction works");
        }
    }
}

#[test]
fn leader_partitions_put_the_leader_on_the_small_side() {
    for (n, seed) in cases() {
        let leader = 1 + seed % n;
        let g = grudge::isolate(&nodes(n), Some(leader), &mut rng(seed));
        assert_eq!(g.hears(leader), BTreeSet::from([leader]));
        let g = grudge::leader_in_minority(&nodes(n), Some(leader), &mut rng(seed));
        assert!(g.is_symmetric());
        assert_eq!(g.hears(leader).len(), n as usize - majority(n as usize));
        // Unknown leader: still a valid shape.
        let g = grudge::leader_in_minority(&nodes(n), None, &mut rng(seed));
        assert_eq!(sides(&g).len(), 2);
    }
}

#[test]
fn targets_pick_the_right_number_of_nodes_and_the_leader() {
    let ns = nodes(5);
    let count = |t: Target, leader| t.pick(&ns, leader, &mut rng(3)).len();
    assert_eq!(count(Target::One, None), 1);
    assert_eq!(count(Target::Minority, None), 2);
    assert_eq!(count(Target::Majority, None), 3);
    assert_eq!(count(Target::All, None), 5);
    assert_eq!(
        Target::Leader.pick(&ns, Some(4), &mut rng(3)),
        BTreeSet::from([4])
    );
    assert_eq!(count(Target::Leader, None), 1);
    assert_eq!(
        count(Target::Leader, Some(42)),
        1,
        "a non-member leader falls back to random"
    );
    assert_eq!("majority".parse::<Target>().unwrap(), Target::Majority);
    assert!(
        matches!("most".parse::<Target>(), Err(ParseFaultError::UnknownTarget(s)) if s == "most")
    );
}

#[test]
fn nemesis_lists_parse_and_bad_values_are_named() {
    let all = FaultKind::parse_list("all").unwrap();
    assert_eq!(all.len(), FaultKind::ALL.len());
    assert!(FaultKind::parse_list("none").unwrap().is_empty());
    let some = FaultKind::parse_list("majority, kill-leader,clock").unwrap();
    assert!(some.contains(&FaultKind::PartitionMajority));
    assert!(some.contains(&FaultKind::KillLeader));
    assert!(some.contains(&FaultKind::ClockBump) && some.contains(&FaultKind::ClockSkew));
    assert!(some.contains(&FaultKind::ClockDrift));
    assert_eq!(some.len(), 6);
    let partitions = FaultKind::parse_list("partition").unwrap();
    assert_eq!(partitions.len(), 11);
    let protocol = FaultKind::parse_list("protocol").unwrap();
    assert_eq!(protocol.len(), 7);
    assert!(protocol.iter().all(|k| k.is_protocol_aware()));
    // Every protocol-aware kind strikes the node an event names, bar the
    // stale replay, which acts on every node's messages.
    assert!(protocol
        .iter()
        .all(|k| k.needs_leader() != (*k == FaultKind::PacketStaleReplay)));
    assert!(protocol.contains(&FaultKind::PartitionChaseLeader));
    assert!(protocol.contains(&FaultKind::KillLeaderAfterCommit));
    for kind in FaultKind::ALL {
        assert_eq!(kind.as_str().parse::<FaultKind>().unwrap(), *kind);
    }
    let err = FaultKind::parse_list("kill,parition").unwrap_err();
    assert_eq!(err, ParseFaultError::Unknown("parition".into()));
    assert!(err.to_string().contains("\"parition\""));
    assert!(matches!(
        FaultKind::parse_list("none,kill"),
        Err(ParseFaultError::NoneWithOthers(_))
    ));
    assert_eq!(FaultKind::parse_list(" "), Err(ParseFaultError::Empty));
    assert!(FaultKind::parse_list("kill,").is_err());
}

fn config(kinds: &str, time_limit_ms: u64) -> ScheduleConfig {
    ScheduleConfig {
        kinds: FaultKind::parse_list(kinds).unwrap(),
        time_limit_ms,
        ..ScheduleConfig::default()
    }
}

#[test]
fn same_seed_gives_an_identical_schedule_and_another_seed_differs() {
    let c = config("all", 600_000);
    let a = Schedule::plan(42, &c, &nodes(5)).unwrap();
    let b = Schedule::plan(42, &c, &nodes(5)).unwrap();
    assert_eq!(a, b);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let other = Schedule::plan(43, &c, &nodes(5)).unwrap();
    assert_ne!(a, other);
}

#[test]
fn schedule_alternates_start_and_stop_every_interval_and_ends_with_a_heal() {
    let c = config("all", 60_000);
    let s = Schedule::plan(1, &c, &nodes(5)).unwrap();
    let times: Vec<u64> = s.steps.iter().map(|st| st.at_ms).collect();
    assert_eq!(times, [10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    let mut open: Option<u64> = None;
    for step in &s.steps[..s.steps.len() - 1] {
        match (&step.action, open) {
            (Action::Start { id, .. }, None) => open = Some(*id),
            (Action::Stop { id, .. }, Some(o)) => {
                assert_eq!(*id, o);
                open = None;
            }
            other => panic!("start and stop must alternate: {other:?}"),
        }
        assert!(step.f().starts_with("start-") || step.f().starts_with("stop-"));
    }
    let last = s.steps.last().unwrap();
    assert_eq!((last.at_ms, &last.action), (60_000, &Action::HealAll));
    assert_eq!(last.f(), "stop-all");
}

#[test]
fn schedule_draws_a_mix_of_enabled_kinds_and_honours_fixed_targets() {
    let c = config("partition,kill-leader,kill-majority,pause", 2_000_000);
    let s = Schedule::plan(9, &c, &nodes(5)).unwrap();
    let mut seen: BTreeMap<FaultKind, usize> = BTreeMap::new();
    for step in &s.steps {
        if let Action::Start { plan, fault, .. } = &step.action {
            assert!(c.kinds.contains(&plan.kind));
            *seen.entry(plan.kind).or_default() += 1;
            match plan.kind {
                FaultKind::KillLeader => assert_eq!(plan.target, Some(Target::Leader)),
                FaultKind::KillMajority => {
                    assert_eq!(plan.target, Some(Target::Majority));
                    assert_eq!(fault.nodes().len(), 3);
                }
                FaultKind::Pause => assert!(plan.target.is_some()),
                _ => assert_eq!(plan.target, None, "partitions have no target"),
            }
            assert_eq!(fault.family(), plan.kind.family());
        }
    }
    assert!(
        seen.len() >= 8,
        "most of the 11 kinds should appear in 100 starts: {seen:?}"
    );
}

#[test]
fn no_kinds_means_no_steps() {
    let s = Schedule::plan(1, &config("none", 60_000), &nodes(5)).unwrap();
    assert!(s.steps.is_empty());
}

#[test]
fn leader_kinds_resolve_against_the_given_leader_deterministically() {
    let ns = nodes(5);
    let m = Magnitudes::default();
    for kind in [
        FaultKind::KillLeader,
        FaultKind::PartitionIsolateLeader,
        FaultKind::PartitionLeaderInMinority,
    ] {
        assert!(kind.needs_leader());
        let plan = FaultPlan {
            kind,
            target: kind.fixed_target(),
            seed: 77,
            hold_ms: 10_000,
        };
        let a = plan.resolve(&ns, Some(3), &m).unwrap();
        assert_eq!(a, plan.resolve(&ns, Some(3), &m).unwrap());
        match &a {
            Fault::Kill { nodes } => assert_eq!(nodes, &BTreeSet::from([3])),
            Fault::Partition { grudge, .. } => assert!(grudge.hears(3).len() <= 2),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn magnitudes_stay_within_their_ranges() {
    let ns = nodes(5);
    let m = Magnitudes::default();
    let mut bumps = Vec::new();
    for seed in 0..200 {
        let plan = FaultPlan {
            kind: FaultKind::ClockBump,
            target: Some(Target::All),
            seed,
            hold_ms: 10_000,
        };
        if let Fault::ClockBump { deltas_ms } = plan.resolve(&ns, None, &m).unwrap() {
            assert_eq!(deltas_ms.len(), 5);
            bumps.extend(deltas_ms.into_values());
        }
        let plan = FaultPlan {
            kind: FaultKind::PacketDelay,
            target: Some(Target::One),
            seed,
            hold_ms: 10_000,
        };
        if let Fault::PacketDelay {
            delay_ms,
            jitter_ms,
            nodes,
        } = plan.resolve(&ns, None, &m).unwrap()
        {
            assert!((5..=200).contains(&delay_ms) && jitter_ms <= delay_ms && nodes.len() == 1);
        }
    }
    assert!(bumps
        .iter()
        .all(|b| (1..=300_000).contains(&b.unsigned_abs())));
    assert!(
        bumps.iter().any(|b| b.unsigned_abs() < 1_000),
        "millisecond bumps occur"
    );
    assert!(
        bumps.iter().any(|b| b.unsigned_abs() >= 60_000),
        "minute bumps occur"
    );
    assert!(bumps.iter().any(|b| *b < 0) && bumps.iter().any(|b| *b > 0));
}

#[test]
fn bad_schedule_configs_are_errors() {
    let c = config("partition-bridge", 60_000);
    assert_eq!(
        Schedule::plan(1, &c, &nodes(2)),
        Err(ScheduleError::Fault(FaultError::TooFewNodes {
            kind: FaultKind::PartitionBridge,
            needed: 3,
            nodes: 2
        }))
    );
    assert!(matches!(
        Schedule::plan(1, &c, &[]),
        Err(ScheduleError::BadNodes(_))
    ));
    assert!(matches!(
        Schedule::plan(1, &c, &[1, 2, 2]),
        Err(ScheduleError::BadNodes(_))
    ));
    let zero = ScheduleConfig {
        interval_ms: 0,
        ..c.clone()
    };
    assert_eq!(
        Schedule::plan(1, &zero, &nodes(3)),
        Err(ScheduleError::ZeroInterval)
    );
    let mut bad = c;
    bad.magnitudes.loss_probability = (0.5, 1.5);
    assert!(matches!(
        Schedule::plan(1, &bad, &nodes(3)),
        Err(ScheduleError::Fault(FaultError::BadMagnitude {
            field: "loss_probability",
            ..
        }))
    ));
}

#[test]
fn ledger_resolves_leader_kinds_at_start_and_undoes_what_was_applied() {
    let c = config("kill-leader", 100_000);
    let s = Schedule::plan(5, &c, &nodes(5)).unwrap();
    let mut ledger = FaultLedger::new();
    let mut leader = 1;
    for step in &s.steps {
        let effects = ledger.effects(&s, step, Some(leader)).unwrap();
        match &step.action {
            Action::Start { .. } => {
                let expected = Fault::Kill {
                    nodes: BTreeSet::from([leader]),
                };
                assert_eq!(effects, vec![Effect::Apply { fault: expected }]);
            }
            Action::Stop { .. } => {
                // The leader changed meanwhile; the stop restarts the killed node.
                let expected = Fault::Kill {
                    nodes: BTreeSet::from([leader]),
                };
                assert_eq!(effects, vec![Effect::Undo { fault: expected }]);
                leader = leader % 5 + 1;
            }
            Action::HealAll => assert_eq!(effects.last(), Some(&Effect::RestoreEverything)),
        }
    }
    assert!(ledger.active().is_empty());
}

#[test]
fn heal_all_undoes_every_fault_still_in_effect() {
    // 35 s limit with a 10 s interval: the fault started at 30 s is still on.
    let s = Schedule::plan(3, &config("pause", 35_000), &nodes(3)).unwrap();
    let mut ledger = FaultLedger::new();
    let mut last = Vec::new();
    for step in &s.steps {
        last = ledger.effects(&s, step, None).unwrap();
    }
    assert_eq!(last.len(), 2, "{last:?}");
    assert!(matches!(
        &last[0],
        Effect::Undo {
            fault: Fault::Pause { .. }
        }
    ));
    assert_eq!(last[1], Effect::RestoreEverything);
}

#[test]
fn faults_describe_themselves_in_one_line() {
    let ns = nodes(3);
    let m = Magnitudes::default();
    let kill = FaultPlan {
        kind: FaultKind::KillLeader,
        target: Some(Target::Leader),
        seed: 1,
        hold_ms: 1,
    };
    assert_eq!(kill.resolve(&ns, Some(2), &m).unwrap().describe(), "kill 2");
    let iso = FaultPlan {
        kind: FaultKind::PartitionIsolateLeader,
        target: None,
        seed: 1,
        hold_ms: 1,
    };
    assert_eq!(
        iso.resolve(&ns, Some(2), &m).unwrap().describe(),
        "partition-isolate-leader: 1 drops 2; 2 drops 1,3; 3 drops 2"
    );
    for kind in FaultKind::ALL {
        let plan = FaultPlan {
            kind: *kind,
            target: Some(Target::All),
            seed: 4,
            hold_ms: 1000,
        };
        let text = plan.resolve(&ns, None, &m).unwrap().describe();
        assert!(!text.is_empty() && !text.contains('\n'), "{kind}: {text}");
    }
}

/// Walks a schedule and returns the most faults ever in effect at once,
/// asserting on the way that stops undo active faults and families never
/// double up.
fn walk_overlap(s: &Schedule) -> usize {
    let mut active: std::collections::BTreeMap<u64, Fault> = Default::default();
    let mut most = 0;
    for step in &s.steps {
        match &step.action {
            Action::Start { id, fault, .. } => {
                assert!(
                    active.values().all(|f| f.family() != fault.family()),
                    "two {:?} faults at once at {} ms",
                    fault.family(),
                    step.at_ms
                );
                active.insert(*id, fault.clone());
            }
            Action::Stop { id, .. } => {
                assert!(
                    active.remove(id).is_some(),
                    "stop of an inactive fault {id}"
                );
            }
            Action::HealAll => active.clear(),
        }
        most = most.max(active.len());
    }
    assert!(active.is_empty(), "faults left after the final heal");
    most
}

#[test]
fn overlap_one_alternates_and_overlap_three_compounds_one_fault_per_family() {
    let one = config("all", 600_000);
    assert_eq!(one.overlap, 1);
    let s = Schedule::plan(9, &one, &nodes(5)).unwrap();
    assert_eq!(walk_overlap(&s), 1);
    let three = ScheduleConfig {
        overlap: 3,
        ..one.clone()
    };
    let mut most = 0;
    for seed in 0..20 {
        let s = Schedule::plan(seed, &three, &nodes(5)).unwrap();
        let m = walk_overlap(&s);
        assert!(m <= 3, "seed {seed}: {m} faults at once");
        most = most.max(m);
    }
    assert_eq!(most, 3, "overlap 3 never had three faults at once");
    // Only one family enabled: overlap cannot compound it.
    let kills = ScheduleConfig {
        overlap: 3,
        ..config("kill", 600_000)
    };
    assert_eq!(
        walk_overlap(&Schedule::plan(3, &kills, &nodes(5)).unwrap()),
        1
    );
    let zero = ScheduleConfig { overlap: 0, ..one };
    assert_eq!(
        Schedule::plan(1, &zero, &nodes(3)),
        Err(ScheduleError::ZeroOverlap)
    );
}
