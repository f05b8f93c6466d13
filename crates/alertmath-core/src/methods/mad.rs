//! The median absolute deviation and the modified z-score (x − median) / (1.4826·MAD).
//!
//! MAD = 0 (more than half the values equal the median) is an outcome with its own
//! explanation, not a division by zero; the mean-absolute-deviation fallback some tools
//! use is a switch.

use super::common::{flagged_points, n_points, positions, sample_field, Compare, COMPARE, DATA};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, list, num, ordinal, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, MethodSpec, ParamKind, ParamSpec};
use crate::stats::{mean, median_in_place, sorted, MAD_TO_SD};

/// The factor IBM SPSS (after Iglewicz & Hoaglin) puts on the mean absolute deviation
/// when MAD = 0: √(π/2), the ratio of σ to the mean absolute deviation of a normal.
const MEAN_AD_TO_SD: f64 = 1.253_314;

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "mad",
        name: "Median absolute deviation (modified z-score)",
        summary: "Scores each point by its distance from the median in units of the scaled median absolute deviation.",
        fields: &[sample_field(2)],
        params: &[
            ParamSpec {
                id: "threshold",
                label: "Threshold",
                unit: "",
                help: "Flag when |modified z| passes this; 3.5 is Iglewicz and Hoaglin's advice (the guide's PromQL uses 3).",
                kind: number(3.5, 0.1, 20.0, 0.1),
            },
            ParamSpec {
                id: "scale",
                label: "Scale of the MAD",
                unit: "",
                help: "1.4826 makes the MAD estimate σ for normal data (the guide); 0.6745 is the same in Iglewicz–Hoaglin's form.",
                kind: ParamKind::Choice {
                    default: "1.4826",
                    options: &[
                        Choice { id: "1.4826", label: "1.4826 × MAD (the guide)" },
                        Choice { id: "exact", label: "1/Φ⁻¹(3/4) = 1.482602… × MAD" },
                        Choice { id: "0.6745", label: "MAD / 0.6745 (Iglewicz–Hoaglin)" },
                        Choice { id: "raw", label: "MAD itself (distances in MADs)" },
                    ],
                },
            },
            ParamSpec {
                id: "zero_mad",
                label: "When MAD = 0",
                unit: "",
                help: "Report the score as undefined, or fall back to 1.253314 × the mean absolute deviation (IBM SPSS).",
                kind: ParamKind::Choice {
                    default: "undefined",
                    options: &[
                        Choice { id: "undefined", label: "the score is undefined" },
                        Choice { id: "mean-ad", label: "use 1.253314 × mean absolute deviation" },
                    ],
                },
            },
            COMPARE,
        ],
    },
    run,
};

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let threshold = p.num("threshold")?;
    let scale_choice = p.choice("scale")?;
    let fallback = p.choice("zero_mad")? == "mean-ad";
    let cmp = Compare::from_params(p)?;
    let xs = input.col(DATA);
    let n = xs.len();

    let mut buf = xs.to_vec();
    let med = median_in_place(&mut buf);
    let deviations: Vec<f64> = xs.iter().map(|&x| (x - med).abs()).collect();
    buf.clear();
    buf.extend_from_slice(&deviations);
    let mad = median_in_place(&mut buf);
    let (factor, scale_formula) = match scale_choice {
        "exact" => (MAD_TO_SD, "s = 1.482602 × MAD"),
        "0.6745" => (1.0 / 0.6745, "s = MAD / 0.6745"),
        "raw" => (1.0, "s = MAD"),
        _ => (1.4826, "s = 1.4826 × MAD"),
    };
    let mean_ad = if mad == 0.0 && fallback { mean(&deviations) } else { f64::NAN };
    let (scale, undefined) = if mad > 0.0 {
        (factor * mad, false)
    } else if fallback && mean_ad > 0.0 {
        (MEAN_AD_TO_SD * mean_ad, false)
    } else {
        (0.0, true)
    };
    let scores: Vec<f64> = if undefined { vec![f64::NAN; n] } else { xs.iter().map(|&x| (x - med) / scale).collect() };
    let flags: Vec<bool> = scores.iter().map(|z| cmp.passes(z.abs(), threshold)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let test = deviations.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0);
    let x_test = xs.get(test).copied().unwrap_or(f64::NAN);
    let z_test = scores.get(test).copied().unwrap_or(f64::NAN);
    let at_median = deviations.iter().filter(|&&d| d == 0.0).count();

    let mut steps = Steps::new();
    if n <= 1000 {
        steps.text("sort", "Sort the data", "x₍₁₎ ≤ … ≤ x₍ₙ₎", format!("n = {}", count(n)), list(&sorted(xs), 12));
    }
    steps.num(
        "median",
        "Median",
        "median(x)",
        if n % 2 == 1 {
            format!("the middle ({}) value", ordinal(n / 2 + 1))
        } else {
            format!("the mean of the {} and {} values", ordinal(n / 2), ordinal(n / 2 + 1))
        },
        med,
    );
    steps.text(
        "deviations",
        "Absolute deviations from the median",
        "|x − median|",
        format!("|x − {}|", num(med)),
        list(&deviations, 12),
    );
    if n <= 1000 {
        steps.text("sorted_deviations", "Sort the deviations", "", "", list(&sorted(&deviations), 12));
    }
    steps.num("mad", "MAD", "MAD = median(|x − median|)", "the median of the deviations", mad);
    if mad == 0.0 {
        steps.text(
            "mad_zero",
            "MAD is zero",
            "",
            format!("{} of {} values equal the median {}", count(at_median), count(n), num(med)),
            if fallback { "fall back to the mean absolute deviation" } else { "the modified z-score is undefined" },
        );
        if fallback {
            steps.num(
                "mean_ad",
                "Mean absolute deviation",
                "MeanAD = Σ|x − median| / n",
                format!("{} / {}", num(crate::stats::sum(&deviations)), n),
                mean_ad,
            );
            steps.num("scale", "Scale", "s = 1.253314 × MeanAD", format!("1.253314 × {}", num(mean_ad)), scale);
        }
    } else {
        steps.num("scale", "Scale", scale_formula, format!("{} × {}", num(factor), num(mad)), scale);
    }
    if !undefined {
        steps.num(
            "score",
            &format!("Score of the most distant point ({}, position {})", num(x_test), test + 1),
            "M = (x − median) / s",
            format!("({} − {}) / {}", num(x_test), paren(med), num(scale)),
            z_test,
        );
        steps
            .text(
                "compare",
                "Flag it?",
                &format!("|M| {} threshold", cmp.symbol()),
                format!("{} {} {}?", num(z_test.abs()), cmp.symbol(), num(threshold)),
                if flags.get(test).copied().unwrap_or(false) { "yes: flagged" } else { "no: not flagged" },
            )
            .decisive();
    }

    let verdict = if undefined {
        let detail = if at_median == n {
            format!("Every value equals {}: there is no spread at all, so no point can stand out.", num(med))
        } else {
            format!(
                "{} of the {} values equal the median {}, so the median of the deviations is 0 and (x − median)/MAD divides by zero. Choose the mean-absolute-deviation fallback to score the others.",
                count(at_median),
                count(n),
                num(med)
            )
        };
        Verdict::new(Level::Undefined, "MAD = 0: the modified z-score is undefined", detail)
    } else if flagged > 0 {
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} flagged", n_points(flagged)),
            format!(
                "{} at position {}: |M| = {} {} {}",
                num(x_test),
                test + 1,
                num(z_test.abs()),
                cmp.symbol(),
                num(threshold)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "No point flagged",
            format!(
                "The most distant point, {}, scores |M| = {} {} {}.",
                num(x_test),
                num(z_test.abs()),
                cmp.negated(),
                num(threshold)
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("median", "median", Val::Num(med), "");
    a.push_value("mad", "MAD", Val::Num(mad), "");
    a.push_value(
        "scale",
        "scale s",
        if undefined { Val::Undefined("MAD = 0".to_string()) } else { Val::Num(scale) },
        "",
    );
    a.push_value("x_max", "most distant point", Val::Num(x_test), "");
    a.push_value("score_max", "its modified z-score", Val::num_or(z_test, "MAD = 0"), "");
    a.push_value("flagged", "flagged points", Val::Int(flagged as i64), "");
    if fallback && mad == 0.0 {
        a.push_value("mean_ad", "mean absolute deviation", Val::num_or(mean_ad, "no deviations"), "");
    }
    if !undefined && mad > 0.0 {
        a.note(
            NoteLevel::Info,
            format!(
                "The MAD ignores how far the extreme values are: moving {} to any larger value leaves the MAD at {}. It breaks down only when half the data or more is contaminated.",
                num(x_test),
                num(mad)
            ),
        );
    }

    let mut table = Table::new("points", "Each point", &["#", "x", "|x − median|", "M", "flagged"]);
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            let z = scores.get(i).copied().unwrap_or(f64::NAN);
            vec![
                (i + 1).to_string(),
                num(xs.get(i).copied().unwrap_or(f64::NAN)),
                num(deviations.get(i).copied().unwrap_or(f64::NAN)),
                if z.is_nan() { "undefined".to_string() } else { num(z) },
                if flags.get(i).copied().unwrap_or(false) { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    let x = positions(n);
    let mut panel = Panel::new("", Axis::linear("position"), Axis::linear("value"));
    if !undefined {
        panel.push(Layer::hline(med + threshold * scale, Role::Threshold, format!("median ± {}·s", num(threshold))));
        panel.push(Layer::hline(med - threshold * scale, Role::Threshold, ""));
    }
    panel.push(Layer::hline(med, Role::Center, "median"));
    let y: Column = xs.into();
    let [data, flagged_layer] = flagged_points(&x, &y, &flags);
    panel.push(data);
    panel.push(flagged_layer);
    a.plot = Plot::single(panel);
    a.points = Some(Points { x, y, score: scores, flag: flags, score_label: "modified z".to_string() });
    Ok(a)
}
