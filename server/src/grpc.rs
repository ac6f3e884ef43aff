//! `stratus.v1.MetricsService` over the engine.
//!
//! Each rpc: tenant from metadata (`x-stratus-account`, `x-stratus-region`, else the configured
//! default), `convert` the request, run the engine call on tokio's blocking pool (engine calls
//! may block on disk), map errors through `status`, and count the outcome in `telemetry`.
//! PutMetricData answers only after awaiting the commit ticket, i.e. once the write is as
//! durable as the engine's durability policy promises. Called by tonic, built by `serve`.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use stratus_engine::{Engine, Error, Tenant};
use stratus_proto::v1 as pb;
use stratus_proto::v1::metrics_service_server::MetricsService;
use tonic::{Code, Request, Response, Status};

use crate::telemetry::{Registry, Rpc};
use crate::{convert, status};

/// Metadata key naming the caller's account.
pub(crate) const ACCOUNT_HEADER: &str = "x-stratus-account";
/// Metadata key naming the caller's region.
pub(crate) const REGION_HEADER: &str = "x-stratus-region";

/// Requests handled at once, across connections. Beyond this a request is refused at once
/// with `Throttling` rather than queued for the blocking pool, so overload never turns into
/// unbounded memory.
pub(crate) const MAX_IN_FLIGHT: usize = 256;

/// The metrics service: shares the engine with the HTTP face and the shutdown path.
#[derive(Clone)]
pub(crate) struct MetricsApi {
    engine: Arc<Engine>,
    default_tenant: Tenant,
    registry: Arc<Registry>,
    in_flight: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for MetricsApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsApi").field("default_tenant", &self.default_tenant).finish_non_exhaustive()
    }
}

impl MetricsApi {
    pub(crate) fn new(engine: Arc<Engine>, default_tenant: Tenant, registry: Arc<Registry>) -> Self {
        MetricsApi { engine, default_tenant, registry, in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)) }
    }

    /// The caller's tenant: metadata if present and non-empty, else the default.
    fn tenant<T>(&self, request: &Request<T>) -> Result<Tenant, Status> {
        let get = |key: &str| -> Result<Option<String>, Status> {
            match request.metadata().get(key) {
                None => Ok(None),
                Some(v) => match v.to_str() {
                    Ok("") => Ok(None),
                    Ok(s) => Ok(Some(s.to_owned())),
                    Err(_) => Err(Status::invalid_argument(format!(
                        "InvalidParameterValue: the metadata {key} must be printable ASCII."
                    ))),
                },
            }
        };
        let account = get(ACCOUNT_HEADER)?.unwrap_or_else(|| self.default_tenant.account.clone());
        let region = get(REGION_HEADER)?.unwrap_or_else(|| self.default_tenant.region.clone());
        Ok(Tenant { account, region })
    }

    /// Runs `f` on the engine from the blocking pool.
    async fn blocking<T, F>(&self, f: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, Error> + Send + 'static,
    {
        let engine = Arc::clone(&self.engine);
        match tokio::task::spawn_blocking(move || f(&engine)).await {
            Ok(result) => result.map_err(|e| status::from_engine(&e)),
            Err(join) => Err(status::from_join(&join)),
        }
    }

    /// Runs one rpc and counts its outcome.
    async fn observe<T>(&self, rpc: Rpc, handler: impl Future<Output = Result<T, Status>>) -> Result<T, Status> {
        let start = Instant::now();
        let result = match self.in_flight.try_acquire() {
            Ok(_permit) => handler.await,
            Err(_) => Err(Status::resource_exhausted(format!(
                "Throttling: more than {MAX_IN_FLIGHT} requests in flight; retry later"
            ))),
        };
        let code = result.as_ref().map_or_else(Status::code, |_| Code::Ok);
        self.registry.record(rpc, code, start.elapsed());
        result
    }

    async fn put(&self, request: Request<pb::PutMetricDataRequest>) -> Result<pb::PutMetricDataResponse, Status> {
        let tenant = self.tenant(&request)?;
        let req = convert::put_metric_data(request.into_inner()).map_err(|e| status::from_engine(&e))?;
        let receipt = self.blocking(move |engine| engine.put_metric_data(&tenant, &req)).await?;
        // The durable acknowledgement: wait for the WAL group holding this write.
        receipt.ticket.await.map_err(|e| status::from_engine(&Error::from(e)))?;
        self.registry.samples_accepted(receipt.samples);
        Ok(pb::PutMetricDataResponse { samples_accepted: receipt.samples })
    }

    async fn get_statistics(
        &self,
        request: Request<pb::GetMetricStatisticsRequest>,
    ) -> Result<pb::GetMetricStatisticsResponse, Status> {
        let tenant = self.tenant(&request)?;
        let query = convert::statistics_query(request.into_inner()).map_err(|e| status::from_engine(&e))?;
        let result = self.blocking(move |engine| engine.get_metric_statistics(&tenant, &query)).await?;
        Ok(convert::statistics_response(result))
    }

    async fn list(&self, request: Request<pb::ListMetricsRequest>) -> Result<pb::ListMetricsResponse, Status> {
        let tenant = self.tenant(&request)?;
        let query = convert::list_metrics_query(request.into_inner()).map_err(|e| status::from_engine(&e))?;
        let page = self.blocking(move |engine| engine.list_metrics(&tenant, &query)).await?;
        Ok(convert::list_metrics_response(page))
    }

    async fn get_data(&self, request: Request<pb::GetMetricDataRequest>) -> Result<pb::GetMetricDataResponse, Status> {
        let tenant = self.tenant(&request)?;
        let query = convert::get_metric_data_request(request.into_inner()).map_err(|e| status::from_engine(&e))?;
        let result = self.blocking(move |engine| engine.get_metric_data(&tenant, &query)).await?;
        Ok(convert::get_metric_data_response(result))
    }

    async fn flush_engine(&self, request: Request<pb::FlushRequest>) -> Result<pb::FlushResponse, Status> {
        let compact = request.into_inner().compact;
        let report = self.blocking(move |engine| engine.flush(compact)).await?;
        Ok(convert::flush_response(&report))
    }
}

#[tonic::async_trait]
impl MetricsService for MetricsApi {
    async fn put_metric_data(
        &self,
        request: Request<pb::PutMetricDataRequest>,
    ) -> Result<Response<pb::PutMetricDataResponse>, Status> {
        self.observe(Rpc::PutMetricData, self.put(request)).await.map(Response::new)
    }

    async fn get_metric_statistics(
        &self,
        request: Request<pb::GetMetricStatisticsRequest>,
    ) -> Result<Response<pb::GetMetricStatisticsResponse>, Status> {
        self.observe(Rpc::GetMetricStatistics, self.get_statistics(request)).await.map(Response::new)
    }

    async fn list_metrics(
        &self,
        request: Request<pb::ListMetricsRequest>,
    ) -> Result<Response<pb::ListMetricsResponse>, Status> {
        self.observe(Rpc::ListMetrics, self.list(request)).await.map(Response::new)
    }

    async fn get_metric_data(
        &self,
        request: Request<pb::GetMetricDataRequest>,
    ) -> Result<Response<pb::GetMetricDataResponse>, Status> {
        self.observe(Rpc::GetMetricData, self.get_data(request)).await.map(Response::new)
    }

    async fn flush(&self, request: Request<pb::FlushRequest>) -> Result<Response<pb::FlushResponse>, Status> {
        self.observe(Rpc::Flush, self.flush_engine(request)).await.map(Response::new)
    }
}
