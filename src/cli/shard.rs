//! `suite --shard I/N`: the I-th of N disjoint, deterministic slices of a
//! seed set, so a CI matrix or a Kubernetes Indexed Job spreads one suite
//! over many machines and `faultline merge` puts it back together.
//!
//! Seeds are dealt out in turn (interleaved): shard I takes the seeds at
//! positions I-1, I-1+N, I-1+2N, ... of the list, so every seed is in
//! exactly one shard and the shards take about equal time even when seed
//! cost drifts along the list. The index is 1-based on the command line
//! (`--shard 1/4` … `--shard 4/4`, as a CI matrix writes it). `--shard
//! auto/N` takes the index from the engine's environment: Kubernetes
//! Indexed Jobs' `JOB_COMPLETION_INDEX` (0-based), or GitLab's
//! `CI_NODE_INDEX` (1-based); `--shard auto` alone also takes N from
//! GitLab's `CI_NODE_TOTAL`. The shard says where its index came from.

use serde::{Deserialize, Serialize};

/// The most shards one suite may be cut into.
const SHARDS_MAX: u64 = 100_000;

/// One shard of a suite: which slice, of how many, and where that was
/// read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based: 1 to `count`.
    pub index: u64,
    /// How many shards the suite is cut into.
    pub count: u64,
    /// Where the index came from: `--shard 2/4`, `JOB_COMPLETION_INDEX=1`,
    /// `CI_NODE_INDEX=2, CI_NODE_TOTAL=4`.
    pub source: String,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} (from {})", self.index, self.count, self.source)
    }
}

/// Parses `--shard` (`I/N`, `auto/N` or `auto`); `env` reads an
/// environment variable. Errors say what is wrong, without the flag.
pub fn parse(arg: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
    let number = |what: &str, s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("{what} {s:?} in {arg:?} is not a whole number"))
    };
    let (index_part, count) = match arg.trim().split_once('/') {
        Some((i, n)) => (i.trim(), Some(number("the shard count", n)?)),
        None if arg.trim() == "auto" => ("auto", None),
        None => return Err(format!("{arg:?} is not I/N (e.g. 2/4), auto/N or auto")),
    };
    let shard = if index_part == "auto" {
        from_env(count, env)?
    } else {
        let count = count.unwrap_or(0);
        Shard {
            index: number("the shard index", index_part)?,
            count,
            source: format!("--shard {arg}"),
        }
    };
    if !(1..=SHARDS_MAX).contains(&shard.count) {
        return Err(format!(
            "the shard count must be between 1 and {SHARDS_MAX} (got {})",
            shard.count
        ));
    }
    if !(1..=shard.count).contains(&shard.index) {
        return Err(format!(
            "shard {} of {} does not exist: shards are numbered 1 to {} (from {})",
            shard.index, shard.count, shard.count, shard.source
        ));
    }
    Ok(shard)
}

/// The index (and, for `auto`, the count) from a CI engine's environment.
fn from_env(count: Option<u64>, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
    let read = |name: &str| -> Result<Option<u64>, String> {
        match env(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("{name}={v:?} is not a whole number")),
        }
    };
    match count {
        Some(count) => {
            if let Some(i) = read("JOB_COMPLETION_INDEX")? {
                return Ok(Shard {
                    index: i + 1,
                    count,
                    source: format!("JOB_COMPLETION_INDEX={i}"),
                });
            }
            if let Some(i) = read("CI_NODE_INDEX")? {
                return Ok(Shard {
                    index: i,
                    count,
                    source: format!("CI_NODE_INDEX={i}"),
                });
            }
            Err(
                "auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor \
                 CI_NODE_INDEX (GitLab parallel) is set; give the index, e.g. --shard 2/4"
                    .into(),
            )
        }
        None => match (read("CI_NODE_INDEX")?, read("CI_NODE_TOTAL")?) {
            (Some(index), Some(count)) => Ok(Shard {
                index,
                count,
                source: format!("CI_NODE_INDEX={index}, CI_NODE_TOTAL={count}"),
            }),
            _ => Err(
                "auto without a count needs CI_NODE_INDEX and CI_NODE_TOTAL \
                      (GitLab parallel); elsewhere give the count, e.g. --shard auto/4"
                    .into(),
            ),
        },
    }
}

/// The seeds of `shard`: every `count`-th seed of `seeds`, starting at
/// position `index - 1`.
pub fn slice(seeds: &[u64], shard: &Shard) -> Vec<u64> {
    seeds
        .iter()
        .skip((shard.index - 1) as usize)
        .step_by(shard.count as usize)
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn shards_are_disjoint_interleaved_and_cover_every_seed() {
        let seeds: Vec<u64> = (1..=10).collect();
        let mut all = Vec::new();
        for i in 1..=4 {
            let shard = parse(&format!("{i}/4"), &no_env).unwrap();
            let part = slice(&seeds, &shard);
            all.extend(part.clone());
            if i == 1 {
                assert_eq!(part, [1, 5, 9]);
            }
            if i == 4 {
                assert_eq!(part, [4, 8]);
            }
        }
        all.sort();
        assert_eq!(all, seeds);
        assert_eq!(slice(&seeds, &parse("1/1", &no_env).unwrap()), seeds);
    }

    #[test]
    fn the_index_comes_from_the_flag_or_the_engines_environment() {
        let k8s = |name: &str| (name == "JOB_COMPLETION_INDEX").then(|| "0".to_string());
        let s = parse("auto/4", &k8s).unwrap();
        assert_eq!((s.index, s.count), (1, 4));
        assert_eq!(s.source, "JOB_COMPLETION_INDEX=0");
        let gitlab = |name: &str| match name {
            "CI_NODE_INDEX" => Some("3".to_string()),
            "CI_NODE_TOTAL" => Some("5".to_string()),
            _ => None,
        };
        let s = parse("auto", &gitlab).unwrap();
        assert_eq!((s.index, s.count), (3, 5));
        assert_eq!(s.source, "CI_NODE_INDEX=3, CI_NODE_TOTAL=5");
        let s = parse("2/4", &k8s).unwrap();
        assert_eq!(s.to_string(), "2/4 (from --shard 2/4)");
    }

    #[test]
    fn bad_shards_say_what_is_wrong() {
        let k8s_past_end = |name: &str| (name == "JOB_COMPLETION_INDEX").then(|| "4".to_string());
        for (arg, env, needle) in [
            (
                "0/4",
                &no_env as &dyn Fn(&str) -> Option<String>,
                "numbered 1 to 4",
            ),
            ("5/4", &no_env, "does not exist"),
            ("1/0", &no_env, "between 1 and"),
            ("x/4", &no_env, "not a whole number"),
            ("2", &no_env, "not I/N"),
            ("auto/4", &no_env, "JOB_COMPLETION_INDEX"),
            ("auto", &no_env, "CI_NODE_TOTAL"),
            ("auto/4", &k8s_past_end, "JOB_COMPLETION_INDEX=4"),
        ] {
            let err = parse(arg, env).unwrap_err();
            assert!(err.contains(needle), "{arg}: {err}");
        }
    }
}
