//! Smaller end-to-end properties: a datum without a timestamp is stored at its receive time, and
//! ListMetrics pages (500 per page) return every metric exactly once, before and after a restart.

use std::collections::BTreeSet;

use stratus_tests::{Client, ServerProcess, dims, floor_minute, now_ms, pb, put, series, single, stats_query};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datum_without_timestamp_uses_receive_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut server = ServerProcess::start(&tmp.path().join("data"), &[]).await;
    let mut client = server.client();
    let before = now_ms();
    let datum = pb::MetricDatum { timestamp: None, ..single("Now", &[], 0, 42.5, "Count") };
    client.put_metric_data(put("Misc", vec![datum], vec![])).await.expect("PutMetricData");
    let after = now_ms();

    let q = stats_query("Misc", "Now", &[], before - 300_000, after + 300_000, 60, &["SampleCount", "Sum"], "");
    let dps = client.get_metric_statistics(q).await.expect("query").into_inner().datapoints;
    assert_eq!(dps.len(), 1, "{dps:?}");
    let t = dps[0].timestamp.as_ref().map_or(0, |t| t.seconds * 1000);
    assert!((floor_minute(before)..=after).contains(&t), "bucket {t} not around the receive time {before}..{after}");
    assert_eq!((dps[0].sample_count, dps[0].sum), (Some(1.0), Some(42.5)));
    server.stop().await;
}

async fn list_pages(client: &mut Client) -> (BTreeSet<String>, Vec<usize>) {
    let mut req = pb::ListMetricsRequest { namespace: "Paged".into(), ..Default::default() };
    let mut seen = BTreeSet::new();
    let mut sizes = Vec::new();
    for _ in 0..100 {
        let page = client.list_metrics(req.clone()).await.expect("ListMetrics").into_inner();
        sizes.push(page.metrics.len());
        for m in page.metrics {
            assert_eq!((m.namespace.as_str(), m.metric_name.as_str(), m.dimensions.len()), ("Paged", "M", 1));
            assert!(seen.insert(m.dimensions[0].value.clone()), "{:?} listed twice", m.dimensions);
        }
        if page.next_token.is_empty() {
            return (seen, sizes);
        }
        req.next_token = page.next_token;
    }
    panic!("ListMetrics did not end within 100 pages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_metrics_pages_cover_every_metric_once() {
    const METRICS: usize = 1_234;
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut server = ServerProcess::start(&tmp.path().join("data"), &[]).await;
    let mut client = server.client();
    let t = now_ms() - 120_000;
    let names: BTreeSet<String> = (0..METRICS).map(|i| format!("host-{i:05}")).collect();
    let entries = names.iter().map(|n| series("M", &dims(&[("Host", n)]), "Count", 0, vec![t], vec![1.0])).collect();
    client.put_metric_data(put("Paged", vec![], entries)).await.expect("PutMetricData");

    for phase in ["before restart", "after restart"] {
        let (seen, sizes) = list_pages(&mut client).await;
        assert_eq!(seen, names, "{phase}");
        assert!(sizes.iter().all(|&n| n <= 500), "{phase}: page sizes {sizes:?}");
        assert!(sizes.len() >= 3, "{phase}: {METRICS} metrics in {} pages: {sizes:?}", sizes.len());
        if phase == "before restart" {
            server.stop().await;
            server.restart().await;
            client = server.client();
        }
    }
    server.stop().await;
}
