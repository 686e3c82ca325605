//! Random messages for the "bad input" action: every kind of body with
//! field values from small to absurd.

use faultline_raft::{Membership, Message, MessageBody, SnapshotMeta};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A message with a random body and random field values.
pub fn garbage_message(rng: &mut ChaCha8Rng) -> Message {
    let small = |rng: &mut ChaCha8Rng| -> u64 {
        if rng.gen_bool(0.1) {
            rng.gen()
        } else {
            rng.gen_range(0..64)
        }
    };
    let body = match rng.gen_range(0..7) {
        0 => MessageBody::RequestVote {
            pre_vote: rng.gen(),
            last_log_index: small(rng),
            last_log_term: small(rng),
            transfer: rng.gen(),
        },
        1 => MessageBody::RequestVoteResponse {
            pre_vote: rng.gen(),
            granted: rng.gen(),
        },
        2 => MessageBody::AppendEntries {
            prev_log_index: small(rng),
            prev_log_term: small(rng),
            entries: Vec::new(),
            leader_commit: small(rng),
            read_round: small(rng),
        },
        3 => MessageBody::AppendEntriesResponse {
            success: rng.gen(),
            match_index: small(rng),
            conflict_term: rng.gen::<bool>().then(|| small(rng)),
            conflict_index: small(rng),
            rejected_index: small(rng),
            read_round: small(rng),
        },
        4 => MessageBody::InstallSnapshot {
            meta: SnapshotMeta {
                last_index: small(rng),
                last_term: small(rng),
                membership: Membership::new([1, 2, 3]),
            },
            offset: small(rng),
            data: vec![0xee; rng.gen_range(0..32)],
            done: rng.gen(),
        },
        5 => MessageBody::InstallSnapshotResponse {
            last_index: small(rng),
            next_offset: small(rng),
            done: rng.gen(),
            rejected: rng.gen(),
        },
        _ => MessageBody::TimeoutNow,
    };
    Message {
        from: 0,
        to: 0,
        term: small(rng),
        body,
    }
}
