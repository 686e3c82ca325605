//! A leader's bookkeeping for one follower: what matches, what to send next,
//! and how much is in flight (raft-rs / etcd style Probe, Replicate and
//! Snapshot states).

use crate::core::status::{PeerStatus, ProgressState};
use crate::types::{LogIndex, NodeId};
use std::collections::VecDeque;

/// Replication progress of one follower, kept by the leader.
#[derive(Debug, Clone, Hash)]
pub(crate) struct Progress {
    /// The highest index known to match the leader's log.
    pub(crate) match_index: LogIndex,
    /// The next index to send.
    pub(crate) next_index: LogIndex,
    /// The replication state.
    pub(crate) state: ProgressState,
    /// In Probe: a message was sent and no answer came since (the probe is
    /// paused until an answer or the next heartbeat).
    pub(crate) probe_sent: bool,
    /// In Replicate: the last index of each unacknowledged AppendEntries.
    pub(crate) inflight: VecDeque<LogIndex>,
    /// In Snapshot: the snapshot being sent (its last index) and the byte
    /// offset the follower has confirmed; `chunk_sent` pauses until answered.
    pub(crate) snapshot_index: LogIndex,
    /// The offset of the next chunk to send.
    pub(crate) snapshot_offset: u64,
    /// A chunk was sent and not yet answered.
    pub(crate) chunk_sent: bool,
    /// Heard from this follower since the last check-quorum round.
    pub(crate) recent_active: bool,
}

impl Progress {
    /// A fresh progress for a new leader whose log ends at `last_index`.
    pub(crate) fn new(last_index: LogIndex) -> Progress {
        Progress {
            match_index: 0,
            next_index: last_index.saturating_add(1),
            state: ProgressState::Probe,
            probe_sent: false,
            inflight: VecDeque::new(),
            snapshot_index: 0,
            snapshot_offset: 0,
            chunk_sent: false,
            recent_active: false,
        }
    }

    /// Switches to Probe: resend from `next_index`, one message at a time.
    pub(crate) fn become_probe(&mut self) {
        if self.state == ProgressState::Snapshot {
            self.next_index = self.match_index.max(self.snapshot_index).saturating_add(1);
        } else {
            self.next_index = self.next_index.max(self.match_index.saturating_add(1));
        }
        self.state = ProgressState::Probe;
        self.probe_sent = false;
        self.inflight.clear();
        self.snapshot_index = 0;
        self.snapshot_offset = 0;
        self.chunk_sent = false;
    }

    /// Switches to Replicate: stream from `match_index + 1`.
    pub(crate) fn become_replicate(&mut self) {
        self.state = ProgressState::Replicate;
        self.next_index = self.match_index.saturating_add(1);
        self.probe_sent = false;
        self.inflight.clear();
    }

    /// Switches to Snapshot: send the snapshot ending at `index` from offset 0.
    pub(crate) fn become_snapshot(&mut self, index: LogIndex) {
        self.state = ProgressState::Snapshot;
        self.snapshot_index = index;
        self.snapshot_offset = 0;
        self.chunk_sent = false;
        self.probe_sent = false;
        self.inflight.clear();
    }

    /// Whether no more AppendEntries may be sent right now.
    pub(crate) fn is_paused(&self, max_inflight_msgs: usize) -> bool {
        match self.state {
            ProgressState::Probe => self.probe_sent,
            ProgressState::Replicate => self.inflight.len() >= max_inflight_msgs.max(1),
            ProgressState::Snapshot => true,
        }
    }

    /// Records that an AppendEntries ending at `last_sent` went out.
    pub(crate) fn sent_entries(&mut self, last_sent: LogIndex, carried_entries: bool) {
        match self.state {
            ProgressState::Replicate => {
                if carried_entries {
                    self.next_index = last_sent.saturating_add(1);
                    self.inflight.push_back(last_sent);
                }
            }
            ProgressState::Probe => self.probe_sent = true,
            ProgressState::Snapshot => {}
        }
    }

    /// Records an acknowledgement up to `index`; returns whether it moved
    /// `match_index` forward.
    pub(crate) fn acknowledge(&mut self, index: LogIndex) -> bool {
        self.probe_sent = false;
        while self.inflight.front().is_some_and(|&i| i <= index) {
            self.inflight.pop_front();
        }
        if index > self.match_index {
            self.match_index = index;
            self.next_index = self.next_index.max(index.saturating_add(1));
            true
        } else {
            false
        }
    }

    /// A view for [`crate::Status`].
    pub(crate) fn status(&self, id: NodeId) -> PeerStatus {
        PeerStatus {
            id,
            match_index: self.match_index,
            next_index: self.next_index,
            state: self.state,
            inflight_msgs: self.inflight.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicate_window_pauses_when_full_and_frees_on_ack() {
        let mut p = Progress::new(10);
        p.acknowledge(10);
        p.become_replicate();
        assert_eq!(p.next_index, 11);
        p.sent_entries(12, true);
        p.sent_entries(14, true);
        assert!(p.is_paused(2));
        assert!(p.acknowledge(12));
        assert!(!p.is_paused(2));
        assert_eq!(p.next_index, 15);
        assert!(!p.acknowledge(11));
    }

    #[test]
    fn probe_sends_one_message_until_answered() {
        let mut p = Progress::new(5);
        assert!(!p.is_paused(8));
        p.sent_entries(6, true);
        assert!(p.is_paused(8));
        p.acknowledge(0);
        assert!(!p.is_paused(8));
    }

    #[test]
    fn leaving_snapshot_resumes_after_the_snapshot() {
        let mut p = Progress::new(50);
        p.become_snapshot(40);
        assert!(p.is_paused(8));
        p.become_probe();
        assert_eq!(p.next_index, 41);
        assert_eq!(p.state, ProgressState::Probe);
    }
}
