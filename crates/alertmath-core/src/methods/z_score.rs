//! The z-score (3-sigma rule): flag a point when |x − μ| / σ passes a threshold.
//!
//! Conventions the guide leaves open are parameters: population or sample SD, whether
//! the tested point is part of its own baseline, and `>` or `≥`. The analysis reports the
//! ceiling on |Z| for n points, which is why the guide's 50 cannot be caught.

use super::common::{flagged_points, n_points, positions, sample_field, Compare, COMPARE, DATA, SD_CHOICES};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, MethodSpec, ParamKind, ParamSpec};
use crate::stats::{mean, sum, sum_sq_dev, Ddof};

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "z-score",
        name: "Z-score (3-sigma rule)",
        summary: "Flags a point whose distance from the mean is more than a threshold number of standard deviations.",
        fields: &[sample_field(2)],
        params: &[
            ParamSpec {
                id: "threshold",
                label: "Threshold",
                unit: "σ",
                help: "Flag a point when |Z| passes this many standard deviations; the guide uses 3.",
                kind: number(3.0, 0.1, 10.0, 0.1),
            },
            ParamSpec {
                id: "sd",
                label: "Standard deviation",
                unit: "",
                help: "Divide by n (population, as the guide and Prometheus's stddev_over_time) or by n − 1 (sample).",
                kind: ParamKind::Choice { default: "population", options: SD_CHOICES },
            },
            ParamSpec {
                id: "baseline",
                label: "Baseline",
                unit: "",
                help: "Whether each point is scored against all points (the guide) or against the others only.",
                kind: ParamKind::Choice {
                    default: "all",
                    options: &[
                        Choice { id: "all", label: "all points, the tested one included (guide)" },
                        Choice { id: "leave-one-out", label: "the other points only (leave-one-out)" },
                    ],
                },
            },
            COMPARE,
        ],
    },
    run,
};

/// The largest |Z| any point of n can reach when it is part of its own baseline.
pub fn z_ceiling(n: usize, ddof: Ddof) -> f64 {
    let n = n as f64;
    match ddof {
        Ddof::Population => (n - 1.0).sqrt(),
        Ddof::Sample => (n - 1.0) / n.sqrt(),
    }
}

/// The fewest points for which |Z| can pass `threshold` at all.
fn points_needed(threshold: f64, ddof: Ddof, cmp: Compare) -> usize {
    (2..100_000).find(|&n| cmp.passes(z_ceiling(n, ddof), threshold)).unwrap_or(100_000)
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let threshold = p.num("threshold")?;
    let ddof = if p.choice("sd")? == "sample" { Ddof::Sample } else { Ddof::Population };
    let leave_one_out = p.choice("baseline")? == "leave-one-out";
    let cmp = Compare::from_params(p)?;
    let xs = input.col(DATA);
    let n = xs.len();
    if leave_one_out && ddof == Ddof::Sample && n < 3 {
        return Err(InputError::unsupported(
            "Leave-one-out with the sample SD needs at least 3 values (the other points must have n − 2 > 0 degrees of freedom).",
        )
        .in_param("baseline"));
    }

    let total = sum(xs);
    let m = mean(xs);
    let ss = sum_sq_dev(xs, m);
    let sd_pop = (ss / n as f64).sqrt();
    let sd_samp = (ss / (n as f64 - 1.0)).sqrt();
    let sd = if ddof == Ddof::Sample { sd_samp } else { sd_pop };
    let sd_name = if ddof == Ddof::Sample { "n − 1" } else { "n" };

    // Per-point baselines (all points, or the others only).
    let mut centre = vec![m; n];
    let mut spread = vec![sd; n];
    // x − baseline, kept separately because x − centre loses digits when both are large.
    let mut deviation: Vec<f64> = xs.iter().map(|&x| x - m).collect();
    if leave_one_out {
        // Work on the data shifted to a nearby origin: x − x₀ is exact for values close to
        // x₀ (Sterbenz), so baselines like 1e9 + noise keep their small digits.
        let origin = xs.first().copied().unwrap_or(0.0);
        let ys: Vec<f64> = xs.iter().map(|&x| x - origin).collect();
        let my = mean(&ys);
        let ss_y = sum_sq_dev(&ys, my);
        let nf = n as f64;
        let divisor = ddof.divisor(n - 1);
        for (i, &y) in ys.iter().enumerate() {
            let d = y - my;
            let contribution = d * d * nf / (nf - 1.0);
            let (mi, ssi) = if contribution > ss_y / 4.0 {
                // Removing a point that carries much of the spread would cancel digits in
                // the update formula; recompute the others directly (at most a few points).
                let others: Vec<f64> = ys.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &v)| v).collect();
                let mo = mean(&others);
                (mo, sum_sq_dev(&others, mo))
            } else {
                (my - d / (nf - 1.0), (ss_y - contribution).max(0.0))
            };
            centre[i] = mi + origin;
            spread[i] = (ssi / divisor).sqrt();
            deviation[i] = y - mi;
        }
    }
    let scores: Vec<f64> = deviation
        .iter()
        .zip(&spread)
        .map(|(&d, &s)| {
            if s > 0.0 {
                d / s
            } else if d == 0.0 {
                f64::NAN
            } else {
                d.signum() * f64::INFINITY
            }
        })
        .collect();
    let flags: Vec<bool> = scores.iter().map(|z| cmp.passes(z.abs(), threshold)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    // The test point: the largest |Z| (or, when every Z is undefined, the furthest from μ).
    let test = scores
        .iter()
        .enumerate()
        .filter(|(_, z)| !z.is_nan())
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(i, _)| i)
        .or_else(|| xs.iter().enumerate().max_by(|a, b| (a.1 - m).abs().total_cmp(&(b.1 - m).abs())).map(|(i, _)| i))
        .unwrap_or(0);
    let x_test = xs.get(test).copied().unwrap_or(f64::NAN);
    let z_test = scores.get(test).copied().unwrap_or(f64::NAN);
    let ceiling = z_ceiling(n, ddof);
    let needed = points_needed(threshold, ddof, cmp);
    let no_spread = sd == 0.0;

    let mut steps = Steps::new();
    steps.num("n", "Number of points", "n", count(n), n as f64);
    let terms = if n <= 12 {
        xs.iter().map(|&x| num(x)).collect::<Vec<_>>().join(" + ")
    } else {
        format!("Σx = {}", num(total))
    };
    steps.num("mean", "Mean", "μ = Σx / n", format!("({}) / {}", terms, n), m);
    let sq_terms = if n <= 8 {
        xs.iter().map(|&x| format!("({} − {})²", num(x), num(m))).collect::<Vec<_>>().join(" + ")
    } else {
        format!("over {} points", count(n))
    };
    steps.num("ss", "Sum of squared deviations", "Σ(x − μ)²", sq_terms, ss);
    steps.num(
        "sd",
        "Standard deviation",
        &format!("σ = √(Σ(x − μ)² / {})", sd_name),
        format!("√({} / {})", num(ss), num(ddof.divisor(n))),
        sd,
    );
    if leave_one_out {
        steps.num(
            "test.mean",
            &format!("Mean of the others (without point {})", test + 1),
            "μ₋ᵢ = (Σx − xᵢ) / (n − 1)",
            format!("({} − {}) / {}", num(total), paren(x_test), n - 1),
            centre.get(test).copied().unwrap_or(f64::NAN),
        );
        steps.num(
            "test.sd",
            "SD of the others",
            &format!("σ₋ᵢ, dividing by {}", if ddof == Ddof::Sample { "n − 2" } else { "n − 1" }),
            format!("the {} other points", count(n - 1)),
            spread.get(test).copied().unwrap_or(f64::NAN),
        );
    }
    let (c_test, s_test) = (centre.get(test).copied().unwrap_or(m), spread.get(test).copied().unwrap_or(sd));
    steps
        .num(
            "z",
            &format!("Z of the most extreme point ({}, position {})", num(x_test), test + 1),
            if leave_one_out { "Z = (x − μ₋ᵢ) / σ₋ᵢ" } else { "Z = (x − μ) / σ" },
            format!("({} − {}) / {}", num(x_test), paren(c_test), num(s_test)),
            z_test,
        )
        .shown(if z_test.is_nan() { "undefined (0/0)".to_string() } else { num(z_test) });
    steps
        .text(
            "compare",
            "Flag it?",
            &format!("|Z| {} threshold", cmp.symbol()),
            format!("{} {} {}?", num(z_test.abs()), cmp.symbol(), num(threshold)),
            if flags.get(test).copied().unwrap_or(false) { "yes: flagged" } else { "no: not flagged" },
        )
        .decisive();
    if !leave_one_out {
        steps.num(
            "ceiling",
            "Largest |Z| possible with n points",
            if ddof == Ddof::Sample { "|Z| ≤ (n − 1) / √n" } else { "|Z| ≤ √(n − 1)" },
            if ddof == Ddof::Sample { format!("{} / √{}", n - 1, n) } else { format!("√{}", n - 1) },
            ceiling,
        );
    }

    let verdict = if no_spread && !leave_one_out {
        Verdict::new(
            Level::Undefined,
            "No spread: Z is undefined",
            format!(
                "Every value equals {}, so σ = 0 and Z = (x − μ)/σ is 0/0 for every point; nothing can be flagged.",
                num(m)
            ),
        )
    } else if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} flagged", n_points(flagged)),
            format!(
                "{} at position {} has |Z| = {} {} {}",
                num(xs.get(first).copied().unwrap_or(f64::NAN)),
                first + 1,
                num(scores.get(first).copied().unwrap_or(f64::NAN).abs()),
                cmp.symbol(),
                num(threshold)
            ),
        )
    } else {
        let mut detail = format!(
            "The most extreme point, {} (position {}), has |Z| = {} {} {}.",
            num(x_test),
            test + 1,
            num(z_test.abs()),
            cmp.negated(),
            num(threshold)
        );
        if !leave_one_out && !cmp.passes(ceiling, threshold) {
            detail.push_str(&format!(" With n = {} no point can reach more than {}.", n, num(ceiling)));
        }
        Verdict::new(Level::Clear, "No point flagged", detail)
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("n", "n", Val::Int(n as i64), "");
    a.push_value("mean", "mean μ", Val::Num(m), "");
    a.push_value("sd", format!("standard deviation σ (÷ {})", sd_name), Val::Num(sd), "");
    a.push_value("sd_population", "population SD (÷ n)", Val::Num(sd_pop), "");
    a.push_value("sd_sample", "sample SD (÷ n − 1)", Val::Num(sd_samp), "");
    a.push_value("x_max", "most extreme point", Val::Num(x_test), "");
    a.push_value("z_max", "its Z", Val::num_or(z_test, "σ = 0"), "σ");
    a.push_value(
        "z_ceiling",
        "largest |Z| possible",
        if leave_one_out { Val::Undefined("unbounded with leave-one-out".to_string()) } else { Val::Num(ceiling) },
        "σ",
    );
    a.push_value("points_needed", "fewest points for which |Z| can pass the threshold", Val::Int(needed as i64), "");
    a.push_value("flagged", "flagged points", Val::Int(flagged as i64), "");

    if !leave_one_out && !cmp.passes(ceiling, threshold) {
        a.note(
            NoteLevel::Caveat,
            format!(
                "With n = {} and the {} SD, no point can have |Z| above {} = {}, however extreme it is, so a threshold of {} cannot fire. It takes at least {} points. The outlier inflates σ by exactly enough to hide itself: this is masking in its strongest form.",
                n,
                if ddof == Ddof::Sample { "sample" } else { "population" },
                if ddof == Ddof::Sample { format!("({} − 1)/√{}", n, n) } else { format!("√({} − 1)", n) },
                num(ceiling),
                num(threshold),
                needed
            ),
        );
    }
    if leave_one_out {
        a.note(NoteLevel::Info, "Leave-one-out scores each point against the mean and SD of the other points, so an outlier cannot inflate its own baseline. Its |Z| has no ceiling.");
    }
    if !no_spread && n < 30 {
        a.note(NoteLevel::Info, "The 3σ rule assumes roughly normal data; with a handful of points neither the mean nor σ is a stable baseline.");
    }

    let mut table = Table::new(
        "points",
        "Each point",
        &["#", "x", if leave_one_out { "x − μ₋ᵢ" } else { "x − μ" }, "Z", "flagged"],
    );
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            let x = xs.get(i).copied().unwrap_or(f64::NAN);
            let z = scores.get(i).copied().unwrap_or(f64::NAN);
            vec![
                (i + 1).to_string(),
                num(x),
                num(deviation.get(i).copied().unwrap_or(f64::NAN)),
                if z.is_nan() { "undefined".to_string() } else { num(z) },
                if flags.get(i).copied().unwrap_or(false) { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    let x = positions(n);
    let mut panel = Panel::new("", Axis::linear("position"), Axis::linear("value"));
    if leave_one_out {
        let lo: Vec<f64> = centre.iter().zip(&spread).map(|(c, s)| c - threshold * s).collect();
        let hi: Vec<f64> = centre.iter().zip(&spread).map(|(c, s)| c + threshold * s).collect();
        panel.push(Layer::band(x.clone(), lo, hi, format!("μ₋ᵢ ± {}σ₋ᵢ (the other points)", num(threshold))).no_fit());
    } else if !no_spread {
        panel.push(Layer::hline(m + threshold * sd, Role::Threshold, format!("μ ± {}σ", num(threshold))));
        panel.push(Layer::hline(m - threshold * sd, Role::Threshold, ""));
    }
    panel.push(Layer::hline(m, Role::Center, "mean μ"));
    let y: Column = xs.into();
    let [data, flagged_layer] = flagged_points(&x, &y, &flags);
    panel.push(data);
    panel.push(flagged_layer);
    a.plot = Plot::single(panel);
    a.points = Some(Points { x, y, score: scores, flag: flags, score_label: "Z".to_string() });
    Ok(a)
}
