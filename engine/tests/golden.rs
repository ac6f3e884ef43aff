//! Golden script tests: plain-text files in `tests/golden/*.txt` load data into a real engine
//! (on a temporary directory, with a manual clock), run queries and compare with expectations
//! written by hand. Every expected value in those files is worked out by hand (the comments
//! show the arithmetic), never copied from Stratus' output.
//!
//! # Format
//!
//! ```text
//! # comment (also after a command: `... # note`)
//! clock 2026-01-01T12:00:00Z                   set the engine clock
//! load ns=App name=Lat dims=host=a,az=1 unit=Milliseconds res=1
//!   2026-01-01T11:00:00Z 1 2 3                 single values at one time (each its own datum)
//!   2026-01-01T11:00:10Z values=1,2 counts=3,1 a Values/Counts datum
//!   2026-01-01T11:00:20Z set=4,40,-5,25        a statistic set: count,sum,min,max
//! flush [compact]                              seal the head (and merge blocks)
//! reopen                                       close and reopen the engine (WAL replay)
//! gms ns=App name=Lat dims=host=a,az=1 start=T end=T period=60 stats=Average,Maximum [unit=U]
//!     [ext=p50;tm90;TM(10%:90%)]             extended statistics, `;`-separated; `-` = absent
//! expect                                       datapoints, one per line, sorted by time then unit:
//!   2026-01-01T11:00:00Z Milliseconds Average=2 Maximum=3
//! gmd start=T end=T [scan=asc] [max=N] [page=next]   GetMetricData; `page=next` continues with the
//!   q id=m1 ns=App name=Lat dims=host=a stat=Average period=60 [unit=U] [label=L] [return=false]
//!   q id=e1 [period=60] [label=L] [return=false] expr=EXPRESSION TO THE END OF THE LINE
//! expect                                       one line per result:
//!   e1 LABEL STATUS [MESSAGE-CODES] | 2026-01-01T11:00:00Z=4 2026-01-01T11:01:00Z=6
//! expect empty                                 no datapoints / results
//! error InvalidParameterValue "text"           the previous query fails with this code, message containing text
//! ```
//! Times are RFC 3339 (UTC, `Z`) or offsets from the clock like `-1h`, `-90s`, `+5m`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stratus_engine::{
    DatumValue, Dimension, Engine, EngineConfig, Error, GetMetricData, ManualClock, MetricDataQuery, MetricDatum,
    MetricKey, PutMetricData, QueryKind, RealFs, Resolution, ScanBy, Statistic, StatisticSet, StatisticsQuery, Tenant,
    Unit,
};

struct Runner {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    engine: Option<Engine>,
    last: Option<Result<Vec<String>, Error>>,
    /// The last GetMetricData request and its NextToken, for `page=next`.
    last_gmd: Option<(GetMetricData, Option<String>)>,
    file: String,
}

fn parse_time(s: &str, now: i64) -> Result<i64, String> {
    if let Some(rest) = s.strip_prefix('-').or_else(|| s.strip_prefix('+')) {
        let sign = if s.starts_with('-') { -1 } else { 1 };
        let (num, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len()));
        let n: i64 = num.parse().map_err(|_| format!("bad offset {s}"))?;
        let ms = match unit {
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(format!("bad offset unit in {s}")),
        };
        return Ok(now + sign * n * ms);
    }
    // YYYY-MM-DDTHH:MM:SSZ
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return Err(format!("bad time {s}"));
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().map_err(|_| format!("bad time {s}"));
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    // Days from civil (Howard Hinnant's algorithm).
    let (y2, m2) = if mo <= 2 { (y - 1, mo + 9) } else { (y, mo - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000)
}

fn fmt_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn args(words: &[&str]) -> BTreeMap<String, String> {
    words.iter().filter_map(|w| w.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

fn dims(s: Option<&String>) -> Vec<Dimension> {
    match s {
        None => Vec::new(),
        Some(s) if s.is_empty() => Vec::new(),
        Some(s) => s
            .split(',')
            .map(|p| {
                let (n, v) = p.split_once('=').expect("dimension name=value");
                Dimension::new(n, v)
            })
            .collect(),
    }
}

/// Formats a number the way expectations are written: integers without a fraction, others
/// with up to 10 significant decimals, trailing zeros removed.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.10}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl Runner {
    fn engine(&self) -> &Engine {
        self.engine.as_ref().expect("engine open")
    }

    fn open(&mut self) {
        let cfg = EngineConfig { maintenance_interval: Duration::from_secs(3600), ..EngineConfig::default() };
        self.engine =
            Some(Engine::open_with(Arc::new(RealFs), self.clock.clone(), self.dir.path(), cfg).expect("open"));
    }

    fn now(&self) -> i64 {
        use stratus_engine::Clock;
        self.clock.now_ms()
    }

    fn run(&mut self, text: &str) {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.split(" #").next().unwrap_or("").trim_end()))
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .collect();
        let mut i = 0;
        while i < lines.len() {
            let (no, line) = lines[i];
            let ctx = format!("{}:{no}", self.file);
            let words: Vec<&str> = line.split_whitespace().collect();
            // Indented lines belong to the command above them.
            let mut body = Vec::new();
            while i + 1 < lines.len() && lines[i + 1].1.starts_with(char::is_whitespace) {
                i += 1;
                body.push(lines[i]);
            }
            match words[0] {
                "clock" => self.clock.set(parse_time(words[1], self.now()).expect(&ctx)),
                "load" => self.load(&ctx, &args(&words[1..]), &body),
                "flush" => {
                    self.engine().flush(words.get(1) == Some(&"compact")).expect(&ctx);
                }
                "reopen" => {
                    self.engine.take().expect("open").close().expect(&ctx);
                    self.open();
                }
                "gms" => self.gms(&ctx, &args(&words[1..])),
                "gmd" => self.gmd(&ctx, &args(&words[1..]), &body),
                "expect" => self.expect(&ctx, &words[1..], &body),
                "error" => self.expect_error(&ctx, line),
                other => panic!("{ctx}: unknown command {other}"),
            }
            i += 1;
        }
    }

    fn load(&mut self, ctx: &str, a: &BTreeMap<String, String>, body: &[(usize, &str)]) {
        let unit: Unit = a.get("unit").map_or(Unit::None, |u| u.parse().expect(ctx));
        let resolution = match a.get("res").map(String::as_str) {
            Some("1") => Resolution::High,
            _ => Resolution::Standard,
        };
        let mut data = Vec::new();
        for (no, line) in body {
            let ctx = format!("{}:{no}", self.file);
            let words: Vec<&str> = line.split_whitespace().collect();
            let t = parse_time(words[0], self.now()).expect(&ctx);
            let datum = |value| MetricDatum {
                metric_name: a["name"].clone(),
                dimensions: dims(a.get("dims")),
                timestamp_ms: Some(t),
                value,
                unit,
                resolution,
            };
            let list = |s: &str| s.split(',').map(|x| x.parse::<f64>().expect("number")).collect::<Vec<_>>();
            let kv = args(&words[1..]);
            if let Some(v) = kv.get("values") {
                let counts = kv.get("counts").map(|c| list(c)).unwrap_or_default();
                data.push(datum(DatumValue::Values { values: list(v), counts }));
            } else if let Some(s) = kv.get("set") {
                let s = list(s);
                data.push(datum(DatumValue::StatisticSet(StatisticSet {
                    sample_count: s[0],
                    sum: s[1],
                    minimum: s[2],
                    maximum: s[3],
                })));
            } else {
                for w in &words[1..] {
                    data.push(datum(DatumValue::Single(w.parse().expect(&ctx))));
                }
            }
        }
        let req = PutMetricData { namespace: a["ns"].clone(), metric_data: data, series: Vec::new() };
        self.engine().put_metric_data(&Tenant::default(), &req).expect(ctx).ticket.wait().expect(ctx);
    }

    fn gms(&mut self, ctx: &str, a: &BTreeMap<String, String>) {
        let now = self.now();
        let statistics: Vec<Statistic> =
            a.get("stats").map(|s| s.split(',').map(|x| x.parse().expect(ctx)).collect()).unwrap_or_default();
        // `ext=` lists extended statistics separated by `;`.
        let extended: Vec<String> = a.get("ext").map(|s| s.split(';').map(str::to_owned).collect()).unwrap_or_default();
        let q = StatisticsQuery {
            key: MetricKey::new(a["ns"].clone(), a["name"].clone(), dims(a.get("dims"))),
            start_ms: parse_time(&a["start"], now).expect(ctx),
            end_ms: parse_time(&a["end"], now).expect(ctx),
            period_s: a["period"].parse().expect(ctx),
            statistics: statistics.clone(),
            extended_statistics: extended.clone(),
            unit: a.get("unit").map(|u| u.parse().expect(ctx)),
        };
        self.last = Some(self.engine().get_metric_statistics(&Tenant::default(), &q).map(|r| {
            r.datapoints
                .iter()
                .map(|d| {
                    let mut s = format!("{} {}", fmt_time(d.timestamp_ms), d.unit);
                    for st in &statistics {
                        let v = match st {
                            Statistic::SampleCount => d.sample_count,
                            Statistic::Average => d.average,
                            Statistic::Sum => d.sum,
                            Statistic::Minimum => d.minimum,
                            Statistic::Maximum => d.maximum,
                        };
                        s.push_str(&format!(" {st}={}", v.map_or("-".into(), num)));
                    }
                    for name in &extended {
                        let v = d.extended_statistics.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                        s.push_str(&format!(" {name}={}", v.map_or("-".into(), num)));
                    }
                    s
                })
                .collect()
        }));
    }

    fn gmd(&mut self, ctx: &str, a: &BTreeMap<String, String>, body: &[(usize, &str)]) {
        let now = self.now();
        let req = if a.get("page").map(String::as_str) == Some("next") {
            let (mut req, token) = self.last_gmd.take().unwrap_or_else(|| panic!("{ctx}: no previous gmd"));
            req.next_token = Some(token.unwrap_or_else(|| panic!("{ctx}: the previous page had no NextToken")));
            req
        } else {
            let mut queries = Vec::new();
            for (no, line) in body {
                let qctx = format!("{}:{no}", self.file);
                let line = line.trim();
                let line = line.strip_prefix("q ").unwrap_or_else(|| panic!("{qctx}: expected `q ...`"));
                let (head, expr) = match line.split_once("expr=") {
                    Some((h, e)) => (h, Some(e.trim().to_owned())),
                    None => (line, None),
                };
                let q = args(&head.split_whitespace().collect::<Vec<_>>());
                let kind = match expr {
                    Some(e) => QueryKind::Expression(e),
                    None => QueryKind::MetricStat {
                        metric: MetricKey::new(q["ns"].clone(), q["name"].clone(), dims(q.get("dims"))),
                        period_s: q["period"].parse().expect(&qctx),
                        stat: q["stat"].clone(),
                        unit: q.get("unit").map(|u| u.parse().expect(&qctx)),
                    },
                };
                let is_expr = matches!(kind, QueryKind::Expression(_));
                queries.push(MetricDataQuery {
                    id: q["id"].clone(),
                    label: q.get("label").cloned(),
                    return_data: q.get("return").is_none_or(|r| r != "false"),
                    period_s: q.get("period").filter(|_| is_expr).map(|p| p.parse().expect(&qctx)),
                    kind,
                });
            }
            GetMetricData {
                queries,
                start_ms: parse_time(&a["start"], now).expect(ctx),
                end_ms: parse_time(&a["end"], now).expect(ctx),
                next_token: None,
                scan_by: match a.get("scan").map(String::as_str) {
                    Some("asc") => ScanBy::TimestampAscending,
                    _ => ScanBy::TimestampDescending,
                },
                max_datapoints: a.get("max").map(|m| m.parse().expect(ctx)),
            }
        };
        let result = self.engine().get_metric_data(&Tenant::default(), &req);
        self.last = Some(result.map(|r| {
            self.last_gmd = Some((req.clone(), r.next_token.clone()));
            r.results
                .iter()
                .map(|x| {
                    let mut s = format!("{} {} {}", x.id, x.label, x.status_code.as_str());
                    for m in &x.messages {
                        s.push_str(&format!(" [{}]", m.code));
                    }
                    s.push_str(" |");
                    for (t, v) in x.timestamps.iter().zip(&x.values) {
                        s.push_str(&format!(" {}={}", fmt_time(*t), num(*v)));
                    }
                    s
                })
                .collect()
        }));
    }

    fn expect(&mut self, ctx: &str, words: &[&str], body: &[(usize, &str)]) {
        let got = match self.last.take().unwrap_or_else(|| panic!("{ctx}: expect without a query")) {
            Ok(lines) => lines,
            Err(e) => panic!("{ctx}: query failed: {e}"),
        };
        let want: Vec<String> = if words.first() == Some(&"empty") {
            Vec::new()
        } else {
            body.iter().map(|(_, l)| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
        };
        assert_eq!(got, want, "{ctx}: results differ\n got: {got:#?}\nwant: {want:#?}");
    }

    fn expect_error(&mut self, ctx: &str, line: &str) {
        let rest = line.trim_start().strip_prefix("error").unwrap_or("").trim();
        let (code, text) = rest.split_once(' ').unwrap_or((rest, ""));
        let text = text.trim().trim_matches('"');
        match self.last.take().unwrap_or_else(|| panic!("{ctx}: error without a query")) {
            Err(Error::InvalidArgument { code: c, message }) => {
                assert_eq!(c.as_str(), code, "{ctx}: {message}");
                assert!(message.contains(text), "{ctx}: {message:?} should contain {text:?}");
            }
            other => panic!("{ctx}: expected {code}, got {other:?}"),
        }
    }
}

fn run_file(path: &Path) {
    let text = std::fs::read_to_string(path).expect("read golden file");
    let mut r = Runner {
        dir: tempfile::tempdir().expect("tempdir"),
        clock: Arc::new(ManualClock::new(0)),
        engine: None,
        last: None,
        last_gmd: None,
        file: path.file_name().expect("name").to_string_lossy().into_owned(),
    };
    // The clock must be set before the engine opens (the first `clock` line).
    if let Some(first) = text.lines().find(|l| l.trim_start().starts_with("clock ")) {
        let t = first.split_whitespace().nth(1).expect("clock time");
        r.clock.set(parse_time(t, 0).expect("clock"));
    }
    r.open();
    r.run(&text);
    r.engine.take().expect("open").close().expect("close");
}

#[test]
fn golden_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden files in {}", dir.display());
    for f in files {
        run_file(&f);
    }
}

#[test]
fn time_helpers_round_trip() {
    let t = parse_time("2026-01-01T12:00:00Z", 0).unwrap();
    assert_eq!(t, 1_767_268_800_000);
    assert_eq!(fmt_time(t), "2026-01-01T12:00:00Z");
    assert_eq!(parse_time("-90s", t).unwrap(), t - 90_000);
    assert_eq!(fmt_time(parse_time("2024-02-29T23:59:59Z", 0).unwrap()), "2024-02-29T23:59:59Z");
}
