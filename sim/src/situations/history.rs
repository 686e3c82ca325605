//! Situations only the history shows: client reads that completed while
//! the nemesis held a partition.

use faultline_checker::history::{EventType, History, Process};
use faultline_checker::SituationCount;
use faultline_nemesis::fault::FaultFamily;

/// The history `f` of the final heal, which undoes every fault.
const STOP_ALL_F: &str = "stop-all";

/// Reads that completed `ok` while at least one partition was in effect:
/// from a `start-partition` to its `stop-partition` (partitions may
/// overlap: each start needs its own stop) or a `stop-all`.
pub fn reads_during_partition(history: &History) -> SituationCount {
    let (start, stop) = (
        FaultFamily::Partition.start_f(),
        FaultFamily::Partition.stop_f(),
    );
    let mut partitions: u64 = 0;
    let mut reads = SituationCount::default();
    for e in &history.events {
        match e.process {
            Process::Nemesis if e.f == start => partitions += 1,
            Process::Nemesis if e.f == stop => partitions = partitions.saturating_sub(1),
            Process::Nemesis if e.f == STOP_ALL_F => partitions = 0,
            Process::Nemesis => {}
            Process::Client(_) => {
                if partitions > 0 && e.kind == EventType::Ok && e.f == "read" {
                    reads.add(1, e.time_ns / 1_000_000);
                }
            }
        }
    }
    reads
}
