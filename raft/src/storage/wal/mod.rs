//! [`Wal`]: a durable write-ahead log implementing [`LogStorage`] over any
//! [`Disk`].
//!
//! ## Layout
//!
//! One directory holds numbered segment files (`<seq:020>.wal`) and snapshot
//! files (`snap-<index:020>-<term:020>.snap`). A segment is a sequence of
//! CRC-framed [`WalRecord`]s (see [`record`]): appends (which carry their own
//! truncation: an append at or below the last index replaces the suffix, so
//! a conflict is a single atomic record), hard states, and checkpoints. A
//! segment that begins with a checkpoint holds the complete state at that
//! point; replay starts at the newest one and every older segment is
//! obsolete. Segments rotate once they exceed
//! [`WalOptions::segment_bytes_max`].
//!
//! ## Snapshots and compaction
//!
//! [`LogStorage::save_snapshot`] first syncs pending writes, then writes the
//! snapshot file under a temporary name, syncs it, renames it into place and
//! syncs the directory; then it starts a checkpoint segment holding the hard
//! state, the snapshot's id and the surviving entries, syncs it and the
//! directory, and only then removes the older segments and snapshot files.
//! A crash between those steps leaves either the old state or a snapshot file
//! newer than the newest checkpoint, which recovery applies and checkpoints.
//!
//! ## Recovery
//!
//! [`Wal::open`] (and [`LogStorage::recover`], which rescans the disk)
//! replays from the newest checkpoint and stops cleanly at the first torn or
//! corrupt record, reporting it in [`RecoveredState::truncated_at`]. (If no
//! intact checkpoint or the snapshot it names is unreadable, it refuses with
//! [`StorageError::Corrupt`] rather than start empty and forget votes.) It then
//! repairs the directory so that new appends extend a valid log: it removes
//! the segments after the damage (first, and durably), truncates the damaged
//! segment, syncs what it keeps, and deletes obsolete segments, temporary
//! files and old snapshots. Every repair step is safe to interrupt by another
//! crash. The result is always a prefix of the writes that were made, and it
//! contains every write that was synced (unless synced bytes were later
//! corrupted, which is reported).
//!
//! The live log is also kept in memory (a [`LogState`]), bounded by
//! compaction, so reads never touch the disk. After any I/O error the `Wal`
//! refuses further writes (its on-disk state is unknown): reopen it.

pub mod record;

use self::record::{frame, scan, SnapshotFile, WalRecord};
use crate::bugs::{Bug, BugSet};

mod recover;
use super::disk::Disk;
use super::log_state::LogState;
use super::{LogStorage, RecoveredState, StorageError};
use crate::types::{Entry, HardState, LogIndex, Snapshot, Term};
use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

/// Tuning of a [`Wal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalOptions {
    /// Start a new segment once the active one holds at least this many bytes.
    pub segment_bytes_max: u64,
    /// Seeded bugs switched on in the log ([`crate::bugs`]).
    pub bugs: BugSet,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions {
            segment_bytes_max: 16 * 1024 * 1024,
            bugs: BugSet::NONE,
        }
    }
}

/// Counters of what a [`Wal`] did since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Records appended to segments.
    pub records_written: u64,
    /// Bytes appended to segments and snapshot files.
    pub bytes_written: u64,
    /// Completed [`LogStorage::sync`] calls.
    pub syncs: u64,
    /// Segment files created.
    pub segments_created: u64,
    /// Segment files removed (compaction, repair).
    pub segments_removed: u64,
    /// Snapshot files written.
    pub snapshots_written: u64,
    /// Recoveries that stopped at a torn or corrupt record.
    pub damaged_recoveries: u64,
    /// Records replayed by recoveries.
    pub records_replayed: u64,
    /// Reads that ended at a torn or corrupt record (each is retried up to
    /// [`READ_ATTEMPTS_MAX`] reads in all).
    pub corrupt_rereads: u64,
}

/// How many times recovery reads a file whose scan stops early.
pub const READ_ATTEMPTS_MAX: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    seq: u64,
    len: u64,
}

/// A durable write-ahead log over a [`Disk`].
#[derive(Debug)]
pub struct Wal<D: Disk> {
    disk: D,
    dir: PathBuf,
    options: WalOptions,
    state: LogState,
    /// Live segments, ascending; the first begins with a checkpoint, the
    /// last is the one being appended to.
    segments: Vec<Segment>,
    next_seq: u64,
    /// Segments written since the last sync.
    dirty: BTreeSet<u64>,
    /// Names in the directory changed since the last sync.
    dir_dirty: bool,
    poisoned: Option<String>,
    truncated_at: Option<String>,
    stats: WalStats,
}

/// The file name of segment `seq`.
pub fn segment_name(seq: u64) -> String {
    format!("{seq:020}.wal")
}

/// The file name of the snapshot covering up to `index` (of term `term`).
pub fn snapshot_name(index: LogIndex, term: Term) -> String {
    format!("snap-{index:020}-{term:020}.snap")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".wal")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn parse_snapshot_name(name: &str) -> Option<(LogIndex, Term)> {
    let body = name.strip_prefix("snap-")?.strip_suffix(".snap")?;
    let (index, term) = body.split_once('-')?;
    let ok = |s: &str| s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit());
    (ok(index) && ok(term)).then(|| Some((index.parse().ok()?, term.parse().ok()?)))?
}

fn corrupt(location: impl Into<String>, reason: impl Into<String>) -> StorageError {
    StorageError::Corrupt {
        location: location.into(),
        reason: reason.into(),
    }
}

impl<D: Disk> Wal<D> {
    /// Opens (creating if needed) the log in `dir` with default options and
    /// recovers it.
    pub fn open(disk: D, dir: impl Into<PathBuf>) -> Result<Self, StorageError> {
        Wal::open_with(disk, dir, WalOptions::default())
    }

    /// Opens (creating if needed) the log in `dir` and recovers it.
    pub fn open_with(
        disk: D,
        dir: impl Into<PathBuf>,
        options: WalOptions,
    ) -> Result<Self, StorageError> {
        let mut wal = Wal {
            disk,
            dir: dir.into(),
            options,
            state: LogState::new(),
            segments: Vec::new(),
            next_seq: 1,
            dirty: BTreeSet::new(),
            dir_dirty: false,
            poisoned: None,
            truncated_at: None,
            stats: WalStats::default(),
        };
        wal.load()?;
        Ok(wal)
    }

    /// Gives the disk back (after a simulated crash, reopen over it).
    pub fn into_disk(self) -> D {
        self.disk
    }

    /// The disk.
    pub fn disk(&self) -> &D {
        &self.disk
    }

    /// The disk, mutably (tests arm faults through it).
    pub fn disk_mut(&mut self) -> &mut D {
        &mut self.disk
    }

    /// The directory holding the log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the log did since it was opened.
    pub fn stats(&self) -> &WalStats {
        &self.stats
    }

    /// The in-memory image of the log (every write, synced or not).
    pub fn state(&self) -> &LogState {
        &self.state
    }

    /// Why the last recovery stopped early, if it did and nothing was
    /// written since.
    pub fn truncated_at(&self) -> Option<&str> {
        self.truncated_at.as_deref()
    }

    /// The numbers of the live segment files, ascending.
    pub fn segment_seqs(&self) -> Vec<u64> {
        self.segments.iter().map(|s| s.seq).collect()
    }

    /// Why the log refuses writes, if an earlier I/O error poisoned it.
    pub fn poisoned(&self) -> Option<&str> {
        self.poisoned.as_deref()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Runs a disk operation; an error poisons the log.
    fn io<T>(
        &mut self,
        what: &str,
        op: impl FnOnce(&mut D) -> io::Result<T>,
    ) -> Result<T, StorageError> {
        op(&mut self.disk).map_err(|e| {
            self.poisoned = Some(format!("{what}: {e}"));
            StorageError::Io(io::Error::new(e.kind(), format!("{what}: {e}")))
        })
    }

    fn check_writable(&self) -> Result<(), StorageError> {
        match &self.poisoned {
            None => Ok(()),
            Some(reason) => Err(StorageError::Io(io::Error::other(format!(
                "write-ahead log in {} refuses writes after an earlier error ({reason}); reopen it",
                self.dir.display()
            )))),
        }
    }

    fn write_record(&mut self, record: &WalRecord) -> Result<(), StorageError> {
        self.truncated_at = None;
        let bytes = frame(record).ok_or_else(|| {
            StorageError::Invalid(format!("record exceeds {} bytes", record::RECORD_BYTES_MAX))
        })?;
        let needs_segment = self
            .segments
            .last()
            .is_none_or(|s| s.len >= self.options.segment_bytes_max);
        if needs_segment {
            let seq = self.next_seq;
            let path = self.path(&segment_name(seq));
            self.io("create segment", |d| d.create(&path))?;
            self.next_seq += 1;
            self.segments.push(Segment { seq, len: 0 });
            self.dir_dirty = true;
            self.stats.segments_created += 1;
        }
        let Some(active) = self.segments.last().copied() else {
            return Err(StorageError::Invalid("no active segment".into()));
        };
        let path = self.path(&segment_name(active.seq));
        self.io("append record", |d| d.append(&path, &bytes))?;
        if let Some(last) = self.segments.last_mut() {
            last.len += bytes.len() as u64;
        }
        self.dirty.insert(active.seq);
        self.stats.records_written += 1;
        self.stats.bytes_written += bytes.len() as u64;
        Ok(())
    }

    /// Writes a checkpoint segment of the current state, makes it durable,
    /// then removes every other segment, stale snapshot and temporary file.
    fn checkpoint(&mut self) -> Result<(), StorageError> {
        let record = WalRecord::Checkpoint {
            hard_state: *self.state.hard_state(),
            snapshot: self
                .state
                .snapshot()
                .map(|s| (s.meta.last_index, s.meta.last_term)),
            entries: self.state.stored_entries().to_vec(),
        };
        let bytes = frame(&record).ok_or_else(|| {
            StorageError::Invalid(format!(
                "checkpoint exceeds {} bytes",
                record::RECORD_BYTES_MAX
            ))
        })?;
        let seq = self.next_seq;
        let path = self.path(&segment_name(seq));
        self.io("create checkpoint", |d| d.create(&path))?;
        self.io("write checkpoint", |d| d.append(&path, &bytes))?;
        self.io("sync checkpoint", |d| d.sync(&path))?;
        let dir = self.dir.clone();
        self.sync_directory(&dir)?;
        self.next_seq += 1;
        self.stats.segments_created += 1;
        self.stats.records_written += 1;
        self.stats.bytes_written += bytes.len() as u64;
        self.segments = vec![Segment {
            seq,
            len: bytes.len() as u64,
        }];
        self.dirty.clear();
        self.dir_dirty = false;
        self.remove_obsolete()
    }

    /// Removes segments older than the first live one, temporary files and
    /// snapshot files other than the current one; syncs the directory.
    fn remove_obsolete(&mut self) -> Result<(), StorageError> {
        let dir = self.dir.clone();
        let names = self.io("list directory", |d| d.list(&dir))?;
        let first_live = self.segments.first().map_or(u64::MAX, |s| s.seq);
        let current_snapshot = self
            .state
            .snapshot()
            .map(|s| snapshot_name(s.meta.last_index, s.meta.last_term));
        let mut removed = false;
        for name in names {
            let obsolete = if let Some(seq) = parse_segment_name(&name) {
                seq < first_live
            } else if parse_snapshot_name(&name).is_some() {
                Some(&name) != current_snapshot.as_ref()
            } else {
                name.ends_with(".tmp")
            };
            if obsolete {
                let path = self.path(&name);
                self.io("remove obsolete file", |d| d.remove(&path))?;
                if parse_segment_name(&name).is_some() {
                    self.stats.segments_removed += 1;
                }
                removed = true;
            }
        }
        if removed {
            self.sync_directory(&dir)?;
        }
        Ok(())
    }

    /// Makes the directory's names durable (skipped under the seeded bug
    /// [`Bug::WalSkipDirSync`]).
    fn sync_directory(&mut self, dir: &Path) -> Result<(), StorageError> {
        if self.options.bugs.on(Bug::WalSkipDirSync) {
            return Ok(());
        }
        self.io("sync directory", |d| d.sync_dir(dir))
    }

    fn write_snapshot_file(&mut self, snapshot: &Snapshot) -> Result<(), StorageError> {
        let file = SnapshotFile {
            meta: snapshot.meta.clone(),
            data: snapshot.data.clone(),
        };
        let bytes = frame(&file).ok_or_else(|| {
            StorageError::Invalid(format!(
                "snapshot exceeds {} bytes",
                record::RECORD_BYTES_MAX
            ))
        })?;
        let name = snapshot_name(snapshot.meta.last_index, snapshot.meta.last_term);
        let final_path = self.path(&name);
        let tmp_path = self.path(&format!("{name}.tmp"));
        let dir = self.dir.clone();
        self.io("create snapshot", |d| d.create(&tmp_path))?;
        self.io("write snapshot", |d| d.append(&tmp_path, &bytes))?;
        self.io("sync snapshot", |d| d.sync(&tmp_path))?;
        self.io("rename snapshot", |d| d.rename(&tmp_path, &final_path))?;
        self.sync_directory(&dir)?;
        self.stats.snapshots_written += 1;
        self.stats.bytes_written += bytes.len() as u64;
        Ok(())
    }

    fn read_snapshot_file(
        &mut self,
        index: LogIndex,
        term: Term,
    ) -> Result<Snapshot, StorageError> {
        let name = snapshot_name(index, term);
        let path = self.path(&name);
        let (_, scanned) = self.read_scanned::<SnapshotFile>(&path, "read snapshot")?;
        if let Some(record::StopReason::OlderFormat { version }) = scanned.stop {
            return Err(StorageError::UnsupportedFormat {
                location: name,
                found: version,
                supported: record::FORMAT_VERSION,
            });
        }
        if let Some(stop) = scanned.stop {
            return Err(corrupt(name, stop.to_string()));
        }
        match scanned.records.as_slice() {
            [(_, file)] if file.meta.last_index == index && file.meta.last_term == term => {
                Ok(Snapshot {
                    meta: file.meta.clone(),
                    data: file.data.clone(),
                })
            }
            [(_, file)] => Err(corrupt(
                name,
                format!(
                    "holds a snapshot of {}/{}",
                    file.meta.last_index, file.meta.last_term
                ),
            )),
            records => Err(corrupt(
                name,
                format!("{} records instead of 1", records.len()),
            )),
        }
    }

    /// Reads and scans a file. A scan that stops early may be a transient
    /// read error rather than damage on the medium (a flipped length looks
    /// like a torn tail), so the file is read again, up to
    /// [`READ_ATTEMPTS_MAX`] times in all, and the longest valid scan wins.
    fn read_scanned<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &Path,
        what: &str,
    ) -> Result<(Vec<u8>, record::Scan<T>), StorageError> {
        let mut best: Option<(Vec<u8>, record::Scan<T>)> = None;
        for _ in 0..READ_ATTEMPTS_MAX {
            let bytes = self.io(what, |d| d.read(path))?;
            let scanned = scan::<T>(&bytes);
            let damaged = scanned.stop.is_some();
            let better = best
                .as_ref()
                .is_none_or(|(_, b)| scanned.valid_len > b.valid_len);
            if better {
                best = Some((bytes, scanned));
            }
            if !damaged {
                break;
            }
            self.stats.corrupt_rereads += 1;
        }
        best.ok_or_else(|| StorageError::Invalid("no read attempted".into()))
    }

    /// Records what recovery found. A report stands until the next write, so
    /// that `open` followed by `recover` still returns it.
    fn finish_notes(&mut self, notes: Vec<String>) {
        if !notes.is_empty() {
            self.truncated_at = Some(notes.join("; "));
        }
    }
}

impl<D: Disk> LogStorage for Wal<D> {
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        self.check_writable()?;
        self.state.check_append(entries)?;
        if entries.is_empty() {
            return Ok(());
        }
        self.write_record(&WalRecord::Append(entries.to_vec()))?;
        self.state.append(entries)
    }

    fn save_hard_state(&mut self, hard_state: &HardState) -> Result<(), StorageError> {
        self.check_writable()?;
        self.write_record(&WalRecord::HardState(*hard_state))?;
        self.state.set_hard_state(*hard_state);
        Ok(())
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StorageError> {
        self.check_writable()?;
        self.state.check_snapshot(snapshot)?;
        // Everything written before the snapshot becomes durable first, so a
        // crash at any later step recovers a prefix of the writes.
        self.sync()?;
        self.write_snapshot_file(snapshot)?;
        self.truncated_at = None;
        self.state.install_snapshot(snapshot)?;
        self.checkpoint()
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        self.check_writable()?;
        let dirty: Vec<u64> = std::mem::take(&mut self.dirty).into_iter().collect();
        for seq in dirty {
            let path = self.path(&segment_name(seq));
            self.io("sync segment", |d| d.sync(&path))?;
        }
        if self.dir_dirty {
            let dir = self.dir.clone();
            self.sync_directory(&dir)?;
            self.dir_dirty = false;
        }
        self.stats.syncs += 1;
        Ok(())
    }

    fn recover(&mut self) -> Result<RecoveredState, StorageError> {
        self.load()?;
        Ok(RecoveredState {
            truncated_at: self.truncated_at.clone(),
            ..self.state.to_recovered()
        })
    }

    fn first_index(&self) -> LogIndex {
        self.state.first_index()
    }

    fn last_index(&self) -> LogIndex {
        self.state.last_index()
    }

    fn term(&self, index: LogIndex) -> Option<Term> {
        self.state.term(index)
    }

    fn entries(&self, lo: LogIndex, hi: LogIndex) -> Result<Vec<Entry>, StorageError> {
        self.state.entries(lo, hi)
    }
}

#[cfg(test)]
mod tests;
