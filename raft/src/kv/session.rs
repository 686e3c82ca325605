//! Client sessions: per client, the highest applied sequence number and its
//! cached reply, kept in replicated state so that every replica deduplicates
//! retries identically (Raft thesis §6.3).
//!
//! **Bounds and eviction.** At most [`SessionLimits::sessions_max`] sessions
//! are kept. When a command would exceed that, the session whose last command
//! has the lowest log index is evicted (ties are impossible: each log index
//! touches one session). Eviction depends only on the log, so every replica
//! evicts the same sessions at the same index. An evicted client id is
//! remembered as a tombstone (at most [`SessionLimits::tombstones_max`],
//! oldest forgotten first); a command from a tombstoned client is answered
//! [`KvReply::SessionExpired`] and not applied, because it may be a retry of
//! a command that was applied before the eviction. A client whose session
//! and tombstone are both gone is treated as new: exactly-once therefore holds
//! for any client that stays within `sessions_max + tombstones_max` of the
//! most recently active ones, which the defaults make generous.

use super::command::{ClientId, KvReply, Seq};
use super::error::KvError;
use crate::types::LogIndex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How many sessions and tombstones the state machine keeps. Part of the
/// replicated state: every replica must use the same limits (a restored
/// snapshot brings its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionLimits {
    /// At most this many live sessions (at least 1).
    pub sessions_max: usize,
    /// At most this many evicted client ids remembered.
    pub tombstones_max: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            sessions_max: 4096,
            tombstones_max: 16384,
        }
    }
}

/// One client's session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    /// The highest sequence number applied for this client.
    pub last_seq: Seq,
    /// The reply that command produced, returned again to retries.
    pub reply: KvReply,
    /// The log index of the client's most recent command (duplicates count).
    pub last_active: LogIndex,
}

/// What the session table says about an incoming command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCheck {
    /// A new command: apply it, then [`Sessions::record`] the reply.
    Apply,
    /// A retry of the last applied command: return this cached reply.
    Duplicate(KvReply),
    /// An older command, or an evicted client: return this reply, apply nothing.
    Reject(KvReply),
}

/// The bounded table of client sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sessions {
    limits: SessionLimits,
    by_client: BTreeMap<ClientId, Session>,
    /// `(last_active, client)` of every session: the eviction order.
    by_activity: BTreeSet<(LogIndex, ClientId)>,
    /// Evicted clients, oldest first, and the same ids as a set.
    tombstones: VecDeque<ClientId>,
    tombstone_set: BTreeSet<ClientId>,
}

/// The serialised form of [`Sessions`] inside a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionsImage {
    pub(crate) limits: SessionLimits,
    pub(crate) sessions: BTreeMap<ClientId, Session>,
    pub(crate) tombstones: Vec<ClientId>,
}

impl Sessions {
    /// An empty table with the given limits (`sessions_max` is raised to 1).
    pub fn new(limits: SessionLimits) -> Self {
        Sessions {
            limits: SessionLimits {
                sessions_max: limits.sessions_max.max(1),
                tombstones_max: limits.tombstones_max,
            },
            by_client: BTreeMap::new(),
            by_activity: BTreeSet::new(),
            tombstones: VecDeque::new(),
            tombstone_set: BTreeSet::new(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> SessionLimits {
        self.limits
    }

    /// The number of live sessions.
    pub fn len(&self) -> usize {
        self.by_client.len()
    }

    /// Whether there are no live sessions.
    pub fn is_empty(&self) -> bool {
        self.by_client.is_empty()
    }

    /// The session of `client`, if live.
    pub fn get(&self, client: ClientId) -> Option<&Session> {
        self.by_client.get(&client)
    }

    /// Whether `client` was evicted and is still remembered.
    pub fn is_tombstoned(&self, client: ClientId) -> bool {
        self.tombstone_set.contains(&client)
    }

    /// Classifies command `seq` of `client` arriving at log `index`; a
    /// duplicate refreshes the session's activity.
    pub fn check(&mut self, client: ClientId, seq: Seq, index: LogIndex) -> SessionCheck {
        match self.by_client.get(&client) {
            Some(session) if seq == session.last_seq => {
                let reply = session.reply.clone();
                self.touch(client, index);
                SessionCheck::Duplicate(reply)
            }
            Some(session) if seq < session.last_seq => {
                SessionCheck::Reject(KvReply::StaleSequence {
                    last_seq: session.last_seq,
                })
            }
            Some(_) => SessionCheck::Apply,
            None if self.tombstone_set.contains(&client) => {
                SessionCheck::Reject(KvReply::SessionExpired)
            }
            None => SessionCheck::Apply,
        }
    }

    /// Records that command `seq` of `client`, applied at `index`, produced
    /// `reply`; evicts the least recently active sessions beyond the cap and
    /// returns how many were evicted.
    pub fn record(&mut self, client: ClientId, seq: Seq, reply: KvReply, index: LogIndex) -> usize {
        if let Some(old) = self.by_client.insert(
            client,
            Session {
                last_seq: seq,
                reply,
                last_active: index,
            },
        ) {
            self.by_activity.remove(&(old.last_active, client));
        }
        self.by_activity.insert((index, client));
        let mut evicted = 0;
        while self.by_client.len() > self.limits.sessions_max {
            let Some((_, victim)) = self.by_activity.pop_first() else {
                break;
            };
            self.by_client.remove(&victim);
            evicted += 1;
            self.bury(victim);
        }
        evicted
    }

    fn touch(&mut self, client: ClientId, index: LogIndex) {
        if let Some(session) = self.by_client.get_mut(&client) {
            self.by_activity.remove(&(session.last_active, client));
            session.last_active = index;
            self.by_activity.insert((index, client));
        }
    }

    fn bury(&mut self, client: ClientId) {
        if self.limits.tombstones_max == 0 {
            return;
        }
        if self.tombstone_set.insert(client) {
            self.tombstones.push_back(client);
        }
        while self.tombstones.len() > self.limits.tombstones_max {
            if let Some(oldest) = self.tombstones.pop_front() {
                self.tombstone_set.remove(&oldest);
            }
        }
    }

    pub(crate) fn image(&self) -> SessionsImage {
        SessionsImage {
            limits: self.limits,
            sessions: self.by_client.clone(),
            tombstones: self.tombstones.iter().copied().collect(),
        }
    }

    /// Rebuilds a table from a snapshot image, checking its invariants.
    pub(crate) fn from_image(image: SessionsImage, applied: LogIndex) -> Result<Self, KvError> {
        let corrupt = |reason: String| KvError::CorruptSnapshot { reason };
        let limits = image.limits;
        if limits.sessions_max == 0 {
            return Err(corrupt("sessions_max is 0".into()));
        }
        if image.sessions.len() > limits.sessions_max {
            return Err(corrupt(format!(
                "{} sessions exceed the cap of {}",
                image.sessions.len(),
                limits.sessions_max
            )));
        }
        if image.tombstones.len() > limits.tombstones_max {
            return Err(corrupt(format!(
                "{} tombstones exceed the cap of {}",
                image.tombstones.len(),
                limits.tombstones_max
            )));
        }
        let mut table = Sessions::new(limits);
        for (client, session) in image.sessions {
            if session.last_active > applied {
                return Err(corrupt(format!(
                    "session {client} active at {} after the applied index {applied}",
                    session.last_active
                )));
            }
            table.by_activity.insert((session.last_active, client));
            table.by_client.insert(client, session);
        }
        for client in image.tombstones {
            if table.by_client.contains_key(&client) || !table.tombstone_set.insert(client) {
                return Err(corrupt(format!("tombstone {client} is duplicated or live")));
            }
            table.tombstones.push_back(client);
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(sessions_max: usize, tombstones_max: usize) -> SessionLimits {
        SessionLimits {
            sessions_max,
            tombstones_max,
        }
    }

    #[test]
    fn least_recently_active_session_is_evicted_first() {
        let mut sessions = Sessions::new(limits(2, 10));
        sessions.record(1, 1, KvReply::Done, 1);
        sessions.record(2, 1, KvReply::Done, 2);
        // Client 1 retries: it becomes the most recently active.
        assert_eq!(
            sessions.check(1, 1, 3),
            SessionCheck::Duplicate(KvReply::Done)
        );
        assert_eq!(sessions.record(3, 1, KvReply::Done, 4), 1);
        assert!(sessions.get(1).is_some());
        assert!(sessions.get(2).is_none());
        assert!(sessions.is_tombstoned(2));
        assert_eq!(
            sessions.check(2, 1, 5),
            SessionCheck::Reject(KvReply::SessionExpired)
        );
    }

    #[test]
    fn oldest_tombstones_are_forgotten_beyond_the_cap() {
        let mut sessions = Sessions::new(limits(1, 2));
        for client in 1..=5 {
            sessions.record(client, 1, KvReply::Done, client);
        }
        // Evicted in order 1, 2, 3, 4; only 3 and 4 are remembered.
        assert!(!sessions.is_tombstoned(1) && !sessions.is_tombstoned(2));
        assert!(sessions.is_tombstoned(3) && sessions.is_tombstoned(4));
        assert_eq!(sessions.check(1, 7, 6), SessionCheck::Apply);
    }

    #[test]
    fn image_round_trip_preserves_eviction_order() {
        let mut sessions = Sessions::new(limits(3, 3));
        for (i, client) in [5, 3, 9, 1].into_iter().enumerate() {
            sessions.record(client, 2, KvReply::CasSucceeded, i as u64 + 1);
        }
        let mut restored = Sessions::from_image(sessions.image(), 4).unwrap();
        assert_eq!(restored, sessions);
        sessions.record(7, 1, KvReply::Done, 5);
        restored.record(7, 1, KvReply::Done, 5);
        assert_eq!(restored, sessions);
    }

    #[test]
    fn image_with_a_session_from_the_future_is_corrupt() {
        let mut sessions = Sessions::new(limits(3, 3));
        sessions.record(1, 1, KvReply::Done, 10);
        assert!(Sessions::from_image(sessions.image(), 9).is_err());
    }
}
