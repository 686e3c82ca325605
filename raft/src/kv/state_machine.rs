//! [`KvStateMachine`]: the replicated key-value store that committed log
//! entries are applied to.
//!
//! Applying is deterministic: the same entries in the same order give the same
//! state and replies on every replica, and [`KvStateMachine::snapshot`] gives
//! the same bytes. Retries are deduplicated by the replicated
//! [`Sessions`] table, so a command is applied at most once whatever the
//! client does.

use super::command::{decode_command, KvCommand, KvOp, KvReply};
use super::error::KvError;
use super::session::{SessionCheck, SessionLimits, Sessions};
use super::snapshot::{decode_image, encode_image, KvImage};
use crate::bugs::{Bug, BugSet};
use crate::types::{Entry, EntryPayload, LogIndex};
use std::collections::BTreeMap;

/// Per-replica counts of what applying did (not replicated, not in snapshots).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvCounters {
    /// Commands whose operation was executed.
    pub executed: u64,
    /// Retries answered from a session's cached reply.
    pub duplicates: u64,
    /// Commands refused as stale sequence numbers.
    pub stale: u64,
    /// Commands refused because their session had expired.
    pub expired: u64,
    /// Entries whose bytes were not a valid command.
    pub malformed: u64,
    /// Sessions evicted to respect the cap.
    pub evicted_sessions: u64,
    /// Snapshots restored.
    pub restores: u64,
}

/// The replicated key-value store: data, client sessions and the applied index.
#[derive(Debug, Clone)]
pub struct KvStateMachine {
    data: BTreeMap<String, String>,
    sessions: Sessions,
    applied_index: LogIndex,
    counters: KvCounters,
    bugs: BugSet,
}

impl Default for KvStateMachine {
    fn default() -> Self {
        KvStateMachine::new(SessionLimits::default())
    }
}

impl PartialEq for KvStateMachine {
    /// Equal replicated state (data, sessions, applied index); the local
    /// counters are ignored.
    fn eq(&self, other: &Self) -> bool {
        self.applied_index == other.applied_index
            && self.data == other.data
            && self.sessions == other.sessions
    }
}

impl Eq for KvStateMachine {}

impl KvStateMachine {
    /// An empty store with the given session limits.
    pub fn new(limits: SessionLimits) -> Self {
        KvStateMachine {
            data: BTreeMap::new(),
            sessions: Sessions::new(limits),
            applied_index: 0,
            counters: KvCounters::default(),
            bugs: BugSet::NONE,
        }
    }

    /// This store with seeded bugs switched on ([`crate::bugs`]).
    pub fn with_bugs(mut self, bugs: BugSet) -> Self {
        self.bugs = bugs;
        self
    }

    /// A store restored from snapshot bytes.
    pub fn from_snapshot(bytes: &[u8]) -> Result<Self, KvError> {
        let mut machine = KvStateMachine::default();
        machine.restore(bytes)?;
        Ok(machine)
    }

    /// The index of the last applied log entry (or of the restored snapshot).
    pub fn applied_index(&self) -> LogIndex {
        self.applied_index
    }

    /// The value of `key` now: the query a node serves after a ReadIndex (or
    /// lease) confirmation once `applied_index()` reached the read index.
    pub fn read(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(String::as_str)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the store holds no keys.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Every key and value in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.data.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The client session table.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// What applying has done on this replica.
    pub fn counters(&self) -> &KvCounters {
        &self.counters
    }

    /// Applies a committed log entry, which must be the next one
    /// (`applied_index() + 1`). Commands produce a reply; no-ops and
    /// membership entries only advance the applied index.
    pub fn apply_entry(&mut self, entry: &Entry) -> Result<Option<KvReply>, KvError> {
        let expected = self.applied_index + 1;
        if entry.index <= self.applied_index {
            return Err(KvError::AlreadyApplied {
                index: entry.index,
                applied: self.applied_index,
            });
        }
        if entry.index != expected {
            return Err(KvError::OutOfOrder {
                index: entry.index,
                expected,
            });
        }
        match &entry.payload {
            EntryPayload::Command(bytes) => self.apply(entry.index, bytes).map(Some),
            EntryPayload::Noop | EntryPayload::Membership(_) => {
                self.applied_index = entry.index;
                Ok(None)
            }
        }
    }

    /// Applies the command bytes of the committed entry at `index`, which
    /// must be above `applied_index()` (entries without commands may be
    /// skipped). Bytes that do not decode are answered
    /// [`KvReply::Malformed`] and change nothing but the applied index, the
    /// same way on every replica.
    pub fn apply(&mut self, index: LogIndex, command: &[u8]) -> Result<KvReply, KvError> {
        if index <= self.applied_index {
            return Err(KvError::AlreadyApplied {
                index,
                applied: self.applied_index,
            });
        }
        let reply = match decode_command(command) {
            Ok(command) => self.apply_decoded(index, &command),
            Err(e) => {
                self.counters.malformed += 1;
                KvReply::Malformed {
                    reason: e.to_string(),
                }
            }
        };
        self.applied_index = index;
        Ok(reply)
    }

    /// Applies an already decoded command at `index` (above `applied_index()`).
    pub fn apply_command(
        &mut self,
        index: LogIndex,
        command: &KvCommand,
    ) -> Result<KvReply, KvError> {
        if index <= self.applied_index {
            return Err(KvError::AlreadyApplied {
                index,
                applied: self.applied_index,
            });
        }
        let reply = self.apply_decoded(index, command);
        self.applied_index = index;
        Ok(reply)
    }

    fn apply_decoded(&mut self, index: LogIndex, command: &KvCommand) -> KvReply {
        match self.sessions.check(command.client_id, command.seq, index) {
            SessionCheck::Duplicate(_) if self.bugs.on(Bug::SessionNoDedup) => {
                let reply = self.execute(&command.op);
                self.counters.executed += 1;
                reply
            }
            SessionCheck::Duplicate(reply) => {
                self.counters.duplicates += 1;
                reply
            }
            SessionCheck::Reject(reply) => {
                match reply {
                    KvReply::SessionExpired => self.counters.expired += 1,
                    _ => self.counters.stale += 1,
                }
                reply
            }
            SessionCheck::Apply => {
                let reply = self.execute(&command.op);
                self.counters.executed += 1;
                let evicted =
                    self.sessions
                        .record(command.client_id, command.seq, reply.clone(), index);
                self.counters.evicted_sessions += evicted as u64;
                reply
            }
        }
    }

    fn execute(&mut self, op: &KvOp) -> KvReply {
        match op {
            KvOp::Read { key } => KvReply::Read {
                value: self.data.get(key).cloned(),
            },
            KvOp::Write { key, value } => {
                self.data.insert(key.clone(), value.clone());
                KvReply::Done
            }
            KvOp::Cas { key, expected, new } => match self.data.get_mut(key) {
                Some(current) if current == expected => {
                    current.clone_from(new);
                    KvReply::CasSucceeded
                }
                current => KvReply::CasFailed {
                    current: current.cloned(),
                },
            },
            KvOp::Append { key, value } => {
                self.data.entry(key.clone()).or_default().push_str(value);
                KvReply::Done
            }
        }
    }

    /// A digest of the whole replicated state (data, client sessions and
    /// applied index, whatever a snapshot leaves out): two nodes that
    /// applied the same entries hold the same digest.
    pub fn state_digest(&self) -> u64 {
        let image = encode_image(&KvImage {
            applied_index: self.applied_index,
            data: self.data.clone(),
            sessions: self.sessions.image(),
        });
        crate::invariants::digest::Fnv::default()
            .bytes(&image)
            .finish()
    }

    /// The replicated state as deterministic, checksummed bytes (the same
    /// state always gives the same bytes).
    pub fn snapshot(&self) -> Vec<u8> {
        encode_image(&KvImage {
            applied_index: self.applied_index,
            data: self.data.clone(),
            sessions: if self.bugs.on(Bug::SessionTableNotInSnapshot) {
                Sessions::new(self.sessions.limits()).image()
            } else {
                self.sessions.image()
            },
        })
    }

    /// Replaces the whole replicated state with a snapshot's (including its
    /// session limits and applied index). On error nothing changes.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), KvError> {
        let image = decode_image(bytes)?;
        let sessions = Sessions::from_image(image.sessions, image.applied_index)?;
        self.data = image.data;
        self.sessions = sessions;
        self.applied_index = image.applied_index;
        self.counters.restores += 1;
        Ok(())
    }
}
