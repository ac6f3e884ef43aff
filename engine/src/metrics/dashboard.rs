//! CloudWatch dashboards: named JSON documents per tenant, stored durably (one file per
//! dashboard, written by atomic publish: tmp + fsync + rename + directory fsync), listed from
//! an in-memory index rebuilt at open. Format: `docs/format/dashboards.md`.
//!
//! Validation follows CloudWatch: a name of 1–255 characters from `A-Za-z0-9_-`; a body that
//! is a JSON object whose `widgets`, when present, is an array (problems are returned as
//! validation messages with a data path, as `DashboardInvalidInputError` carries them); a body
//! of at most 1 MiB. DeleteDashboards is all-or-nothing: a missing name deletes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::durable::{self, FileSystem};
use crate::error::{Error, InvalidCode, Result};
use crate::metrics::enc::{Cursor, put_i64, put_str, put_u32};
use crate::metrics::model::Tenant;

const MAGIC: &[u8; 8] = b"STRDASH1";
/// Written version: 2 adds tags; 1 (no tags) is still read.
const VERSION: u32 = 2;
/// Most tags on one resource (CloudWatch's limit).
const MAX_TAGS: usize = 50;
/// Largest accepted dashboard body, in bytes.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// One problem found in a dashboard body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardValidationMessage {
    /// JSON pointer-like path of the offending member (`/widgets`), empty for the whole body.
    pub data_path: String,
    /// What is wrong.
    pub message: String,
}

/// A stored dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Its name.
    pub name: String,
    /// The JSON body, exactly as put.
    pub body: String,
    /// When it was last put, epoch ms.
    pub last_modified_ms: i64,
    /// Its tags (TagResource), kept across PutDashboard.
    pub tags: BTreeMap<String, String>,
}

/// A dashboard as ListDashboards shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardEntry {
    /// Its name.
    pub name: String,
    /// When it was last put, epoch ms.
    pub last_modified_ms: i64,
    /// Size of its body in bytes.
    pub size: u64,
}

type Key = (String, String, String); // account, region, name

/// The dashboards of every tenant.
pub(crate) struct DashboardStore {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    entries: RwLock<BTreeMap<Key, Dashboard>>,
}

impl std::fmt::Debug for DashboardStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardStore").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn file_name(key: &Key) -> String {
    let mut k = Vec::new();
    for part in [&key.0, &key.1, &key.2] {
        put_str(&mut k, part);
    }
    format!("{:016x}.dash", xxhash_rust::xxh3::xxh3_64(&k))
}

fn encode(key: &Key, d: &Dashboard) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + d.body.len());
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION);
    for part in [&key.0, &key.1, &key.2] {
        put_str(&mut out, part);
    }
    put_i64(&mut out, d.last_modified_ms);
    put_str(&mut out, &d.body);
    put_u32(&mut out, d.tags.len() as u32);
    for (k, v) in &d.tags {
        put_str(&mut out, k);
        put_str(&mut out, v);
    }
    let crc = crc32fast::hash(&out);
    put_u32(&mut out, crc);
    out
}

fn decode(bytes: &[u8]) -> std::result::Result<(Key, Dashboard), String> {
    if bytes.len() < MAGIC.len() + 8 || &bytes[..8] != MAGIC {
        return Err("not a dashboard file".into());
    }
    let (data, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(data).to_le_bytes() != crc {
        return Err("checksum mismatch".into());
    }
    let mut c = Cursor::new(&data[8..]);
    let e = |e: crate::metrics::enc::DecodeError| e.to_string();
    let version = c.u32().map_err(e)?;
    if !(1..=VERSION).contains(&version) {
        return Err(format!("unsupported dashboard format version {version}"));
    }
    let account = c.str().map_err(e)?.to_string();
    let region = c.str().map_err(e)?.to_string();
    let name = c.str().map_err(e)?.to_string();
    let last_modified_ms = c.i64().map_err(e)?;
    let body = c.str().map_err(e)?.to_string();
    let mut tags = BTreeMap::new();
    if version >= 2 {
        let n = c.u32().map_err(e)?;
        for _ in 0..n {
            let k = c.str().map_err(e)?.to_string();
            let v = c.str().map_err(e)?.to_string();
            tags.insert(k, v);
        }
    }
    if !c.is_empty() {
        return Err("trailing bytes".into());
    }
    Ok(((account, region, name.clone()), Dashboard { name, body, last_modified_ms, tags }))
}

/// Checks a dashboard name as CloudWatch does.
pub(crate) fn validate_name(name: &str, field: &str) -> Result<()> {
    if name.is_empty() || name.len() > 255 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(
            InvalidCode::InvalidParameterValue,
            format!(
                "The value {name:?} for parameter {field} is invalid: a dashboard name has 1 to 255 characters, each a letter, a digit, '-' or '_'."
            ),
        ));
    }
    Ok(())
}

/// The validation messages for a dashboard body (empty when it is acceptable).
pub(crate) fn validate_body(body: &str) -> Vec<DashboardValidationMessage> {
    let msg = |path: &str, m: String| DashboardValidationMessage { data_path: path.into(), message: m };
    if body.len() > MAX_BODY_BYTES {
        return vec![msg(
            "",
            format!("The dashboard body is {} bytes, over the limit of {MAX_BODY_BYTES}.", body.len()),
        )];
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Err(e) => vec![msg("", format!("The dashboard body is not valid JSON: {e}"))],
        Ok(serde_json::Value::Object(map)) => match map.get("widgets") {
            Some(w) if !w.is_array() => vec![msg("/widgets", "Should be array".into())],
            Some(serde_json::Value::Array(ws)) => ws
                .iter()
                .enumerate()
                .filter(|(_, w)| !w.is_object())
                .map(|(i, _)| msg(&format!("/widgets/{i}"), "Should be object".into()))
                .collect(),
            _ => Vec::new(),
        },
        Ok(_) => vec![msg("", "Should be object".into())],
    }
}

impl DashboardStore {
    /// Opens the store in `dir` (created if missing), reading every dashboard file.
    pub(crate) fn open(fs: Arc<dyn FileSystem>, dir: &Path) -> Result<DashboardStore> {
        durable::create_dir_all_durable(&*fs, dir).map_err(|e| Error::io(dir, e))?;
        durable::sweep_temp_files(&*fs, dir).map_err(|e| Error::io(dir, e))?;
        let mut entries = BTreeMap::new();
        for name in fs.list_dir(dir).map_err(|e| Error::io(dir, e))? {
            if !name.ends_with(".dash") {
                continue;
            }
            let path = dir.join(&name);
            let bytes = fs.read(&path).map_err(|e| Error::io(&path, e))?;
            let (key, d) = decode(&bytes).map_err(|m| Error::corruption(&path, 0, m))?;
            if file_name(&key) != name {
                return Err(Error::corruption(&path, 0, "file name does not match the dashboard it holds"));
            }
            entries.insert(key, d);
        }
        Ok(DashboardStore { fs, dir: dir.to_path_buf(), entries: RwLock::new(entries) })
    }

    fn key(tenant: &Tenant, name: &str) -> Key {
        (tenant.account.clone(), tenant.region.clone(), name.to_string())
    }

    /// PutDashboard: creates or replaces. Invalid bodies are refused with their messages.
    pub(crate) fn put(&self, tenant: &Tenant, name: &str, body: &str, now_ms: i64) -> Result<()> {
        validate_name(name, "DashboardName")?;
        let problems = validate_body(body);
        if !problems.is_empty() {
            return Err(Error::InvalidDashboardBody(problems));
        }
        let key = Self::key(tenant, name);
        let mut entries = self.entries.write();
        let tags = entries.get(&key).map(|d| d.tags.clone()).unwrap_or_default();
        let d = Dashboard { name: name.to_string(), body: body.to_string(), last_modified_ms: now_ms, tags };
        self.publish(&key, &d)?;
        entries.insert(key, d);
        Ok(())
    }

    fn publish(&self, key: &Key, d: &Dashboard) -> Result<()> {
        durable::publish_atomic(&*self.fs, &self.dir, &file_name(key), &encode(key, d))
            .map_err(|e| Error::io(&self.dir, e))
    }

    /// TagResource on a dashboard: adds or replaces `tags`.
    pub(crate) fn tag(&self, tenant: &Tenant, name: &str, tags: &[(String, String)]) -> Result<()> {
        for (i, (k, v)) in tags.iter().enumerate() {
            let n = i + 1;
            if k.is_empty() || k.chars().count() > 128 || k.starts_with("aws:") || v.chars().count() > 256 {
                return Err(Error::invalid(
                    InvalidCode::InvalidParameterValue,
                    format!(
                        "The value for parameter Tags.member.{n} is invalid: a key has 1 to 128 characters and does not start with 'aws:', a value at most 256."
                    ),
                ));
            }
        }
        let key = Self::key(tenant, name);
        let mut entries = self.entries.write();
        let mut d = entries.get(&key).cloned().ok_or_else(|| not_found(name))?;
        for (k, v) in tags {
            d.tags.insert(k.clone(), v.clone());
        }
        if d.tags.len() > MAX_TAGS {
            return Err(Error::invalid(
                InvalidCode::InvalidParameterValue,
                format!("A resource can have at most {MAX_TAGS} tags; this request would leave {}.", d.tags.len()),
            ));
        }
        self.publish(&key, &d)?;
        entries.insert(key, d);
        Ok(())
    }

    /// UntagResource on a dashboard: removes `keys` (absent keys are ignored, as AWS does).
    pub(crate) fn untag(&self, tenant: &Tenant, name: &str, keys: &[String]) -> Result<()> {
        let key = Self::key(tenant, name);
        let mut entries = self.entries.write();
        let mut d = entries.get(&key).cloned().ok_or_else(|| not_found(name))?;
        for k in keys {
            d.tags.remove(k);
        }
        self.publish(&key, &d)?;
        entries.insert(key, d);
        Ok(())
    }

    /// GetDashboard.
    pub(crate) fn get(&self, tenant: &Tenant, name: &str) -> Result<Dashboard> {
        validate_name(name, "DashboardName")?;
        self.entries.read().get(&Self::key(tenant, name)).cloned().ok_or_else(|| not_found(name))
    }

    /// ListDashboards: the tenant's dashboards whose names start with `prefix`, by name.
    pub(crate) fn list(&self, tenant: &Tenant, prefix: &str) -> Vec<DashboardEntry> {
        self.entries
            .read()
            .iter()
            .filter(|((a, r, n), _)| *a == tenant.account && *r == tenant.region && n.starts_with(prefix))
            .map(|(_, d)| DashboardEntry {
                name: d.name.clone(),
                last_modified_ms: d.last_modified_ms,
                size: d.body.len() as u64,
            })
            .collect()
    }

    /// DeleteDashboards: all or nothing.
    pub(crate) fn delete(&self, tenant: &Tenant, names: &[String]) -> Result<()> {
        for (i, n) in names.iter().enumerate() {
            validate_name(n, &format!("DashboardNames.member.{}", i + 1))?;
        }
        let mut entries = self.entries.write();
        if let Some(missing) = names.iter().find(|n| !entries.contains_key(&Self::key(tenant, n))) {
            return Err(not_found(missing));
        }
        for n in names {
            let key = Self::key(tenant, n);
            let path = self.dir.join(file_name(&key));
            match self.fs.remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
            entries.remove(&key);
        }
        self.fs.sync_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        Ok(())
    }
}

/// AWS's answer for a missing dashboard.
fn not_found(name: &str) -> Error {
    Error::NotFound { resource: "dashboard", message: format!("Dashboard {name} does not exist") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::{CrashMode, FaultKind, RealFs, SimFs};

    fn tenant(region: &str) -> Tenant {
        Tenant { account: "123456789012".into(), region: region.into() }
    }

    const BODY: &str =
        r#"{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"hi"}}]}"#;

    #[test]
    fn put_get_list_delete_survive_reopen_and_stay_per_region() {
        let dir = tempfile::tempdir().unwrap();
        let fs: Arc<dyn FileSystem> = Arc::new(RealFs);
        let s = DashboardStore::open(fs.clone(), dir.path()).unwrap();
        let (east, west) = (tenant("us-east-1"), tenant("us-west-2"));
        s.put(&east, "ops-main", BODY, 1000).unwrap();
        s.put(&east, "ops_other", "{}", 2000).unwrap();
        s.put(&west, "ops-main", "{\"widgets\":[]}", 3000).unwrap();
        drop(s);
        let s = DashboardStore::open(fs, dir.path()).unwrap();
        assert_eq!(s.get(&east, "ops-main").unwrap().body, BODY);
        assert_eq!(s.get(&west, "ops-main").unwrap().body, "{\"widgets\":[]}");
        let names: Vec<String> = s.list(&east, "ops").into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["ops-main", "ops_other"]);
        assert_eq!(s.list(&east, "ops_").len(), 1);
        assert_eq!(s.list(&east, "ops-main")[0].size, BODY.len() as u64);
        // All or nothing.
        let err = s.delete(&east, &["ops-main".into(), "nope".into()]).unwrap_err();
        assert!(matches!(&err, Error::NotFound { message, .. } if message == "Dashboard nope does not exist"), "{err}");
        assert!(s.get(&east, "ops-main").is_ok());
        s.delete(&east, &["ops-main".into()]).unwrap();
        assert!(matches!(s.get(&east, "ops-main"), Err(Error::NotFound { .. })));
        assert!(s.get(&west, "ops-main").is_ok());
    }

    #[test]
    fn tags_survive_put_and_reopen_and_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let fs: Arc<dyn FileSystem> = Arc::new(RealFs);
        let t = tenant("us-east-1");
        let s = DashboardStore::open(fs.clone(), dir.path()).unwrap();
        assert!(matches!(s.tag(&t, "none", &[("a".into(), "1".into())]), Err(Error::NotFound { .. })));
        s.put(&t, "d", "{}", 1).unwrap();
        s.tag(&t, "d", &[("team".into(), "ops".into()), ("env".into(), "prod".into())]).unwrap();
        s.put(&t, "d", "{\"widgets\":[]}", 2).unwrap();
        s.untag(&t, "d", &["env".into(), "absent".into()]).unwrap();
        drop(s);
        let s = DashboardStore::open(fs, dir.path()).unwrap();
        let d = s.get(&t, "d").unwrap();
        assert_eq!(d.tags.into_iter().collect::<Vec<_>>(), vec![("team".to_string(), "ops".to_string())]);
        assert!(s.tag(&t, "d", &[("aws:reserved".into(), "x".into())]).is_err());
        assert!(s.tag(&t, "d", &[(String::new(), "x".into())]).is_err());
        let many: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(s.tag(&t, "d", &many).is_err(), "51 tags");
        assert_eq!(s.get(&t, "d").unwrap().tags.len(), 1, "a refused tag request changes nothing");
    }

    #[test]
    fn version_1_files_are_still_read() {
        let key: Key = ("123456789012".into(), "us-east-1".into(), "old".into());
        let mut v1 = Vec::new();
        v1.extend_from_slice(MAGIC);
        put_u32(&mut v1, 1);
        for part in [&key.0, &key.1, &key.2] {
            put_str(&mut v1, part);
        }
        put_i64(&mut v1, 7);
        put_str(&mut v1, "{}");
        let crc = crc32fast::hash(&v1);
        put_u32(&mut v1, crc);
        let (k, d) = decode(&v1).unwrap();
        assert_eq!((k, d.body.as_str(), d.last_modified_ms, d.tags.len()), (key, "{}", 7, 0));
    }

    #[test]
    fn names_and_bodies_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let s = DashboardStore::open(Arc::new(RealFs), dir.path()).unwrap();
        let t = tenant("us-east-1");
        for bad in ["", "has space", "slash/", &"x".repeat(256)] {
            assert!(s.put(&t, bad, "{}", 0).is_err(), "{bad:?}");
        }
        let invalid = |body: &str| match s.put(&t, "d", body, 0) {
            Err(Error::InvalidDashboardBody(m)) => m,
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(invalid("{").len(), 1);
        assert_eq!(invalid("[]")[0].message, "Should be object");
        assert_eq!(invalid(r#"{"widgets":{}}"#)[0].data_path, "/widgets");
        assert_eq!(invalid(r#"{"widgets":[{}, 3]}"#)[0].data_path, "/widgets/1");
        assert!(s.get(&t, "d").is_err(), "an invalid body stores nothing");
    }

    #[test]
    fn a_put_interrupted_at_any_point_leaves_the_old_or_the_new_version() {
        let dir = Path::new("/data/dashboards");
        let t = tenant("us-east-1");
        for n in 0..20 {
            let sim = SimFs::new();
            let s = DashboardStore::open(sim.clone(), dir).unwrap();
            s.put(&t, "a", "{\"v\":1}", 1).unwrap();
            sim.fail_after(n, FaultKind::Io);
            let _ = s.put(&t, "a", "{\"v\":2}", 2);
            sim.clear_faults();
            sim.crash(CrashMode::DropUnsynced);
            let s = DashboardStore::open(sim.clone(), dir).unwrap();
            let body = s.get(&t, "a").unwrap().body;
            assert!(body == "{\"v\":1}" || body == "{\"v\":2}", "fault after {n} ops: {body}");
        }
    }

    #[test]
    fn a_damaged_file_is_an_error_naming_it() {
        let sim = SimFs::new();
        let dir = Path::new("/data/dashboards");
        let s = DashboardStore::open(sim.clone(), dir).unwrap();
        s.put(&tenant("us-east-1"), "a", "{}", 1).unwrap();
        let name = sim.list_dir(dir).unwrap().into_iter().find(|n| n.ends_with(".dash")).unwrap();
        let path = dir.join(&name);
        let mut bytes = sim.read(&path).unwrap();
        let at = bytes.len() - 5;
        bytes[at] ^= 1;
        let mut f = sim.create(&path).unwrap();
        f.write_all(&bytes).unwrap();
        f.sync().unwrap();
        let err = DashboardStore::open(sim, dir).unwrap_err().to_string();
        assert!(err.contains(&name) && err.contains("checksum"), "{err}");
    }
}
