//! Prometheus's `double_exponential_smoothing(v, sf, tf)` (called `holt_winters` before
//! Prometheus 3.0), computed exactly as `promql/functions.go` does: Holt's level and
//! trend with no season, the level started at the first sample and the trend at the
//! difference of the first two, the trend updated before the level at each step, and
//! the smoothed level of the last sample returned (not a forecast).
//!
//! A `NaN` row is a scrape that did not happen: Prometheus never sees it, so it is
//! skipped, and the timestamps play no part (the function works on the samples in the
//! range, in order).

use super::common::{series_field, Compare, Series, COMPARE};
use super::series_models::{
    band as band_layer, cell, observed_points, residual_scale, sub, ResidualScale, Timeline, MAX_OVERLAY,
};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, MethodSpec, ParamKind, ParamSpec};

/// The residual-scale choice shared by the smoothing methods.
pub const SIGMA_CHOICES: &[Choice] = &[
    Choice { id: "rms", label: "RMS of the one-step errors (normal MLE)" },
    Choice { id: "mad", label: "1.4826 × MAD of the one-step errors (robust)" },
];

pub const SIGMA: ParamSpec = ParamSpec {
    id: "sigma",
    label: "Error scale σ̂",
    unit: "",
    help: "How σ̂ is estimated from the one-step errors: their RMS (an anomaly inflates it) or 1.4826 × their MAD.",
    kind: ParamKind::Choice { default: "rms", options: SIGMA_CHOICES },
};

pub const BAND_K: ParamSpec = ParamSpec {
    id: "k",
    label: "Band half-width k",
    unit: "σ",
    help: "Flag an observation more than k·σ̂ from its one-step prediction (1.96 ≈ 95%, 3 ≈ 99.7% for normal errors).",
    kind: ParamKind::Number { default: 3.0, min: 0.1, max: 10.0, step: 0.01, integer: false, log: false },
};

pub fn residual_kind(p: &ResolvedParams) -> Result<ResidualScale, InputError> {
    Ok(if p.choice("sigma")? == "mad" { ResidualScale::Mad } else { ResidualScale::Rms })
}

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "double-exponential-smoothing",
        name: "Prometheus double_exponential_smoothing (Holt, no season)",
        summary: "Prometheus's double_exponential_smoothing, formerly holt_winters: a smoothed level and trend over the samples of a range, returning the last smoothed level.",
        fields: &[series_field(2)],
        params: &[
            ParamSpec {
                id: "sf",
                label: "Smoothing factor sf",
                unit: "",
                help: "Weight of the newest sample in the level (α); Prometheus requires 0 < sf < 1. The guide uses 0.5.",
                kind: number(0.5, 0.0, 1.0, 0.01),
            },
            ParamSpec {
                id: "tf",
                label: "Trend factor tf",
                unit: "",
                help: "Weight of the newest level change in the trend (β); Prometheus requires 0 < tf < 1. The guide uses 0.1.",
                kind: number(0.1, 0.0, 1.0, 0.01),
            },
            BAND_K,
            SIGMA,
            COMPARE,
        ],
    },
    run,
};

/// Prometheus's computation on the samples that exist (NaN rows skipped), with every
/// intermediate state.
#[derive(Debug, Clone, PartialEq)]
pub struct Des {
    /// Indices (into the series) of the samples used.
    pub index: Vec<usize>,
    /// The smoothed level after each used sample (the first is the sample itself).
    pub level: Vec<f64>,
    /// The trend used to update the level at each sample (NaN for the first).
    pub trend: Vec<f64>,
    /// The one-step prediction level₋₁ + trend of each sample (NaN for the first).
    pub predicted: Vec<f64>,
}

impl Des {
    /// What Prometheus returns: the last smoothed level.
    pub fn value(&self) -> f64 {
        self.level.last().copied().unwrap_or(f64::NAN)
    }
}

/// Runs Prometheus's double exponential smoothing over the non-NaN values. `None` when
/// fewer than two samples exist (Prometheus returns no result then).
pub fn prometheus(values: &[f64], sf: f64, tf: f64) -> Option<Des> {
    let index: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
    if index.len() < 2 {
        return None;
    }
    let x: Vec<f64> = index.iter().map(|&i| values[i]).collect();
    let mut level = Vec::with_capacity(x.len());
    let mut trend = Vec::with_capacity(x.len());
    let mut predicted = Vec::with_capacity(x.len());
    // s0 is the level before the previous one, s1 the previous level, b the trend.
    let (mut s0, mut s1) = (0.0, x[0]);
    let mut b = x[1] - x[0];
    level.push(s1);
    trend.push(f64::NAN);
    predicted.push(f64::NAN);
    for (i, &xi) in x.iter().enumerate().skip(1) {
        // Prometheus updates the trend from the two previous levels first (except at the
        // first step, where it keeps x₁ − x₀), then the level.
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        predicted.push(s1 + b);
        let next = sf * xi + (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = next;
        level.push(s1);
        trend.push(b);
    }
    Some(Des { index, level, trend, predicted })
}

/// What Prometheus returns, without keeping the states (for long series where only the
/// value is shown). `None` with fewer than two samples.
pub fn prometheus_value(values: &[f64], sf: f64, tf: f64) -> Option<f64> {
    let mut it = values.iter().copied().filter(|v| !v.is_nan());
    let x0 = it.next()?;
    let x1 = it.next()?;
    let (mut s0, mut s1, mut b) = (x0, x0, x1 - x0);
    s1 = sf * x1 + (1.0 - sf) * (s1 + b);
    for x in it {
        b = tf * (s1 - s0) + (1.0 - tf) * b;
        let next = sf * x + (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = next;
    }
    Some(s1)
}

/// The exponential moving average seeded with the first value (pandas adjust=False),
/// over the non-NaN values: what the guide calls the EMA.
pub fn ema(values: &[f64], alpha: f64) -> f64 {
    let mut it = values.iter().copied().filter(|v| !v.is_nan());
    let Some(mut e) = it.next() else { return f64::NAN };
    for v in it {
        e = alpha * v + (1.0 - alpha) * e;
    }
    e
}

fn check_factor(id: &str, name: &str, v: f64) -> Result<(), InputError> {
    if v > 0.0 && v < 1.0 {
        return Ok(());
    }
    Err(InputError::unsupported(format!(
        "Prometheus rejects {} = {}: it requires 0 < {} < 1 (“invalid {} factor”). Choose a value strictly between 0 and 1.",
        id,
        num(v),
        id,
        name
    ))
    .in_param(id))
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let sf = p.num("sf")?;
    let tf = p.num("tf")?;
    let k = p.num("k")?;
    let scale_kind = residual_kind(p)?;
    let cmp = Compare::from_params(p)?;
    check_factor("sf", "smoothing", sf)?;
    check_factor("tf", "trend", tf)?;
    let field = &METHOD.spec.fields[0];
    let series = Series::read(input, field, 1.0);
    let tl = Timeline::of(&series);
    let y = &series.v;
    let n = y.len();
    let gaps = series.gaps();

    let Some(des) = prometheus(y, sf, tf) else {
        let mut a = Analysis::new(
            METHOD.spec.id,
            Verdict::new(
                Level::Undefined,
                "Fewer than two samples: Prometheus returns no value",
                format!(
                    "double_exponential_smoothing needs at least two samples in the range to start its trend; this series has {} of {} rows missing.",
                    count(gaps),
                    count(n)
                ),
            ),
        );
        a.push_value("samples", "samples used", Val::Int((n - gaps) as i64), "");
        a.push_value("smoothed", "double_exponential_smoothing", Val::Undefined("fewer than 2 samples".into()), "");
        let mut steps = Steps::new();
        steps.num(
            "samples",
            "Samples in the range",
            "count of non-missing rows",
            format!("{} − {}", n, gaps),
            (n - gaps) as f64,
        );
        steps
            .text("rule", "Prometheus's rule", "l < 2 → empty result", format!("{} < 2", n - gaps), "no value")
            .decisive();
        steps.text("init", "Start", "ℓ₀ = x₀, b = x₁ − x₀", "needs two samples", "not possible");
        a.steps = steps.0;
        let (points, layers) = observed_points(&tl.x, y, &vec![f64::NAN; n], &vec![false; n], "e / σ̂");
        let mut panel = Panel::new("", Axis::linear(tl.label), Axis::linear("value"));
        for l in layers {
            panel.push(l);
        }
        a.plot = Plot::single(panel);
        a.points = Some(points);
        return Ok(a);
    };

    let used = des.index.len();
    let value = des.value();
    // Residuals from the third sample on: the second one started the trend, so its
    // prediction x₀ + (x₁ − x₀) is exact by construction.
    let mut resid = vec![f64::NAN; n];
    let mut pred = vec![f64::NAN; n];
    let mut lvl = vec![f64::NAN; n];
    let mut trd = vec![f64::NAN; n];
    for (j, &i) in des.index.iter().enumerate() {
        lvl[i] = des.level[j];
        trd[i] = des.trend[j];
        pred[i] = des.predicted[j];
        if j >= 2 {
            resid[i] = y[i] - des.predicted[j];
        }
    }
    let (sigma, n_res) = residual_scale(&resid, scale_kind);
    let band = n_res >= 2 && sigma > 0.0 && sigma.is_finite();
    let scores: Vec<f64> = resid.iter().map(|&e| if band { e / sigma } else { f64::NAN }).collect();
    let flags: Vec<bool> = scores.iter().map(|z| band && cmp.passes(z.abs(), k)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let worst = (0..n).filter(|&i| scores[i].is_finite()).max_by(|&a, &b| scores[a].abs().total_cmp(&scores[b].abs()));
    let ema_value = ema(y, sf);
    let last_trend = des.trend.last().copied().unwrap_or(f64::NAN);
    // Holt's own next trend and forecast, which Prometheus never computes.
    let (l_prev, l_last) = match des.level.as_slice() {
        [.., a, b] => (*a, *b),
        _ => (f64::NAN, f64::NAN),
    };
    let next_trend = tf * (l_last - l_prev) + (1.0 - tf) * last_trend;
    let forecast_next = l_last + next_trend;

    let mut steps = Steps::new();
    let x0 = y[des.index[0]];
    let x1 = y[des.index[1]];
    steps.num(
        "samples",
        "Samples in the range",
        "l = count of samples",
        if gaps > 0 { format!("{} rows − {} missing", n, gaps) } else { count(n) },
        used as f64,
    );
    steps.num("init.level", "Start the level at the first sample", "s₁ = x₀", num(x0), x0);
    steps.num(
        "init.trend",
        "Start the trend from the first two samples",
        "b = x₁ − x₀",
        format!("{} − {}", num(x1), paren(x0)),
        x1 - x0,
    );
    steps.num(
        "step1",
        "Sample 1: the level (the trend is kept at this first step)",
        "s = sf·x₁ + (1 − sf)·(s₁ + b)",
        format!("{} × {} + {} × ({} + {})", num(sf), num(x1), num(1.0 - sf), num(x0), paren(x1 - x0)),
        des.level[1],
    );
    if used > 2 {
        let j = used - 1;
        let (lm2, lm1) = (des.level[j - 2], des.level[j - 1]);
        let b_prev = des.trend[j - 1];
        steps.num(
            "last.trend",
            &format!("Sample {}: the trend, from the two previous levels", j),
            "b = tf·(s₁ − s₀) + (1 − tf)·b",
            format!("{} × ({} − {}) + {} × {}", num(tf), num(lm1), paren(lm2), num(1.0 - tf), paren(b_prev)),
            des.trend[j],
        );
        steps.num(
            "last.level",
            &format!("Sample {}: the level", j),
            "s = sf·x + (1 − sf)·(s₁ + b)",
            format!(
                "{} × {} + {} × ({} + {})",
                num(sf),
                num(y[des.index[j]]),
                num(1.0 - sf),
                num(lm1),
                paren(des.trend[j])
            ),
            des.level[j],
        );
    }
    steps
        .num(
            "result",
            "What Prometheus returns: the last smoothed level",
            "double_exponential_smoothing(v, sf, tf)",
            format!("sf = {}, tf = {}, {} samples", num(sf), num(tf), used),
            value,
        )
        .decisive();
    steps.num(
        "ema",
        "For comparison: the EMA with α = sf",
        "e = α·x + (1 − α)·e₋₁, e₀ = x₀",
        format!("α = {}", num(sf)),
        ema_value,
    );
    if band {
        steps.num(
            "sigma",
            "Scale of the one-step errors",
            if scale_kind == ResidualScale::Mad { "σ̂ = 1.4826 · MAD(e)" } else { "σ̂ = √(Σe² / n)" },
            format!("{} errors (from the 3rd sample on)", count(n_res)),
            sigma,
        );
        if let Some(w) = worst {
            steps.text(
                "compare",
                &format!("Largest one-step error (row {})", w + 1),
                &format!("|e| / σ̂ {} k", cmp.symbol()),
                format!(
                    "|{} − {}| / {} = {} {} {}?",
                    num(y[w]),
                    paren(pred[w]),
                    num(sigma),
                    num(scores[w].abs()),
                    cmp.symbol(),
                    num(k)
                ),
                if flags[w] { "yes: flagged" } else { "no: not flagged" },
            );
        }
    }

    let verdict = if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!(
                "ALERT: {} outside the one-step band; double_exponential_smoothing = {}",
                super::common::n_points(flagged),
                num(value)
            ),
            format!(
                "Row {} ({}) is {} σ̂ from its prediction {}.",
                first + 1,
                num(y[first]),
                num(scores[first].abs()),
                num(pred[first])
            ),
        )
    } else {
        let detail = if band {
            match worst {
                Some(w) => format!(
                    "The largest one-step error is {} σ̂ (row {}), {} {}.",
                    num(scores[w].abs()),
                    w + 1,
                    cmp.negated(),
                    num(k)
                ),
                None => String::new(),
            }
        } else if n_res >= 2 {
            "Every one-step prediction was exact (σ̂ = 0), so no band can be drawn.".to_string()
        } else {
            format!("{} one-step error(s) after the trend's start: too few to estimate a band (needs 2).", n_res)
        };
        Verdict::new(Level::Clear, format!("double_exponential_smoothing = {}", num(value)), detail)
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("smoothed", "double_exponential_smoothing (the last level)", Val::num_or(value, "overflow"), "");
    a.push_value("trend", "trend used in the last step", Val::num_or(last_trend, "overflow"), "");
    a.push_value(
        "forecast_next",
        "Holt's forecast for the next sample (not returned by Prometheus)",
        Val::num_or(forecast_next, "overflow"),
        "",
    );
    a.push_value("ema", "EMA with α = sf (for comparison)", Val::num_or(ema_value, "overflow"), "");
    a.push_value("samples", "samples used", Val::Int(used as i64), "");
    a.push_value(
        "sigma",
        "σ̂ of the one-step errors",
        if band {
            Val::Num(sigma)
        } else {
            Val::Undefined(if n_res < 2 { "fewer than 2 errors".into() } else { "all errors are 0".into() })
        },
        "",
    );
    a.push_value("flagged", "flagged samples", Val::Int(flagged as i64), "");

    a.note(NoteLevel::Info, "Prometheus returns the smoothed level at the last sample, not a forecast (Holt's forecast for the next sample would add the trend). It has no season: a daily cycle inside the range swings the level and the trend with the hour; the guide's “triple” version compares the current value with last week's smoothed value instead.");
    if gaps > 0 {
        a.note(
            NoteLevel::Info,
            format!(
                "{} missing row(s) skipped: Prometheus only sees the samples that exist, and ignores their timestamps.",
                count(gaps)
            ),
        );
    }
    if let Some(note) = tl.irregular_note() {
        a.note(NoteLevel::Info, note);
    }

    let mut table = Table::new(
        "states",
        "Each sample",
        &["#", tl.label, "x", "trend b", "ŷ = s₁ + b", "e = x − ŷ", "level s", "flagged"],
    );
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            vec![
                (i + 1).to_string(),
                num(tl.x[i]),
                if y[i].is_nan() { "missing".into() } else { num(y[i]) },
                cell(trd[i]),
                cell(pred[i]),
                cell(resid[i]),
                cell(lvl[i]),
                if flags[i] { "yes".into() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    // Plot: data, the smoothed level, the one-step band, the EMA; below, the trend.
    let xs: Vec<f64> = des.index.iter().map(|&i| tl.x[i]).collect();
    let mut main = Panel::new("", tl.axis_through(0), Axis::linear("value"));
    if band {
        let lo: Vec<f64> = pred.iter().map(|p| p - k * sigma).collect();
        let hi: Vec<f64> = pred.iter().map(|p| p + k * sigma).collect();
        main.push(band_layer(&tl.x, &lo, &hi, format!("one-step prediction ± {}σ̂", num(k))));
    }
    main.push(Layer::line(
        xs.clone(),
        des.level.clone(),
        Role::Model,
        format!("double_exponential_smoothing level (sf = {}, tf = {})", num(sf), num(tf)),
    ));
    let mut e = f64::NAN;
    let ema_line: Vec<f64> = des
        .index
        .iter()
        .map(|&i| {
            e = if e.is_nan() { y[i] } else { sf * y[i] + (1.0 - sf) * e };
            e
        })
        .collect();
    if used <= MAX_OVERLAY {
        main.push(Layer::line(xs.clone(), ema_line, Role::Alternative, format!("EMA, α = {}", num(sf))));
    }
    let (points, layers) = observed_points(&tl.x, y, &scores, &flags, "e / σ̂");
    for l in layers {
        main.push(l);
    }
    if let Some(&lx) = xs.last() {
        main.push(Layer::text(lx, value, format!("returns {}", num(value))));
    }
    main.weight = 2.0;
    let mut lower = Panel::new("trend b", tl.axis_through(0), Axis::linear("trend b"));
    lower.push(Layer::hline(0.0, Role::Center, ""));
    lower.push(Layer::line(
        xs.iter().skip(1).copied().collect::<Vec<_>>(),
        des.trend.iter().skip(1).copied().collect::<Vec<_>>(),
        Role::Model,
        format!("trend used at each step, b{}…", sub(1)),
    ));
    a.plot = crate::plot::Plot::stacked(vec![main, lower]);
    a.points = Some(points);
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streaming_value_equals_the_traced_one() {
        let xs = [3.0, 1.0, f64::NAN, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        for (sf, tf) in [(0.5, 0.1), (0.01, 0.9), (0.3, 0.3)] {
            assert_eq!(prometheus_value(&xs, sf, tf), prometheus(&xs, sf, tf).map(|d| d.value()));
        }
        assert_eq!(prometheus_value(&[1.0], 0.5, 0.5), None);
    }

    #[test]
    fn a_straight_line_comes_back_exactly() {
        let xs: Vec<f64> = (795..=800).map(|i| 10.0 * i as f64).collect();
        let d = prometheus(&xs, 0.01, 0.1).unwrap();
        assert_eq!(d.value(), 8000.0);
    }

    #[test]
    fn flux_published_examples() {
        // InfluxData Flux's test of its PromQL-compatible holtWinters (sf 0.1, tf 0.2).
        let d = prometheus(&[1.0, 1.0, 1.0, 100.0, 100.0, 100.0], 0.1, 0.2).unwrap();
        assert!((d.value() - 32.78296).abs() < 1e-9, "{}", d.value());
        let d = prometheus(&[100.0, 200.0, 300.0, 200.0, 300.0, 400.0], 0.1, 0.2).unwrap();
        assert!((d.value() - 535.792).abs() < 1e-9, "{}", d.value());
    }

    #[test]
    fn factors_outside_the_open_interval_are_refused_as_prometheus_does() {
        use crate::{analyze, Params};
        for (id, v) in [("sf", 0.0), ("sf", 1.0), ("tf", 0.0), ("tf", 1.0)] {
            let input = Input::new().with("series.value", vec![1.0, 2.0, 3.0]);
            let e = analyze("double-exponential-smoothing", input, &Params::new().with(id, v)).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(id));
            assert!(e.message.contains("Prometheus rejects"), "{}", e.message);
        }
        // One sample left after the gaps: Prometheus returns nothing, an explained outcome.
        let input = Input::new().with("series.value", vec![5.0, f64::NAN, f64::NAN]);
        let a = analyze("double-exponential-smoothing", input, &Params::new()).unwrap();
        assert_eq!(a.verdict.level, Level::Undefined);
    }

    #[test]
    fn gaps_are_skipped_and_one_sample_is_no_result() {
        let d = prometheus(&[10.0, f64::NAN, 10.0, 10.0, 90.0], 0.5, 0.5).unwrap();
        assert_eq!(d.value(), 50.0);
        assert!(prometheus(&[1.0, f64::NAN], 0.5, 0.5).is_none());
    }
}
