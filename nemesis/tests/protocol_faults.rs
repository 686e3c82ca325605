//! Protocol-aware faults through the executor, against a scripted target:
//! an armed fault waits for its event, strikes the node the event names,
//! is undone at its stop, and a fault whose event never came records
//! nothing; a leader chase follows each new leader until its stop.

use faultline_nemesis::clock::SimClock;
use faultline_nemesis::disk_faults::DiskFaults;
use faultline_nemesis::executor::Executor;
use faultline_nemesis::fault::FaultKind;
use faultline_nemesis::message_faults::MessageFaults;
use faultline_nemesis::schedule::{Schedule, ScheduleConfig};
use faultline_nemesis::target::FaultTarget;
use faultline_nemesis::trigger::NodeState;
use faultline_raft::NodeId;
use std::time::Duration;

/// A cluster whose node states the test sets, recording what was done.
#[derive(Default)]
struct Scripted {
    view: Vec<NodeState>,
    crashed: Vec<NodeId>,
    restarted: Vec<NodeId>,
    cut: Vec<(NodeId, NodeId)>,
    heals: usize,
}

impl FaultTarget for Scripted {
    fn node_ids(&self) -> Vec<NodeId> {
        vec![1, 2, 3, 4, 5]
    }
    fn leader(&self) -> Option<NodeId> {
        self.view.iter().find(|n| n.leads).map(|n| n.id)
    }
    fn cut_link(&mut self, from: NodeId, to: NodeId) {
        self.cut.push((from, to));
    }
    fn heal_links(&mut self) {
        self.heals += 1;
        self.cut.clear();
    }
    fn crash(&mut self, node: NodeId) {
        self.crashed.push(node);
    }
    fn restart(&mut self, node: NodeId) {
        self.restarted.push(node);
    }
    fn revive(&mut self, _: NodeId) {}
    fn pause(&mut self, _: NodeId) {}
    fn resume(&mut self, _: NodeId) {}
    fn clock(&self, _: NodeId) -> Option<&SimClock> {
        None
    }
    fn disk_faults(&self, _: NodeId) -> Option<&DiskFaults> {
        None
    }
    fn message_faults(&self, _: NodeId) -> Option<&MessageFaults> {
        None
    }
    fn set_link_loss(&mut self, _: NodeId, _: NodeId, _: f64) {}
    fn set_link_latency_max(&mut self, _: NodeId, _: NodeId, _: Duration) {}
    fn link_latency_max_nominal(&self) -> Duration {
        Duration::from_millis(5)
    }
    fn protocol_view(&self) -> Vec<NodeState> {
        self.view.clone()
    }
}

fn quiet_cluster() -> Vec<NodeState> {
    (1..=5)
        .map(|id| NodeState {
            id,
            running: true,
            term: 1,
            leads: id == 1,
            voted_for: Some(1),
            committed_own_term: true,
            ..NodeState::default()
        })
        .collect()
}

fn executor(kind: FaultKind) -> Executor {
    let config = ScheduleConfig {
        kinds: [kind].into(),
        interval_ms: 1_000,
        time_limit_ms: 2_500,
        ..ScheduleConfig::default()
    };
    Executor::new(Schedule::plan(7, &config, &[1, 2, 3, 4, 5]).unwrap())
}

fn at(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[test]
fn kill_after_vote_waits_for_a_vote_and_crashes_the_voter() {
    let mut ex = executor(FaultKind::KillAfterVote);
    let mut cluster = Scripted {
        view: quiet_cluster(),
        ..Scripted::default()
    };
    assert!(ex.poll(&mut cluster, at(0)).unwrap().is_empty());
    // Due at 1 s: armed, but nobody votes.
    assert!(ex.poll(&mut cluster, at(1_000)).unwrap().is_empty());
    assert!(ex.poll(&mut cluster, at(1_200)).unwrap().is_empty());
    // n4 grants n3 a vote in term 2.
    cluster.view[3].term = 2;
    cluster.view[3].voted_for = Some(3);
    let events = ex.poll(&mut cluster, at(1_300)).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].f, "start-kill");
    assert_eq!(cluster.crashed, [4]);
    // Stopped at 2 s: restarted.
    let events = ex.poll(&mut cluster, at(2_000)).unwrap();
    assert_eq!(events[0].f, "stop-kill");
    assert_eq!(cluster.restarted, [4]);
}

#[test]
fn a_protocol_fault_whose_event_never_comes_does_and_records_nothing() {
    let mut ex = executor(FaultKind::KillNewLeader);
    let mut cluster = Scripted {
        view: quiet_cluster(),
        ..Scripted::default()
    };
    for ms in [0, 1_000, 1_500, 2_000, 2_200] {
        assert!(ex.poll(&mut cluster, at(ms)).unwrap().is_empty(), "{ms}");
    }
    assert!(cluster.crashed.is_empty() && cluster.restarted.is_empty());
}

#[test]
fn partition_leader_uncommitted_isolates_the_leader_holding_uncommitted_entries() {
    let mut ex = executor(FaultKind::PartitionLeaderUncommitted);
    let mut cluster = Scripted {
        view: quiet_cluster(),
        ..Scripted::default()
    };
    ex.poll(&mut cluster, at(0)).unwrap();
    assert!(ex.poll(&mut cluster, at(1_000)).unwrap().is_empty());
    cluster.view[0].last_index = 9;
    cluster.view[0].commit_index = 7;
    let events = ex.poll(&mut cluster, at(1_100)).unwrap();
    assert_eq!(events[0].f, "start-partition");
    // Every link to and from n1 is cut, and no other.
    assert_eq!(cluster.cut.len(), 8, "{:?}", cluster.cut);
    assert!(cluster.cut.iter().all(|&(a, b)| a == 1 || b == 1));
}

#[test]
fn kill_leader_after_commit_crashes_the_leader_the_step_it_commits() {
    let mut ex = executor(FaultKind::KillLeaderAfterCommit);
    let mut cluster = Scripted {
        view: quiet_cluster(),
        ..Scripted::default()
    };
    ex.poll(&mut cluster, at(0)).unwrap();
    assert!(ex.poll(&mut cluster, at(1_000)).unwrap().is_empty());
    // A follower catching up is not the event.
    cluster.view[2].commit_index += 1;
    assert!(ex.poll(&mut cluster, at(1_050)).unwrap().is_empty());
    cluster.view[0].commit_index += 1;
    let events = ex.poll(&mut cluster, at(1_100)).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].f, "start-kill");
    assert_eq!(cluster.crashed, [1]);
}

#[test]
fn the_leader_chase_isolates_each_new_leader_in_turn_until_its_stop() {
    let mut ex = executor(FaultKind::PartitionChaseLeader);
    let mut cluster = Scripted {
        view: quiet_cluster(),
        ..Scripted::default()
    };
    ex.poll(&mut cluster, at(0)).unwrap();
    let events = ex.poll(&mut cluster, at(1_000)).unwrap();
    assert_eq!(events[0].f, "start-partition");
    let isolated =
        |c: &Scripted, n: NodeId| c.cut.len() == 8 && c.cut.iter().all(|&(a, b)| a == n || b == n);
    assert!(isolated(&cluster, 1), "{:?}", cluster.cut);
    // n3 wins term 2 on the other side: within the chase's longest delay
    // the cut moves to n3, recorded as a stop and a start at once.
    cluster.view[2].leads = true;
    cluster.view[2].term = 2;
    let mut moved = Vec::new();
    for ms in (1_010..=1_600).step_by(10) {
        moved.extend(ex.poll(&mut cluster, at(ms)).unwrap());
        if !moved.is_empty() {
            break;
        }
    }
    let fs: Vec<&str> = moved.iter().map(|e| e.f.as_str()).collect();
    assert_eq!(fs, ["stop-partition", "start-partition"], "{moved:?}");
    assert_eq!(moved[0].time_ns, moved[1].time_ns);
    assert_eq!(moved[1].value["kind"], "partition-chase-leader");
    assert!(isolated(&cluster, 3), "{:?}", cluster.cut);
    // The stop heals the chase wherever it is, and it moves no more.
    let events = ex.poll(&mut cluster, at(2_000)).unwrap();
    assert_eq!(events[0].f, "stop-partition");
    assert!(cluster.cut.is_empty());
    cluster.view[2].leads = false;
    cluster.view[4].leads = true;
    cluster.view[4].term = 3;
    for ms in (2_010..=2_600).step_by(10) {
        assert!(ex.poll(&mut cluster, at(ms)).unwrap().is_empty(), "{ms}");
    }
}
