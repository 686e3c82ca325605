//! The event trace of one run: every step the driver takes, one line each.
//!
//! Formatting every event is the harness's largest cost, so the bulk runs
//! keep the trace off; a failing seed is simply re-run with it on (the run
//! is deterministic) to print the events that led to the violation.

use faultline_raft::invariants::digest::Fnv;

/// Recorded trace lines and a hash over all of them.
#[derive(Debug, Clone)]
pub struct Trace {
    enabled: bool,
    lines: Vec<String>,
    hash: Fnv,
}

impl Trace {
    /// A trace that records (`enabled`) or ignores every line.
    pub fn new(enabled: bool) -> Self {
        Trace {
            enabled,
            lines: Vec::new(),
            hash: Fnv::default(),
        }
    }

    /// Whether lines are recorded; check before formatting one.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records one line.
    pub fn record(&mut self, line: String) {
        if self.enabled {
            self.hash = self.hash.bytes(line.as_bytes()).u64(line.len() as u64);
            self.lines.push(line);
        }
    }

    /// Every recorded line.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// A hash over every recorded line.
    pub fn hash(&self) -> u64 {
        self.hash.finish()
    }

    /// The last `count` lines.
    pub fn tail(&self, count: usize) -> &[String] {
        &self.lines[self.lines.len().saturating_sub(count)..]
    }
}
