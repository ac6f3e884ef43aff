//! Alarms through the engine's public API with a manual clock: evaluation on sliding buckets
//! through the query path, transitions, reasons, history, actions handed out once per
//! transition, restarts (clean and simulated power loss) keeping definitions, state, history and
//! pending actions, composite alarms with suppression, and validation.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stratus_engine::durable::CrashMode;
use stratus_engine::{
    ActionOutcome, ActionRequest, AlarmState, CompositeAlarmInput, DatumValue, DescribeAlarmHistory, DescribeAlarms,
    DescribeAlarmsForMetric, Engine, EngineConfig, Error, FileSystem, HistoryItemType, InvalidCode, ManualClock,
    MetricAlarmInput, MetricKey, Resolution, SimFs, Tenant, Unit,
};

/// A whole minute, recent enough for every tier.
const T0: i64 = 1_900_000_020_000; // 31,666,667 whole minutes
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ops";

fn config() -> EngineConfig {
    EngineConfig {
        shards: 1,
        maintenance_interval: Duration::from_secs(3600),
        alarm_scheduler: false,
        ..EngineConfig::default()
    }
}

fn open(fs: &Arc<SimFs>, clock: &Arc<ManualClock>) -> Engine {
    Engine::open_with(
        Arc::clone(fs) as Arc<dyn FileSystem>,
        Arc::clone(clock) as Arc<dyn stratus_engine::Clock>,
        Path::new("/data"),
        config(),
    )
    .unwrap()
}

fn put(engine: &Engine, t_ms: i64, v: f64) {
    let mut app = engine.appender(&Tenant::default());
    app.append(
        &MetricKey::new("App", "CPU", vec![]),
        Unit::Percent,
        Resolution::Standard,
        t_ms,
        &DatumValue::Single(v),
    )
    .unwrap();
    app.commit().unwrap().wait().unwrap();
}

fn cpu_alarm(name: &str) -> MetricAlarmInput {
    MetricAlarmInput {
        name: name.into(),
        metric_name: Some("CPU".into()),
        namespace: Some("App".into()),
        statistic: Some("Average".into()),
        period: Some(60),
        evaluation_periods: Some(1),
        threshold: Some(80.0),
        comparison_operator: Some("GreaterThanThreshold".into()),
        alarm_actions: vec![TOPIC.into()],
        ..Default::default()
    }
}

fn ignoring(name: &str) -> MetricAlarmInput {
    MetricAlarmInput { treat_missing_data: Some("ignore".into()), alarm_actions: vec![], ..cpu_alarm(name) }
}

fn state(engine: &Engine, name: &str) -> (AlarmState, String) {
    let d = engine
        .describe_alarms(
            &Tenant::default(),
            &DescribeAlarms {
                names: vec![name.into()],
                alarm_types: vec!["MetricAlarm".into(), "CompositeAlarm".into()],
                ..Default::default()
            },
        )
        .unwrap();
    match (d.metric_alarms.first(), d.composite_alarms.first()) {
        (Some(m), _) => (m.state.value, m.state.reason.clone()),
        (_, Some(c)) => (c.state.value, c.state.reason.clone()),
        _ => panic!("no alarm {name}"),
    }
}

fn drain(engine: &Engine) -> Vec<ActionRequest> {
    engine.alarm_actions().try_iter().collect()
}

fn history(engine: &Engine, name: &str) -> Vec<(HistoryItemType, String)> {
    engine
        .describe_alarm_history(
            &Tenant::default(),
            &DescribeAlarmHistory {
                alarm_name: Some(name.into()),
                alarm_types: vec!["MetricAlarm".into(), "CompositeAlarm".into()],
                ..Default::default()
            },
        )
        .unwrap()
        .items
        .into_iter()
        .map(|h| (h.item_type, h.summary))
        .collect()
}

#[test]
fn a_metric_alarm_fires_once_per_transition_and_survives_restarts() {
    let fs = SimFs::new();
    let clock = Arc::new(ManualClock::new(T0));
    let engine = open(&fs, &clock);
    engine.put_metric_alarm(&Tenant::default(), &cpu_alarm("cpu-high")).unwrap();
    assert_eq!(state(&engine, "cpu-high"), (AlarmState::InsufficientData, "Unchecked: Initial alarm creation".into()));

    // A breaching datapoint in the minute that ends at the next evaluation.
    put(&engine, T0 + 30_000, 95.0);
    clock.set(T0 + 60_000);
    let report = engine.run_alarm_evaluations().unwrap();
    assert_eq!((report.evaluated, report.transitions), (1, 1));
    let (s, reason) = state(&engine, "cpu-high");
    assert_eq!(s, AlarmState::Alarm);
    assert!(reason.starts_with("Threshold Crossed: 1 datapoint [95.0 ("), "{reason}");
    assert!(reason.ends_with(")] was greater than the threshold (80.0)."), "{reason}");
    let actions = drain(&engine);
    assert_eq!(actions.len(), 1);
    let a = &actions[0];
    assert_eq!(
        (a.action_arn.as_str(), a.old_state, a.new_state),
        (TOPIC, AlarmState::InsufficientData, AlarmState::Alarm)
    );
    assert_eq!(a.subject, "ALARM: \"cpu-high\" in us-east-1");
    let message: serde_json::Value = serde_json::from_str(&a.message).unwrap();
    assert_eq!(message["NewStateValue"], "ALARM");
    assert_eq!(message["Trigger"]["MetricName"], "CPU");
    assert_eq!(message["Trigger"]["Threshold"], 80.0);

    // The same evaluation time again, and a later one on the same data in the same state: no
    // transition, no action.
    assert_eq!(engine.run_alarm_evaluations().unwrap().transitions, 0);
    clock.set(T0 + 70_000);
    assert_eq!(engine.run_alarm_evaluations().unwrap().evaluated, 0, "minute alarms wait for the minute");
    assert!(drain(&engine).is_empty());

    // The action is reported; a restart neither repeats the transition nor the action.
    engine.complete_action(a.id, ActionOutcome::Succeeded(format!("Successfully executed action {TOPIC}"))).unwrap();
    engine.close().unwrap();
    drop(engine);
    let engine = open(&fs, &clock);
    assert_eq!(state(&engine, "cpu-high").0, AlarmState::Alarm);
    clock.set(T0 + 120_000);
    put(&engine, T0 + 61_000, 96.0);
    assert_eq!(engine.run_alarm_evaluations().unwrap().transitions, 0);
    assert!(drain(&engine).is_empty(), "no action fires twice for one transition");

    // Recovery: OK, with no OK actions configured.
    put(&engine, T0 + 150_000, 10.0);
    clock.set(T0 + 180_000);
    assert_eq!(engine.run_alarm_evaluations().unwrap().transitions, 1);
    assert_eq!(state(&engine, "cpu-high").0, AlarmState::Ok);
    assert!(drain(&engine).is_empty());

    let h = history(&engine, "cpu-high");
    let kinds: Vec<HistoryItemType> = h.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            HistoryItemType::StateUpdate,
            HistoryItemType::Action,
            HistoryItemType::StateUpdate,
            HistoryItemType::ConfigurationUpdate
        ],
        "{h:?}"
    );
    assert_eq!(h[0].1, "Alarm updated from ALARM to OK");
    assert_eq!(h[2].1, "Alarm updated from INSUFFICIENT_DATA to ALARM");
    assert_eq!(h[3].1, "Alarm \"cpu-high\" created");
}

#[test]
fn actions_never_completed_are_handed_out_again_after_power_loss() {
    let fs = SimFs::new();
    let clock = Arc::new(ManualClock::new(T0));
    let engine = open(&fs, &clock);
    engine.put_metric_alarm(&Tenant::default(), &cpu_alarm("a")).unwrap();
    engine.put_metric_alarm(&Tenant::default(), &cpu_alarm("b")).unwrap();
    put(&engine, T0 + 30_000, 95.0);
    clock.set(T0 + 60_000);
    assert_eq!(engine.run_alarm_evaluations().unwrap().transitions, 2);
    let sent = drain(&engine);
    assert_eq!(sent.len(), 2);
    let done = sent.iter().find(|a| a.alarm_name == "a").unwrap();
    engine.complete_action(done.id, ActionOutcome::Failed("connection refused".into())).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    drop(engine);

    let engine = open(&fs, &clock);
    assert_eq!(state(&engine, "a").0, AlarmState::Alarm);
    assert_eq!(state(&engine, "b").0, AlarmState::Alarm);
    let again = drain(&engine);
    assert_eq!(again.len(), 1, "only the uncompleted action comes back");
    let pending = sent.iter().find(|a| a.alarm_name == "b").unwrap();
    assert_eq!(&again[0], pending, "same id, same message");
    let h = history(&engine, "a");
    assert_eq!(h[0], (HistoryItemType::Action, "connection refused".into()));
}

#[test]
fn reach_back_and_missing_data_follow_treat_missing_data() {
    let fs = SimFs::new();
    let clock = Arc::new(ManualClock::new(T0));
    let engine = open(&fs, &clock);
    // 2 of 3 with missing: `0 - X - X` (range 5) alarms by reaching back.
    let alarm = MetricAlarmInput {
        evaluation_periods: Some(3),
        datapoints_to_alarm: Some(2),
        alarm_actions: vec![],
        ..cpu_alarm("m-of-n")
    };
    engine.put_metric_alarm(&Tenant::default(), &alarm).unwrap();
    let not_breaching = MetricAlarmInput { treat_missing_data: Some("notBreaching".into()), ..cpu_alarm("nb") };
    engine.put_metric_alarm(&Tenant::default(), &not_breaching).unwrap();
    let end = T0 + 300_000;
    put(&engine, end - 300_000 + 1_000, 10.0);
    put(&engine, end - 180_000 + 1_000, 90.0);
    put(&engine, end - 60_000 + 1_000, 91.0);
    clock.set(end);
    engine.run_alarm_evaluations().unwrap();
    let (s, reason) = state(&engine, "m-of-n");
    assert_eq!(s, AlarmState::Alarm);
    assert!(reason.starts_with("Threshold Crossed: 2 out of the last 3 datapoints [91.0 ("), "{reason}");
    assert!(reason.ends_with("(minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition)."), "{reason}");
    // Data stops: the single-period alarm keeps reaching back to its last real datapoint while
    // one is in its range (3 buckets), then notBreaching fills the empty range → OK.
    clock.set(end + 120_000);
    engine.run_alarm_evaluations().unwrap();
    assert_eq!(state(&engine, "nb").0, AlarmState::Alarm);
    clock.set(end + 180_000);
    engine.run_alarm_evaluations().unwrap();
    let (s, reason) = state(&engine, "nb");
    assert_eq!(s, AlarmState::Ok);
    assert_eq!(
        reason,
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching]."
    );
    // After the whole range is empty, `missing` goes to INSUFFICIENT_DATA.
    clock.set(end + 600_000);
    engine.run_alarm_evaluations().unwrap();
    assert_eq!(
        state(&engine, "m-of-n"),
        (AlarmState::InsufficientData, "Insufficient Data: 3 datapoints were unknown.".into())
    );
}

#[test]
fn composite_alarms_follow_their_children_and_suppression_holds_actions() {
    let fs = SimFs::new();
    let clock = Arc::new(ManualClock::new(T0));
    let engine = open(&fs, &clock);
    let t = Tenant::default();
    engine.put_metric_alarm(&t, &ignoring("child")).unwrap();
    engine.put_metric_alarm(&t, &ignoring("maintenance")).unwrap();
    let composite = CompositeAlarmInput {
        name: "service".into(),
        alarm_rule: "ALARM(child) AND NOT ALARM(\"arn:aws:cloudwatch:us-east-1:123456789012:alarm:nothing-here\")"
            .into(),
        ..Default::default()
    };
    // A reference to a missing alarm is refused, naming it.
    match engine.put_composite_alarm(&t, &composite) {
        Err(Error::InvalidArgument { code: InvalidCode::ValidationError, message }) => {
            assert!(message.contains("nothing-here"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // A syntax error names the position.
    let bad = CompositeAlarmInput { alarm_rule: "ALARM(child) AND".into(), ..composite.clone() };
    match engine.put_composite_alarm(&t, &bad) {
        Err(Error::InvalidArgument { code: InvalidCode::ValidationError, message }) => {
            assert!(message.starts_with("Error in AlarmRule ["), "{message}");
            assert!(message.contains("at char 16"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let composite = CompositeAlarmInput {
        alarm_rule: "ALARM(child)".into(),
        alarm_actions: vec![TOPIC.into()],
        ok_actions: vec![TOPIC.into()],
        actions_suppressor: Some("maintenance".into()),
        actions_suppressor_wait_period: Some(60),
        actions_suppressor_extension_period: Some(120),
        ..composite
    };
    engine.put_composite_alarm(&t, &composite).unwrap();
    // Evaluated at once: the rule is false → OK (composites never return to INSUFFICIENT_DATA).
    assert_eq!(state(&engine, "service").0, AlarmState::Ok);
    drain(&engine);

    // The child alarms: the composite goes to ALARM and waits WaitPeriod before acting.
    engine.set_alarm_state(&t, "child", "ALARM", "test", None).unwrap();
    let (s, reason) = state(&engine, "service");
    assert_eq!(s, AlarmState::Alarm);
    assert!(
        reason.starts_with("arn:aws:cloudwatch:us-east-1:123456789012:alarm:child transitioned to ALARM at "),
        "{reason}"
    );
    let d = engine
        .describe_alarms(&t, &DescribeAlarms { alarm_types: vec!["CompositeAlarm".into()], ..Default::default() })
        .unwrap();
    assert_eq!(d.composite_alarms[0].actions_suppressed_by.as_deref(), Some("WaitPeriod"));
    assert!(drain(&engine).is_empty());
    clock.set(T0 + 70_000);
    let r = engine.run_alarm_evaluations().unwrap();
    assert_eq!(r.suppressions_ended, 1);
    let acted = drain(&engine);
    assert_eq!(acted.len(), 1);
    assert_eq!(acted[0].new_state, AlarmState::Alarm);

    // The suppressor alarms, the child recovers: the OK actions are held while it is in ALARM,
    // then for ExtensionPeriod after it leaves, then run.
    engine.set_alarm_state(&t, "maintenance", "ALARM", "deploying", None).unwrap();
    engine.set_alarm_state(&t, "child", "OK", "test", None).unwrap();
    assert_eq!(state(&engine, "service").0, AlarmState::Ok);
    let d = engine
        .describe_alarms(&t, &DescribeAlarms { alarm_types: vec!["CompositeAlarm".into()], ..Default::default() })
        .unwrap();
    assert_eq!(d.composite_alarms[0].actions_suppressed_by.as_deref(), Some("Alarm"));
    engine.set_alarm_state(&t, "maintenance", "OK", "done", None).unwrap();
    clock.set(T0 + 130_000);
    engine.run_alarm_evaluations().unwrap();
    assert!(drain(&engine).is_empty(), "extension period still running");
    clock.set(T0 + 200_000);
    engine.run_alarm_evaluations().unwrap();
    let acted = drain(&engine);
    assert_eq!(acted.len(), 1);
    assert_eq!((acted[0].old_state, acted[0].new_state), (AlarmState::Alarm, AlarmState::Ok));

    // Families.
    let children = engine
        .describe_alarms(&t, &DescribeAlarms { children_of: Some("service".into()), ..Default::default() })
        .unwrap();
    assert_eq!(children.metric_alarms.iter().map(|m| m.config.name.as_str()).collect::<Vec<_>>(), ["child"]);
    let parents =
        engine.describe_alarms(&t, &DescribeAlarms { parents_of: Some("child".into()), ..Default::default() }).unwrap();
    assert_eq!(parents.composite_alarms.len(), 1);

    // A composite referenced by another composite cannot be deleted; a cycle stops evaluation.
    let outer = CompositeAlarmInput { name: "outer".into(), alarm_rule: "ALARM(service)".into(), ..Default::default() };
    engine.put_composite_alarm(&t, &outer).unwrap();
    assert!(matches!(
        engine.delete_alarms(&t, &["service".into()]),
        Err(Error::InvalidArgument { code: InvalidCode::ValidationError, .. })
    ));
    let cyclic = CompositeAlarmInput { alarm_rule: "ALARM(child) OR ALARM(outer)".into(), ..composite.clone() };
    engine.put_composite_alarm(&t, &cyclic).unwrap();
    engine.set_alarm_state(&t, "child", "ALARM", "again", None).unwrap();
    assert_eq!(state(&engine, "outer").0, AlarmState::Alarm);
    // Both deleted together is fine.
    engine.delete_alarms(&t, &["service".into(), "outer".into()]).unwrap();
    assert!(history(&engine, "outer").iter().any(|(_, s)| s == "Alarm \"outer\" deleted"));
}

#[test]
fn validation_describe_filters_and_paging() {
    let fs = SimFs::new();
    let clock = Arc::new(ManualClock::new(T0));
    let engine = open(&fs, &clock);
    let t = Tenant::default();
    let err = |r: stratus_engine::Result<()>| match r {
        Err(Error::InvalidArgument { code, message }) => (code, message),
        other => panic!("{other:?}"),
    };
    let (code, message) = err(engine.put_metric_alarm(&t, &MetricAlarmInput { period: Some(45), ..cpu_alarm("x") }));
    assert_eq!(code, InvalidCode::InvalidParameterValue);
    assert!(message.contains("Period"), "{message}");
    let (code, _) = err(
        engine.put_metric_alarm(&t, &MetricAlarmInput { extended_statistic: Some("p99".into()), ..cpu_alarm("x") })
    );
    assert_eq!(code, InvalidCode::InvalidParameterCombination);
    let (code, message) = err(engine.set_alarm_state(&t, "x", "BROKEN", "r", None));
    assert_eq!(code, InvalidCode::ValidationError);
    assert!(message.contains("stateValue"), "{message}");
    assert!(matches!(engine.set_alarm_state(&t, "nope", "OK", "r", None), Err(Error::NotFound { .. })));
    engine.put_metric_alarm(&t, &cpu_alarm("x")).unwrap();
    let (code, _) = err(engine.set_alarm_state(&t, "x", "OK", "r", Some("{not json")));
    assert_eq!(code, InvalidCode::InvalidFormat);

    for i in 0..7 {
        let mut a = cpu_alarm(&format!("page-{i}"));
        a.dimensions = vec![stratus_engine::Dimension { name: "Host".into(), value: format!("h{}", i % 2) }];
        engine.put_metric_alarm(&t, &a).unwrap();
    }
    let mut names = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let page = engine
            .describe_alarms(
                &t,
                &DescribeAlarms {
                    name_prefix: Some("page-".into()),
                    max_records: Some(3),
                    next_token: token.clone(),
                    ..Default::default()
                },
            )
            .unwrap();
        names.extend(page.metric_alarms.into_iter().map(|m| m.config.name));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, (0..7).map(|i| format!("page-{i}")).collect::<Vec<_>>());
    let for_metric = engine
        .describe_alarms_for_metric(
            &t,
            &DescribeAlarmsForMetric {
                namespace: "App".into(),
                metric_name: "CPU".into(),
                dimensions: vec![stratus_engine::Dimension { name: "Host".into(), value: "h1".into() }],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(for_metric.iter().map(|m| m.config.name.as_str()).collect::<Vec<_>>(), ["page-1", "page-3", "page-5"]);
    // Another region sees nothing.
    let other = Tenant::new("123456789012", "eu-west-1");
    assert!(engine.describe_alarms(&other, &DescribeAlarms::default()).unwrap().metric_alarms.is_empty());
    // Tags.
    engine.tag_alarm(&t, "x", &[("team".into(), "core".into())]).unwrap();
    assert_eq!(engine.alarm_tags(&t, "x").unwrap(), vec![("team".to_string(), "core".to_string())]);
    engine.untag_alarm(&t, "x", &["team".into()]).unwrap();
    assert!(engine.alarm_tags(&t, "x").unwrap().is_empty());
    // Updates keep the state and replace the configuration.
    engine.set_alarm_state(&t, "x", "ALARM", "manual", None).unwrap();
    engine.put_metric_alarm(&t, &MetricAlarmInput { threshold: Some(50.0), ..cpu_alarm("x") }).unwrap();
    let d = engine.describe_alarms(&t, &DescribeAlarms { names: vec!["x".into()], ..Default::default() }).unwrap();
    assert_eq!(d.metric_alarms[0].state.value, AlarmState::Alarm);
    assert_eq!(d.metric_alarms[0].config.threshold, Some(50.0));
}
