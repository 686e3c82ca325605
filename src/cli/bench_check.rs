//! `faultline bench check`: how fast, and in how much memory, the
//! linearizability checker decides a large generated history. The history
//! comes from the checker's seeded generator
//! ([`faultline_checker::synthetic`]), so one set of flags reproduces it
//! exactly; `--stale-read` plants one read of an older value, which makes
//! it non-linearizable. Prints the generation and check times, the verdict
//! (and for a planted read, whether the checker named it), the search's
//! figures and the process's peak resident memory. A benchmark, not a
//! test: it reads the wall clock and asserts nothing; the exit status is
//! the verdict's.

use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use faultline_checker::io::jsonl;
use faultline_checker::synthetic::KvHistorySpec;
use faultline_checker::{check_operations, CheckOptions, ModelKind};

use super::exit::{CliError, Exit};

/// The raw arguments of `faultline bench check`.
#[derive(Debug, Args)]
pub struct BenchCheckArgs {
    /// Operations to generate (each is two events).
    #[arg(long, value_name = "N", default_value_t = 500_000)]
    pub ops: usize,
    /// Independent keys.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub keys: u64,
    /// Concurrent client processes.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub processes: usize,
    /// Written values are drawn from 0..N.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub values: u64,
    /// The generator's seed.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Plant one stale read in the second half (the history is then not
    /// linearizable).
    #[arg(long)]
    pub stale_read: bool,
    /// The checker's memory budget over all keys, in bytes.
    #[arg(long, value_name = "BYTES")]
    pub memory_bytes_max: Option<usize>,
    /// Worker threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Also write the history as JSON Lines to this file (not timed), for
    /// `faultline check FILE --model kv`.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
}

/// Runs `faultline bench check`.
pub fn run(args: BenchCheckArgs) -> Result<Exit, CliError> {
    if args.ops == 0 || args.keys == 0 || args.processes == 0 || args.values == 0 {
        return Err(CliError::bad_input(
            "--ops, --keys, --processes, --values: must be positive",
        ));
    }
    let spec = KvHistorySpec {
        ops: args.ops,
        keys: args.keys,
        processes: args.processes,
        values: args.values,
        seed: args.seed,
        stale_read: args.stale_read,
    };
    let start = Instant::now();
    let generated = spec.generate();
    let generate_s = start.elapsed().as_secs_f64();
    if let Some(path) = &args.write {
        write_jsonl(&generated.history(), path)?;
    }
    let mut options = CheckOptions {
        threads: args.threads,
        ..CheckOptions::default()
    };
    if let Some(bytes) = args.memory_bytes_max {
        options.memory_bytes_max = bytes;
    }
    let start = Instant::now();
    let report = check_operations(&generated.operations, &ModelKind::Kv, &options)
        .map_err(|e| CliError::Internal(anyhow::anyhow!("generated history: {e}")))?;
    let check_s = start.elapsed().as_secs_f64();
    let steps: u64 = report.partitions.iter().map(|p| p.steps).sum();
    let memo_entries: usize = report.partitions.iter().map(|p| p.memo_entries).sum();
    println!(
        "generated {} ops ({} events) on {} keys from {} processes (seed {}) in {generate_s:.2} s",
        generated.operations.len(),
        2 * generated.operations.len(),
        spec.keys,
        spec.processes,
        spec.seed
    );
    match (args.stale_read, generated.stale_read) {
        (true, Some(id)) => println!("planted a stale read: op {id}"),
        (true, None) => println!("no read qualified for a stale value; none planted"),
        _ => {}
    }
    println!(
        "checked in {check_s:.2} s: {}; {steps} search steps, {memo_entries} memoized states, search memory peak {:.1} MiB",
        report.verdict.as_str(),
        report.memory_bytes_peak as f64 / (1 << 20) as f64
    );
    for p in &report.partitions {
        if let Some(e) = &p.explanation {
            let planted = generated.stale_read == Some(e.failed.id);
            println!(
                "key {}: op {} ({}) cannot be linearized{}",
                p.key.as_deref().unwrap_or("-"),
                e.failed.id,
                e.failed.text,
                if planted {
                    ": the planted stale read"
                } else {
                    ""
                }
            );
        } else if let Some(note) = &p.note {
            println!("key {}: unknown: {note}", p.key.as_deref().unwrap_or("-"));
        }
    }
    match peak_rss_bytes() {
        Some(bytes) => println!(
            "peak resident memory of this process: {:.1} MiB",
            bytes as f64 / (1 << 20) as f64
        ),
        None => println!("peak resident memory: not available on this system"),
    }
    Ok(Exit::from(report.verdict))
}

fn write_jsonl(
    history: &faultline_checker::history::History,
    path: &PathBuf,
) -> Result<(), CliError> {
    let fail = |e: &dyn std::fmt::Display| {
        CliError::bad_input(format_args!("--write {}: {e}", path.display()))
    };
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    jsonl::write(history, BufWriter::new(file)).map_err(|e| fail(&e))?;
    Ok(())
}

/// The process's peak resident set size (`VmHWM` in `/proc/self/status`),
/// where the system reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
