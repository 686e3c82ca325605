//! Log compaction and snapshot transfer (Raft §7): compacting after
//! `SnapshotTaken`, sending a snapshot in chunks of `snapshot_chunk_bytes`,
//! and the follower assembling chunks by offset, rejecting inconsistent ones,
//! and handing the complete snapshot out for installation.

use crate::bugs::Bug;
use crate::core::error::RejectReason;
use crate::core::incoming_snapshot::IncomingSnapshot;
use crate::core::raft::Raft;
use crate::core::status::ProgressState;
use crate::types::{LogIndex, MessageBody, NodeId, Snapshot, SnapshotMeta};

impl Raft {
    /// The application saved a snapshot of the applied prefix: compact.
    pub(super) fn snapshot_taken(&mut self, snapshot: Snapshot) -> Result<(), RejectReason> {
        let index = snapshot.meta.last_index;
        if index <= self.log.snapshot_index() {
            return Err(RejectReason::StaleSnapshot);
        }
        if index > self.applied {
            return Err(RejectReason::BadSnapshot);
        }
        if self.snapshot_meta(index).as_ref() != Some(&snapshot.meta) {
            return Err(RejectReason::BadSnapshot);
        }
        self.log.compact(snapshot);
        self.persisted = self.persisted.max(index);
        self.counters.compactions += 1;
        // Transfers of an older snapshot restart with the new one.
        let restart = self
            .role
            .leader()
            .map(|l| l.sending_other_snapshot(index))
            .unwrap_or_default();
        for peer in restart {
            if let Some(pr) = self.role.progress_mut(peer) {
                pr.become_snapshot(index);
            }
            self.send_snapshot_chunk(peer);
        }
        Ok(())
    }

    /// Switches `to` to snapshot transfer and sends the first chunk.
    pub(super) fn start_snapshot_transfer(&mut self, to: NodeId) {
        let Some(index) = self.log.snapshot().map(|s| s.meta.last_index) else {
            return;
        };
        let Some(pr) = self.role.progress_mut(to) else {
            return;
        };
        if pr.state == ProgressState::Snapshot && pr.snapshot_index == index {
            return;
        }
        pr.become_snapshot(index);
        self.counters.snapshots_sent += 1;
        self.send_snapshot_chunk(to);
    }

    /// Sends the chunk at the follower's confirmed offset.
    pub(super) fn send_snapshot_chunk(&mut self, to: NodeId) {
        let chunk_bytes = self.config.snapshot_chunk_bytes.max(1);
        let Some(snapshot) = self.log.snapshot() else {
            return;
        };
        let Some(pr) = self.role.progress(to) else {
            return;
        };
        if pr.state != ProgressState::Snapshot || pr.snapshot_index != snapshot.meta.last_index {
            return;
        }
        let len = snapshot.data.len();
        let start = usize::try_from(pr.snapshot_offset)
            .unwrap_or(usize::MAX)
            .min(len);
        let end = start.saturating_add(chunk_bytes).min(len);
        let data = snapshot.data.get(start..end).unwrap_or_default().to_vec();
        let body = MessageBody::InstallSnapshot {
            meta: snapshot.meta.clone(),
            offset: start as u64,
            data,
            done: end == len,
        };
        self.send(to, body);
        if let Some(pr) = self.role.progress_mut(to) {
            pr.chunk_sent = true;
        }
    }

    /// A leader's side of a chunk answer.
    pub(super) fn handle_snapshot_response(
        &mut self,
        from: NodeId,
        last_index: LogIndex,
        next_offset: u64,
        done: bool,
        rejected: bool,
    ) -> Result<(), RejectReason> {
        if !self.role.is_leader() {
            return Ok(());
        }
        let snapshot_len = self.log.snapshot().map_or(0, |s| s.data.len() as u64);
        let Some(pr) = self.role.progress_mut(from) else {
            return Err(RejectReason::UnknownPeer);
        };
        pr.recent_active = true;
        if pr.state != ProgressState::Snapshot || pr.snapshot_index != last_index {
            return Ok(());
        }
        if done {
            pr.acknowledge(last_index);
            pr.become_probe();
            self.maybe_commit();
            self.send_append(from, true);
            return Ok(());
        }
        if next_offset > snapshot_len {
            return Err(RejectReason::IndexOutOfRange);
        }
        if rejected || next_offset > pr.snapshot_offset {
            pr.snapshot_offset = next_offset;
        } else {
            // A duplicate acknowledgement: the chunk after it is already out.
            return Ok(());
        }
        pr.chunk_sent = false;
        self.send_snapshot_chunk(from);
        Ok(())
    }

    /// A follower's side of one snapshot chunk from the leader of our term.
    pub(super) fn handle_install_snapshot(
        &mut self,
        from: NodeId,
        meta: SnapshotMeta,
        offset: u64,
        data: Vec<u8>,
        done: bool,
    ) -> Result<(), RejectReason> {
        let last_index = meta.last_index;
        let chunk_end = offset.saturating_add(data.len() as u64);
        if meta.last_term > self.term || (meta.last_index == 0) != (meta.last_term == 0) {
            return Err(RejectReason::BadSnapshot);
        }
        if last_index <= self.commit {
            // We already hold everything it covers.
            self.incoming_snapshot = None;
            self.reply_snapshot(from, last_index, chunk_end, true, false);
            return Ok(());
        }
        let term = self.term;
        let expected = self
            .incoming_snapshot
            .as_ref()
            .and_then(|inc| inc.next_offset_for(&meta, term))
            .unwrap_or(0);
        if offset == 0 && expected == 0 {
            self.incoming_snapshot = Some(IncomingSnapshot::new(meta, term));
        } else if offset != expected {
            if chunk_end <= expected && offset < expected {
                // A duplicate of a chunk we already hold.
                self.reply_snapshot(from, last_index, expected, false, false);
                return Ok(());
            }
            self.reply_snapshot(from, last_index, expected, false, true);
            return Err(RejectReason::InconsistentSnapshotChunk);
        }
        let Some(inc) = self.incoming_snapshot.as_mut() else {
            return Err(RejectReason::InconsistentSnapshotChunk);
        };
        let received = inc.append(&data);
        if !done {
            self.reply_snapshot(from, last_index, received, false, false);
            return Ok(());
        }
        let Some(inc) = self.incoming_snapshot.take() else {
            return Err(RejectReason::InconsistentSnapshotChunk);
        };
        self.install_snapshot(inc.into_snapshot());
        self.reply_snapshot(from, last_index, received, true, false);
        Ok(())
    }

    fn reply_snapshot(
        &mut self,
        to: NodeId,
        last_index: LogIndex,
        next_offset: u64,
        done: bool,
        rejected: bool,
    ) {
        self.send(
            to,
            MessageBody::InstallSnapshotResponse {
                last_index,
                next_offset,
                done,
                rejected,
            },
        );
    }

    /// Replaces the log's prefix (or all of it) with a complete snapshot
    /// newer than our commit index, and hands it out for persisting and
    /// installing in the state machine.
    fn install_snapshot(&mut self, mut snapshot: Snapshot) {
        if self.bug(Bug::SnapshotInstallWrongLastTerm) {
            snapshot.meta.last_term = self.term;
        }
        let index = snapshot.meta.last_index;
        let snapshot_term = snapshot.meta.last_term;
        debug_assert!(index > self.commit);
        let kept_suffix = self.log.install(snapshot.clone());
        self.commit = index;
        self.applied = index;
        self.persisted = self.persisted.min(self.log.last_index());
        if !kept_suffix {
            self.persisted = self.persisted.min(index);
        }
        self.output.supersede_with_snapshot(snapshot, kept_suffix);
        self.counters.snapshots_installed += 1;
        tracing::info!(
            index,
            term = snapshot_term,
            kept_suffix,
            "installed a snapshot from the leader"
        );
        self.refresh_membership();
    }
}
