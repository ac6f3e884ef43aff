//! Server configuration: defaults < TOML file < `STRATUS_*` environment variables < flags.
//!
//! Every setting has one name used in all three places: `grpc_addr` in the file,
//! `STRATUS_GRPC_ADDR` in the environment, `--grpc-addr` on the command line. Each layer that
//! is present is validated, even when a higher layer overrides it, so a broken file is never
//! silently ignored; unknown file keys are errors (`deny_unknown_fields`). Values are checked
//! once, here, and the rest of the server trusts [`ServerConfig`].
//!
//! Called by `main.rs` ([`ServerConfig::load`]) and by tests ([`ServerConfig::from_sources`]
//! with an injected environment, since mutating the process environment is unsafe).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use stratus_engine::{Durability, EngineConfig, Tenant};

/// Default data directory (relative to the working directory), created if missing.
pub const DEFAULT_DATA_DIR: &str = "./data";
/// Default gRPC listen address.
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:50051";
/// Default HTTP listen address.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
/// Default tenant account for gRPC callers that send no `x-stratus-account`.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// Default tenant region for gRPC callers that send no `x-stratus-region`.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Default gRPC maximum decoded message size: room for large bulk `SeriesBatch` requests.
const DEFAULT_GRPC_MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Default largest clock skew of a SigV4-signed request.
const DEFAULT_AUTH_MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// Default time allowed for in-flight requests to finish after shutdown starts.
const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// The environment variable naming the config file (like `--config`).
const CONFIG_ENV: &str = "STRATUS_CONFIG";
/// `STRATUS_*` variables read by other parts of the binary, not by `serve`.
const OTHER_ENV: &[&str] = &["STRATUS_ENDPOINT"];

/// Everything `run` needs. Build it with [`ServerConfig::load`] (flags, env, file) or directly
/// (tests, embedders), starting from [`ServerConfig::default`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Engine data directory; created (with parents) if missing.
    pub data_dir: PathBuf,
    /// gRPC listen address (port 0 = any free port). Ignored by [`crate::run_with_listeners`].
    pub grpc_addr: SocketAddr,
    /// HTTP listen address (port 0 = any free port). Ignored by [`crate::run_with_listeners`].
    pub http_addr: SocketAddr,
    /// Tenant for gRPC calls without `x-stratus-account` / `x-stratus-region` metadata.
    pub default_tenant: Tenant,
    /// Largest gRPC request the server decodes, in bytes.
    pub grpc_max_message_bytes: usize,
    /// How long shutdown waits for in-flight requests before closing the engine anyway.
    pub drain_timeout: Duration,
    /// Engine settings (durability, shards, head and retention limits).
    pub engine: EngineConfig,
    /// SigV4 credentials of the AWS endpoint: (access key id, secret, account id).
    pub credentials: Vec<(String, String, String)>,
    /// Serve the AWS endpoint without authentication (local development only).
    pub insecure_no_auth: bool,
    /// Largest clock skew a SigV4 request may have; `None` turns the check off.
    pub auth_max_skew: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            grpc_addr: DEFAULT_GRPC_ADDR.parse().expect("valid default address"),
            http_addr: DEFAULT_HTTP_ADDR.parse().expect("valid default address"),
            default_tenant: Tenant::new(DEFAULT_ACCOUNT, DEFAULT_REGION),
            grpc_max_message_bytes: DEFAULT_GRPC_MAX_MESSAGE_BYTES,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            engine: EngineConfig::default(),
            credentials: Vec::new(),
            insecure_no_auth: false,
            auth_max_skew: Some(DEFAULT_AUTH_MAX_SKEW),
        }
    }
}

/// Flags of `stratus serve`. Every flag overrides its `STRATUS_*` variable and config-file key.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// TOML config file (keys as the flags, with `_`: `data_dir = "..."`). Env: STRATUS_CONFIG.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory, created if missing [default: ./data]. Env: STRATUS_DATA_DIR.
    #[arg(long, value_name = "DIR", value_parser = parse_data_dir)]
    data_dir: Option<PathBuf>,
    /// gRPC listen address, IP:PORT (port 0 = any) [default: 127.0.0.1:50051].
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    grpc_addr: Option<SocketAddr>,
    /// HTTP listen address, IP:PORT (port 0 = any) [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    http_addr: Option<SocketAddr>,
    /// When a write is acknowledged: `sync` (after its fsync), `interval:DURATION` (fsync every
    /// DURATION, e.g. interval:100ms), `none` (never fsync) [default: sync].
    #[arg(long, value_name = "POLICY", value_parser = parse_durability)]
    durability: Option<Durability>,
    /// Ingest shards; 0 = one per core [default: 0].
    #[arg(long, value_name = "N", value_parser = parse_shards)]
    shards: Option<usize>,
    /// Default tenant account for callers without `x-stratus-account` [default: 123456789012].
    #[arg(long, value_name = "ID", value_parser = parse_name)]
    account: Option<String>,
    /// Default tenant region for callers without `x-stratus-region` [default: us-east-1].
    #[arg(long, value_name = "REGION", value_parser = parse_name)]
    region: Option<String>,
    /// How long raw samples are kept before they are rolled up into 5-minute data: a duration
    /// of at least 15d (the default) or `forever`.
    #[arg(long, value_name = "DURATION|forever", value_parser = parse_retention)]
    raw_retention: Option<Retention>,
    /// How long 5-minute rollups are kept before they are rolled up into 1-hour data
    /// [default: 63d], or `forever`.
    #[arg(long, value_name = "DURATION|forever", value_parser = parse_retention)]
    five_minute_retention: Option<Retention>,
    /// How long 1-hour rollups are kept before they are deleted [default: 455d], or `forever`.
    #[arg(long, value_name = "DURATION|forever", value_parser = parse_retention)]
    one_hour_retention: Option<Retention>,
    /// Seal the in-memory head into a block when it holds this many samples.
    #[arg(long, value_name = "N", value_parser = parse_positive_u64)]
    head_max_samples: Option<u64>,
    /// Seal the in-memory head into a block when its compressed chunks take this many bytes.
    #[arg(long, value_name = "BYTES", value_parser = parse_positive_u64)]
    head_max_bytes: Option<u64>,
    /// Seal the in-memory head into a block when it is older than this (e.g. 2h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    head_max_age: Option<Duration>,
    /// Size at which a WAL segment is closed and a new one started, in bytes.
    #[arg(long, value_name = "BYTES", value_parser = parse_positive_u64)]
    wal_segment_bytes: Option<u64>,
    /// Compact once this many blocks exist.
    #[arg(long, value_name = "N", value_parser = parse_compact_min_blocks)]
    compact_min_blocks: Option<usize>,
    /// Answer writes with Throttling beyond this many samples not yet sealed.
    #[arg(long, value_name = "N", value_parser = parse_positive_u64)]
    max_pending_samples: Option<u64>,
    /// How often the engine checks whether to seal, compact or expire (e.g. 1s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    maintenance_interval: Option<Duration>,
    /// Largest gRPC request decoded, in bytes [default: 67108864].
    #[arg(long, value_name = "BYTES", value_parser = parse_message_bytes)]
    grpc_max_message_bytes: Option<usize>,
    /// Time in-flight requests get to finish at shutdown before the engine closes [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    drain_timeout: Option<Duration>,
    /// An access key of the AWS endpoint, `ACCESS_KEY_ID:SECRET_ACCESS_KEY[:ACCOUNT_ID]`
    /// (repeatable; the account defaults to --account). Env: STRATUS_CREDENTIALS, comma-separated.
    #[arg(long, value_name = "AKID:SECRET[:ACCOUNT]", value_parser = parse_credential)]
    credentials: Vec<(String, String, Option<String>)>,
    /// Serve the AWS endpoint WITHOUT authentication (local development only; logged loudly).
    #[arg(long)]
    insecure_no_auth: bool,
    /// Largest clock skew of a signed request, or `off` [default: 15m].
    #[arg(long, value_name = "DURATION|off", value_parser = parse_skew)]
    auth_max_skew: Option<Skew>,
}

/// A clock-skew limit: `None` = off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Skew(Option<Duration>);

/// A raw-retention setting: `None` keeps raw samples forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Retention(Option<Duration>);

/// The config file: the same keys as the flags, snake_case. Unknown keys are rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<String>,
    grpc_addr: Option<String>,
    http_addr: Option<String>,
    durability: Option<String>,
    shards: Option<u64>,
    account: Option<String>,
    region: Option<String>,
    raw_retention: Option<String>,
    five_minute_retention: Option<String>,
    one_hour_retention: Option<String>,
    head_max_samples: Option<u64>,
    head_max_bytes: Option<u64>,
    head_max_age: Option<String>,
    wal_segment_bytes: Option<u64>,
    compact_min_blocks: Option<u64>,
    max_pending_samples: Option<u64>,
    maintenance_interval: Option<String>,
    grpc_max_message_bytes: Option<u64>,
    drain_timeout: Option<String>,
    credentials: Option<Vec<String>>,
    insecure_no_auth: Option<bool>,
    auth_max_skew: Option<String>,
}

/// Why the configuration was rejected. Each variant names where the bad value came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid TOML, has an unknown key or a value of the wrong type.
    #[error("invalid config file {}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error (names the key and position).
        #[source]
        source: toml::de::Error,
    },
    /// A setting has an invalid value.
    #[error("invalid {key} (from {origin}): {reason}")]
    Invalid {
        /// The setting's config-file key, e.g. `grpc_addr`.
        key: &'static str,
        /// Where the value came from: `config file PATH`, `environment variable STRATUS_X` or
        /// `flag --x`.
        origin: String,
        /// What is wrong with it, quoting the value.
        reason: String,
    },
    /// The engine settings are individually valid but do not work together.
    #[error("invalid engine settings: {reason}")]
    Engine {
        /// The engine's explanation, naming the settings.
        reason: String,
    },
}

impl ServerConfig {
    /// The configuration from `serve`'s flags, the process environment and the config file
    /// named by `--config` or `STRATUS_CONFIG` (if any).
    pub fn load(args: &ServeArgs) -> Result<ServerConfig, ConfigError> {
        let config =
            ServerConfig::from_sources(args, |key| std::env::var_os(key).map(|v| v.to_string_lossy().into_owned()))?;
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("STRATUS_") && !is_known_env(&key) {
                tracing::warn!(variable = %key, "unknown STRATUS_* environment variable ignored");
            }
        }
        Ok(config)
    }

    /// The configuration from flags, an environment lookup and the config file they name.
    /// Empty environment values count as unset.
    pub fn from_sources(args: &ServeArgs, env: impl Fn(&str) -> Option<String>) -> Result<ServerConfig, ConfigError> {
        let env = |key: &str| env(key).filter(|v| !v.is_empty());
        let path = args.config.clone().or_else(|| env(CONFIG_ENV).map(PathBuf::from));
        let file = match &path {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|source| ConfigError::Parse { path: path.clone(), source })?
            }
            None => FileConfig::default(),
        };
        let layers = Layers { env: &env, file: path.as_deref() };
        layers.resolve(args, file)
    }
}

fn is_known_env(key: &str) -> bool {
    key == CONFIG_ENV || OTHER_ENV.contains(&key) || KEYS.iter().any(|k| env_name(k) == key)
}

/// Every setting's key, in the order documented.
const KEYS: &[&str] = &[
    "data_dir",
    "grpc_addr",
    "http_addr",
    "durability",
    "shards",
    "account",
    "region",
    "raw_retention",
    "five_minute_retention",
    "one_hour_retention",
    "head_max_samples",
    "head_max_bytes",
    "head_max_age",
    "wal_segment_bytes",
    "compact_min_blocks",
    "max_pending_samples",
    "maintenance_interval",
    "grpc_max_message_bytes",
    "drain_timeout",
    "credentials",
    "insecure_no_auth",
    "auth_max_skew",
];

fn env_name(key: &str) -> String {
    format!("STRATUS_{}", key.to_ascii_uppercase())
}

/// The environment and the config file path, for layering and for naming a bad value's origin.
struct Layers<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: Option<&'a Path>,
}

impl Layers<'_> {
    /// flag > env > file, each present layer validated. `file` is the file's value already
    /// checked by the same rules as the other layers.
    fn pick<T>(
        &self,
        key: &'static str,
        flag: Option<T>,
        file: Option<Result<T, String>>,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let file = match file {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(reason)) => {
                let origin = match self.file {
                    Some(path) => format!("config file {}", path.display()),
                    None => "config file".to_owned(),
                };
                return Err(ConfigError::Invalid { key, origin, reason });
            }
        };
        let name = env_name(key);
        let env = match (self.env)(&name) {
            None => None,
            Some(raw) => Some(parse(&raw).map_err(|reason| ConfigError::Invalid {
                key,
                origin: format!("environment variable {name}"),
                reason,
            })?),
        };
        Ok(flag.or(env).or(file))
    }

    fn resolve(&self, args: &ServeArgs, file: FileConfig) -> Result<ServerConfig, ConfigError> {
        let mut config = ServerConfig::default();
        let str_file = |v: Option<String>, parse: fn(&str) -> Result<_, String>| v.map(|s| parse(&s));

        if let Some(v) =
            self.pick("data_dir", args.data_dir.clone(), str_file(file.data_dir, parse_data_dir), parse_data_dir)?
        {
            config.data_dir = v;
        }
        if let Some(v) = self.pick("grpc_addr", args.grpc_addr, file.grpc_addr.map(|s| parse_addr(&s)), parse_addr)? {
            config.grpc_addr = v;
        }
        if let Some(v) = self.pick("http_addr", args.http_addr, file.http_addr.map(|s| parse_addr(&s)), parse_addr)? {
            config.http_addr = v;
        }
        if let Some(v) =
            self.pick("durability", args.durability, file.durability.map(|s| parse_durability(&s)), parse_durability)?
        {
            config.engine.durability = v;
        }
        if let Some(v) = self.pick("shards", args.shards, file.shards.map(check_shards), parse_shards)? {
            config.engine.shards = v;
        }
        if let Some(v) = self.pick("account", args.account.clone(), file.account.map(|s| parse_name(&s)), parse_name)? {
            config.default_tenant.account = v;
        }
        if let Some(v) = self.pick("region", args.region.clone(), file.region.map(|s| parse_name(&s)), parse_name)? {
            config.default_tenant.region = v;
        }
        if let Some(v) = self.pick(
            "raw_retention",
            args.raw_retention,
            file.raw_retention.map(|s| parse_retention(&s)),
            parse_retention,
        )? {
            config.engine.raw_retention = v.0;
        }
        if let Some(v) = self.pick(
            "five_minute_retention",
            args.five_minute_retention,
            file.five_minute_retention.map(|s| parse_retention(&s)),
            parse_retention,
        )? {
            config.engine.five_minute_retention = v.0;
        }
        if let Some(v) = self.pick(
            "one_hour_retention",
            args.one_hour_retention,
            file.one_hour_retention.map(|s| parse_retention(&s)),
            parse_retention,
        )? {
            config.engine.one_hour_retention = v.0;
        }
        if let Some(v) = self.pick(
            "head_max_samples",
            args.head_max_samples,
            file.head_max_samples.map(check_positive),
            parse_positive_u64,
        )? {
            config.engine.head_max_samples = v;
        }
        if let Some(v) = self.pick(
            "head_max_bytes",
            args.head_max_bytes,
            file.head_max_bytes.map(check_positive),
            parse_positive_u64,
        )? {
            config.engine.head_max_bytes = v;
        }
        if let Some(v) =
            self.pick("head_max_age", args.head_max_age, file.head_max_age.map(|s| parse_duration(&s)), parse_duration)?
        {
            config.engine.head_max_age = v;
        }
        if let Some(v) = self.pick(
            "wal_segment_bytes",
            args.wal_segment_bytes,
            file.wal_segment_bytes.map(check_positive),
            parse_positive_u64,
        )? {
            config.engine.wal_segment_bytes = v;
        }
        if let Some(v) = self.pick(
            "compact_min_blocks",
            args.compact_min_blocks,
            file.compact_min_blocks.map(check_compact_min_blocks),
            parse_compact_min_blocks,
        )? {
            config.engine.compact_min_blocks = v;
        }
        if let Some(v) = self.pick(
            "max_pending_samples",
            args.max_pending_samples,
            file.max_pending_samples.map(check_positive),
            parse_positive_u64,
        )? {
            config.engine.max_pending_samples = v;
        }
        if let Some(v) = self.pick(
            "maintenance_interval",
            args.maintenance_interval,
            file.maintenance_interval.map(|s| parse_duration(&s)),
            parse_duration,
        )? {
            config.engine.maintenance_interval = v;
        }
        if let Some(v) = self.pick(
            "grpc_max_message_bytes",
            args.grpc_max_message_bytes,
            file.grpc_max_message_bytes.map(check_message_bytes),
            parse_message_bytes,
        )? {
            config.grpc_max_message_bytes = v;
        }
        if let Some(v) = self.pick(
            "drain_timeout",
            args.drain_timeout,
            file.drain_timeout.map(|s| parse_duration(&s)),
            parse_duration,
        )? {
            config.drain_timeout = v;
        }
        // Credentials: flags replace env, env replaces the file (like every other key).
        let creds: Vec<(String, String, Option<String>)> = if !args.credentials.is_empty() {
            args.credentials.clone()
        } else if let Some(v) = (self.env)(&env_name("credentials")) {
            v.split(',')
                .filter(|c| !c.trim().is_empty())
                .map(|c| parse_credential(c.trim()))
                .collect::<Result<_, _>>()
                .map_err(|reason| ConfigError::Invalid {
                    key: "credentials",
                    origin: "environment variable STRATUS_CREDENTIALS".into(),
                    reason,
                })?
        } else {
            file.credentials
                .unwrap_or_default()
                .iter()
                .map(|c| parse_credential(c))
                .collect::<Result<_, _>>()
                .map_err(|reason| ConfigError::Invalid { key: "credentials", origin: "config file".into(), reason })?
        };
        config.credentials = creds
            .into_iter()
            .map(|(id, secret, account)| (id, secret, account.unwrap_or_else(|| config.default_tenant.account.clone())))
            .collect();
        if let Some(v) = self.pick(
            "insecure_no_auth",
            args.insecure_no_auth.then_some(true),
            file.insecure_no_auth.map(Ok),
            parse_bool,
        )? {
            config.insecure_no_auth = v;
        }
        if let Some(v) =
            self.pick("auth_max_skew", args.auth_max_skew, file.auth_max_skew.map(|s| parse_skew(&s)), parse_skew)?
        {
            config.auth_max_skew = v.0;
        }
        // Rules that span several settings (e.g. max_pending_samples >= head_max_samples).
        config.engine.validate().map_err(|reason| ConfigError::Engine { reason })?;
        Ok(config)
    }
}

// --- value parsers: shared by clap (flags), the environment and the file ---------------------

fn parse_data_dir(s: &str) -> Result<PathBuf, String> {
    if s.trim().is_empty() {
        return Err("the data directory must not be empty".to_owned());
    }
    Ok(PathBuf::from(s))
}

fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a socket address (expected IP:PORT, e.g. 127.0.0.1:50051 or [::1]:0)"))
}

fn parse_durability(s: &str) -> Result<Durability, String> {
    let s = s.trim();
    match s {
        "sync" => Ok(Durability::Sync),
        "none" => Ok(Durability::None),
        _ => match s.strip_prefix("interval:") {
            Some(d) => {
                let d = parse_duration(d).map_err(|e| format!("{s:?}: {e}"))?;
                Ok(Durability::Interval(d))
            }
            None => Err(format!(
                "{s:?} is not a durability policy (expected sync, interval:DURATION such as interval:100ms, or none)"
            )),
        },
    }
}

fn parse_credential(s: &str) -> Result<(String, String, Option<String>), String> {
    let parts: Vec<&str> = s.split(':').collect();
    let ok = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_graphic());
    match parts.as_slice() {
        [id, secret] if ok(id) && ok(secret) => Ok(((*id).into(), (*secret).into(), None)),
        [id, secret, account] if ok(id) && ok(secret) && ok(account) => {
            Ok(((*id).into(), (*secret).into(), Some((*account).into())))
        }
        _ => Err("a credential is ACCESS_KEY_ID:SECRET_ACCESS_KEY[:ACCOUNT_ID], each part non-empty printable ASCII"
            .to_owned()),
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(format!("{other:?} is not a boolean (true or false)")),
    }
}

fn parse_skew(s: &str) -> Result<Skew, String> {
    if s.trim() == "off" { Ok(Skew(None)) } else { parse_duration(s).map(|d| Skew(Some(d))) }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration ({e}; e.g. 100ms, 30s, 2h, 15d)"))?;
    if d.is_zero() {
        return Err(format!("{s:?}: the duration must be greater than zero"));
    }
    Ok(d)
}

fn parse_retention(s: &str) -> Result<Retention, String> {
    if s.trim() == "forever" {
        return Ok(Retention(None));
    }
    parse_duration(s).map(|d| Retention(Some(d))).map_err(|e| format!("{e}, or forever"))
}

fn parse_name(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("{s:?} may only contain ASCII letters, digits, '-' and '_'"));
    }
    Ok(s.to_owned())
}

fn parse_u64(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| format!("{s:?} is not a non-negative integer"))
}

/// Upper bound on shards: beyond this is a typo, not a configuration.
const MAX_SHARDS: u64 = 4096;

fn check_shards(n: u64) -> Result<usize, String> {
    if n > MAX_SHARDS {
        return Err(format!("{n} shards is more than the maximum of {MAX_SHARDS} (0 = one per core)"));
    }
    usize::try_from(n).map_err(|_| format!("{n} is too large"))
}

fn parse_shards(s: &str) -> Result<usize, String> {
    check_shards(parse_u64(s)?)
}

fn check_positive(n: u64) -> Result<u64, String> {
    if n == 0 {
        return Err("must be greater than zero".to_owned());
    }
    Ok(n)
}

fn parse_positive_u64(s: &str) -> Result<u64, String> {
    check_positive(parse_u64(s)?)
}

fn check_compact_min_blocks(n: u64) -> Result<usize, String> {
    if n < 2 {
        return Err(format!("{n}: compaction needs at least 2 blocks"));
    }
    usize::try_from(n).map_err(|_| format!("{n} is too large"))
}

fn parse_compact_min_blocks(s: &str) -> Result<usize, String> {
    check_compact_min_blocks(parse_u64(s)?)
}

/// Bounds on the gRPC message size: below 64 KiB a normal request fails, above 1 GiB one request
/// could exhaust memory.
const MESSAGE_BYTES_RANGE: std::ops::RangeInclusive<u64> = (64 << 10)..=(1 << 30);

fn check_message_bytes(n: u64) -> Result<usize, String> {
    if !MESSAGE_BYTES_RANGE.contains(&n) {
        return Err(format!("{n} bytes is outside {}..={}", MESSAGE_BYTES_RANGE.start(), MESSAGE_BYTES_RANGE.end()));
    }
    usize::try_from(n).map_err(|_| format!("{n} is too large"))
}

fn parse_message_bytes(s: &str) -> Result<usize, String> {
    check_message_bytes(parse_u64(s)?)
}

#[cfg(test)]
mod tests;
