//! The PromQL twins of the derivative lessons: the twin's own lookback delta, exact flags
//! for rows a method judges but does not draw, and bounded work on long series.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_core::{Input, ParamValue, Params};
use alertmath_lessons::lesson::{load_all, Lesson};
use alertmath_promql::{twin, Version};
use alertmath_tests::repo;

fn lesson(id: &str) -> Lesson {
    load_all(&repo().join("lessons")).unwrap().into_iter().find(|l| l.id == id).unwrap()
}

fn params(pairs: &[(&str, ParamValue)]) -> Params {
    let mut p = Params::new();
    for (k, v) in pairs {
        p.0.insert(k.to_string(), v.clone());
    }
    p
}

fn num(x: f64) -> ParamValue {
    ParamValue::Number(x)
}

/// A lag that falls between samples finds the previous one only within the lookback:
/// the twin's lookback follows the method's parameter, as the exact method's does.
#[test]
fn the_seasonal_twin_looks_back_as_far_as_the_method() {
    let l = lesson("seasonal-derivative");
    let spec = l.promql.as_ref().unwrap();
    // Two days every 5 minutes; a burst on day 2 at 3:00.
    let day = 288;
    let mut v: Vec<f64> = (0..2 * day).map(|i| 1000.0 + ((i * 37) % 11) as f64).collect();
    v[day + 37] = 2600.0;
    let input = Input::new().with("series", v);
    for (lookback, fires) in [(300.0, true), (60.0, false)] {
        let p = params(&[
            ("step", num(300.0)),
            ("lag", num(120.0)),
            ("season", num(86_400.0)),
            ("buffer", num(500.0)),
            ("lookback", num(lookback)),
        ]);
        for version in [Version::V3, Version::V2] {
            let r = twin::run(spec, &l.id, &l.method, input.clone(), &p, None, version).unwrap();
            assert_eq!(r.counts.exact_only + r.counts.promql_only, 0, "lookback {lookback}: {:?}", r.counts);
            assert_eq!(r.counts.both > 0, fires, "lookback {lookback}: {:?}", r.counts);
            let noted = r.notes.iter().any(|n| n.contains("lookback-delta=1m"));
            assert_eq!(noted, lookback == 60.0, "{:?}", r.notes);
        }
    }
}

/// Zero workload: an infinite cost per request is judged (and fires) though it is not
/// drawn as a point, 0/0 is not; the twin compares every row with the exact method.
#[test]
fn the_ratio_twin_compares_rows_with_no_finite_ratio() {
    let l = lesson("ratio-of-rates");
    let spec = l.promql.as_ref().unwrap();
    let rows = "0, 20, 500\n60, 20, 500\n120, 0, 0\n604800, 20, 500\n604860, 15, 0\n604920, 0, 0\n604980, 40, 500";
    let m = alertmath_core::method(&l.method).unwrap();
    let mut input = Input::new();
    input.extend(alertmath_core::parse_field(m.spec.field("rates").unwrap(), rows).unwrap());
    let p = params(&[("step", num(60.0))]);
    let a = alertmath_core::analyze(&l.method, input.clone(), &p).unwrap();
    assert_eq!(a.points.as_ref().unwrap().flag.len(), 4, "the rows of zero workload are not points");
    assert_eq!(a.row_flags.as_ref().map(Vec::len), Some(7), "but every row is judged");
    for version in [Version::V3, Version::V2] {
        let r = twin::run(spec, &l.id, &l.method, input.clone(), &p, None, version).unwrap();
        assert_eq!(r.evaluations.len(), 7);
        let exact: Vec<bool> = r.evaluations.iter().map(|e| e.exact).collect();
        assert_eq!(exact, [false, false, false, false, true, false, false]);
        assert_eq!(r.counts.agree, 7, "{:?}", r.counts);
    }
}

/// Every derivative lesson's twin on 100,000 samples: it evaluates its latest
/// evaluations or says why not, and stays bounded.
#[test]
fn derivative_twins_on_100000_points_are_bounded() {
    let data: Vec<f64> = (0..100_000).map(|i| 100.0 + ((i * 7919) % 1000) as f64 / 100.0).collect();
    for id in ["derivative", "frozen-signal", "velocity-z-score", "seasonal-derivative", "arima"] {
        let l = lesson(id);
        let spec = l.promql.as_ref().unwrap();
        let input = Input::new().with("series", data.clone());
        let p = if id == "arima" { params(&[("residuals", ParamValue::Text("zero".into()))]) } else { Params::new() };
        let start = std::time::Instant::now();
        let result = twin::run(spec, id, &l.method, input, &p, None, Version::V3);
        let took = start.elapsed();
        eprintln!("{id}: {:?} in {took:?}", result.as_ref().map(|r| r.counts).map_err(|e| e.message.clone()));
        assert!(took.as_secs() < 60, "{id} took {took:?}");
        assert!(result.is_ok(), "{id}: {:?}", result.err());
    }
}

/// Every combination of the z-score-of-velocity's choices has a query that runs, and
/// with the exact method's minimum count at 1 it agrees with the exact method everywhere
/// on regular samples (the sample SD through count_over_time, the excluded velocity through offset).
#[test]
fn the_velocity_twin_follows_every_choice() {
    let l = lesson("velocity-z-score");
    let spec = l.promql.as_ref().unwrap();
    let ex = l.examples.iter().find(|e| e.id == "steady-leak").unwrap();
    let input = alertmath_lessons::lesson::example_input(&l.method, ex).unwrap();
    for center in ["zero", "mean"] {
        for sd in ["population", "sample"] {
            for baseline in ["included", "excluded"] {
                for velocity in ["idelta", "rate"] {
                    let p = params(&[
                        ("step", num(60.0)),
                        ("window", num(3600.0)),
                        ("min_count", num(1.0)),
                        ("center", ParamValue::Text(center.into())),
                        ("sd", ParamValue::Text(sd.into())),
                        ("baseline", ParamValue::Text(baseline.into())),
                        ("velocity", ParamValue::Text(velocity.into())),
                    ]);
                    let what = format!("{center}/{sd}/{baseline}/{velocity}");
                    let r = twin::run(spec, &l.id, &l.method, input.clone(), &p, None, Version::V3)
                        .unwrap_or_else(|e| panic!("{what}: {}", e.message));
                    assert_eq!(r.counts.exact_only + r.counts.promql_only, 0, "{what}: {:?}", r.counts);
                }
            }
        }
    }
}
