//! The frozen signal (the zero derivative): real traffic jitters, so a metric whose
//! derivative stays within ε of zero for a while is more likely a stuck exporter, a
//! zombie process repeating its last value, or a crashed sidecar reporting "0 errors".
//! Reports the runs (start, end, duration) where the derivative stays within ε, and
//! flags the ones that last at least a minimum duration.
//!
//! The guide's query is `abs(deriv(rate(metric[1m])[5m:])) < 0.0001`: deriv over a window,
//! strictly below ε, per second. Testing every neighbouring difference instead is
//! stricter (a regression slope can be near zero on noisy data).

use super::common::{series_field, Series, STEP};
use super::promql::{deriv_series, range_starts, RangeEdge, RANGE_EDGE_CHOICES};
use super::rates_common::{clock, difference_quotients, duration, Present, TimeAxis};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{Choice, MethodSpec, ParamKind, ParamSpec};
use crate::stats::median_in_place;

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "frozen-signal",
        name: "Frozen signal (zero derivative)",
        summary: "Finds stretches where a metric stops moving — its derivative stays within ε of zero — which usually means a stuck exporter or a zombie process, not a perfect system.",
        fields: &[series_field(2)],
        params: &[
            STEP,
            ParamSpec {
                id: "epsilon",
                label: "ε",
                unit: "/s",
                help: "The derivative counts as zero when its size is below this, per second; the guide uses 0.0001.",
                kind: ParamKind::Number { default: 0.0001, min: 1e-12, max: 1e12, step: 1e-12, integer: false, log: true },
            },
            ParamSpec {
                id: "min_duration",
                label: "For at least",
                unit: "s",
                help: "How long the derivative must stay within ε; the guide's zombie reports exactly 100 RPS for 5 minutes (300).",
                kind: ParamKind::Number { default: 300.0, min: 0.0, max: 10_000_000.0, step: 1.0, integer: false, log: false },
            },
            ParamSpec {
                id: "estimator",
                label: "Derivative",
                unit: "",
                help: "Every neighbouring Δy/Δt within ε, or Prometheus's deriv over the window within ε at each sample (the guide's query).",
                kind: ParamKind::Choice {
                    default: "difference",
                    options: &[
                        Choice { id: "difference", label: "every Δy/Δt between samples" },
                        Choice { id: "deriv", label: "deriv over the window (guide's query)" },
                    ],
                },
            },
            ParamSpec {
                id: "window",
                label: "deriv window",
                unit: "s",
                help: "The range of deriv(…[w]) when the derivative is deriv; the guide uses 5 minutes (300).",
                kind: ParamKind::Number { default: 300.0, min: 0.001, max: 10_000_000.0, step: 1.0, integer: false, log: true },
            },
            ParamSpec {
                id: "compare",
                label: "Within ε means",
                unit: "",
                help: "Whether a derivative of exactly ε counts as zero: the guide writes “< 0.0001”.",
                kind: ParamKind::Choice {
                    default: "lt",
                    options: &[Choice { id: "lt", label: "< ε (strictly)" }, Choice { id: "le", label: "≤ ε" }],
                },
            },
            ParamSpec {
                id: "range",
                label: "Range edge",
                unit: "",
                help: "For deriv: whether a sample exactly w back is in the range (no since Prometheus 3).",
                kind: ParamKind::Choice { default: "open", options: RANGE_EDGE_CHOICES },
            },
        ],
    },
    run,
};

/// A stretch where the derivative stays within ε: present-sample indices `first..=last`.
#[derive(Debug, Clone, Copy)]
struct Run {
    first: usize,
    /// The first sample whose own test passed (later than `first` for Δy/Δt, whose first
    /// sample only starts the first interval, and for deriv, whose window reaches back).
    tested_from: usize,
    last: usize,
    start: f64,
    end: f64,
    frozen: bool,
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let field = series_field(2);
    let series = Series::read(input, &field, p.num("step")?);
    let present = Present::of(&series, "series")?;
    let eps = p.num("epsilon")?;
    let min_d = p.num("min_duration")?;
    let use_deriv = p.choice("estimator")? == "deriv";
    let window = p.num("window")?;
    let strict = p.choice("compare")? != "le";
    let edge = RangeEdge::from_choice(p.choice("range")?);
    let m = present.len();
    let rows = series.len();
    let within = |x: f64| {
        let a = x.abs();
        if super::common::ties(a, eps) {
            !strict
        } else if strict {
            a < eps
        } else {
            a <= eps
        }
    };

    // The derivative tested at each present sample (per second) and, for deriv, where the
    // window of each sample starts.
    let diff = difference_quotients(&present.t, &present.v);
    let starts = range_starts(&present.ms, (window * 1000.0).round().max(1.0), edge);
    let deriv = if use_deriv { deriv_series(&present.ms, &present.v, &starts).0 } else { Vec::new() };
    let tested: &[f64] = if use_deriv { &deriv } else { &diff };
    let pass: Vec<bool> = tested.iter().map(|&x| !x.is_nan() && within(x)).collect();

    // Runs of consecutive passing samples; each covers from the sample its first test
    // reaches back to (the previous sample, or the window's first) to its last sample.
    let mut runs: Vec<Run> = Vec::new();
    let mut k = 0;
    while k < m {
        if !pass[k] {
            k += 1;
            continue;
        }
        let a = k;
        while k + 1 < m && pass[k + 1] {
            k += 1;
        }
        let first = if use_deriv { starts[a].min(a) } else { a.saturating_sub(1) };
        let (start, end) = (present.t[first], present.t[k]);
        runs.push(Run { first, tested_from: a, last: k, start, end, frozen: end - start >= min_d });
        k += 1;
    }
    let mut flags = vec![false; m];
    for r in runs.iter().filter(|r| r.frozen) {
        for f in flags.iter_mut().take(r.last + 1).skip(r.first) {
            *f = true;
        }
    }
    let frozen_runs = runs.iter().filter(|r| r.frozen).count();
    let flagged = flags.iter().filter(|&&f| f).count();
    // The longest stretch; the earliest of equally long ones.
    let longest = runs.iter().copied().fold(None, |best: Option<Run>, r| match best {
        Some(b) if b.end - b.start >= r.end - r.start => Some(b),
        _ => Some(r),
    });
    let frozen_now = flags.last().copied().unwrap_or(false);
    let mut sizes: Vec<f64> = diff.iter().filter(|x| !x.is_nan()).map(|x| x.abs()).collect();
    let typical = median_in_place(&mut sizes);
    let est = if use_deriv { format!("|deriv over {}|", duration(window)) } else { "|Δy/Δt|".to_string() };
    let sym = if strict { "<" } else { "≤" };

    let mut steps = Steps::new();
    steps.num(
        "n",
        "Samples",
        "n (present samples)",
        if rows > m { format!("{} rows, {} missing", count(rows), rows - m) } else { format!("{} rows", count(rows)) },
        m as f64,
    );
    steps.num(
        "typical",
        "How much the metric usually moves",
        "median |Δy/Δt| over all intervals, per second",
        format!("over {} intervals", count(sizes.len())),
        typical,
    );
    steps.num(
        "tested",
        "Samples whose derivative counts as zero",
        &format!("{} {} ε = {} /s", est, sym, num(eps)),
        format!("{} of {} samples", count(pass.iter().filter(|&&x| x).count()), count(m)),
        pass.iter().filter(|&&x| x).count() as f64,
    );
    steps.text(
        "runs",
        "Stretches where it stays within ε",
        "start → end (duration)",
        if runs.is_empty() {
            "none".to_string()
        } else {
            let mut parts: Vec<String> = runs
                .iter()
                .take(4)
                .map(|r| format!("{} → {} s ({})", num(r.start), num(r.end), duration(r.end - r.start)))
                .collect();
            if runs.len() > 4 {
                parts.push(format!("… {} in all", runs.len()));
            }
            parts.join("; ")
        },
        format!("{} {}", count(runs.len()), if runs.len() == 1 { "stretch" } else { "stretches" }),
    );
    match longest {
        Some(r) => {
            steps
                .text(
                    "compare",
                    "Frozen? The longest stretch against the minimum",
                    "end − start ≥ minimum duration",
                    format!("{} ≥ {}?", duration(r.end - r.start), duration(min_d)),
                    if r.frozen { "yes: frozen" } else { "no: too short" },
                )
                .decisive();
        }
        None => {
            steps
                .text(
                    "compare",
                    "Frozen?",
                    "a stretch within ε lasting the minimum duration",
                    "no sample's derivative is within ε",
                    "no: the metric keeps moving",
                )
                .decisive();
        }
    }

    let defined = tested.iter().filter(|x| !x.is_nan()).count();
    let verdict = if m < 2 {
        Verdict::new(
            Level::Undefined,
            "Not enough samples",
            format!("A derivative needs two samples; this series has {} present.", m),
        )
    } else if defined == 0 {
        Verdict::new(
            Level::Undefined,
            "No derivative is defined",
            if use_deriv {
                format!("No {} range holds two samples with different timestamps; widen the window.", duration(window))
            } else {
                "Every pair of neighbouring samples shares its timestamp (Δt = 0).".to_string()
            },
        )
    } else if let Some(r) = longest.filter(|r| r.frozen) {
        Verdict::new(
            Level::Alert,
            format!("ALERT: frozen for {}", duration(r.end - r.start)),
            format!(
                "From t = {} s{} to {} s the derivative stays within ε = {} /s ({} samples{}). {}",
                num(r.start),
                clock(r.start),
                num(r.end),
                num(eps),
                r.last + 1 - r.first,
                if frozen_runs > 1 { format!("; {} frozen stretches in all", frozen_runs) } else { String::new() },
                if frozen_now { "It is still frozen at the last sample." } else { "It moves again afterwards." }
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "The metric keeps moving",
            match longest {
                Some(r) => format!(
                    "The longest stretch within ε lasts {}, short of {}.",
                    duration(r.end - r.start),
                    duration(min_d)
                ),
                None => format!(
                    "No derivative comes within ε = {} /s; the usual movement is {} /s.",
                    num(eps),
                    num(typical)
                ),
            },
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("n", "present samples", Val::Int(m as i64), "");
    a.push_value("typical_velocity", "median |Δy/Δt|", Val::num_or(typical, "no interval"), "/s");
    a.push_value("runs", "stretches within ε", Val::Int(runs.len() as i64), "");
    a.push_value("frozen_runs", "stretches lasting the minimum", Val::Int(frozen_runs as i64), "");
    let lv =
        |f: fn(&Run) -> f64| longest.map_or(Val::Undefined("no stretch within ε".to_string()), |r| Val::Num(f(&r)));
    a.push_value("longest", "longest stretch", lv(|r| r.end - r.start), "s");
    a.push_value("longest_start", "its start", lv(|r| r.start), "s");
    a.push_value("longest_end", "its end", lv(|r| r.end), "s");
    a.push_value("longest_samples", "its samples", lv(|r| (r.last + 1 - r.first) as f64), "");
    a.push_value("frozen", "frozen somewhere", Val::Bool(frozen_runs > 0), "");
    a.push_value("frozen_now", "frozen at the last sample", Val::Bool(frozen_now), "");
    a.push_value("flagged", "samples in frozen stretches", Val::Int(flagged as i64), "");

    if typical.is_finite() && typical > 0.0 && eps >= typical {
        a.note(
            NoteLevel::Warning,
            format!(
                "ε = {} /s is not small next to the metric's usual movement ({} /s): ordinary jitter counts as frozen.",
                num(eps),
                num(typical)
            ),
        );
    }
    a.note(NoteLevel::Caveat, "A metric that is legitimately constant — an error count that stays at 0 on a healthy service, a gauge of configured capacity — is flat too. The zero derivative says the signal stopped moving, not why; pair it with a check that the exporter is up.");
    if use_deriv {
        a.note(NoteLevel::Info, "deriv fits a line through the whole window, so noise that happens to balance out can give a slope near 0 on a signal that is not frozen; testing every Δy/Δt is stricter.");
    }

    let mut table =
        Table::new("runs", "Stretches within ε", &["#", "start (s)", "end (s)", "duration", "samples", "frozen"]);
    table.fill(
        runs.len(),
        |i| runs.get(i).is_some_and(|r| r.frozen),
        |i| match runs.get(i) {
            Some(r) => vec![
                (i + 1).to_string(),
                num(r.start),
                num(r.end),
                duration(r.end - r.start),
                (r.last + 1 - r.first).to_string(),
                if r.frozen { "yes".to_string() } else { String::new() },
            ],
            None => vec![String::new(); 6],
        },
    );
    a.tables.push(table);

    let axis = TimeAxis::fit(&present.t);
    let xs: Vec<f64> = present.t.iter().map(|&t| axis.x(t)).collect();
    // One shared x column for every layer drawn against time.
    let xc: Column = xs.clone().into();
    let x_axis = || axis.axis(&present.t);
    let mut top = Panel::new("", x_axis(), Axis::linear("value"));
    top.weight = 1.3;
    let lo = present.v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = present.v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() && frozen_runs > 0 {
        let (mut bx, mut blo, mut bhi) = (Vec::new(), Vec::new(), Vec::new());
        for r in runs.iter().filter(|r| r.frozen) {
            if !bx.is_empty() {
                bx.push(f64::NAN);
                blo.push(f64::NAN);
                bhi.push(f64::NAN);
            }
            bx.extend([axis.x(r.start), axis.x(r.end)]);
            blo.extend([lo, lo]);
            bhi.extend([hi, hi]);
        }
        top.push(Layer::band(bx, blo, bhi, "frozen stretch").no_fit());
    }
    let y_col: Column = present.v.clone().into();
    top.push(Layer::points(xc.clone(), y_col.clone(), Role::Data, "samples"));
    let (fx, fy): (Vec<f64>, Vec<f64>) = (0..m).filter(|&k| flags[k]).map(|k| (xs[k], present.v[k])).unzip();
    top.push(Layer::points(fx, fy, Role::Flagged, "frozen"));

    // A log axis cannot show 0: exact zeros are drawn at a floor a decade below the
    // smallest other value (and below ε), so the line stays whole and the flat stretch
    // reads as a trough, labelled.
    let smallest = tested.iter().map(|x| x.abs()).filter(|&x| x > 0.0 && x.is_finite()).fold(eps, f64::min);
    let floor = smallest / 10.0;
    let sizes_col: Vec<f64> = tested.iter().map(|x| if *x == 0.0 { floor } else { x.abs() }).collect();
    let zeros = tested.contains(&0.0);
    let mut vp = Panel::new("", x_axis(), Axis::log(format!("{} (/s, log)", est)));
    vp.push(Layer::hline(eps, Role::Threshold, format!("ε = {} /s", num(eps))));
    vp.push(Layer::line(
        xc.clone(),
        sizes_col,
        Role::Model,
        if zeros { format!("0 drawn at {}", num(floor)) } else { String::new() },
    ));
    let y_label = if typical.is_finite() && typical > 0.0 { typical } else { eps * 10.0 };
    for r in runs.iter().filter(|r| r.frozen).take(8) {
        if tested[r.tested_from..=r.last].iter().all(|&x| x == 0.0) {
            vp.push(Layer::text(axis.x((r.start + r.end) / 2.0), y_label.max(floor), "exactly 0"));
        }
    }
    a.plot = Plot::stacked(vec![top, vp]);
    a.points = Some(Points {
        x: present.t.clone().into(),
        y: y_col,
        score: tested.to_vec(),
        flag: flags,
        score_label: format!("{} per second", if use_deriv { "deriv" } else { "Δy/Δt" }),
    });
    Ok(a)
}
