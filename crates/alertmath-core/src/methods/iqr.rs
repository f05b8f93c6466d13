//! Tukey's fences: flag values beyond Q1 − c·IQR or Q3 + c·IQR.
//!
//! The quartiles depend on the quantile definition, which the guide does not name: its
//! numbers are Tukey's hinges; numpy, pandas and Prometheus use Hyndman–Fan type 7.
//! All nine types and the hinges are a choice here.

use super::common::{flagged_points, n_points, positions, sample_field, Compare, DATA};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, list, num};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, MethodSpec, ParamKind, ParamSpec, COMPARE_CHOICES};
use crate::stats::{quantile, sorted, QuantileDef};

/// The quantile definitions offered wherever a method takes quartiles or percentiles.
pub const QUANTILE_CHOICES: &[Choice] = &[
    Choice { id: "tukey", label: "Tukey's hinges (the guide)" },
    Choice { id: "1", label: "type 1: inverse of the ECDF" },
    Choice { id: "2", label: "type 2: inverse ECDF, averaged at steps" },
    Choice { id: "3", label: "type 3: nearest even order statistic (SAS)" },
    Choice { id: "4", label: "type 4: linear in the ECDF" },
    Choice { id: "5", label: "type 5: piecewise linear, midpoints" },
    Choice { id: "6", label: "type 6: p(n + 1) (Minitab, Excel QUARTILE.EXC)" },
    Choice { id: "7", label: "type 7: 1 + p(n − 1) (numpy, pandas, Prometheus, R default)" },
    Choice { id: "8", label: "type 8: median-unbiased (Hyndman–Fan's pick)" },
    Choice { id: "9", label: "type 9: normal-unbiased" },
];

/// Parses a choice of [`QUANTILE_CHOICES`].
pub fn quantile_def(id: &str) -> QuantileDef {
    match id {
        "tukey" => QuantileDef::TukeyHinges,
        other => QuantileDef::HyndmanFan(other.parse().unwrap_or(7)),
    }
}

/// A readable name of a quantile definition, for steps and notes.
pub fn quantile_name(def: QuantileDef) -> String {
    match def {
        QuantileDef::TukeyHinges => "Tukey's hinges".to_string(),
        QuantileDef::HyndmanFan(t) => format!("type {}", t),
    }
}

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "iqr",
        name: "Interquartile range (Tukey's fences)",
        summary: "Flags values beyond Q1 − c·IQR or Q3 + c·IQR, fences built from the middle half of the data.",
        fields: &[sample_field(2)],
        params: &[
            ParamSpec {
                id: "multiplier",
                label: "Fence multiplier c",
                unit: "× IQR",
                help: "1.5 is Tukey's inner fence (“outlier”), 3 his outer fence (“far out”).",
                kind: number(1.5, 0.1, 10.0, 0.1),
            },
            ParamSpec {
                id: "quantile",
                label: "Quartile definition",
                unit: "",
                help: "The guide's Q1 = 12, Q3 = 16 are Tukey's hinges; numpy and Prometheus use type 7.",
                kind: ParamKind::Choice { default: "tukey", options: QUANTILE_CHOICES },
            },
            ParamSpec {
                id: "side",
                label: "Fences",
                unit: "",
                help: "Both fences, or only the upper one (as the guide's PromQL) or the lower one.",
                kind: ParamKind::Choice {
                    default: "both",
                    options: &[
                        Choice { id: "both", label: "both" },
                        Choice { id: "upper", label: "upper only" },
                        Choice { id: "lower", label: "lower only" },
                    ],
                },
            },
            ParamSpec {
                id: "compare",
                label: "Comparison",
                unit: "",
                help: "Whether a value exactly on a fence counts as outside: the guide tests 1000 > 22.",
                kind: ParamKind::Choice { default: "gt", options: COMPARE_CHOICES },
            },
        ],
    },
    run,
};

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let c = p.num("multiplier")?;
    let def = quantile_def(p.choice("quantile")?);
    let side = p.choice("side")?;
    let cmp = Compare::from_params(p)?;
    let (upper_on, lower_on) = (side != "lower", side != "upper");
    let xs = input.col(DATA);
    let n = xs.len();
    let s = sorted(xs);
    let q1 = quantile(&s, 0.25, def);
    let q2 = quantile(&s, 0.5, QuantileDef::HyndmanFan(7));
    let q3 = quantile(&s, 0.75, def);
    let iqr = q3.value - q1.value;
    let lower = q1.value - c * iqr;
    let upper = q3.value + c * iqr;
    let outside = |x: f64| (upper_on && cmp.passes(x, upper)) || (lower_on && cmp.passes(-x, -lower));
    let flags: Vec<bool> = xs.iter().map(|&x| outside(x)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    // Score: how many IQRs beyond the nearer quartile (0 inside the box).
    let scores: Vec<f64> = xs
        .iter()
        .map(|&x| {
            let beyond = if x > q3.value {
                x - q3.value
            } else if x < q1.value {
                x - q1.value
            } else {
                0.0
            };
            if beyond == 0.0 {
                0.0
            } else if iqr > 0.0 {
                beyond / iqr
            } else {
                beyond.signum() * f64::INFINITY
            }
        })
        .collect();

    let mut steps = Steps::new();
    steps.text("sort", "Sort the data", "x₍₁₎ ≤ x₍₂₎ ≤ … ≤ x₍ₙ₎", format!("n = {}", count(n)), list(&s, 12));
    for (id, name, q) in [("q1", "Q1 (25th percentile)", &q1), ("q3", "Q3 (75th percentile)", &q3)] {
        let pick = if q.lo == q.hi || q.g == 0.0 {
            format!("x₍{}₎ = {}", q.lo, num(s.get(q.lo.saturating_sub(1)).copied().unwrap_or(f64::NAN)))
        } else if q.g == 1.0 {
            format!("x₍{}₎ = {}", q.hi, num(s.get(q.hi.saturating_sub(1)).copied().unwrap_or(f64::NAN)))
        } else {
            format!(
                "{}; x₍{}₎ + {}·(x₍{}₎ − x₍{}₎) = {} + {}·({} − {})",
                q.position,
                q.lo,
                num(q.g),
                q.hi,
                q.lo,
                num(s.get(q.lo.saturating_sub(1)).copied().unwrap_or(f64::NAN)),
                num(q.g),
                num(s.get(q.hi.saturating_sub(1)).copied().unwrap_or(f64::NAN)),
                num(s.get(q.lo.saturating_sub(1)).copied().unwrap_or(f64::NAN))
            )
        };
        let formula = format!("{} by {}", &name[..2], quantile_name(def));
        let substitution =
            if q.lo == q.hi || q.g == 0.0 || q.g == 1.0 { format!("{}; {}", q.position, pick) } else { pick };
        steps.num(id, name, &formula, substitution, q.value);
    }
    steps.num("iqr", "Interquartile range", "IQR = Q3 − Q1", format!("{} − {}", num(q3.value), num(q1.value)), iqr);
    if lower_on {
        steps.num(
            "lower",
            "Lower fence",
            "Q1 − c·IQR",
            format!("{} − {} × {}", num(q1.value), num(c), num(iqr)),
            lower,
        );
    }
    if upper_on {
        steps.num(
            "upper",
            "Upper fence",
            "Q3 + c·IQR",
            format!("{} + {} × {}", num(q3.value), num(c), num(iqr)),
            upper,
        );
    }
    let extreme =
        xs.iter().enumerate().max_by(|a, b| scores[a.0].abs().total_cmp(&scores[b.0].abs())).map(|(i, &x)| (i, x));
    if let Some((i, x)) = extreme {
        let (fence, sym) = if x >= q3.value || !lower_on { (upper, ">") } else { (lower, "<") };
        let flagged_here = flags.get(i).copied().unwrap_or(false);
        steps
            .text(
                "test",
                &format!("Test the most extreme point ({}, position {})", num(x), i + 1),
                &format!("x {} fence{}", sym, if cmp == Compare::Ge { " (or equal)" } else { "" }),
                format!("{} {} {}?", num(x), sym, num(fence)),
                if flagged_here { "yes: outside the fence" } else { "no: inside the fences" },
            )
            .decisive();
    }

    let verdict = if flagged > 0 {
        let shown: Vec<String> = xs.iter().zip(&flags).filter(|(_, &f)| f).take(6).map(|(&x, _)| num(x)).collect();
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} outside the fences", n_points(flagged)),
            format!(
                "{}{} outside [{}, {}]",
                shown.join(", "),
                if flagged > 6 { ", …" } else { "" },
                if lower_on { num(lower) } else { "−∞".to_string() },
                if upper_on { num(upper) } else { "∞".to_string() }
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "No point outside the fences",
            format!(
                "All {} values lie within [{}, {}].",
                count(n),
                if lower_on { num(lower) } else { "−∞".to_string() },
                if upper_on { num(upper) } else { "∞".to_string() }
            ),
        )
    };
    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("q1", "Q1", Val::Num(q1.value), "");
    a.push_value("median", "median (type 7)", Val::Num(q2.value), "");
    a.push_value("q3", "Q3", Val::Num(q3.value), "");
    a.push_value("iqr", "IQR", Val::Num(iqr), "");
    a.push_value("lower_fence", "lower fence", Val::Num(lower), "");
    a.push_value("upper_fence", "upper fence", Val::Num(upper), "");
    a.push_value("flagged", "points outside", Val::Int(flagged as i64), "");

    if iqr == 0.0 {
        a.note(
            NoteLevel::Caveat,
            "IQR = 0: at least half the values are equal, so both fences sit on that value and every other value counts as outside.",
        );
    }
    if n < 8 {
        a.note(
            NoteLevel::Info,
            format!(
                "With only {} values the quartile definitions disagree: types 6, 8 and 9 interpolate toward the extreme values, so an outlier can move its own fence.",
                n
            ),
        );
    }

    let mut table = Table::new("points", "Each point", &["#", "x", "IQRs beyond the box", "outside"]);
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            vec![
                (i + 1).to_string(),
                num(xs.get(i).copied().unwrap_or(f64::NAN)),
                num(scores.get(i).copied().unwrap_or(f64::NAN)),
                if flags.get(i).copied().unwrap_or(false) { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    let x = positions(n);
    let mut panel = Panel::new("", Axis::linear("position"), Axis::linear("value"));
    panel.push(Layer::hspan(q1.value, q3.value, "Q1 to Q3"));
    if upper_on {
        panel.push(Layer::hline(upper, Role::Threshold, format!("fences (c = {})", num(c))));
    }
    if lower_on {
        panel.push(Layer::hline(
            lower,
            Role::Threshold,
            if upper_on { String::new() } else { format!("fence (c = {})", num(c)) },
        ));
    }
    panel.push(Layer::hline(q2.value, Role::Center, "median"));
    let y: Column = xs.into();
    let [data, flagged_layer] = flagged_points(&x, &y, &flags);
    panel.push(data);
    panel.push(flagged_layer);
    a.plot = Plot::single(panel);
    a.points = Some(Points { x, y, score: scores, flag: flags, score_label: "IQRs beyond the box".to_string() });
    Ok(a)
}
