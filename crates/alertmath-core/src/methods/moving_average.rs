//! Moving averages: the simple moving average of the last n points, the exponential
//! moving average with α, and the guide's fast-versus-slow rule (MACD style): alert when
//! the fast average exceeds the slow one by a factor, as in
//! `rate(metric[5m]) > rate(metric[1h]) * 1.2`.
//!
//! Both averages are O(n): the SMA by a compensated sliding sum, the EMA by its
//! recursion. How the SMA fills its first window and how the EMA starts are parameters.

use super::common::{n_points, series_field, Compare, Series, COMPARE, STEP};
use super::ewma::{NAMED_POINTS, START_ADJUST, START_FIRST};
use super::timeseries::{ema, sma, spacing_caveat, time_axis, EmaStart, WindowStart, WINDOW_START_CHOICES};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{integer, number, Choice, MethodSpec, ParamKind, ParamSpec};

/// The crossings drawn as vertical lines; beyond this many only the first ones are.
const MAX_CROSSING_LINES: usize = 40;

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "moving-average",
        name: "Moving averages (SMA, EMA) and fast vs slow",
        summary: "Smooths a series with a simple and an exponential moving average, and flags points where a fast average exceeds a slow one by a factor.",
        fields: &[series_field(2)],
        params: &[
            ParamSpec {
                id: "window",
                label: "SMA window n",
                unit: "points",
                help: "The simple moving average of the last n points; the guide averages 4. It is also the fast average's window.",
                kind: integer(4.0, 1.0, 100_000.0),
            },
            ParamSpec {
                id: "alpha",
                label: "EMA smoothing factor α",
                unit: "",
                help: "Weight of the newest point in the exponential moving average; the guide uses 0.5.",
                kind: number(0.5, 0.001, 1.0, 0.001),
            },
            ParamSpec {
                id: "init",
                label: "EMA start",
                unit: "",
                help: "How the EMA starts: the first value (the guide), the mean of the first n points, or pandas' default normalised weights (52.67 instead of 50 on the guide's data).",
                kind: ParamKind::Choice {
                    default: "first",
                    options: &[START_FIRST, Choice { id: "warmup", label: "S_n = mean of the first n points" }, START_ADJUST],
                },
            },
            ParamSpec {
                id: "sma_start",
                label: "First window",
                unit: "",
                help: "Before n points have arrived: average what is there (PromQL's avg_over_time), or leave the SMA undefined (pandas' rolling).",
                kind: ParamKind::Choice { default: "partial", options: WINDOW_START_CHOICES },
            },
            ParamSpec {
                id: "fast",
                label: "Fast average",
                unit: "",
                help: "The line compared with the slow SMA: the SMA of n points (the guide's rate[5m]) or the EMA.",
                kind: ParamKind::Choice {
                    default: "sma",
                    options: &[
                        Choice { id: "sma", label: "SMA of n points (like rate[5m])" },
                        Choice { id: "ema", label: "EMA with α" },
                    ],
                },
            },
            ParamSpec {
                id: "slow_window",
                label: "Slow SMA window",
                unit: "points",
                help: "The slow average (the guide's rate[1h]: 60 one-minute samples against 5).",
                kind: integer(12.0, 1.0, 100_000.0),
            },
            ParamSpec {
                id: "factor",
                label: "Factor",
                unit: "×",
                help: "Alert when fast > factor × slow; the guide uses 1.2 (20% above).",
                kind: number(1.2, 0.01, 10.0, 0.01),
            },
            COMPARE,
            STEP,
        ],
    },
    run,
};

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let field = &METHOD.spec.fields[0];
    let series = Series::read(input, field, p.num("step")?);
    let n = series.len();
    let v = &series.v;
    let window = p.count("window")?.max(1);
    let slow_window = p.count("slow_window")?.max(1);
    let alpha = p.num("alpha")?;
    let factor = p.num("factor")?;
    let cmp = Compare::from_params(p)?;
    let start = WindowStart::from_id(p.choice("sma_start")?);
    let ema_start = match p.choice("init")? {
        "warmup" => EmaStart::WarmupMean(window),
        "adjust" => EmaStart::Adjusted,
        _ => EmaStart::First,
    };
    let fast_is_ema = p.choice("fast")? == "ema";

    let sma_fast = sma(v, window, start);
    let ema_line = ema(v, alpha, ema_start);
    let slow = sma(v, slow_window, start);
    let fast: &[f64] = if fast_is_ema { &ema_line } else { &sma_fast };
    let fast_name = if fast_is_ema { format!("EMA (α = {})", num(alpha)) } else { format!("SMA of {}", window) };
    let fires: Vec<bool> =
        (0..n).map(|i| !fast[i].is_nan() && !slow[i].is_nan() && cmp.passes(fast[i], factor * slow[i])).collect();
    let scores: Vec<f64> = (0..n).map(|i| if slow[i] > 0.0 { fast[i] / slow[i] } else { f64::NAN }).collect();
    let flagged = fires.iter().filter(|&&f| f).count();
    let crossings: Vec<usize> = (0..n).filter(|&i| fires[i] && (i == 0 || !fires[i - 1])).collect();
    let last = (0..n).rev().find(|&i| !fast[i].is_nan() || !slow[i].is_nan());
    let first_fire = fires.iter().position(|&f| f);

    let (unit, x, x_label) = time_axis(&series);
    let mut steps = Steps::new();
    let end = last.unwrap_or(n.saturating_sub(1));
    // The SMA at the last point, term by term.
    let lo = (end + 1).saturating_sub(window);
    let win: Vec<f64> = v.get(lo..=end).unwrap_or(&[]).iter().copied().filter(|x| !x.is_nan()).collect();
    let sma_last = sma_fast.get(end).copied().unwrap_or(f64::NAN);
    let terms = if win.len() <= 10 {
        format!("({}) / {}", win.iter().map(|&w| num(w)).collect::<Vec<_>>().join(" + "), win.len())
    } else {
        format!("{} / {}", num(crate::stats::sum(&win)), win.len())
    };
    steps.num("sma", &format!("SMA of the last {} points", window), "(x_{t−n+1} + … + x_t) / n", terms, sma_last);
    if win.len() < window {
        steps.text(
            "sma.partial",
            "The window is not full",
            "",
            format!("only {} of {} points", win.len(), window),
            if start == WindowStart::Partial { "averaged what is there" } else { "undefined until it fills" },
        );
    }
    // The EMA recursion for the first points (all of a short series).
    let shown = n.min(NAMED_POINTS);
    for i in 0..shown {
        let id = format!("ema.{}", i + 1);
        let label = format!("EMA at point {}", i + 1);
        let xi = v[i];
        let prev = if i == 0 { f64::NAN } else { ema_line[i - 1] };
        if xi.is_nan() {
            steps.num(&id, &format!("{}: missing sample", label), "S_t = S_{t−1}", "held", ema_line[i]);
        } else if ema_start == EmaStart::Adjusted {
            steps.num(&id, &label, "S_t = Σ (1 − α)^i x_{t−i} / Σ (1 − α)^i", format!("x = {}", num(xi)), ema_line[i]);
        } else if !prev.is_nan() {
            steps.num(
                &id,
                &label,
                "S_t = α·x_t + (1 − α)·S_{t−1}",
                format!("{}·{} + {}·{}", num(alpha), num(xi), num(1.0 - alpha), paren(prev)),
                ema_line[i],
            );
        } else if ema_line[i].is_nan() {
            steps.text(&id, &label, "the first n points seed the EMA", format!("x = {}", num(xi)), "not yet defined");
        } else {
            steps.num(&id, &label, "the starting value", format!("x = {}", num(xi)), ema_line[i]);
        }
    }
    if n > shown {
        steps.num(
            "ema_last",
            &format!("EMA at the last point ({})", n),
            "S_t = α·x_t + (1 − α)·S_{t−1}",
            "…",
            ema_line[n - 1],
        );
    }
    let slow_last = slow.get(end).copied().unwrap_or(f64::NAN);
    let fast_last = fast.get(end).copied().unwrap_or(f64::NAN);
    steps.num(
        "slow",
        &format!("Slow SMA of the last {} points", slow_window),
        "(x_{t−m+1} + … + x_t) / m",
        format!("at point {}", end + 1),
        slow_last,
    );
    let focus = first_fire.unwrap_or(end);
    let (ff, sf) = (fast.get(focus).copied().unwrap_or(f64::NAN), slow.get(focus).copied().unwrap_or(f64::NAN));
    if ff.is_nan() || sf.is_nan() {
        steps
            .text(
                "compare",
                "Fast above factor × slow?",
                &format!("fast {} factor × slow", cmp.symbol()),
                "an average is undefined here",
                "undefined",
            )
            .decisive();
    } else {
        steps
            .text(
                "compare",
                &format!("Fast above factor × slow at point {}?", focus + 1),
                &format!("fast {} factor × slow", cmp.symbol()),
                format!("{} {} {} × {} = {}?", num(ff), cmp.symbol(), num(factor), num(sf), num(factor * sf)),
                if fires[focus] { "yes: the rule fires" } else { "no" },
            )
            .decisive();
    }

    let verdict = if v.iter().all(|x| x.is_nan()) {
        Verdict::new(Level::Undefined, "No observed values", "Every sample is missing (NaN).")
    } else if slow.iter().all(|s| s.is_nan()) {
        Verdict::new(
            Level::Undefined,
            "The slow window is longer than the series",
            format!(
                "The slow SMA needs {} points before it is defined (pandas' rolling convention) and the series has {}. Shorten the window, or let it average what is there.",
                count(slow_window),
                count(n)
            ),
        )
    } else if let Some(i) = first_fire {
        Verdict::new(
            Level::Alert,
            format!("ALERT: the rule fires at {}", n_points(flagged)),
            format!(
                "First at point {}: {} = {} {} {} × slow {} = {}; it starts firing {} {}{}.",
                i + 1,
                fast_name,
                num(fast[i]),
                cmp.symbol(),
                num(factor),
                num(slow[i]),
                num(factor * slow[i]),
                crossings.len(),
                if crossings.len() == 1 { "time" } else { "times" },
                if last.is_some_and(|l| fires[l]) { ", and is firing at the last point" } else { "" }
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "The rule does not fire",
            format!(
                "At the last point {} = {} {} {} × slow {} = {}.",
                fast_name,
                num(fast_last),
                cmp.negated(),
                num(factor),
                num(slow_last),
                num(factor * slow_last)
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("n", "points", Val::Int(n as i64), "");
    a.push_value("sma", format!("SMA of the last {} points", window), Val::num_or(sma_last, "window not full"), "");
    if n <= NAMED_POINTS {
        for (i, &e) in ema_line.iter().enumerate() {
            a.push_value(
                format!("ema.{}", i + 1),
                format!("EMA at point {}", i + 1),
                Val::num_or(e, "not yet defined"),
                "",
            );
        }
    }
    let ema_last = (0..n).rev().find(|&i| !ema_line[i].is_nan()).map_or(f64::NAN, |i| ema_line[i]);
    a.push_value("ema_last", "EMA at the last point", Val::num_or(ema_last, "not defined"), "");
    a.push_value(
        "slow",
        format!("slow SMA of the last {} points", slow_window),
        Val::num_or(slow_last, "window not full"),
        "",
    );
    a.push_value(
        "ratio_last",
        "fast ÷ slow at the last point",
        Val::num_or(scores.get(end).copied().unwrap_or(f64::NAN), "slow average not positive"),
        "×",
    );
    a.push_value("fires_last", "does the rule fire at the last point?", Val::Bool(last.is_some_and(|l| fires[l])), "");
    a.push_value("flagged", "points where the rule fires", Val::Int(flagged as i64), "");
    a.push_value("crossings", "times it starts firing", Val::Int(crossings.len() as i64), "");
    a.push_value(
        "equivalent_alpha",
        "EMA α with the SMA's average age, 2/(n + 1)",
        Val::Num(2.0 / (window as f64 + 1.0)),
        "",
    );

    if ema_start == EmaStart::Adjusted {
        a.note(NoteLevel::Info, "pandas' default ewm() (adjust=True) divides by the sum of the weights used so far; on the guide's [10, 10, 10, 90] it gives 52.67, not the recursion's 50.");
    }
    a.note(
        NoteLevel::Info,
        format!(
            "An SMA of n points and an EMA with α = 2/(n + 1) (here {}) weigh the past with the same average age, (n − 1)/2 points; the EMA still reacts first, because its newest point carries weight α against the SMA's 1/n.",
            num(2.0 / (window as f64 + 1.0))
        ),
    );
    if slow_window <= window && !fast_is_ema {
        a.note(
            NoteLevel::Caveat,
            "The slow window is not longer than the fast one: the rule compares an average with a faster or equal one.",
        );
    }
    if v.iter().any(|x| x.is_nan()) {
        a.note(NoteLevel::Caveat, "Missing samples (NaN) are left out of the SMA windows (the mean of the samples present, as avg_over_time does) and hold the EMA.");
    }
    if let Some(text) = spacing_caveat(&series) {
        a.note(NoteLevel::Caveat, text);
    }
    if crossings.len() > MAX_CROSSING_LINES {
        a.note(
            NoteLevel::Info,
            format!(
                "The rule starts firing {} times; the plot marks the first {}.",
                count(crossings.len()),
                MAX_CROSSING_LINES
            ),
        );
    }

    let mut table = Table::new(
        "points",
        "Each point",
        &[
            "#",
            &format!("t ({})", unit.name),
            "x",
            &format!("SMA {}", window),
            "EMA",
            &format!("slow SMA {}", slow_window),
            "fast ÷ slow",
            "fires",
        ],
    );
    table.fill(
        n,
        |i| fires.get(i).copied().unwrap_or(false),
        |i| {
            let cell = |x: f64| if x.is_nan() { "—".to_string() } else { num(x) };
            vec![
                (i + 1).to_string(),
                num(x[i]),
                if v[i].is_nan() { "missing".to_string() } else { num(v[i]) },
                cell(sma_fast[i]),
                cell(ema_line[i]),
                cell(slow[i]),
                cell(scores[i]),
                if fires[i] { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    let threshold: Vec<f64> = slow.iter().map(|s| factor * s).collect();
    let mut top = Panel::new("", Axis::linear(x_label.clone()), Axis::linear("value"));
    top.weight = 1.6;
    top.push(Layer::line(x.clone(), threshold.clone(), Role::Threshold, format!("{} × slow", num(factor))));
    top.push(Layer::line(x.clone(), slow.clone(), Role::Center, format!("slow SMA of {}", slow_window)));
    top.push(Layer::line(
        x.clone(),
        ema_line.clone(),
        if fast_is_ema { Role::Model } else { Role::Alternative },
        format!("EMA (α = {})", num(alpha)),
    ));
    top.push(Layer::line(
        x.clone(),
        sma_fast.clone(),
        if fast_is_ema { Role::Alternative } else { Role::Model },
        format!("SMA of {}", window),
    ));
    let y: Column = v.clone().into();
    top.push(Layer::points(x.clone(), y.clone(), Role::Data, "data"));
    let (fx, fy): (Vec<f64>, Vec<f64>) = (0..n).filter(|&i| fires[i]).map(|i| (x[i], fast[i])).unzip();
    top.push(Layer::points(fx, fy, Role::Flagged, "rule fires"));
    let gap: Vec<f64> = (0..n).map(|i| fast[i] - slow[i]).collect();
    let margin: Vec<f64> = slow.iter().map(|s| (factor - 1.0) * s).collect();
    let mut bottom = Panel::new("", Axis::linear(x_label), Axis::linear("fast − slow"));
    bottom.push(Layer::hline(0.0, Role::Center, ""));
    bottom.push(Layer::line(x.clone(), margin, Role::Threshold, format!("({} − 1) × slow", num(factor))));
    bottom.push(Layer::line(x.clone(), gap, Role::Model, "fast − slow"));
    for &i in crossings.iter().take(MAX_CROSSING_LINES) {
        bottom.push(Layer::vline(x[i], Role::Marker, ""));
    }
    a.plot = Plot::stacked(vec![top, bottom]);
    a.points = Some(Points { x, y, score: scores, flag: fires, score_label: "fast ÷ slow".to_string() });
    Ok(a)
}
