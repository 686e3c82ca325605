//! One seed, one trace: the same cluster built twice from the same seed,
//! driven by the same client workload with a leader crash and a partition,
//! produces the same trace hash; another seed produces another trace.
//!
//! The trace is, after every simulation step and for every node in id order:
//! running, role, term, vote, commit, applied index, the durable log (the
//! snapshot point and every entry's term), and the node's message counters
//! (Raft messages sent and delivered); then every client outcome in
//! submission order and the final value of every key read back through the
//! log. Applied entries' payload digests are consumed by the cluster
//! observer inside `SimCluster::step`, so applied entries enter the trace as
//! applied indices over the hashed log, plus the state machine's final
//! contents.

mod support;

use faultline_raft::kv::KvOp;
use faultline_raft::node::OpResult;
use faultline_raft::Role;
use std::time::Duration;
use support::{config, Lab, Ticket};

/// 64-bit FNV-1a, fed field by field.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }
}

/// What one run produced.
#[derive(Debug, PartialEq, Eq)]
struct Trace {
    hash: u64,
    steps: u64,
    acknowledged: usize,
}

fn hash_step(lab: &Lab<'_>, h: &mut Fnv) {
    h.u64(lab.now().as_nanos() as u64);
    for handles in lab.c.handles().values() {
        let o = handles.observation.lock();
        h.u64(o.id);
        h.u64(u64::from(o.running));
        h.u64(match o.role {
            Role::Follower => 1,
            Role::PreCandidate => 2,
            Role::Candidate => 3,
            Role::Leader => 4,
        });
        h.u64(o.hard_state.term);
        h.u64(o.hard_state.voted_for.unwrap_or(0));
        h.u64(o.commit_index);
        h.u64(o.applied_index);
        h.u64(o.snapshot_index);
        h.u64(o.snapshot_term);
        h.u64(o.last_index);
        for &t in &o.log_terms {
            h.u64(t);
        }
        let s = handles.stats.snapshot();
        h.u64(s.peer_frames_sent);
        h.u64(s.peer_frames_received);
        h.u64(s.entries_applied);
    }
}

fn hash_outcome(o: &Option<OpResult>, h: &mut Fnv) {
    match o {
        None => h.u64(0),
        Some(o) => h.str(&format!("{o:?}")),
    }
}

/// Two appending clients for 10 simulated seconds; with `crash`, the leader
/// crashes at 3 s (power loss) and restarts at 5 s; a follower is cut off from 6 s to
/// 8 s. Every step is hashed.
fn run(seed: u64, crash: bool) -> Trace {
    let mut cfg = config(5, seed);
    cfg.snapshot_every_entries = 25;
    let mut lab = Lab::new(cfg);
    let mut h = Fnv::new();
    let mut tickets: Vec<Ticket> = Vec::new();
    let mut last: [Option<Ticket>; 2] = [None, None];
    let mut crashed = None;
    let mut cut = None;
    let mut steps = 0;
    let end = Duration::from_secs(10);
    while lab.now() < end {
        for (k, slot) in last.iter_mut().enumerate() {
            if slot.as_ref().is_none_or(|t| t.outcome().is_some()) {
                let t = lab.submit(
                    KvOp::Append {
                        key: format!("k{k}"),
                        value: format!("{}.", tickets.len()),
                    },
                    None,
                );
                tickets.push(t.clone());
                *slot = Some(t);
            }
        }
        let now = lab.now();
        if crash && crashed.is_none() && now >= Duration::from_secs(3) {
            let (leader, _) = lab.c.leader().expect("a leader after 3 s");
            lab.c.crash(leader);
            crashed = Some(leader);
        }
        if let Some(id) = crashed {
            if now >= Duration::from_secs(5) && lab.c.is_down(id) {
                lab.c.restart(id);
            }
        }
        if cut.is_none() && now >= Duration::from_secs(6) {
            let (leader, _) = lab.c.leader().expect("a leader after 6 s");
            let follower = lab
                .c
                .ids()
                .into_iter()
                .find(|&id| id != leader)
                .expect("five nodes");
            lab.isolate(follower);
            cut = Some(follower);
        }
        if cut.is_some() && now >= Duration::from_secs(8) {
            lab.heal();
        }
        lab.step();
        steps += 1;
        hash_step(&lab, &mut h);
    }
    lab.heal();
    for t in &tickets {
        let _ = lab
            .wait(t, Duration::from_secs(10))
            .expect("every append ends");
    }
    for t in &tickets {
        hash_outcome(&t.outcome(), &mut h);
    }
    for k in 0..2 {
        let value = lab.read(&format!("k{k}")).unwrap_or_default();
        h.str(&value);
    }
    let acknowledged = tickets
        .iter()
        .filter(|t| matches!(t.outcome(), Some(Ok(_))))
        .count();
    assert!(acknowledged > 20, "only {acknowledged} appends succeeded");
    lab.finish();
    Trace {
        hash: h.0,
        steps,
        acknowledged,
    }
}

/// The environment variable that makes [`child_trace`] run one seed.
const SEED_VAR: &str = "FAULTLINE_DETERMINISM_SEED";

/// Entry point of the child processes of
/// [`one_seed_twice_gives_the_same_trace_and_another_seed_a_different_one`]:
/// with `FAULTLINE_DETERMINISM_SEED` set it runs that seed and prints its
/// trace; without it (a plain `cargo test`) it does nothing.
#[test]
fn child_trace() {
    let Ok(seed) = std::env::var(SEED_VAR) else {
        return;
    };
    let seed: u64 = seed.parse().expect("a numeric seed");
    let t = run(seed, true);
    println!("TRACE {} {} {}", t.hash, t.steps, t.acknowledged);
}

/// Runs `seed` in a fresh process (this test binary, only [`child_trace`]).
fn trace_in_child(seed: u64) -> Trace {
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["child_trace", "--exact", "--nocapture", "--test-threads=1"])
        .env(SEED_VAR, seed.to_string())
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child for seed {seed} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("TRACE ").map(|(_, t)| t))
        .unwrap_or_else(|| panic!("no trace from the child for seed {seed}:\n{stdout}"));
    let f: Vec<u64> = line
        .split(' ')
        .map(|x| x.parse().expect("a number"))
        .collect();
    Trace {
        hash: f[0],
        steps: f[1],
        acknowledged: f[2] as usize,
    }
}

/// The CI determinism check: each run in its own process, as the CLI runs
/// one seed per process. (Within one process a crash is not reproducible:
/// see [`without_crashes_two_runs_in_one_process_agree`].)
#[test]
fn one_seed_twice_gives_the_same_trace_and_another_seed_a_different_one() {
    let first = trace_in_child(51);
    let second = trace_in_child(51);
    assert_eq!(first, second, "seed 51 ran two different traces");
    let other = trace_in_child(52);
    assert_ne!(
        first.hash, other.hash,
        "seeds 51 and 52 ran the same trace: the seed does not reach the simulation"
    );
    eprintln!("seed 51: {first:?}; seed 52: {other:?}");
}

/// Two runs of one seed inside one process agree when nothing crashes.
/// With a crash they need not: `Sim::crash` drops the host's tokio runtime,
/// which shuts its tasks down in an order that depends on tokio's
/// process-wide task ids (the current-thread scheduler shards its task list
/// by id), so the order in which the crashed host's sockets close, and with
/// it turmoil's random draws for those closes, depends on how many tasks the
/// process spawned before (other tests included).
#[test]
fn without_crashes_two_runs_in_one_process_agree() {
    let first = run(53, false);
    let second = run(53, false);
    assert_eq!(
        first, second,
        "seed 53 ran two different traces in one process"
    );
}
