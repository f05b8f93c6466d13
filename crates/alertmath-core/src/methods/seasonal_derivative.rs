//! The seasonal derivative ("context-aware velocity"): the change of a rate over a short
//! lag now, minus the same change one season earlier, against a buffer. The guide's
//! query is `(r − r offset 2m) − (r offset 1w − r offset 1w2m) > 500` with
//! `r = sum(rate(metric[2m]))`: a login ramp that happens every morning cancels against
//! last week's, a ramp at 3 AM does not.
//!
//! The series is the rate itself (requests per second, say). Values at `t − lag`,
//! `t − season` and `t − season − lag` are looked up as Prometheus's `offset` does: the
//! latest sample at or before that time, within the lookback delta.

use super::common::{series_field, Compare, Series, COMPARE, STEP};
use super::promql::instant_at_offsets;
use super::rates_common::{clock, duration, n_samples, solid_if_long, Present, TimeAxis};
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
        id: "seasonal-derivative",
        name: "Seasonal derivative",
        summary: "Compares how fast a rate is changing now with how fast it changed at the same time one season ago, and alerts when it grows faster than usual by more than a buffer.",
        fields: &[series_field(2)],
        params: &[
            STEP,
            ParamSpec {
                id: "lag",
                label: "Change over",
                unit: "s",
                help: "The “acceleration” is the rate now minus the rate this long ago; the guide uses 2 minutes (120).",
                kind: ParamKind::Number { default: 120.0, min: 0.001, max: 10_000_000.0, step: 1.0, integer: false, log: true },
            },
            ParamSpec {
                id: "season",
                label: "Season (offset)",
                unit: "s",
                help: "How far back the same moment was: one week (604800) in the guide, one day is 86400.",
                kind: ParamKind::Number { default: 604_800.0, min: 0.001, max: 100_000_000.0, step: 1.0, integer: false, log: true },
            },
            ParamSpec {
                id: "buffer",
                label: "Buffer",
                unit: "",
                help: "Alert when the change now exceeds last season's change by more than this; the guide uses 500 (requests per second).",
                kind: ParamKind::Number { default: 500.0, min: 1e-9, max: 1e15, step: 1e-9, integer: false, log: true },
            },
            ParamSpec {
                id: "direction",
                label: "Direction",
                unit: "",
                help: "Only faster growth than usual (the guide's query), or any difference in either direction.",
                kind: ParamKind::Choice {
                    default: "up",
                    options: &[
                        Choice { id: "up", label: "growing faster than usual (guide)" },
                        Choice { id: "both", label: "either direction (|difference|)" },
                    ],
                },
            },
            COMPARE,
            ParamSpec {
                id: "lookback",
                label: "Lookback delta",
                unit: "s",
                help: "How old the latest sample may be when a past moment is looked up (Prometheus's default is 5 minutes, 300).",
                kind: ParamKind::Number { default: 300.0, min: 0.001, max: 10_000_000.0, step: 1.0, integer: false, log: true },
            },
        ],
    },
    run,
};

/// The three past values of the rule at one sample (the fourth is the sample itself), as
/// present-sample indices.
#[derive(Debug, Clone, Copy, Default)]
struct Lookups {
    before: Option<usize>,
    season: Option<usize>,
    season_before: Option<usize>,
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let field = series_field(2);
    let series = Series::read(input, &field, p.num("step")?);
    let present = Present::of(&series, "series")?;
    let lag = p.num("lag")?;
    let season = p.num("season")?;
    let buffer = p.num("buffer")?;
    let both = p.choice("direction")? == "both";
    let cmp = Compare::from_params(p)?;
    let lookback = p.num("lookback")?;
    let m = present.len();
    let rows = series.len();
    let (lag_ms, season_ms, lb_ms) = ((lag * 1000.0).round(), (season * 1000.0).round(), (lookback * 1000.0).round());

    let before = instant_at_offsets(&present.ms, lag_ms, lb_ms);
    let back = instant_at_offsets(&present.ms, season_ms, lb_ms);
    let back_before = instant_at_offsets(&present.ms, season_ms + lag_ms, lb_ms);
    let mut look = Vec::with_capacity(m);
    let mut acc_now = vec![f64::NAN; m];
    let mut acc_hist = vec![f64::NAN; m];
    let mut excess = vec![f64::NAN; m];
    for k in 0..m {
        let l = Lookups {
            before: before.get(k).copied().flatten(),
            season: back.get(k).copied().flatten(),
            season_before: back_before.get(k).copied().flatten(),
        };
        if let Some(b) = l.before {
            acc_now[k] = present.v[k] - present.v[b];
        }
        if let (Some(s), Some(sb)) = (l.season, l.season_before) {
            acc_hist[k] = present.v[s] - present.v[sb];
        }
        excess[k] = acc_now[k] - acc_hist[k];
        look.push(l);
    }
    let passes = |x: f64| cmp.passes(if both { x.abs() } else { x }, buffer);
    let flags: Vec<bool> = excess.iter().map(|&x| passes(x)).collect();
    let naive: Vec<bool> = acc_now.iter().map(|&x| passes(x)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let naive_flagged = naive.iter().filter(|&&f| f).count();
    let evaluated = excess.iter().filter(|x| !x.is_nan()).count();
    let key = |x: f64| if both { x.abs() } else { x };
    let test = (0..m).filter(|&k| !excess[k].is_nan()).fold(None, |best: Option<usize>, k| match best {
        Some(b) if key(excess[b]) >= key(excess[k]) => Some(b),
        _ => Some(k),
    });
    let last = m.checked_sub(1);
    let span = match (present.t.first(), present.t.last()) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let step_s = p.num("step")?;
    let season_samples =
        if series.timestamped { String::new() } else { format!(" = {} samples", num(season / step_s)) };

    let mut steps = Steps::new();
    steps.num(
        "n",
        "Samples",
        "n (present samples)",
        format!(
            "{} rows over {}{}",
            count(rows),
            duration(span),
            if rows > m { format!(", {} missing", rows - m) } else { String::new() }
        ),
        m as f64,
    );
    steps.text(
        "season",
        "One season back",
        "offset",
        format!("{}{}", duration(season), season_samples),
        if evaluated > 0 {
            format!("{} of {} samples have the history the rule needs", count(evaluated), count(m))
        } else {
            "no sample has a history one season back".to_string()
        },
    );
    let val = |i: Option<usize>| i.map_or("no sample".to_string(), |i| num(present.v[i]));
    let at = |t: f64| format!("t = {} s{}", num(t), clock(t));
    if let Some(k) = test {
        let l = look[k];
        let t = present.t[k];
        steps.num(
            "now",
            &format!("Change now, at the largest excess ({})", at(t)),
            "r(t) − r(t − lag)",
            format!("{} − {}", num(present.v[k]), paren(l.before.map_or(f64::NAN, |b| present.v[b]))),
            acc_now[k],
        );
        steps.num(
            "history",
            "The same change one season earlier",
            "r(t − S) − r(t − S − lag)",
            format!("{} − {}", val(l.season), l.season_before.map_or("no sample".to_string(), |i| paren(present.v[i]))),
            acc_hist[k],
        );
        steps.num(
            "excess",
            "Faster than usual by",
            "change now − change one season back",
            format!("{} − {}", num(acc_now[k]), paren(acc_hist[k])),
            excess[k],
        );
        steps
            .text(
                "compare",
                "Alert?",
                &format!(
                    "{}excess{} {} buffer",
                    if both { "|" } else { "" },
                    if both { "|" } else { "" },
                    cmp.symbol()
                ),
                format!("{} {} {}?", num(key(excess[k])), cmp.symbol(), num(buffer)),
                if flags[k] { "yes: faster than usual" } else { "no: within the buffer" },
            )
            .decisive();
        steps.text(
            "naive",
            "Without the season (the plain velocity rule)",
            &format!("change now {} buffer", cmp.symbol()),
            format!("{} {} {}?", num(key(acc_now[k])), cmp.symbol(), num(buffer)),
            format!(
                "{}; over the whole series it fires at {}",
                if naive[k] { "yes" } else { "no" },
                n_samples(naive_flagged)
            ),
        );
    } else if let Some(k) = last {
        steps
            .text(
                "compare",
                "Alert?",
                "needs r(t), r(t − lag), r(t − S), r(t − S − lag)",
                format!(
                    "at the last sample: {}, {}, {}, {}",
                    num(present.v[k]),
                    val(look[k].before),
                    val(look[k].season),
                    val(look[k].season_before)
                ),
                "cannot be evaluated",
            )
            .decisive();
    }

    let verdict = if m < 2 {
        Verdict::new(
            Level::Undefined,
            "Not enough samples",
            format!("The rule compares samples at four moments; this series has {} present.", m),
        )
    } else if evaluated == 0 {
        Verdict::new(
            Level::Undefined,
            "No history one season back",
            format!(
                "The series spans {}, and the rule needs the samples {} earlier (and {} before those). Give at least one season plus a lag of data, or shorten the season.",
                duration(span),
                duration(season),
                duration(lag)
            ),
        )
    } else if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: faster than last season at {}", n_samples(flagged)),
            format!(
                "First at {}: the rate changed by {} over {}, against {} one season earlier (excess {} {} {}). The plain rule without the season fires at {}.",
                at(present.t[first]),
                num(acc_now[first]),
                duration(lag),
                num(acc_hist[first]),
                num(excess[first]),
                cmp.symbol(),
                num(buffer),
                n_samples(naive_flagged)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "Nothing grows faster than it did last season",
            format!(
                "The largest excess is {}{}, within the buffer {}; the plain rule without the season would fire at {}.",
                test.map_or("undefined".to_string(), |k| num(excess[k])),
                test.map_or(String::new(), |k| format!(" ({})", at(present.t[k]))),
                num(buffer),
                n_samples(naive_flagged)
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let opt = |k: Option<usize>, xs: &[f64], why: &str| {
        k.map_or(Val::Undefined(why.to_string()), |k| Val::num_or(xs[k], why))
    };
    a.push_value("n", "present samples", Val::Int(m as i64), "");
    a.push_value("evaluated", "samples with a full history", Val::Int(evaluated as i64), "");
    a.push_value("excess_max", "largest excess over last season", opt(test, &excess, "no history"), "");
    a.push_value(
        "excess_max_t",
        "its time",
        test.map_or(Val::Undefined("no history".to_string()), |k| Val::Num(present.t[k])),
        "s",
    );
    a.push_value("change_now_at_max", "change now there", opt(test, &acc_now, "no history"), "");
    a.push_value("change_season_at_max", "change one season back there", opt(test, &acc_hist, "no history"), "");
    a.push_value("excess_last", "excess at the last sample", opt(last, &excess, "no history one season back"), "");
    a.push_value(
        "fires",
        "the rule fires at the last sample",
        last.filter(|&k| !excess[k].is_nan())
            .map_or(Val::Undefined("no history one season back".to_string()), |k| Val::Bool(flags[k])),
        "",
    );
    a.push_value("flagged", "samples where the seasonal rule fires", Val::Int(flagged as i64), "");
    a.push_value("naive_flagged", "samples where the plain rule (no season) fires", Val::Int(naive_flagged as i64), "");

    a.note(NoteLevel::Info, "The series is the rate itself (requests per second, say). The guide first turns a counter into a rate with rate(metric[2m]); paste that rate here.");
    if !series.timestamped && lag < step_s {
        a.note(NoteLevel::Caveat, format!(
            "The lag ({}) is shorter than the sample interval ({}): “{} ago” finds the previous sample, so the change is over {}.",
            duration(lag), duration(step_s), duration(lag), duration(step_s)
        ));
    }
    if rows > m {
        a.note(NoteLevel::Info, "Missing samples are looked past as Prometheus does: a moment takes the latest sample before it, if that is within the lookback delta.");
    }
    if evaluated > 0 && evaluated < m {
        a.note(NoteLevel::Info, format!(
            "The first {} of the series has no history one season back; the rule cannot speak there, which is the first week of every new service in the guide's setting.",
            duration(season.min(span))
        ));
    }

    let mut table = Table::new(
        "samples",
        "Each sample",
        &["#", "t (s)", "r(t)", "change now", "change one season back", "excess", "fires"],
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
                show(acc_now[k]),
                show(acc_hist[k]),
                show(excess[k]),
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

    // Plot.
    let axis = TimeAxis::fit(&present.t);
    let xs: Vec<f64> = present.t.iter().map(|&t| axis.x(t)).collect();
    // One shared x column for every layer drawn against time.
    let xc: Column = xs.clone().into();
    let x_axis = || axis.axis(&present.t);
    let mut top = Panel::new("", x_axis(), Axis::linear("rate"));
    top.weight = 1.2;
    let t_end = present.t.last().copied().unwrap_or(0.0);
    let (sx, sy): (Vec<f64>, Vec<f64>) = (0..m)
        .filter(|&k| present.t[k] + season <= t_end)
        .map(|k| (axis.x(present.t[k] + season), present.v[k]))
        .unzip();
    if !sx.is_empty() {
        top.push(Layer::line(sx, sy, solid_if_long(Role::Alternative, m), "one season earlier").no_fit());
    }
    let y_col: Column = present.v.clone().into();
    top.push(Layer::points(xc.clone(), y_col.clone(), Role::Data, "rate"));
    let (fx, fy): (Vec<f64>, Vec<f64>) = (0..m).filter(|&k| flags[k]).map(|k| (xs[k], present.v[k])).unzip();
    top.push(Layer::points(fx, fy, Role::Flagged, "faster than last season"));

    let mut change = Panel::new("", x_axis(), Axis::linear(format!("change over {}", duration(lag))));
    change.push(Layer::hline(buffer, Role::Threshold, format!("buffer {} (the plain rule)", num(buffer))).no_fit());
    change.push(Layer::line(xc.clone(), acc_hist.clone(), solid_if_long(Role::Alternative, m), "one season back"));
    change.push(Layer::line(xc.clone(), acc_now.clone(), Role::Model, "now"));

    let mut ex = Panel::new("", x_axis(), Axis::linear("now − season back"));
    ex.weight = 0.9;
    ex.push(Layer::hline(0.0, Role::Center, ""));
    ex.push(Layer::hline(buffer, Role::Threshold, format!("buffer {}", num(buffer))));
    if both {
        ex.push(Layer::hline(-buffer, Role::Threshold, ""));
    }
    ex.push(Layer::line(xc.clone(), excess.clone(), Role::Model, "excess"));
    a.plot = Plot::stacked(vec![top, change, ex]);
    a.points = Some(Points {
        x: present.t.clone().into(),
        y: y_col,
        score: excess,
        flag: flags,
        score_label: "excess over last season".to_string(),
    });
    Ok(a)
}
