//! Finite differences: forward (f(x + h) − f(x))/h, backward (f(x) − f(x − h))/h and
//! central (f(x + h) − f(x − h))/(2h) estimates of a derivative.
//!
//! On a built-in function (the M/M/1 latency W(λ) = 1/(μ − λ), eˣ, sin x, t²) the exact
//! derivative is known, so each estimate's error is shown at the reader's step and for
//! every step from 10⁻¹⁶ to 10: truncation error falls as h (one-sided) or h² (central)
//! until round-off, about ε/h, takes over. With measurement noise of SD σ the best step
//! is found where truncation meets the noise. On the reader's own (x, y) samples the
//! three differences are taken at every point, with their order of accuracy.
//!
//! A sensitivity alert (the estimate above a threshold) shows how the choice of scheme
//! and step can decide an alert on its own.

use super::common::{flagged_points, n_points, Compare};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::elementary::{cbrt, exp, log10, pow10, sin_cos};
use crate::error::{ErrorKind, InputError};
use crate::fmt::{count, num, pct};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, ColumnSpec, Domain, FieldSpec, MethodSpec, ParamKind, ParamSpec};

const SAMPLES_X: &str = "samples.x";
const SAMPLES_Y: &str = "samples.y";

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "finite-differences",
        name: "Finite differences (forward, backward, central)",
        summary: "Estimates a derivative from values at x and x ± h, and shows how each scheme's error depends on the step h: truncation, round-off and measurement noise.",
        fields: &[FieldSpec {
            id: "samples",
            label: "Your samples (optional)",
            help: "one “x, y” row per line with x increasing (e.g. load and latency); leave empty to use the built-in function",
            columns: &[
                ColumnSpec { id: "x", label: "x", unit: "", domain: Domain::Real },
                ColumnSpec { id: "y", label: "y", unit: "", domain: Domain::Real },
            ],
            timestamps: false,
            min_rows: 3,
            gaps: false,
            optional: true,
        }],
        params: &[
            ParamSpec {
                id: "function",
                label: "Function",
                unit: "",
                help: "The built-in function to differentiate (used when your samples are empty).",
                kind: ParamKind::Choice {
                    default: "mm1",
                    options: &[
                        Choice { id: "mm1", label: "M/M/1 latency W(λ) = 1/(μ − λ)" },
                        Choice { id: "exp", label: "eˣ" },
                        Choice { id: "sin", label: "sin x (x in radians)" },
                        Choice { id: "square", label: "t² (the backward-lag example)" },
                    ],
                },
            },
            ParamSpec {
                id: "x",
                label: "Point x",
                unit: "",
                help: "Where to differentiate: the arrival rate λ in req/s for the M/M/1 latency, x or t otherwise.",
                kind: number(80.0, -500.0, 500.0, 0.01),
            },
            ParamSpec {
                id: "mu",
                label: "Service rate μ",
                unit: "req/s",
                help: "The M/M/1 queue's service rate; the latency W = 1/(μ − λ) is in seconds and infinite at λ ≥ μ.",
                kind: ParamKind::Number { default: 100.0, min: 0.01, max: 10_000.0, step: 0.01, integer: false, log: true },
            },
            ParamSpec {
                id: "h",
                label: "Step h",
                unit: "",
                help: "The step of the differences, in the units of x (type small steps such as 1e-8 in the box).",
                kind: number(1.0, 0.0, 50.0, 0.01),
            },
            ParamSpec {
                id: "noise",
                label: "Measurement noise σ",
                unit: "",
                help: "SD of independent noise on each measured value of f (0.001 = 1 ms on the latency); 0 for exact values.",
                kind: number(0.0, 0.0, 10.0, 0.0001),
            },
            ParamSpec {
                id: "scheme",
                label: "Difference used for the alert",
                unit: "",
                help: "Which estimate the sensitivity alert compares with the threshold.",
                kind: ParamKind::Choice {
                    default: "central",
                    options: &[
                        Choice { id: "central", label: "central (f(x + h) − f(x − h))/(2h)" },
                        Choice { id: "forward", label: "forward (f(x + h) − f(x))/h" },
                        Choice { id: "backward", label: "backward (f(x) − f(x − h))/h" },
                    ],
                },
            },
            ParamSpec {
                id: "threshold",
                label: "Alert when the derivative exceeds",
                unit: "",
                help: "A sensitivity alert: fire when the estimated slope is above this (s per req/s for the latency: 0.003 = 3 ms per extra req/s).",
                kind: number(0.003, -1000.0, 1000.0, 0.0001),
            },
            ParamSpec {
                id: "efficiency",
                label: "Sample efficiency, judged",
                unit: "",
                help: "How to read the article's “forward differences have lower sample efficiency”: per unit of accuracy, or per evaluation.",
                kind: ParamKind::Choice {
                    default: "accuracy",
                    options: &[
                        Choice { id: "accuracy", label: "per unit of accuracy (error from the same two values)" },
                        Choice { id: "evaluations", label: "per evaluation (n + 1 forward against 2n central)" },
                    ],
                },
            },
        ],
    },
    run,
};

/// Steps 10⁻¹⁶, 10⁻¹⁵, …, 10¹ as exact decimal literals (so that “h = 1e-8” is the same
/// double here, in Python and in a reader's calculator).
pub const DECADES: [f64; 18] =
    [1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1];

/// 10^(j/8) for j = 0..8, for the fine grid of steps.
const EIGHTHS: [f64; 8] = [
    1.0,
    1.333521432163324,
    1.7782794100389228,
    2.371373705661655,
    3.1622776601683795,
    4.216965034285822,
    5.623413251903491,
    7.498942093324558,
];

const EPS: f64 = f64::EPSILON;

/// Up to this many samples the slope panel draws all three schemes side by side.
const COMPARE_SCHEMES_UP_TO: usize = 2000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scheme {
    Forward,
    Backward,
    Central,
}

impl Scheme {
    const ALL: [Scheme; 3] = [Scheme::Forward, Scheme::Backward, Scheme::Central];

    fn name(self) -> &'static str {
        match self {
            Scheme::Forward => "forward",
            Scheme::Backward => "backward",
            Scheme::Central => "central",
        }
    }

    fn role(self) -> Role {
        match self {
            Scheme::Forward => Role::Data,
            Scheme::Backward => Role::Alternative,
            Scheme::Central => Role::Model,
        }
    }

    fn from_id(id: &str) -> Scheme {
        match id {
            "forward" => Scheme::Forward,
            "backward" => Scheme::Backward,
            _ => Scheme::Central,
        }
    }
}

/// A built-in function with its first three derivatives.
#[derive(Clone, Copy, Debug)]
pub enum Func {
    /// W(λ) = 1/(μ − λ), defined for λ < μ.
    Mm1 {
        mu: f64,
    },
    Exp,
    Sin,
    Square,
}

impl Func {
    /// f(x), or NaN outside the domain.
    pub fn f(self, x: f64) -> f64 {
        match self {
            Func::Mm1 { mu } => {
                if x < mu {
                    1.0 / (mu - x)
                } else {
                    f64::NAN
                }
            }
            Func::Exp => exp(x),
            Func::Sin => sin_cos(x).0,
            Func::Square => x * x,
        }
    }

    /// The k-th derivative (k = 1, 2, 3) at x, NaN outside the domain.
    pub fn d(self, k: u8, x: f64) -> f64 {
        match self {
            Func::Mm1 { mu } => {
                if x >= mu {
                    return f64::NAN;
                }
                let g = mu - x;
                match k {
                    1 => 1.0 / (g * g),
                    2 => 2.0 / (g * g * g),
                    _ => 6.0 / (g * g * g * g),
                }
            }
            Func::Exp => exp(x),
            Func::Sin => {
                let (s, c) = sin_cos(x);
                match k {
                    1 => c,
                    2 => -s,
                    _ => -c,
                }
            }
            Func::Square => match k {
                1 => 2.0 * x,
                2 => 2.0,
                _ => 0.0,
            },
        }
    }

    fn defined(self, x: f64) -> bool {
        match self {
            Func::Mm1 { mu } => x < mu,
            Func::Exp => x < 709.0,
            _ => x.is_finite(),
        }
    }

    fn var(self) -> &'static str {
        match self {
            Func::Mm1 { .. } => "λ",
            Func::Square => "t",
            _ => "x",
        }
    }

    fn fname(self) -> &'static str {
        match self {
            Func::Mm1 { .. } => "W",
            _ => "f",
        }
    }

    fn formula(self) -> String {
        match self {
            Func::Mm1 { mu } => format!("W(λ) = 1/(μ − λ), μ = {}", num(mu)),
            Func::Exp => "f(x) = eˣ".to_string(),
            Func::Sin => "f(x) = sin x".to_string(),
            Func::Square => "f(t) = t²".to_string(),
        }
    }

    fn derivative_formula(self) -> &'static str {
        match self {
            Func::Mm1 { .. } => "∂W/∂λ = 1/(μ − λ)²",
            Func::Exp => "f′(x) = eˣ",
            Func::Sin => "f′(x) = cos x",
            Func::Square => "f′(t) = 2t",
        }
    }

    /// The estimate of a scheme at x with step h (NaN where a point leaves the domain).
    pub fn estimate(self, scheme: Scheme, x: f64, h: f64) -> f64 {
        match scheme {
            Scheme::Forward => (self.f(x + h) - self.f(x)) / h,
            Scheme::Backward => (self.f(x) - self.f(x - h)) / h,
            Scheme::Central => (self.f(x + h) - self.f(x - h)) / (2.0 * h),
        }
    }
}

fn func_of(p: &ResolvedParams) -> Result<Func, InputError> {
    Ok(match p.choice("function")? {
        "exp" => Func::Exp,
        "sin" => Func::Sin,
        "square" => Func::Square,
        _ => Func::Mm1 { mu: p.num("mu")? },
    })
}

/// "+5.26316%" / "-4.7619%".
fn signed_pct(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", pct(x))
    } else {
        pct(x)
    }
}

/// A step size as typed: 1e-8 rather than 1e-8 written out.
fn show_h(h: f64) -> String {
    num(h)
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    if !input.col(SAMPLES_X).is_empty() {
        return run_samples(input, p);
    }
    run_function(p)
}

/// The exact minimiser over h of the RMS error √(bias(h)² + noise_var(h)) of a scheme,
/// with the exact truncation error: a scan on a log grid, refined by golden section.
fn rms_minimiser(func: Func, scheme: Scheme, x: f64, exact: f64, sigma: f64, h_max: f64) -> f64 {
    let noise = |h: f64| match scheme {
        Scheme::Central => sigma * sigma / (2.0 * h * h),
        _ => 2.0 * sigma * sigma / (h * h),
    };
    let rms = |h: f64| {
        let bias = func.estimate(scheme, x, h) - exact;
        let v = bias * bias + noise(h);
        if v.is_finite() {
            v.sqrt()
        } else {
            f64::INFINITY
        }
    };
    let lo_exp = -8.0;
    let hi_exp = log10(h_max);
    if hi_exp.is_nan() || hi_exp <= lo_exp {
        return f64::NAN;
    }
    let n = (((hi_exp - lo_exp) * 16.0).ceil() as usize).clamp(2, 4000);
    let grid: Vec<f64> = (0..=n).map(|i| pow10(lo_exp + (hi_exp - lo_exp) * i as f64 / n as f64).min(h_max)).collect();
    let mut best = 0;
    let mut best_v = f64::INFINITY;
    for (i, &h) in grid.iter().enumerate() {
        let v = rms(h);
        if v < best_v {
            best_v = v;
            best = i;
        }
    }
    if !best_v.is_finite() {
        return f64::NAN;
    }
    let (mut a, mut b) = (grid[best.saturating_sub(1)], grid[(best + 1).min(n)]);
    let g = 0.618_033_988_749_894_9;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (rms(c), rms(d));
    for _ in 0..80 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = rms(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = rms(d);
        }
    }
    (a + b) / 2.0
}

#[allow(clippy::too_many_lines)]
fn run_function(p: &ResolvedParams) -> Result<Analysis, InputError> {
    let func = func_of(p)?;
    let x = p.num("x")?;
    let h = p.num("h")?;
    let sigma = p.num("noise")?;
    let scheme = Scheme::from_id(p.choice("scheme")?);
    let threshold = p.num("threshold")?;
    let per_evaluation = p.choice("efficiency")? == "evaluations";
    let (v, fname) = (func.var(), func.fname());
    let cmp = Compare::Gt;

    if let Func::Mm1 { mu } = func {
        if x >= mu {
            let mut a = Analysis::new(
                METHOD.spec.id,
                Verdict::new(
                    Level::Undefined,
                    "λ ≥ μ: the queue is unstable",
                    format!(
                        "At λ = {} and μ = {} requests arrive at least as fast as they are served; the queue grows without bound and W = 1/(μ − λ) has no finite value, so neither has its derivative. Choose λ below μ.",
                        num(x),
                        num(mu)
                    ),
                ),
            );
            a.push_value("exact", "exact derivative", Val::Undefined("λ ≥ μ".to_string()), "");
            let mut steps = Steps::new();
            steps
                .text(
                    "domain",
                    "Is W defined at λ?",
                    "λ < μ",
                    format!("{} < {}?", num(x), num(mu)),
                    "no: W is infinite",
                )
                .decisive();
            a.steps = steps.0;
            a.plot = Plot::single(
                Panel::new("", Axis::log("step h (log scale)"), Axis::log("|error| (log scale)"))
                    .layer(Layer::vline(h.max(1e-16), Role::Marker, "your h"))
                    .layer(Layer::points(vec![h.max(1e-16)], vec![1.0], Role::Highlight, "")),
            );
            return Ok(a);
        }
    }

    let fx = func.f(x);
    let exact = func.d(1, x);
    let (d2, d3) = (func.d(2, x), func.d(3, x));
    let scale = fx.abs() + (x * exact).abs();

    // Estimates at the reader's step.
    let estimates: Vec<f64> =
        Scheme::ALL.iter().map(|&s| if h > 0.0 { func.estimate(s, x, h) } else { f64::NAN }).collect();
    let est = |s: Scheme| estimates.get(s as usize).copied().unwrap_or(f64::NAN);
    let err = |s: Scheme| est(s) - exact;
    let rel = |s: Scheme| if exact != 0.0 { est(s) / exact - 1.0 } else { f64::NAN };

    // The step-size sweep: decades for the table and the best step, eighths for the plot.
    let decade_err: Vec<[f64; 3]> =
        DECADES.iter().map(|&hh| Scheme::ALL.map(|s| (func.estimate(s, x, hh) - exact).abs())).collect();
    let best = |s: Scheme| -> (f64, f64) {
        let mut out = (f64::NAN, f64::INFINITY);
        for (&hh, e) in DECADES.iter().zip(&decade_err) {
            let v = e[s as usize];
            if v.is_finite() && v < out.1 {
                out = (hh, v);
            }
        }
        if out.1.is_finite() {
            out
        } else {
            (f64::NAN, f64::NAN)
        }
    };
    let mut grid: Vec<f64> = Vec::with_capacity(DECADES.len() * 8);
    for (i, &d) in DECADES.iter().enumerate() {
        if i + 1 == DECADES.len() {
            grid.push(d);
        } else {
            grid.extend(EIGHTHS.iter().map(|&m| d * m));
        }
    }
    let curves: [Vec<f64>; 3] = Scheme::ALL.map(|s| {
        grid.iter()
            .map(|&hh| {
                let e = (func.estimate(s, x, hh) - exact).abs();
                if e.is_finite() {
                    e
                } else {
                    f64::NAN
                }
            })
            .collect()
    });
    // The log–log slope of the error between h = 1e-3 and 1e-2: the order of the
    // truncation error, measured only where truncation, not round-off, dominates.
    let truncation_dominates = |s: Scheme| {
        let hh = 1e-3;
        let (trunc, round) = match s {
            Scheme::Central => (hh * hh * d3.abs() / 6.0, EPS * scale / (2.0 * hh)),
            _ => (hh * d2.abs() / 2.0, EPS * scale / hh),
        };
        trunc > 100.0 * round
    };
    let slope = |s: Scheme| {
        let (e2, e1) = (decade_err[14][s as usize], decade_err[13][s as usize]); // h = 1e-2 and 1e-3
        if truncation_dominates(s) && e1 > 0.0 && e2 > 0.0 && e1.is_finite() && e2.is_finite() {
            log10(e2 / e1)
        } else {
            f64::NAN
        }
    };

    // Noise: the leading-order optimum steps and the exact RMS minimisers.
    let noisy = sigma > 0.0;
    let h_star_forward =
        if noisy && d2 != 0.0 { (2.0 * std::f64::consts::SQRT_2 * sigma / d2.abs()).sqrt() } else { f64::NAN };
    let h_star_central =
        if noisy && d3 != 0.0 { cbrt(3.0 * sigma / (std::f64::consts::SQRT_2 * d3.abs())) } else { f64::NAN };
    let h_star_central_rms = if noisy && d3 != 0.0 { cbrt(3.0 * sigma / d3.abs()) } else { f64::NAN };
    // Largest step for which the scheme stays inside the domain (and a sane bound).
    let room = match func {
        Func::Mm1 { mu } => (mu - x) * (1.0 - 1e-9),
        _ => 1000.0,
    };
    let h_max = room.min(1000.0);
    let h_rms_forward = if noisy { rms_minimiser(func, Scheme::Forward, x, exact, sigma, h_max) } else { f64::NAN };
    let h_rms_central = if noisy { rms_minimiser(func, Scheme::Central, x, exact, sigma, h_max) } else { f64::NAN };
    let noise_sd = |s: Scheme| match s {
        Scheme::Central => sigma / h * std::f64::consts::FRAC_1_SQRT_2,
        _ => std::f64::consts::SQRT_2 * sigma / h,
    };

    // The alert, and the article's claims.
    let chosen = est(scheme);
    let alert = cmp.passes(chosen, threshold);
    let exact_alert = cmp.passes(exact, threshold);
    let central_more_accurate = err(Scheme::Central).abs() < err(Scheme::Forward).abs()
        && err(Scheme::Central).abs() < err(Scheme::Backward).abs();
    // The article: forward differences have "lower sample efficiency". Per evaluation
    // they do not (forward reuses f(x): n + 1 evaluations against 2n for a gradient);
    // per unit of accuracy they do when, from the same two values, their error is larger.
    let forward_less_efficient = if per_evaluation {
        Some(false)
    } else if err(Scheme::Forward).is_finite() && err(Scheme::Central).is_finite() {
        Some(err(Scheme::Forward).abs() > err(Scheme::Central).abs())
    } else {
        None
    };
    let lag_point = x - h / 2.0;
    let slope_at_lag = if func.defined(lag_point) { func.d(1, lag_point) } else { f64::NAN };

    // ---- steps
    let mut steps = Steps::new();
    steps.num("f", &format!("{}({})", fname, v), &func.formula(), format!("{}({})", fname, num(x)), fx);
    steps.num("exact", "Exact derivative", func.derivative_formula(), format!("at {} = {}", v, num(x)), exact);
    if h > 0.0 {
        let (xp, xm) = (x + h, x - h);
        let (fp, fm) = (func.f(xp), func.f(xm));
        let undefined_at = |at: f64| match func {
            Func::Mm1 { mu } => format!("undefined: {} = {} ≥ μ = {}, where W is infinite", v, num(at), num(mu)),
            _ => "undefined: outside the function's range".to_string(),
        };
        let row = |s: Scheme, formula: &str, sub: String| (s, formula.to_string(), sub);
        for (s, formula, sub) in [
            row(
                Scheme::Forward,
                &format!("({0}({1} + h) − {0}({1}))/h", fname, v),
                format!("({} − {}) / {}", num(fp), num(fx), show_h(h)),
            ),
            row(
                Scheme::Backward,
                &format!("({0}({1}) − {0}({1} − h))/h", fname, v),
                format!("({} − {}) / {}", num(fx), num(fm), show_h(h)),
            ),
            row(
                Scheme::Central,
                &format!("({0}({1} + h) − {0}({1} − h))/(2h)", fname, v),
                format!("({} − {}) / {}", num(fp), num(fm), num(2.0 * h)),
            ),
        ] {
            let e = est(s);
            let label = format!("{} difference at h = {}", capitalise(s.name()), show_h(h));
            if e.is_finite() {
                let r = rel(s);
                let shown = if r.is_finite() { format!("{} ({} error)", num(e), signed_pct(r)) } else { num(e) };
                steps.num(s.name(), &label, &formula, sub, e).shown(shown);
            } else {
                let at = if s == Scheme::Backward { xm } else { xp };
                steps.text(s.name(), &label, &formula, format!("needs {}({})", fname, num(at)), undefined_at(at));
            }
        }
        steps.num(
            "lag",
            "What a backward difference measures",
            &format!("{}′({} − h/2)", fname, v),
            format!("{}′({})", fname, num(lag_point)),
            slope_at_lag,
        );
        let verdict_step = if chosen.is_finite() {
            format!("{} {} {}?", num(chosen), cmp.symbol(), num(threshold))
        } else {
            "no estimate to compare".to_string()
        };
        steps
            .text(
                "alert",
                &format!("Sensitivity alert on the {} difference", scheme.name()),
                &format!("estimate {} threshold", cmp.symbol()),
                verdict_step,
                if alert { "ALERT" } else { "no alert" },
            )
            .decisive();
        steps.text(
            "exact_alert",
            "The same rule on the exact derivative",
            &format!("{}′ {} threshold", fname, cmp.symbol()),
            format!("{} {} {}?", num(exact), cmp.symbol(), num(threshold)),
            if exact_alert { "alert" } else { "no alert" },
        );
    } else {
        steps
            .text(
                "h_zero",
                "Step h = 0",
                &format!("({0}({1} + 0) − {0}({1}))/0", fname, v),
                format!("({} − {}) / 0", num(fx), num(fx)),
                "0/0: undefined",
            )
            .decisive();
    }
    for s in [Scheme::Forward, Scheme::Central] {
        let (bh, be) = best(s);
        if bh.is_finite() {
            steps.num(
                &format!("best_{}", s.name()),
                &format!("Best decade step, {}", s.name()),
                "the h in 10⁻¹⁶ … 10 with the smallest |error|",
                format!("|error| = {}", num(be)),
                bh,
            );
        }
    }
    steps.num("sqrt_eps", "√ε, the textbook step for one-sided differences", "√ε, ε = 2⁻⁵²", num(EPS), EPS.sqrt());
    steps.num("cbrt_eps", "∛ε, the textbook step for central differences", "ε^(1/3)", num(EPS), cbrt(EPS));
    if noisy {
        steps.num(
            "h_star_forward",
            "Best forward step with noise (leading order)",
            "h* = √(2√2·σ/|f″|)",
            format!("√(2√2 × {} / {})", num(sigma), num(d2.abs())),
            h_star_forward,
        );
        steps.num(
            "h_star_central",
            "Best central step with noise (leading order)",
            "h* = ∛(3σ/(√2·|f‴|))",
            format!("∛(3 × {} / (√2 × {}))", num(sigma), num(d3.abs())),
            h_star_central,
        );
        steps.num(
            "h_rms_forward",
            "Forward step with the smallest RMS error (exact function)",
            "argmin √(bias(h)² + 2σ²/h²)",
            "scan and golden section",
            h_rms_forward,
        );
        steps.num(
            "h_rms_central",
            "Central step with the smallest RMS error (exact function)",
            "argmin √(bias(h)² + σ²/(2h²))",
            "scan and golden section",
            h_rms_central,
        );
    }

    // ---- verdict
    let summary_line = if h > 0.0 {
        Scheme::ALL
            .iter()
            .map(|&s| {
                let e = est(s);
                if e.is_finite() {
                    let r = rel(s);
                    if r.is_finite() {
                        format!("{} {} ({})", s.name(), num(e), signed_pct(r))
                    } else {
                        format!("{} {}", s.name(), num(e))
                    }
                } else {
                    format!("{} undefined", s.name())
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        String::new()
    };
    let verdict = if h <= 0.0 {
        Verdict::new(
            Level::Undefined,
            "h = 0: the difference quotient is 0/0",
            format!(
                "A derivative is the limit of ({0}({1} + h) − {0}({1}))/h as h → 0, not its value at h = 0, where the quotient is 0/0. Choose a step above 0; the error curve shows which steps work (for this function the best forward step is about {2}).",
                fname,
                v,
                num(best(Scheme::Forward).0)
            ),
        )
    } else if !chosen.is_finite() {
        let (reason, fix) = match func {
            Func::Mm1 { mu } => (
                format!(
                    "The {} difference needs W at λ + h = {}, at or beyond μ = {}: the queue is unstable there and W is infinite.",
                    scheme.name(),
                    num(x + h),
                    num(mu)
                ),
                format!(
                    " Use a step below μ − λ = {}, or the backward difference, which only looks at λ − h.",
                    num(mu - x)
                ),
            ),
            _ => (format!("The {} difference leaves the function's range.", scheme.name()), String::new()),
        };
        Verdict::new(
            Level::Undefined,
            format!("The step crosses a singularity: no {} estimate", scheme.name()),
            reason + &fix,
        )
    } else if alert {
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} estimate {} {} {}", scheme.name(), num(chosen), cmp.symbol(), num(threshold)),
            format!(
                "Exact {} = {}{}. At h = {}: {}.",
                func.derivative_formula().split(" = ").next().unwrap_or("derivative"),
                num(exact),
                if exact_alert {
                    ", which alerts too"
                } else {
                    ", which does NOT alert: the truncation error fired it"
                },
                show_h(h),
                summary_line
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            format!("No alert: {} estimate {} {} {}", scheme.name(), num(chosen), cmp.negated(), num(threshold)),
            format!(
                "Exact {} = {}{}. At h = {}: {}.",
                func.derivative_formula().split(" = ").next().unwrap_or("derivative"),
                num(exact),
                if exact_alert {
                    ", which DOES alert: the estimate's error hid it"
                } else {
                    ", which does not alert either"
                },
                show_h(h),
                summary_line
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let undefined_est = |s: Scheme| {
        if h <= 0.0 {
            "h = 0".to_string()
        } else {
            format!("{} point outside the domain", s.name())
        }
    };
    a.push_value("f_x", format!("{}({})", fname, v), Val::num_or(fx, "undefined"), "");
    a.push_value("exact", "exact derivative", Val::num_or(exact, "undefined"), "");
    for s in Scheme::ALL {
        a.push_value(s.name(), format!("{} difference", s.name()), Val::num_or(est(s), &undefined_est(s)), "");
    }
    for s in Scheme::ALL {
        a.push_value(
            format!("err_{}", s.name()),
            format!("{} error (estimate − exact)", s.name()),
            Val::num_or(err(s), &undefined_est(s)),
            "",
        );
    }
    for s in Scheme::ALL {
        a.push_fraction(
            format!("rel_{}", s.name()),
            format!("{} relative error", s.name()),
            if exact == 0.0 {
                Val::Undefined("the exact derivative is 0".to_string())
            } else {
                Val::num_or(rel(s), &undefined_est(s))
            },
        );
    }
    a.push_value(
        "central_more_accurate",
        "central more accurate than both one-sided",
        if h > 0.0 && est(Scheme::Central).is_finite() {
            Val::Bool(central_more_accurate)
        } else {
            Val::Undefined("no central estimate".to_string())
        },
        "",
    );
    a.push_value(
        "forward_less_efficient",
        if per_evaluation {
            "forward less sample-efficient (per evaluation)"
        } else {
            "forward less sample-efficient (per unit of accuracy)"
        },
        match forward_less_efficient {
            Some(b) => Val::Bool(b),
            None => Val::Undefined("no estimate to compare".to_string()),
        },
        "",
    );
    a.push_value(
        "slope_at_lag",
        format!("exact slope at {} − h/2", v),
        Val::num_or(slope_at_lag, "outside the domain"),
        "",
    );
    for s in Scheme::ALL {
        let (bh, be) = best(s);
        a.push_value(
            format!("best_h_{}", s.name()),
            format!("best decade step, {}", s.name()),
            Val::num_or(bh, "no valid step"),
            "",
        );
        a.push_value(
            format!("best_err_{}", s.name()),
            format!("its |error|, {}", s.name()),
            Val::num_or(be, "no valid step"),
            "",
        );
    }
    a.push_value(
        "slope_forward",
        "log–log slope of the forward error (h = 10⁻³ → 10⁻²)",
        Val::num_or(slope(Scheme::Forward), "round-off dominates: no truncation error to measure"),
        "",
    );
    a.push_value(
        "slope_central",
        "log–log slope of the central error (h = 10⁻³ → 10⁻²)",
        Val::num_or(slope(Scheme::Central), "round-off dominates: no truncation error to measure"),
        "",
    );
    a.push_value("sqrt_eps", "√ε (one-sided rule of thumb)", Val::Num(EPS.sqrt()), "");
    a.push_value("cbrt_eps", "∛ε (central rule of thumb)", Val::Num(cbrt(EPS)), "");
    if noisy {
        a.push_value(
            "noise_sd_forward",
            "noise SD of a forward estimate at h",
            Val::num_or(if h > 0.0 { noise_sd(Scheme::Forward) } else { f64::NAN }, "h = 0"),
            "",
        );
        a.push_value(
            "noise_sd_central",
            "noise SD of a central estimate at h",
            Val::num_or(if h > 0.0 { noise_sd(Scheme::Central) } else { f64::NAN }, "h = 0"),
            "",
        );
        a.push_value(
            "h_star_forward",
            "best forward step with noise, √(2√2σ/|f″|)",
            Val::num_or(h_star_forward, "f″ = 0"),
            "",
        );
        a.push_value(
            "h_star_central",
            "best central step with noise, ∛(3σ/(√2|f‴|))",
            Val::num_or(h_star_central, "f‴ = 0: central is exact here"),
            "",
        );
        a.push_value(
            "h_star_central_rms",
            "central step minimising the RMS error, ∛(3σ/|f‴|)",
            Val::num_or(h_star_central_rms, "f‴ = 0: central is exact here"),
            "",
        );
        a.push_value(
            "h_rms_forward",
            "forward step with the least RMS error (exact)",
            Val::num_or(h_rms_forward, "no minimum"),
            "",
        );
        a.push_value(
            "h_rms_central",
            "central step with the least RMS error (exact)",
            Val::num_or(h_rms_central, "no minimum"),
            "",
        );
    }
    a.push_value(
        "alert",
        format!("alert on the {} estimate", scheme.name()),
        if chosen.is_finite() { Val::Bool(alert) } else { Val::Undefined("no estimate".to_string()) },
        "",
    );
    a.push_value("exact_alert", "alert on the exact derivative", Val::Bool(exact_alert), "");

    // ---- notes
    a.note(
        NoteLevel::Info,
        "Truncation error: a one-sided difference is off by about h·|f″|/2 (first order: ten times smaller h, ten times smaller error), a central one by about h²·|f‴|/6 (second order). Round-off grows as ε·(|f| + |x·f′|)/h as h shrinks, so each scheme has a best step: about √ε ≈ 1.5e-8 one-sided and ∛ε ≈ 6e-6 central, times the function's scale.",
    );
    a.note(
        NoteLevel::Info,
        "Cost: a forward difference reuses f(x), the value already measured, so a gradient of n inputs costs n + 1 evaluations forward and 2n central. Per evaluation forward is the cheaper; per unit of accuracy central wins.",
    );
    if let Func::Mm1 { mu } = func {
        if h > 0.0 && x + h >= mu {
            a.note(
                NoteLevel::Warning,
                format!(
                    "λ + h = {} reaches μ = {}: W(λ + h) is infinite, so the forward and central differences are undefined. A step must stay below the distance to the singularity, μ − λ = {}.",
                    num(x + h),
                    num(mu),
                    num(mu - x)
                ),
            );
        }
        if h > 0.0 && x - h < 0.0 {
            a.note(
                NoteLevel::Caveat,
                format!(
                    "λ − h = {} is a negative arrival rate: the formula is evaluated, but no queue has it.",
                    num(x - h)
                ),
            );
        }
    }
    if h > 0.0 && h < 1e-3 && !noisy {
        a.note(
            NoteLevel::Caveat,
            format!(
                "{} + h is rounded to a double, so the step actually taken differs from h by up to {} relative; at small h this is part of the round-off error.",
                v,
                num(EPS * x.abs().max(1e-300) / h / 2.0)
            ),
        );
    }
    if noisy {
        a.note(
            NoteLevel::Info,
            format!(
                "With noise of SD σ = {} on each value, a forward estimate carries noise √2σ/h and a central one σ/(√2h): a smaller h amplifies the noise. Balancing it against the truncation error gives the best steps above; the exact RMS minimisers include the higher-order terms the formulas drop.",
                num(sigma)
            ),
        );
    }

    // ---- table: the decades
    let mut table = Table::new(
        "sweep",
        "Error at each decade of h",
        &["h", "forward", "|error|", "backward", "|error|", "central", "|error|"],
    );
    table.fill(
        DECADES.len(),
        |_| false,
        |i| {
            let hh = DECADES.get(i).copied().unwrap_or(f64::NAN);
            let e = decade_err.get(i).copied().unwrap_or([f64::NAN; 3]);
            let mut cells = vec![show_h(hh)];
            for s in Scheme::ALL {
                let v = func.estimate(s, x, hh);
                cells.push(if v.is_finite() { num(v) } else { "undefined".to_string() });
                cells.push(if e[s as usize].is_finite() { num(e[s as usize]) } else { "—".to_string() });
            }
            cells
        },
    );
    a.tables.push(table);

    let best_steps = [best(Scheme::Forward), best(Scheme::Central)];
    a.plot = function_plot(
        func,
        x,
        h,
        exact,
        fx,
        &grid,
        &curves,
        &estimates,
        sigma,
        scale,
        d2,
        d3,
        best_steps,
        [h_rms_forward, h_rms_central],
    );
    Ok(a)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn function_plot(
    func: Func,
    x: f64,
    h: f64,
    exact: f64,
    fx: f64,
    grid: &[f64],
    curves: &[Vec<f64>; 3],
    estimates: &[f64],
    sigma: f64,
    scale: f64,
    d2: f64,
    d3: f64,
    best_steps: [(f64, f64); 2],
    noise_best: [f64; 2],
) -> Plot {
    let top = if sigma > 0.0 {
        noisy_error_panel(func, x, h, exact, sigma, noise_best)
    } else {
        error_panel(h, exact, grid, curves, estimates, scale, d2, d3, best_steps)
    };

    // The function near x, its tangent and the three secants.
    // At least a few percent of |x| wide, so that tick labels stay readable at tiny h.
    let half = (2.0 * h).max(0.02 * x.abs().max(1.0));
    let (lo, hi) = (x - half, x + half);
    let n = 120;
    let xs: Vec<f64> = (0..=n).map(|i| lo + (hi - lo) * i as f64 / n as f64).collect();
    let ys: Vec<f64> = xs.iter().map(|&t| func.f(t)).map(|y| if y.is_finite() { y } else { f64::NAN }).collect();
    let mut bottom = Panel::new(
        format!("{} near {} = {}: the tangent and the three secants", func.fname(), func.var(), num(x)),
        Axis::linear(func.var()),
        Axis::linear(func.fname()),
    );
    bottom.push(Layer::line(xs, ys, Role::Center, func.formula()));
    let tangent = |t: f64| fx + exact * (t - x);
    bottom.push(Layer::segment(lo, tangent(lo), hi, tangent(hi), Role::Threshold, "tangent (exact slope)").no_fit());
    if h > 0.0 {
        let (fp, fm) = (func.f(x + h), func.f(x - h));
        if fp.is_finite() {
            bottom.push(Layer::segment(x, fx, x + h, fp, Scheme::Forward.role(), "forward secant"));
        }
        if fm.is_finite() {
            bottom.push(Layer::segment(x - h, fm, x, fx, Scheme::Backward.role(), "backward secant"));
        }
        if fp.is_finite() && fm.is_finite() {
            bottom.push(Layer::segment(x - h, fm, x + h, fp, Scheme::Central.role(), "central secant"));
        }
        let pts: Vec<(f64, f64)> =
            [(x - h, fm), (x, fx), (x + h, fp)].into_iter().filter(|p| p.1.is_finite()).collect();
        bottom.push(Layer::points(
            pts.iter().map(|p| p.0).collect::<Vec<_>>(),
            pts.iter().map(|p| p.1).collect::<Vec<_>>(),
            Role::Highlight,
            "",
        ));
    } else {
        bottom.push(Layer::points(vec![x], vec![fx], Role::Highlight, ""));
    }
    // Fit the vertical range to the function (secants into a singularity are clipped).
    let finite: Vec<f64> =
        (0..=n).map(|i| func.f(lo + (hi - lo) * i as f64 / n as f64)).filter(|y| y.is_finite()).collect();
    if let (Some(mn), Some(mx)) = (finite.iter().copied().reduce(f64::min), finite.iter().copied().reduce(f64::max)) {
        let pad = if mx > mn { (mx - mn) * 0.08 } else { mx.abs().max(1.0) * 0.1 };
        let cap = (fx.abs() * 20.0).max(mx - mn);
        bottom.y = bottom.y.clone().with_range(mn.max(fx - cap) - pad, mx.min(fx + cap) + pad);
    }
    let mut top = top;
    top.weight = 1.5;
    Plot::independent(vec![top, bottom])
}

/// Error against step size without noise: the measured error of each scheme from 10⁻¹⁶
/// to 10, the truncation + round-off model, the reader's step and the best decade steps.
#[allow(clippy::too_many_arguments)]
fn error_panel(
    h: f64,
    exact: f64,
    grid: &[f64],
    curves: &[Vec<f64>; 3],
    estimates: &[f64],
    scale: f64,
    d2: f64,
    d3: f64,
    best_steps: [(f64, f64); 2],
) -> Panel {
    let grid_col: Column = grid.into();
    let mut top = Panel::new(
        "Error against step size",
        Axis::log("step h (log scale)"),
        Axis::log("|estimate − exact| (log scale)"),
    );
    let mut tx = Vec::with_capacity(2 * grid.len() + 1);
    let mut ty = Vec::with_capacity(2 * grid.len() + 1);
    for (k, s) in [Scheme::Forward, Scheme::Central].iter().enumerate() {
        if k > 0 {
            tx.push(f64::NAN);
            ty.push(f64::NAN);
        }
        for &hh in grid {
            let y = match s {
                Scheme::Central => hh * hh * d3.abs() / 6.0 + EPS * scale / (2.0 * hh),
                _ => hh * d2.abs() / 2.0 + EPS * scale / hh,
            };
            tx.push(hh);
            ty.push(if y.is_finite() { y } else { f64::NAN });
        }
    }
    top.push(Layer::line(tx, ty, Role::Threshold, "theory: truncation + round-off").no_fit());
    for s in Scheme::ALL {
        if let Some(c) = curves.get(s as usize) {
            top.push(Layer::line(grid_col.clone(), c.clone(), s.role(), s.name()));
        }
    }
    if h > 0.0 {
        top.push(Layer::vline(h, Role::Highlight, format!("your h = {}", num(h))));
        let (mut px, mut py) = (Vec::new(), Vec::new());
        for e in estimates.iter().map(|e| (e - exact).abs()) {
            if e.is_finite() && e > 0.0 {
                px.push(h);
                py.push(e);
            }
        }
        if !px.is_empty() {
            top.push(Layer::points(px, py, Role::Highlight, ""));
        }
    }
    // Label the best decade step of each scheme (the named values best_h_*).
    for (s, (bh, be)) in [Scheme::Forward, Scheme::Central].iter().zip(best_steps) {
        if bh.is_finite() && be > 0.0 {
            top.push(Layer::text(bh, be, format!("{} best: {}", s.name(), num(bh))));
        }
    }
    // The largest errors (huge steps, a singularity) would squash the rest: cap the top
    // at a hundred times the error at h = 1, and leave room below for the legend.
    let all_min = curves.iter().flatten().copied().filter(|e| e.is_finite() && *e > 0.0).fold(f64::INFINITY, f64::min);
    let all_max = curves.iter().flatten().copied().filter(|e| e.is_finite()).fold(0.0, f64::max);
    let at_one = curves.iter().filter_map(|c| c.get(16 * 8)).copied().filter(|e| e.is_finite()).fold(0.0, f64::max);
    let top_y = if at_one > 0.0 { all_max.min(at_one * 100.0) } else { all_max };
    if all_min.is_finite() && top_y > all_min {
        top.y = top.y.clone().with_range((all_min / 1e3).max(1e-300), top_y * 10.0);
    }
    top
}

/// Error against step size with measurement noise of SD σ: each scheme's RMS error
/// √(bias² + noise variance), its two parts, and the step that minimises it.
fn noisy_error_panel(func: Func, x: f64, h: f64, exact: f64, sigma: f64, noise_best: [f64; 2]) -> Panel {
    let noise_var = |s: Scheme, hh: f64| match s {
        Scheme::Central => sigma * sigma / (2.0 * hh * hh),
        _ => 2.0 * sigma * sigma / (hh * hh),
    };
    let bias = |s: Scheme, hh: f64| (func.estimate(s, x, hh) - exact).abs();
    let rms = |s: Scheme, hh: f64| {
        let b = bias(s, hh);
        (b * b + noise_var(s, hh)).sqrt()
    };
    let finite_best: Vec<f64> = noise_best.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    let centre = finite_best.iter().copied().fold(f64::INFINITY, f64::min);
    let centre = if centre.is_finite() { centre } else { h.max(1e-3) };
    let (x0, x1) = (centre / 1e3, centre * 30.0);
    let n = 160;
    let hs: Vec<f64> = (0..=n).map(|i| x0 * pow10(log10(x1 / x0) * i as f64 / n as f64)).collect();
    let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { f64::NAN };
    let mut top = Panel::new(
        format!("Error against step size, with noise σ = {} on each value", num(sigma)),
        Axis::log("step h (log scale)"),
        Axis::log("RMS error (log scale)"),
    );
    // The two parts, for both schemes, as one dashed and one dotted layer.
    let (mut bx, mut by, mut nx, mut ny) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, s) in [Scheme::Forward, Scheme::Central].iter().enumerate() {
        if k > 0 {
            bx.push(f64::NAN);
            by.push(f64::NAN);
            nx.push(f64::NAN);
            ny.push(f64::NAN);
        }
        for &hh in &hs {
            bx.push(hh);
            by.push(clean(bias(*s, hh)));
            nx.push(hh);
            ny.push(clean(noise_var(*s, hh).sqrt()));
        }
    }
    top.push(Layer::line(bx, by, Role::Alternative, "truncation alone (forward above, central below)").no_fit());
    top.push(Layer::line(nx, ny, Role::Threshold, "noise alone: √2σ/h forward, σ/(√2h) central").no_fit());
    let mut lo = f64::INFINITY;
    let mut hi: f64 = 0.0;
    for s in [Scheme::Forward, Scheme::Central] {
        let ys: Vec<f64> = hs.iter().map(|&hh| clean(rms(s, hh))).collect();
        for &y in ys.iter().filter(|y| y.is_finite()) {
            lo = lo.min(y);
            hi = hi.max(y);
        }
        top.push(Layer::line(hs.clone(), ys, s.role(), format!("{}: RMS error", s.name())));
    }
    let (mut px, mut py) = (Vec::new(), Vec::new());
    for (s, &hh) in [Scheme::Forward, Scheme::Central].iter().zip(&noise_best) {
        let e = rms(*s, hh);
        if hh.is_finite() && e.is_finite() && e > 0.0 {
            px.push(hh);
            py.push(e);
            top.push(Layer::text(hh, e, format!("{} best: {}", s.name(), num(hh))));
        }
    }
    top.push(Layer::points(px, py, Role::Highlight, ""));
    if h > 0.0 {
        top.push(Layer::vline(h, Role::Highlight, format!("your h = {}", num(h))).no_fit());
    }
    top.x = top.x.clone().with_range(x0, x1);
    if lo.is_finite() && hi > lo {
        top.y = top.y.clone().with_range(lo / 30.0, hi * 3.0);
    }
    top
}

fn run_samples(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let xs = input.col(SAMPLES_X);
    let ys = input.col(SAMPLES_Y);
    let n = xs.len().min(ys.len());
    let sigma = p.num("noise")?;
    let scheme = Scheme::from_id(p.choice("scheme")?);
    let threshold = p.num("threshold")?;
    let cmp = Compare::Gt;
    if let Some(i) = xs.windows(2).position(|w| w[1] <= w[0]) {
        return Err(InputError::new(
            ErrorKind::Unordered,
            format!(
                "x must increase from row to row, but row {} has x = {} after x = {}. Sort the rows by x and remove repeated x values.",
                i + 2,
                num(xs[i + 1]),
                num(xs[i])
            ),
        )
        .in_field("samples")
        .at(i + 2));
    }
    // Forward, backward and central (numpy.gradient's second-order formula on uneven
    // spacing; one-sided at the two ends) at every point.
    let mut fwd = vec![f64::NAN; n];
    let mut bwd = vec![f64::NAN; n];
    let mut cen = vec![f64::NAN; n];
    for i in 0..n.saturating_sub(1) {
        fwd[i] = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]);
        bwd[i + 1] = fwd[i];
    }
    for i in 1..n.saturating_sub(1) {
        let (hs, hd) = (xs[i] - xs[i - 1], xs[i + 1] - xs[i]);
        cen[i] = (hs * hs * ys[i + 1] + (hd * hd - hs * hs) * ys[i] - hd * hd * ys[i - 1]) / (hs * hd * (hd + hs));
    }
    if n >= 2 {
        cen[0] = fwd[0];
        cen[n - 1] = bwd[n - 1];
    }
    let spacing: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    let (h_min, h_max) = spacing.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &d| (a.min(d), b.max(d)));
    let uniform = h_max - h_min <= 1e-9 * h_max;
    let chosen: &[f64] = match scheme {
        Scheme::Forward => &fwd,
        Scheme::Backward => &bwd,
        Scheme::Central => &cen,
    };
    let flags: Vec<bool> = chosen.iter().map(|&d| cmp.passes(d, threshold)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let (i_max, d_max) = chosen
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or((0, f64::NAN), |(i, &d)| (i, d));
    let interior = n.saturating_sub(2);

    let mut steps = Steps::new();
    steps.num("n", "Samples", "n", count(n), n as f64);
    steps.num(
        "spacing",
        "Spacing of x",
        "h = x₍ᵢ₊₁₎ − xᵢ",
        if uniform { format!("uniform: {}", num(h_min)) } else { format!("from {} to {}", num(h_min), num(h_max)) },
        h_min,
    );
    if n >= 3 {
        let i = 1;
        steps.num(
            "forward.2",
            "Forward difference at point 2",
            "(y₃ − y₂)/(x₃ − x₂)",
            format!("({} − {}) / ({} − {})", num(ys[2]), num(ys[1]), num(xs[2]), num(xs[1])),
            fwd[i],
        );
        steps.num(
            "backward.2",
            "Backward difference at point 2",
            "(y₂ − y₁)/(x₂ − x₁)",
            format!("({} − {}) / ({} − {})", num(ys[1]), num(ys[0]), num(xs[1]), num(xs[0])),
            bwd[i],
        );
        if uniform {
            steps.num(
                "central.2",
                "Central difference at point 2",
                "(y₃ − y₁)/(x₃ − x₁)",
                format!("({} − {}) / ({} − {})", num(ys[2]), num(ys[0]), num(xs[2]), num(xs[0])),
                cen[i],
            );
        } else {
            steps.num(
                "central.2",
                "Central difference at point 2 (uneven spacing)",
                "(h₁²y₃ + (h₂² − h₁²)y₂ − h₂²y₁) / (h₁h₂(h₁ + h₂))",
                format!("h₁ = {}, h₂ = {}", num(xs[1] - xs[0]), num(xs[2] - xs[1])),
                cen[i],
            );
        }
    }
    steps.text(
        "order",
        "Order of accuracy",
        "error ∝ hᵏ",
        "forward, backward: k = 1; central: k = 2",
        if uniform {
            "central is second order; the one-sided ones first order"
        } else {
            "central stays second order on uneven spacing (the weighted three-point formula); one-sided first order"
        },
    );
    if d_max.is_finite() {
        steps
            .text(
                "alert",
                &format!("Largest {} slope", scheme.name()),
                &format!("max slope {} threshold", cmp.symbol()),
                format!(
                    "{} at x = {}: {} {} {}?",
                    num(d_max),
                    num(xs.get(i_max).copied().unwrap_or(f64::NAN)),
                    num(d_max),
                    cmp.symbol(),
                    num(threshold)
                ),
                if flagged > 0 { format!("ALERT at {}", n_points(flagged)) } else { "no alert".to_string() },
            )
            .decisive();
    }

    let verdict = if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} with a {} slope above {}", n_points(flagged), scheme.name(), num(threshold)),
            format!(
                "First at x = {}: slope {}. The {} difference is {} order here.",
                num(xs.get(first).copied().unwrap_or(f64::NAN)),
                num(chosen.get(first).copied().unwrap_or(f64::NAN)),
                scheme.name(),
                if scheme == Scheme::Central { "second" } else { "first" }
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            format!("No alert: no {} slope above {}", scheme.name(), num(threshold)),
            format!("The largest is {} at x = {}.", num(d_max), num(xs.get(i_max).copied().unwrap_or(f64::NAN))),
        )
    };
    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("n", "samples", Val::Int(n as i64), "");
    a.push_value("spacing_min", "smallest spacing of x", Val::Num(h_min), "");
    a.push_value("spacing_max", "largest spacing of x", Val::Num(h_max), "");
    a.push_value("uniform", "evenly spaced", Val::Bool(uniform), "");
    a.push_value("interior", "interior points (central is second order there)", Val::Int(interior as i64), "");
    a.push_value("slope_max", format!("largest {} slope", scheme.name()), Val::num_or(d_max, "no slope"), "");
    a.push_value("x_at_max", "at x", Val::num_or(xs.get(i_max).copied().unwrap_or(f64::NAN), "no slope"), "");
    a.push_value("flagged", "points above the threshold", Val::Int(flagged as i64), "");
    if sigma > 0.0 {
        a.push_value(
            "noise_sd_forward",
            "noise SD of a forward slope at the smallest spacing",
            Val::Num(std::f64::consts::SQRT_2 * sigma / h_min),
            "",
        );
        a.push_value(
            "noise_sd_central",
            "noise SD of a central slope (even spacing h)",
            Val::Num(sigma / h_min * std::f64::consts::FRAC_1_SQRT_2),
            "",
        );
    }
    a.note(
        NoteLevel::Info,
        "Your samples are used instead of the built-in function; the function, μ, h and efficiency settings do not apply. The step is the spacing of your x values.",
    );
    a.note(
        NoteLevel::Info,
        "At the first point only a forward difference exists and at the last only a backward one; the central column uses them there (first order), as numpy.gradient does.",
    );
    if sigma > 0.0 {
        a.note(
            NoteLevel::Caveat,
            format!(
                "With noise σ = {} on each y, a slope over a spacing h carries noise √2σ/h (one-sided) or σ/(√2h) (central, even spacing): {} and {} at the smallest spacing.",
                num(sigma),
                num(std::f64::consts::SQRT_2 * sigma / h_min),
                num(sigma / h_min * std::f64::consts::FRAC_1_SQRT_2)
            ),
        );
    }

    let mut table =
        Table::new("slopes", "Slopes at each sample", &["#", "x", "y", "forward", "backward", "central", "alert"]);
    let show = |v: f64| if v.is_finite() { num(v) } else { "—".to_string() };
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            vec![
                (i + 1).to_string(),
                num(xs.get(i).copied().unwrap_or(f64::NAN)),
                num(ys.get(i).copied().unwrap_or(f64::NAN)),
                show(fwd.get(i).copied().unwrap_or(f64::NAN)),
                show(bwd.get(i).copied().unwrap_or(f64::NAN)),
                show(cen.get(i).copied().unwrap_or(f64::NAN)),
                if flags.get(i).copied().unwrap_or(false) { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    let x: Column = xs.into();
    let y: Column = ys.into();
    let mut top = Panel::new("Your samples", Axis::linear("x"), Axis::linear("y"));
    top.push(Layer::line(x.clone(), y.clone(), Role::Center, ""));
    let [data, flagged_layer] = flagged_points(&x, &y, &flags);
    top.push(data);
    top.push(flagged_layer);
    let mut bottom = Panel::new("Slopes", Axis::linear("x"), Axis::linear("dy/dx"));
    bottom.push(Layer::hline(threshold, Role::Threshold, format!("threshold {}", num(threshold))).no_fit());
    if n <= COMPARE_SCHEMES_UP_TO {
        for (s, d) in [(Scheme::Forward, &fwd), (Scheme::Backward, &bwd), (Scheme::Central, &cen)] {
            bottom.push(Layer::line(x.clone(), d.clone(), s.role(), s.name()));
        }
    } else {
        // Three overlapping slope lines of thousands of points show nothing (and a dashed
        // one through a noisy series costs a dash per few pixels): draw the chosen one.
        bottom.push(Layer::line(x.clone(), chosen.to_vec(), Role::Model, format!("{} slope", scheme.name())));
        a.note(
            NoteLevel::Info,
            format!(
                "With more than {} samples only the {} slope is drawn; the table and the values have all three.",
                count(COMPARE_SCHEMES_UP_TO),
                scheme.name()
            ),
        );
    }
    a.plot = Plot::independent(vec![top, bottom]);
    a.points =
        Some(Points { x, y, score: chosen.to_vec(), flag: flags, score_label: format!("{} slope", scheme.name()) });
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    fn run_with(params: Params) -> Analysis {
        crate::analyze("finite-differences", Input::new(), &params).unwrap()
    }

    #[test]
    fn mm1_at_unit_step_matches_the_closed_forms() {
        let a = run_with(Params::new());
        // forward 1/(20(20 − h)), backward 1/(20(20 + h)), central 1/(400 − h²) at h = 1.
        assert!((a.number("forward").unwrap() - 1.0 / 380.0).abs() < 1e-17);
        assert!((a.number("backward").unwrap() - 1.0 / 420.0).abs() < 1e-17);
        assert!((a.number("central").unwrap() - 1.0 / 399.0).abs() < 1e-17);
        assert_eq!(a.number("exact"), Some(0.0025));
    }

    #[test]
    fn exp_best_steps_are_the_textbook_ones() {
        let a = run_with(Params::new().with("function", "exp").with("x", 1.0).with("h", 1e-8));
        assert_eq!(a.number("best_h_forward"), Some(1e-8));
        assert_eq!(a.number("best_h_central"), Some(1e-5));
    }

    #[test]
    fn h_zero_and_the_singularity_are_explained() {
        let a = run_with(Params::new().with("h", 0.0));
        assert_eq!(a.verdict.level, Level::Undefined);
        assert!(a.verdict.detail.contains("limit"));
        let a = run_with(Params::new().with("h", 25.0));
        assert_eq!(a.verdict.level, Level::Undefined);
        assert!(matches!(a.value("forward"), Some(Val::Undefined(_))));
        assert!(a.number("backward").is_some());
        let a = run_with(Params::new().with("x", 100.0));
        assert_eq!(a.verdict.level, Level::Undefined);
    }
}
