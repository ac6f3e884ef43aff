//! Stock AWS clients against the real `stratus` binary: boto3 and the AWS CLI (awsJson1_0) and
//! botocore-signed awsQuery requests, from `tests/aws/clients.py` (see it for every check).
//!
//! The clients live in a virtualenv this test creates under the target directory
//! (`target/aws-clients-venv`, reused across runs) with pinned versions, so the first run needs
//! Python 3 with `venv` and access to PyPI. Every wait is bounded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use stratus_tests::ServerProcess;
use tokio::process::Command;

const BOTO3: &str = "boto3==1.44.5";
const AWSCLI: &str = "awscli==1.46.3";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

async fn run(cmd: &mut Command, timeout: Duration, what: &str) -> String {
    let out = tokio::time::timeout(timeout, cmd.kill_on_drop(true).output())
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {timeout:?}"))
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed ({}):\n{text}", out.status);
    text
}

/// The virtualenv's python, creating and filling the venv if needed.
async fn client_python() -> PathBuf {
    let venv = target_dir().join("aws-clients-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(format!("installed-{BOTO3}-{AWSCLI}"));
    if !marker.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv), INSTALL_TIMEOUT, "python3 -m venv").await;
        run(
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                BOTO3,
                AWSCLI,
            ]),
            INSTALL_TIMEOUT,
            "pip install boto3 awscli",
        )
        .await;
        std::fs::write(&marker, b"").expect("venv marker");
    }
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_aws_cli_and_aws_query_clients_work_unmodified() {
    let python = client_python().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = ServerProcess::start(dir.path(), &["--credentials", "AKIDCLIENTTEST:clientTestSecret"]).await;
    let endpoint = format!("http://{}", server.http_addr());
    let script = workspace_root().join("tests").join("aws").join("clients.py");
    let out = run(
        Command::new(&python).arg(&script).args([&endpoint, "AKIDCLIENTTEST", "clientTestSecret"]),
        RUN_TIMEOUT,
        "tests/aws/clients.py",
    )
    .await;
    assert!(out.contains("all client checks passed"), "{out}");
    server.stop().await;
}
