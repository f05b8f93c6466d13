//! The Jacobian of a map of two inputs to two outputs: the matrix of first partials,
//! computed three ways side by side (by hand, by forward-mode automatic
//! differentiation with dual numbers, by central differences), and what it says about
//! the map near a point: its determinant (the area scale of a small square, and its sign
//! the orientation), its singular values (the axes of the image of a small circle), the
//! condition number σmax/σmin, and where it becomes singular.
//!
//! Built-in maps: polar → Cartesian (det = r), a two-link arm (det = l₁l₂ sin θ₂, singular
//! when the arm is straight or folded), (x, y) → (x², xy) (det 2x² against divergence 3x),
//! the swap (x, y) → (y, x) (det −1), and the M/M/1 queue (λ, μ) → (W, ρ). A 2×2 matrix
//! the reader types takes their place. Angles are typed in degrees; derivatives are per
//! radian, as in the articles.

use super::common::{Compare, COMPARE};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Steps, Table, Val, Verdict};
use crate::elementary::{diff_of_products, hypot, ln, sin_cos, sin_cos_deg, RAD_TO_DEG};
use crate::error::{ErrorKind, InputError};
use crate::fmt::{num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, ColumnSpec, Domain, FieldSpec, MethodSpec, ParamKind, ParamSpec};
use std::ops::{Add, Div, Mul, Neg, Sub};

const M1: &str = "matrix.c1";
const M2: &str = "matrix.c2";

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "jacobian",
        name: "Jacobian: determinant, singular values, condition number",
        summary: "The matrix of first partials of a map from two inputs to two outputs, by hand, by forward-mode AD and by finite differences; its determinant drawn as the image of a small square, its singular values and condition number, and a singularity guard.",
        fields: &[FieldSpec {
            id: "matrix",
            label: "Your 2×2 matrix (optional)",
            help: "two rows of two numbers, e.g. “2 1” and “1 1”; leave empty to use the built-in map",
            columns: &[
                ColumnSpec { id: "c1", label: "column 1", unit: "", domain: Domain::Real },
                ColumnSpec { id: "c2", label: "column 2", unit: "", domain: Domain::Real },
            ],
            timestamps: false,
            min_rows: 2,
            gaps: false,
            optional: true,
        }],
        params: &[
            ParamSpec {
                id: "map",
                label: "Map",
                unit: "",
                help: "The built-in map (used when your matrix is empty). Its two inputs are u and v below.",
                kind: ParamKind::Choice {
                    default: "polar",
                    options: &[
                        Choice { id: "polar", label: "polar → Cartesian: (r, θ) ↦ (r cos θ, r sin θ)" },
                        Choice { id: "arm", label: "two-link arm: (θ₁, θ₂) ↦ hand position" },
                        Choice { id: "square", label: "(x, y) ↦ (x², xy)" },
                        Choice { id: "swap", label: "swap: (x, y) ↦ (y, x)" },
                        Choice { id: "mm1", label: "M/M/1 queue: (λ, μ) ↦ (W, ρ)" },
                    ],
                },
            },
            ParamSpec {
                id: "u",
                label: "First input u",
                unit: "",
                help: "r for polar, θ₁ in degrees for the arm, x for the square and swap maps, λ for the M/M/1 queue.",
                kind: number(2.0, -360.0, 360.0, 0.01),
            },
            ParamSpec {
                id: "v",
                label: "Second input v",
                unit: "",
                help: "θ in degrees for polar, θ₂ in degrees for the arm (0° = straight: singular), y, or μ.",
                kind: number(60.0, -360.0, 360.0, 0.5),
            },
            ParamSpec {
                id: "l1",
                label: "Arm: first link l₁",
                unit: "",
                help: "Length of the upper link of the two-link arm.",
                kind: number(1.0, 0.01, 10.0, 0.01),
            },
            ParamSpec {
                id: "l2",
                label: "Arm: second link l₂",
                unit: "",
                help: "Length of the forearm of the two-link arm.",
                kind: number(1.0, 0.01, 10.0, 0.01),
            },
            ParamSpec {
                id: "side",
                label: "Side of the small square",
                unit: "",
                help: "The square drawn at the point, in input units (angles in radians); its image shows what J does.",
                kind: ParamKind::Number { default: 0.2, min: 0.001, max: 2.0, step: 0.001, integer: false, log: true },
            },
            ParamSpec {
                id: "h",
                label: "Finite-difference step h",
                unit: "",
                help: "Step of the central differences that estimate J beside the exact one (radians for angles).",
                kind: ParamKind::Number { default: 1e-6, min: 1e-10, max: 1.0, step: 1e-10, integer: false, log: true },
            },
            ParamSpec {
                id: "threshold",
                label: "Singularity guard: condition number",
                unit: "",
                help: "The guard stops when the condition number rises above this (the article writes “below”: an erratum).",
                kind: ParamKind::Number { default: 50.0, min: 1.0, max: 1e12, step: 0.1, integer: false, log: true },
            },
            COMPARE,
        ],
    },
    run,
};

/// The arithmetic a map needs, for plain doubles and for dual numbers.
trait Scalar:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    fn c(x: f64) -> Self;
    /// (sin, cos) of an angle whose value is in degrees and whose tangent is per radian.
    fn sin_cos_deg(self) -> (Self, Self);
}

impl Scalar for f64 {
    fn c(x: f64) -> Self {
        x
    }
    fn sin_cos_deg(self) -> (Self, Self) {
        sin_cos_deg(self)
    }
}

/// A dual number v + d·ε with ε² = 0: evaluating a map on (p + ε·e) yields f(p) + ε·J·e,
/// which is forward-mode automatic differentiation.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Dual {
    v: f64,
    d: f64,
}

impl Add for Dual {
    type Output = Dual;
    fn add(self, o: Dual) -> Dual {
        Dual { v: self.v + o.v, d: self.d + o.d }
    }
}
impl Sub for Dual {
    type Output = Dual;
    fn sub(self, o: Dual) -> Dual {
        Dual { v: self.v - o.v, d: self.d - o.d }
    }
}
impl Mul for Dual {
    type Output = Dual;
    fn mul(self, o: Dual) -> Dual {
        Dual { v: self.v * o.v, d: self.d * o.v + self.v * o.d }
    }
}
impl Div for Dual {
    type Output = Dual;
    fn div(self, o: Dual) -> Dual {
        Dual { v: self.v / o.v, d: (self.d * o.v - self.v * o.d) / (o.v * o.v) }
    }
}
impl Neg for Dual {
    type Output = Dual;
    fn neg(self) -> Dual {
        Dual { v: -self.v, d: -self.d }
    }
}
impl Scalar for Dual {
    fn c(x: f64) -> Self {
        Dual { v: x, d: 0.0 }
    }
    fn sin_cos_deg(self) -> (Self, Self) {
        let (s, c) = sin_cos_deg(self.v);
        (Dual { v: s, d: self.d * c }, Dual { v: c, d: -self.d * s })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Map {
    Polar,
    Arm { l1: f64, l2: f64 },
    Square,
    Swap,
    Mm1,
    Matrix([[f64; 2]; 2]),
}

impl Map {
    /// Whether each input is an angle (typed in degrees, differentiated per radian).
    fn angles(self) -> [bool; 2] {
        match self {
            Map::Polar => [false, true],
            Map::Arm { .. } => [true, true],
            _ => [false, false],
        }
    }

    fn input_names(self) -> [&'static str; 2] {
        match self {
            Map::Polar => ["r", "θ"],
            Map::Arm { .. } => ["θ₁", "θ₂"],
            Map::Mm1 => ["λ", "μ"],
            Map::Matrix(_) => ["u", "v"],
            _ => ["x", "y"],
        }
    }

    fn output_names(self) -> [&'static str; 2] {
        match self {
            Map::Mm1 => ["W", "ρ"],
            Map::Matrix(_) => ["out₁", "out₂"],
            _ => ["x", "y"],
        }
    }

    /// The map in a few symbols, for the step table.
    fn short(self) -> &'static str {
        match self {
            Map::Polar => "(r, θ) ↦ (r cos θ, r sin θ)",
            Map::Arm { .. } => "(θ₁, θ₂) ↦ (l₁c₁ + l₂c₁₂, l₁s₁ + l₂s₁₂)",
            Map::Square => "(x, y) ↦ (x², xy)",
            Map::Swap => "(x, y) ↦ (y, x)",
            Map::Mm1 => "(λ, μ) ↦ (1/(μ − λ), λ/μ)",
            Map::Matrix(_) => "v ↦ J·v",
        }
    }

    fn describe(self) -> String {
        match self {
            Map::Polar => "(r, θ) ↦ (r cos θ, r sin θ)".to_string(),
            Map::Arm { l1, l2 } => format!(
                "(θ₁, θ₂) ↦ (l₁cos θ₁ + l₂cos(θ₁ + θ₂), l₁sin θ₁ + l₂sin(θ₁ + θ₂)), l₁ = {}, l₂ = {}",
                num(l1),
                num(l2)
            ),
            Map::Square => "(x, y) ↦ (x², xy)".to_string(),
            Map::Swap => "(x, y) ↦ (y, x)".to_string(),
            Map::Mm1 => "(λ, μ) ↦ (W = 1/(μ − λ), ρ = λ/μ)".to_string(),
            Map::Matrix(m) => {
                format!("your matrix [[{}, {}], [{}, {}]]", num(m[0][0]), num(m[0][1]), num(m[1][0]), num(m[1][1]))
            }
        }
    }

    fn defined(self, u: f64, v: f64) -> bool {
        match self {
            Map::Mm1 => v > 0.0 && u < v,
            _ => u.is_finite() && v.is_finite(),
        }
    }

    /// The map itself, generic so that dual numbers give forward-mode AD.
    fn eval<S: Scalar>(self, u: S, v: S) -> [S; 2] {
        match self {
            Map::Polar => {
                let (s, c) = v.sin_cos_deg();
                [u * c, u * s]
            }
            Map::Arm { l1, l2 } => {
                let (s1, c1) = u.sin_cos_deg();
                let (s12, c12) = (u + v).sin_cos_deg();
                [S::c(l1) * c1 + S::c(l2) * c12, S::c(l1) * s1 + S::c(l2) * s12]
            }
            Map::Square => [u * u, u * v],
            Map::Swap => [v, u],
            Map::Mm1 => [S::c(1.0) / (v - u), u / v],
            Map::Matrix(m) => [S::c(m[0][0]) * u + S::c(m[0][1]) * v, S::c(m[1][0]) * u + S::c(m[1][1]) * v],
        }
    }

    fn at(self, u: f64, v: f64) -> [f64; 2] {
        if self.defined(u, v) {
            self.eval(u, v)
        } else {
            [f64::NAN; 2]
        }
    }

    /// The Jacobian by hand (per radian for angle inputs).
    fn jacobian(self, u: f64, v: f64) -> [[f64; 2]; 2] {
        match self {
            Map::Polar => {
                let (s, c) = sin_cos_deg(v);
                [[c, -u * s], [s, u * c]]
            }
            Map::Arm { l1, l2 } => {
                let (s1, c1) = sin_cos_deg(u);
                let (s12, c12) = sin_cos_deg(u + v);
                [[-l1 * s1 - l2 * s12, -l2 * s12], [l1 * c1 + l2 * c12, l2 * c12]]
            }
            Map::Square => [[2.0 * u, 0.0], [v, u]],
            Map::Swap => [[0.0, 1.0], [1.0, 0.0]],
            Map::Mm1 => {
                let d = v - u;
                let w2 = 1.0 / (d * d);
                [[w2, -w2], [1.0 / v, -u / (v * v)]]
            }
            Map::Matrix(m) => m,
        }
    }

    /// Column j of J by forward-mode AD: the tangent of f(p + ε·eⱼ).
    fn jvp(self, u: f64, v: f64, seed: [f64; 2]) -> [f64; 2] {
        let out = self.eval(Dual { v: u, d: seed[0] }, Dual { v, d: seed[1] });
        [out[0].d, out[1].d]
    }

    /// J by central differences with step h (in radians for angles: h·180/π degrees).
    fn finite_differences(self, u: f64, v: f64, h: f64) -> [[f64; 2]; 2] {
        let ang = self.angles();
        let mut j = [[f64::NAN; 2]; 2];
        for col in 0..2 {
            let step = if ang[col] { h * RAD_TO_DEG } else { h };
            let (plus, minus) = if col == 0 {
                (self.at(u + step, v), self.at(u - step, v))
            } else {
                (self.at(u, v + step), self.at(u, v - step))
            };
            for row in 0..2 {
                j[row][col] = (plus[row] - minus[row]) / (2.0 * h);
            }
        }
        j
    }
}

/// Singular values, determinant and condition number of a 2×2 matrix, in closed form:
/// σ₁,₂ = (√((a + d)² + (c − b)²) ± √((a − d)² + (b + c)²))/2, with the smaller one
/// taken as |det|/σ₁ (no cancellation).
#[derive(Clone, Copy, Debug)]
struct Svd2 {
    det: f64,
    s_max: f64,
    s_min: f64,
    cond: f64,
}

fn svd2(m: [[f64; 2]; 2]) -> Svd2 {
    // Scale by a power of two near the largest entry (exactly, so no digit is lost) so that
    // products of entries like 1e300 neither overflow nor underflow, then scale back.
    let largest = m.iter().flatten().fold(0.0f64, |acc, x| acc.max(x.abs()));
    if !(largest > 0.0 && largest.is_finite()) {
        return svd2_unscaled(m);
    }
    // Clamped so that the power of two itself is a normal number (2^-1074 would underflow).
    let scale = 2f64.powi((largest.log2().floor() as i32).clamp(-1000, 1000));
    let scaled = svd2_unscaled([[m[0][0] / scale, m[0][1] / scale], [m[1][0] / scale, m[1][1] / scale]]);
    Svd2 {
        det: scaled.det * scale * scale,
        s_max: scaled.s_max * scale,
        s_min: scaled.s_min * scale,
        cond: scaled.cond,
    }
}

fn svd2_unscaled(m: [[f64; 2]; 2]) -> Svd2 {
    let [[a, b], [c, d]] = m;
    let det = diff_of_products(a, d, b, c);
    let p = hypot(a + d, c - b);
    let q = hypot(a - d, b + c);
    let s_max = (p + q) / 2.0;
    let s_min = if s_max > 0.0 { (det.abs() / s_max).min(s_max) } else { 0.0 };
    let cond = if s_max == 0.0 {
        f64::NAN
    } else if s_min == 0.0 {
        f64::INFINITY
    } else {
        s_max / s_min
    };
    Svd2 { det, s_max, s_min, cond }
}

fn read_matrix(input: &Input) -> Result<Option<[[f64; 2]; 2]>, InputError> {
    let c1 = input.col(M1);
    let c2 = input.col(M2);
    if c1.is_empty() {
        return Ok(None);
    }
    if c1.len() != 2 || c2.len() != 2 {
        return Err(InputError::new(
            ErrorKind::Unsupported,
            format!(
                "A 2×2 matrix has exactly two rows of two numbers; you typed {} rows. Type two lines such as “2 1” and “1 1”, or clear the field to use the built-in map.",
                c1.len()
            ),
        )
        .in_field("matrix"));
    }
    Ok(Some([[c1[0], c2[0]], [c1[1], c2[1]]]))
}

fn polygon_area(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len().min(ys.len());
    let mut twice = 0.0;
    for i in 0..n {
        let j = (i + 1) % n;
        twice += xs[i] * ys[j] - xs[j] * ys[i];
    }
    twice / 2.0
}

fn show_cond(c: f64) -> String {
    if c.is_nan() {
        "undefined (J = 0)".to_string()
    } else {
        num(c)
    }
}

#[allow(clippy::too_many_lines)]
fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let typed = read_matrix(input)?;
    let (l1, l2) = (p.num("l1")?, p.num("l2")?);
    let map = match typed {
        Some(m) => Map::Matrix(m),
        None => match p.choice("map")? {
            "arm" => Map::Arm { l1, l2 },
            "square" => Map::Square,
            "swap" => Map::Swap,
            "mm1" => Map::Mm1,
            _ => Map::Polar,
        },
    };
    let (u, v) = if typed.is_some() { (0.0, 0.0) } else { (p.num("u")?, p.num("v")?) };
    let side = p.num("side")?;
    let h = p.num("h")?;
    let threshold = p.num("threshold")?;
    let cmp = Compare::from_params(p)?;
    let [un, vn] = map.input_names();
    let [on1, on2] = map.output_names();
    let ang = map.angles();
    let unit = |i: usize| if ang.get(i).copied().unwrap_or(false) { "°" } else { "" };

    if !map.defined(u, v) {
        let mut a = Analysis::new(
            METHOD.spec.id,
            Verdict::new(
                Level::Undefined,
                "The map is not defined here",
                format!(
                    "At λ = {} and μ = {} the queue is {}: W = 1/(μ − λ) has no finite value, so there is no Jacobian. Choose 0 < λ < μ.",
                    num(u),
                    num(v),
                    if v <= 0.0 { "without service" } else { "unstable (λ ≥ μ)" }
                ),
            ),
        );
        a.push_value("det", "det J", Val::Undefined("the map is undefined here".to_string()), "");
        let mut steps = Steps::new();
        steps
            .text("domain", "Is the map defined?", "0 < λ < μ", format!("0 < {} < {}?", num(u), num(v)), "no")
            .decisive();
        a.steps = steps.0;
        // W = 1/(μ − λ) against λ for this μ, infinite at λ = μ; the reader's λ beyond it.
        let mut panel = Panel::new("W = 1/(μ − λ): no finite value at λ ≥ μ", Axis::linear(un), Axis::linear("W"));
        if v > 0.0 {
            let xs: Vec<f64> = (0..200).map(|i| v * 0.98 * f64::from(i) / 200.0).collect();
            let ws: Vec<f64> = xs.iter().map(|&l| 1.0 / (v - l)).collect();
            let top = ws.last().copied().unwrap_or(1.0);
            panel.push(Layer::line(xs, ws, Role::Data, "W(λ)"));
            panel.push(Layer::vline(v, Role::Threshold, format!("μ = {}", num(v))));
            panel.push(Layer::points(vec![u], vec![top], Role::Flagged, format!("λ = {}", num(u))));
        } else {
            panel.push(Layer::hline(0.0, Role::Center, ""));
            panel.push(Layer::points(vec![u], vec![0.0], Role::Flagged, format!("μ = {} ≤ 0", num(v))));
        }
        a.plot = Plot::single(panel);
        return Ok(a);
    }

    let j = map.jacobian(u, v);
    let ad = [map.jvp(u, v, [1.0, 0.0]), map.jvp(u, v, [0.0, 1.0])]; // columns
    let fd = map.finite_differences(u, v, h);
    let sv = svd2(j);
    let trace = j[0][0] + j[1][1];
    let singular = sv.s_min == 0.0;
    let guard = singular || cmp.passes(sv.cond, threshold);
    let article_rule = !singular && sv.cond < threshold;
    let mut fd_err: f64 = 0.0;
    for r in 0..2 {
        for c in 0..2 {
            let e = (fd[r][c] - j[r][c]).abs();
            fd_err = if e.is_nan() { f64::NAN } else { fd_err.max(e) };
        }
    }
    let jvp_col1 = ad[0] == [j[0][0], j[1][0]];
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300);
    let jvp_is_column = close(ad[0][0], j[0][0]) && close(ad[0][1], j[1][0]);
    let jvp_is_row = close(ad[0][0], j[0][0]) && close(ad[0][1], j[0][1]);

    // The image of a small square (true and linearised) and of a small circle.
    let to_input = |i: usize, d: f64| if ang.get(i).copied().unwrap_or(false) { d * RAD_TO_DEG } else { d };
    let base = map.at(u, v);
    let corners = [(0.0, 0.0), (side, 0.0), (side, side), (0.0, side)];
    let per_edge = 16;
    let (mut tx, mut ty) = (Vec::with_capacity(4 * per_edge), Vec::with_capacity(4 * per_edge));
    for e in 0..4 {
        let (a0, b0) = corners[e];
        let (a1, b1) = corners[(e + 1) % 4];
        for k in 0..per_edge {
            let t = k as f64 / per_edge as f64;
            let (du, dv) = (a0 + (a1 - a0) * t, b0 + (b1 - b0) * t);
            let out = map.at(u + to_input(0, du), v + to_input(1, dv));
            tx.push(out[0] - base[0]);
            ty.push(out[1] - base[1]);
        }
    }
    let true_area = polygon_area(&tx, &ty);
    let area_ratio = true_area / (side * side);
    let lin = |du: f64, dv: f64| (j[0][0] * du + j[0][1] * dv, j[1][0] * du + j[1][1] * dv);
    let par: Vec<(f64, f64)> = corners.iter().map(|&(a, b)| lin(a, b)).collect();

    // ---- steps
    let mut steps = Steps::new();
    let at = if typed.is_some() {
        "your matrix".to_string()
    } else {
        format!("{} = {}{}, {} = {}{}", un, num(u), unit(0), vn, num(v), unit(1))
    };
    steps.text(
        "map",
        "The map at the point",
        map.short(),
        at.clone(),
        format!("({}, {}) = ({}, {})", on1, on2, num(base[0]), num(base[1])),
    );
    let jac_formula = match map {
        Map::Polar => "J = [[cos θ, −r sin θ], [sin θ, r cos θ]]",
        Map::Arm { .. } => "J = [[−l₁s₁ − l₂s₁₂, −l₂s₁₂], [l₁c₁ + l₂c₁₂, l₂c₁₂]], s₁₂ = sin(θ₁ + θ₂)",
        Map::Square => "J = [[2x, 0], [y, x]]",
        Map::Swap => "J = [[0, 1], [1, 0]]",
        Map::Mm1 => "J = [[1/(μ − λ)², −1/(μ − λ)²], [1/μ, −λ/μ²]]",
        Map::Matrix(_) => "J = the matrix",
    };
    steps.text(
        "jacobian",
        "Jacobian by hand (rows: outputs, columns: inputs)",
        jac_formula,
        at,
        format!("[[{}, {}], [{}, {}]]", num(j[0][0]), num(j[0][1]), num(j[1][0]), num(j[1][1])),
    );
    steps.num(
        "det",
        "Determinant: the area scale (its sign: the orientation)",
        "det J = j₁₁j₂₂ − j₁₂j₂₁",
        format!("{} × {} − {} × {}", paren(j[0][0]), paren(j[1][1]), paren(j[0][1]), paren(j[1][0])),
        sv.det,
    );
    match map {
        Map::Polar => {
            steps.num(
                "det_formula",
                "… which for polar coordinates is r",
                "det J = r cos²θ + r sin²θ = r",
                format!("r = {}", num(u)),
                u,
            );
        }
        Map::Arm { l1, l2 } => {
            let (s2, _) = sin_cos_deg(v);
            steps.num(
                "det_formula",
                "… which for the arm is l₁l₂ sin θ₂",
                "det J = l₁l₂ sin θ₂",
                format!("{} × {} × sin {}°", num(l1), num(l2), num(v)),
                l1 * l2 * s2,
            );
        }
        Map::Square => {
            steps.num(
                "det_formula",
                "… which here is 2x²",
                "det J = 2x · x − 0 · y",
                format!("2 × {}²", paren(u)),
                2.0 * u * u,
            );
        }
        _ => {}
    }
    steps.num(
        "trace",
        "Trace (the divergence), which is not the determinant",
        "tr J = j₁₁ + j₂₂",
        format!("{} + {}", paren(j[0][0]), paren(j[1][1])),
        trace,
    );
    steps.num(
        "sigma_max",
        "Largest singular value",
        "σ₁ = (√((a + d)² + (c − b)²) + √((a − d)² + (b + c)²))/2",
        "from the entries above",
        sv.s_max,
    );
    steps.num(
        "sigma_min",
        "Smallest singular value",
        "σ₂ = |det J|/σ₁",
        format!("{} / {}", num(sv.det.abs()), num(sv.s_max)),
        sv.s_min,
    );
    steps.text(
        "cond",
        "Condition number",
        "κ = σ₁/σ₂",
        format!("{} / {}", num(sv.s_max), num(sv.s_min)),
        show_cond(sv.cond),
    );
    steps
        .text(
            "guard",
            "Singularity guard: stop when κ is large",
            &format!("κ {} threshold", cmp.symbol()),
            format!("{} {} {}?", show_cond(sv.cond), cmp.symbol(), num(threshold)),
            if guard { "STOP: near-singular" } else { "carry on" },
        )
        .decisive();
    steps.text(
        "article_rule",
        "The article's rule, as written: stop when κ is below the threshold",
        "κ < threshold",
        format!("{} < {}?", show_cond(sv.cond), num(threshold)),
        if article_rule { "would stop (a healthy pose)" } else { "would not stop" },
    );
    steps.text(
        "jvp",
        "Forward-mode AD: one pass with the seed e₁ = (1, 0)",
        "J·e₁ (dual numbers)",
        format!("({}, {})", num(ad[0][0]), num(ad[0][1])),
        if jvp_col1 || jvp_is_column { "= column 1 of J" } else { "differs from column 1" },
    );
    steps.text(
        "row1",
        "Row 1 of J, which a reverse-mode pass with e₁ gives",
        "e₁ᵀ·J",
        format!("({}, {})", num(j[0][0]), num(j[0][1])),
        if jvp_is_row { "equal to the JVP here (J is symmetric in this entry)" } else { "not what forward mode gives" },
    );
    steps.num(
        "fd_error",
        "Central differences against the exact J",
        "max |J_fd − J|",
        format!("h = {}", num(h)),
        fd_err,
    );
    steps.num(
        "area_ratio",
        "Area of the true image of the square ÷ its area",
        "→ |det J| as the square shrinks",
        format!("side {}", num(side)),
        area_ratio,
    );

    // ---- verdict
    let verdict = if sv.s_max == 0.0 {
        Verdict::new(
            Level::Alert,
            "J = 0: every direction collapses",
            "All singular values are 0; the map is locally constant and cannot be inverted.",
        )
    } else if singular {
        Verdict::new(
            Level::Alert,
            "Singular: det J = 0, condition number ∞",
            format!(
                "The square collapses onto a line: σ₁ = {}, σ₂ = 0, and J has no inverse. {}",
                num(sv.s_max),
                match map {
                    Map::Arm { .. } => "The arm is straight or folded (sin θ₂ = 0): the hand cannot move along the arm's line, whatever the joints do.",
                    Map::Polar => "At r = 0 every θ gives the same point.",
                    _ => "",
                }
            ),
        )
    } else if guard {
        Verdict::new(
            Level::Alert,
            format!("STOP: condition number {} {} {}", num(sv.cond), cmp.symbol(), num(threshold)),
            format!(
                "Near-singular: σ₂ = {} against σ₁ = {}; a small error in the outputs becomes an error {} times larger in the inputs. det J = {}.",
                num(sv.s_min),
                num(sv.s_max),
                num(sv.cond),
                num(sv.det)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            format!("Well-conditioned: condition number {} {} {}", num(sv.cond), cmp.negated(), num(threshold)),
            format!(
                "det J = {}: small areas are scaled by {} and orientation is {}. σ = ({}, {}).",
                num(sv.det),
                num(sv.det.abs()),
                if sv.det > 0.0 { "kept" } else { "reversed" },
                num(sv.s_max),
                num(sv.s_min)
            ),
        )
    };
    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    for (id, r, c) in [("j11", 0, 0), ("j12", 0, 1), ("j21", 1, 0), ("j22", 1, 1)] {
        a.push_value(
            id,
            format!("J{} = ∂{}/∂{}", &id[1..], map.output_names()[r], map.input_names()[c]),
            Val::Num(j[r][c]),
            "",
        );
    }
    a.push_value("det", "det J (area scale)", Val::Num(sv.det), "");
    a.push_value("trace", "trace J (divergence)", Val::Num(trace), "");
    a.push_value("sigma_max", "largest singular value σ₁", Val::Num(sv.s_max), "");
    a.push_value("sigma_min", "smallest singular value σ₂", Val::Num(sv.s_min), "");
    a.push_value(
        "cond",
        "condition number σ₁/σ₂",
        if sv.cond.is_nan() { Val::Undefined("J = 0: 0/0".to_string()) } else { Val::Num(sv.cond) },
        "",
    );
    a.push_value("log_abs_det", "log |det J|", Val::Num(ln(sv.det.abs())), "");
    a.push_value(
        "orientation_preserved",
        "orientation kept (det > 0)",
        if sv.det == 0.0 { Val::Undefined("det = 0".to_string()) } else { Val::Bool(sv.det > 0.0) },
        "",
    );
    a.push_value("invertible", "invertible here", Val::Bool(!singular), "");
    a.push_value("guard_trips", "singularity guard stops (κ above the threshold)", Val::Bool(guard), "");
    a.push_value(
        "cond_below_threshold",
        "the article's rule fires (κ below the threshold)",
        Val::Bool(article_rule),
        "",
    );
    a.push_value("jvp_1", "J·e₁ by forward-mode AD, first entry", Val::Num(ad[0][0]), "");
    a.push_value("jvp_2", "J·e₁ by forward-mode AD, second entry", Val::Num(ad[0][1]), "");
    a.push_value("jvp_is_column_1", "J·e₁ is column 1", Val::Bool(jvp_is_column), "");
    a.push_value("jvp_is_row_1", "J·e₁ is row 1", Val::Bool(jvp_is_row), "");
    for (id, r, c) in [("fd_j11", 0, 0), ("fd_j12", 0, 1), ("fd_j21", 1, 0), ("fd_j22", 1, 1)] {
        a.push_value(
            id,
            format!("J{} by central differences", &id[4..]),
            Val::num_or(fd[r][c], "a difference point is outside the domain"),
            "",
        );
    }
    a.push_value(
        "fd_max_error",
        "largest |finite difference − exact|",
        Val::num_or(fd_err, "a difference point is outside the domain"),
        "",
    );
    a.push_value(
        "area_ratio",
        "area of the square's true image ÷ its area",
        Val::num_or(area_ratio, "the image leaves the domain"),
        "",
    );

    // ---- notes
    a.note(NoteLevel::Info, format!("The map: {}.", map.describe()));
    a.note(
        NoteLevel::Info,
        "Forward-mode AD pushes one input direction v through the computation and gets J·v: with v = eⱼ that is column j, so n passes give the n columns. Reverse mode pulls one output weight w back and gets wᵀ·J, a row. The article says forward mode is “used for Jacobian rows”: it is columns.",
    );
    a.note(
        NoteLevel::Info,
        "The condition number rises toward ∞ as the map nears a singular point (σ₂ → 0), so a guard must stop when κ rises above a threshold, or when σ₂ falls below one; the article's “stop when the condition number is below threshold” stops healthy poses and lets singular ones through.",
    );
    if ang.iter().any(|&b| b) {
        a.note(NoteLevel::Info, "Angles are typed in degrees; the derivatives with respect to them are per radian, as in the articles (so det = r for polar coordinates).");
    }
    if let Map::Arm { .. } = map {
        a.note(NoteLevel::Info, "The arm's determinant is l₁l₂ sin θ₂: it is 0 when the arm is straight (θ₂ = 0°) or folded back (θ₂ = ±180°), whatever θ₁ is.");
    }

    let mut table = Table::new(
        "entries",
        "J three ways",
        &["entry", "by hand", "forward-mode AD", "finite difference", "difference"],
    );
    let show = |x: f64| if x.is_finite() { num(x) } else { "undefined".to_string() };
    table.fill(
        4,
        |_| false,
        |i| {
            let (r, c) = (i / 2, i % 2);
            let exact = j.get(r).and_then(|row| row.get(c)).copied().unwrap_or(f64::NAN);
            let by_ad = ad.get(c).and_then(|col| col.get(r)).copied().unwrap_or(f64::NAN);
            let by_fd = fd.get(r).and_then(|row| row.get(c)).copied().unwrap_or(f64::NAN);
            vec![
                format!("∂{}/∂{}", map.output_names()[r.min(1)], map.input_names()[c.min(1)]),
                show(exact),
                show(by_ad),
                show(by_fd),
                show(by_fd - exact),
            ]
        },
    );
    a.tables.push(table);

    a.plot = plot(map, u, v, side, j, sv, threshold, (&tx, &ty), &par);
    Ok(a)
}

#[allow(clippy::too_many_arguments)]
fn plot(
    map: Map,
    u: f64,
    v: f64,
    side: f64,
    j: [[f64; 2]; 2],
    sv: Svd2,
    threshold: f64,
    image: (&[f64], &[f64]),
    par: &[(f64, f64)],
) -> Plot {
    let [on1, on2] = map.output_names();
    let mut top = Panel::new(
        format!("A square of side {} and its image: area × {}", num(side), num(sv.det.abs())),
        Axis::linear(format!("Δ{}", on1)),
        Axis::linear(format!("Δ{}", on2)),
    )
    .equal_aspect();
    let sq_x = vec![0.0, side, side, 0.0];
    let sq_y = vec![0.0, 0.0, side, side];
    top.push(Layer::polygon(sq_x, sq_y, Role::Alternative, "the square (inputs)"));
    top.push(Layer::polygon(
        par.iter().map(|p| p.0).collect::<Vec<_>>(),
        par.iter().map(|p| p.1).collect::<Vec<_>>(),
        Role::Band,
        if sv.det < 0.0 { "J · square (orientation flipped)" } else { "J · square" },
    ));
    let (ix, iy) = image;
    let mut cx: Vec<f64> = ix.to_vec();
    let mut cy: Vec<f64> = iy.to_vec();
    if let (Some(&x0), Some(&y0)) = (ix.first(), iy.first()) {
        cx.push(x0);
        cy.push(y0);
    }
    top.push(Layer::line(cx, cy, Role::Model, "true image f(p + square) − f(p)"));
    // The image of a circle of radius side/2 about the square's centre: an ellipse whose
    // semi-axes are σ₁·side/2 and σ₂·side/2.
    let n = 72;
    let (mut ex, mut ey) = (Vec::with_capacity(n + 1), Vec::with_capacity(n + 1));
    let centre = (side / 2.0, side / 2.0);
    let (cxj, cyj) = (j[0][0] * centre.0 + j[0][1] * centre.1, j[1][0] * centre.0 + j[1][1] * centre.1);
    for i in 0..=n {
        let (s, c) = sin_cos(2.0 * std::f64::consts::PI * i as f64 / n as f64);
        let (du, dv) = (side / 2.0 * c, side / 2.0 * s);
        ex.push(cxj + j[0][0] * du + j[0][1] * dv);
        ey.push(cyj + j[1][0] * du + j[1][1] * dv);
    }
    top.push(Layer::line(
        ex,
        ey,
        Role::Threshold,
        format!("image of a circle: axes σ₁ = {}, σ₂ = {}", num(sv.s_max), num(sv.s_min)),
    ));
    top.push(Layer::segment(0.0, 0.0, j[0][0] * side, j[1][0] * side, Role::Data, "").no_fit());
    top.push(Layer::text(j[0][0] * side, j[1][0] * side, "J e₁"));
    top.push(Layer::text(j[0][1] * side, j[1][1] * side, "J e₂"));
    top.push(Layer::points(vec![0.0], vec![0.0], Role::Highlight, ""));
    top.weight = 1.6;

    // Sweep one input toward the singular points.
    let sweep: Option<(String, bool, Vec<f64>, f64)> = match map {
        Map::Polar => {
            let rs: Vec<f64> = (0..=200).map(|i| crate::elementary::pow10(-3.0 + 5.0 * i as f64 / 200.0)).collect();
            Some(("r (log scale), θ fixed".to_string(), true, rs, u))
        }
        Map::Arm { .. } => {
            Some(("θ₂ (°), θ₁ fixed".to_string(), false, (0..=360).map(|i| -180.0 + i as f64).collect(), v))
        }
        Map::Square => {
            let w = u.abs().max(1.0) * 2.0;
            Some(("x, y fixed".to_string(), false, (0..=240).map(|i| u - w + 2.0 * w * i as f64 / 240.0).collect(), u))
        }
        Map::Mm1 => Some(("λ, μ fixed".to_string(), false, (0..240).map(|i| v * i as f64 / 240.0).collect(), u)),
        Map::Swap | Map::Matrix(_) => None,
    };
    let Some((label, log_x, xs, current)) = sweep else {
        return Plot::single(top);
    };
    let jac_at = |s: f64| match map {
        Map::Polar => map.jacobian(s, v),
        Map::Arm { .. } => map.jacobian(u, s),
        Map::Square => map.jacobian(s, v),
        _ => map.jacobian(s, v),
    };
    let clean = |x: f64| if x.is_finite() && x > 0.0 { x } else { f64::NAN };
    let conds: Vec<f64> = xs.iter().map(|&s| clean(svd2(jac_at(s)).cond)).collect();
    let dets: Vec<f64> = xs.iter().map(|&s| clean(svd2(jac_at(s)).det.abs())).collect();
    let here = svd2(jac_at(current));
    let mut bottom = Panel::new(
        "Toward the singular points: κ rises, |det| falls",
        if log_x { Axis::log(label) } else { Axis::linear(label) },
        Axis::log("κ and |det J| (log scale)"),
    );
    let finite_conds: Vec<f64> = conds.iter().copied().filter(|c| c.is_finite()).collect();
    let top_c =
        finite_conds.iter().copied().fold(threshold * 10.0, f64::max).min(threshold * 1e4).max(threshold * 10.0);
    let low = dets.iter().copied().filter(|d| d.is_finite()).fold(1.0f64, f64::min).max(top_c * 1e-8);
    bottom.y = bottom.y.clone().with_range(low / 2.0, top_c);
    bottom.push(Layer::hspan(threshold, top_c * 10.0, "guard stops (κ above the threshold)").no_fit());
    bottom.push(Layer::hline(threshold, Role::Threshold, format!("threshold {}", num(threshold))));
    bottom.push(Layer::line(xs.clone(), conds, Role::Data, "condition number κ"));
    bottom.push(Layer::line(xs, dets, Role::Alternative, "|det J|"));
    let (mut px, mut py) = (Vec::new(), Vec::new());
    for y in [clean(here.cond), clean(here.det.abs())] {
        if y.is_finite() {
            px.push(current);
            py.push(y);
        }
    }
    if px.is_empty() {
        bottom.push(Layer::vline(current, Role::Flagged, "singular here"));
    } else {
        bottom.push(Layer::points(px, py, Role::Highlight, "this point"));
    }
    Plot::independent(vec![top, bottom])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    fn run_with(params: Params) -> Analysis {
        crate::analyze("jacobian", Input::new(), &params).unwrap()
    }

    #[test]
    fn polar_at_r2_theta_60() {
        let a = run_with(Params::new());
        assert!((a.number("det").unwrap() - 2.0).abs() < 1e-15);
        assert!((a.number("sigma_max").unwrap() - 2.0).abs() < 1e-15);
        assert!((a.number("sigma_min").unwrap() - 1.0).abs() < 1e-15);
        assert!((a.number("cond").unwrap() - 2.0).abs() < 1e-14);
        assert_eq!(a.value("jvp_is_column_1"), Some(&Val::Bool(true)));
        assert_eq!(a.value("jvp_is_row_1"), Some(&Val::Bool(false)));
    }

    #[test]
    fn the_arm_near_and_at_its_singular_pose() {
        let arm = |deg: f64| run_with(Params::new().with("map", "arm").with("u", 0.0).with("v", deg));
        assert!((arm(90.0).number("cond").unwrap() - 2.618033988749895).abs() < 1e-12);
        assert!((arm(5.0).number("cond").unwrap() - 57.2637812974).abs() < 1e-8);
        let a = arm(0.0);
        assert_eq!(a.number("cond"), Some(f64::INFINITY));
        assert_eq!(a.number("det"), Some(0.0));
        assert_eq!(a.verdict.level, Level::Alert);
    }

    #[test]
    fn a_typed_matrix_with_a_zero_row_is_singular() {
        let input = Input::new().with("matrix.c1", vec![1.0, 0.0]).with("matrix.c2", vec![2.0, 0.0]);
        let a = crate::analyze("jacobian", input, &Params::new()).unwrap();
        assert_eq!(a.number("det"), Some(0.0));
        assert_eq!(a.number("cond"), Some(f64::INFINITY));
        let input = Input::new().with("matrix.c1", vec![1.0, 0.0, 3.0]).with("matrix.c2", vec![2.0, 0.0, 1.0]);
        assert!(crate::analyze("jacobian", input, &Params::new()).is_err());
    }
}
