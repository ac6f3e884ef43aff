use super::*;

const END: i64 = 1_700_000_123_456;

fn all_samples(w: &Workload) -> Vec<(usize, usize, i64, f64)> {
    let mut out = Vec::new();
    for phase in w.phases() {
        for batch in &phase.batches {
            for s in &batch.series {
                for (i, v) in s.values.iter().enumerate() {
                    out.push((s.host, s.field, batch.timestamp_ms(i), *v));
                }
            }
        }
    }
    out
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let a = Workload::new(12, 1, Shape::Float, 7, END);
    let b = Workload::new(12, 1, Shape::Float, 7, END);
    let c = Workload::new(12, 1, Shape::Float, 8, END);
    assert_eq!(all_samples(&a), all_samples(&b));
    assert_eq!(a.hosts(), b.hosts());
    assert_ne!(all_samples(&a), all_samples(&c));
    assert_eq!(a.q1_windows(1, 20), b.q1_windows(1, 20));
}

#[test]
fn pinned_values_never_change() {
    // Guards the inline PRNG: if this changes, every published figure's data changed.
    let w = Workload::new(2, 1, Shape::Round2, 1, END);
    let phase = w.phases().next().unwrap();
    assert_eq!(phase.batches[0].series[0].values[..4], [31.32, 30.44, 31.54, 31.31]);
    assert_eq!(phase.batches[0].series[13].values[..4], [57.98, 57.64, 57.36, 58.31]);
    assert_eq!(
        w.host(1).tags,
        ["host_1", "us-west-2", "us-west-2c", "87", "Ubuntu15.10", "x64", "LON", "8", "0", "staging"].map(String::from)
    );
    assert_eq!(mix64(0), 0);
    assert_eq!(Xoshiro256::new(0).next_u64(), 0x99ec_5f36_cb75_f2b4);
}

#[test]
fn host_data_does_not_depend_on_host_count() {
    let small = all_samples(&Workload::new(3, 1, Shape::Float, 3, END));
    let large = all_samples(&Workload::new(25, 1, Shape::Float, 3, END));
    let mut large: Vec<_> = large.into_iter().filter(|s| s.0 < 3).collect();
    let mut small = small;
    small.sort_by_key(|x| (x.0, x.1, x.2));
    large.sort_by_key(|x| (x.0, x.1, x.2));
    assert_eq!(small, large);
    assert_eq!(Workload::new(3, 1, Shape::Float, 3, END).host(2), Workload::new(30, 1, Shape::Float, 3, END).host(2));
}

#[test]
fn values_stay_in_range_and_walk_moves() {
    for shape in Shape::ALL {
        let w = Workload::new(20, 3, shape, 11, END);
        let samples = all_samples(&w);
        assert!(samples.iter().all(|s| (0.0..=100.0).contains(&s.3)), "{shape}");
        // Some series hit the clamp over 3 h of 1-sigma steps; none stays constant.
        let distinct: std::collections::HashSet<u64> = samples.iter().map(|s| s.3.to_bits()).collect();
        assert!(distinct.len() > 50, "{shape}: {}", distinct.len());
    }
}

#[test]
fn steps_are_standard_normal() {
    let mut rng = Xoshiro256::new(99);
    let n = 200_000;
    let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!((var - 1.0).abs() < 0.02, "var {var}");
}

#[test]
fn shapes_are_exact() {
    let tsbs = all_samples(&Workload::new(10, 2, Shape::Tsbs, 5, END));
    assert!(tsbs.iter().all(|s| s.3.fract() == 0.0));

    let round2 = all_samples(&Workload::new(10, 2, Shape::Round2, 5, END));
    for s in &round2 {
        let text = format!("{}", s.3);
        let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 2, "{text}");
        assert_eq!(text.parse::<f64>().unwrap(), s.3);
    }
    assert!(round2.iter().any(|s| { format!("{}", s.3).split_once('.').is_some_and(|(_, d)| d.len() == 2) }));

    // The shapes are views of the same walk.
    let float = all_samples(&Workload::new(10, 2, Shape::Float, 5, END));
    for ((f, t), r) in float.iter().zip(&tsbs).zip(&round2) {
        assert_eq!(f.3.trunc(), t.3);
        assert_eq!(Shape::Round2.apply(f.3), r.3);
    }
    assert!(float.iter().any(|s| s.3.fract() != 0.0 && Shape::Round2.apply(s.3) != s.3));
}

#[test]
fn schedule_counts_and_order() {
    let w = Workload::new(25, 2, Shape::Tsbs, 1, END);
    assert_eq!(w.total_samples(), 25 * 10 * 2 * 360);
    assert_eq!(w.phase_count(), 4);
    let phases: Vec<Phase> = w.phases().collect();
    assert_eq!(phases.len(), 4);
    let total: u64 = phases.iter().map(Phase::samples).sum();
    assert_eq!(total, w.total_samples());
    assert_eq!(all_samples(&w).len() as u64, w.total_samples());

    let mut prev_end = w.start_ms();
    for (i, phase) in phases.iter().enumerate() {
        assert_eq!(phase.index, i);
        assert_eq!(phase.batches.len(), 3); // 10 + 10 + 5 hosts
        assert_eq!(phase.batches[0].samples(), 18_000);
        assert_eq!(phase.batches[2].hosts, 20..25);
        assert_eq!(phase.batches[2].samples(), 9_000);
        for b in &phase.batches {
            assert_eq!(b.start_ms, prev_end, "phases are contiguous, in time order");
            assert_eq!(b.series.len(), b.hosts.len() * FIELDS.len());
            for s in &b.series {
                assert!(b.hosts.contains(&s.host));
                assert_eq!(s.values.len(), PHASE_POINTS);
            }
        }
        prev_end += PHASE_POINTS as i64 * INTERVAL_MS;
    }
    assert_eq!(prev_end, w.end_ms());
}

#[test]
fn main_set_sample_count() {
    let w = Workload::new(100, 24, Shape::Tsbs, 1, END);
    assert_eq!(w.total_samples(), 8_640_000);
    assert_eq!(w.series_count(), 1_000);
    assert_eq!(w.phase_count(), 48);
    assert_eq!(w.phases().len(), 48);
}

#[test]
fn span_ends_at_rounded_end() {
    let w = Workload::new(1, 1, Shape::Tsbs, 1, END);
    assert_eq!(w.end_ms(), 1_700_000_120_000);
    assert_eq!(w.start_ms(), 1_700_000_120_000 - 3_600_000);
    let samples = all_samples(&w);
    assert_eq!(samples.first().unwrap().2, w.start_ms());
    assert_eq!(samples.iter().map(|s| s.2).max().unwrap(), w.end_ms() - INTERVAL_MS);
    // A partial last phase.
    let w = Workload::with_points(2, 200, Shape::Tsbs, 1, END);
    let phases: Vec<Phase> = w.phases().collect();
    assert_eq!(phases.len(), 2);
    assert_eq!(phases[1].batches[0].series[0].values.len(), 20);
    assert_eq!(phases.iter().map(Phase::samples).sum::<u64>(), w.total_samples());
}

#[test]
fn hosts_use_tsbs_lists() {
    let w = Workload::new(200, 1, Shape::Tsbs, 1, END);
    let hosts = w.hosts();
    for (i, h) in hosts.iter().enumerate() {
        assert_eq!(h.hostname(), format!("host_{i}"));
        let (region, dcs) = REGIONS.iter().find(|r| r.0 == h.tags[1]).expect("region");
        assert!(dcs.contains(&h.tags[2].as_str()), "{region}");
        assert!(h.tags[3].parse::<u64>().unwrap() < RACK_CHOICES);
        assert!(OS_CHOICES.contains(&h.tags[4].as_str()));
        assert!(ARCH_CHOICES.contains(&h.tags[5].as_str()));
        assert!(TEAM_CHOICES.contains(&h.tags[6].as_str()));
        assert!(h.tags[7].parse::<u64>().unwrap() < SERVICE_CHOICES);
        assert!(h.tags[8].parse::<u64>().unwrap() < SERVICE_VERSION_CHOICES);
        assert!(ENVIRONMENT_CHOICES.contains(&h.tags[9].as_str()));
        assert_eq!(h.dimensions().count(), 10);
    }
    let regions: std::collections::HashSet<&str> = hosts.iter().map(|h| h.tags[1].as_str()).collect();
    assert_eq!(regions.len(), REGIONS.len());
}

#[test]
fn q1_windows_inside_span() {
    let w = Workload::new(100, 24, Shape::Tsbs, 1, END);
    let q = w.q1_windows(42, 22);
    assert_eq!(q.len(), 22);
    for win in &q {
        assert!(win.host < 100);
        assert!(win.start_ms >= w.start_ms());
        assert!(win.end_ms <= w.end_ms());
        assert_eq!(win.start_ms % 60_000, 0);
        assert_eq!(win.end_ms - win.start_ms, Q1_WINDOW_MS);
    }
    assert_ne!(q[0], q[1]);
    assert_ne!(w.q1_windows(43, 22), q);
    assert!(Workload::with_points(3, 100, Shape::Tsbs, 1, END).q1_windows(1, 5).is_empty());
}

#[test]
fn query_windows_inside_span_one_stream_each() {
    let w = Workload::new(100, 24, Shape::Tsbs, 1, END);
    assert_eq!(w.query_windows(QueryKind::Q1, 42, 22), w.q1_windows(42, 22));
    for q in [QueryKind::Q2, QueryKind::Q3, QueryKind::Q4] {
        let wins = w.query_windows(q, 42, 22);
        assert_eq!(wins.len(), 22);
        for win in &wins {
            assert!(win.start_ms >= w.start_ms() && win.end_ms <= w.end_ms());
            assert_eq!(win.start_ms % 60_000, 0);
            assert_eq!(win.end_ms - win.start_ms, q.window_ms());
            if q.per_host() {
                assert!(win.host < 100);
            } else {
                assert_eq!(win.host, 0);
            }
        }
        assert_ne!(wins[0], wins[1]);
        assert_ne!(wins, w.query_windows(QueryKind::Q1, 42, 22));
    }
    assert_eq!(QueryKind::Q2.buckets(), 8);
    assert_eq!(QueryKind::Q4.buckets(), 12);
    assert_eq!(QueryKind::Q1.buckets(), 60);
    for q in QueryKind::ALL {
        assert_eq!(q.name().parse::<QueryKind>(), Ok(q));
    }
    // 11 h of data cannot hold a 12 h window.
    assert!(Workload::new(3, 11, Shape::Tsbs, 1, END).query_windows(QueryKind::Q3, 1, 5).is_empty());
}

#[test]
fn point_range_matches_timestamps() {
    let w = Workload::new(1, 2, Shape::Tsbs, 1, END + 3_000);
    let s = w.start_ms();
    assert_eq!(w.point_range(s, s + HOUR_MS), 0..360);
    assert_eq!(w.point_range(s + 1, s + 10_001), 1..2);
    assert_eq!(w.point_range(s - 50_000, s + 5_000), 0..1);
    assert_eq!(w.point_range(s + HOUR_MS, s + 5 * HOUR_MS), 360..720);
    assert_eq!(w.point_range(s + 30_000, s + 20_000), 3..3);
    let r = w.point_range(s + 7_000, s + 3_607_000);
    for i in 0..720 {
        assert_eq!(r.contains(&i), (s + 7_000..s + 3_607_000).contains(&w.timestamp_ms(i)));
    }
}

#[test]
fn shape_names_round_trip() {
    for s in Shape::ALL {
        assert_eq!(s.name().parse::<Shape>().unwrap(), s);
    }
    assert!("int".parse::<Shape>().is_err());
}

#[test]
fn one_series_alone_matches_the_schedule() {
    let w = Workload::new(13, 2, Shape::Round2, 9, END);
    let samples = all_samples(&w);
    for (host, field) in [(0, 0), (12, 9), (7, 3)] {
        let mut from_schedule: Vec<(i64, f64)> =
            samples.iter().filter(|s| s.0 == host && s.1 == field).map(|s| (s.2, s.3)).collect();
        from_schedule.sort_by_key(|s| s.0);
        let alone: Vec<(i64, f64)> =
            w.series_values(host, field).into_iter().enumerate().map(|(i, v)| (w.timestamp_ms(i), v)).collect();
        assert_eq!(from_schedule, alone);
    }
}
