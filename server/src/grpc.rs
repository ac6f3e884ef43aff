//! `stratus.v1.MetricsService` over the engine.
//!
//! Each rpc: tenant from metadata (`x-stratus-account`, `x-stratus-region`, else the configured
//! default), then the shared [`Service`] operation through its middleware (`service.rs`: the
//! in-flight bound, outcome counting, the call event), errors mapped through `status`. Called
//! by tonic, built by `serve`.

use stratus_engine::Tenant;
use stratus_proto::v1 as pb;
use stratus_proto::v1::metrics_service_server::MetricsService;
use tonic::{Request, Response, Status};

use crate::service::{CallContext, Face, Service, ServiceError};
use crate::status;
use crate::telemetry::Rpc;

/// Metadata key naming the caller's account.
pub(crate) const ACCOUNT_HEADER: &str = "x-stratus-account";
/// Metadata key naming the caller's region.
pub(crate) const REGION_HEADER: &str = "x-stratus-region";

/// The metrics service: a thin translation onto the shared [`Service`].
#[derive(Clone)]
pub(crate) struct MetricsApi {
    service: Service,
    default_tenant: Tenant,
}

impl std::fmt::Debug for MetricsApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsApi").field("default_tenant", &self.default_tenant).finish_non_exhaustive()
    }
}

impl MetricsApi {
    pub(crate) fn new(service: Service, default_tenant: Tenant) -> Self {
        MetricsApi { service, default_tenant }
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

    /// Runs one rpc through the service layer's middleware.
    async fn run<Req: std::fmt::Debug, T, F, Fut>(
        &self,
        rpc: Rpc,
        request: Request<Req>,
        op: F,
    ) -> Result<Response<T>, Status>
    where
        F: FnOnce(Service, Tenant, Req) -> Fut,
        Fut: std::future::Future<Output = Result<T, ServiceError>>,
    {
        let tenant = self.tenant(&request)?;
        let ctx = CallContext::new(
            Face::Grpc,
            rpc,
            tenant.clone(),
            None,
            if crate::service::api_events_enabled() {
                crate::service::render_parameters(request.get_ref())
            } else {
                String::new()
            },
        );
        let service = self.service.clone();
        let fut = op(service, tenant, request.into_inner());
        self.service.call(&ctx, fut).await.map(Response::new).map_err(|e| status::from_service(&e))
    }
}

#[tonic::async_trait]
impl MetricsService for MetricsApi {
    async fn put_metric_data(
        &self,
        request: Request<pb::PutMetricDataRequest>,
    ) -> Result<Response<pb::PutMetricDataResponse>, Status> {
        self.run(Rpc::PutMetricData, request, |s, t, r| async move { s.put_metric_data(t, r).await }).await
    }

    async fn get_metric_statistics(
        &self,
        request: Request<pb::GetMetricStatisticsRequest>,
    ) -> Result<Response<pb::GetMetricStatisticsResponse>, Status> {
        self.run(Rpc::GetMetricStatistics, request, |s, t, r| async move { s.get_metric_statistics(t, r).await }).await
    }

    async fn list_metrics(
        &self,
        request: Request<pb::ListMetricsRequest>,
    ) -> Result<Response<pb::ListMetricsResponse>, Status> {
        self.run(Rpc::ListMetrics, request, |s, t, r| async move { s.list_metrics(t, r).await }).await
    }

    async fn get_metric_data(
        &self,
        request: Request<pb::GetMetricDataRequest>,
    ) -> Result<Response<pb::GetMetricDataResponse>, Status> {
        self.run(Rpc::GetMetricData, request, |s, t, r| async move { s.get_metric_data(t, r).await }).await
    }

    async fn flush(&self, request: Request<pb::FlushRequest>) -> Result<Response<pb::FlushResponse>, Status> {
        self.run(Rpc::Flush, request, |s, _t, r| async move { s.flush(r).await }).await
    }
}
