//! Recovery of a [`Wal`] from its directory (see the parent module's docs):
//! scan the segments and snapshots, replay from the newest intact
//! checkpoint, apply a snapshot an interrupted compaction left behind, then
//! repair the directory (drop everything after the first damage, durably)
//! before anything older is removed.

use super::record::{Scan, StopReason, WalRecord, FORMAT_VERSION};
use super::{
    corrupt, parse_segment_name, parse_snapshot_name, segment_name, snapshot_name, Segment, Wal,
};
use crate::storage::disk::Disk;
use crate::storage::log_state::LogState;
use crate::storage::StorageError;
use crate::types::{LogIndex, Snapshot, Term};

/// What the directory holds, as read at the start of recovery.
struct DirScan {
    /// Segment sequence numbers, ascending.
    seqs: Vec<u64>,
    /// Snapshot files `(index, term)`, ascending.
    snapshots: Vec<(LogIndex, Term)>,
    /// Each segment's bytes.
    contents: Vec<Vec<u8>>,
    /// Each segment's records up to its first damage.
    scans: Vec<Scan<WalRecord>>,
}

/// Where replay stopped early: segment position, byte offset, why.
type Stop = (usize, u64, String);

impl<D: Disk> Wal<D> {
    /// Recovers the state from the directory and repairs it.
    pub(super) fn load(&mut self) -> Result<(), StorageError> {
        self.poisoned = None;
        self.dirty.clear();
        self.dir_dirty = false;
        let found = self.scan_dir()?;
        self.next_seq = found.seqs.last().map_or(1, |s| s + 1);
        let mut notes = Vec::new();
        let start = (0..found.scans.len()).rev().find(|&i| {
            matches!(
                found.scans[i].records.first(),
                Some((0, WalRecord::Checkpoint { .. }))
            )
        });
        let Some(start) = start else {
            return self.start_empty(&found, notes);
        };
        let (mut state, stop) = self.replay(&found, start)?;

        // A snapshot newer than the checkpoint: a compaction was interrupted
        // after its snapshot became durable. Apply it now.
        let newer: Vec<_> = found
            .snapshots
            .iter()
            .copied()
            .filter(|&(index, _)| index > state.snapshot_index())
            .collect();
        let mut needs_checkpoint = false;
        if let Some(snapshot) = self.newest_valid_snapshot(&newer, &mut notes) {
            match state.install_snapshot(&snapshot) {
                Ok(()) => needs_checkpoint = true,
                Err(e) => notes.push(format!(
                    "ignored snapshot {}/{}: {e}",
                    snapshot.meta.last_index, snapshot.meta.last_term
                )),
            }
        }
        self.state = state;
        self.repair(&found, start, stop.as_ref(), &mut notes)?;
        self.finish_notes(notes);
        if needs_checkpoint {
            self.checkpoint()
        } else {
            self.remove_obsolete()
        }
    }

    /// Lists the directory and reads every segment.
    fn scan_dir(&mut self) -> Result<DirScan, StorageError> {
        let dir = self.dir.clone();
        self.io("create directory", |d| d.create_dir_all(&dir))?;
        let names = self.io("list directory", |d| d.list(&dir))?;
        let seqs: Vec<u64> = names.iter().filter_map(|n| parse_segment_name(n)).collect();
        let mut snapshots: Vec<(LogIndex, Term)> = names
            .iter()
            .filter_map(|n| parse_snapshot_name(n))
            .collect();
        snapshots.sort_unstable();
        let mut contents = Vec::with_capacity(seqs.len());
        let mut scans = Vec::with_capacity(seqs.len());
        for &seq in &seqs {
            let path = self.path(&segment_name(seq));
            let (bytes, scanned) = self.read_scanned::<WalRecord>(&path, "read segment")?;
            if let Some(StopReason::OlderFormat { version }) = scanned.stop {
                return Err(StorageError::UnsupportedFormat {
                    location: path.display().to_string(),
                    found: version,
                    supported: FORMAT_VERSION,
                });
            }
            contents.push(bytes);
            scans.push(scanned);
        }
        Ok(DirScan {
            seqs,
            snapshots,
            contents,
            scans,
        })
    }

    /// No intact checkpoint: a fresh directory, or a first checkpoint that
    /// was torn before it ever held anything, starts empty. Anything else
    /// means durable state was lost to corruption, and starting empty would
    /// forget votes: refuse.
    fn start_empty(&mut self, found: &DirScan, mut notes: Vec<String>) -> Result<(), StorageError> {
        let holds_records = found.scans.iter().any(|s| !s.records.is_empty());
        if holds_records || !found.snapshots.is_empty() {
            return Err(corrupt(
                self.dir.display().to_string(),
                format!(
                    "no intact checkpoint in {} segment(s) and {} snapshot(s)",
                    found.seqs.len(),
                    found.snapshots.len()
                ),
            ));
        }
        if !found.seqs.is_empty() {
            notes.push(format!(
                "discarded {} segment(s) of an interrupted initialisation",
                found.seqs.len()
            ));
        }
        self.state = LogState::new();
        self.segments.clear();
        self.finish_notes(notes);
        self.checkpoint()
    }

    /// Replays the checkpoint at the head of segment `start` and every
    /// record after it, up to the first damage or impossible record.
    fn replay(
        &mut self,
        found: &DirScan,
        start: usize,
    ) -> Result<(LogState, Option<Stop>), StorageError> {
        let (seqs, scans) = (&found.seqs, &found.scans);
        let Some((
            _,
            WalRecord::Checkpoint {
                hard_state,
                snapshot,
                entries,
            },
        )) = scans[start].records.first()
        else {
            return Err(corrupt(segment_name(seqs[start]), "checkpoint vanished"));
        };
        let base = match snapshot {
            Some((index, term)) => Some(self.read_snapshot_file(*index, *term)?),
            None => None,
        };
        let mut state = LogState::new();
        state
            .reset(base, *hard_state, entries)
            .map_err(|e| corrupt(segment_name(seqs[start]), format!("bad checkpoint: {e}")))?;
        let mut replayed = 1u64;
        let mut stop: Option<Stop> = None;
        'segments: for (i, scanned) in scans.iter().enumerate().skip(start) {
            let skip = usize::from(i == start);
            for (offset, record) in scanned.records.iter().skip(skip) {
                let applied = match record {
                    WalRecord::Append(entries) => state
                        .append(entries)
                        .map_err(|e| format!("impossible append: {e}")),
                    WalRecord::HardState(hs) => {
                        state.set_hard_state(*hs);
                        Ok(())
                    }
                    WalRecord::Checkpoint { .. } => Err("checkpoint inside a segment".to_string()),
                };
                if let Err(reason) = applied {
                    stop = Some((i, *offset, reason));
                    break 'segments;
                }
                replayed += 1;
            }
            if let Some(reason) = &scanned.stop {
                stop = Some((i, scanned.valid_len, reason.to_string()));
                break;
            }
        }
        self.stats.records_replayed += replayed;
        Ok((state, stop))
    }

    /// Drops everything after the damage, durably; then makes what is kept
    /// durable (a bounce without a crash may have left it unsynced) before
    /// anything older is removed.
    fn repair(
        &mut self,
        found: &DirScan,
        start: usize,
        stop: Option<&Stop>,
        notes: &mut Vec<String>,
    ) -> Result<(), StorageError> {
        let (seqs, dir) = (&found.seqs, self.dir.clone());
        let mut kept_end = seqs.len();
        if let Some((i, offset, reason)) = stop {
            let later = seqs.len() - (i + 1);
            notes.insert(
                0,
                format!(
                    "{} at byte {offset}: {reason}; discarded the rest of the segment and {later} later segment(s)",
                    segment_name(seqs[*i])
                ),
            );
            for &seq in &seqs[i + 1..] {
                let path = self.path(&segment_name(seq));
                self.io("remove damaged segment", |d| d.remove(&path))?;
                self.stats.segments_removed += 1;
            }
            if later > 0 {
                self.io("sync directory", |d| d.sync_dir(&dir))?;
            }
            let path = self.path(&segment_name(seqs[*i]));
            self.io("truncate damaged segment", |d| d.truncate(&path, *offset))?;
            kept_end = i + 1;
            self.stats.damaged_recoveries += 1;
        }
        self.segments.clear();
        for (i, &seq) in seqs.iter().enumerate().take(kept_end).skip(start) {
            let path = self.path(&segment_name(seq));
            self.io("sync segment", |d| d.sync(&path))?;
            let len = match stop {
                Some((s, offset, _)) if *s == i => *offset,
                _ => found.contents[i].len() as u64,
            };
            self.segments.push(Segment { seq, len });
        }
        if let Some(snapshot) = self.state.snapshot() {
            let path = self.path(&snapshot_name(
                snapshot.meta.last_index,
                snapshot.meta.last_term,
            ));
            self.io("sync snapshot", |d| d.sync(&path))?;
        }
        self.io("sync directory", |d| d.sync_dir(&dir))
    }

    /// The newest snapshot file that reads back intact, noting the others.
    fn newest_valid_snapshot(
        &mut self,
        snapshots: &[(LogIndex, Term)],
        notes: &mut Vec<String>,
    ) -> Option<Snapshot> {
        for &(index, term) in snapshots.iter().rev() {
            match self.read_snapshot_file(index, term) {
                Ok(snapshot) => return Some(snapshot),
                Err(e) => notes.push(format!("ignored snapshot {index}/{term}: {e}")),
            }
        }
        None
    }
}
