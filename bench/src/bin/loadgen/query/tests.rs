use super::*;
use stratus_bench::{HOUR_MS, Shape};

const END: i64 = 1_700_000_000_000;

/// Brute force over every sample of one series: `f` of the values with timestamps in [lo, hi).
fn brute(w: &Workload, host: usize, field: usize, lo: i64, hi: i64) -> Vec<f64> {
    let values = w.series_values(host, field);
    (0..values.len()).filter(|&i| (lo..hi).contains(&w.timestamp_ms(i))).map(|i| values[i]).collect()
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn q1_buckets_against_the_generator() {
    let w = Workload::new(2, 2, Shape::Float, 5, END);
    let win = w.q1_windows(1, 1)[0];
    let stratus: Vec<(i64, f64)> = (0..60)
        .map(|k| {
            let t = win.start_ms + k * 60_000;
            (t, max(&brute(&w, win.host, 0, t, t + 60_000)))
        })
        .collect();
    let vm: Vec<(i64, f64)> = (1..=60)
        .map(|k| {
            let t = win.start_ms + k * 60_000;
            (t, max(&brute(&w, win.host, 0, t - 59_999, t + 1)) * (1.0 + 1e-13))
        })
        .collect();
    let series = |points: Vec<(i64, f64)>| vec![Series { key: "usage_user".into(), points, ..Series::default() }];
    let mut truth = Truth::new(&w);
    let es = truth.expected(QueryKind::Q1, &win, Target::Stratus);
    let ev = truth.expected(QueryKind::Q1, &win, Target::Vm);
    assert_eq!(check(&es, &series(stratus.clone()), QueryKind::Q1, Target::Stratus), Ok(()));
    assert_eq!(check(&ev, &series(vm.clone()), QueryKind::Q1, Target::Vm), Ok(()));
    // Off by one ulp is wrong for Stratus; a missing bucket is wrong for both; VM's buckets are
    // not Stratus'.
    let mut bad = stratus.clone();
    bad[7].1 = f64::from_bits(bad[7].1.to_bits() + 1);
    let err = check(&es, &series(bad), QueryKind::Q1, Target::Stratus).unwrap_err();
    assert!(err.contains(&format!("got ({}", win.start_ms + 7 * 60_000)), "{err}");
    assert!(check(&es, &series(stratus[1..].to_vec()), QueryKind::Q1, Target::Stratus).is_err());
    assert!(check(&ev, &series(vm[1..].to_vec()), QueryKind::Q1, Target::Vm).is_err());
    assert!(check(&es, &series(vm), QueryKind::Q1, Target::Stratus).is_err());
}

#[test]
fn q2_to_q4_against_brute_force() {
    let w = Workload::new(7, 13, Shape::Round2, 9, END + 12_345);
    let mut truth = Truth::new(&w);
    // q2: every field's hourly maximum, Stratus buckets.
    let win = w.query_windows(QueryKind::Q2, 3, 1)[0];
    let e = truth.expected(QueryKind::Q2, &win, Target::Stratus);
    assert_eq!(e.len(), 10);
    for (f, s) in e.iter().enumerate() {
        assert_eq!(s.key, FIELDS[f]);
        assert_eq!(s.points.len(), 8);
        for (k, &(t, v)) in s.points.iter().enumerate() {
            assert_eq!(t, win.start_ms + k as i64 * HOUR_MS);
            assert_eq!(v.to_bits(), max(&brute(&w, win.host, f, t, t + HOUR_MS)).to_bits());
        }
    }
    // q3: mean of every sample of every host, VM buckets (t-1h, t].
    let win = w.query_windows(QueryKind::Q3, 3, 1)[0];
    let e = truth.expected(QueryKind::Q3, &win, Target::Vm);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].points.len(), 12);
    for (k, &(t, v)) in e[0].points.iter().enumerate() {
        assert_eq!(t, win.start_ms + (k as i64 + 1) * HOUR_MS);
        let all: Vec<f64> = (0..7).flat_map(|h| brute(&w, h, 0, t - HOUR_MS + 1, t + 1)).collect();
        assert_eq!(all.len(), 7 * 360);
        assert!((v - mean(&all)).abs() < 1e-12, "{v} vs {}", mean(&all));
    }
    // q4: one mean per host, Stratus buckets.
    let win = w.query_windows(QueryKind::Q4, 3, 1)[0];
    let e = truth.expected(QueryKind::Q4, &win, Target::Stratus);
    assert_eq!(e.len(), 7);
    for (h, s) in e.iter().enumerate() {
        assert_eq!(s.key, format!("host_{h}"));
        for &(t, v) in &s.points {
            assert!((v - mean(&brute(&w, h, 0, t, t + HOUR_MS))).abs() < 1e-12);
        }
    }
    // Averages pass within 1e-9 relative, and fail beyond; any order of series is fine.
    let mut got = e.clone();
    got.reverse();
    got[2].points[5].1 *= 1.0 + 1e-10;
    assert_eq!(check(&e, &got, QueryKind::Q4, Target::Stratus), Ok(()));
    got[2].points[5].1 *= 1.0 + 1e-8;
    got[3].points[0].1 += 1.0;
    let err = check(&e, &got, QueryKind::Q4, Target::Stratus).unwrap_err();
    assert!(err.contains("\"host_3\"") && err.contains("1 more"), "{err}");
    // A missing host and a foreign one are named.
    got.truncate(6);
    got.push(Series { key: "host_99".into(), ..Series::default() });
    let err = check(&e, &got, QueryKind::Q4, Target::Stratus).unwrap_err();
    assert!(err.contains("missing: [\"host_0\"]") && err.contains("unexpected: [\"host_99\"]"), "{err}");
}

#[test]
fn expressions() {
    assert_eq!(insights("Benchmark/CPU", None, false), "SELECT AVG(usage_user) FROM \"Benchmark/CPU\"");
    assert_eq!(
        insights("Benchmark/CPU", Some("SF"), true),
        "SELECT AVG(usage_user) FROM \"Benchmark/CPU\" WHERE team = 'SF' GROUP BY hostname"
    );
    assert_eq!(
        search("Benchmark/CPU", None),
        "SEARCH('{Benchmark/CPU,arch,datacenter,hostname,os,rack,region,service,service_environment,\
         service_version,team} MetricName=\"usage_user\"', 'Average', 3600)"
    );
    assert!(search("Benchmark/CPU", Some("NYC")).contains("MetricName=\"usage_user\" team=\"NYC\"'"));
    assert_eq!(hostname_in_label("x64 eu-west-1a host_12 Ubuntu16.10 7"), Some("host_12"));
    assert_eq!(hostname_in_label("host_3"), Some("host_3"));
    assert_eq!(hostname_in_label("host_ host_x"), None);
}

#[test]
fn plans_split_by_team_above_500_hosts() {
    let small = Workload::new(20, 1, Shape::Tsbs, 1, END);
    let q2 = q2_queries("NS", &small.host(3));
    assert_eq!(q2.len(), 10);
    assert_eq!(q2[4].id, "m4");
    let stat = q2[4].metric_stat.as_ref().unwrap();
    assert_eq!((stat.period, stat.stat.as_str()), (3600, "Maximum"));
    assert_eq!(stat.metric.as_ref().unwrap().metric_name, "usage_iowait");
    assert_eq!(stat.metric.as_ref().unwrap().dimensions.len(), 10);

    let fixed = |p: StratusPlan| match p {
        StratusPlan::Fixed { requests, .. } => requests,
        other => panic!("{other:?}"),
    };
    let r = fixed(StratusPlan::new(QueryKind::Q4, Some(Form::Insights), "NS", &small).unwrap());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0][0].expression, insights("NS", None, true));
    assert_eq!(r[0][0].period, 3600);
    assert_eq!(r[0][0].return_data, None);

    let big = Workload::new(1000, 1, Shape::Tsbs, 1, END);
    let r = fixed(StratusPlan::new(QueryKind::Q4, Some(Form::Insights), "NS", &big).unwrap());
    assert_eq!(r.len(), 4, "one request per team");
    assert_eq!(r[0][0].expression, insights("NS", Some("CHI"), true));
    let r = fixed(StratusPlan::new(QueryKind::Q4, Some(Form::Search), "NS", &big).unwrap());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].len(), 4, "one SEARCH per team in one request");
    let r = fixed(StratusPlan::new(QueryKind::Q3, Some(Form::Search), "NS", &big).unwrap());
    assert_eq!(r[0].len(), 5);
    assert_eq!(r[0][1].return_data, Some(false));
    assert_eq!(r[0][4].expression, "AVG([t0, t1, t2, t3])");
    let r = fixed(StratusPlan::new(QueryKind::Q3, Some(Form::Insights), "NS", &big).unwrap());
    assert_eq!(r, vec![vec![expression("q3", insights("NS", None, false), true)]]);
}
