//! The derivative ("velocity and acceleration"): first and second differences per unit of
//! time, Prometheus's `deriv` (the least-squares slope per second over a range),
//! `idelta` and `predict_linear`, and an alert on |velocity| or |acceleration|.
//!
//! Conventions the guide leaves open are parameters: the velocity estimator (the guide's
//! equation Δy/Δt between neighbouring samples, or its query's `deriv` over a window),
//! the unit (its manual example is per minute, its PromQL per second), the range edge
//! (Prometheus 3 or 2), and `>` or `≥`.

use super::common::{series_field, Compare, Series, COMPARE, STEP};
use super::promql::{deriv_series, linear_regression, range_starts, RangeEdge, RANGE_EDGE_CHOICES};
use super::rates_common::{
    difference_quotients, duration, n_samples, piecewise, solid_if_long, unit_param, Present, RateUnit, TimeAxis,
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
        id: "derivative",
        name: "Derivative (velocity and acceleration)",
        summary: "Alerts on how fast a metric moves rather than where it is: first and second differences per unit time, and Prometheus's deriv, idelta and predict_linear.",
        fields: &[series_field(2)],
        params: &[
            STEP,
            unit_param("s", "The unit velocities and thresholds are in: Prometheus's deriv is per second; the guide's memory example is per minute."),
            ParamSpec {
                id: "velocity",
                label: "Velocity",
                unit: "",
                help: "How the velocity is estimated: Prometheus's deriv over the window (the guide's query), or Δy/Δt between neighbouring samples (the guide's equation).",
                kind: ParamKind::Choice {
                    default: "deriv",
                    options: &[
                        Choice { id: "deriv", label: "deriv: least-squares slope over the window" },
                        Choice { id: "difference", label: "Δy/Δt between neighbouring samples" },
                    ],
                },
            },
            ParamSpec {
                id: "window",
                label: "Window w",
                unit: "s",
                help: "The range of deriv(metric[w]) and predict_linear, in seconds; the guide uses 5 minutes (300).",
                kind: ParamKind::Number { default: 300.0, min: 0.001, max: 10_000_000.0, step: 1.0, integer: false, log: true },
            },
            ParamSpec {
                id: "range",
                label: "Range edge",
                unit: "",
                help: "Whether a sample exactly w before the evaluation time is in the range: no since Prometheus 3, yes in Prometheus 2.",
                kind: ParamKind::Choice { default: "open", options: RANGE_EDGE_CHOICES },
            },
            ParamSpec {
                id: "rule",
                label: "Alert on",
                unit: "",
                help: "Which derivative the alert tests: the velocity (the guide's deriv query), the acceleration, or either.",
                kind: ParamKind::Choice {
                    default: "velocity",
                    options: &[
                        Choice { id: "velocity", label: "|velocity| beyond its limit" },
                        Choice { id: "acceleration", label: "|acceleration| beyond its limit" },
                        Choice { id: "either", label: "either" },
                    ],
                },
            },
            ParamSpec {
                id: "max_velocity",
                label: "Velocity limit",
                unit: "per rate unit",
                help: "Alert when |velocity| passes this, in the rate unit above; the guide's queue rule is deriv(queue_size) > 50 (per second).",
                kind: ParamKind::Number { default: 50.0, min: 1e-6, max: 1e15, step: 1e-6, integer: false, log: true },
            },
            ParamSpec {
                id: "max_acceleration",
                label: "Acceleration limit",
                unit: "per rate unit²",
                help: "Alert when |acceleration| passes this, in the rate unit squared (the guide's counter rule, +5/s within 2 minutes, is about 0.042/s²).",
                kind: ParamKind::Number { default: 5.0, min: 1e-9, max: 1e15, step: 1e-9, integer: false, log: true },
            },
            COMPARE,
            ParamSpec {
                id: "level",
                label: "Static alert level",
                unit: "",
                help: "The ordinary value alert the derivative is compared with (the guide's 90%), and the level whose time to reach is estimated.",
                kind: ParamKind::Number { default: 90.0, min: -1e15, max: 1e15, step: 1.0, integer: false, log: false },
            },
            ParamSpec {
                id: "horizon",
                label: "predict_linear horizon",
                unit: "s",
                help: "Seconds ahead for predict_linear(metric[w], h); the guide's disk example uses 3600.",
                kind: ParamKind::Number { default: 3600.0, min: 0.0, max: 604_800.0, step: 60.0, integer: false, log: false },
            },
        ],
    },
    run,
};

/// Per-sample derivatives of the present samples, per second.
struct Derivatives {
    /// Δy/Δt over the interval ending at each sample (NaN for the first, or when Δt = 0).
    diff_v: Vec<f64>,
    /// The second difference at each sample: the change of Δy/Δt between the two
    /// intervals ending there, over the time between their midpoints.
    diff_a: Vec<f64>,
    /// deriv(v[w]) evaluated at each sample time.
    deriv_v: Vec<f64>,
    /// The change of deriv between neighbouring samples, per second.
    deriv_a: Vec<f64>,
    deriv_exact: bool,
    starts: Vec<usize>,
}

fn derivatives(p: &Present, w_ms: f64, edge: RangeEdge) -> Derivatives {
    let m = p.len();
    let diff_v = difference_quotients(&p.t, &p.v);
    let mut diff_a = vec![f64::NAN; m];
    for k in 2..m {
        let dtau = (p.t[k] - p.t[k - 2]) / 2.0;
        if dtau > 0.0 {
            diff_a[k] = (diff_v[k] - diff_v[k - 1]) / dtau;
        }
    }
    let starts = range_starts(&p.ms, w_ms, edge);
    let (deriv_v, deriv_exact) = deriv_series(&p.ms, &p.v, &starts);
    let mut deriv_a = vec![f64::NAN; m];
    for k in 1..m {
        let dt = p.t[k] - p.t[k - 1];
        if dt > 0.0 {
            deriv_a[k] = (deriv_v[k] - deriv_v[k - 1]) / dt;
        }
    }
    Derivatives { diff_v, diff_a, deriv_v, deriv_a, deriv_exact, starts }
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let field = series_field(2);
    let series = Series::read(input, &field, p.num("step")?);
    let present = Present::of(&series, "series")?;
    let unit = RateUnit::from_choice(p.choice("unit")?);
    let use_deriv = p.choice("velocity")? == "deriv";
    let window = p.num("window")?;
    let edge = RangeEdge::from_choice(p.choice("range")?);
    let rule = p.choice("rule")?;
    let max_v = p.num("max_velocity")?;
    let max_a = p.num("max_acceleration")?;
    let cmp = Compare::from_params(p)?;
    let level = p.num("level")?;
    let horizon = p.num("horizon")?;
    let u = unit.seconds();
    let (per, per2) = (unit.per(), unit.per_squared());
    let m = present.len();
    let rows = series.len();
    let w_ms = (window * 1000.0).round().max(1.0);

    let d = derivatives(&present, w_ms, edge);
    let (vel_s, acc_s) = if use_deriv { (&d.deriv_v, &d.deriv_a) } else { (&d.diff_v, &d.diff_a) };
    let vel: Vec<f64> = vel_s.iter().map(|x| x * u).collect();
    let acc: Vec<f64> = acc_s.iter().map(|x| x * u * u).collect();
    let test_v = rule != "acceleration";
    let test_a = rule != "velocity";
    let flags: Vec<bool> = (0..m)
        .map(|k| (test_v && cmp.passes(vel[k].abs(), max_v)) || (test_a && cmp.passes(acc[k].abs(), max_a)))
        .collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let est_name = if use_deriv { format!("deriv over {}", duration(window)) } else { "Δy/Δt".to_string() };

    // The latest sample: Prometheus's functions evaluated there.
    let last = m.checked_sub(1);
    let start_last = last.and_then(|k| d.starts.get(k).copied()).unwrap_or(0);
    let in_range = last.map_or(0, |k| k + 1 - start_last.min(k));
    let reg = last.filter(|&k| k > start_last).map(|k| {
        let (s, e) = (start_last, k);
        (linear_regression(&present.ms[s..=e], &present.v[s..=e], present.ms[s]), s, e)
    });
    let deriv_last = reg.map_or(f64::NAN, |(r, _, _)| r.slope);
    let predict = last.filter(|&k| k > start_last).map(|k| {
        let r = linear_regression(&present.ms[start_last..=k], &present.v[start_last..=k], present.ms[k]);
        (r.slope * horizon + r.intercept, r.intercept)
    });
    let idelta =
        last.filter(|&k| k > start_last && present.t[k] > present.t[k - 1]).map(|k| present.v[k] - present.v[k - 1]);
    let y_last = last.map_or(f64::NAN, |k| present.v[k]);
    let v_last = last.map_or(f64::NAN, |k| vel[k]);
    let v_prev = last.and_then(|k| k.checked_sub(1)).map_or(f64::NAN, |k| vel[k]);
    let a_last = last.map_or(f64::NAN, |k| acc[k]);
    let v_last_s = last.map_or(f64::NAN, |k| vel_s[k]);
    let abs_max = |xs: &[f64]| -> (f64, Option<usize>) {
        xs.iter().enumerate().filter(|(_, x)| !x.is_nan()).fold((f64::NAN, None), |(best, bi), (i, &x)| {
            if bi.is_none() || x.abs() > best.abs() {
                (x, Some(i))
            } else {
                (best, bi)
            }
        })
    };
    let (v_max, v_max_at) = abs_max(&vel);
    let (a_max, _) = abs_max(&acc);
    let static_alert = cmp.passes(y_last, level);
    let time_to_level = {
        let gap = level - y_last;
        if v_last_s.is_nan() || v_last_s == 0.0 || gap == 0.0 || gap.signum() != v_last_s.signum() {
            f64::NAN
        } else {
            gap / v_last_s
        }
    };
    let fires_last = last.and_then(|k| flags.get(k).copied()).unwrap_or(false);
    let defined = vel.iter().filter(|x| !x.is_nan()).count();

    // Steps.
    let mut steps = Steps::new();
    steps.num(
        "n",
        "Samples",
        "n (present samples)",
        if rows > m {
            format!("{} rows, {} missing", count(rows), count(rows - m))
        } else {
            format!("{} rows", count(rows))
        },
        m as f64,
    );
    if let Some(k) = last.filter(|&k| k >= 1) {
        let dt = present.t[k] - present.t[k - 1];
        steps
            .num(
                "velocity.difference",
                "Velocity over the last interval",
                &format!("Δy/Δt, in {}", per),
                format!(
                    "({} − {}) / {} s{}",
                    num(present.v[k]),
                    paren(present.v[k - 1]),
                    num(dt),
                    if u != 1.0 { format!(" × {} s/{}", num(u), unit.symbol()) } else { String::new() }
                ),
                d.diff_v[k] * u,
            )
            .shown(if dt > 0.0 {
                format!("{} {}", num(d.diff_v[k] * u), per)
            } else {
                "undefined: Δt = 0".to_string()
            });
    }
    if let Some(k) = last.filter(|&k| k >= 2) {
        let dtau = (present.t[k] - present.t[k - 2]) / 2.0;
        steps
            .num(
                "acceleration.difference",
                "Acceleration (second difference)",
                &format!("(Δy/Δt now − Δy/Δt before) / Δt, in {}", per2),
                format!(
                    "({} − {}) {} / {} {}",
                    num(d.diff_v[k] * u),
                    paren(d.diff_v[k - 1] * u),
                    per,
                    num(dtau / u),
                    unit.symbol()
                ),
                d.diff_a[k] * u * u,
            )
            .shown(if d.diff_a[k].is_nan() {
                "undefined".to_string()
            } else {
                format!("{} {}", num(d.diff_a[k] * u * u), per2)
            });
    }
    match reg {
        Some((r, s, e)) => {
            steps.num(
                "deriv.range",
                &format!("Samples in the range {} at the last sample", edge.interval()),
                "k",
                format!("w = {}, t = {} s: samples {} to {}", duration(window), num(present.t[e]), s + 1, e + 1),
                r.n as f64,
            );
            if r.constant_y {
                steps.num(
                    "deriv",
                    "deriv (every value in the range is equal)",
                    "Prometheus answers 0 without dividing",
                    format!("all {} values are {}", r.n, num(present.v[e])),
                    r.slope,
                );
            } else {
                steps
                    .num(
                        "deriv.sums",
                        "Sums, with x in seconds from the first sample of the range",
                        "Σx, Σy, Σxy, Σx² (Kahan–Neumaier)",
                        format!("{}, {}, {}, {}", num(r.sum_x), num(r.sum_y), num(r.sum_xy), num(r.sum_x2)),
                        r.sum_xy,
                    )
                    .shown(format!("Σxy = {}", num(r.sum_xy)));
                steps
                    .num(
                        "deriv",
                        "deriv: least-squares slope per second",
                        "(Σxy − ΣxΣy/k) / (Σx² − (Σx)²/k)",
                        format!("{} / {}", num(r.cov_xy), num(r.var_x)),
                        r.slope,
                    )
                    .shown(if r.slope.is_finite() {
                        format!(
                            "{} /s{}",
                            num(r.slope),
                            if u != 1.0 { format!(" = {} {}", num(r.slope * u), per) } else { String::new() }
                        )
                    } else {
                        "undefined: every sample in the range has the same timestamp".to_string()
                    });
            }
        }
        None => {
            steps.text(
                "deriv",
                "deriv at the last sample",
                &format!("needs two samples in {}", edge.interval()),
                format!("{} in a {} range", n_samples(in_range), duration(window)),
                "no result (Prometheus drops the series)",
            );
        }
    }
    if let Some(k) = last.filter(|&k| k >= 1) {
        steps
            .num(
                "idelta",
                "idelta: the last two samples, not per second",
                "y_last − y_previous",
                format!("{} − {}", num(present.v[k]), paren(present.v[k - 1])),
                idelta.unwrap_or(f64::NAN),
            )
            .shown(match idelta {
                Some(x) => num(x),
                None => "no result (fewer than two samples in range, or equal timestamps)".to_string(),
            });
    }
    if let Some((value, intercept)) = predict {
        steps.num(
            "predict_linear",
            &format!("predict_linear(metric[w], {})", num(horizon)),
            "intercept at the evaluation time + slope × h",
            format!("{} + {} × {}", num(intercept), paren(deriv_last), num(horizon)),
            value,
        );
    }
    steps.text(
        "static",
        "The static alert on the value",
        &format!("y_last {} level", cmp.symbol()),
        format!("{} {} {}?", num(y_last), cmp.symbol(), num(level)),
        if static_alert { "yes: the static alert fires" } else { "no: the static alert stays silent" },
    );
    if !time_to_level.is_nan() {
        steps
            .num(
                "time_to_level",
                "Time until the level at the current velocity",
                "(level − y_last) / velocity",
                format!("({} − {}) / {} /s", num(level), paren(y_last), num(v_last_s)),
                time_to_level,
            )
            .shown(duration(time_to_level));
    }
    let rule_text = match rule {
        "acceleration" => format!("|acceleration| {} {} {}", cmp.symbol(), num(max_a), per2),
        "either" => format!(
            "|velocity| {} {} {} or |acceleration| {} {} {}",
            cmp.symbol(),
            num(max_v),
            per,
            cmp.symbol(),
            num(max_a),
            per2
        ),
        _ => format!("|velocity| {} {} {}", cmp.symbol(), num(max_v), per),
    };
    steps
        .text(
            "rule",
            &format!("The derivative alert at the last sample ({})", est_name),
            &rule_text,
            match rule {
                "acceleration" => format!("|{}| {} {}?", num(a_last), cmp.symbol(), num(max_a)),
                "either" => format!("|{}| or |{}|?", num(v_last), num(a_last)),
                _ => format!("|{}| {} {}?", num(v_last), cmp.symbol(), num(max_v)),
            },
            if fires_last { "yes: it fires" } else { "no: it does not fire" },
        )
        .decisive();

    // Verdict.
    let verdict = if m < 2 {
        Verdict::new(
            Level::Undefined,
            "Not enough samples for a derivative",
            format!(
                "A rate of change needs two samples; this series has {} present (the others are missing). Add samples, or fill the gaps.",
                m
            ),
        )
    } else if defined == 0 {
        Verdict::new(
            Level::Undefined,
            "No velocity is defined",
            if use_deriv {
                format!(
                    "No {} range holds two samples with different timestamps; widen the window (the samples are {} apart or more) or switch to Δy/Δt.",
                    duration(window),
                    duration(present.t.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min))
                )
            } else {
                "Every pair of neighbouring samples shares its timestamp, so Δy/Δt divides by Δt = 0. Give the samples distinct times.".to_string()
            },
        )
    } else if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: the derivative rule fires at {}", n_samples(flagged)),
            format!(
                "First at t = {} s (value {}): velocity {} {}, acceleration {}. {}",
                num(present.t[first]),
                num(present.v[first]),
                num(vel[first]),
                per,
                if acc[first].is_nan() { "undefined".to_string() } else { format!("{} {}", num(acc[first]), per2) },
                if static_alert {
                    "The static alert fires too."
                } else {
                    "The static alert on the value stays silent."
                }
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "The derivative rule does not fire",
            format!(
                "The largest |velocity| is {} {}{}, {} the limit {} {}.",
                num(v_max.abs()),
                per,
                v_max_at.map_or(String::new(), |k| format!(" (at t = {} s)", num(present.t[k]))),
                if cmp.passes(v_max.abs(), max_v) { "beyond" } else { cmp.negated() },
                num(max_v),
                per
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let undefined = |why: &str, x: f64| Val::num_or(x, why);
    a.push_value("n", "present samples", Val::Int(m as i64), "");
    a.push_value("gaps", "missing samples", Val::Int((rows - m) as i64), "");
    a.push_value(
        "velocity_last",
        format!("velocity at the last sample ({})", est_name),
        undefined("no velocity there", v_last),
        per,
    );
    a.push_value("velocity_prev", "velocity at the sample before", undefined("no velocity there", v_prev), per);
    a.push_value(
        "acceleration_last",
        "acceleration at the last sample",
        undefined("needs two velocities", a_last),
        per2,
    );
    a.push_value("velocity_max", "largest |velocity| (signed)", undefined("no velocity defined", v_max), per);
    a.push_value(
        "acceleration_max",
        "largest |acceleration| (signed)",
        undefined("no acceleration defined", a_max),
        per2,
    );
    a.push_value(
        "deriv",
        "deriv(metric[w]) at the last sample, per second",
        undefined("fewer than two samples in range", deriv_last),
        "/s",
    );
    a.push_value(
        "deriv_in_unit",
        format!("the same deriv, {}", unit.per_word()),
        undefined("fewer than two samples in range", deriv_last * u),
        per,
    );
    a.push_value(
        "idelta",
        "idelta(metric[w]): last sample − the one before",
        idelta.map_or(Val::Undefined("fewer than two samples in range".to_string()), Val::Num),
        "",
    );
    a.push_value(
        "predict_linear",
        format!("predict_linear(metric[w], {})", num(horizon)),
        predict.map_or(Val::Undefined("fewer than two samples in range".to_string()), |(x, _)| {
            Val::num_or(x, "equal timestamps")
        }),
        "",
    );
    a.push_value(
        "time_to_level",
        "seconds until the level at the current velocity",
        undefined("not moving toward the level", time_to_level),
        "s",
    );
    a.push_value(
        "static_alert",
        format!("static alert (value {} {})", cmp.symbol(), num(level)),
        Val::Bool(static_alert),
        "",
    );
    a.push_value(
        "fires",
        "the derivative alert fires at the last sample",
        if v_last.is_nan() && a_last.is_nan() {
            Val::Undefined("no derivative there".to_string())
        } else {
            Val::Bool(fires_last)
        },
        "",
    );
    a.push_value("flagged", "samples where the derivative alert fires", Val::Int(flagged as i64), "");

    // Notes.
    if use_deriv {
        a.note(NoteLevel::Info, format!(
            "deriv is the slope of a least-squares line through every sample of the last {} — not the last jump. A sudden jump moves it only in proportion to the jump's weight in the fit; Δy/Δt between the last two samples is what idelta(metric[w]) / Δt (irate for gauges) reports.",
            duration(window)
        ));
    }
    if !d.deriv_exact {
        a.note(NoteLevel::Info, "The windows are long enough that per-sample deriv values are updated with sliding sums (to about 1e-12); the last sample's deriv, idelta and predict_linear use Prometheus's exact arithmetic.");
    }
    let equal = present.equal_times();
    if let Some(&(r0, r1)) = equal.first() {
        a.note(NoteLevel::Warning, format!(
            "Rows {} and {} share a timestamp{}: Δy/Δt there divides by zero and is undefined, and a range whose samples all share one timestamp has no slope (its x variance is 0). Prometheus stores one sample per timestamp, so it would have dropped the second one.",
            r0, r1, if equal.len() > 1 { format!(" ({} such pairs)", equal.len()) } else { String::new() }
        ));
    }
    if present.rounded_times {
        a.note(NoteLevel::Info, "Some timestamps are not whole milliseconds; deriv, idelta and predict_linear use them rounded to the millisecond, as Prometheus stores them.");
    }
    if rows > m && m >= 2 {
        a.note(NoteLevel::Info, format!(
            "{} missing samples are left out: differences span the gap (as Prometheus's idelta and irate do when a scrape is missing), and deriv fits the samples that are there.",
            count(rows - m)
        ));
    }
    if u != 1.0 {
        a.note(NoteLevel::Info, format!(
            "Rates are shown {}: multiply Prometheus's per-second deriv by {}. The limits are in the same unit, so a limit of {} {} is {} /s in a PromQL rule.",
            unit.per_word(), num(u), num(max_v), per, num(max_v / u)
        ));
    }

    // Table: every input row.
    let mut pos_of_row: Vec<Option<usize>> = vec![None; rows];
    for (k, &r) in present.row.iter().enumerate() {
        if let Some(slot) = pos_of_row.get_mut(r) {
            *slot = Some(k);
        }
    }
    let vcol = format!("Δy/Δt ({})", per);
    let dcol = format!("deriv ({})", per);
    let acol = format!("acceleration ({})", per2);
    let mut table = Table::new("samples", "Each sample", &["#", "t (s)", "value", &vcol, &dcol, &acol, "fires"]);
    let show = |x: f64| if x.is_nan() { String::new() } else { num(x) };
    table.fill(
        rows,
        |r| pos_of_row.get(r).copied().flatten().is_some_and(|k| flags.get(k).copied().unwrap_or(false)),
        |r| match pos_of_row.get(r).copied().flatten() {
            Some(k) => vec![
                (r + 1).to_string(),
                num(present.t[k]),
                num(present.v[k]),
                show(d.diff_v[k] * u),
                show(d.deriv_v[k] * u),
                show(acc[k]),
                if flags[k] { "yes".to_string() } else { String::new() },
            ],
            None => vec![
                (r + 1).to_string(),
                series.t.get(r).map_or(String::new(), |&t| num(t)),
                "missing".to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        },
    );
    a.tables.push(table);

    // Plot: the series, its velocity, its acceleration, on one time axis.
    let axis = TimeAxis::fit(&present.t);
    let xs: Vec<f64> = present.t.iter().map(|&t| axis.x(t)).collect();
    // One shared x column for every layer drawn against time.
    let xc: Column = xs.clone().into();
    let x_axis = || axis.axis(&present.t);
    let mut top = Panel::new("", x_axis(), Axis::linear("value"));
    top.weight = 1.3;
    if let Some((r, s, e)) = reg.filter(|(r, _, _)| r.slope.is_finite()) {
        let at = |k: usize| r.intercept + r.slope * (present.ms[k] - present.ms[s]) / 1e3;
        top.push(Layer::segment(
            xs[s],
            at(s),
            xs[e],
            at(e),
            Role::Model,
            format!("deriv's line over the last {}", duration(window)),
        ));
    }
    let y_min = present.v.iter().copied().fold(f64::INFINITY, f64::min);
    let y_max = present.v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = (y_max - y_min).abs().max(y_max.abs() * 1e-9).max(1e-300);
    // The static level, drawn only when it is within reach of the data (it would flatten
    // the series otherwise).
    if level >= y_min - 2.0 * span && level <= y_max + 2.0 * span {
        top.push(Layer::hline(level, Role::Threshold, format!("static alert level {}", num(level))));
    }
    let y_col: Column = present.v.clone().into();
    top.push(Layer::points(xc.clone(), y_col.clone(), Role::Data, "samples"));
    let (fx, fy): (Vec<f64>, Vec<f64>) = (0..m).filter(|&k| flags[k]).map(|k| (xs[k], present.v[k])).unzip();
    top.push(Layer::points(fx, fy, Role::Flagged, "derivative alert fires"));

    let ulabel = |what: &str, per: &str| format!("{} ({})", what, per);
    let mut vel_panel = Panel::new("", x_axis(), Axis::linear(ulabel("velocity", per)));
    vel_panel.push(Layer::hline(0.0, Role::Center, ""));
    if test_v {
        // Limits far beyond the data would flatten it; they are drawn when within reach.
        let fit = v_max.is_nan() || max_v <= 3.0 * v_max.abs();
        let lim = |y: f64, label: String| {
            let l = Layer::hline(y, Role::Threshold, label);
            if fit {
                l
            } else {
                l.no_fit()
            }
        };
        vel_panel.push(lim(max_v, format!("±{} {}", num(max_v), per)));
        vel_panel.push(lim(-max_v, String::new()));
    }
    let starts_x: Vec<f64> = (0..m).map(|k| if k == 0 { xs[0] } else { xs[k - 1] }).collect();
    let dv: Vec<f64> = d.diff_v.iter().map(|x| x * u).collect();
    let (px, py) = piecewise(&starts_x, &xs, &dv);
    let deriv_u: Vec<f64> = d.deriv_v.iter().map(|x| x * u).collect();
    let (diff_role, deriv_role) = if use_deriv {
        (solid_if_long(Role::Alternative, m), Role::Model)
    } else {
        (Role::Model, solid_if_long(Role::Alternative, m))
    };
    vel_panel.push(Layer::line(px, py, diff_role, "Δy/Δt over each interval"));
    vel_panel.push(Layer::line(xc.clone(), deriv_u, deriv_role, format!("deriv over {}", duration(window))));

    let mut acc_panel = Panel::new("", x_axis(), Axis::linear(ulabel("acceleration", per2)));
    acc_panel.weight = 0.8;
    acc_panel.push(Layer::hline(0.0, Role::Center, ""));
    if test_a {
        let fit = a_max.is_nan() || max_a <= 3.0 * a_max.abs();
        let lim = |y: f64, label: String| {
            let l = Layer::hline(y, Role::Threshold, label);
            if fit {
                l
            } else {
                l.no_fit()
            }
        };
        acc_panel.push(lim(max_a, format!("±{} {}", num(max_a), per2)));
        acc_panel.push(lim(-max_a, String::new()));
    }
    if use_deriv {
        acc_panel.push(Layer::line(xc.clone(), acc.clone(), Role::Model, "change of deriv"));
    } else {
        // The second difference belongs to the interval between the two midpoints.
        let mid: Vec<f64> = (0..m).map(|k| if k == 0 { xs[0] } else { (xs[k - 1] + xs[k]) / 2.0 }).collect();
        let a0: Vec<f64> = (0..m).map(|k| if k == 0 { mid[0] } else { mid[k - 1] }).collect();
        let (ax, ay) = piecewise(&a0, &mid, &acc);
        acc_panel.push(Layer::line(ax, ay, Role::Model, "second difference"));
    }
    a.plot = Plot::stacked(vec![top, vel_panel, acc_panel]);
    a.points = Some(Points {
        x: present.t.clone().into(),
        y: y_col,
        score: vel,
        flag: flags,
        score_label: format!("velocity ({})", per),
    });
    Ok(a)
}

#[cfg(test)]
mod tests {
    use crate::{analyze, Input, Params};

    fn run(values: &[f64], params: Params) -> crate::Analysis {
        analyze("derivative", Input::new().with("series", values.to_vec()), &params).unwrap()
    }

    #[test]
    fn the_memory_leak() {
        let a = run(&[20.0, 21.0, 80.0], Params::new().with("unit", "min").with("velocity", "difference"));
        assert_eq!(a.number("velocity_last"), Some(59.0));
        assert_eq!(a.number("velocity_prev"), Some(1.0));
        assert_eq!(a.number("acceleration_last"), Some(58.0));
        assert_eq!(a.number("deriv"), Some(0.5));
        assert_eq!(a.number("deriv_in_unit"), Some(30.0));
        assert_eq!(a.number("idelta"), Some(59.0));
        assert_eq!(a.value("static_alert").and_then(|v| v.as_bool()), Some(false));
        assert_eq!(a.value("fires").and_then(|v| v.as_bool()), Some(true));
    }

    #[test]
    fn the_queue_does_not_clear_a_strict_fifty() {
        let a = run(&[1000.0, 1050.0], Params::new().with("step", 1.0));
        assert_eq!(a.number("deriv"), Some(50.0));
        assert_eq!(a.number("flagged"), Some(0.0));
        let a = run(&[1000.0, 1050.0], Params::new().with("step", 1.0).with("compare", "ge"));
        assert_eq!(a.number("flagged"), Some(1.0));
    }

    #[test]
    fn one_present_sample_is_explained() {
        let a = run(&[f64::NAN, 5.0, f64::NAN], Params::new());
        assert_eq!(a.verdict.level, crate::Level::Undefined);
    }
}
