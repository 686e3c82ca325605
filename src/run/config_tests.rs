//! Tests of the run configuration: defaults, ranges, loading older files.

use super::*;

#[test]
fn the_defaults_are_valid_and_round_trip_through_json() {
    let c = RunConfig::with_seed(7);
    c.validate().unwrap();
    let text = serde_json::to_string(&c).unwrap();
    assert!(text.contains("\"sim\""), "{text}");
    let back: RunConfig = serde_json::from_str(&text).unwrap();
    assert_eq!(back, c);
}

#[test]
fn a_config_written_before_the_sim_settings_loads_with_their_defaults() {
    let mut v = serde_json::to_value(RunConfig::with_seed(3)).unwrap();
    v.as_object_mut().unwrap().remove("sim");
    let c: RunConfig = serde_json::from_value(v).unwrap();
    assert_eq!(c.sim, SimSettings::default());
    // So does one written before the batch limit was a run knob.
    let mut v = serde_json::to_value(RunConfig::with_seed(3)).unwrap();
    v.as_object_mut().unwrap().remove("entries_per_message_max");
    let c: RunConfig = serde_json::from_value(v).unwrap();
    assert_eq!(c.entries_per_message_max, 64);
}

#[test]
fn every_range_is_checked_and_names_its_field() {
    type Spoil = Box<dyn Fn(&mut RunConfig)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("nodes", Box::new(|c| c.nodes = 0)),
        ("nodes", Box::new(|c| c.nodes = 10)),
        ("nemesis", Box::new(|c| c.nodes = 2)),
        ("nemesis_targets", Box::new(|c| c.nemesis_targets.clear())),
        (
            "nemesis_interval_ms",
            Box::new(|c| c.nemesis_interval_ms = 99),
        ),
        ("nemesis_overlap", Box::new(|c| c.nemesis_overlap = 7)),
        ("concurrency", Box::new(|c| c.concurrency = 0)),
        ("rate_per_s", Box::new(|c| c.rate_per_s = f64::NAN)),
        ("rate_per_s", Box::new(|c| c.rate_per_s = 0.0)),
        ("time_limit_s", Box::new(|c| c.time_limit_s = 0)),
        ("quiet_s", Box::new(|c| c.quiet_s = 3601)),
        ("op_timeout_ms", Box::new(|c| c.op_timeout_ms = 9)),
        (
            "snapshot_every_entries",
            Box::new(|c| c.snapshot_every_entries = 0),
        ),
        ("test_name", Box::new(|c| c.test_name = "a/b".into())),
        (
            "entries_per_message_max",
            Box::new(|c| c.entries_per_message_max = 0),
        ),
        ("sim.step_ms", Box::new(|c| c.sim.step_ms = 0)),
        ("sim.tick_ms", Box::new(|c| c.sim.tick_ms = 0)),
        ("sim.latency_ms_max", Box::new(|c| c.sim.latency_ms_max = 0)),
        ("sim.sim_slack_s", Box::new(|c| c.sim.sim_slack_s = 1)),
    ];
    for (field, spoil) in cases {
        let mut c = RunConfig::with_seed(1);
        spoil(&mut c);
        let err = c.validate().expect_err(field);
        assert_eq!(err.field, field, "{err}");
        assert!(err.to_string().starts_with(field), "{err}");
    }
}

#[test]
fn unknown_fields_are_refused() {
    let mut v = serde_json::to_value(RunConfig::with_seed(3)).unwrap();
    v["sim"]["warp"] = serde_json::json!(9);
    let err = serde_json::from_value::<RunConfig>(v).unwrap_err();
    assert!(err.to_string().contains("warp"), "{err}");
}

#[test]
fn a_config_written_before_fault_plans_loads_and_draws_its_plan() {
    let mut v = serde_json::to_value(RunConfig::with_seed(3)).unwrap();
    assert!(
        v.get("fault_plan").is_none(),
        "absent until a run draws one"
    );
    v.as_object_mut().unwrap().remove("shrunk_from");
    let c: RunConfig = serde_json::from_value(v).unwrap();
    assert_eq!(c.fault_plan, None);
    assert!(!c.plan_is_given());
}

#[test]
fn a_drawn_plan_belongs_to_its_seed_and_a_given_one_to_every_seed() {
    use faultline_nemesis::explicit::{ExplicitPlan, PlanOrigin};
    let mut c = RunConfig::with_seed(3);
    c.fault_plan = Some(ExplicitPlan {
        origin: PlanOrigin::Drawn,
        actions: Vec::new(),
    });
    assert_eq!(c.for_seed(4).fault_plan, None);
    let dir = std::path::Path::new("store/kv/x-s3");
    assert_eq!(c.replay_command_in(dir), c.replay_command());
    c.fault_plan.as_mut().unwrap().origin = PlanOrigin::Given;
    assert!(c.for_seed(4).fault_plan.is_some());
    assert!(c.replay_command_in(dir).ends_with(" --plan store/kv/x-s3"));
}
