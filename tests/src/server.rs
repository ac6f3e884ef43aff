//! [`ServerProcess`]: the real `stratus` binary as a child process.
//!
//! Invariants: the server only ever listens on `127.0.0.1:0` (both ports), so tests run in
//! parallel and never touch another address; every wait is bounded; the child never outlives
//! its `ServerProcess` (Drop kills it). The server's stderr is appended to
//! `<data dir>.stderr.log` next to the data directory (one file across restarts, each start
//! headed by a `=====` line), and its tail is printed when a test panics.

use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tonic::transport::{Channel, Endpoint};

use crate::Client;

/// Longest wait for the `stratus listening` line (covers WAL recovery in debug builds).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest any single gRPC call may take (set on every channel).
pub const RPC_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for the process to exit after SIGKILL or SIGTERM.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines of server stderr shown on failure.
const TAIL_LINES: usize = 80;

/// The `stratus` executable: `STRATUS_BIN` if set, else `target/<profile>/stratus` found from
/// the running test executable (`target/<profile>/deps/<test>-<hash>`). Panics with a hint if
/// it does not exist.
pub fn stratus_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("STRATUS_BIN") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "STRATUS_BIN={} does not exist", p.display());
        return p;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("cannot find target/<profile>/ above the test executable {}", exe.display()));
    let bin = profile_dir.join(format!("stratus{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "the stratus binary is not at {}: build it with `cargo build -p stratus-server` \
         (`cargo test --workspace` does this), or set STRATUS_BIN",
        bin.display()
    );
    bin
}

/// A running (or stopped) `stratus serve` on one data directory.
#[derive(Debug)]
pub struct ServerProcess {
    data_dir: PathBuf,
    extra_args: Vec<String>,
    log_path: PathBuf,
    starts: u32,
    child: Option<Child>,
    grpc_addr: SocketAddr,
    http_addr: SocketAddr,
    channel: Channel,
}

/// What one successful spawn yields.
struct Spawned {
    child: Child,
    grpc_addr: SocketAddr,
    http_addr: SocketAddr,
    channel: Channel,
}

impl ServerProcess {
    /// Starts `stratus serve --data-dir DATA_DIR --grpc-addr 127.0.0.1:0 --http-addr
    /// 127.0.0.1:0 EXTRA_ARGS...`, waits (at most [`START_TIMEOUT`]) for its listening line and
    /// connects a client. Panics, with the server's stderr, if it does not come up.
    pub async fn start(data_dir: &Path, extra_args: &[&str]) -> ServerProcess {
        for a in extra_args {
            assert!(
                !a.starts_with("--grpc-addr") && !a.starts_with("--http-addr") && !a.starts_with("--data-dir"),
                "the harness owns {a}"
            );
        }
        let parent = data_dir.parent().unwrap_or(data_dir);
        std::fs::create_dir_all(parent).expect("create the data directory's parent");
        let name = data_dir.file_name().map_or_else(|| "data".into(), |n| n.to_string_lossy().into_owned());
        let log_path = parent.join(format!("{name}.stderr.log"));
        let extra_args: Vec<String> = extra_args.iter().map(|s| (*s).to_owned()).collect();
        let spawned = spawn(data_dir, &extra_args, &log_path, 1).await;
        ServerProcess {
            data_dir: data_dir.to_owned(),
            extra_args,
            log_path,
            starts: 1,
            child: Some(spawned.child),
            grpc_addr: spawned.grpc_addr,
            http_addr: spawned.http_addr,
            channel: spawned.channel,
        }
    }

    /// Starts the server again on the same data directory with the same arguments (new ports).
    /// The previous process must have been stopped ([`kill9`](Self::kill9),
    /// [`terminate`](Self::terminate)).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "restart: the previous server is still running; stop it first");
        self.starts += 1;
        let spawned = spawn(&self.data_dir, &self.extra_args, &self.log_path, self.starts).await;
        self.child = Some(spawned.child);
        self.grpc_addr = spawned.grpc_addr;
        self.http_addr = spawned.http_addr;
        self.channel = spawned.channel;
    }

    /// The bound gRPC address (127.0.0.1).
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The bound HTTP address (127.0.0.1).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The file collecting the server's stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// How many times a process was started on this data directory.
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A client on the shared connection (cheap clone).
    pub fn client(&self) -> Client {
        metrics_client(self.channel.clone())
    }

    /// The shared gRPC channel, for other services (health, reflection).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// A client on a connection of its own.
    pub async fn connect_client(&self) -> Client {
        let channel = connect(self.grpc_addr)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e:#}\n{}", self.grpc_addr, self.stderr_tail()));
        metrics_client(channel)
    }

    /// If the process has exited by itself, its status (the process is then reaped).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().expect("try_wait")?;
        self.child = None;
        Some(status)
    }

    /// `kill -9`: SIGKILL, then reap (bounded). Panics if the process had already exited by
    /// itself (a crash the test should hear about).
    pub async fn kill9(&mut self) {
        let mut child = self.child.take().expect("kill9: the server is not running");
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("kill9: the server had already exited with {status}\n{}", self.stderr_tail());
        }
        child.kill().expect("SIGKILL the server");
        if wait_bounded(&mut child, EXIT_TIMEOUT).await.is_none() {
            panic!("the server did not die within {EXIT_TIMEOUT:?} of SIGKILL");
        }
    }

    /// SIGTERM (via `kill -TERM`), then wait (bounded) for the ordered shutdown; returns the exit
    /// status. Panics, with stderr, if the server does not exit in time.
    pub async fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("terminate: the server is not running");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stdin(Stdio::null())
            .status()
            .expect("run kill -TERM");
        assert!(sent.success(), "kill -TERM {} failed: {sent}", child.id());
        match wait_bounded(&mut child, EXIT_TIMEOUT).await {
            Some(status) => status,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server did not exit within {EXIT_TIMEOUT:?} of SIGTERM\n{}", self.stderr_tail());
            }
        }
    }

    /// [`terminate`](Self::terminate) and assert a clean exit (status 0).
    pub async fn stop(&mut self) {
        let status = self.terminate().await;
        assert!(status.success(), "the server exited with {status} after SIGTERM\n{}", self.stderr_tail());
    }

    /// The last lines of the server's stderr (all starts), headed by the file name.
    pub fn stderr_tail(&self) -> String {
        tail(&self.log_path, TAIL_LINES)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let deadline = Instant::now() + EXIT_TIMEOUT;
            while Instant::now() < deadline {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        if std::thread::panicking() {
            eprintln!("{}", self.stderr_tail());
        }
    }
}

async fn spawn(data_dir: &Path, extra_args: &[String], log_path: &Path, start_no: u32) -> Spawned {
    let bin = stratus_bin();
    let mut log = OpenOptions::new().create(true).append(true).open(log_path).expect("open the stderr log");
    let mut cmd = Command::new(&bin);
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
        .args(extra_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log.try_clone().expect("clone the log handle")));
    // The test's environment must not configure the server (STRATUS_BIN, STRATUS_SEED, ...).
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("STRATUS_") {
            cmd.env_remove(&key);
        }
    }
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "info");
    }
    let _ = writeln!(log, "===== start #{start_no}: {} {:?}", bin.display(), cmd.get_args().collect::<Vec<_>>());
    drop(log);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));

    // A thread reads stdout to its end: the first `stratus listening` line goes to the test,
    // anything after is drained so the server never blocks on a full pipe.
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("stratus listening ")
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(line);
            }
        }
    });

    let line = match tokio::time::timeout(START_TIMEOUT, rx).await {
        Ok(Ok(line)) => line,
        Ok(Err(_closed)) => {
            let status = wait_bounded(&mut child, EXIT_TIMEOUT).await;
            let _ = child.kill();
            panic!("stratus closed stdout without a listening line (exit: {status:?})\n{}", tail(log_path, TAIL_LINES));
        }
        Err(_elapsed) => {
            let _ = child.kill();
            let _ = wait_bounded(&mut child, EXIT_TIMEOUT).await;
            panic!("stratus printed no listening line within {START_TIMEOUT:?}\n{}", tail(log_path, TAIL_LINES));
        }
    };
    let Some((grpc_addr, http_addr)) = parse_listening(&line) else {
        let _ = child.kill();
        panic!("unexpected listening line {line:?}");
    };
    assert!(grpc_addr.ip().is_loopback() && http_addr.ip().is_loopback(), "not loopback: {line}");
    let channel = match connect(grpc_addr).await {
        Ok(c) => c,
        Err(e) => {
            let _ = child.kill();
            panic!("connect to {grpc_addr}: {e:#}\n{}", tail(log_path, TAIL_LINES));
        }
    };
    Spawned { child, grpc_addr, http_addr, channel }
}

/// `stratus listening grpc=A http=B` → (A, B).
fn parse_listening(line: &str) -> Option<(SocketAddr, SocketAddr)> {
    let mut grpc = None;
    let mut http = None;
    for word in line.split_whitespace() {
        if let Some(a) = word.strip_prefix("grpc=") {
            grpc = a.parse().ok();
        } else if let Some(a) = word.strip_prefix("http=") {
            http = a.parse().ok();
        }
    }
    Some((grpc?, http?))
}

async fn connect(addr: SocketAddr) -> anyhow::Result<Channel> {
    let endpoint =
        Endpoint::from_shared(format!("http://{addr}"))?.connect_timeout(Duration::from_secs(5)).timeout(RPC_TIMEOUT);
    Ok(tokio::time::timeout(START_TIMEOUT, endpoint.connect()).await??)
}

fn metrics_client(channel: Channel) -> Client {
    Client::new(channel).max_decoding_message_size(64 << 20).max_encoding_message_size(64 << 20)
}

/// Polls for exit for at most `timeout`; `None` if the process is still running.
async fn wait_bounded(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = match File::open(path) {
        Ok(f) => BufReader::new(f).lines().map_while(Result::ok).collect::<Vec<_>>(),
        Err(e) => return format!("(no server stderr at {}: {e})", path.display()),
    };
    let from = text.len().saturating_sub(lines);
    format!(
        "----- last {} lines of server stderr ({}) -----\n{}\n-----",
        text.len() - from,
        path.display(),
        text[from..].join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_listening_line() {
        let (g, h) = parse_listening("stratus listening grpc=127.0.0.1:4000 http=127.0.0.1:4001").unwrap();
        assert_eq!((g.port(), h.port()), (4000, 4001));
        assert!(parse_listening("stratus listening grpc=127.0.0.1:4000").is_none());
    }
}
