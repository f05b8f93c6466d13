//! Grubbs' test (1950): is the most extreme value of a normal sample too far from the
//! mean to belong to it? G = |x − x̄| / s against a critical value from Student's t with
//! n − 2 degrees of freedom.
//!
//! Open conventions are parameters: one- or two-sided (the largest, the smallest, or the
//! value furthest from the mean), α, and the standard deviation (Grubbs' sample SD; the
//! population SD of PromQL's `stddev_over_time`, with the critical value converted or,
//! as the guide's query does, not). The analysis reports the ceiling (n − 1)/√n that G
//! cannot exceed, the equivalent t statistic and the p-value.

use super::common::{flagged_points, positions, sample_field, Compare, DATA};
use super::extreme::{
    all_equal, equivalent_t, grubbs_ceiling, grubbs_critical, moments, t_sf, Frame, SdMode, ALPHA_PARAM, SD_PARAM,
};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{Choice, MethodSpec, ParamKind, ParamSpec};

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "grubbs",
        name: "Grubbs' test",
        summary: "Tests whether the most extreme value of a normal sample is an outlier: G = |x − x̄|/s against a critical value from Student's t.",
        fields: &[sample_field(3)],
        params: &[
            ParamSpec {
                id: "side",
                label: "Tested value",
                unit: "",
                help: "The guide tests the value furthest from the mean (two-sided) but quotes the one-sided critical value 1.67.",
                kind: ParamKind::Choice {
                    default: "both",
                    options: &[
                        Choice { id: "both", label: "furthest from the mean (two-sided, α/2n)" },
                        Choice { id: "max", label: "the largest value (one-sided, α/n)" },
                        Choice { id: "min", label: "the smallest value (one-sided, α/n)" },
                    ],
                },
            },
            ALPHA_PARAM,
            SD_PARAM,
        ],
    },
    run,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Both,
    Max,
    Min,
}

impl Side {
    fn two_sided(self) -> bool {
        self == Side::Both
    }

    fn tail_formula(self) -> &'static str {
        if self.two_sided() {
            "α / (2n)"
        } else {
            "α / n"
        }
    }
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let side = match p.choice("side")? {
        "max" => Side::Max,
        "min" => Side::Min,
        _ => Side::Both,
    };
    let alpha = p.num("alpha")?;
    let mode = SdMode::from_params(p)?;
    let xs = input.col(DATA);
    let n = xs.len();
    let nf = n as f64;

    // Statistics on the data moved to a nearby origin and scaled (see `Frame`).
    let frame = Frame::of(xs);
    let ys = frame.apply(xs);
    let no_spread = all_equal(xs);
    let (m_s, ss_s) = moments(&ys);
    // Equal values such as 0.1 can leave a few ulps of "spread"; there is none.
    let ss_s = if no_spread { 0.0 } else { ss_s };
    let mean = frame.location(m_s);
    let sd_sample_s = (ss_s / (nf - 1.0)).sqrt();
    let sd_pop_s = (ss_s / nf).sqrt();

    // The tested point: the largest, the smallest, or whichever is further from the mean
    // (the largest when both are equally far). Among equal values: the last of the
    // largest and the first of the smallest, as in the generalized ESD.
    let mut i_max = 0usize;
    let mut i_min = 0usize;
    for (i, &y) in ys.iter().enumerate() {
        if ys.get(i_max).is_some_and(|&best| y >= best) {
            i_max = i;
        }
        if ys.get(i_min).is_some_and(|&best| y < best) {
            i_min = i;
        }
    }
    let y_at = |i: usize| ys.get(i).copied().unwrap_or(f64::NAN);
    let test = match side {
        Side::Max => i_max,
        Side::Min => i_min,
        Side::Both => {
            if y_at(i_max) - m_s >= m_s - y_at(i_min) {
                i_max
            } else {
                i_min
            }
        }
    };
    let x_test = xs.get(test).copied().unwrap_or(f64::NAN);
    let d_s = y_at(test) - m_s;
    // The one-sided statistic is signed (the largest value below the mean cannot be one),
    // which only matters for data without spread; elsewhere G = |x − x̄| / s.
    let g_sample = if no_spread { f64::NAN } else { d_s.abs() / sd_sample_s };
    let g = g_sample * mode.stat_factor(n);
    let ceiling = grubbs_ceiling(n) * mode.stat_factor(n);
    let crit = grubbs_critical(n, alpha, side.two_sided());
    let g_crit = crit.g * mode.crit_factor(n);
    let significant = !no_spread && Compare::Gt.passes(g, g_crit);

    // The equivalent t and the p-value, from the others' own spread (no cancellation).
    let others: Vec<f64> = ys.iter().enumerate().filter(|&(i, _)| i != test).map(|(_, &y)| y).collect();
    let others_tied = all_equal(&others);
    // G reaches its ceiling exactly when the other n − 1 values are all equal.
    let at_ceiling = !no_spread && others_tied;
    let ss_others = if others_tied { 0.0 } else { moments(&others).1 };
    let t_stat = if no_spread { f64::NAN } else { equivalent_t(n, d_s, ss_others) };
    let multiplier = if side.two_sided() { 2.0 * nf } else { nf };
    let p_value = if no_spread { f64::NAN } else { (multiplier * t_sf(t_stat, nf - 2.0)).min(1.0) };
    // n·P(T > t) is exact when two points cannot both be that far out, a bound otherwise.
    let exact_bound = if side.two_sided() { (nf - 1.0) / 2.0 } else { (nf - 1.0) * (nf - 2.0) / (2.0 * nf) };
    let g2 = g_sample * g_sample;
    let p_exact = g2 > exact_bound || super::common::ties(g2, exact_bound);

    let sd_s = if mode.is_population() { sd_pop_s } else { sd_sample_s };
    let sd = frame.spread(sd_s);
    let sd_name = mode.divisor();
    let what = match side {
        Side::Both => "furthest from the mean",
        Side::Max => "the largest value",
        Side::Min => "the smallest value",
    };

    let mut steps = Steps::new();
    steps.num("n", "Number of points", "n", count(n), nf);
    let terms = if n <= 12 {
        xs.iter().map(|&x| num(x)).collect::<Vec<_>>().join(" + ")
    } else {
        format!("Σx over {} points", count(n))
    };
    steps.num("mean", "Mean", "x̄ = Σx / n", format!("({}) / {}", terms, n), mean);
    steps.num(
        "sd",
        "Standard deviation",
        &format!("s = √(Σ(x − x̄)² / ({}))", sd_name),
        format!(
            "√({} / {})",
            num(frame.spread(frame.spread(ss_s))),
            num(if mode.is_population() { nf } else { nf - 1.0 })
        ),
        sd,
    );
    steps.text(
        "suspect",
        "Suspect",
        match side {
            Side::Both => "the value furthest from x̄",
            Side::Max => "the largest value",
            Side::Min => "the smallest value",
        },
        format!("position {} of {}", test + 1, count(n)),
        num(x_test),
    );
    let g_step = steps.num(
        "g",
        "Grubbs statistic",
        "G = |x − x̄| / s",
        format!("|{} − {}| / {}", num(x_test), paren(mean), num(sd)),
        g,
    );
    if no_spread {
        g_step.shown("undefined (0/0: every value is the same)");
    }
    steps.num(
        "ceiling",
        "Largest G possible with n points",
        if mode.is_population() { "G ≤ √(n − 1)" } else { "G ≤ (n − 1) / √n" },
        if mode.is_population() { format!("√{}", n - 1) } else { format!("{} / √{}", n - 1, n) },
        ceiling,
    );
    steps
        .num(
            "tail",
            "Upper tail of t",
            &format!("p = {}", side.tail_formula()),
            if side.two_sided() { format!("{} / (2 × {})", num(alpha), n) } else { format!("{} / {}", num(alpha), n) },
            crit.tail,
        )
        .shown(crate::fmt::sig(crit.tail, 6));
    steps.num(
        "t_crit",
        "Student's t quantile",
        "t = t(p; n − 2 degrees of freedom)",
        format!("upper {} point of t with {} d.f.", crate::fmt::sig(crit.tail, 4), n - 2),
        crit.t,
    );
    let crit_formula = match mode {
        SdMode::Sample => "G_crit = (n − 1)/√n · √(t² / (n − 2 + t²))",
        SdMode::Population => "G_crit = √(n/(n − 1)) · (n − 1)/√n · √(t² / (n − 2 + t²))",
        SdMode::PopulationUnadjusted => "G_crit = (n − 1)/√n · √(t² / (n − 2 + t²)) (the sample-SD value)",
    };
    let crit_sub = format!(
        "{}{} / √{} · √({}² / ({} + {}²))",
        if mode == SdMode::Population { format!("√({}/{}) · ", n, n - 1) } else { String::new() },
        n - 1,
        n,
        num(crit.t),
        n - 2,
        num(crit.t)
    );
    steps.num("g_crit", "Critical value", crit_formula, crit_sub, g_crit);
    steps
        .text(
            "decision",
            "Outlier?",
            "G > G_crit",
            format!("{} > {}?", num(g), num(g_crit)),
            if no_spread {
                "undefined: no spread"
            } else if significant {
                "yes: significant"
            } else {
                "no: not significant"
            },
        )
        .decisive();
    let t_step = steps.num(
        "t_stat",
        "Equivalent t (the suspect against the mean and SD of the others)",
        "t = |x − x̄| · √(n(n − 2) / ((n − 1) · Σ₋ᵢ(x − x̄₋ᵢ)²))",
        format!(
            "{} · √({} / ({} · {}))",
            num(frame.spread(d_s.abs())),
            n * (n - 2),
            n - 1,
            num(frame.spread(frame.spread(ss_others)))
        ),
        t_stat,
    );
    if t_stat == f64::INFINITY {
        t_step.shown("∞ (the other values are all equal)");
    }
    steps
        .num(
            "p",
            "p-value",
            if side.two_sided() { "p = min(1, 2n · P(T > t))" } else { "p = min(1, n · P(T > t))" },
            format!("{} × P(T_{} > {})", num(multiplier), n - 2, num(t_stat)),
            p_value,
        )
        .shown(if p_value.is_nan() { "undefined".to_string() } else { crate::fmt::sig(p_value, 4) });

    let verdict = if no_spread {
        Verdict::new(
            Level::Undefined,
            "No spread: G is undefined",
            format!("Every value equals {}, so s = 0 and G = |x − x̄|/s is 0/0; there is nothing to test.", num(mean)),
        )
    } else if significant {
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} is an outlier", num(x_test)),
            format!(
                "G = {} > G_crit = {} (α = {}, {}); p = {}.",
                num(g),
                num(g_crit),
                num(alpha),
                if side.two_sided() { "two-sided" } else { "one-sided" },
                crate::fmt::sig(p_value, 3)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "No outlier",
            format!(
                "{}, {} (position {}), has G = {} ≤ G_crit = {}; p = {}.",
                upper_first(what),
                num(x_test),
                test + 1,
                num(g),
                num(g_crit),
                crate::fmt::sig(p_value, 3)
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("n", "n", Val::Int(n as i64), "");
    a.push_value("mean", "mean x̄", Val::Num(mean), "");
    a.push_value("sd", format!("standard deviation s (÷ {})", sd_name), Val::Num(sd), "");
    a.push_value("sd_sample", "sample SD (÷ n − 1)", Val::Num(frame.spread(sd_sample_s)), "");
    a.push_value("sd_population", "population SD (÷ n)", Val::Num(frame.spread(sd_pop_s)), "");
    a.push_value("suspect", "suspect value", Val::Num(x_test), "");
    a.push_value("suspect_position", "its position", Val::Int(test as i64 + 1), "");
    a.push_value("g", "Grubbs statistic G", Val::num_or(g, "s = 0"), "");
    a.push_value("g_ceiling", "largest G possible", Val::Num(ceiling), "");
    a.push_value("t_crit", "t quantile", Val::num_or(crit.t, "outside the t table"), "");
    a.push_value("g_crit", "critical value G_crit", Val::num_or(g_crit, "outside the t table"), "");
    a.push_value("t_stat", "equivalent t", Val::num_or(t_stat, "s = 0"), "");
    a.push_value("p_value", "p-value", Val::num_or(p_value, "s = 0"), "");
    a.push_value("p_exact", "p-value is exact (not a bound)", Val::Bool(p_exact && !no_spread), "");
    a.push_value("significant", "outlier at level α", Val::Bool(significant), "");
    a.push_value("flagged", "flagged points", Val::Int(i64::from(significant)), "");

    if at_ceiling {
        a.note(
            NoteLevel::Caveat,
            format!(
                "G is at its ceiling: the other {} values are all equal, so any difference at all, however small, gives G = {} and p = 0. Grubbs' test assumes continuous normal data; repeated values (quantised metrics, counters, a flat baseline) break that assumption.",
                n - 1,
                num(ceiling)
            ),
        );
    } else if !no_spread && n <= 10 {
        a.note(
            NoteLevel::Info,
            format!(
                "With n = {}, G can never exceed {}; the critical value {} leaves a window of only {} between “significant” and impossible.",
                n,
                num(ceiling),
                num(g_crit),
                num(ceiling - g_crit)
            ),
        );
    }
    if !no_spread && !p_exact && p_value < 1.0 {
        a.note(
            NoteLevel::Info,
            "The p-value is a Bonferroni bound (n or 2n times P(T > t)): exact only when two points cannot both be this far out, otherwise slightly above the true p-value. The critical value comes from the same bound, so the test is, if anything, conservative.",
        );
    }
    if mode == SdMode::PopulationUnadjusted {
        a.note(
            NoteLevel::Warning,
            format!(
                "G divides by the population SD but meets the sample-SD critical value, as a PromQL query with stddev_over_time and a Grubbs table does. G is {} times too large for that table, so the test fires more often than α; here the consistent critical value is {}.",
                num(super::extreme::population_factor(n)),
                num(crit.g * super::extreme::population_factor(n))
            ),
        );
    }
    if n == 3 {
        a.note(
            NoteLevel::Info,
            "With n = 3 the t-distribution has n − 2 = 1 degree of freedom: it is the Cauchy distribution. For any larger n it is not.",
        );
    }
    a.note(
        NoteLevel::Info,
        "Grubbs' test assumes the data are normal apart from at most one outlier. It tests one point only: a second outlier inflates s and can hide both (masking); the generalized ESD tests several.",
    );

    // Per point: the signed distance from the mean in SDs; only the tested point can be flagged.
    let factor = mode.stat_factor(n);
    let scores: Vec<f64> =
        if no_spread { vec![f64::NAN; n] } else { ys.iter().map(|&y| (y - m_s) / sd_sample_s * factor).collect() };
    let flags: Vec<bool> = (0..n).map(|i| significant && i == test).collect();

    let mut table = Table::new("points", "Each point", &["#", "x", "x − x̄", "|x − x̄| / s", "tested"]);
    table.fill(
        n,
        |i| i == test,
        |i| {
            let z = scores.get(i).copied().unwrap_or(f64::NAN);
            vec![
                (i + 1).to_string(),
                num(xs.get(i).copied().unwrap_or(f64::NAN)),
                num(frame.spread(y_at(i) - m_s)),
                if z.is_nan() { "undefined".to_string() } else { num(z.abs()) },
                if i != test {
                    String::new()
                } else if significant {
                    "outlier".to_string()
                } else {
                    "suspect".to_string()
                },
            ]
        },
    );
    a.tables.push(table);

    let x = positions(n);
    let mut panel = Panel::new("", Axis::linear("position"), Axis::linear("value"));
    if !no_spread {
        let reach = ceiling * sd;
        let line = g_crit * sd;
        let (up, down) = match side {
            Side::Both => (true, true),
            Side::Max => (true, false),
            Side::Min => (false, true),
        };
        let label = format!(
            "x̄ {} G_crit·s (α = {})",
            if up && down {
                "±"
            } else if up {
                "+"
            } else {
                "−"
            },
            num(alpha)
        );
        if up {
            panel.push(Layer::hline(mean + line, Role::Threshold, label.clone()));
        }
        if down {
            panel.push(Layer::hline(mean - line, Role::Threshold, if up { String::new() } else { label.clone() }));
        }
        let ceiling_label = "ceiling: largest G possible";
        // The ceiling matters where it is close to the critical value (small n).
        let show_ceiling = reach <= 1.5 * line;
        if up && show_ceiling {
            panel.push(Layer::hline(mean + reach, Role::Alternative, ceiling_label).no_fit());
        }
        if down && show_ceiling {
            panel.push(Layer::hline(mean - reach, Role::Alternative, if up { "" } else { ceiling_label }).no_fit());
        }
        let pos = (test + 1) as f64;
        panel.push(Layer::segment(pos, mean, pos, x_test, Role::Marker, ""));
        panel.push(Layer::text(pos, x_test, format!("G = {}", crate::fmt::sig(g, 4))));
    }
    panel.push(Layer::hline(mean, Role::Center, "mean x̄"));
    let y: Column = xs.into();
    let [data, flagged_layer] = flagged_points(&x, &y, &flags);
    panel.push(data);
    panel.push(flagged_layer);
    a.plot = Plot::single(panel);
    a.points = Some(Points { x, y, score: scores, flag: flags, score_label: "(x − x̄) / s".to_string() });
    Ok(a)
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::{analyze, ErrorKind, Input, Level, Params, Val};

    fn run(data: &[f64], params: Params) -> crate::Analysis {
        analyze("grubbs", Input::new().with("data", data.to_vec()), &params).unwrap()
    }

    #[test]
    fn the_guide_at_its_ceiling() {
        let a = run(&[10.0, 10.0, 10.0, 10.0, 50.0], Params::new());
        assert_eq!(a.verdict.level, Level::Alert);
        assert!((a.number("g").unwrap() - 4.0 / 5f64.sqrt()).abs() < 1e-15);
        assert_eq!(a.value("t_stat"), Some(&Val::Num(f64::INFINITY)));
        assert_eq!(a.number("p_value"), Some(0.0));
        assert!(a.notes.iter().any(|n| n.text.contains("ceiling")));
        // A hair above the rest gets the same G.
        let b = run(&[10.0, 10.0, 10.0, 10.0, 10.001], Params::new());
        assert!((b.number("g").unwrap() - a.number("g").unwrap()).abs() < 1e-12);
    }

    #[test]
    fn degenerate_data_are_explained() {
        let a = run(&[0.1, 0.1, 0.1], Params::new());
        assert_eq!(a.verdict.level, Level::Undefined);
        assert!(matches!(a.value("g"), Some(Val::Undefined(_))));
        assert_eq!(a.number("sd"), Some(0.0));
        let e =
            analyze("grubbs", Input::new().with("data", vec![1.0, f64::NAN, 3.0, 4.0]), &Params::new()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFinite);
        let e = analyze("grubbs", Input::new().with("data", vec![1.0, 2.0]), &Params::new()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooFew);
    }

    #[test]
    fn three_points_use_the_cauchy_distribution() {
        let a = run(&[1.0, 2.0, 4.0], Params::new());
        // t with 1 d.f. at α/2n = 0.05/6 is cot(π/120).
        let t = 1.0 / (std::f64::consts::PI / 120.0).tan();
        assert!((a.number("t_crit").unwrap() - t).abs() < 1e-12 * t);
        assert!(a.notes.iter().any(|n| n.text.contains("Cauchy")));
    }

    #[test]
    fn population_sd_converted_or_not() {
        let data = [10.0, 10.0, 10.0, 10.0, 50.0];
        let pop = run(&data, Params::new().with("sd", "population"));
        assert!((pop.number("g").unwrap() - 2.0).abs() < 1e-14);
        let factor = (5.0f64 / 4.0).sqrt();
        assert!((pop.number("g_crit").unwrap() - 1.7150373123433638 * factor).abs() < 1e-12);
        let raw = run(&data, Params::new().with("sd", "population-unadjusted"));
        assert!((raw.number("g_crit").unwrap() - 1.7150373123433638).abs() < 1e-12);
        assert!(raw.notes.iter().any(|n| n.text.contains("fires more often")));
    }
}
