//! Page's CUSUM in its tabular form: S⁺ₜ = max(0, S⁺ₜ₋₁ + (xₜ − μ − C)) for upward
//! shifts, S⁻ₜ = max(0, S⁻ₜ₋₁ + (μ − C − xₜ)) for downward ones, and an alarm when a sum
//! reaches the decision threshold h.
//!
//! The guide's example alarms when S = h, which needs `≥`; Page (1954) and Montgomery
//! signal when S > h. Both are a switch, as are the sides, the reset after an alarm, and
//! how μ, σ, the slack and the threshold are given (in data units or in σ).
//!
//! The run-length figures: Siegmund's closed-form approximation (the one the errata
//! quote), and the average run length of normal data computed from its integral equation
//! (Goel & Wu 1971) by the Nyström method with Gauss–Legendre nodes, which reproduces
//! the published tables (Montgomery: 465 in control and 10.4 for a 1σ shift, k = ½, h = 5).

use super::common::{n_points, series_field, Compare, Observed, Series};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{Choice, MethodSpec, ParamKind, ParamSpec, COMPARE_CHOICES};
use crate::stats::{mean, sd_about, sum, Ddof};

const MIN_ROWS: usize = 2;

/// d₂ for moving ranges of two: the mean of |X₁ − X₂| for standard normal X is 2/√π.
pub const D2_MOVING_RANGE: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// Siegmund's correction: the sum overshoots h by about 1.166σ on average (ρ = 0.583 on
/// each side of the boundary).
const SIEGMUND_OVERSHOOT: f64 = 1.166;

/// The largest h/σ for which the integral equation is solved (2h + 16 nodes keep it
/// accurate to about 12 digits up to here; the in-control ARL is then beyond 10²⁵).
const MAX_H_SIGMA: f64 = 60.0;

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "cusum",
        name: "CUSUM (Page's cumulative sum)",
        summary: "Accumulates deviations from a target mean beyond a slack, and alarms when the sum reaches a decision threshold.",
        fields: &[series_field(MIN_ROWS)],
        params: &[
            ParamSpec {
                id: "target",
                label: "Target mean from",
                unit: "",
                help: "The expected value μ: given (the guide's 100), or the mean of the first points (the baseline span).",
                kind: ParamKind::Choice {
                    default: "given",
                    options: &[
                        Choice { id: "given", label: "the value below (the guide)" },
                        Choice { id: "baseline", label: "the mean of the baseline span" },
                    ],
                },
            },
            ParamSpec {
                id: "mu",
                label: "Target mean μ",
                unit: "",
                help: "The in-control mean when it is given; the guide uses 100.",
                kind: ParamKind::Number { default: 100.0, min: -1e12, max: 1e12, step: 0.1, integer: false, log: false },
            },
            ParamSpec {
                id: "baseline",
                label: "Baseline span",
                unit: "points",
                help: "How many first observed points estimate μ and σ when they are estimated.",
                kind: ParamKind::Number { default: 10.0, min: 2.0, max: 200_000.0, step: 1.0, integer: true, log: true },
            },
            ParamSpec {
                id: "sigma_from",
                label: "σ from",
                unit: "",
                help: "The standard deviation that scales slack and threshold in σ units and the run lengths: given, or estimated from the baseline span.",
                kind: ParamKind::Choice {
                    default: "given",
                    options: &[
                        Choice { id: "given", label: "the value below" },
                        Choice { id: "baseline-sd", label: "sample SD of the baseline span" },
                        Choice { id: "baseline-mr", label: "average moving range / 1.128 (Montgomery)" },
                    ],
                },
            },
            ParamSpec {
                id: "sigma",
                label: "σ",
                unit: "",
                help: "The in-control standard deviation when it is given (the guide's “0.5σ” and “5σ” assume you know it).",
                kind: ParamKind::Number { default: 1.0, min: 1e-9, max: 1e12, step: 0.01, integer: false, log: true },
            },
            ParamSpec {
                id: "units",
                label: "Slack and threshold in",
                unit: "",
                help: "Data units (the guide's example: C = 0, threshold 5) or multiples of σ (its tuning: C = 0.5σ, h = 5σ).",
                kind: ParamKind::Choice {
                    default: "data",
                    options: &[
                        Choice { id: "data", label: "data units (the guide's example)" },
                        Choice { id: "sigma", label: "multiples of σ (k and h)" },
                    ],
                },
            },
            ParamSpec {
                id: "slack",
                label: "Slack C (or k)",
                unit: "",
                help: "Deviations within the slack do not accumulate: the guide's example uses 0, its tuning 0.5σ.",
                kind: ParamKind::Number { default: 0.0, min: 0.0, max: 1e12, step: 0.05, integer: false, log: false },
            },
            ParamSpec {
                id: "h",
                label: "Decision threshold h",
                unit: "",
                help: "Alarm when a sum reaches it: the guide's example uses 5, its tuning 5σ.",
                kind: ParamKind::Number { default: 5.0, min: 1e-6, max: 1e12, step: 0.1, integer: false, log: true },
            },
            ParamSpec {
                id: "side",
                label: "Sides",
                unit: "",
                help: "The guide's S only watches upward shifts; the lower sum watches drops, and two-sided watches both.",
                kind: ParamKind::Choice {
                    default: "upper",
                    options: &[
                        Choice { id: "upper", label: "upper: S⁺ (the guide)" },
                        Choice { id: "lower", label: "lower: S⁻" },
                        Choice { id: "both", label: "two-sided: S⁺ and S⁻" },
                    ],
                },
            },
            ParamSpec {
                id: "compare",
                label: "Alarm when",
                unit: "",
                help: "The guide alarms at S = 5 = h, which needs ≥; Page and Montgomery signal when S > h.",
                kind: ParamKind::Choice { default: "ge", options: COMPARE_CHOICES },
            },
            ParamSpec {
                id: "reset",
                label: "Reset after an alarm",
                unit: "",
                help: "Restart the sums at 0 after each alarm (Montgomery's practice); off, a sum above h alarms at every later point.",
                kind: ParamKind::Flag { default: false },
            },
            ParamSpec {
                id: "shift",
                label: "Shift for the run length",
                unit: "σ",
                help: "The size of the shift whose average run length to detection is reported, in σ.",
                kind: ParamKind::Number { default: 1.0, min: 0.0, max: 10.0, step: 0.1, integer: false, log: false },
            },
        ],
    },
    run,
};

/// Which sums are watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Upper,
    Lower,
    Both,
}

impl Side {
    fn upper(self) -> bool {
        self != Side::Lower
    }
    fn lower(self) -> bool {
        self != Side::Upper
    }
}

/// The tabular CUSUM of `xs` (no NaN): the sums after each step (before any reset) and
/// the alarms. The increments are (x − μ) − C and (μ − x) − C.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabular {
    pub s_upper: Vec<f64>,
    pub s_lower: Vec<f64>,
    pub alarm: Vec<bool>,
}

/// Runs the recursion: S⁺ₜ = max(0, S⁺ₜ₋₁ + ((xₜ − μ) − C)), S⁻ₜ = max(0, S⁻ₜ₋₁ + ((μ − xₜ) − C)),
/// both from 0; an alarm when a watched sum passes h; with `reset`, both sums restart at
/// 0 after an alarm.
pub fn tabular(xs: &[f64], mu: f64, c: f64, h: f64, side: Side, cmp: Compare, reset: bool) -> Tabular {
    let n = xs.len();
    let mut out =
        Tabular { s_upper: Vec::with_capacity(n), s_lower: Vec::with_capacity(n), alarm: Vec::with_capacity(n) };
    let (mut up, mut down) = (0.0f64, 0.0f64);
    for &x in xs {
        let du = (x - mu) - c;
        let dl = (mu - x) - c;
        up = (up + du).max(0.0);
        down = (down + dl).max(0.0);
        let alarm = (side.upper() && cmp.passes(up, h)) || (side.lower() && cmp.passes(down, h));
        out.s_upper.push(up);
        out.s_lower.push(down);
        out.alarm.push(alarm);
        if alarm && reset {
            up = 0.0;
            down = 0.0;
        }
    }
    out
}

/// Siegmund's approximation of the average run length of a one-sided CUSUM with
/// reference k and threshold h (in σ) when the mean has shifted by δ σ toward the side
/// it watches: (e^(−2Δb) + 2Δb − 1) / (2Δ²) with Δ = δ − k and b = h + 1.166.
pub fn siegmund_arl(k: f64, h: f64, delta: f64) -> f64 {
    let d = delta - k;
    let b = h + SIEGMUND_OVERSHOOT;
    let x = 2.0 * d * b;
    if x.abs() < 1e-3 {
        // Near Δ = 0 the formula is 0/0; its series b²·(1 − x/3 + x²/12 − x³/60 + x⁴/360)
        // with x = 2Δb is exact to double precision there.
        return b * b * (1.0 - x / 3.0 + x * x / 12.0 - x * x * x / 60.0 + x * x * x * x / 360.0);
    }
    // e^(−x) + x − 1 without cancelling the leading terms.
    (libm::expm1(-x) + x) / (2.0 * d * d)
}

// The transcendental functions below come from `libm`, not from the platform: the
// platform's exp differs from wasm's in the last bit now and then, and the wasm build
// must reproduce the native numbers exactly.

/// Φ, the standard normal CDF.
fn phi_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// 1 − Φ(x), without cancellation for large x.
fn phi_upper(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// φ, the standard normal density.
fn phi_pdf(x: f64) -> f64 {
    crate::elementary::exp(-0.5 * x * x) / (2.0 * std::f64::consts::PI).sqrt()
}

/// Gauss–Legendre nodes and weights on [a, b] (Newton's method on Pₙ, from the
/// Tricomi initial guesses).
pub fn gauss_legendre(n: usize, a: f64, b: f64) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = Vec::with_capacity(n);
    let mut weights = Vec::with_capacity(n);
    let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
    let nf = n as f64;
    for i in 1..=n {
        let mut x = crate::elementary::cos(std::f64::consts::PI * (i as f64 - 0.25) / (nf + 0.5));
        let mut dp = 1.0;
        for _ in 0..100 {
            // P_n(x) and P_n'(x) by the three-term recurrence.
            let (mut p0, mut p1) = (1.0, x);
            for j in 2..=n {
                let jf = j as f64;
                let p2 = ((2.0 * jf - 1.0) * x * p1 - (jf - 1.0) * p0) / jf;
                p0 = p1;
                p1 = p2;
            }
            let pn = if n == 0 { 1.0 } else { p1 };
            let pn1 = if n <= 1 { 1.0 } else { p0 };
            dp = nf * (x * pn - pn1) / (x * x - 1.0);
            let dx = pn / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        nodes.push(mid - half * x);
        weights.push(half * 2.0 / ((1.0 - x * x) * dp * dp));
    }
    (nodes, weights)
}

/// Solves A·x = b for a diagonally dominant M-matrix A given by its off-diagonal
/// entries (`off[i][j]` ≤ 0, the diagonal ignored) and its row sums `r` (> 0), with
/// b ≥ 0. The diagonal is rebuilt as rᵢ + Σ|aᵢⱼ| at every stage of the elimination, as
/// in the GTH algorithm (Grassmann, Taksar & Heyman 1985): every operation then adds
/// numbers of one sign, so the solution keeps full relative accuracy even when A is
/// nearly singular (an ARL of 10¹² means row sums of 10⁻¹²). No pivoting is needed.
fn solve_m_matrix(mut off: Vec<Vec<f64>>, mut r: Vec<f64>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    if off.len() != n || r.len() != n {
        return None;
    }
    let mut diag = vec![0.0; n];
    for k in 0..n {
        let row_k = off.get(k)?.clone();
        let d: f64 = r.get(k).copied()? + row_k.iter().skip(k + 1).map(|a| -a).sum::<f64>();
        if d.is_nan() || d <= 0.0 || !d.is_finite() {
            return None;
        }
        *diag.get_mut(k)? = d;
        let (r_k, b_k) = (r.get(k).copied()?, b.get(k).copied()?);
        for i in k + 1..n {
            let row = off.get_mut(i)?;
            let f = -row.get(k).copied()? / d; // ≥ 0
            if f == 0.0 {
                continue;
            }
            for (j, (x, &y)) in row.iter_mut().zip(&row_k).enumerate().skip(k + 1) {
                if j != i {
                    *x += f * y; // both ≤ 0 after the sign: stays ≤ 0
                }
            }
            *r.get_mut(i)? += f * r_k;
            *b.get_mut(i)? += f * b_k;
        }
    }
    let mut x = vec![0.0; n];
    for k in (0..n).rev() {
        let row = off.get(k)?;
        let s: f64 = row.iter().zip(&x).skip(k + 1).map(|(a, x)| -a * x).sum();
        *x.get_mut(k)? = (b.get(k).copied()? + s) / diag.get(k).copied()?;
    }
    Some(x)
}

/// The average run length of a one-sided (upper) CUSUM with reference k and threshold h
/// (in σ) on independent normal data whose mean is δ σ above target, from the integral
/// equation L(u) = 1 + Φ(k − u − δ)·L(0) + ∫₀ʰ L(y)·φ(y − u + k − δ) dy, solved at
/// `nodes` Gauss–Legendre points. Each row's sum is set to the exact probability of
/// leaving through h, 1 − Φ(h + k − u − δ), so that a run length of 10¹² is as accurate
/// as one of 10. NaN when the system cannot be solved.
pub fn arl_one_sided(k: f64, h: f64, delta: f64, nodes: usize) -> f64 {
    let (y, w) = gauss_legendre(nodes, 0.0, h);
    let n = nodes + 1;
    // Unknown 0 is L(0); unknown i is L(yᵢ).
    let us: Vec<f64> = std::iter::once(0.0).chain(y.iter().copied()).collect();
    let mut off = vec![vec![0.0; n]; n];
    let mut r = vec![0.0; n];
    for (i, (&u, row)) in us.iter().zip(off.iter_mut()).enumerate() {
        if i != 0 {
            if let Some(r0) = row.get_mut(0) {
                *r0 = -phi_cdf(k - u - delta);
            }
        }
        for (j, ((&yj, &wj), cell)) in y.iter().zip(&w).zip(row.iter_mut().skip(1)).enumerate() {
            if j + 1 != i {
                *cell = -wj * phi_pdf(yj - u + k - delta);
            }
        }
        if let Some(ri) = r.get_mut(i) {
            // P(S_next > h) = 1 − Φ(h + k − u − δ), from erfc without cancellation.
            *ri = phi_upper(h + k - u - delta);
        }
    }
    match solve_m_matrix(off, r, vec![1.0; n]) {
        Some(l) => l.first().copied().unwrap_or(f64::NAN),
        None => f64::NAN,
    }
}

/// Nodes for the integral equation: enough that the spacing stays well below the width
/// of the normal kernel.
fn nodes_for(h: f64) -> usize {
    ((2.0 * h).ceil() as usize + 16).clamp(32, 136)
}

/// The ARL of the chosen sides for a shift of δ σ in the watched direction (upward for
/// two-sided charts), combining the two one-sided charts by 1/ARL = 1/ARL⁺ + 1/ARL⁻.
fn arl_sides(one: impl Fn(f64) -> f64, side: Side, delta: f64) -> f64 {
    match side {
        Side::Upper | Side::Lower => one(delta),
        Side::Both => {
            let u = one(delta);
            // In control the two sides are mirror images: one solve serves both.
            let l = if delta == 0.0 { u } else { one(-delta) };
            1.0 / (1.0 / u + 1.0 / l)
        }
    }
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let target_given = p.choice("target")? == "given";
    let mu_given = p.num("mu")?;
    let baseline = p.count("baseline")?;
    let sigma_from = p.choice("sigma_from")?;
    let sigma_given = p.num("sigma")?;
    let in_sigma = p.choice("units")? == "sigma";
    let slack_param = p.num("slack")?;
    let h_param = p.num("h")?;
    let side = match p.choice("side")? {
        "lower" => Side::Lower,
        "both" => Side::Both,
        _ => Side::Upper,
    };
    let cmp = Compare::from_params(p)?;
    let reset = p.flag("reset")?;
    let shift = p.num("shift")?;

    let series = Series::read(input, &series_field(MIN_ROWS), 1.0);
    let timestamped = series.timestamped;
    let Observed { v: vs, x: px, gaps, .. } = series.into_observed();
    let m = vs.len();
    let t_of = |k: usize| px.get(k).copied().unwrap_or(f64::NAN);
    let t_name = if timestamped { "time" } else { "t" };
    let at_t = |k: usize| {
        if timestamped {
            format!("time {} s", num(t_of(k)))
        } else {
            format!("t = {}", num(t_of(k)))
        }
    };

    let needs_baseline = !target_given || sigma_from != "given";
    let base: &[f64] = vs.get(..baseline.min(m)).unwrap_or(&[]);
    let mut steps = Steps::new();
    let mut problem: Option<(String, String)> = None;
    if m == 0 {
        problem = Some((
            "No data: every sample is missing".into(),
            "Type at least two numbers; NaN marks a missing sample.".into(),
        ));
    } else if needs_baseline && baseline > m {
        problem = Some((
            "The baseline span is longer than the series".into(),
            format!(
                "μ or σ is estimated from the first {} observed points, but the series has {}. Shorten the baseline span to at most {}, or give μ and σ.",
                count(baseline),
                count(m),
                count(m)
            ),
        ));
    }

    // μ
    let mu = if target_given { mu_given } else { mean(base) };
    if target_given {
        steps.num("mu", "Target mean", "μ (given)", num(mu), mu);
    } else {
        steps.num(
            "mu",
            "Target mean from the baseline",
            "μ = mean of the first points",
            format!("{} / {}", num(sum(base)), count(base.len())),
            mu,
        );
    }
    // σ
    let sigma = match sigma_from {
        "baseline-sd" => sd_about(base, mean(base), Ddof::Sample),
        "baseline-mr" => {
            let ranges: Vec<f64> = base.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
            mean(&ranges) / D2_MOVING_RANGE
        }
        _ => sigma_given,
    };
    match sigma_from {
        "baseline-sd" => {
            steps.num(
                "sigma",
                "σ from the baseline",
                "s = √(Σ(x − x̄)² / (n − 1)) over the first points",
                format!("the first {} points", count(base.len())),
                sigma,
            );
        }
        "baseline-mr" => {
            let ranges: Vec<f64> = base.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
            steps.num(
                "sigma",
                "σ from the moving ranges of the baseline",
                "σ = MR̄ / d₂, d₂ = 2/√π ≈ 1.128",
                format!("{} / 1.128379", num(mean(&ranges))),
                sigma,
            );
        }
        _ => {
            steps.num("sigma", "Standard deviation", "σ (given)", num(sigma), sigma);
        }
    }
    let sigma_ok = sigma.is_finite() && sigma > 0.0;
    if problem.is_none() && in_sigma && !sigma_ok {
        problem = Some((
            "σ is 0: slack and threshold in σ are undefined".into(),
            "The baseline span has no spread, so C = k·σ and h·σ are 0. Give σ, lengthen the baseline span, or give the slack and threshold in data units.".into(),
        ));
    }
    let (c, h) = if in_sigma { (slack_param * sigma, h_param * sigma) } else { (slack_param, h_param) };
    if in_sigma {
        steps.num("slack", "Slack", "C = k·σ", format!("{} × {}", num(slack_param), num(sigma)), c);
        steps.num("h", "Decision threshold", "H = h·σ", format!("{} × {}", num(h_param), num(sigma)), h);
    } else {
        steps.num("slack", "Slack", "C (given)", num(c), c);
        steps.num("h", "Decision threshold", "h (given)", num(h), h);
    }
    let (k_s, h_s) = if sigma_ok { (c / sigma, h / sigma) } else { (f64::NAN, f64::NAN) };

    let tab = if problem.is_none() {
        tabular(&vs, mu, c, h, side, cmp, reset)
    } else {
        Tabular { s_upper: vec![], s_lower: vec![], alarm: vec![] }
    };
    let alarms = tab.alarm.iter().filter(|&&a| a).count();
    let first = tab.alarm.iter().position(|&a| a);
    let watched = |k: usize| -> f64 {
        let u = tab.s_upper.get(k).copied().unwrap_or(f64::NAN);
        let l = tab.s_lower.get(k).copied().unwrap_or(f64::NAN);
        match side {
            Side::Upper => u,
            Side::Lower => l,
            Side::Both => u.max(l),
        }
    };
    let s_max_idx = (0..tab.alarm.len()).max_by(|&a, &b| watched(a).total_cmp(&watched(b)));

    // The recursion, step by step: all of it for short series, else the first three
    // points and the first alarm.
    if problem.is_none() {
        let shown: Vec<usize> = if m <= 8 {
            (0..m).collect()
        } else {
            let mut v: Vec<usize> = (0..3).collect();
            if let Some(f) = first {
                if f >= 3 {
                    v.push(f);
                }
            }
            v
        };
        for &k in &shown {
            let x = vs.get(k).copied().unwrap_or(f64::NAN);
            let prev_u = if k == 0 { 0.0 } else { prev_sum(&tab.s_upper, &tab.alarm, k, reset) };
            let prev_l = if k == 0 { 0.0 } else { prev_sum(&tab.s_lower, &tab.alarm, k, reset) };
            let su = tab.s_upper.get(k).copied().unwrap_or(f64::NAN);
            let sl = tab.s_lower.get(k).copied().unwrap_or(f64::NAN);
            let up_sub = format!("max(0, {} + ({} − {} − {}))", num(prev_u), num(x), num(mu), num(c));
            let low_sub = format!("max(0, {} + ({} − {} − {}))", num(prev_l), num(mu), num(c), num(x));
            let alarm_here = tab.alarm.get(k).copied().unwrap_or(false);
            let id = format!("s.{}", k);
            let label = format!("{} (x = {}){}", at_t(k), num(x), if alarm_here { ": alarm" } else { "" });
            let step = match side {
                Side::Upper => steps.num(&id, &label, "S⁺ₜ = max(0, S⁺ₜ₋₁ + (xₜ − μ − C))", up_sub, su),
                Side::Lower => steps.num(&id, &label, "S⁻ₜ = max(0, S⁻ₜ₋₁ + (μ − C − xₜ))", low_sub, sl),
                Side::Both => steps.text(
                    &id,
                    &label,
                    "S⁺ₜ = max(0, S⁺ₜ₋₁ + (xₜ − μ − C)); S⁻ₜ = max(0, S⁻ₜ₋₁ + (μ − C − xₜ))",
                    format!("S⁺ = {}; S⁻ = {}", up_sub, low_sub),
                    format!("S⁺ = {}, S⁻ = {}", num(su), num(sl)),
                ),
            };
            if alarm_here && Some(k) == first {
                let shown = format!("{} {} {}: ALARM", step.result, cmp.symbol(), num(h));
                step.shown(shown);
            }
        }
        if m > 8 {
            steps.text(
                "s.more",
                "The other points",
                "the same recursion",
                format!("{} points in the table below", count(m)),
                "see the table",
            );
        }
    }

    // The decision.
    let sum_name = match side {
        Side::Upper => "S⁺",
        Side::Lower => "S⁻",
        Side::Both => "max(S⁺, S⁻)",
    };
    let mut change: Option<(usize, usize, f64, bool)> = None; // (start index, N, new mean, upward)
    if problem.is_none() {
        if let Some(f) = first {
            let su = tab.s_upper.get(f).copied().unwrap_or(0.0);
            let sl = tab.s_lower.get(f).copied().unwrap_or(0.0);
            let upward = match side {
                Side::Upper => true,
                Side::Lower => false,
                Side::Both => cmp.passes(su, h) && (su >= sl || !cmp.passes(sl, h)),
            };
            let s_at = if upward { su } else { sl };
            let sums = if upward { &tab.s_upper } else { &tab.s_lower };
            // The climb: the points since the sum was last 0 (or since the start).
            let start = (0..f).rev().find(|&j| sums.get(j).copied().unwrap_or(0.0) == 0.0).map_or(0, |j| j + 1);
            let n_climb = f + 1 - start;
            let new_mean = if upward { mu + c + s_at / n_climb as f64 } else { mu - c - s_at / n_climb as f64 };
            change = Some((start, n_climb, new_mean, upward));
            steps
                .text(
                    "alarm",
                    "First alarm",
                    &format!("{} {} h", if upward { "S⁺" } else { "S⁻" }, cmp.symbol()),
                    format!("{} {} {} at {}", num(s_at), cmp.symbol(), num(h), at_t(f)),
                    format!("ALARM at {}", at_t(f)),
                )
                .decisive();
            steps.text(
                "change",
                "Where the climb began",
                &format!("the first point since {} was last 0", if upward { "S⁺" } else { "S⁻" }),
                format!("N = {} {} of climb", count(n_climb), if n_climb == 1 { "point" } else { "points" }),
                at_t(start),
            );
            steps.num(
                "new_mean",
                "Estimate of the shifted mean",
                if upward { "μ̂ = μ + C + S⁺/N" } else { "μ̂ = μ − C − S⁻/N" },
                if upward {
                    format!("{} + {} + {}/{}", num(mu), num(c), num(s_at), n_climb)
                } else {
                    format!("{} − {} − {}/{}", num(mu), num(c), num(s_at), n_climb)
                },
                new_mean,
            );
        } else {
            let biggest = s_max_idx.map(watched).unwrap_or(f64::NAN);
            steps
                .text(
                    "alarm",
                    "Any alarm?",
                    &format!("{} {} h", sum_name, cmp.symbol()),
                    format!("largest {} = {} {} {}", sum_name, num(biggest), cmp.negated(), num(h)),
                    "no alarm",
                )
                .decisive();
        }
    }

    // Run lengths, for σ-scaled k and h.
    let arl_ok = sigma_ok && k_s.is_finite() && h_s.is_finite();
    let numerical = |delta: f64| arl_one_sided(k_s, h_s, delta, nodes_for(h_s));
    let (arl0_s, arl1_s) = if arl_ok {
        (arl_sides(|d| siegmund_arl(k_s, h_s, d), side, 0.0), arl_sides(|d| siegmund_arl(k_s, h_s, d), side, shift))
    } else {
        (f64::NAN, f64::NAN)
    };
    let numeric_ok = arl_ok && h_s <= MAX_H_SIGMA;
    let (arl0, arl1) = if numeric_ok {
        (arl_sides(numerical, side, 0.0), arl_sides(numerical, side, shift))
    } else {
        (f64::NAN, f64::NAN)
    };
    let two = side == Side::Both;
    if arl_ok {
        let b = h_s + SIEGMUND_OVERSHOOT;
        steps.num(
            "arl0_siegmund",
            "In-control average run length (Siegmund)",
            if two {
                "1/ARL₀ = 1/ARL⁺ + 1/ARL⁻, ARL ≈ (e^(−2Δb) + 2Δb − 1)/(2Δ²), Δ = −k, b = h + 1.166"
            } else {
                "ARL₀ ≈ (e^(−2Δb) + 2Δb − 1)/(2Δ²), Δ = −k, b = h + 1.166"
            },
            format!("k = {}, h = {}: Δ = {}, b = {}", num(k_s), num(h_s), paren(-k_s), num(b)),
            arl0_s,
        );
        if numeric_ok {
            steps.num(
                "arl0",
                "In-control average run length (normal data, numerically exact)",
                "L(u) = 1 + Φ(k − u)·L(0) + ∫₀ʰ L(y)·φ(y − u + k) dy, ARL₀ = L(0)",
                format!(
                    "Nyström on {} Gauss–Legendre nodes, k = {}, h = {}{}",
                    nodes_for(h_s),
                    num(k_s),
                    num(h_s),
                    if two { ", two sides combined" } else { "" }
                ),
                arl0,
            );
            steps.num(
                "arl1",
                &format!("Average run length after a {}σ shift", num(shift)),
                "the same equation with the mean shifted by δσ",
                format!("δ = {}{}", num(shift), if two { " (upward)" } else { "" }),
                arl1,
            );
        }
    }

    // The verdict.
    let verdict = if let Some((headline, detail)) = problem.clone() {
        Verdict::new(Level::Undefined, headline, detail)
    } else if let (Some(f), Some((start, _, new_mean, upward))) = (first, change) {
        let s_at = if upward { tab.s_upper.get(f) } else { tab.s_lower.get(f) }.copied().unwrap_or(f64::NAN);
        Verdict::new(
            Level::Alert,
            format!("ALARM at {}", at_t(f)),
            format!(
                "{} = {} {} h = {}. The sum began to climb at {}; the shifted mean is about {} (target {}).{}",
                if upward { "S⁺" } else { "S⁻" },
                num(s_at),
                cmp.symbol(),
                num(h),
                at_t(start),
                num(new_mean),
                num(mu),
                if alarms > 1 { format!(" {} alarm in all.", n_points(alarms)) } else { String::new() }
            ),
        )
    } else {
        let biggest = s_max_idx.map(watched).unwrap_or(0.0);
        Verdict::new(
            Level::Clear,
            "No alarm",
            format!("The largest {} was {} {} h = {}.", sum_name, num(biggest), cmp.negated(), num(h)),
        )
    };

    // Is the climb to the first alarm a straight line?
    let linear = match (problem.is_none(), change) {
        (true, Some((start, n_climb, _, upward))) if n_climb >= 3 => {
            let sums = if upward { &tab.s_upper } else { &tab.s_lower };
            let f = start + n_climb - 1;
            let prev = |j: usize| if j == 0 { 0.0 } else { sums.get(j - 1).copied().unwrap_or(0.0) };
            let inc: Vec<f64> = (start..=f).map(|j| sums.get(j).copied().unwrap_or(0.0) - prev(j)).collect();
            let first_inc = inc.first().copied().unwrap_or(0.0);
            Val::Bool(
                inc.iter()
                    .all(|&d| super::common::ties(d, first_inc) || (d - first_inc).abs() <= 1e-9 * h.abs().max(1.0)),
            )
        }
        (true, Some(_)) => Val::Undefined("the climb to the alarm is shorter than 3 points".into()),
        _ => Val::Undefined("no alarm".into()),
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let undefined_if =
        |ok: bool, x: f64, why: &str| if ok { Val::num_or(x, why) } else { Val::Undefined(why.to_string()) };
    let ok = problem.is_none();
    a.push_value("n", "observed samples", Val::Int(m as i64), "");
    a.push_value("mu", "target mean μ", Val::num_or(mu, "no baseline"), "");
    a.push_value("sigma", "σ", Val::num_or(sigma, "no baseline"), "");
    a.push_value("slack", "slack C", Val::num_or(c, "σ undefined"), "");
    a.push_value("h", "decision threshold h", Val::num_or(h, "σ undefined"), "");
    a.push_value(
        "k_sigma",
        "slack in σ, k = C/σ",
        if sigma_ok { Val::Num(k_s) } else { Val::Undefined("σ = 0".into()) },
        "σ",
    );
    a.push_value(
        "h_sigma",
        "threshold in σ, h/σ",
        if sigma_ok { Val::Num(h_s) } else { Val::Undefined("σ = 0".into()) },
        "σ",
    );
    let last_u = tab.s_upper.last().copied().unwrap_or(f64::NAN);
    let last_l = tab.s_lower.last().copied().unwrap_or(f64::NAN);
    a.push_value(
        "s_upper",
        "last S⁺",
        if ok && side.upper() {
            Val::num_or(last_u, "no data")
        } else {
            Val::Undefined("upper sum not watched".into())
        },
        "",
    );
    a.push_value(
        "s_lower",
        "last S⁻",
        if ok && side.lower() {
            Val::num_or(last_l, "no data")
        } else {
            Val::Undefined("lower sum not watched".into())
        },
        "",
    );
    a.push_value(
        "s_max",
        format!("largest {}", sum_name),
        undefined_if(ok, s_max_idx.map(watched).unwrap_or(f64::NAN), "no data"),
        "",
    );
    a.push_value("alarm", "any alarm?", Val::Bool(alarms > 0), "");
    a.push_value("alarms", "points in alarm", Val::Int(alarms as i64), "");
    a.push_value(
        "first_alarm",
        format!("{} of the first alarm", t_name),
        match first {
            Some(f) if ok => Val::Num(t_of(f)),
            _ => Val::Undefined("no alarm".into()),
        },
        "",
    );
    a.push_value(
        "change_start",
        format!("{} the climb began", t_name),
        match change {
            Some((start, ..)) => Val::Num(t_of(start)),
            None => Val::Undefined("no alarm".into()),
        },
        "",
    );
    a.push_value(
        "new_mean",
        "estimated shifted mean",
        match change {
            Some((_, _, nm, _)) => Val::num_or(nm, "no alarm"),
            None => Val::Undefined("no alarm".into()),
        },
        "",
    );
    a.push_value("linear_growth", "does the sum climb by equal steps (linearly)?", linear, "");
    let arl_why = if sigma_ok { "k or h undefined" } else { "σ = 0" };
    a.push_value("arl0_siegmund", "in-control ARL₀, Siegmund", undefined_if(arl_ok, arl0_s, arl_why), "points");
    a.push_value(
        "arl0",
        "in-control ARL₀, normal data",
        undefined_if(numeric_ok, arl0, if arl_ok { "h above 60σ" } else { arl_why }),
        "points",
    );
    a.push_value(
        "arl1_siegmund",
        format!("ARL after a {}σ shift, Siegmund", num(shift)),
        undefined_if(arl_ok, arl1_s, arl_why),
        "points",
    );
    a.push_value(
        "arl1",
        format!("ARL after a {}σ shift, normal data", num(shift)),
        undefined_if(numeric_ok, arl1, if arl_ok { "h above 60σ" } else { arl_why }),
        "points",
    );

    // Notes.
    if ok {
        if let Some(f) = first {
            let s_at = watched(f);
            if cmp == Compare::Ge && super::common::ties(s_at, h) {
                a.note(
                    NoteLevel::Caveat,
                    format!(
                        "The alarm at {} has the sum exactly at h = {}: it counts only with ≥. Page (1954) and Montgomery signal when the sum exceeds h, which needs one more step here.",
                        at_t(f),
                        num(h)
                    ),
                );
            }
        }
        if c == 0.0 {
            a.note(
                NoteLevel::Caveat,
                format!(
                    "With no slack, every deviation counts: on in-control noise S is a random walk held at 0, and it reaches any h sooner or later. For normal data the in-control ARL with k = 0 and h = {}σ is only {} points.",
                    num(h_s),
                    if numeric_ok { num(arl0.round()) } else { "a few dozen".to_string() }
                ),
            );
        }
        if alarms > 1 && !reset {
            a.note(
                NoteLevel::Info,
                "Without a reset, a sum that has reached h stays near it while the shift lasts, so every later point alarms too. Turn on “Reset after an alarm” to restart the sums at 0, as a control chart does after the cause is found.",
            );
        }
        if needs_baseline {
            let what = match (target_given, sigma_from == "given") {
                (false, false) => "μ and σ are",
                (false, true) => "μ is",
                _ => "σ is",
            };
            a.note(
                NoteLevel::Info,
                format!(
                    "{} estimated from the first {} points, and the sums run over those points too. An estimate from a few points can move the run lengths a lot.",
                    what,
                    count(base.len())
                ),
            );
        }
        if arl_ok {
            a.note(
                NoteLevel::Info,
                "The run lengths assume independent, normal observations with this σ. Most service metrics are autocorrelated and skewed; a CUSUM on them alarms far sooner than the ARL says.",
            );
        }
    }
    if gaps > 0 {
        a.note(NoteLevel::Info, format!("{} missing: skipped, the sums carry over a gap unchanged.", n_points(gaps)));
    }

    // The table, exactly like the guide's: t, x, the increment, the sum, the alarm.
    let columns: Vec<&str> = match side {
        Side::Upper => vec![t_name, "x", "x − μ − C", "S⁺", "alarm"],
        Side::Lower => vec![t_name, "x", "μ − C − x", "S⁻", "alarm"],
        Side::Both => vec![t_name, "x", "x − μ − C", "S⁺", "μ − C − x", "S⁻", "alarm"],
    };
    let mut table = Table::new("cusum", "The CUSUM, step by step", &columns);
    table.fill(
        if ok { m } else { 0 },
        |i| tab.alarm.get(i).copied().unwrap_or(false),
        |i| {
            let g = |v: &Vec<f64>| num(v.get(i).copied().unwrap_or(f64::NAN));
            let alarm = if tab.alarm.get(i).copied().unwrap_or(false) {
                if reset {
                    "ALARM (reset)".to_string()
                } else {
                    "ALARM".to_string()
                }
            } else {
                String::new()
            };
            let x = vs.get(i).copied().unwrap_or(f64::NAN);
            let mut cells = vec![num(t_of(i)), num(x)];
            if side.upper() {
                cells.push(num((x - mu) - c));
                cells.push(g(&tab.s_upper));
            }
            if side.lower() {
                cells.push(num((mu - x) - c));
                cells.push(g(&tab.s_lower));
            }
            cells.push(alarm);
            cells
        },
    );
    a.tables.push(table);

    // The plot: the series with μ (and the slack band), and the sums against h.
    let x: Column = px.clone().into();
    let y: Column = vs.clone().into();
    let x_axis = if timestamped { "time (s)" } else { "t" };
    // Both panels show the same x range, so that a point and its sums line up.
    let x_range = match (px.first(), px.last()) {
        (Some(&a), Some(&b)) if b > a => Some((a - 0.04 * (b - a), b + 0.04 * (b - a))),
        (Some(&a), Some(_)) => Some((a - 1.0, a + 1.0)),
        _ => None,
    };
    let shared = |label: &str| match x_range {
        Some((lo, hi)) => Axis::linear(label).with_range(lo, hi),
        None => Axis::linear(label),
    };
    let mut top = Panel::new("Series", shared(x_axis), Axis::linear("value"));
    if mu.is_finite() {
        if c > 0.0 && c.is_finite() {
            top.push(Layer::hspan(mu - c, mu + c, "slack μ ± C").no_fit());
        }
        top.push(Layer::hline(mu, Role::Center, "target μ"));
    }
    if needs_baseline && baseline < m {
        let edge = (t_of(baseline - 1) + t_of(baseline)) / 2.0;
        top.push(Layer::vline(edge, Role::Marker, "end of baseline"));
    }
    if let Some((start, ..)) = change {
        let before = if start == 0 { t_of(0) - 0.5 } else { (t_of(start - 1) + t_of(start)) / 2.0 };
        top.push(Layer::vline(before, Role::Alternative, "climb began"));
    }
    let flags: Vec<bool> = if ok { tab.alarm.clone() } else { vec![false; m] };
    let [data, flagged_layer] = super::common::flagged_points(&x, &y, &flags);
    top.push(data);
    top.push(flagged_layer);
    let mut bottom = Panel::new("Cumulative sums", shared(x_axis), Axis::linear("S"));
    if h.is_finite() {
        bottom.push(Layer::hline(h, Role::Threshold, format!("h = {}", num(h))));
    }
    if ok && side.upper() {
        bottom.push(Layer::line(x.clone(), tab.s_upper.clone(), Role::Model, "S⁺ (upward)"));
    }
    if ok && side.lower() {
        bottom.push(Layer::line(x.clone(), tab.s_lower.clone(), Role::Alternative, "S⁻ (downward)"));
    }
    bottom.push(Layer::hline(0.0, Role::Center, ""));
    bottom.weight = 0.8;
    a.plot = Plot::stacked(vec![top, bottom]);
    let scores: Vec<f64> = (0..m).map(|k| if ok { watched(k) } else { f64::NAN }).collect();
    a.points = Some(Points { x, y, score: scores, flag: flags, score_label: sum_name.to_string() });
    Ok(a)
}

/// The sum carried into step k: the previous step's sum, or 0 after a reset.
fn prev_sum(sums: &[f64], alarms: &[bool], k: usize, reset: bool) -> f64 {
    if reset && alarms.get(k - 1).copied().unwrap_or(false) {
        0.0
    } else {
        sums.get(k - 1).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_table() {
        let xs = [100.0, 101.0, 101.0, 101.0, 101.0, 101.0];
        let t = tabular(&xs, 100.0, 0.0, 5.0, Side::Upper, Compare::Ge, false);
        assert_eq!(t.s_upper, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(t.alarm.iter().position(|&a| a), Some(5));
        let t = tabular(&xs, 100.0, 0.0, 5.0, Side::Upper, Compare::Gt, false);
        assert_eq!(t.alarm.iter().position(|&a| a), None);
        let mut more = xs.to_vec();
        more.push(101.0);
        let t = tabular(&more, 100.0, 0.0, 5.0, Side::Upper, Compare::Gt, false);
        assert_eq!(t.alarm.iter().position(|&a| a), Some(6));
        // The recommended slack of 0.5σ (σ = 1): the alarm comes at t = 10.
        let slow: Vec<f64> = std::iter::once(100.0).chain(std::iter::repeat_n(101.0, 12)).collect();
        let t = tabular(&slow, 100.0, 0.5, 5.0, Side::Upper, Compare::Ge, false);
        assert_eq!(t.alarm.iter().position(|&a| a), Some(10));
    }

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        let (x, w) = gauss_legendre(10, 0.0, 2.0);
        // ∫₀² x¹⁹ dx = 2²⁰/20, exact for 10 nodes (degree ≤ 19).
        let got: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(19)).sum();
        assert!((got - 2f64.powi(20) / 20.0).abs() < 1e-9 * 52428.8, "{got}");
        let (_, w) = gauss_legendre(64, 0.0, 5.0);
        assert!((w.iter().sum::<f64>() - 5.0).abs() < 1e-13);
    }

    #[test]
    fn the_integral_equation_converges_and_matches_siegmund_roughly() {
        for &(k, h) in &[(0.5, 5.0), (0.5, 4.0), (0.0, 5.0), (1.0, 2.5), (0.25, 8.0), (0.5, 20.0), (0.5, 60.0)] {
            for &d in &[0.0, 0.5, 1.0, 2.0, -1.0] {
                let a = arl_one_sided(k, h, d, nodes_for(h));
                let b = arl_one_sided(k, h, d, 200);
                assert!(((a - b) / b).abs() < 1e-8, "k {k} h {h} δ {d}: {a} vs {b}");
                // Siegmund's approximation is close when the drift is not strongly negative.
                if d >= 0.0 {
                    let s = siegmund_arl(k, h, d);
                    assert!(((a - s) / a).abs() < 0.1, "k {k} h {h} δ {d}: {a} vs Siegmund {s}");
                }
            }
        }
    }

    /// Montgomery, Introduction to Statistical Quality Control, Table 9.3 (and
    /// Montgomery & Runger, Applied Statistics and Probability for Engineers, Table
    /// 16-9): the ARL of the two-sided tabular CUSUM with k = ½, to three digits.
    #[test]
    fn montgomerys_table_of_run_lengths() {
        let table: &[(f64, f64, f64)] = &[
            (0.0, 168.0, 465.0),
            (0.25, 74.2, 139.0),
            (0.5, 26.6, 38.0),
            (0.75, 13.3, 17.0),
            (1.0, 8.38, 10.4),
            (1.5, 4.75, 5.75),
            (2.0, 3.34, 4.01),
            (2.5, 2.62, 3.11),
            (3.0, 2.19, 2.57),
            (4.0, 1.71, 2.01),
        ];
        for &(delta, h4, h5) in table {
            for (h, want) in [(4.0, h4), (5.0, h5)] {
                let one = |d: f64| arl_one_sided(0.5, h, d, nodes_for(h));
                let got = arl_sides(one, Side::Both, delta);
                // Three significant digits: half a unit of the last one.
                let digits = 10f64.powf(want.log10().floor() - 2.0);
                assert!((got - want).abs() <= 0.5 * digits + 1e-9, "δ {delta} h {h}: {got} vs {want}");
            }
        }
        // Siegmund, as the errata quote it: 938 one-sided, 469 two-sided, 10.3 at 1σ.
        assert!((siegmund_arl(0.5, 5.0, 0.0) - 938.2).abs() < 0.1);
        assert!((arl_sides(|d| siegmund_arl(0.5, 5.0, d), Side::Both, 0.0) - 469.1).abs() < 0.1);
        assert!((arl_sides(|d| siegmund_arl(0.5, 5.0, d), Side::Both, 1.0) - 10.34).abs() < 0.01);
    }
}
