//! Prometheus's own PromQL test cases (`tests/promql/prometheus-cases.test`, transcribed
//! from `promql/promqltest/testdata/*.test`) run through alertmath-promql with
//! Prometheus 3 semantics, compared as Prometheus's test runner compares them (relative
//! error below 1e-6, NaN equal to NaN).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_promql::ast::ExprKind;
use alertmath_promql::eval::{Engine, Labels, Options, Series, Storage, Value};
use alertmath_promql::{notation, parse, Vars, Version};
use alertmath_tests::repo;

fn duration_ms(s: &str) -> i64 {
    // Durations and plain seconds ("8000s", "50m", "1ms", "5m59s", "0").
    let toks = alertmath_promql::lexer::lex(s).unwrap();
    match &toks[0].tok {
        alertmath_promql::lexer::Tok::Duration(ms) => *ms,
        alertmath_promql::lexer::Tok::Number(x) => (*x * 1000.0) as i64,
        other => panic!("not a duration: {s} ({other:?})"),
    }
}

fn labels_of(descriptor: &str) -> Labels {
    if descriptor.trim() == "{}" {
        return Labels::default();
    }
    let e = parse(descriptor, &Vars::new(), Version::V3).unwrap_or_else(|e| panic!("{descriptor}: {e}"));
    let ExprKind::Selector(sel) = e.kind else { panic!("not a selector: {descriptor}") };
    Labels::new(sel.matchers.iter().map(|m| (m.name.clone(), m.value.clone())).collect())
}

/// Splits `metric{a="b, c"} 1 2 3` into the descriptor and the rest.
fn split_series(line: &str) -> (&str, &str) {
    let line = line.trim();
    if let Some(close) = line.find('}') {
        let (d, rest) = line.split_at(close + 1);
        (d, rest)
    } else {
        let i = line.find(char::is_whitespace).unwrap_or(line.len());
        line.split_at(i)
    }
}

fn almost_equal(a: f64, b: f64) -> bool {
    if a.is_nan() && b.is_nan() || a == b {
        return true;
    }
    let diff = (a - b).abs();
    let sum = a.abs() + b.abs();
    if a == 0.0 || b == 0.0 || sum < f64::MIN_POSITIVE {
        return diff < 1e-6 * f64::MIN_POSITIVE;
    }
    diff / sum.min(f64::MAX) < 1e-6
}

fn parse_value(s: &str) -> f64 {
    match s.trim() {
        "Inf" | "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        x => x.parse().unwrap_or_else(|_| panic!("bad value {x}")),
    }
}

#[test]
fn prometheus_published_cases_pass() {
    let text = std::fs::read_to_string(repo().join("tests/promql/prometheus-cases.test")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut storage = Storage::default();
    let mut i = 0;
    let mut cases = 0;
    let mut failures = Vec::new();
    let mut functions_seen = std::collections::BTreeSet::new();
    while i < lines.len() {
        let line = lines[i].trim();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "clear" {
            storage = Storage::default();
            continue;
        }
        if let Some(interval) = line.strip_prefix("load ") {
            let step = duration_ms(interval.trim());
            while i < lines.len() && !lines[i].trim().is_empty() && lines[i].starts_with(char::is_whitespace) {
                let (descriptor, values) = split_series(lines[i]);
                let labels = labels_of(descriptor);
                let values = notation::expand(values).unwrap();
                let existing = storage.series.iter().position(|s| s.labels == labels);
                let mut series = Series { labels: labels.clone(), t: Vec::new(), v: Vec::new() };
                for (k, v) in values.iter().enumerate() {
                    if let Some(v) = v {
                        series.t.push(k as i64 * step);
                        series.v.push(*v);
                    }
                }
                match existing {
                    Some(e) => storage.series[e] = series,
                    None => storage.series.push(series),
                }
                i += 1;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("eval instant at ") else { panic!("unexpected line: {line}") };
        let (at, expr) = rest.split_once(' ').unwrap();
        let t = duration_ms(at);
        let mut expected: Vec<(Labels, f64)> = Vec::new();
        let mut scalar: Option<f64> = None;
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i].starts_with(char::is_whitespace) {
            let l = lines[i].trim();
            i += 1;
            if l.starts_with('#') || l.starts_with("expect") {
                continue;
            }
            if !l.contains('{') && !l.contains(' ') && !l.contains('\t') {
                scalar = Some(parse_value(l));
                continue;
            }
            let (d, v) = split_series(l);
            expected.push((labels_of(d), parse_value(v)));
        }
        cases += 1;
        let parsed = match parse(expr, &Vars::new(), Version::V3) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{expr}: parse error {e}"));
                continue;
            }
        };
        let mut f = Vec::new();
        parsed.functions(&mut f);
        functions_seen.extend(f);
        let engine = Engine::new(&storage, Options::new(Version::V3));
        match engine.instant(&parsed, t) {
            Ok(Value::Scalar(x)) => {
                if !scalar.is_some_and(|s| almost_equal(s, x)) {
                    failures.push(format!("{expr} at {at}: scalar {x}, expected {scalar:?}"));
                }
            }
            Ok(Value::Vector(v)) => {
                let mut got: Vec<(Labels, f64)> = v.into_iter().map(|s| (s.metric, s.f)).collect();
                got.sort_by(|a, b| a.0.cmp(&b.0));
                expected.sort_by(|a, b| a.0.cmp(&b.0));
                let same = got.len() == expected.len()
                    && got.iter().zip(&expected).all(|(g, e)| g.0 == e.0 && almost_equal(g.1, e.1));
                if !same {
                    failures.push(format!("{expr} at {at}:\n   got      {got:?}\n   expected {expected:?}"));
                }
            }
            Ok(other) => failures.push(format!("{expr}: unexpected {other:?}")),
            Err(e) => failures.push(format!("{expr}: {e}")),
        }
    }
    assert!(cases > 150, "only {cases} cases");
    assert!(failures.is_empty(), "{} of {cases} cases fail:\n{}", failures.len(), failures.join("\n"));
    // Every range function the engine offers is exercised by a published case.
    for f in [
        "rate",
        "increase",
        "delta",
        "irate",
        "idelta",
        "deriv",
        "predict_linear",
        "avg_over_time",
        "sum_over_time",
        "min_over_time",
        "max_over_time",
        "count_over_time",
        "stddev_over_time",
        "stdvar_over_time",
        "quantile_over_time",
        "last_over_time",
        "changes",
        "resets",
        "double_exponential_smoothing",
        "abs",
        "clamp",
        "round",
        "sgn",
        "time",
        "vector",
    ] {
        assert!(functions_seen.contains(f), "no published case for {f}");
    }
}

/// No query text reaches a panic: fragments of PromQL (and of the guide's mistakes)
/// glued at random, parsed under both versions and evaluated over a small series.
#[test]
fn random_queries_parse_or_fail_cleanly() {
    let pieces = [
        "metric",
        "rate(",
        "avg_over_time(",
        "quantile_over_time(0.5, ",
        "abs(",
        "sum by (le) (",
        ")",
        "(",
        "[5m]",
        "[1h:]",
        "[1h:1m]",
        " offset 1w",
        " > ",
        " > bool ",
        " / ",
        " * ",
        " + ",
        " - ",
        "-",
        "3",
        "0.75",
        " and ",
        " or ",
        " unless ",
        " ignoring(le) group_left ",
        "{le=\"0.1\"}",
        "{a=~\"x.*\"}",
        "with (x = metric) ",
        "$window",
        "holt_winters(",
        ", 0.5, 0.5)",
        "double_exponential_smoothing(",
        "sqrt(",
        "1e308",
        "NaN",
        "Inf",
        "#comment\n",
        "\"s\"",
        "[0s]",
        "@ 5",
        "predict_linear(",
        ", 3600)",
        "deriv(",
        "[9999999y]",
        "[1ms:1ms]",
        "^",
        "%",
        "==",
        "idelta(",
        "clamp(",
        ",",
    ];
    let mut storage = Storage::default();
    storage.series.push(Series {
        labels: Labels::new(vec![("__name__".into(), "metric".into()), ("le".into(), "0.1".into())]),
        t: (0..50).map(|i| i * 60_000).collect(),
        v: (0..50).map(|i| ((i * 37) % 11) as f64 - 3.0).collect(),
    });
    let mut vars = Vars::new();
    vars.insert("window".into(), "10m".into());
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut parsed = 0;
    for _ in 0..4000 {
        let mut q = String::new();
        for _ in 0..(seed % 9 + 1) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            q.push_str(pieces[(seed % pieces.len() as u64) as usize]);
        }
        for version in [Version::V3, Version::V2] {
            if let Ok(e) = parse(&q, &vars, version) {
                parsed += 1;
                let mut opts = Options::new(version);
                opts.budget = 2_000_000;
                let engine = Engine::new(&storage, opts);
                let _ = engine.instant(&e, 40 * 60_000);
                let _ = engine.range(&e, 0, 50 * 60_000, 300_000);
            }
        }
    }
    assert!(parsed > 100, "only {parsed} random queries parsed: the test explores too little");
}

/// A twin on 100,000 points stays bounded: either it evaluates, or it says the query is
/// too much work; it never runs away.
#[test]
fn a_twin_on_100000_points_is_bounded() {
    use alertmath_lessons::lesson::load_all;
    let lessons = load_all(&repo().join("lessons")).unwrap();
    for id in ["z-score", "mad"] {
        let lesson = lessons.iter().find(|l| l.id == id).unwrap();
        let spec = lesson.promql.as_ref().unwrap();
        let data: Vec<f64> = (0..100_000).map(|i| ((i * 7919) % 1000) as f64 / 10.0).collect();
        let input = alertmath_core::Input::new().with("data", data);
        let start = std::time::Instant::now();
        let _ = alertmath_core::analyze(&lesson.method, input.clone(), &alertmath_core::Params::new());
        eprintln!("{id}: exact method alone {:?}", start.elapsed());
        let start = std::time::Instant::now();
        let result = alertmath_promql::twin::run(
            spec,
            id,
            &lesson.method,
            input,
            &alertmath_core::Params::new(),
            None,
            Version::V3,
        );
        let took = start.elapsed();
        eprintln!("{id}: {:?} in {took:?}", result.as_ref().map(|r| r.counts).map_err(|e| e.message.clone()));
        assert!(took.as_secs() < 60, "{id} took {took:?}");
    }
}
