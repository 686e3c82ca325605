//! Tests of the KV state machine: operation semantics, exactly-once sessions,
//! snapshots, and robustness against bad bytes.

use super::*;
use crate::types::{Entry, EntryPayload, Membership};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn cmd(client_id: ClientId, seq: Seq, op: KvOp) -> Vec<u8> {
    encode_command(&KvCommand { client_id, seq, op })
}

fn write(key: &str, value: &str) -> KvOp {
    KvOp::Write {
        key: key.into(),
        value: value.into(),
    }
}

fn append(key: &str, value: &str) -> KvOp {
    KvOp::Append {
        key: key.into(),
        value: value.into(),
    }
}

fn cas(key: &str, expected: &str, new: &str) -> KvOp {
    KvOp::Cas {
        key: key.into(),
        expected: expected.into(),
        new: new.into(),
    }
}

fn read(key: &str) -> KvOp {
    KvOp::Read { key: key.into() }
}

/// Applies `ops` at consecutive indices and returns the replies.
fn apply_all(kv: &mut KvStateMachine, commands: &[Vec<u8>]) -> Vec<KvReply> {
    commands
        .iter()
        .map(|c| {
            let index = kv.applied_index() + 1;
            kv.apply(index, c).unwrap()
        })
        .collect()
}

#[test]
fn retried_append_is_applied_exactly_once() {
    let mut kv = KvStateMachine::default();
    let replies = apply_all(
        &mut kv,
        &[
            cmd(1, 1, append("k", "a")),
            cmd(1, 1, append("k", "a")),
            cmd(1, 2, append("k", "b")),
            cmd(1, 2, append("k", "b")),
            cmd(1, 2, append("k", "b")),
        ],
    );
    assert_eq!(kv.read("k"), Some("ab"));
    assert!(replies.iter().all(|r| *r == KvReply::Done));
    assert_eq!(kv.counters().executed, 2);
    assert_eq!(kv.counters().duplicates, 3);
}

#[test]
fn retried_cas_returns_its_cached_reply_after_the_value_moved_on() {
    let mut kv = KvStateMachine::default();
    let replies = apply_all(
        &mut kv,
        &[
            cmd(1, 1, write("x", "0")),
            cmd(2, 1, cas("x", "0", "1")),
            cmd(3, 1, write("x", "9")),
            // Client 2's retry must not compare again (it would now fail).
            cmd(2, 1, cas("x", "0", "1")),
        ],
    );
    assert_eq!(replies[1], KvReply::CasSucceeded);
    assert_eq!(replies[3], KvReply::CasSucceeded);
    assert_eq!(kv.read("x"), Some("9"));
}

#[test]
fn older_sequence_number_is_refused_and_never_reapplied() {
    let mut kv = KvStateMachine::default();
    let replies = apply_all(
        &mut kv,
        &[
            cmd(1, 5, append("k", "x")),
            cmd(1, 6, append("k", "y")),
            cmd(1, 5, append("k", "x")),
            cmd(1, 1, write("k", "reset")),
        ],
    );
    assert_eq!(kv.read("k"), Some("xy"));
    assert_eq!(replies[2], KvReply::StaleSequence { last_seq: 6 });
    assert_eq!(replies[3], KvReply::StaleSequence { last_seq: 6 });
    assert!(!replies[2].is_ok() && !replies[2].is_definite_failure());
    assert_eq!(kv.counters().stale, 2);
}

#[test]
fn sequence_numbers_may_skip_forward() {
    let mut kv = KvStateMachine::default();
    let replies = apply_all(
        &mut kv,
        &[cmd(1, 1, write("k", "1")), cmd(1, 7, write("k", "7"))],
    );
    assert_eq!(replies, vec![KvReply::Done, KvReply::Done]);
    assert_eq!(kv.read("k"), Some("7"));
    assert_eq!(kv.sessions().get(1).map(|s| s.last_seq), Some(7));
}

#[test]
fn cas_succeeds_only_when_the_value_matches() {
    let mut kv = KvStateMachine::default();
    let replies = apply_all(
        &mut kv,
        &[
            cmd(1, 1, cas("r", "", "1")),
            cmd(1, 2, write("r", "1")),
            cmd(1, 3, cas("r", "2", "3")),
            cmd(1, 4, cas("r", "1", "3")),
            cmd(1, 5, read("r")),
        ],
    );
    assert_eq!(replies[0], KvReply::CasFailed { current: None });
    assert_eq!(
        replies[2],
        KvReply::CasFailed {
            current: Some("1".into())
        }
    );
    assert!(replies[2].is_definite_failure());
    assert_eq!(replies[3], KvReply::CasSucceeded);
    assert_eq!(
        replies[4],
        KvReply::Read {
            value: Some("3".into())
        }
    );
}

#[test]
fn append_to_a_missing_key_starts_from_empty() {
    let mut kv = KvStateMachine::default();
    apply_all(
        &mut kv,
        &[cmd(1, 1, append("a", "x")), cmd(1, 2, append("a", "yz"))],
    );
    assert_eq!(kv.read("a"), Some("xyz"));
    assert_eq!(kv.read("b"), None);
}

#[test]
fn read_through_the_log_agrees_with_the_read_query() {
    let mut kv = KvStateMachine::default();
    let replies = apply_all(
        &mut kv,
        &[
            cmd(1, 1, write("k", "v")),
            cmd(2, 1, read("k")),
            cmd(2, 2, read("none")),
        ],
    );
    assert_eq!(
        replies[1],
        KvReply::Read {
            value: kv.read("k").map(String::from)
        }
    );
    assert_eq!(replies[2], KvReply::Read { value: None });
}

#[test]
fn evicted_client_is_told_its_session_expired() {
    let mut kv = KvStateMachine::new(SessionLimits {
        sessions_max: 2,
        tombstones_max: 8,
    });
    let replies = apply_all(
        &mut kv,
        &[
            cmd(1, 1, append("k", "1")),
            cmd(2, 1, append("k", "2")),
            cmd(3, 1, append("k", "3")),
            // Client 1 was least recently active and is gone: its retry must
            // not append a second "1".
            cmd(1, 1, append("k", "1")),
        ],
    );
    assert_eq!(replies[3], KvReply::SessionExpired);
    assert_eq!(kv.read("k"), Some("123"));
    assert_eq!(kv.sessions().len(), 2);
    assert_eq!(kv.counters().evicted_sessions, 1);
    assert_eq!(kv.counters().expired, 1);
}

#[test]
fn entries_apply_in_order_and_never_twice() {
    let mut kv = KvStateMachine::default();
    let entry = |index, payload| Entry {
        term: 1,
        index,
        payload,
    };
    assert_eq!(kv.apply_entry(&entry(1, EntryPayload::Noop)), Ok(None));
    let put = EntryPayload::Command(cmd(1, 1, write("k", "v")));
    assert_eq!(
        kv.apply_entry(&entry(2, put.clone())),
        Ok(Some(KvReply::Done))
    );
    assert_eq!(
        kv.apply_entry(&entry(2, put.clone())),
        Err(KvError::AlreadyApplied {
            index: 2,
            applied: 2
        })
    );
    assert_eq!(
        kv.apply_entry(&entry(4, put)),
        Err(KvError::OutOfOrder {
            index: 4,
            expected: 3
        })
    );
    let member = EntryPayload::Membership(Membership::new([1, 2, 3]));
    assert_eq!(kv.apply_entry(&entry(3, member)), Ok(None));
    assert_eq!(kv.applied_index(), 3);
    assert!(kv.apply(3, &cmd(1, 2, write("k", "w"))).is_err());
    assert_eq!(kv.read("k"), Some("v"));
}

#[test]
fn malformed_command_is_answered_and_changes_nothing_else() {
    let mut kv = KvStateMachine::default();
    apply_all(&mut kv, &[cmd(1, 1, write("k", "v"))]);
    let before = kv.snapshot();
    let reply = kv.apply(2, &[0xff, 0xff, 0xff]).unwrap();
    assert!(matches!(reply, KvReply::Malformed { .. }));
    assert!(reply.is_definite_failure());
    assert_eq!(kv.applied_index(), 2);
    let mut expected = KvStateMachine::from_snapshot(&before).unwrap();
    expected.apply(2, &[]).unwrap();
    assert_eq!(kv, expected);
    assert_eq!(kv.counters().malformed, 1);
}

/// A random workload over few keys and clients, with retries and stale seqs.
fn random_commands(seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut seqs = [0u64; 6];
    (0..count)
        .map(|_| {
            let client = rng.gen_range(0..seqs.len());
            // Mostly new commands; sometimes a retry or an old seq.
            let seq = match rng.gen_range(0..10) {
                0 => seqs[client].saturating_sub(1).max(1),
                1 | 2 => seqs[client].max(1),
                _ => {
                    seqs[client] += 1;
                    seqs[client]
                }
            };
            let key = format!("k{}", rng.gen_range(0..4));
            let value = format!("{}", rng.gen_range(0..5));
            let op = match rng.gen_range(0..4) {
                0 => read(&key),
                1 => write(&key, &value),
                2 => cas(&key, &format!("{}", rng.gen_range(0..5)), &value),
                _ => append(&key, &value),
            };
            cmd(client as u64, seq, op)
        })
        .collect()
}

#[test]
fn snapshot_restore_round_trip_is_equal_and_byte_identical() {
    let mut kv = KvStateMachine::new(SessionLimits {
        sessions_max: 4,
        tombstones_max: 2,
    });
    apply_all(&mut kv, &random_commands(7, 400));
    let bytes = kv.snapshot();
    let restored = KvStateMachine::from_snapshot(&bytes).unwrap();
    assert_eq!(restored, kv);
    assert_eq!(restored.snapshot(), bytes);
    assert_eq!(restored.sessions().limits(), kv.sessions().limits());
}

#[test]
fn replica_restored_mid_log_ends_identical_to_one_that_applied_everything() {
    for seed in 0..20 {
        let commands = random_commands(seed, 300);
        let mut full = KvStateMachine::new(SessionLimits {
            sessions_max: 3,
            tombstones_max: 4,
        });
        let replies_full = apply_all(&mut full, &commands);
        let mut first_half = KvStateMachine::new(full.sessions().limits());
        let replies_first = apply_all(&mut first_half, &commands[..150]);
        let mut second = KvStateMachine::from_snapshot(&first_half.snapshot()).unwrap();
        let replies_second = apply_all(&mut second, &commands[150..]);
        assert_eq!(second, full, "seed {seed}");
        assert_eq!(second.snapshot(), full.snapshot(), "seed {seed}");
        let stitched: Vec<_> = replies_first.into_iter().chain(replies_second).collect();
        assert_eq!(stitched, replies_full, "seed {seed}");
    }
}

#[test]
fn every_corrupted_snapshot_byte_is_detected() {
    let mut kv = KvStateMachine::default();
    apply_all(&mut kv, &random_commands(3, 60));
    let bytes = kv.snapshot();
    let mut target = KvStateMachine::default();
    apply_all(&mut target, &[cmd(9, 1, write("mine", "1"))]);
    let untouched = target.clone();
    for position in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = bytes.clone();
            bad[position] ^= bit;
            assert!(
                target.restore(&bad).is_err(),
                "flip of bit {bit:#x} at byte {position} went unnoticed"
            );
            assert_eq!(target, untouched, "a failed restore must change nothing");
        }
    }
    for len in 0..bytes.len() {
        assert!(
            target.restore(&bytes[..len]).is_err(),
            "truncation to {len}"
        );
    }
    assert!(KvStateMachine::from_snapshot(b"not a snapshot at all").is_err());
}

#[test]
fn snapshot_with_valid_checksum_but_broken_invariants_is_rejected() {
    let image = super::snapshot::KvImage {
        applied_index: 3,
        data: Default::default(),
        sessions: super::session::SessionsImage {
            limits: SessionLimits {
                sessions_max: 1,
                tombstones_max: 1,
            },
            sessions: [1, 2]
                .into_iter()
                .map(|c| {
                    (
                        c,
                        Session {
                            last_seq: 1,
                            reply: KvReply::Done,
                            last_active: c,
                        },
                    )
                })
                .collect(),
            tombstones: vec![],
        },
    };
    let bytes = super::snapshot::encode_image(&image);
    assert!(matches!(
        KvStateMachine::from_snapshot(&bytes),
        Err(KvError::CorruptSnapshot { .. })
    ));
}

#[test]
fn commands_and_replies_round_trip() {
    let command = KvCommand {
        client_id: u64::MAX,
        seq: 3,
        op: cas("k", "é", ""),
    };
    assert_eq!(KvCommand::decode(&command.encode()), Ok(command));
    for reply in [
        KvReply::Read { value: None },
        KvReply::Done,
        KvReply::CasFailed {
            current: Some("x".into()),
        },
        KvReply::StaleSequence { last_seq: 9 },
        KvReply::SessionExpired,
        KvReply::Malformed { reason: "r".into() },
    ] {
        assert_eq!(KvReply::decode(&reply.encode()), Ok(reply));
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_command(&bytes);
        let _ = decode_reply(&bytes);
        let _ = KvStateMachine::from_snapshot(&bytes);
        let mut kv = KvStateMachine::default();
        let reply = kv.apply(1, &bytes).unwrap();
        prop_assert_eq!(kv.applied_index(), 1);
        if decode_command(&bytes).is_err() {
            prop_assert!(matches!(reply, KvReply::Malformed { .. }), "malformed bytes must give Malformed");
        }
    }
}

#[test]
fn the_state_digest_covers_sessions_and_survives_a_snapshot_round_trip() {
    let commands = [
        cmd(1, 1, write("k", "a")),
        cmd(2, 1, append("k", "b")),
        cmd(1, 2, cas("k", "ab", "c")),
    ];
    let mut a = KvStateMachine::new(SessionLimits::default());
    let mut b = KvStateMachine::new(SessionLimits::default());
    apply_all(&mut a, &commands);
    apply_all(&mut b, &commands);
    assert_eq!(a.state_digest(), b.state_digest());
    // A copy restored from a's snapshot holds the same state.
    let mut c = KvStateMachine::new(SessionLimits::default());
    c.restore(&a.snapshot()).unwrap();
    assert_eq!(c.state_digest(), a.state_digest());
    // The same data without client 2's session is another state.
    let mut d = KvStateMachine::new(SessionLimits::default());
    apply_all(
        &mut d,
        &[
            cmd(1, 1, write("k", "a")),
            cmd(1, 2, append("k", "b")),
            cmd(1, 3, cas("k", "ab", "c")),
        ],
    );
    assert_eq!(d.read("k"), a.read("k"));
    assert_ne!(d.state_digest(), a.state_digest());
}
