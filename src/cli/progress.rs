//! The progress of a suite: a line per finished seed, and how far it is
//! (seeds done of the total, valid / invalid / unknown so far, seeds per
//! second, time left). On a terminal that status is one line on standard
//! error, redrawn in place under the seed lines; otherwise (a CI log) it
//! is a plain `progress:` line on standard output every `--progress-every`
//! seconds.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::exit::Exit;
use super::suite::SeedOutcome;

/// How a suite reports its progress.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    done: usize,
    valid: usize,
    invalid: usize,
    unknown: usize,
    other: usize,
    started: Instant,
    last_line: Instant,
    every: Duration,
    live: bool,
}

impl Progress {
    /// Progress over `total` seeds; plain lines every `every` (0: after
    /// every seed) unless standard error is a terminal.
    pub fn new(total: usize, every: Duration) -> Progress {
        let now = Instant::now();
        Progress {
            total,
            done: 0,
            valid: 0,
            invalid: 0,
            unknown: 0,
            other: 0,
            started: now,
            last_line: now,
            every,
            live: std::io::stderr().is_terminal(),
        }
    }

    /// Records a finished seed and prints its line and the status.
    pub fn seed_done(&mut self, outcome: &SeedOutcome) {
        self.done += 1;
        match outcome.exit() {
            Exit::Valid => self.valid += 1,
            Exit::Invalid => self.invalid += 1,
            Exit::Unknown => self.unknown += 1,
            Exit::BadInput | Exit::Internal => self.other += 1,
        }
        self.clear();
        print_outcome(outcome, self.done, self.total);
        if self.live {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{}", self.status());
            let _ = err.flush();
        } else if self.last_line.elapsed() >= self.every && self.done < self.total {
            self.last_line = Instant::now();
            crate::say!("progress: {}", self.status());
        }
    }

    /// Clears the live status line (before other output, and at the end).
    pub fn clear(&self) {
        if self.live && self.done > 0 {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }

    /// `[done/total] 118 valid, 1 invalid, 1 unknown; 1.32 seeds/s, ETA 11m06s`.
    pub fn status(&self) -> String {
        let elapsed_s = self.started.elapsed().as_secs_f64().max(1e-9);
        let rate = self.done as f64 / elapsed_s;
        let left = self.total.saturating_sub(self.done);
        let eta = if rate > 0.0 {
            let s = (left as f64 / rate).round() as u64;
            format!("{}m{:02}s", s / 60, s % 60)
        } else {
            "?".to_string()
        };
        let other = if self.other > 0 {
            format!(", {} not run", self.other)
        } else {
            String::new()
        };
        format!(
            "[{}/{}] {} valid, {} invalid, {} unknown{other}; {rate:.2} seeds/s, ETA {eta}",
            self.done, self.total, self.valid, self.invalid, self.unknown
        )
    }
}

/// One finished seed's line (and its reason or error below it).
fn print_outcome(outcome: &SeedOutcome, done: usize, total: usize) {
    let dir = outcome
        .run_dir
        .as_ref()
        .map_or(String::new(), |d| format!("  {}", d.display()));
    crate::say!(
        "[{done}/{total}] seed {}: {} ({:.1} s){dir}",
        outcome.seed,
        outcome.status(),
        outcome.wall_s
    );
    if let Some(reason) = &outcome.reason {
        crate::say!("    {reason}");
    }
    if let Some(e) = &outcome.error {
        for line in e.lines() {
            crate::say!("    {line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::Verdict;

    #[test]
    fn the_status_counts_verdicts_and_estimates_the_time_left() {
        let mut p = Progress::new(4, Duration::from_secs(3600));
        p.live = false;
        for valid in [Some(Verdict::Valid), Some(Verdict::Invalid), None] {
            p.seed_done(&SeedOutcome {
                valid,
                ..SeedOutcome::default()
            });
        }
        let s = p.status();
        assert!(
            s.starts_with("[3/4] 1 valid, 1 invalid, 0 unknown, 1 not run; "),
            "{s}"
        );
        assert!(s.contains("seeds/s, ETA "), "{s}");
    }
}
