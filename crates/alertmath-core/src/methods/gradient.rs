//! The gradient, a directional derivative and the mixed partials of a two-input
//! function, exact and by finite differences.
//!
//! Built-in functions: the latency of a service of n replicas, each an M/M/1 queue of
//! rate μ sharing a load λ, W(n, λ) = 1/(μ − λ/n); x²y³; and the classic counterexample
//! to the symmetry of mixed partials, f = xy(x² − y²)/(x² + y²) with f(0, 0) = 0, whose
//! two mixed partials at the origin are −1 and +1. Clairaut's theorem makes them equal
//! wherever the second partials are continuous; the usual symmetric four-point stencil
//! is equal in both orders by construction, so it can never show a failure; nested
//! differences, one order then the other, can.

use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Steps, Table, Val, Verdict};
use crate::elementary::sin_cos_deg;
use crate::error::{ErrorKind, InputError};
use crate::fmt::{num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, MethodSpec, ParamKind, ParamSpec};

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "gradient",
        name: "Gradient, directional derivative and mixed partials",
        summary: "The partial derivatives of a two-input function, its gradient and a directional derivative, and both mixed partials (Clairaut's theorem), exact and by finite differences.",
        fields: &[],
        params: &[
            ParamSpec {
                id: "function",
                label: "Function",
                unit: "",
                help: "The two-input function: a latency model of replicas and load, x²y³, or the classic counterexample to Clairaut's theorem.",
                kind: ParamKind::Choice {
                    default: "latency",
                    options: &[
                        Choice { id: "latency", label: "latency W(n, λ) = 1/(μ − λ/n): n replicas, load λ" },
                        Choice { id: "x2y3", label: "f(x, y) = x²y³" },
                        Choice { id: "clairaut", label: "f(x, y) = xy(x² − y²)/(x² + y²), f(0, 0) = 0" },
                    ],
                },
            },
            ParamSpec {
                id: "x",
                label: "x (replicas n for the latency)",
                unit: "",
                help: "The first input at the point.",
                kind: number(4.0, -100.0, 100.0, 0.01),
            },
            ParamSpec {
                id: "y",
                label: "y (load λ in req/s for the latency)",
                unit: "",
                help: "The second input at the point.",
                kind: number(320.0, -1000.0, 1000.0, 0.1),
            },
            ParamSpec {
                id: "mu",
                label: "Service rate per replica μ",
                unit: "req/s",
                help: "Latency model only: each replica serves μ requests per second.",
                kind: ParamKind::Number { default: 100.0, min: 0.01, max: 10_000.0, step: 0.01, integer: false, log: true },
            },
            ParamSpec {
                id: "direction",
                label: "Direction φ",
                unit: "°",
                help: "The directional derivative is taken along u = (cos φ, sin φ): 0° is the x axis, 90° the y axis.",
                kind: number(0.0, -360.0, 360.0, 1.0),
            },
            ParamSpec {
                id: "h",
                label: "Step h",
                unit: "",
                help: "Step of the central differences, of the four-point stencil and the outer step of the nested differences.",
                kind: ParamKind::Number { default: 1e-3, min: 1e-10, max: 10.0, step: 1e-10, integer: false, log: true },
            },
            ParamSpec {
                id: "h_inner",
                label: "Inner step k",
                unit: "",
                help: "Step of the inner derivative of the nested differences (smaller than h).",
                kind: ParamKind::Number { default: 1e-7, min: 1e-12, max: 1.0, step: 1e-12, integer: false, log: true },
            },
        ],
    },
    run,
};

/// A built-in function of two inputs, with its exact first and second partials.
#[derive(Clone, Copy, Debug)]
enum F2 {
    /// W(n, λ) = n/(μn − λ) = 1/(μ − λ/n), for n > 0 and λ < μn.
    Latency {
        mu: f64,
    },
    X2Y3,
    Clairaut,
}

/// Exact partials at a point: f, fx, fy, fxx, fyy, and the two mixed orders
/// ∂y∂x f (differentiate in x, then in y) and ∂x∂y f.
#[derive(Clone, Copy, Debug)]
struct Partials {
    f: f64,
    fx: f64,
    fy: f64,
    fxx: f64,
    fyy: f64,
    fxy: f64,
    fyx: f64,
}

impl F2 {
    fn f(self, x: f64, y: f64) -> f64 {
        match self {
            F2::Latency { mu } => {
                let e = mu * x - y;
                if x > 0.0 && e > 0.0 {
                    x / e
                } else {
                    f64::NAN
                }
            }
            F2::X2Y3 => x * x * y * y * y,
            F2::Clairaut => {
                let r2 = x * x + y * y;
                if r2 == 0.0 {
                    0.0
                } else {
                    x * y * (x * x - y * y) / r2
                }
            }
        }
    }

    fn partials(self, x: f64, y: f64) -> Partials {
        match self {
            F2::Latency { mu } => {
                let e = mu * x - y;
                if !(x > 0.0 && e > 0.0) {
                    let n = f64::NAN;
                    return Partials { f: n, fx: n, fy: n, fxx: n, fyy: n, fxy: n, fyx: n };
                }
                let (e2, e3) = (e * e, e * e * e);
                let mixed = -(mu * x + y) / e3;
                Partials {
                    f: x / e,
                    fx: -y / e2,
                    fy: x / e2,
                    fxx: 2.0 * mu * y / e3,
                    fyy: 2.0 * x / e3,
                    fxy: mixed,
                    fyx: mixed,
                }
            }
            F2::X2Y3 => {
                let mixed = 6.0 * x * y * y;
                Partials {
                    f: x * x * y * y * y,
                    fx: 2.0 * x * y * y * y,
                    fy: 3.0 * x * x * y * y,
                    fxx: 2.0 * y * y * y,
                    fyy: 6.0 * x * x * y,
                    fxy: mixed,
                    fyx: mixed,
                }
            }
            F2::Clairaut => {
                let (x2, y2) = (x * x, y * y);
                let r2 = x2 + y2;
                if r2 == 0.0 {
                    // From the limits: ∂f/∂x(0, y) = −y and ∂f/∂y(x, 0) = x.
                    return Partials { f: 0.0, fx: 0.0, fy: 0.0, fxx: 0.0, fyy: 0.0, fxy: -1.0, fyx: 1.0 };
                }
                let (r4, r6) = (r2 * r2, r2 * r2 * r2);
                let mixed = (x2 - y2) * (x2 * x2 + 10.0 * x2 * y2 + y2 * y2) / r6;
                Partials {
                    f: x * y * (x2 - y2) / r2,
                    fx: y * (x2 * x2 + 4.0 * x2 * y2 - y2 * y2) / r4,
                    fy: x * (x2 * x2 - 4.0 * x2 * y2 - y2 * y2) / r4,
                    fxx: -4.0 * x * y * y2 * (x2 - 3.0 * y2) / r6,
                    fyy: -4.0 * x * x2 * y * (3.0 * x2 - y2) / r6,
                    fxy: mixed,
                    fyx: mixed,
                }
            }
        }
    }

    fn formula(self) -> String {
        match self {
            F2::Latency { mu } => format!("W(n, λ) = 1/(μ − λ/n), μ = {}", num(mu)),
            F2::X2Y3 => "f(x, y) = x²y³".to_string(),
            F2::Clairaut => "f(x, y) = xy(x² − y²)/(x² + y²), f(0, 0) = 0".to_string(),
        }
    }

    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            F2::Latency { .. } => ("W", "n", "λ"),
            _ => ("f", "x", "y"),
        }
    }
}

fn run(_input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let func = match p.choice("function")? {
        "x2y3" => F2::X2Y3,
        "clairaut" => F2::Clairaut,
        _ => F2::Latency { mu: p.num("mu")? },
    };
    let (x, y) = (p.num("x")?, p.num("y")?);
    let phi = p.num("direction")?;
    let h = p.num("h")?;
    let k = p.num("h_inner")?;
    let (fname, xn, yn) = func.names();
    if let F2::Latency { .. } = func {
        if x <= 0.0 {
            return Err(InputError::new(
                ErrorKind::Param,
                format!("The latency model needs at least some replicas: n = {} is not above 0. Set x (replicas n) above 0.", num(x)),
            )
            .in_param("x"));
        }
    }

    let pt = func.partials(x, y);
    if !pt.f.is_finite() {
        let mu = if let F2::Latency { mu } = func { mu } else { f64::NAN };
        let mut a = Analysis::new(
            METHOD.spec.id,
            Verdict::new(
                Level::Undefined,
                "Overloaded: the latency is infinite here",
                format!(
                    "With n = {} replicas of rate μ = {}, a load of λ = {} req/s is {} per replica, at or above μ: every queue grows without bound and W has no finite value or derivative. Lower λ below n·μ = {}, or add replicas.",
                    num(x),
                    num(mu),
                    num(y),
                    num(y / x),
                    num(x * mu)
                ),
            ),
        );
        let mut steps = Steps::new();
        steps
            .text(
                "domain",
                "Is the queue stable?",
                "λ/n < μ",
                format!("{} < {}?", num(y / x), num(mu)),
                "no: W is infinite",
            )
            .decisive();
        a.steps = steps.0;
        a.push_value("f", fname, Val::Undefined("overloaded".to_string()), "");
        a.plot = capacity_plot(x, y, mu);
        return Ok(a);
    }

    let f = |a: f64, b: f64| func.f(a, b);
    // First partials: central and forward differences.
    let f0 = f(x, y);
    let (fxp, fxm, fyp, fym) = (f(x + h, y), f(x - h, y), f(x, y + h), f(x, y - h));
    let fx_c = (fxp - fxm) / (2.0 * h);
    let fy_c = (fyp - fym) / (2.0 * h);
    let fx_f = (fxp - f0) / h;
    let fy_f = (fyp - f0) / h;
    let grad_norm = crate::elementary::hypot(pt.fx, pt.fy);
    // Directional derivative along u = (cos φ, sin φ).
    let (s, c) = sin_cos_deg(phi);
    let dir = pt.fx * c + pt.fy * s;
    let dir_fd = (f(x + h * c, y + h * s) - f(x - h * c, y - h * s)) / (2.0 * h);
    // Second partials.
    let fxx_fd = (fxp - 2.0 * f0 + fxm) / (h * h);
    let fyy_fd = (fyp - 2.0 * f0 + fym) / (h * h);
    let stencil = (f(x + h, y + h) - f(x + h, y - h) - f(x - h, y + h) + f(x - h, y - h)) / (4.0 * h * h);
    let gx = |a: f64, b: f64| (f(a + k, b) - f(a - k, b)) / (2.0 * k);
    let gy = |a: f64, b: f64| (f(a, b + k) - f(a, b - k)) / (2.0 * k);
    let nested_fxy = (gx(x, y + h) - gx(x, y - h)) / (2.0 * h);
    let nested_fyx = (gy(x + h, y) - gy(x - h, y)) / (2.0 * h);
    let clairaut_holds = super::common::ties(pt.fxy, pt.fyx);
    let nested_disagree = (nested_fxy - nested_fyx).abs() > 1e-6 * (nested_fxy.abs() + nested_fyx.abs()) + 1e-9;
    let unit_change = f(x + 1.0, y) - f0;

    // ---- steps
    let mut steps = Steps::new();
    steps.num(
        "f",
        &format!("{}({}, {})", fname, xn, yn),
        &func.formula(),
        format!("{}({}, {})", fname, num(x), num(y)),
        pt.f,
    );
    steps.num("fx", &format!("∂{}/∂{}", fname, xn), "exact", format!("at ({}, {})", num(x), num(y)), pt.fx);
    steps.num("fy", &format!("∂{}/∂{}", fname, yn), "exact", format!("at ({}, {})", num(x), num(y)), pt.fy);
    steps.num(
        "fx_fd",
        &format!("∂{}/∂{}, central difference", fname, xn),
        "(f(x + h, y) − f(x − h, y))/(2h)",
        format!("({} − {}) / {}", num(fxp), num(fxm), num(2.0 * h)),
        fx_c,
    );
    steps.num(
        "fy_fd",
        &format!("∂{}/∂{}, central difference", fname, yn),
        "(f(x, y + h) − f(x, y − h))/(2h)",
        format!("({} − {}) / {}", num(fyp), num(fym), num(2.0 * h)),
        fy_c,
    );
    steps.num(
        "grad_norm",
        "|∇f|, the steepest rate of change",
        "√(f_x² + f_y²)",
        format!("√({}² + {}²)", paren(pt.fx), paren(pt.fy)),
        grad_norm,
    );
    steps.num(
        "directional",
        &format!("Directional derivative along φ = {}°", num(phi)),
        "D_u f = ∇f · u = f_x cos φ + f_y sin φ",
        format!("{} × {} + {} × {}", paren(pt.fx), paren(c), paren(pt.fy), paren(s)),
        dir,
    );
    steps.num(
        "directional_fd",
        "… by a central difference along u",
        "(f(p + h·u) − f(p − h·u))/(2h)",
        format!("h = {}", num(h)),
        dir_fd,
    );
    steps.text(
        "evaluations",
        "Cost of a finite-difference gradient (2 inputs)",
        "forward n + 1, central 2n",
        "n = 2",
        "forward 3 evaluations, central 4",
    );
    steps.num(
        "fxy",
        "Mixed partial ∂/∂y (∂f/∂x), exact",
        "differentiate in x, then in y",
        format!("at ({}, {})", num(x), num(y)),
        pt.fxy,
    );
    steps.num(
        "fyx",
        "Mixed partial ∂/∂x (∂f/∂y), exact",
        "differentiate in y, then in x",
        format!("at ({}, {})", num(x), num(y)),
        pt.fyx,
    );
    steps
        .text(
            "clairaut",
            "Do the two orders agree?",
            "∂y∂x f = ∂x∂y f?",
            format!("{} = {}?", num(pt.fxy), num(pt.fyx)),
            if clairaut_holds { "yes" } else { "NO: the mixed partials differ" },
        )
        .decisive();
    steps.num(
        "stencil",
        "Symmetric four-point stencil",
        "(f(x+h, y+h) − f(x+h, y−h) − f(x−h, y+h) + f(x−h, y−h))/(4h²)",
        format!("h = {}", num(h)),
        stencil,
    );
    steps.num(
        "nested_fxy",
        "Nested differences: x first (step k), then y (step h)",
        "(g_x(x, y + h) − g_x(x, y − h))/(2h), g_x = (f(x + k, ·) − f(x − k, ·))/(2k)",
        format!("k = {}, h = {}", num(k), num(h)),
        nested_fxy,
    );
    steps.num(
        "nested_fyx",
        "Nested differences: y first (step k), then x (step h)",
        "(g_y(x + h, y) − g_y(x − h, y))/(2h), g_y = (f(·, y + k) − f(·, y − k))/(2k)",
        format!("k = {}, h = {}", num(k), num(h)),
        nested_fyx,
    );

    // ---- verdict
    let verdict = if clairaut_holds {
        Verdict::new(
            Level::Clear,
            format!("∇{} = ({}, {}); both mixed partials are {}", fname, num(pt.fx), num(pt.fy), num(pt.fxy)),
            format!(
                "Clairaut's theorem holds here. The symmetric stencil gives {} and the nested differences {} and {} at h = {}.",
                num(stencil),
                num(nested_fxy),
                num(nested_fyx),
                num(h)
            ),
        )
    } else {
        Verdict::new(
            Level::Alert,
            format!("Mixed partials disagree: ∂y∂x f = {} but ∂x∂y f = {}", num(pt.fxy), num(pt.fyx)),
            format!(
                "The second partials are not continuous at ({}, {}), so Clairaut's theorem does not apply. Nested differences see it ({} and {}); the symmetric stencil gives one number, {}, for both orders and cannot.",
                num(x),
                num(y),
                num(nested_fxy),
                num(nested_fyx),
                num(stencil)
            ),
        )
    };
    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let fd = |v: f64| Val::num_or(v, "a difference point is outside the domain");
    a.push_value("f", format!("{}({}, {})", fname, xn, yn), Val::Num(pt.f), "");
    a.push_value("fx", format!("∂{}/∂{}", fname, xn), Val::Num(pt.fx), "");
    a.push_value("fy", format!("∂{}/∂{}", fname, yn), Val::Num(pt.fy), "");
    a.push_value("fx_fd", format!("∂{}/∂{} (central difference)", fname, xn), fd(fx_c), "");
    a.push_value("fy_fd", format!("∂{}/∂{} (central difference)", fname, yn), fd(fy_c), "");
    a.push_value("fx_forward", format!("∂{}/∂{} (forward difference)", fname, xn), fd(fx_f), "");
    a.push_value("fy_forward", format!("∂{}/∂{} (forward difference)", fname, yn), fd(fy_f), "");
    a.push_value("grad_norm", "|∇f|", Val::Num(grad_norm), "");
    a.push_value("directional", format!("directional derivative at φ = {}°", num(phi)), Val::Num(dir), "");
    a.push_value("directional_fd", "directional derivative (central difference)", fd(dir_fd), "");
    a.push_value(
        "unit_change",
        format!("{}({} + 1, {}) − {}({}, {})", fname, xn, yn, fname, xn, yn),
        fd(unit_change),
        "",
    );
    a.push_value("fxx", format!("∂²{}/∂{}²", fname, xn), Val::Num(pt.fxx), "");
    a.push_value("fyy", format!("∂²{}/∂{}²", fname, yn), Val::Num(pt.fyy), "");
    a.push_value("fxx_fd", format!("∂²{}/∂{}² (difference)", fname, xn), fd(fxx_fd), "");
    a.push_value("fyy_fd", format!("∂²{}/∂{}² (difference)", fname, yn), fd(fyy_fd), "");
    a.push_value("fxy", "∂/∂y (∂f/∂x), exact", Val::Num(pt.fxy), "");
    a.push_value("fyx", "∂/∂x (∂f/∂y), exact", Val::Num(pt.fyx), "");
    a.push_value("stencil", "symmetric four-point stencil", fd(stencil), "");
    a.push_value("nested_fxy", "nested differences, x then y", fd(nested_fxy), "");
    a.push_value("nested_fyx", "nested differences, y then x", fd(nested_fyx), "");
    a.push_value("clairaut_holds", "mixed partials equal (Clairaut)", Val::Bool(clairaut_holds), "");
    a.push_value(
        "nested_disagree",
        "nested differences disagree",
        if nested_fxy.is_finite() && nested_fyx.is_finite() {
            Val::Bool(nested_disagree)
        } else {
            Val::Undefined("outside the domain".to_string())
        },
        "",
    );
    a.push_value("evals_forward", "evaluations for a forward-difference gradient", Val::Int(3), "");
    a.push_value("evals_central", "evaluations for a central-difference gradient", Val::Int(4), "");

    a.note(
        NoteLevel::Info,
        "The four-point stencil is the same expression whichever variable you call first: swapping x and y leaves it unchanged. It estimates the mixed partial when the two orders agree, and returns one number, never two, when they do not.",
    );
    if let F2::Latency { .. } = func {
        a.note(
            NoteLevel::Info,
            format!(
                "The derivative is local: ∂W/∂n = {} s per replica, but adding one whole replica changes W by {} s. A replica is not a small step.",
                num(pt.fx),
                num(unit_change)
            ),
        );
    }
    if [fx_c, fy_c, stencil, nested_fxy, nested_fyx, dir_fd].iter().any(|v| !v.is_finite()) {
        a.note(
            NoteLevel::Warning,
            "Some difference points fall outside the function's domain (an overloaded or empty queue); those estimates are undefined. Use a smaller step.",
        );
    }
    if k >= h {
        a.note(NoteLevel::Caveat, "The inner step k is not smaller than h: the nested differences then mix the two steps and lose their meaning. Keep k well below h.");
    }

    let mut table = Table::new(
        "partials",
        "Exact and finite-difference partials",
        &["quantity", "exact", "finite difference", "difference"],
    );
    let rows: Vec<(String, f64, f64)> = vec![
        (format!("∂{}/∂{}", fname, xn), pt.fx, fx_c),
        (format!("∂{}/∂{}", fname, yn), pt.fy, fy_c),
        (format!("D_u{} (φ = {}°)", fname, num(phi)), dir, dir_fd),
        (format!("∂²{}/∂{}²", fname, xn), pt.fxx, fxx_fd),
        (format!("∂²{}/∂{}²", fname, yn), pt.fyy, fyy_fd),
        ("∂y∂x f (nested)".to_string(), pt.fxy, nested_fxy),
        ("∂x∂y f (nested)".to_string(), pt.fyx, nested_fyx),
        ("mixed (stencil)".to_string(), pt.fxy, stencil),
    ];
    let show = |v: f64| if v.is_finite() { num(v) } else { "undefined".to_string() };
    let last = rows.len().saturating_sub(1);
    table.fill(
        rows.len(),
        |_| false,
        |i| {
            rows.get(i).map_or_else(Vec::new, |(name, e, d)| {
                if i == last && !clairaut_holds {
                    // One number cannot match two different mixed partials.
                    vec![name.clone(), format!("{} or {}", num(pt.fxy), num(pt.fyx)), show(*d), "—".to_string()]
                } else {
                    vec![name.clone(), show(*e), show(*d), show(d - e)]
                }
            })
        },
    );
    a.tables.push(table);
    a.plot = plot(func, x, y, phi, &pt, stencil);
    Ok(a)
}

/// For an overloaded point: W against the load at this replica count, infinite at the
/// capacity nμ, and where the reader's load lies beyond it.
fn capacity_plot(n: f64, load: f64, mu: f64) -> Plot {
    let cap = n * mu;
    let steps = 200;
    let xs: Vec<f64> = (0..steps).map(|i| cap * 0.98 * f64::from(i) / f64::from(steps)).collect();
    let ws: Vec<f64> = xs.iter().map(|&l| n / (mu * n - l)).collect();
    let top = ws.last().copied().unwrap_or(1.0);
    let panel = Panel::new(
        format!("W against the load at n = {}", num(n)),
        Axis::linear("load λ (req/s)"),
        Axis::linear("W (s)"),
    )
    .layer(Layer::line(xs, ws, Role::Data, "W(n, λ) = 1/(μ − λ/n)"))
    .layer(Layer::vline(cap, Role::Threshold, format!("capacity nμ = {}", num(cap))))
    .layer(Layer::points(vec![load], vec![top], Role::Flagged, format!("your load {} (W infinite)", num(load))));
    Plot::single(panel)
}

fn plot(func: F2, x: f64, y: f64, phi: f64, pt: &Partials, stencil: f64) -> Plot {
    let (fname, xn, yn) = func.names();
    let span = 0.5;
    let n = 100;
    let ts: Vec<f64> = (0..=n).map(|i| -span + 2.0 * span * i as f64 / n as f64).collect();
    let clean = |v: f64| if v.is_finite() { v } else { f64::NAN };
    // Changes of the first partials from their values at the point: their slopes at
    // t = 0 are the two mixed partials, so the two curves share a tangent exactly when
    // Clairaut's theorem holds.
    let along_y: Vec<f64> = ts.iter().map(|&t| clean(func.partials(x, y + t).fx - pt.fx)).collect();
    let along_x: Vec<f64> = ts.iter().map(|&t| clean(func.partials(x + t, y).fy - pt.fy)).collect();
    let mut top = Panel::new(
        "Mixed partials are slopes of the first partials",
        Axis::linear(format!("offset t ({} for ∂{}/∂{}, {} for ∂{}/∂{})", yn, fname, xn, xn, fname, yn)),
        Axis::linear("change of the first partial"),
    );
    top.push(
        Layer::segment(
            -span,
            -stencil * span,
            span,
            stencil * span,
            Role::Threshold,
            format!("stencil slope {}", num(stencil)),
        )
        .no_fit(),
    );
    top.push(Layer::line(
        ts.clone(),
        along_y,
        Role::Data,
        format!("∂{0}/∂{1}({1}, {2} + t) − ∂{0}/∂{1}: slope {3}", fname, xn, yn, num(pt.fxy)),
    ));
    top.push(Layer::line(
        ts.clone(),
        along_x,
        Role::Alternative,
        format!("∂{0}/∂{2}({1} + t, {2}) − ∂{0}/∂{2}: slope {3}", fname, xn, yn, num(pt.fyx)),
    ));
    top.push(Layer::points(vec![0.0], vec![0.0], Role::Highlight, ""));
    top.weight = 1.2;

    let (s, c) = sin_cos_deg(phi);
    let along_u: Vec<f64> = ts.iter().map(|&t| clean(func.f(x + t * c, y + t * s))).collect();
    let dir = pt.fx * c + pt.fy * s;
    let mut bottom = Panel::new(
        format!("{} along the direction φ = {}°", fname, num(phi)),
        Axis::linear("distance t along u"),
        Axis::linear(fname),
    );
    bottom.push(Layer::line(ts, along_u, Role::Center, format!("{}(p + t·u)", fname)));
    bottom.push(
        Layer::segment(
            -span,
            pt.f - dir * span,
            span,
            pt.f + dir * span,
            Role::Threshold,
            format!("slope D_u{} = {}", fname, num(dir)),
        )
        .no_fit(),
    );
    bottom.push(Layer::points(vec![0.0], vec![pt.f], Role::Highlight, ""));
    Plot::independent(vec![top, bottom])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    #[test]
    fn x2y3_at_1_2() {
        let a = crate::analyze(
            "gradient",
            Input::new(),
            &Params::new().with("function", "x2y3").with("x", 1.0).with("y", 2.0),
        )
        .unwrap();
        assert_eq!(a.number("fxy"), Some(24.0));
        assert_eq!(a.number("fyx"), Some(24.0));
        assert!((a.number("stencil").unwrap() - 24.000002).abs() < 1e-7);
        assert_eq!(a.verdict.level, Level::Clear);
    }

    #[test]
    fn the_counterexample_fails_clairaut_and_the_stencil_cannot_tell() {
        let a = crate::analyze(
            "gradient",
            Input::new(),
            &Params::new().with("function", "clairaut").with("x", 0.0).with("y", 0.0),
        )
        .unwrap();
        assert_eq!(a.number("fxy"), Some(-1.0));
        assert_eq!(a.number("fyx"), Some(1.0));
        assert_eq!(a.number("stencil"), Some(0.0));
        assert!((a.number("nested_fxy").unwrap() + 0.99999998).abs() < 1e-9);
        assert!((a.number("nested_fyx").unwrap() - 0.99999998).abs() < 1e-9);
        assert_eq!(a.verdict.level, Level::Alert);
    }
}
