//! Client reads at a node: handed to the core for a read index, then served
//! from the state machine once it has applied that far. Each read carries
//! the cluster's commit floor from when it arrived, and serving one below
//! it is recorded as a broken rule ([`crate::invariants::reads::fresh`]).

use super::{Driver, Waiter};
use crate::bugs::Bug;
use crate::core::api::{Input, ReadOutcome, ReadResult};
use crate::core::Role;
use crate::invariants::reads;
use crate::kv::KvReply;
use crate::node::protocol::ResponseBody;
use crate::node::NodeError;
use crate::storage::LogStorage;
use crate::types::LogIndex;

/// A client read in flight at this node.
#[derive(Debug)]
pub(super) struct PendingRead {
    key: String,
    waiter: Waiter,
    /// The cluster's commit floor when the read arrived.
    floor: LogIndex,
}

impl<S: LogStorage> Driver<S> {
    /// A client read `id` of `key` arrived.
    pub(super) fn read(&mut self, id: u64, key: String, waiter: Waiter) -> Result<(), NodeError> {
        let floor = self.observation.lock().commit_floor;
        let read = PendingRead { key, waiter, floor };
        if self.follower_reads_locally() {
            self.serve(read);
            return Ok(());
        }
        self.reading.insert(id, read);
        self.step(Input::Read { id })
    }

    /// Seeded bug [`Bug::FollowerLocalReads`]: a non-leader serves reads itself.
    fn follower_reads_locally(&self) -> bool {
        self.raft.config().bugs.on(Bug::FollowerLocalReads) && self.raft.role() != Role::Leader
    }

    /// Moves reads the core answered to wait for their index, or refuses them.
    pub(super) fn note_reads(&mut self, results: Vec<ReadResult>) {
        for r in results {
            let Some(read) = self.reading.remove(&r.id) else {
                continue;
            };
            match r.outcome {
                ReadOutcome::Ready { index } => {
                    self.ready_reads.entry(index).or_default().push(read);
                }
                ReadOutcome::NotLeader { leader_hint } => read
                    .waiter
                    .answer(ResponseBody::NotLeader { leader_hint }, &self.stats),
            }
        }
    }

    /// Answers the confirmed reads whose index the state machine reached.
    pub(super) fn serve_reads(&mut self) {
        let applied = self.kv.applied_index();
        while let Some(entry) = self.ready_reads.first_entry() {
            if *entry.key() > applied {
                break;
            }
            for read in entry.remove() {
                self.serve(read);
            }
        }
    }

    /// Answers one read from the state machine as it is now.
    fn serve(&self, read: PendingRead) {
        let applied = self.kv.applied_index();
        if let Err(v) = reads::fresh(self.id, &read.key, applied, read.floor) {
            self.observation.lock().record_local_violations(vec![v]);
        }
        let value = self.kv.read(&read.key).map(str::to_string);
        read.waiter
            .answer(ResponseBody::Reply(KvReply::Read { value }), &self.stats);
    }
}
