//! The detection rules on hand-made samples and histories.

use super::*;
use faultline_checker::history::History;

fn node(id: NodeId, term: Term) -> NodeSample {
    NodeSample {
        id,
        running: true,
        term,
        starts: 1,
        ..NodeSample::default()
    }
}

fn leader(id: NodeId, term: Term) -> NodeSample {
    NodeSample {
        leader: true,
        ..node(id, term)
    }
}

fn counts(t: SituationTracker) -> BTreeMap<String, SituationCount> {
    t.finish(&History::default())
}

fn count(all: &BTreeMap<String, SituationCount>, name: &str) -> (u64, Option<u64>) {
    let c = all[name];
    (c.count, c.first_ms)
}

#[test]
fn a_leader_change_counts_only_when_a_log_held_entries_beyond_the_commit_index() {
    let mut t = SituationTracker::default();
    // Term 1: elected over empty logs, then entries 1..=3 appended, 2 committed.
    t.observe_samples(10, &[leader(1, 1), node(2, 1), node(3, 1)]);
    let busy = |commit, last| NodeSample {
        commit,
        last_index: last,
        ..node(2, 1)
    };
    t.observe_samples(20, &[leader(1, 1), busy(2, 3), node(3, 1)]);
    // Term 2: node 2 wins while its entry 3 is beyond every commit index.
    t.observe_samples(30, &[node(1, 2), leader(2, 2), node(3, 2)]);
    t.observe_samples(40, &[node(1, 2), leader(2, 2), node(3, 2)]);
    // Term 3: everything held is committed.
    let settled = |id, commit| NodeSample {
        commit,
        last_index: 3,
        ..node(id, 3)
    };
    t.observe_samples(50, &[settled(1, 3), settled(2, 3), settled(3, 3)]);
    let won = NodeSample {
        leader: true,
        ..settled(3, 3)
    };
    t.observe_samples(60, &[settled(1, 3), settled(2, 3), won]);
    let all = counts(t);
    assert_eq!(
        count(&all, names::LEADER_CHANGE_WITH_UNCOMMITTED),
        (1, Some(30))
    );
}

#[test]
fn two_leaders_and_a_deposed_leader_are_counted_once_per_episode() {
    let mut t = SituationTracker::default();
    t.observe_samples(5, &[leader(1, 1), node(2, 1), node(3, 1)]);
    // Node 1 is cut off and still leads term 1 while node 2 leads term 2.
    for ms in [10, 11, 12] {
        t.observe_samples(ms, &[leader(1, 1), leader(2, 2), node(3, 2)]);
    }
    // Node 3 leads term 3 while node 2 is paused, still believing.
    let paused = NodeSample {
        paused: true,
        ..leader(2, 2)
    };
    t.observe_samples(20, &[node(1, 3), paused, leader(3, 3)]);
    // A crashed node's stale role believes nothing.
    let down = NodeSample {
        running: false,
        ..leader(2, 2)
    };
    t.observe_samples(30, &[node(1, 3), down, leader(3, 3)]);
    let all = counts(t);
    // (1,t1)-(2,t2) and (2,t2)-(3,t3).
    assert_eq!(count(&all, names::TWO_LEADERS), (2, Some(10)));
    // Node 1 in term 1 served while deposed; the paused node 2 did not.
    assert_eq!(count(&all, names::DEPOSED_LEADER_SERVING), (1, Some(10)));
    // Node 2 went down while it believed it led (its previous sample).
    assert_eq!(count(&all, names::LEADER_CRASHED), (1, Some(30)));
}

#[test]
fn counters_count_their_growth_and_restarts_their_cut_recoveries() {
    let mut t = SituationTracker::default();
    t.observe_samples(1, &[node(1, 1), node(2, 1)]);
    let grown = NodeSample {
        conflict_truncations: 2,
        snapshots_installed: 1,
        retries_deduplicated: 3,
        snapshots_taken: 1,
        ..node(2, 1)
    };
    t.observe_samples(7, &[node(1, 1), grown]);
    t.observe_samples(8, &[node(1, 1), grown]);
    // Node 1 restarts cleanly, then again with a cut recovery.
    let restarted = |starts, recovery_cut| NodeSample {
        starts,
        recovery_cut,
        ..node(1, 1)
    };
    t.observe_samples(9, &[restarted(2, false), grown]);
    t.observe_samples(12, &[restarted(3, true), grown]);
    t.observe_samples(13, &[restarted(3, true), grown]);
    let all = counts(t);
    assert_eq!(count(&all, names::LOG_TRUNCATED_ON_CONFLICT), (2, Some(7)));
    assert_eq!(count(&all, names::SNAPSHOT_INSTALLED), (1, Some(7)));
    assert_eq!(count(&all, names::RETRY_DEDUPLICATED), (3, Some(7)));
    assert_eq!(count(&all, names::SNAPSHOT_TAKEN), (1, Some(7)));
    assert_eq!(count(&all, names::RESTART_WITH_TORN_TAIL), (1, Some(12)));
    assert_eq!(count(&all, names::TWO_LEADERS), (0, None));
}

#[test]
fn every_name_is_listed_reached_or_not() {
    let all = counts(SituationTracker::default());
    let listed: Vec<&str> = all.keys().map(String::as_str).collect();
    let mut expected = names::ALL.to_vec();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    assert!(all.values().all(|c| c.count == 0 && c.first_ms.is_none()));
    for name in names::ALL {
        let kebab = name.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        assert!(kebab, "{name}");
    }
}

fn history(rows: &[&str]) -> History {
    let mut csv = String::from("index,time_ns,process,type,f,key,value\n");
    for (i, row) in rows.iter().enumerate() {
        csv.push_str(&format!("{i},{row}\n"));
    }
    faultline_checker::io::csv::read(csv.as_bytes(), "test.csv")
        .unwrap()
        .history
}

#[test]
fn reads_count_only_while_a_partition_is_in_effect() {
    let h = history(&[
        "1000000,0,invoke,read,1,null",
        "2000000,0,ok,read,1,null",
        "3000000,nemesis,info,start-partition,,{}",
        "3000000,nemesis,info,start-kill,,{}",
        "4000000,0,invoke,read,1,null",
        "5000000,0,ok,read,1,null",
        "5000000,1,invoke,write,1,2",
        "6000000,1,ok,write,1,2",
        "6000000,0,invoke,read,1,null",
        "6500000,0,fail,read,1,null",
        "7000000,nemesis,info,start-partition,,{}",
        "8000000,nemesis,info,stop-partition,,{}",
        "8500000,0,invoke,read,1,null",
        "9000000,0,ok,read,1,2",
        "9000000,nemesis,info,stop-all,,{}",
        "9500000,0,invoke,read,1,null",
        "9900000,0,ok,read,1,2",
    ]);
    let reads = history::reads_during_partition(&h);
    assert_eq!((reads.count, reads.first_ms), (2, Some(5)));
    let tracker = SituationTracker::default();
    assert_eq!(tracker.finish(&h)[names::READ_DURING_PARTITION], reads);
}
