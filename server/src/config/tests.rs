use std::collections::HashMap;
use std::io::Write as _;

use clap::Parser;

use super::*;

/// `stratus serve` flags parsed the way the binary parses them.
#[derive(Debug, Parser)]
struct TestCli {
    #[command(flatten)]
    args: ServeArgs,
}

fn flags(list: &[&str]) -> ServeArgs {
    let mut argv = vec!["serve"];
    argv.extend_from_slice(list);
    TestCli::try_parse_from(argv).expect("flags parse").args
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |k| map.get(k).cloned()
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
    f.write_all(text.as_bytes()).expect("write config");
    f
}

#[test]
fn defaults_without_any_source() {
    let c = ServerConfig::from_sources(&ServeArgs::default(), env_of(&[])).unwrap();
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert_eq!(c.grpc_addr.to_string(), "127.0.0.1:50051");
    assert_eq!(c.http_addr.to_string(), "127.0.0.1:8080");
    assert_eq!(c.default_tenant, Tenant::new("123456789012", "us-east-1"));
    assert_eq!(c.grpc_max_message_bytes, 64 << 20);
    assert_eq!(c.engine.shards, EngineConfig::default().shards);
}

#[test]
fn file_then_env_then_flags() {
    let file = config_file(
        r#"
        data_dir = "/from/file"
        grpc_addr = "127.0.0.1:1001"
        http_addr = "127.0.0.1:1002"
        shards = 3
        account = "111111111111"
        region = "eu-west-1"
        durability = "interval:250ms"
        raw_retention = "forever"
        head_max_samples = 1000
        head_max_age = "10m"
        "#,
    );
    let path = file.path().to_str().unwrap();

    // File alone.
    let c = ServerConfig::from_sources(&flags(&["--config", path]), env_of(&[])).unwrap();
    assert_eq!(c.data_dir, PathBuf::from("/from/file"));
    assert_eq!(c.grpc_addr.port(), 1001);
    assert_eq!(c.http_addr.port(), 1002);
    assert_eq!(c.engine.shards, 3);
    assert_eq!(c.default_tenant, Tenant::new("111111111111", "eu-west-1"));
    assert!(matches!(c.engine.durability, Durability::Interval(d) if d == Duration::from_millis(250)));
    assert_eq!(c.engine.raw_retention, None);
    assert_eq!(c.engine.head_max_samples, 1000);
    assert_eq!(c.engine.head_max_age, Duration::from_secs(600));

    // Env beats file; the config file may itself come from the environment.
    let env = env_of(&[
        ("STRATUS_CONFIG", path),
        ("STRATUS_GRPC_ADDR", "127.0.0.1:2001"),
        ("STRATUS_SHARDS", "5"),
        ("STRATUS_DURABILITY", "none"),
        ("STRATUS_RAW_RETENTION", "20days"),
        ("STRATUS_HTTP_ADDR", ""), // empty = unset
    ]);
    let c = ServerConfig::from_sources(&ServeArgs::default(), &env).unwrap();
    assert_eq!(c.grpc_addr.port(), 2001);
    assert_eq!(c.http_addr.port(), 1002);
    assert_eq!(c.engine.shards, 5);
    assert!(matches!(c.engine.durability, Durability::None));
    assert_eq!(c.engine.raw_retention, Some(Duration::from_secs(20 * 86_400)));
    assert_eq!(c.data_dir, PathBuf::from("/from/file"));

    // Flags beat env.
    let c = ServerConfig::from_sources(
        &flags(&["--grpc-addr", "127.0.0.1:0", "--durability", "sync", "--data-dir", "/from/flag", "--shards", "0"]),
        &env,
    )
    .unwrap();
    assert_eq!(c.grpc_addr.port(), 0);
    assert!(matches!(c.engine.durability, Durability::Sync));
    assert_eq!(c.data_dir, PathBuf::from("/from/flag"));
    assert_eq!(c.engine.shards, 0);
    assert_eq!(c.engine.raw_retention, Some(Duration::from_secs(20 * 86_400)));
}

#[test]
fn unknown_file_key_is_rejected() {
    let file = config_file("data_dir = \"x\"\ngrpc_adr = \"127.0.0.1:1\"\n");
    let err =
        ServerConfig::from_sources(&flags(&["--config", file.path().to_str().unwrap()]), env_of(&[])).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("grpc_adr"), "{msg}");
}

#[test]
fn wrong_type_in_file_is_rejected() {
    let file = config_file("shards = \"four\"\n");
    let err =
        ServerConfig::from_sources(&flags(&["--config", file.path().to_str().unwrap()]), env_of(&[])).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
    assert!(err.to_string().contains("shards"), "{err}");
}

#[test]
fn missing_file_is_rejected() {
    let err = ServerConfig::from_sources(&flags(&["--config", "/nonexistent/stratus.toml"]), env_of(&[])).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/stratus.toml"), "{err}");
}

#[test]
fn bad_values_name_key_and_origin() {
    let file = config_file("grpc_addr = \"localhost\"\n");
    let err =
        ServerConfig::from_sources(&flags(&["--config", file.path().to_str().unwrap()]), env_of(&[])).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("grpc_addr") && msg.contains("config file") && msg.contains("localhost"), "{msg}");

    // A bad lower layer is rejected even when a flag overrides it.
    let err = ServerConfig::from_sources(
        &flags(&["--config", file.path().to_str().unwrap(), "--grpc-addr", "127.0.0.1:0"]),
        env_of(&[]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("grpc_addr"), "{err}");

    let cases: &[(&str, &str, &str)] = &[
        ("STRATUS_HTTP_ADDR", "nope:80", "http_addr"),
        ("STRATUS_DURABILITY", "sometimes", "durability"),
        ("STRATUS_DURABILITY", "interval:", "durability"),
        ("STRATUS_DURABILITY", "interval:0s", "durability"),
        ("STRATUS_SHARDS", "-1", "shards"),
        ("STRATUS_SHARDS", "100000", "shards"),
        ("STRATUS_RAW_RETENTION", "never", "raw_retention"),
        ("STRATUS_HEAD_MAX_SAMPLES", "0", "head_max_samples"),
        ("STRATUS_HEAD_MAX_AGE", "soon", "head_max_age"),
        ("STRATUS_ACCOUNT", "a b", "account"),
        ("STRATUS_COMPACT_MIN_BLOCKS", "1", "compact_min_blocks"),
        ("STRATUS_GRPC_MAX_MESSAGE_BYTES", "10", "grpc_max_message_bytes"),
    ];
    for (var, value, key) in cases {
        let err = ServerConfig::from_sources(&ServeArgs::default(), env_of(&[(var, value)])).unwrap_err();
        match &err {
            ConfigError::Invalid { key: k, origin, .. } => {
                assert_eq!(k, key, "{var}={value}");
                assert_eq!(origin, &format!("environment variable {var}"));
            }
            other => panic!("{var}={value}: {other:?}"),
        }
    }
}

#[test]
fn bad_flags_are_rejected_by_the_parser() {
    for argv in [
        &["serve", "--grpc-addr", "300.0.0.1:80"][..],
        &["serve", "--durability", "fast"],
        &["serve", "--shards", "x"],
        &["serve", "--raw-retention", "-1"],
        &["serve", "--data-dir", ""],
        &["serve", "--no-such-flag"],
    ] {
        assert!(TestCli::try_parse_from(argv).is_err(), "{argv:?} parsed");
    }
}

#[test]
fn every_key_is_a_file_key_and_an_env_var() {
    let all = KEYS
        .iter()
        .map(|k| match *k {
            "shards" | "head_max_samples" | "head_max_bytes" | "compact_min_blocks" | "max_pending_samples" => {
                format!("{k} = 4\n")
            }
            "wal_segment_bytes" => format!("{k} = 65536\n"),
            "grpc_max_message_bytes" => format!("{k} = 1048576\n"),
            "grpc_addr" | "http_addr" => format!("{k} = \"127.0.0.1:0\"\n"),
            "durability" => format!("{k} = \"sync\"\n"),
            "raw_retention" => format!("{k} = \"20days\"\n"),
            "five_minute_retention" => format!("{k} = \"forever\"\n"),
            "one_hour_retention" => format!("{k} = \"400d\"\n"),
            "head_max_age" | "drain_timeout" | "maintenance_interval" | "auth_max_skew" => format!("{k} = \"1h\"\n"),
            "credentials" => format!("{k} = [\"AKIDEXAMPLE:secret:111122223333\"]\n"),
            "insecure_no_auth" => format!("{k} = false\n"),
            _ => format!("{k} = \"x\"\n"),
        })
        .collect::<String>();
    let file = config_file(&all);
    ServerConfig::from_sources(&flags(&["--config", file.path().to_str().unwrap()]), env_of(&[])).unwrap();
    for k in KEYS {
        assert!(is_known_env(&env_name(k)));
    }
    assert!(!is_known_env("STRATUS_GRPC_ADR"));
}

#[test]
fn rollup_retentions_reach_the_engine() {
    let c = ServerConfig::from_sources(
        &flags(&["--five-minute-retention", "30d", "--one-hour-retention", "forever"]),
        env_of(&[("STRATUS_RAW_RETENTION", "forever")]),
    )
    .unwrap();
    assert_eq!(c.engine.raw_retention, None);
    assert_eq!(c.engine.five_minute_retention, Some(Duration::from_secs(30 * 86_400)));
    assert_eq!(c.engine.one_hour_retention, None);
    // Raw data must outlive the 14-day late-data window.
    assert!(ServerConfig::from_sources(&flags(&["--raw-retention", "3h"]), env_of(&[])).is_err());
}

#[test]
fn settings_that_do_not_work_together_are_rejected() {
    let env = env_of(&[("STRATUS_HEAD_MAX_SAMPLES", "1000"), ("STRATUS_MAX_PENDING_SAMPLES", "10")]);
    let err = ServerConfig::from_sources(&ServeArgs::default(), env).unwrap_err();
    assert!(matches!(err, ConfigError::Engine { .. }), "{err:?}");
    assert!(err.to_string().contains("max_pending_samples"), "{err}");
}

#[test]
fn credentials_and_auth_settings() {
    let c = ServerConfig::from_sources(
        &flags(&["--credentials", "AKID1:s1", "--credentials", "AKID2:s2:999988887777", "--auth-max-skew", "off"]),
        env_of(&[]),
    )
    .unwrap();
    assert_eq!(
        c.credentials,
        vec![
            ("AKID1".to_string(), "s1".to_string(), "123456789012".to_string()),
            ("AKID2".to_string(), "s2".to_string(), "999988887777".to_string())
        ]
    );
    assert_eq!((c.auth_max_skew, c.insecure_no_auth), (None, false));
    let e = ServerConfig::from_sources(&flags(&[]), env_of(&[("STRATUS_CREDENTIALS", "A:b, C:d:1")])).unwrap();
    assert_eq!(e.credentials.len(), 2);
    let d = ServerConfig::from_sources(&flags(&[]), env_of(&[])).unwrap();
    assert_eq!((d.auth_max_skew, d.insecure_no_auth), (Some(std::time::Duration::from_secs(900)), false));
    let i = ServerConfig::from_sources(&flags(&["--insecure-no-auth"]), env_of(&[])).unwrap();
    assert!(i.insecure_no_auth);
    assert!(ServerConfig::from_sources(&flags(&[]), env_of(&[("STRATUS_CREDENTIALS", "nocolon")])).is_err());
}
