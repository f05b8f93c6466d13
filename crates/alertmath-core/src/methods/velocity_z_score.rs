//! The z-score of velocity ("statistical derivative"): the change between neighbouring
//! samples, scored against the mean and standard deviation of the same changes over a
//! trailing window. The guide's query is
//! `abs(idelta(r[…:])) > 3 * stddev_over_time(idelta(r[…:])[1h:])`: it compares |velocity|
//! with kσ (no mean subtracted), with the population SD, and the current velocity is part
//! of its own window. Each of these is a parameter.

use super::common::{series_field, Compare, Series, COMPARE, SD_CHOICES, STEP};
use super::rates_common::{clock, difference_quotients, duration, n_samples, rolling, Present, TimeAxis};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{integer, number, Choice, MethodSpec, ParamKind, ParamSpec};
use crate::stats::Ddof;

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "velocity-z-score",
        name: "Z-score of velocity",
        summary: "Flags a change between samples that is large compared with the usual size of changes over the last hour: the standard deviation of the derivative itself.",
        fields: &[series_field(3)],
        params: &[
            STEP,
            ParamSpec {
                id: "threshold",
                label: "Threshold k",
                unit: "σ",
                help: "Flag a velocity beyond k standard deviations of recent velocities; the guide uses 3 (2 is “sensitive”).",
                kind: number(3.0, 0.1, 10.0, 0.1),
            },
            ParamSpec {
                id: "window",
                label: "History window",
                unit: "s",
                help: "How far back the velocities' mean and SD reach; the guide uses one hour (3600).",
                kind: ParamKind::Number { default: 3600.0, min: 0.001, max: 10_000_000.0, step: 1.0, integer: false, log: true },
            },
            ParamSpec {
                id: "velocity",
                label: "Velocity",
                unit: "",
                help: "idelta (the change between neighbouring samples, as the guide), or the change per second (differs only when samples are unevenly spaced).",
                kind: ParamKind::Choice {
                    default: "idelta",
                    options: &[
                        Choice { id: "idelta", label: "idelta: change between samples" },
                        Choice { id: "rate", label: "Δy/Δt: change per second" },
                    ],
                },
            },
            ParamSpec {
                id: "center",
                label: "Compare",
                unit: "",
                help: "The guide's query tests |velocity| > kσ (no mean); a z-score subtracts the window's mean first.",
                kind: ParamKind::Choice {
                    default: "zero",
                    options: &[
                        Choice { id: "zero", label: "|v| > kσ (the guide's query)" },
                        Choice { id: "mean", label: "|v − μ| > kσ (a z-score)" },
                    ],
                },
            },
            ParamSpec {
                id: "sd",
                label: "Standard deviation",
                unit: "",
                help: "Divide by n (population, as Prometheus's stddev_over_time) or by n − 1 (sample).",
                kind: ParamKind::Choice { default: "population", options: SD_CHOICES },
            },
            ParamSpec {
                id: "baseline",
                label: "Current velocity",
                unit: "",
                help: "Whether the velocity being tested is part of its own window (it is in the guide's [1h:] subquery).",
                kind: ParamKind::Choice {
                    default: "included",
                    options: &[
                        Choice { id: "included", label: "in its own window (guide)" },
                        Choice { id: "excluded", label: "scored against earlier velocities only" },
                    ],
                },
            },
            ParamSpec {
                id: "min_count",
                label: "Fewest velocities",
                unit: "",
                help: "How many velocities the window must hold before a score counts. PromQL has no minimum (1): a lone velocity has σ = 0, and any change then fires.",
                kind: integer(1.0, 1.0, 10_000.0),
            },
            COMPARE,
        ],
    },
    run,
};

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let field = series_field(3);
    let series = Series::read(input, &field, p.num("step")?);
    let present = Present::of(&series, "series")?;
    let k_sigma = p.num("threshold")?;
    let window = p.num("window")?;
    let per_second = p.choice("velocity")? == "rate";
    let use_mean = p.choice("center")? == "mean";
    let ddof = if p.choice("sd")? == "sample" { Ddof::Sample } else { Ddof::Population };
    let include = p.choice("baseline")? == "included";
    let min_count = p.count("min_count")?;
    let cmp = Compare::from_params(p)?;
    let m = present.len();
    let rows = series.len();

    // Velocities at each present sample (from the previous one).
    let vel: Vec<f64> = if per_second {
        difference_quotients(&present.t, &present.v)
    } else {
        std::iter::once(f64::NAN).take(m.min(1)).chain(present.v.windows(2).map(|w| w[1] - w[0])).collect()
    };
    let stats = rolling(&present.t, &vel, window, include, ddof);
    let mut score = vec![f64::NAN; m];
    let mut centre = vec![f64::NAN; m];
    for k in 0..m {
        if vel[k].is_nan() || stats.count[k] < min_count.max(1) {
            continue;
        }
        let c = if use_mean { stats.mean[k] } else { 0.0 };
        centre[k] = c;
        let (num_, sd) = (vel[k] - c, stats.sd[k]);
        score[k] = if sd > 0.0 {
            num_ / sd
        } else if sd == 0.0 && num_ != 0.0 {
            num_.signum() * f64::INFINITY
        } else {
            f64::NAN
        };
    }
    let flags: Vec<bool> = score.iter().map(|z| cmp.passes(z.abs(), k_sigma)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let scored = score.iter().filter(|z| !z.is_nan()).count();
    let velocities = vel.iter().filter(|x| !x.is_nan()).count();
    let zero_sd_fires = (0..m).filter(|&k| flags[k] && score[k].is_infinite()).count();
    let test = (0..m).filter(|&k| !score[k].is_nan()).fold(None, |best: Option<usize>, k| match best {
        Some(b) if score[b].abs() >= score[k].abs() => Some(b),
        _ => Some(k),
    });
    let last = m.checked_sub(1);
    let vunit = if per_second { "/s" } else { "" };
    let score_name = if use_mean { "z = (v − μ) / σ" } else { "|v| / σ" };
    let sd_name = if ddof == Ddof::Sample { "n − 1" } else { "n" };
    let window_text =
        if include { format!("(t − {}, t]", duration(window)) } else { format!("(t − {}, t)", duration(window)) };

    let mut steps = Steps::new();
    steps.num(
        "n",
        "Velocities",
        if per_second { "Δy/Δt between neighbouring samples" } else { "idelta: y − y_previous" },
        format!("{} present samples give {} velocities", count(m), count(velocities)),
        velocities as f64,
    );
    if let Some(k) = test {
        let t = present.t[k];
        steps.num(
            "velocity",
            &format!("The most extreme velocity (t = {} s{})", num(t), clock(t)),
            if per_second { "v = (y − y_prev) / Δt" } else { "v = y − y_prev" },
            format!("{} − {}", num(present.v[k]), paren(present.v[k - 1]))
                + &if per_second { format!(" over {} s", num(present.t[k] - present.t[k - 1])) } else { String::new() },
            vel[k],
        );
        steps.num(
            "window",
            &format!("Velocities in its window {}", window_text),
            "n",
            if include { "the tested velocity included".to_string() } else { "earlier velocities only".to_string() },
            stats.count[k] as f64,
        );
        steps.num("mean", "Their mean", "μ = Σv / n", format!("over {} velocities", stats.count[k]), stats.mean[k]);
        steps.num(
            "sd",
            "Their standard deviation",
            &format!("σ = √(Σ(v − μ)² / {})", sd_name),
            format!("over {} velocities", stats.count[k]),
            stats.sd[k],
        );
        steps
            .num(
                "score",
                "Score",
                score_name,
                if use_mean {
                    format!("({} − {}) / {}", num(vel[k]), paren(stats.mean[k]), num(stats.sd[k]))
                } else {
                    format!("|{}| / {}", num(vel[k]), num(stats.sd[k]))
                },
                score[k],
            )
            .shown(if score[k].is_infinite() { "∞ (σ = 0)".to_string() } else { num(score[k]) });
        steps
            .text(
                "compare",
                "Flag it?",
                &format!("|score| {} k", cmp.symbol()),
                format!(
                    "{} {} {}?",
                    if score[k].is_infinite() { "∞".to_string() } else { num(score[k].abs()) },
                    cmp.symbol(),
                    num(k_sigma)
                ),
                if flags[k] { "yes: an unusual movement" } else { "no: within the usual movement" },
            )
            .decisive();
    } else {
        steps
            .text(
                "compare",
                "Flag it?",
                &format!("needs {} velocities in the window and σ defined", min_count),
                format!("{} velocities", velocities),
                "nothing can be scored",
            )
            .decisive();
    }

    let verdict = if velocities == 0 {
        Verdict::new(
            Level::Undefined,
            "No velocity",
            "A velocity needs two present samples (with different timestamps, for Δy/Δt); add samples.",
        )
    } else if scored == 0 {
        let constant = vel.iter().filter(|x| !x.is_nan()).all(|&x| x == 0.0);
        Verdict::new(
            Level::Undefined,
            if constant {
                "The series never moves: σ = 0 and every velocity is 0"
            } else {
                "No velocity has enough history"
            },
            if constant {
                "Every velocity is 0, so both |v| and σ are 0 and the score is 0/0 everywhere. A metric this flat is itself suspicious: see the frozen-signal lesson.".to_string()
            } else {
                format!(
                    "Each window of {} holds fewer than {} velocities with a defined σ. Lengthen the window, lower the minimum, or add samples.",
                    duration(window),
                    min_count
                )
            },
        )
    } else if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} moved unusually fast", n_samples(flagged)),
            format!(
                "First at t = {} s{}: velocity {}{} against σ = {} of the last {} ({} {} {}).",
                num(present.t[first]),
                clock(present.t[first]),
                num(vel[first]),
                vunit,
                num(stats.sd[first]),
                duration(window),
                if score[first].is_infinite() { "∞".to_string() } else { num(score[first].abs()) },
                cmp.symbol(),
                num(k_sigma)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "No unusual movement",
            test.map_or(String::new(), |k| {
                format!(
                    "The most extreme velocity, {}{} at t = {} s, scores {} {} {}.",
                    num(vel[k]),
                    vunit,
                    num(present.t[k]),
                    num(score[k].abs()),
                    cmp.negated(),
                    num(k_sigma)
                )
            }),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let at = |k: Option<usize>, xs: &[f64], why: &str| {
        k.map_or(Val::Undefined(why.to_string()), |k| Val::num_or(xs[k], why))
    };
    a.push_value("n", "present samples", Val::Int(m as i64), "");
    a.push_value("velocities", "velocities", Val::Int(velocities as i64), "");
    a.push_value("velocity_max", "most extreme scored velocity", at(test, &vel, "nothing scored"), vunit);
    a.push_value("mean_at_max", "mean of its window", at(test, &stats.mean, "nothing scored"), vunit);
    a.push_value("sd_at_max", "σ of its window", at(test, &stats.sd, "nothing scored"), vunit);
    a.push_value("score_max", "its score", at(test, &score, "nothing scored"), "σ");
    a.push_value("velocity_last", "velocity at the last sample", at(last, &vel, "no velocity"), vunit);
    a.push_value("sd_last", "σ of the last window", at(last, &stats.sd, "no velocities in the window"), vunit);
    a.push_value("score_last", "score at the last sample", at(last, &score, "not scored"), "σ");
    a.push_value("flagged", "flagged samples", Val::Int(flagged as i64), "");
    a.push_value("alert", "any unusual movement", Val::Bool(flagged > 0), "");

    if !use_mean {
        a.note(NoteLevel::Info, "The guide's query compares |velocity| with kσ without subtracting the mean velocity: on a steadily growing metric every velocity is large compared with σ. Switch Compare to a z-score to measure from the mean.");
    }
    if zero_sd_fires > 0 {
        a.note(NoteLevel::Caveat, format!(
            "{} flagged where the window's σ is 0 (a flat stretch): any change at all is then infinitely many σ. PromQL does the same (x > 3 × 0).",
            n_samples(zero_sd_fires)
        ));
    }
    if include {
        a.note(NoteLevel::Info, "The tested velocity is part of its own window, so a jump inflates the σ it is measured against (with n velocities, |v − μ|/σ can never pass √(n − 1)).");
    }
    if !stats.exact {
        a.note(
            NoteLevel::Info,
            "The windows are long enough that their mean and σ are updated with sliding sums (to about 1e-12).",
        );
    }
    if rows > m {
        a.note(NoteLevel::Info, "Missing samples are skipped: the velocity after a gap is the change across it.");
    }

    let mut table = Table::new(
        "samples",
        "Each sample",
        &["#", "t (s)", "value", "velocity", "window n", "μ", "σ", "score", "flagged"],
    );
    let mut pos_of_row: Vec<Option<usize>> = vec![None; rows];
    for (k, &r) in present.row.iter().enumerate() {
        if let Some(slot) = pos_of_row.get_mut(r) {
            *slot = Some(k);
        }
    }
    let show = |x: f64| if x.is_nan() { String::new() } else { num(x) };
    table.fill(
        rows,
        |r| pos_of_row.get(r).copied().flatten().is_some_and(|k| flags.get(k).copied().unwrap_or(false)),
        |r| match pos_of_row.get(r).copied().flatten() {
            Some(k) => vec![
                (r + 1).to_string(),
                num(present.t[k]),
                num(present.v[k]),
                show(vel[k]),
                stats.count[k].to_string(),
                show(stats.mean[k]),
                show(stats.sd[k]),
                show(score[k]),
                if flags[k] { "yes".to_string() } else { String::new() },
            ],
            None => {
                let mut cells = vec![
                    (r + 1).to_string(),
                    series.t.get(r).map_or(String::new(), |&t| num(t)),
                    "missing".to_string(),
                ];
                cells.resize(9, String::new());
                cells
            }
        },
    );
    a.tables.push(table);

    let axis = TimeAxis::fit(&present.t);
    let xs: Vec<f64> = present.t.iter().map(|&t| axis.x(t)).collect();
    // One shared x column for every layer drawn against time.
    let xc: Column = xs.clone().into();
    let x_axis = || axis.axis(&present.t);
    let mut top = Panel::new("", x_axis(), Axis::linear("value"));
    let y_col: Column = present.v.clone().into();
    top.push(Layer::points(xc.clone(), y_col.clone(), Role::Data, "samples"));
    let (fx, fy): (Vec<f64>, Vec<f64>) = (0..m).filter(|&k| flags[k]).map(|k| (xs[k], present.v[k])).unzip();
    top.push(Layer::points(fx, fy, Role::Flagged, "unusual movement"));

    let mut vp = Panel::new("", x_axis(), Axis::linear(if per_second { "velocity (/s)" } else { "velocity (idelta)" }));
    vp.weight = 1.2;
    let lo: Vec<f64> = (0..m).map(|k| if use_mean { stats.mean[k] } else { 0.0 } - k_sigma * stats.sd[k]).collect();
    let hi: Vec<f64> = (0..m).map(|k| if use_mean { stats.mean[k] } else { 0.0 } + k_sigma * stats.sd[k]).collect();
    vp.push(
        Layer::band(
            xc.clone(),
            lo,
            hi,
            format!("{} ± {}σ of the last {}", if use_mean { "μ" } else { "0" }, num(k_sigma), duration(window)),
        )
        .no_fit(),
    );
    vp.push(Layer::hline(0.0, Role::Center, ""));
    vp.push(Layer::line(xc.clone(), vel.clone(), Role::Model, "velocity"));

    let mut sp = Panel::new("", x_axis(), Axis::linear(if use_mean { "|z|" } else { "|v| / σ" }));
    sp.weight = 0.8;
    let shown: Vec<f64> = score.iter().map(|z| if z.is_finite() { z.abs() } else { f64::NAN }).collect();
    sp.push(Layer::hline(k_sigma, Role::Threshold, format!("k = {}", num(k_sigma))));
    sp.push(Layer::line(xc.clone(), shown, Role::Model, "score"));
    a.plot = Plot::stacked(vec![top, vp, sp]);
    a.points =
        Some(Points { x: present.t.clone().into(), y: y_col, score, flag: flags, score_label: score_name.to_string() });
    Ok(a)
}
