//! A run's fault plan: the schedule a run carries out (its given
//! [`ExplicitPlan`], or one drawn from its seed and nemesis settings), and
//! reading a plan from a file or a run directory (`faultline run --plan`),
//! with errors that name the file, the line and the action.

use std::path::Path;

use faultline_nemesis::explicit::{ExplicitPlan, PlanError, PlanOrigin};
use faultline_nemesis::plan::Magnitudes;
use faultline_nemesis::schedule::{Schedule, ScheduleConfig};
use faultline_raft::NodeId;

use super::config::RunConfig;
use super::sim::{sub_seed, SimError};
use crate::store;

/// The schedule `config` carries out on `nodes`, with its plan as data:
/// the given plan, or the draw from the seed's nemesis stream.
pub(crate) fn schedule(
    config: &RunConfig,
    nodes: &[NodeId],
) -> Result<(Schedule, ExplicitPlan), SimError> {
    let magnitudes = Magnitudes {
        drift_rate_ppm_max: drift_rate_ppm_max(config),
        ..Magnitudes::default()
    };
    let time_limit_ms = config.time_limit_s * 1000;
    if let Some(plan) = &config.fault_plan {
        let schedule = plan
            .to_schedule(nodes, &magnitudes, time_limit_ms)
            .map_err(|e| SimError::Config(format!("fault plan: {e}")))?;
        return Ok((schedule, plan.clone()));
    }
    let schedule = Schedule::plan(
        sub_seed(config.seed, 3),
        &ScheduleConfig {
            kinds: config.nemesis.clone(),
            interval_ms: config.nemesis_interval_ms,
            overlap: config.nemesis_overlap,
            time_limit_ms,
            targets: config.nemesis_targets.clone(),
            interval_jitter: config.nemesis_interval_jitter,
            magnitudes,
        },
        nodes,
    )
    .map_err(|e| SimError::Config(format!("nemesis: {e}")))?;
    let plan = ExplicitPlan::from_schedule(&schedule, time_limit_ms);
    Ok((schedule, plan))
}

/// The bounded clock drift (`clock-drift`) a run allows: each clock within
/// `±(D - 2 tick) / (2 T)` of true time, for the lease's drift allowance `D`
/// and the base election timeout `T`. A correct lease (`T - D` ticks of the
/// leader's clock) then still ends before any follower's `T` ticks can run
/// out, even with the leader's clock at the slowest rate and a follower's
/// at the fastest, and a tick lost to each side's tick phase; a lease that
/// ignores `D` does not.
pub(crate) fn drift_rate_ppm_max(config: &RunConfig) -> u64 {
    let allowance_ms = config.lease_drift_ms.saturating_sub(2 * config.sim.tick_ms);
    allowance_ms * 1_000_000 / (2 * config.election_timeout_ms.max(1))
}

/// A plan read from `path` (`--plan`): a plan file (`{"actions": [...]}`,
/// the schema of `config.json`'s `fault_plan`), a `config.json`, or a run
/// directory (its `config.json`'s plan). The plan counts as given: only it
/// reproduces the run. Errors name the file, and the line where there is one.
pub fn read_plan(path: &Path) -> Result<ExplicitPlan, String> {
    let (file, from_config) = if path.is_dir() {
        (path.join(store::CONFIG_JSON), true)
    } else {
        let text = read(path)?;
        let is_config = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .is_some_and(|v| v.get("seed").is_some());
        (path.to_path_buf(), is_config)
    };
    let mut plan = if from_config {
        let config: RunConfig = store::read::read_json(&file).map_err(|e| e.to_string())?;
        config.fault_plan.ok_or_else(|| {
            format!(
                "{}: has no fault_plan (it was written before runs stored their plan; \
                 `faultline replay` reruns it)",
                file.display()
            )
        })?
    } else {
        store::read::read_json::<ExplicitPlan>(&file).map_err(|e| e.to_string())?
    };
    plan.origin = PlanOrigin::Given;
    Ok(plan)
}

/// Checks `plan` (read from `path`) against the run's cluster size and
/// time limit; an error names the file and the line of the action.
pub fn check_plan(
    plan: &ExplicitPlan,
    path: &Path,
    nodes_count: usize,
    time_limit_ms: u64,
) -> Result<(), String> {
    match plan.validate(nodes_count, time_limit_ms) {
        Ok(()) => Ok(()),
        Err(PlanError::Action { index, reason }) => {
            let file = if path.is_dir() {
                path.join(store::CONFIG_JSON)
            } else {
                path.to_path_buf()
            };
            let line = read(&file)
                .ok()
                .and_then(|text| action_line(&text, index))
                .map_or(String::new(), |l| format!(":{l}"));
            Err(format!(
                "{}{line}: fault_plan.actions[{index}]: {reason}",
                file.display()
            ))
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// The 1-based line of the `index`-th action's `"start_ms"` (every action
/// has exactly one) after the plan's `"actions"` key.
fn action_line(text: &str, index: usize) -> Option<usize> {
    let from = text.find("\"actions\"")?;
    let (offset, _) = text[from..].match_indices("\"start_ms\"").nth(index)?;
    Some(text[..from + offset].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_is_found_by_its_position_in_the_file() {
        let text = "{\n  \"actions\": [\n    {\"start_ms\": 1, \"kind\": \"kill\"},\n    {\n      \"start_ms\": 2,\n      \"kind\": \"kill\"}\n  ]\n}\n";
        assert_eq!(action_line(text, 0), Some(3));
        assert_eq!(action_line(text, 1), Some(5));
        assert_eq!(action_line(text, 2), None);
    }
}
