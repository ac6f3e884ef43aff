//! Stock AWS clients against the real `stratus` binary: boto3 and the AWS CLI (awsJson1_0) and
//! botocore-signed awsQuery requests from `tests/aws/clients.py`, and boto3 from before
//! CloudWatch's JSON switch (botocore 1.42.6, awsQuery only) from `tests/aws/query_clients.py`
//! (see the scripts for every check).
//!
//! The clients live in virtualenvs these tests create under the target directory
//! (`target/aws-clients-venv`, `target/aws-query-clients-venv`, reused across runs) with pinned
//! versions, so the first run needs Python 3 with `venv` and access to PyPI. Every wait is
//! bounded.

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

/// A virtualenv's python with `packages` installed, creating and filling the venv if needed.
async fn client_python(name: &str, packages: &[&str]) -> PathBuf {
    let venv = target_dir().join(name);
    let python = venv.join("bin").join("python");
    let marker = venv.join(format!("installed-{}", packages.join("-")));
    if !marker.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv), INSTALL_TIMEOUT, "python3 -m venv").await;
        run(
            Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
                .args(packages),
            INSTALL_TIMEOUT,
            &format!("pip install {}", packages.join(" ")),
        )
        .await;
        std::fs::write(&marker, b"").expect("venv marker");
    }
    python
}

/// Runs `tests/aws/{script}` with `python` against a fresh server; returns its output.
async fn run_script(python: &Path, script: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = ServerProcess::start(dir.path(), &["--credentials", "AKIDCLIENTTEST:clientTestSecret"]).await;
    let endpoint = format!("http://{}", server.http_addr());
    let path = workspace_root().join("tests").join("aws").join(script);
    let out = run(
        Command::new(python).arg(&path).args([&endpoint, "AKIDCLIENTTEST", "clientTestSecret"]),
        RUN_TIMEOUT,
        script,
    )
    .await;
    server.stop().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_aws_cli_and_aws_query_clients_work_unmodified() {
    let python = client_python("aws-clients-venv", &[BOTO3, AWSCLI]).await;
    let out = run_script(&python, "clients.py").await;
    assert!(out.contains("all client checks passed"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_before_the_json_switch_speaks_aws_query() {
    let python = client_python("aws-query-clients-venv", &["boto3==1.42.6", "botocore==1.42.6"]).await;
    let out = run_script(&python, "query_clients.py").await;
    assert!(out.contains("all awsQuery client checks passed"), "{out}");
}
