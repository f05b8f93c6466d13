//! STL: seasonal-trend decomposition by LOESS (Cleveland, Cleveland, McRae and
//! Terpenning, 1990), and the remainder as an anomaly score.
//!
//! The decomposition is the published algorithm (see `stl/decompose.rs`): the inner
//! loop of detrending, cycle-subseries LOESS, low-pass filter and trend LOESS, and the
//! outer loop of bisquare robustness weights. Defaults are statsmodels' (`STL(endog,
//! period, seasonal=7)`), so the numbers can be compared with it; R's `stl` differs in
//! its defaults, which are parameters here.
//!
//! Each point's score is its remainder divided by a scale: the remainder's SD, its
//! robust SD (1.4826 × MAD), or a given noise σ. Beside STL the analysis computes the
//! guide's PromQL stand-in, the average of the same time 1, 2 and 3 periods back, so
//! that the lesson can compare the two.

mod decompose;

use super::common::{n_points, series_field, Compare, Series, COMPARE, STEP};
use super::timeseries::{interpolate_gaps, spacing_caveat, time_axis};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren, sig};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{integer, number, Choice, MethodSpec, ParamKind, ParamSpec};
use crate::stats::{mean, median_in_place, sd_about, Ddof};
use decompose::{decompose, Config, Smoother};

const DEGREES: &[Choice] =
    &[Choice { id: "1", label: "1 (locally linear)" }, Choice { id: "0", label: "0 (locally constant)" }];

/// Series up to this length are fitted at every point when the jumps are automatic.
const EXACT_UP_TO: usize = 10_000;

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "stl",
        name: "STL decomposition (seasonal-trend by LOESS)",
        summary: "Splits a series into trend, seasonal and remainder parts by LOESS, and flags points whose remainder is large.",
        fields: &[series_field(2)],
        params: &[
            ParamSpec {
                id: "period",
                label: "Period",
                unit: "samples",
                help: "Samples per cycle: 24 for hourly data with a daily cycle, 168 for a weekly one. 1 means no seasonal part.",
                kind: integer(24.0, 1.0, 10_000.0),
            },
            ParamSpec {
                id: "robust",
                label: "Robust fitting",
                unit: "",
                help: "Reweight points by their remainder (bisquare, outer loop) so that outliers stay in the remainder. statsmodels' default is off.",
                kind: ParamKind::Flag { default: false },
            },
            ParamSpec {
                id: "threshold",
                label: "Threshold",
                unit: "σ",
                help: "Flag a point when |remainder| / scale passes this.",
                kind: number(3.0, 0.1, 20.0, 0.1),
            },
            ParamSpec {
                id: "scale",
                label: "Scale of the remainder",
                unit: "",
                help: "What a remainder is divided by: its SD, its robust SD (1.4826 × MAD), or a noise σ you know (the guide's ±50).",
                kind: ParamKind::Choice {
                    default: "sd",
                    options: &[
                        Choice { id: "sd", label: "SD of the remainder (÷ n − 1)" },
                        Choice { id: "mad", label: "robust SD: 1.4826 × MAD of the remainder" },
                        Choice { id: "given", label: "a given noise σ" },
                    ],
                },
            },
            ParamSpec {
                id: "sigma",
                label: "Noise σ",
                unit: "",
                help: "The noise SD used when the scale is “a given noise σ”.",
                kind: ParamKind::Number { default: 1.0, min: 1e-9, max: 1e12, step: 0.01, integer: false, log: true },
            },
            ParamSpec {
                id: "seasonal",
                label: "Seasonal window",
                unit: "cycles",
                help: "LOESS span of each cycle-subseries, odd, at least 3 (statsmodels' default 7; Cleveland et al. advise 7 or more).",
                kind: ParamKind::Number { default: 7.0, min: 3.0, max: 999.0, step: 2.0, integer: true, log: false },
            },
            ParamSpec {
                id: "trend",
                label: "Trend window",
                unit: "samples",
                help: "LOESS span of the trend, odd; 0 = automatic: the smallest odd integer ≥ 1.5·period / (1 − 1.5/seasonal), as statsmodels and R.",
                kind: integer(0.0, 0.0, 200_001.0),
            },
            ParamSpec {
                id: "low_pass",
                label: "Low-pass window",
                unit: "samples",
                help: "LOESS span of the low-pass filter, odd; 0 = automatic: the smallest odd integer above the period (statsmodels).",
                kind: integer(0.0, 0.0, 200_001.0),
            },
            ParamSpec {
                id: "seasonal_deg",
                label: "Seasonal LOESS degree",
                unit: "",
                help: "statsmodels fits lines (1); R's stl fits constants (0) by default.",
                kind: ParamKind::Choice { default: "1", options: DEGREES },
            },
            ParamSpec {
                id: "trend_deg",
                label: "Trend LOESS degree",
                unit: "",
                help: "1 in both statsmodels and R.",
                kind: ParamKind::Choice { default: "1", options: DEGREES },
            },
            ParamSpec {
                id: "low_pass_deg",
                label: "Low-pass LOESS degree",
                unit: "",
                help: "1 in statsmodels; R uses the trend degree.",
                kind: ParamKind::Choice { default: "1", options: DEGREES },
            },
            ParamSpec {
                id: "inner",
                label: "Inner passes",
                unit: "",
                help: "Passes of the inner loop; 0 = automatic: statsmodels' 5, or 2 when robust (R: 2, or 1 when robust).",
                kind: integer(0.0, 0.0, 20.0),
            },
            ParamSpec {
                id: "outer",
                label: "Robustness passes",
                unit: "",
                help: "Outer (reweighting) passes when robust; 0 = automatic: 15, as statsmodels and R.",
                kind: integer(0.0, 0.0, 50.0),
            },
            ParamSpec {
                id: "jumps",
                label: "LOESS jumps",
                unit: "",
                help: "Fit every point (statsmodels' default), or every ⌈window/10⌉ points with linear interpolation between (R's default, much faster).",
                kind: ParamKind::Choice {
                    default: "auto",
                    options: &[
                        Choice { id: "auto", label: "automatic: every point up to 10,000 samples, ⌈window/10⌉ beyond" },
                        Choice { id: "exact", label: "every point (statsmodels' default)" },
                        Choice { id: "r", label: "every ⌈window/10⌉ points (R's default)" },
                    ],
                },
            },
            ParamSpec {
                id: "at",
                label: "Point to inspect",
                unit: "position",
                help: "Which point the steps follow (1 = the first sample); 0 = the point with the largest score.",
                kind: integer(0.0, 0.0, 200_000.0),
            },
            ParamSpec {
                id: "offsets",
                label: "Periods back (PromQL baseline)",
                unit: "",
                help: "The guide's PromQL stand-in averages the same time 1, 2, …, k periods back; the guide uses 3.",
                kind: integer(3.0, 1.0, 12.0),
            },
            ParamSpec {
                id: "offset_period",
                label: "Offset of the PromQL baseline",
                unit: "samples",
                help: "How far back “one period” is for the PromQL baseline (168 = 1w of hourly samples); 0 = the STL period.",
                kind: integer(0.0, 0.0, 100_000.0),
            },
            COMPARE,
            STEP,
        ],
    },
    run,
};

/// How the remainder is scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    Sd,
    Mad,
    Given(f64),
}

impl Scale {
    fn of(self, r: &[f64]) -> f64 {
        match self {
            Scale::Given(s) => s,
            Scale::Sd => {
                if r.len() < 2 {
                    return f64::NAN;
                }
                sd_about(r, mean(r), Ddof::Sample)
            }
            Scale::Mad => {
                let mut buf = r.to_vec();
                let med = median_in_place(&mut buf);
                buf.clear();
                buf.extend(r.iter().map(|x| (x - med).abs()));
                1.4826 * median_in_place(&mut buf)
            }
        }
    }

    fn formula(self) -> &'static str {
        match self {
            Scale::Sd => "σ = SD of the remainders (÷ n − 1)",
            Scale::Mad => "σ = 1.4826 × median|R − median R|",
            Scale::Given(_) => "σ = the given noise σ",
        }
    }
}

/// The smallest odd integer ≥ x.
fn next_odd(x: f64) -> usize {
    let c = x.ceil().max(1.0) as usize;
    c + usize::from(c % 2 == 0)
}

/// A window parameter (0 = automatic) as an odd length of at least 3: an even or too
/// short window is widened, as R's stl does, and the widening is reported.
fn odd_window(p: &ResolvedParams, id: &str, label: &str, widened: &mut Vec<String>) -> Result<usize, InputError> {
    let w = p.count(id)?;
    if w == 0 {
        return Ok(0);
    }
    let odd = w.max(3) | 1;
    if odd != w {
        widened.push(format!("the {} {} to {}", label, w, odd));
    }
    Ok(odd)
}

/// A point's score: remainder over scale, NaN when either is undefined.
fn score(r: f64, scale: f64) -> f64 {
    if scale > 0.0 && scale.is_finite() {
        r / scale
    } else {
        f64::NAN
    }
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let field = &METHOD.spec.fields[0];
    let step = p.num("step")?;
    let series = Series::read(input, field, step);
    let n = series.len();
    let period = p.count("period")?;
    let robust = p.flag("robust")?;
    let threshold = p.num("threshold")?;
    let cmp = Compare::from_params(p)?;
    let scale_kind = match p.choice("scale")? {
        "mad" => Scale::Mad,
        "given" => Scale::Given(p.num("sigma")?),
        _ => Scale::Sd,
    };
    let mut widened = Vec::new();
    let ns = odd_window(p, "seasonal", "seasonal window", &mut widened)?.max(3);
    let nt_given = odd_window(p, "trend", "trend window", &mut widened)?;
    let nl_given = odd_window(p, "low_pass", "low-pass window", &mut widened)?;
    let degree = |id: &str| -> Result<u8, InputError> { Ok(if p.choice(id)? == "0" { 0 } else { 1 }) };
    let (sdeg, tdeg, ldeg) = (degree("seasonal_deg")?, degree("trend_deg")?, degree("low_pass_deg")?);
    let inner = match p.count("inner")? {
        0 if robust => 2,
        0 => 5,
        k => k,
    };
    let outer = match (robust, p.count("outer")?) {
        (false, _) => 0,
        (true, 0) => 15,
        (true, k) => k,
    };
    let at_given = p.count("at")?;
    // A point beyond the end (the data was shortened) shows the last point.
    let at = at_given.min(n);
    let offsets = p.count("offsets")?.max(1);
    let offset_period = match p.count("offset_period")? {
        0 => period,
        k => k,
    };

    let (unit, x, x_label) = time_axis(&series);
    let (filled_y, filled) = interpolate_gaps(&series.v);
    let observed: Vec<bool> = series.v.iter().map(|v| !v.is_nan()).collect();

    // Windows: statsmodels' automatic choices unless given.
    let nt_auto = next_odd(1.5 * period as f64 / (1.0 - 1.5 / ns as f64));
    let nl_auto = next_odd(period as f64 + 1.0);
    let nt = if nt_given == 0 { nt_auto } else { nt_given };
    let nl = if nl_given == 0 { nl_auto } else { nl_given };
    let jump_choice = p.choice("jumps")?;
    let jumped = jump_choice == "r" || (jump_choice == "auto" && n > EXACT_UP_TO);
    let jump = |w: usize| if jumped { w.div_ceil(10).max(1) } else { 1 };
    let cfg = Config {
        period,
        seasonal: Smoother { len: ns, degree: sdeg, jump: jump(ns) },
        trend: Smoother { len: nt, degree: tdeg, jump: jump(nt) },
        low_pass: Smoother { len: nl, degree: ldeg, jump: jump(nl) },
        inner,
        outer,
    };

    let mut a = Analysis::new(METHOD.spec.id, Verdict::new(Level::Undefined, "", ""));
    a.push_value("n", "samples", Val::Int(n as i64), "");
    a.push_value("period", "period", Val::Int(period as i64), "samples");
    a.push_value("seasonal_window", "seasonal window", Val::Int(ns as i64), "cycles");
    a.push_value("trend_window", "trend window", Val::Int(nt as i64), "samples");
    a.push_value("low_pass_window", "low-pass window", Val::Int(nl as i64), "samples");
    a.push_value(
        "jumps",
        "LOESS jumps (seasonal, trend, low-pass)",
        Val::Text(format!("{}, {}, {}", cfg.seasonal.jump, cfg.trend.jump, cfg.low_pass.jump)),
        "",
    );
    a.push_value("inner", "inner passes", Val::Int(inner as i64), "");
    a.push_value("outer", "robustness passes", Val::Int(outer as i64), "");
    a.push_value("gaps", "missing samples filled for the fit", Val::Int(filled as i64), "");
    if let Some(text) = spacing_caveat(&series) {
        a.note(NoteLevel::Caveat, text);
    }
    if !widened.is_empty() {
        a.note(
            NoteLevel::Caveat,
            format!(
                "LOESS windows must be odd and at least 3, so {} (as R's stl does; statsmodels refuses such windows).",
                widened.join(" and ")
            ),
        );
    }
    if at_given > n {
        a.note(
            NoteLevel::Caveat,
            format!(
                "Point {} is beyond the end of the series ({} points); the steps follow the last point.",
                count(at_given),
                count(n)
            ),
        );
    }
    let data_y: Column = series.v.clone().into();

    // Too little data, or none at all: show the data and say why.
    let too_short = n < 2 * period;
    if filled == n || too_short {
        let (headline, detail) = if filled == n {
            (
                "No observed values".to_string(),
                "Every sample is missing (NaN): there is nothing to decompose.".to_string(),
            )
        } else {
            (
                "Too short for STL: fewer than two full periods".to_string(),
                format!(
                    "STL needs at least two cycles to tell a seasonal pattern from the trend: {} samples for a period of {}; the series has {}. Give more data or a shorter period.",
                    count(2 * period),
                    count(period),
                    count(n)
                ),
            )
        };
        a.verdict = Verdict::new(Level::Undefined, headline, detail);
        a.push_value("flagged", "flagged points", Val::Int(0), "");
        let mut steps = Steps::new();
        steps.text(
            "length",
            "Enough data?",
            "n ≥ 2 × period",
            format!("{} ≥ 2 × {}?", count(n), count(period)),
            if too_short { "no" } else { "yes" },
        );
        a.steps = steps.0;
        let mut panel = Panel::new("", Axis::linear(x_label.clone()), Axis::linear("value"));
        panel.push(Layer::points(x.clone(), data_y.clone(), Role::Data, "data"));
        a.plot = Plot::single(panel);
        a.points = Some(Points {
            x,
            y: data_y,
            score: vec![f64::NAN; n],
            flag: vec![false; n],
            score_label: "remainder / σ".to_string(),
        });
        return Ok(a);
    }

    let fit = decompose(&filled_y, &cfg);
    let remainder: Vec<f64> =
        (0..n).map(|i| if observed[i] { series.v[i] - fit.trend[i] - fit.seasonal[i] } else { f64::NAN }).collect();
    let observed_r: Vec<f64> = remainder.iter().copied().filter(|r| !r.is_nan()).collect();
    let sd_r = Scale::Sd.of(&observed_r);
    let mad_r = Scale::Mad.of(&observed_r);
    // A remainder that is rounding noise (a constant or exactly periodic series) has no
    // scale worth dividing by.
    let magnitude = filled_y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let negligible = |s: f64| s.is_nan() || s <= 1e-9 * magnitude.max(f64::MIN_POSITIVE);
    let given = matches!(scale_kind, Scale::Given(_));
    let sigma = scale_kind.of(&observed_r);
    let scale_ok = !(sigma.is_nan() || (!given && negligible(sigma)));
    let scores: Vec<f64> = remainder.iter().map(|&r| if scale_ok { score(r, sigma) } else { f64::NAN }).collect();
    let flags: Vec<bool> = scores.iter().map(|z| cmp.passes(z.abs(), threshold)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();

    // The inspected point: the one asked for, or the largest score (largest |remainder|
    // when the scores are undefined).
    let probe = if at > 0 {
        at - 1
    } else {
        let key = |i: usize| if scale_ok { scores[i].abs() } else { remainder[i].abs() };
        (0..n).filter(|&i| !remainder[i].is_nan()).max_by(|&i, &j| key(i).total_cmp(&key(j))).unwrap_or(0)
    };
    let y_p = series.v[probe];
    let t_p = fit.trend[probe];
    let s_p = fit.seasonal[probe];
    let expected = t_p + s_p;
    let r_p = remainder[probe];
    let z_p = scores[probe];
    let alert_p = flags[probe];

    // The guide's PromQL stand-in: the mean of the same time 1..k offsets back, defined
    // only when every one of them was observed (PromQL returns nothing otherwise).
    let baseline: Vec<f64> = (0..n)
        .map(|i| {
            if i < offsets * offset_period {
                return f64::NAN;
            }
            // A short sum (k ≤ 12 terms) in order; NaN if any is missing.
            let mut total = 0.0;
            for j in 1..=offsets {
                total += series.v[i - j * offset_period];
            }
            total / offsets as f64
        })
        .collect();
    let offset_r: Vec<f64> = (0..n).map(|i| series.v[i] - baseline[i]).collect();
    let offset_defined: Vec<f64> = offset_r.iter().copied().filter(|r| !r.is_nan()).collect();
    let offset_sigma = scale_kind.of(&offset_defined);
    let offset_scale_ok = !(offset_sigma.is_nan() || (!given && negligible(offset_sigma)));
    let offset_scores: Vec<f64> =
        offset_r.iter().map(|&r| if offset_scale_ok { score(r, offset_sigma) } else { f64::NAN }).collect();
    let offset_flagged = offset_scores.iter().filter(|z| cmp.passes(z.abs(), threshold)).count();
    let base_p = baseline[probe];
    let offset_r_p = offset_r[probe];
    let offset_z_p = offset_scores[probe];
    // The guide's first query: metric − metric offset 1w > 0.2 × metric offset 1w.
    let first_query = |i: usize| -> Option<bool> {
        let back = series.v.get(i.checked_sub(offset_period)?).copied()?;
        let now = series.v[i];
        if back.is_nan() || now.is_nan() {
            None
        } else {
            Some(now - back > 0.2 * back)
        }
    };
    let first_fires = (0..n).filter(|&i| first_query(i) == Some(true)).count();
    let first_p = first_query(probe);

    // The whole-series z-score the guide says misses the dip (population SD, as its z-score).
    let obs_y: Vec<f64> = series.v.iter().copied().filter(|v| !v.is_nan()).collect();
    let mean_y = mean(&obs_y);
    let sd_y = sd_about(&obs_y, mean_y, Ddof::Population);
    let z_whole = if sd_y > 0.0 { (y_p - mean_y) / sd_y } else { f64::NAN };
    let cycle_start = probe - probe % period;
    let cycle: Vec<f64> =
        series.v[cycle_start..(cycle_start + period).min(n)].iter().copied().filter(|v| !v.is_nan()).collect();
    let mean_c = mean(&cycle);
    let sd_c = sd_about(&cycle, mean_c, Ddof::Population);
    let z_cycle = if sd_c > 0.0 { (y_p - mean_c) / sd_c } else { f64::NAN };

    // ---- the trace
    let mut steps = Steps::new();
    steps.text(
        "settings",
        "Settings",
        "period p; windows n_s, n_t, n_l (degree); inner and outer passes",
        format!(
            "n = {}, p = {}, n_s = {} ({}), n_t = {} ({}), n_l = {} ({}); jumps {}, {}, {}",
            count(n),
            period,
            ns,
            sdeg,
            nt,
            tdeg,
            nl,
            ldeg,
            cfg.seasonal.jump,
            cfg.trend.jump,
            cfg.low_pass.jump
        ),
        format!("{} inner, {} robustness passes", inner, outer),
    );
    if nt_given == 0 {
        steps.num(
            "trend_window",
            "Trend window (automatic)",
            "n_t = smallest odd ≥ 1.5·p / (1 − 1.5/n_s)",
            format!("1.5·{} / (1 − 1.5/{}) = {}", period, ns, num(1.5 * period as f64 / (1.0 - 1.5 / ns as f64))),
            nt as f64,
        );
    }
    if nl_given == 0 {
        steps.num(
            "low_pass_window",
            "Low-pass window (automatic)",
            "n_l = smallest odd > p",
            format!("{} + 1", period),
            nl as f64,
        );
    }
    if filled > 0 {
        steps.text(
            "gaps",
            "Fill the gaps for the fit",
            "linear interpolation between observed neighbours",
            format!("{} missing", n_points(filled)),
            "filled for the fit; never scored or flagged",
        );
    }
    let pos = probe + 1;
    let at_label = format!("point {} (t = {} {})", pos, num(x[probe]), unit.name);
    if period >= 2 {
        let phase = probe % period;
        let cycles = (n - 1 - phase) / period + 1;
        let here = probe / period;
        // The values of this phase that the seasonal LOESS sees around the point.
        let lo = here.saturating_sub(ns / 2).min(cycles.saturating_sub(ns));
        let hi = (lo + ns).min(cycles);
        let window: Vec<String> = (lo..hi)
            .map(|c| {
                let v = num(filled_y[c * period + phase]);
                if c == here {
                    format!("[{}]", v)
                } else {
                    v
                }
            })
            .collect();
        let c1 = fit.first.cycle.get(period + probe).copied().unwrap_or(f64::NAN);
        let l1 = fit.first.low_pass.get(probe).copied().unwrap_or(f64::NAN);
        steps.num(
            "pass1.detrend",
            &format!("Pass 1, detrend ({})", at_label),
            "D = y − T, with T = 0 at the start",
            format!("{} − 0", num(filled_y[probe])),
            filled_y[probe],
        );
        steps.num(
            "pass1.cycle",
            "Pass 1, cycle-subseries LOESS",
            &format!("C = LOESS over n_s = {} cycles of the values at this phase", ns),
            format!("phase {} of {}, cycles {}–{} of {}: {}", phase + 1, period, lo + 1, hi, cycles, window.join(", ")),
            c1,
        );
        steps.num(
            "pass1.low_pass",
            "Pass 1, low-pass filter",
            &format!("L = LOESS_{}(MA_3(MA_{}(MA_{}(C))))", nl, period, period),
            "moving averages of C, then LOESS",
            l1,
        );
        steps.num("pass1.seasonal", "Pass 1, seasonal", "S = C − L", format!("{} − {}", num(c1), paren(l1)), c1 - l1);
        steps.num(
            "pass1.trend",
            "Pass 1, trend",
            &format!("T = LOESS_{}(y − S)", nt),
            format!(
                "LOESS of the deseasonalised series; here y − S = {}",
                num(filled_y[probe] - fit.first.seasonal[probe])
            ),
            fit.first.trend.get(probe).copied().unwrap_or(f64::NAN),
        );
    } else {
        steps.num(
            "pass1.trend",
            &format!("Trend ({}), no seasonal part with p = 1", at_label),
            &format!("T = LOESS_{}(y)", nt),
            "LOESS of the series",
            fit.first.trend.get(probe).copied().unwrap_or(f64::NAN),
        );
    }
    steps.text(
        "passes",
        "Repeat",
        if robust { "inner loop, then reweight by B(|R| / h), h = 6·median|R|" } else { "inner loop" },
        if robust {
            format!("{} inner passes × {} rounds", inner, outer + 1)
        } else {
            format!("{} inner passes", inner)
        },
        "converged components",
    );
    if robust {
        let w = fit.weights[probe];
        steps.num(
            "weight",
            "Robustness weight of this point",
            "w = (1 − (R/h)²)² when |R| < h, else 0",
            format!("h = {}", num(fit.weight_scale)),
            w,
        );
    }
    steps.num("trend", "Trend", "T", format!("at {}", at_label), t_p);
    steps.num("seasonal", "Seasonal", "S", format!("at {}", at_label), s_p);
    steps.num("expected", "Expected value", "T + S", format!("{} + {}", num(t_p), paren(s_p)), expected);
    if observed[probe] {
        steps.num("remainder", "Remainder", "R = y − (T + S)", format!("{} − {}", num(y_p), paren(expected)), r_p);
    } else {
        steps.text("remainder", "Remainder", "R = y − (T + S)", "this sample is missing", "undefined (not scored)");
    }
    let scale_sub = match scale_kind {
        Scale::Sd => format!("SD of {} remainders", count(observed_r.len())),
        Scale::Mad => format!("1.4826 × MAD of {} remainders", count(observed_r.len())),
        Scale::Given(s) => num(s),
    };
    steps.num("scale", "Scale", scale_kind.formula(), scale_sub, sigma);
    if scale_ok && observed[probe] {
        steps.num("score", "Score", "R / σ", format!("{} / {}", num(r_p), num(sigma)), z_p);
        steps
            .text(
                "compare",
                "Flag it?",
                &format!("|R/σ| {} threshold", cmp.symbol()),
                format!("{} {} {}?", num(z_p.abs()), cmp.symbol(), num(threshold)),
                if alert_p { "yes: flagged" } else { "no: not flagged" },
            )
            .decisive();
    } else {
        steps
            .text(
                "compare",
                "Flag it?",
                &format!("|R/σ| {} threshold", cmp.symbol()),
                if scale_ok {
                    "the sample is missing".to_string()
                } else {
                    "σ is zero: no remainder spread".to_string()
                },
                "undefined: nothing can be flagged",
            )
            .decisive();
    }
    let back_values: Vec<String> =
        (1..=offsets).filter_map(|j| probe.checked_sub(j * offset_period).map(|i| num(series.v[i]))).collect();
    if base_p.is_nan() {
        steps.text(
            "offset",
            &format!("PromQL stand-in: same time 1…{} periods back", offsets),
            "(y[t − p] + … + y[t − k·p]) / k",
            format!("needs {} periods of observed history before this point", offsets),
            "undefined",
        );
    } else {
        steps.num(
            "offset",
            &format!("PromQL stand-in: same time 1…{} periods back", offsets),
            &format!("b = (y[t − {op}] + … + y[t − {}]) / {}", offsets * offset_period, offsets, op = offset_period),
            format!("({}) / {}", back_values.join(" + "), offsets),
            base_p,
        );
        steps.num(
            "offset.remainder",
            "Its remainder",
            "y − b",
            format!("{} − {}", num(y_p), paren(base_p)),
            offset_r_p,
        );
        if offset_scale_ok {
            steps.num(
                "offset.score",
                "Its score",
                "(y − b) / σ_b",
                format!("{} / {}", num(offset_r_p), num(offset_sigma)),
                offset_z_p,
            );
        }
    }
    match first_p {
        Some(fires) => {
            let back = series.v[probe - offset_period];
            steps.text(
                "promql_first",
                "The guide's first query",
                "y − y[t − p] > 0.2 · y[t − p]",
                format!("{} > {}?", num(y_p - back), num(0.2 * back)),
                if fires { "fires" } else { "does not fire (it only sees increases)" },
            );
        }
        None => {
            steps.text(
                "promql_first",
                "The guide's first query",
                "y − y[t − p] > 0.2 · y[t − p]",
                "no sample one period back",
                "undefined",
            );
        }
    }
    steps.num(
        "z_whole",
        "Z-score against the whole series",
        "(y − μ) / σ (population SD)",
        format!("({} − {}) / {}", num(y_p), paren(mean_y), num(sd_y)),
        z_whole,
    );

    // ---- verdict
    let verdict = if !scale_ok {
        Verdict::new(
            Level::Undefined,
            "No remainder spread: scores are undefined",
            format!(
                "Trend and season explain the series to rounding (the remainder's scale is {}), so dividing by it would only amplify rounding noise. A constant or exactly repeating series has no anomalies to find.",
                num(sigma)
            ),
        )
    } else if flagged > 0 {
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} flagged", n_points(flagged)),
            format!(
                "The largest is point {} (t = {} {}): y = {}, expected T + S = {}, remainder {} = {}σ.",
                pos,
                num(x[probe]),
                unit.name,
                num(y_p),
                num(expected),
                num(r_p),
                num(z_p)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "No point flagged",
            format!(
                "The largest remainder is {} at point {} ({}σ {} {}).",
                num(r_p),
                pos,
                num(z_p.abs()),
                cmp.negated(),
                num(threshold)
            ),
        )
    };
    a.verdict = verdict;
    a.steps = steps.0;

    // ---- named values
    let undefined_score = |why: &str| Val::Undefined(why.to_string());
    a.push_value(
        "scale",
        "scale σ of the remainder",
        if scale_ok { Val::Num(sigma) } else { undefined_score("no remainder spread") },
        "",
    );
    a.push_value("remainder_sd", "SD of the remainder", Val::num_or(sd_r, "fewer than 2 remainders"), "");
    a.push_value(
        "remainder_robust_sd",
        "robust SD of the remainder (1.4826 × MAD)",
        Val::num_or(mad_r, "no remainders"),
        "",
    );
    a.push_value("flagged", "flagged points", Val::Int(flagged as i64), "");
    a.push_value("at", "inspected point", Val::Int(pos as i64), "");
    a.push_value("observed", "its value y", Val::num_or(y_p, "missing sample"), "");
    a.push_value("trend", "its trend T", Val::Num(t_p), "");
    a.push_value("seasonal", "its seasonal S", Val::Num(s_p), "");
    a.push_value("expected", "its expected value T + S", Val::Num(expected), "");
    a.push_value("remainder", "its remainder R", Val::num_or(r_p, "missing sample"), "");
    a.push_value("score", "its score R / σ", Val::num_or(z_p, "undefined scale or missing sample"), "σ");
    a.push_value("alert", "is it flagged?", Val::Bool(alert_p), "");
    if expected != 0.0 && !y_p.is_nan() {
        a.push_fraction("drop", "its shortfall below T + S", Val::Num((expected - y_p) / expected));
    }
    if robust {
        a.push_value("weight", "its robustness weight", Val::Num(fit.weights[probe]), "");
        let zero = fit.weights.iter().filter(|&&w| w == 0.0).count();
        a.push_value("zero_weights", "points with robustness weight 0", Val::Int(zero as i64), "");
        if zero * 10 > n {
            a.note(
                NoteLevel::Warning,
                format!(
                    "Robust fitting rejected {} of {} points (weight 0): the median |remainder| is only {}, so the bisquare cut-off 6 × median = {} excludes most of the data. This happens with noise-free or heavily rounded series; the robust result is then unreliable. Turn robust off, or use data with its noise.",
                    count(zero),
                    count(n),
                    num(fit.weight_scale / 6.0),
                    num(fit.weight_scale)
                ),
            );
        }
    }
    let why_offset = format!("needs {} observed periods of history", offsets);
    a.push_value(
        "offset.expected",
        "PromQL stand-in: mean of the same time 1…k periods back",
        Val::num_or(base_p, &why_offset),
        "",
    );
    a.push_value("offset.remainder", "its remainder y − b", Val::num_or(offset_r_p, &why_offset), "");
    a.push_value(
        "offset.scale",
        "scale of its remainders",
        if offset_scale_ok {
            Val::Num(offset_sigma)
        } else {
            Val::Undefined("no spread or too few values".to_string())
        },
        "",
    );
    a.push_value("offset.score", "its score", Val::num_or(offset_z_p, "undefined baseline or scale"), "σ");
    a.push_value("offset.alert", "does the stand-in flag it?", Val::Bool(cmp.passes(offset_z_p.abs(), threshold)), "");
    if !base_p.is_nan() && base_p != 0.0 && !y_p.is_nan() {
        a.push_fraction("offset.drop", "its shortfall below the stand-in baseline", Val::Num((base_p - y_p) / base_p));
    }
    a.push_value("offset.flagged", "points the stand-in flags", Val::Int(offset_flagged as i64), "");
    a.push_value(
        "promql_first",
        "does the guide's first query (y − y[t−p] > 0.2·y[t−p]) fire here?",
        match first_p {
            Some(b) => Val::Bool(b),
            None => Val::Undefined("no sample one period back".to_string()),
        },
        "",
    );
    a.push_value("promql_first.fired", "points where the first query fires", Val::Int(first_fires as i64), "");
    a.push_value("z_whole", "z-score of the point against the whole series", Val::num_or(z_whole, "no spread"), "σ");
    a.push_value(
        "z_whole_alert",
        "does the whole-series z-score flag it?",
        Val::Bool(cmp.passes(z_whole.abs(), threshold)),
        "",
    );
    a.push_value("z_cycle", "z-score against its own cycle", Val::num_or(z_cycle, "no spread in the cycle"), "σ");

    // ---- notes
    if period >= 2 {
        a.note(
            NoteLevel::Info,
            "STL's seasonal part averages about zero over each cycle, so the level of the series sits in the trend: a peak at one phase of the cycle is split into a seasonal value a little below its height and a trend a little above the base level.",
        );
    } else {
        a.note(NoteLevel::Info, "A period of 1 means no seasonal pattern: STL reduces to a LOESS trend, and the remainder is what the trend does not follow.");
        if nt <= 3 {
            a.note(
                NoteLevel::Caveat,
                "A LOESS window of 3 reproduces the data: a point's two neighbours sit at the edge of the window, where the tricube weight is 0. Give the trend window a length such as 25 to get a trend.",
            );
        }
    }
    if jumped {
        a.note(
            NoteLevel::Info,
            format!(
                "With {} samples the LOESS fits are made every {}, {} and {} points (seasonal, trend, low-pass; ⌈window/10⌉ as R's stl does) and interpolated linearly between, which keeps a redraw interactive. Choose “every point” for statsmodels' exact fit.",
                count(n),
                cfg.seasonal.jump,
                cfg.trend.jump,
                cfg.low_pass.jump
            ),
        );
    }
    if filled > 0 {
        a.note(
            NoteLevel::Caveat,
            format!(
                "{} missing (NaN): STL needs every sample, so they were filled by linear interpolation for the fit (statsmodels refuses NaN; R's stl stops at na.fail). They get no remainder and are never flagged.",
                n_points(filled)
            ),
        );
    }
    if nt <= period || nl <= period {
        a.note(
            NoteLevel::Caveat,
            "A trend or low-pass window no longer than the period lets the trend follow the seasonal cycle (statsmodels refuses it); the seasonal and trend parts then compete.",
        );
    }
    if period >= 2 && n / period < ns {
        a.note(
            NoteLevel::Caveat,
            format!(
                "Each cycle-subseries has only {} values, fewer than the seasonal window of {}: the seasonal LOESS has little to smooth, and part of every anomaly goes into the seasonal component.",
                n / period,
                ns
            ),
        );
    }

    // ---- table
    let mut table = Table::new(
        "points",
        "Each point",
        &["#", &format!("t ({})", unit.name), "y", "trend T", "seasonal S", "remainder R", "R / σ", "flagged"],
    );
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            let y = series.v[i];
            vec![
                (i + 1).to_string(),
                num(x[i]),
                if y.is_nan() { format!("missing (filled {})", num(filled_y[i])) } else { num(y) },
                num(fit.trend[i]),
                num(fit.seasonal[i]),
                if remainder[i].is_nan() { "—".to_string() } else { num(remainder[i]) },
                if scores[i].is_nan() { "—".to_string() } else { num(scores[i]) },
                if flags[i] { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    // ---- plot: data, trend, season, remainder over one time axis
    let xs_axis = || Axis::linear(x_label.clone());
    let fitted: Vec<f64> = fit.trend.iter().zip(&fit.seasonal).map(|(t, s)| t + s).collect();
    let mut data_panel = Panel::new("", xs_axis(), Axis::linear("data"));
    data_panel.weight = 1.5;
    data_panel.push(Layer::line(x.clone(), fitted, Role::Model, "trend + season"));
    if baseline.iter().any(|b| !b.is_nan()) {
        data_panel.push(Layer::line(
            x.clone(),
            baseline.clone(),
            Role::Alternative,
            format!("mean of 1…{} periods back", offsets),
        ));
    }
    data_panel.push(Layer::points(x.clone(), data_y.clone(), Role::Data, "data"));
    let (fx, fy): (Vec<f64>, Vec<f64>) = (0..n).filter(|&i| flags[i]).map(|i| (x[i], series.v[i])).unzip();
    data_panel.push(Layer::points(fx, fy, Role::Flagged, "flagged"));
    let mut trend_panel = Panel::new("", xs_axis(), Axis::linear("trend"));
    trend_panel.weight = 0.7;
    trend_panel.push(Layer::line(x.clone(), fit.trend.clone(), Role::Model, ""));
    let mut season_panel = Panel::new("", xs_axis(), Axis::linear("season"));
    season_panel.weight = 0.7;
    season_panel.push(Layer::line(x.clone(), fit.seasonal.clone(), Role::Model, ""));
    let mut rem_panel = Panel::new("", xs_axis(), Axis::linear("remainder"));
    rem_panel.weight = 1.3;
    if scale_ok {
        rem_panel.push(Layer::hline(threshold * sigma, Role::Threshold, format!("± {}σ", num(threshold))));
        rem_panel.push(Layer::hline(-threshold * sigma, Role::Threshold, ""));
    }
    rem_panel.push(Layer::hline(0.0, Role::Center, ""));
    if offset_r.iter().any(|r| !r.is_nan()) {
        rem_panel.push(Layer::line(x.clone(), offset_r.clone(), Role::Alternative, "y − stand-in"));
    }
    rem_panel.push(Layer::line(x.clone(), remainder.clone(), Role::Data, "remainder"));
    if !r_p.is_nan() {
        rem_panel.push(Layer::segment(x[probe], 0.0, x[probe], r_p, Role::Marker, ""));
        let label = if z_p.is_nan() { sig(r_p, 4) } else { format!("{} ({}σ)", sig(r_p, 4), sig(z_p, 3)) };
        rem_panel.push(Layer::text(x[probe], r_p, label));
    }
    a.plot = Plot::stacked(vec![data_panel, trend_panel, season_panel, rem_panel]);
    a.points = Some(Points { x, y: data_y, score: scores, flag: flags, score_label: "remainder / σ".to_string() });
    Ok(a)
}
