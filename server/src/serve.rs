//! Start-up, serving and ordered shutdown.
//!
//! Start: bind both listeners ([`run`]; fail fast on a taken port), create the data directory,
//! open the engine (WAL recovery) on the blocking pool, start the gRPC server (metrics service,
//! `grpc.health.v1.Health` reporting SERVING, reflection v1) and the HTTP server, then print
//! exactly one line to stdout:
//!
//! ```text
//! stratus listening grpc=127.0.0.1:50051 http=127.0.0.1:8080
//! ```
//!
//! Shutdown, when the caller's future completes or either server fails: both servers stop
//! accepting and drain in-flight requests (bounded by `drain_timeout`), then `Engine::close`
//! stops background work and flushes the WAL, then [`run`] returns. The engine goes last, so
//! every request that was answered had its engine call complete before the close.

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use stratus_engine::Engine;
use stratus_proto::FILE_DESCRIPTOR_SET;
use stratus_proto::v1::metrics_service_server::MetricsServiceServer;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::server::TcpIncoming;

use crate::aws::handler::{Auth, AwsApi};
use crate::aws::sigv4::Credentials;
use crate::config::ServerConfig;
use crate::grpc::MetricsApi;
use crate::http;
use crate::service::Service;
use crate::telemetry::Registry;

/// Binds `config.grpc_addr` and `config.http_addr`, then serves as [`run_with_listeners`] until
/// `shutdown` completes.
pub async fn run(config: ServerConfig, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let grpc = TcpListener::bind(config.grpc_addr)
        .await
        .with_context(|| format!("cannot listen for gRPC on {}", config.grpc_addr))?;
    let http = TcpListener::bind(config.http_addr)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", config.http_addr))?;
    run_with_listeners(config, grpc, http, shutdown).await
}

/// Serves gRPC on `grpc` and HTTP on `http` (already bound, e.g. to port 0; the addresses in
/// `config` are ignored) until `shutdown` completes, then shuts down in order. Returns an error
/// if the engine cannot be opened or closed cleanly, or a server fails.
pub async fn run_with_listeners(
    config: ServerConfig,
    grpc: TcpListener,
    http: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let grpc_addr = grpc.local_addr().context("gRPC listener address")?;
    let http_addr = http.local_addr().context("HTTP listener address")?;

    // Watch the caller's shutdown from the start, so a signal during recovery is not lost.
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let trigger = Arc::clone(&stop_tx);
    let signal_task = tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutdown requested");
        trigger.send_replace(true);
    });

    let engine = match open_engine(&config).await {
        Ok(engine) => Arc::new(engine),
        Err(err) => {
            signal_task.abort();
            return Err(err);
        }
    };
    let registry = Arc::new(Registry::new());
    // Dropped when `run_with_listeners` returns, which ends the trimmer.
    let (_trim_stop, trim_rx) = std::sync::mpsc::channel::<()>();
    crate::memory::spawn_trimmer(trim_rx, std::time::Duration::from_secs(1));

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<MetricsServiceServer<MetricsApi>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("building the gRPC reflection service")?;
    let service = Service::new(Arc::clone(&engine), Arc::clone(&registry));
    let metrics_service = MetricsServiceServer::new(MetricsApi::new(service.clone(), config.default_tenant.clone()))
        .max_decoding_message_size(config.grpc_max_message_bytes)
        .max_encoding_message_size(config.grpc_max_message_bytes);
    let grpc_server = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(metrics_service)
        .serve_with_incoming_shutdown(TcpIncoming::from(grpc).with_nodelay(Some(true)), stopped(stop_rx.clone()));
    let mut grpc_task =
        tokio::spawn(stop_when_done(
            Arc::clone(&stop_tx),
            async move { grpc_server.await.context("gRPC server failed") },
        ));

    let aws = Arc::new(AwsApi { service: service.clone(), auth: aws_auth(&config) });
    let http_server = axum::serve(http, http::router(Arc::clone(&engine), Arc::clone(&registry), aws))
        .with_graceful_shutdown(stopped(stop_rx.clone()));
    let mut http_task =
        tokio::spawn(stop_when_done(
            Arc::clone(&stop_tx),
            async move { http_server.await.context("HTTP server failed") },
        ));

    tracing::info!(%grpc_addr, %http_addr, data_dir = %config.data_dir.display(), "stratus listening");
    {
        let mut stdout = std::io::stdout().lock();
        // The machine-readable start line (tests parse it to learn ports bound on :0).
        let _ = writeln!(stdout, "stratus listening grpc={grpc_addr} http={http_addr}");
        let _ = stdout.flush();
    }

    // Serve until the caller asks to stop or a server ends by itself.
    stopped(stop_rx).await;
    health.set_not_serving::<MetricsServiceServer<MetricsApi>>().await;
    tracing::info!("stopped accepting; draining in-flight requests");

    let mut errors = Vec::new();
    let drained =
        tokio::time::timeout(config.drain_timeout, async { tokio::join!(&mut grpc_task, &mut http_task) }).await;
    match drained {
        Ok((grpc_result, http_result)) => {
            for result in [grpc_result, http_result] {
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => errors.push(err),
                    Err(join) => errors.push(anyhow::Error::new(join).context("server task failed")),
                }
            }
        }
        Err(_) => {
            tracing::warn!(timeout = ?config.drain_timeout, "in-flight requests did not finish in time; closing anyway");
            grpc_task.abort();
            http_task.abort();
        }
    }
    signal_task.abort();

    // Last: the engine. Requests still inside engine calls hold their own Arc and fail with
    // `Closed` if they reach the engine after this.
    let closing = Arc::clone(&engine);
    match tokio::task::spawn_blocking(move || closing.close()).await {
        Ok(Ok(())) => tracing::info!("engine closed"),
        Ok(Err(err)) => errors.push(anyhow::Error::new(err).context("closing the engine failed")),
        Err(join) => errors.push(anyhow::Error::new(join).context("closing the engine panicked")),
    }
    match errors.into_iter().next() {
        None => Ok(()),
        Some(err) => Err(err),
    }
}

/// How the AWS endpoint authenticates, from the configuration (SigV4 unless explicitly off).
fn aws_auth(config: &ServerConfig) -> Auth {
    if config.insecure_no_auth {
        tracing::warn!(
            "AUTHENTICATION IS OFF (--insecure-no-auth): the AWS endpoint accepts unsigned requests from anyone \
             who can reach it, all as account {}. Use this for local development only.",
            config.default_tenant.account
        );
        return Auth::Insecure {
            account: config.default_tenant.account.clone(),
            region: config.default_tenant.region.clone(),
        };
    }
    if config.credentials.is_empty() {
        tracing::warn!(
            "no credentials configured: the AWS endpoint refuses every request; add --credentials AKID:SECRET[:ACCOUNT]"
        );
    }
    let credentials = config
        .credentials
        .iter()
        .map(|(id, secret, account)| Credentials::new(id.clone(), secret.clone(), account.clone()))
        .collect();
    Auth::SigV4 { credentials, max_skew: config.auth_max_skew }
}

/// Creates the data directory and opens (recovers) the engine on the blocking pool.
async fn open_engine(config: &ServerConfig) -> anyhow::Result<Engine> {
    let dir = config.data_dir.clone();
    let engine_config = config.engine.clone();
    let started = std::time::Instant::now();
    let engine = tokio::task::spawn_blocking(move || -> anyhow::Result<Engine> {
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create data directory {}", dir.display()))?;
        Engine::open(&dir, engine_config).with_context(|| format!("cannot open the engine in {}", dir.display()))
    })
    .await
    .context("the engine open task failed")??;
    tracing::info!(data_dir = %config.data_dir.display(), elapsed = ?started.elapsed(), "engine open");
    Ok(engine)
}

/// Completes once the stop flag is set.
async fn stopped(mut stop: watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Runs a server to its end, then sets the stop flag so the other one stops too.
async fn stop_when_done(
    stop: Arc<watch::Sender<bool>>,
    server: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let result = server.await;
    stop.send_replace(true);
    result
}

/// A future that completes on SIGINT or SIGTERM (Ctrl-C only, off Unix). The handlers are
/// installed when this is called, not when the future is first polled, so a signal that
/// arrives during start-up is not lost. Must be called inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => tracing::info!("SIGTERM received"),
                        _ = int.recv() => tracing::info!("SIGINT received"),
                    }
                }
                (term, int) => {
                    let err = term.err().or(int.err()).map(|e| e.to_string()).unwrap_or_default();
                    tracing::error!(error = %err, "cannot install signal handlers; falling back to Ctrl-C");
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async move {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C received");
        }
    }
}
