//! The real `stratus` binary: argument and config validation, the `listening` line, the client
//! verbs against a live server, and shutdown on SIGTERM. Building this test makes cargo build
//! the binary, which the black-box tests in the workspace's `tests/` crate also run.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_stratus");
/// Upper bound on any single wait in these tests.
const WAIT: Duration = Duration::from_secs(30);

/// Runs the binary to completion (bounded by [`WAIT`]) with no `STRATUS_*` variables inherited.
fn stratus(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("STRATUS_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let child = cmd.spawn().expect("spawn stratus");
    wait_output(child)
}

fn wait_output(mut child: Child) -> Output {
    let deadline = Instant::now() + WAIT;
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("stratus did not exit within {WAIT:?}: {:?}", child.wait_with_output());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_works() {
    let out = stratus(&["--help"], &[]);
    assert!(out.status.success(), "{out:?}");
    let help = text(&out.stdout);
    for verb in ["serve", "put-metric-data", "get-metric-statistics", "list-metrics", "flush"] {
        assert!(help.contains(verb), "{verb} missing in\n{help}");
    }
    let out = stratus(&["serve", "--help"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(text(&out.stdout).contains("--data-dir"));
}

fn write_config(dir: &Path, body: &str) -> String {
    let path = dir.join("stratus.toml");
    std::fs::File::create(&path).unwrap().write_all(body.as_bytes()).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn invalid_config_is_rejected_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();

    let config = write_config(dir.path(), "data_dir = \"/tmp/x\"\ngrpc_adress = \"127.0.0.1:0\"\n");
    let out = stratus(&["serve", "--config", &config, "--data-dir", data], &[]);
    assert!(!out.status.success(), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("invalid configuration") && err.contains("grpc_adress"), "{err}");
    assert!(out.stdout.is_empty(), "{out:?}");

    let out = stratus(&["serve", "--data-dir", data], &[("STRATUS_DURABILITY", "whenever")]);
    assert!(!out.status.success(), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("STRATUS_DURABILITY") && err.contains("whenever"), "{err}");

    let out = stratus(&["serve", "--data-dir", data, "--grpc-addr", "localhost"], &[]);
    assert!(!out.status.success(), "{out:?}");
    assert!(text(&out.stderr).contains("--grpc-addr"), "{out:?}");

    let out = stratus(&["serve", "--config", &dir.path().join("missing.toml").to_string_lossy()], &[]);
    assert!(!out.status.success(), "{out:?}");
    assert!(text(&out.stderr).contains("missing.toml"), "{out:?}");

    // Nothing was started, so nothing was created.
    assert!(!dir.path().join("data").exists());
}

/// A running `stratus serve` on 127.0.0.1:0.
struct Server {
    child: Child,
    grpc: String,
    http: String,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--data-dir", data_dir.to_str().unwrap(), "--grpc-addr", "127.0.0.1:0"])
            .args(["--http-addr", "127.0.0.1:0", "--shards", "2"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn stratus serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("no listening line within {WAIT:?}");
            }
        };
        // stratus listening grpc=127.0.0.1:PORT http=127.0.0.1:PORT
        let mut words = line.split_whitespace();
        assert_eq!((words.next(), words.next()), (Some("stratus"), Some("listening")), "{line:?}");
        let grpc = words.next().and_then(|w| w.strip_prefix("grpc=")).expect("grpc=").to_owned();
        let http = words.next().and_then(|w| w.strip_prefix("http=")).expect("http=").to_owned();
        assert_eq!(words.next(), None, "{line:?}");
        Server { child, grpc, http }
    }

    fn client(&self, args: &[&str]) -> Output {
        let endpoint = format!("http://{}", self.grpc);
        let mut all = args.to_vec();
        all.extend(["--endpoint", &endpoint]);
        stratus(&all, &[])
    }

    fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("stratus did not stop within {WAIT:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

#[test]
fn client_verbs_against_a_live_server_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"));
    let ns = ["--namespace", "Cli/Test", "--metric-name", "Requests"];

    let put = server.client(
        &[
            &["put-metric-data"][..],
            &ns,
            &["--dimensions", "host=h1", "--value", "5", "--unit", "Count", "--output", "json"],
        ]
        .concat(),
    );
    assert_eq!(json(&put)["SamplesAccepted"], 1);
    let put = server.client(
        &[
            &["put-metric-data"][..],
            &ns,
            &["--dimensions", "Name=host,Value=h1", "--values", "1", "2", "--counts", "2", "1", "--unit", "Count"],
        ]
        .concat(),
    );
    assert!(put.status.success(), "{put:?}");
    assert!(text(&put.stdout).contains("SamplesAccepted"), "{put:?}");

    let bad = server.client(&[&["put-metric-data"][..], &ns, &["--value", "NaN"]].concat());
    assert_eq!(bad.status.code(), Some(254), "{bad:?}");
    assert_eq!(
        text(&bad.stderr).trim(),
        "An error occurred (InvalidParameterValue) when calling the PutMetricData operation: \
         The value NaN for parameter MetricData.member.1.Value is invalid."
    );

    let stats = server.client(
        &[
            &["get-metric-statistics"][..],
            &ns,
            &["--dimensions", "host=h1", "--start-time", "-10m", "--end-time", "now"],
        ]
        .concat()
        .into_iter()
        .chain(["--period", "60", "--statistics", "Sum", "SampleCount", "--output", "json"])
        .collect::<Vec<_>>(),
    );
    let stats = json(&stats);
    assert_eq!(stats["Label"], "Requests");
    let points = stats["Datapoints"].as_array().unwrap();
    let sum: f64 = points.iter().map(|p| p["Sum"].as_f64().unwrap()).sum();
    let count: f64 = points.iter().map(|p| p["SampleCount"].as_f64().unwrap()).sum();
    assert_eq!((sum, count), (9.0, 4.0), "{stats}");
    assert!(points.iter().all(|p| p["Unit"] == "Count"), "{stats}");

    let table = server
        .client(&[&["get-metric-statistics"][..], &ns, &["--dimensions", "host=h1", "--start-time", "-10m"]].concat());
    assert!(table.status.success(), "{table:?}");
    assert!(text(&table.stdout).contains("Timestamp"), "{table:?}");

    let list = json(&server.client(&["list-metrics", "--namespace", "Cli/Test", "--output", "json"]));
    assert_eq!(list["Metrics"][0]["MetricName"], "Requests", "{list}");
    assert_eq!(list["Metrics"][0]["Dimensions"][0]["Name"], "host", "{list}");

    let flush = json(&server.client(&["flush", "--output", "json"]));
    assert!(flush["SamplesOnDisk"].as_u64().unwrap() > 0, "{flush}");

    let healthz = http_get(&server.http, "/healthz");
    assert!(healthz.starts_with("HTTP/1.1 200") && healthz.ends_with("ok"), "{healthz}");
    let metrics = http_get(&server.http, "/metrics");
    assert!(metrics.contains("stratus_requests_total{rpc=\"PutMetricData\",code=\"OK\"} 2"), "{metrics}");

    let status = server.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
}

/// A plain HTTP/1.1 GET with bounded waits; returns status line, headers and body.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::Read as _;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn client_reports_an_unreachable_endpoint() {
    // Port 1 on localhost: nothing listens there.
    let out = stratus(&["list-metrics", "--endpoint", "http://127.0.0.1:1", "--timeout", "5s"], &[]);
    assert_eq!(out.status.code(), Some(255), "{out:?}");
    assert!(text(&out.stderr).contains("Could not connect to the endpoint URL"), "{out:?}");
}
