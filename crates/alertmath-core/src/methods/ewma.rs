//! The exponentially weighted moving average S_t = λ·x_t + (1 − λ)·S_{t−1}, and the
//! EWMA control chart of Roberts (1959) that turns it into a detector: a point is
//! flagged when the EWMA leaves μ ± L·σ_S(t).
//!
//! Conventions the guide leaves open are parameters: how the average starts (the first
//! value, as the guide and pandas' `adjust=False`; the target μ, as control charts do;
//! the mean of a warm-up span; or pandas' default `adjust=True` weights), where μ and σ
//! come from (given, or a warm-up span), and whether the limits are the exact ones,
//! which widen over the first points, or their asymptote.
//!
//! The exact limits use the variance of the EWMA as actually started: with S₀ = μ it is
//! Roberts' σ²·λ/(2 − λ)·(1 − (1 − λ)^{2t}); with S₁ = x₁ the first point carries
//! weight (1 − λ)^{t−1} and the variance is σ²·((1 − λ)^{2(t−1)} + λ/(2 − λ)·(1 − (1 −
//! λ)^{2(t−1)})); in general it is σ² times the sum of the squared weights.

use super::common::{n_points, series_field, Compare, Series, COMPARE, SD_CHOICES, STEP};
use super::timeseries::{ema, sma, spacing_caveat, time_axis, EmaStart, WindowStart};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{integer, number, Choice, MethodSpec, ParamKind, ParamSpec};
use crate::stats::{mean, sd_about, Ddof};

/// The starting rules of an exponential moving average, shared with the moving-average
/// method (which has no target μ).
pub const START_FIRST: Choice = Choice { id: "first", label: "S₁ = x₁ (the guide; pandas adjust=False)" };
const START_WARMUP: Choice = Choice { id: "warmup", label: "S_k = mean of the first k points" };
pub const START_ADJUST: Choice = Choice { id: "adjust", label: "normalised weights (pandas' default adjust=True)" };
const START_CHOICES: &[Choice] =
    &[START_FIRST, Choice { id: "target", label: "S₀ = μ (control charts)" }, START_WARMUP, START_ADJUST];

/// Series up to this length list their EWMA values as named values (`ewma.1`, …).
pub const NAMED_POINTS: usize = 12;

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "ewma",
        name: "EWMA and its control chart",
        summary: "Smooths a series with exponentially decaying weights and flags points where the average leaves Roberts' control limits μ ± L·σ_S.",
        fields: &[series_field(2)],
        params: &[
            ParamSpec {
                id: "alpha",
                label: "Smoothing factor α (λ)",
                unit: "",
                help: "Weight of the newest point: high reacts fast, low smooths; the guide uses 0.5, control charts 0.05–0.3.",
                kind: number(0.5, 0.001, 1.0, 0.001),
            },
            ParamSpec {
                id: "init",
                label: "Start",
                unit: "",
                help: "How the average starts: the guide seeds it with the first value; pandas' default ewm() normalises the weights (31.33 instead of 30 on the guide's data).",
                kind: ParamKind::Choice { default: "first", options: START_CHOICES },
            },
            ParamSpec {
                id: "baseline",
                label: "Target μ and σ",
                unit: "",
                help: "Estimate the in-control mean and SD from the first k points, or give them (a control chart's Phase I values).",
                kind: ParamKind::Choice {
                    default: "warmup",
                    options: &[
                        Choice { id: "warmup", label: "from the first k points" },
                        Choice { id: "given", label: "given μ and σ" },
                    ],
                },
            },
            ParamSpec {
                id: "warmup",
                label: "Warm-up k",
                unit: "points",
                help: "The first k observed points estimate μ and σ (and start the average when it starts from their mean).",
                kind: integer(20.0, 1.0, 100_000.0),
            },
            ParamSpec {
                id: "mu",
                label: "Target μ",
                unit: "",
                help: "The in-control mean, when given.",
                kind: number(0.0, -1e12, 1e12, 0.01),
            },
            ParamSpec {
                id: "sigma",
                label: "Process σ",
                unit: "",
                help: "The in-control SD of a single point, when given.",
                kind: ParamKind::Number { default: 1.0, min: 1e-9, max: 1e12, step: 0.01, integer: false, log: true },
            },
            ParamSpec {
                id: "L",
                label: "Limit width L",
                unit: "σ_S",
                help: "Control limits at μ ± L·σ_S; 3 is usual (NIST), Montgomery pairs L = 2.7 with λ = 0.1.",
                kind: number(3.0, 0.1, 10.0, 0.05),
            },
            ParamSpec {
                id: "limits",
                label: "Limits",
                unit: "",
                help: "Exact limits widen over the first points as the EWMA's variance grows (Roberts 1959); the asymptotic ones use λ/(2 − λ) throughout.",
                kind: ParamKind::Choice {
                    default: "exact",
                    options: &[
                        Choice { id: "exact", label: "exact, time-varying" },
                        Choice { id: "asymptotic", label: "asymptotic: σ·√(λ/(2 − λ))" },
                    ],
                },
            },
            ParamSpec {
                id: "sd",
                label: "Warm-up SD",
                unit: "",
                help: "Divisor of the warm-up SD: n − 1 (sample, usual for control charts) or n.",
                kind: ParamKind::Choice { default: "sample", options: SD_CHOICES },
            },
            ParamSpec {
                id: "sma_window",
                label: "SMA for comparison",
                unit: "points",
                help: "The simple moving average of the last n points, which the guide compares with the EWMA (it uses 4).",
                kind: integer(4.0, 1.0, 100_000.0),
            },
            COMPARE,
            STEP,
        ],
    },
    run,
};

/// q^k by repeated squaring: only multiplications, so the wasm build gives the same
/// bits as the native one (a library pow or exp may differ in the last place).
fn pow_int(q: f64, k: u64) -> f64 {
    let (mut base, mut k, mut r) = (q, k, 1.0);
    while k > 0 {
        if k & 1 == 1 {
            r *= base;
        }
        k >>= 1;
        if k > 0 {
            base *= base;
        }
    }
    r
}

/// 1 − (1 − λ)^k.
fn one_minus_pow(lambda: f64, k: f64) -> f64 {
    if k <= 0.0 {
        return 0.0;
    }
    1.0 - pow_int(1.0 - lambda, k as u64)
}

/// Var(S_t)/σ² after m observed points, for the EWMA started by `start`; NaN while
/// the average is undefined (inside a warm-up).
pub fn variance_factor(start: EmaStart, lambda: f64, m: usize) -> f64 {
    if m == 0 {
        return f64::NAN;
    }
    let c = lambda / (2.0 - lambda);
    let q2 = |k: usize| pow_int(1.0 - lambda, 2 * k as u64);
    match start {
        EmaStart::Value(_) => c * one_minus_pow(lambda, 2.0 * m as f64),
        EmaStart::First => q2(m - 1) + c * one_minus_pow(lambda, 2.0 * (m - 1) as f64),
        EmaStart::WarmupMean(k) => {
            if m < k {
                f64::NAN
            } else {
                q2(m - k) / k as f64 + c * one_minus_pow(lambda, 2.0 * (m - k) as f64)
            }
        }
        EmaStart::Adjusted => {
            // Σ q^{2i} / (Σ q^i)², i < m: λ(1 − q^{2m}) / ((2 − λ)(1 − q^m)²).
            let a = one_minus_pow(lambda, m as f64);
            if a <= 0.0 {
                1.0
            } else {
                c * one_minus_pow(lambda, 2.0 * m as f64) / (a * a)
            }
        }
    }
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let field = &METHOD.spec.fields[0];
    let series = Series::read(input, field, p.num("step")?);
    let n = series.len();
    let v = &series.v;
    let lambda = p.num("alpha")?;
    let big_l = p.num("L")?;
    let exact_limits = p.choice("limits")? == "exact";
    let ddof = if p.choice("sd")? == "population" { Ddof::Population } else { Ddof::Sample };
    let k = p.count("warmup")?.max(1);
    let sma_n = p.count("sma_window")?.max(1);
    let cmp = Compare::from_params(p)?;
    let given = p.choice("baseline")? == "given";

    let observed: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    let n_obs = observed.len();
    let warm: &[f64] = &observed[..k.min(n_obs)];
    let (mu, sigma) = if given {
        (p.num("mu")?, p.num("sigma")?)
    } else {
        let m = mean(warm);
        (m, if warm.len() >= 2 || ddof == Ddof::Population { sd_about(warm, m, ddof) } else { f64::NAN })
    };
    let init = p.choice("init")?;
    let start = match init {
        "target" => EmaStart::Value(mu),
        "warmup" => EmaStart::WarmupMean(k),
        "adjust" => EmaStart::Adjusted,
        _ => EmaStart::First,
    };
    let s = ema(v, lambda, start);
    let asym = (lambda / (2.0 - lambda)).sqrt();
    // The number of observed points up to each position, for the exact limits.
    let mut seen = 0usize;
    // Once the exact variance reaches λ/(2 − λ) to the last bit it stays there (the
    // decaying term is below half an ulp), so the powers need not be computed again.
    let settled_at = lambda / (2.0 - lambda);
    let mut settled = false;
    let factor: Vec<f64> = v
        .iter()
        .map(|x| {
            if !x.is_nan() {
                seen += 1;
            }
            if exact_limits {
                if settled {
                    return asym;
                }
                let var = variance_factor(start, lambda, seen);
                settled = var == settled_at;
                var.sqrt()
            } else if seen == 0 || (matches!(start, EmaStart::WarmupMean(_)) && seen < k) {
                f64::NAN
            } else {
                asym
            }
        })
        .collect();
    let sigma_ok = sigma.is_finite() && sigma > 0.0;
    let spread: Vec<f64> = factor.iter().map(|f| sigma * f).collect();
    let ucl: Vec<f64> = spread.iter().map(|d| mu + big_l * d).collect();
    let lcl: Vec<f64> = spread.iter().map(|d| mu - big_l * d).collect();
    let scores: Vec<f64> = (0..n)
        .map(|i| {
            if v[i].is_nan() || !sigma_ok || spread[i].is_nan() || spread[i] <= 0.0 {
                f64::NAN
            } else {
                (s[i] - mu) / spread[i]
            }
        })
        .collect();
    let flags: Vec<bool> = scores.iter().map(|z| cmp.passes(z.abs(), big_l)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let first_flag = flags.iter().position(|&f| f);
    let last = (0..n).rev().find(|&i| !s[i].is_nan());
    let focus = first_flag.or(last).unwrap_or(0);
    let sma_line = sma(v, sma_n, WindowStart::Partial);

    let (unit, x, x_label) = time_axis(&series);
    let mut steps = Steps::new();
    steps.num("alpha", "Smoothing factor", "λ (the guide's α)", num(lambda), lambda);
    let warm_label = format!("the first {} observed points", count(warm.len()));
    if given {
        steps.num("mu", "Target μ", "given", num(mu), mu);
        steps.num("sigma", "Process σ", "given", num(sigma), sigma);
    } else {
        steps.num("mu", "Target μ", "mean of the warm-up", warm_label.clone(), mu);
        steps.num(
            "sigma",
            "Process σ",
            if ddof == Ddof::Sample { "SD of the warm-up (÷ k − 1)" } else { "SD of the warm-up (÷ k)" },
            warm_label.clone(),
            sigma,
        );
    }
    match start {
        EmaStart::First => {
            steps.text("start", "Start", "S₁ = x₁", "the first observed value", "the average starts there");
        }
        EmaStart::Value(m) => {
            steps.num("start", "Start", "S₀ = μ", num(m), m);
        }
        EmaStart::WarmupMean(k) => {
            steps.text(
                "start",
                "Start",
                "S_k = mean of the first k points",
                format!("k = {}", k),
                "undefined before point k",
            );
        }
        EmaStart::Adjusted => {
            steps.text(
                "start",
                "Start",
                "S_t = Σ (1 − λ)^i x_{t−i} / Σ (1 − λ)^i",
                "pandas' ewm(adjust=True)",
                "normalised weights",
            );
        }
    }
    // The recursion, point by point: all of a short series; the first points, the first
    // flagged one and the last ones of a long one.
    let mut shown: Vec<usize> = if n <= NAMED_POINTS { (0..n).collect() } else { (0..6).collect() };
    if n > NAMED_POINTS {
        shown.extend(first_flag);
        shown.extend(n - 3..n);
        shown.sort_unstable();
        shown.dedup();
    }
    let mut prev_shown: Option<usize> = None;
    for &i in &shown {
        let xi = v[i];
        let prev = if i == 0 { None } else { Some(s[i - 1]) };
        let id = format!("ewma.{}", i + 1);
        let label = format!("EWMA at point {}", i + 1);
        let gap_note = if prev_shown.is_some_and(|q| i > q + 1) { " (points in between omitted)" } else { "" };
        prev_shown = Some(i);
        if xi.is_nan() {
            steps.num(&id, &format!("{}: missing sample{}", label, gap_note), "S_t = S_{t−1}", "held", s[i]);
            continue;
        }
        match (start, prev) {
            (EmaStart::Adjusted, _) => steps.num(
                &id,
                &format!("{}{}", label, gap_note),
                "S_t = Σ (1 − λ)^i x_{t−i} / Σ (1 − λ)^i",
                format!("x = {}", num(xi)),
                s[i],
            ),
            (_, Some(sp)) if !sp.is_nan() => steps.num(
                &id,
                &format!("{}{}", label, gap_note),
                "S_t = λ·x_t + (1 − λ)·S_{t−1}",
                format!("{}·{} + {}·{}", num(lambda), num(xi), num(1.0 - lambda), paren(sp)),
                s[i],
            ),
            (EmaStart::Value(m), None) => steps.num(
                &id,
                &format!("{}{}", label, gap_note),
                "S₁ = λ·x₁ + (1 − λ)·μ",
                format!("{}·{} + {}·{}", num(lambda), num(xi), num(1.0 - lambda), paren(m)),
                s[i],
            ),
            _ => {
                if s[i].is_nan() {
                    steps.text(
                        &id,
                        &format!("{}{}", label, gap_note),
                        "inside the warm-up",
                        format!("x = {}", num(xi)),
                        "not yet defined",
                    )
                } else {
                    steps.num(
                        &id,
                        &format!("{}{}", label, gap_note),
                        "S = the starting value",
                        format!("x = {}", num(xi)),
                        s[i],
                    )
                }
            }
        };
    }
    let f_focus = factor.get(focus).copied().unwrap_or(f64::NAN);
    if exact_limits {
        steps.num(
            "factor",
            &format!("Limit factor at point {}", focus + 1),
            match start {
                EmaStart::Value(_) => "√(λ/(2 − λ)·(1 − (1 − λ)^{2t}))",
                EmaStart::First => "√((1 − λ)^{2(t−1)} + λ/(2 − λ)·(1 − (1 − λ)^{2(t−1)}))",
                EmaStart::WarmupMean(_) => "√((1 − λ)^{2(t−k)}/k + λ/(2 − λ)·(1 − (1 − λ)^{2(t−k)}))",
                EmaStart::Adjusted => "√(Σ(1 − λ)^{2i} / (Σ(1 − λ)^i)²)",
            },
            format!("λ = {}, t = {}", num(lambda), focus + 1),
            f_focus,
        );
    } else {
        steps.num(
            "factor",
            "Limit factor (asymptotic)",
            "√(λ/(2 − λ))",
            format!("√({} / {})", num(lambda), num(2.0 - lambda)),
            asym,
        );
    }
    let ucl_f = ucl.get(focus).copied().unwrap_or(f64::NAN);
    let lcl_f = lcl.get(focus).copied().unwrap_or(f64::NAN);
    steps.num(
        "ucl",
        "Upper control limit",
        "UCL = μ + L·σ·factor",
        format!("{} + {}·{}·{}", num(mu), num(big_l), num(sigma), num(f_focus)),
        ucl_f,
    );
    steps.num(
        "lcl",
        "Lower control limit",
        "LCL = μ − L·σ·factor",
        format!("{} − {}·{}·{}", num(mu), num(big_l), num(sigma), num(f_focus)),
        lcl_f,
    );
    let s_focus = s.get(focus).copied().unwrap_or(f64::NAN);
    let z_focus = scores.get(focus).copied().unwrap_or(f64::NAN);
    if sigma_ok && !z_focus.is_nan() {
        steps
            .text(
                "compare",
                &format!("Outside the limits at point {}?", focus + 1),
                &format!("|S − μ| / (σ·factor) {} L", cmp.symbol()),
                format!(
                    "|{} − {}| / {} = {} {} {}?",
                    num(s_focus),
                    paren(mu),
                    num(spread[focus]),
                    num(z_focus.abs()),
                    cmp.symbol(),
                    num(big_l)
                ),
                if flags[focus] { "yes: flagged" } else { "no" },
            )
            .decisive();
    } else {
        steps
            .text(
                "compare",
                "Outside the limits?",
                "|S − μ| / (σ·factor) vs L",
                if sigma_ok { "the EWMA is not defined here".to_string() } else { format!("σ = {}", num(sigma)) },
                "undefined: no limits",
            )
            .decisive();
    }
    let sma_last = last.map_or(f64::NAN, |i| sma_line[i]);
    if let Some(i) = last {
        let lo = (i + 1).saturating_sub(sma_n);
        let window: Vec<f64> = v[lo..=i].iter().copied().filter(|x| !x.is_nan()).collect();
        let terms = if window.len() <= 8 {
            format!("({}) / {}", window.iter().map(|&w| num(w)).collect::<Vec<_>>().join(" + "), window.len())
        } else {
            format!("Σ of {} values / {}", window.len(), window.len())
        };
        steps.num(
            "sma",
            &format!("For comparison: SMA of the last {} points", sma_n),
            "(x_{t−n+1} + … + x_t) / n",
            terms,
            sma_last,
        );
    }

    // ---- verdict
    let verdict = if n_obs == 0 {
        Verdict::new(Level::Undefined, "No observed values", "Every sample is missing (NaN).")
    } else if !sigma_ok {
        Verdict::new(
            Level::Undefined,
            "σ is zero or undefined: no control limits",
            if given {
                "Give a positive σ.".to_string()
            } else if warm.len() < 2 {
                format!(
                    "The warm-up holds {} point; a sample SD needs two. Use a longer warm-up or give σ.",
                    warm.len()
                )
            } else {
                format!(
                    "The {} warm-up points are all equal to {}, so σ = 0 and the limits collapse onto μ: every departure would be infinitely many σ. Use a longer warm-up or give σ.",
                    warm.len(),
                    num(mu)
                )
            },
        )
    } else if let Some(i) = first_flag {
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} outside the control limits", n_points(flagged)),
            format!(
                "First at point {}: EWMA {} is {} the limit {} (|S − μ| = {}·σ_S {} L = {}).",
                i + 1,
                num(s[i]),
                if s[i] > mu { "above" } else { "below" },
                num(if s[i] > mu { ucl[i] } else { lcl[i] }),
                num(scores[i].abs()),
                cmp.symbol(),
                num(big_l)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "The EWMA stays within the control limits",
            format!("At the last point the EWMA is {} within [{}, {}].", num(s_focus), num(lcl_f), num(ucl_f)),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("n", "points", Val::Int(n as i64), "");
    a.push_value("mu", "target μ", Val::num_or(mu, "no observed values"), "");
    a.push_value("sigma", "process σ", Val::num_or(sigma, "one warm-up point"), "");
    if n <= NAMED_POINTS {
        for (i, &si) in s.iter().enumerate() {
            a.push_value(
                format!("ewma.{}", i + 1),
                format!("EWMA at point {}", i + 1),
                Val::num_or(si, "not yet defined"),
                "",
            );
        }
    }
    let last_val = last.map_or(f64::NAN, |i| s[i]);
    a.push_value("ewma_last", "EWMA at the last point", Val::num_or(last_val, "not defined"), "");
    a.push_value("sma", format!("SMA of the last {} points", sma_n), Val::num_or(sma_last, "no values"), "");
    a.push_value("factor_asymptotic", "asymptotic limit factor √(λ/(2 − λ))", Val::Num(asym), "");
    a.push_value("ucl_asymptotic", "asymptotic UCL", Val::num_or(mu + big_l * sigma * asym, "σ undefined"), "");
    a.push_value("lcl_asymptotic", "asymptotic LCL", Val::num_or(mu - big_l * sigma * asym, "σ undefined"), "");
    if let Some(i) = last {
        a.push_value("ucl_last", "UCL at the last point", Val::num_or(ucl[i], "σ undefined"), "");
        a.push_value("lcl_last", "LCL at the last point", Val::num_or(lcl[i], "σ undefined"), "");
        a.push_value("score_last", "(S − μ)/σ_S at the last point", Val::num_or(scores[i], "undefined"), "σ_S");
    }
    a.push_value("flagged", "points outside the limits", Val::Int(flagged as i64), "");
    a.push_value(
        "first_signal",
        "first point outside the limits",
        first_flag.map_or(Val::Undefined("none".to_string()), |i| Val::Int(i as i64 + 1)),
        "",
    );
    a.push_value(
        "equivalent_window",
        "SMA window with the same average age, 2/λ − 1",
        Val::Num(2.0 / lambda - 1.0),
        "points",
    );

    a.note(
        NoteLevel::Info,
        "The EWMA control chart is Roberts' (1959); the guide credits EWMA to Holt (1957), whose work is the forecasting method that became Holt-Winters.",
    );
    if init == "adjust" {
        a.note(NoteLevel::Info, "pandas' default ewm() (adjust=True) divides by the sum of the weights it used, so early values lean less on the first point than the recursion seeded with x₁: on the guide's [10, 10, 10, 50] it gives 31.33, not 30.");
    }
    if !given && k >= n_obs && n_obs > 0 {
        a.note(
            NoteLevel::Caveat,
            format!("The warm-up covers all {} observed points, so μ and σ include the points being tested: an outlier widens its own limits.", n_obs),
        );
    }
    if v.iter().any(|x| x.is_nan()) {
        a.note(NoteLevel::Caveat, "A missing sample (NaN) leaves the EWMA where it was and does not age it (pandas' ignore_na=True); it is not scored.");
    }
    if let Some(text) = spacing_caveat(&series) {
        a.note(NoteLevel::Caveat, text);
    }

    let mut table = Table::new(
        "points",
        "Each point",
        &["#", &format!("t ({})", unit.name), "x", "EWMA S", "LCL", "UCL", "(S − μ)/σ_S", "flagged"],
    );
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            let cell = |x: f64| if x.is_nan() { "—".to_string() } else { num(x) };
            vec![
                (i + 1).to_string(),
                num(x[i]),
                if v[i].is_nan() { "missing".to_string() } else { num(v[i]) },
                cell(s[i]),
                cell(lcl[i]),
                cell(ucl[i]),
                cell(scores[i]),
                if flags[i] { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    let mut panel = Panel::new("", Axis::linear(x_label), Axis::linear("value"));
    if sigma_ok {
        panel.push(Layer::line(x.clone(), ucl.clone(), Role::Threshold, format!("μ ± {}·σ_S", num(big_l))));
        panel.push(Layer::line(x.clone(), lcl.clone(), Role::Threshold, ""));
    }
    if mu.is_finite() {
        panel.push(Layer::hline(mu, Role::Center, "target μ"));
    }
    panel.push(Layer::line(x.clone(), sma_line, Role::Alternative, format!("SMA of {}", sma_n)));
    panel.push(Layer::line(x.clone(), s.clone(), Role::Model, "EWMA"));
    let y: Column = v.clone().into();
    panel.push(Layer::points(x.clone(), y.clone(), Role::Data, "data"));
    let (fx, fy): (Vec<f64>, Vec<f64>) = (0..n).filter(|&i| flags[i]).map(|i| (x[i], s[i])).unzip();
    panel.push(Layer::points(fx, fy, Role::Flagged, "EWMA outside"));
    a.plot = Plot::single(panel);
    a.points = Some(Points { x, y, score: scores, flag: flags, score_label: "(S − μ)/σ_S".to_string() });
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Σ of squared weights of S_t, by brute force: the weights of x₁ … x_m.
    fn brute(start: EmaStart, lambda: f64, m: usize) -> f64 {
        let mut w: Vec<f64> = Vec::new();
        for t in 1..=m {
            match start {
                EmaStart::First if t == 1 => w.push(1.0),
                EmaStart::WarmupMean(k) if t <= k => {
                    if t == k {
                        w = vec![1.0 / k as f64; k];
                    }
                }
                EmaStart::Adjusted => {
                    let raw: Vec<f64> = (0..t).map(|i| (1.0 - lambda).powi((t - 1 - i) as i32)).collect();
                    let total: f64 = raw.iter().sum();
                    w = raw.iter().map(|r| r / total).collect();
                }
                _ => {
                    w.iter_mut().for_each(|x| *x *= 1.0 - lambda);
                    w.push(lambda);
                }
            }
        }
        w.iter().map(|x| x * x).sum()
    }

    #[test]
    fn closed_form_variances_match_the_weights() {
        for &lambda in &[0.05, 0.3, 0.5, 0.9, 1.0] {
            for m in 1..30 {
                for start in [EmaStart::Value(0.0), EmaStart::First, EmaStart::Adjusted, EmaStart::WarmupMean(4)] {
                    if matches!(start, EmaStart::WarmupMean(k) if m < k) {
                        assert!(variance_factor(start, lambda, m).is_nan());
                        continue;
                    }
                    let got = variance_factor(start, lambda, m);
                    let want = brute(start, lambda, m);
                    assert!(
                        (got - want).abs() <= 1e-13 * want.max(1e-300),
                        "{start:?} λ={lambda} m={m}: {got} vs {want}"
                    );
                }
            }
        }
    }
}
