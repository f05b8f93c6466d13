//! The ratio of rates (the guide's "partial derivative" efficiency index): resource per
//! unit of workload — CPU per request — against the same ratio one season back, with a
//! factor (2× in the guide). Beside it, the true difference quotient ΔCPU/ΔRPS where
//! traffic moves: the ratio is an average cost (a ratio of levels), the quotient a
//! marginal one, and with steady traffic the quotient is 0/0.
//!
//! A second mode is the guide's latency-versus-throughput check: latency rising
//! (`deriv > 0`) while traffic is flat or falling (`deriv ≤ 0`), each deriv computed as
//! Prometheus does.

use super::common::{Compare, COMPARE, STEP};
use super::promql::{
    check_times, deriv_series, instant_at_offsets, range_starts, to_ms, RangeEdge, RANGE_EDGE_CHOICES,
};
use super::rates_common::{clock, duration, n_samples, piecewise, solid_if_long, TimeAxis};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{Choice, ColumnSpec, Domain, FieldSpec, MethodSpec, ParamKind, ParamSpec};

const FIELD: FieldSpec = FieldSpec {
    id: "rates",
    label: "Resource and workload",
    help: "one row per line: resource, workload (e.g. CPU %, requests/s), or time (s), resource, workload; NaN marks a missing sample",
    columns: &[
        ColumnSpec { id: "resource", label: "resource", unit: "", domain: Domain::Real },
        ColumnSpec { id: "workload", label: "workload", unit: "", domain: Domain::NonNegative },
    ],
    timestamps: true,
    min_rows: 2,
    gaps: true,
    optional: false,
};

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "ratio-of-rates",
        name: "Ratio of rates (cost per request)",
        summary: "Resource per unit of workload against the same ratio one season back, with the true difference quotient beside it; or latency rising while traffic is flat.",
        fields: &[FIELD],
        params: &[
            STEP,
            ParamSpec {
                id: "check",
                label: "Check",
                unit: "",
                help: "Cost per unit of workload against last season (the guide's CPU/RPS rule), or latency rising while traffic is flat or falling (first column latency, second traffic).",
                kind: ParamKind::Choice {
                    default: "cost",
                    options: &[
                        Choice { id: "cost", label: "cost: resource ÷ workload vs last season" },
                        Choice { id: "latency", label: "latency rising while traffic is flat" },
                    ],
                },
            },
            ParamSpec {
                id: "factor",
                label: "Factor",
                unit: "×",
                help: "Alert when the cost per unit exceeds this multiple of last season's; the guide uses 2.",
                kind: ParamKind::Number { default: 2.0, min: 0.01, max: 1000.0, step: 0.01, integer: false, log: true },
            },
            ParamSpec {
                id: "season",
                label: "Season (offset)",
                unit: "s",
                help: "How far back “last season” is: one week (604800) in the guide.",
                kind: ParamKind::Number { default: 604_800.0, min: 0.001, max: 100_000_000.0, step: 1.0, integer: false, log: true },
            },
            COMPARE,
            ParamSpec {
                id: "lookback",
                label: "Lookback delta",
                unit: "s",
                help: "How old the latest sample may be when last season's moment is looked up (Prometheus's default is 300).",
                kind: ParamKind::Number { default: 300.0, min: 0.001, max: 10_000_000.0, step: 1.0, integer: false, log: true },
            },
            ParamSpec {
                id: "window",
                label: "deriv window",
                unit: "s",
                help: "Latency check: the range of deriv(latency[w]) and deriv(traffic[w]); the guide uses 5 minutes (300).",
                kind: ParamKind::Number { default: 300.0, min: 0.001, max: 10_000_000.0, step: 1.0, integer: false, log: true },
            },
            ParamSpec {
                id: "range",
                label: "Range edge",
                unit: "",
                help: "Latency check: whether a sample exactly w back is in the range (no since Prometheus 3).",
                kind: ParamKind::Choice { default: "open", options: RANGE_EDGE_CHOICES },
            },
            ParamSpec {
                id: "traffic_tolerance",
                label: "Flat traffic up to",
                unit: "/s",
                help: "Latency check: traffic counts as flat or falling when its deriv is at most this (the guide: ≤ 0).",
                kind: ParamKind::Number { default: 0.0, min: 0.0, max: 1e12, step: 0.001, integer: false, log: false },
            },
        ],
    },
    run,
};

/// The rows where both columns are present.
struct Rows {
    row: Vec<usize>,
    t: Vec<f64>,
    ms: Vec<f64>,
    r: Vec<f64>,
    w: Vec<f64>,
}

fn ratio(r: f64, w: f64) -> f64 {
    if w > 0.0 {
        r / w
    } else if r == 0.0 {
        f64::NAN
    } else {
        r.signum() * f64::INFINITY
    }
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let step = p.num("step")?;
    let res = input.col(&FIELD.key("resource"));
    let work = input.col(&FIELD.key("workload"));
    let n = res.len().min(work.len());
    let times: Vec<f64> = match input.times(&FIELD) {
        Some(t) => t.to_vec(),
        None => (0..n).map(|i| i as f64 * step).collect(),
    };
    check_times(&times, FIELD.id)?;
    let mut rows = Rows { row: Vec::new(), t: Vec::new(), ms: Vec::new(), r: Vec::new(), w: Vec::new() };
    for i in 0..n {
        if res[i].is_nan() || work[i].is_nan() {
            continue;
        }
        rows.row.push(i);
        rows.t.push(times[i]);
        rows.ms.push(to_ms(times[i]));
        rows.r.push(res[i]);
        rows.w.push(work[i]);
    }
    if p.choice("check")? == "latency" {
        latency(p, &rows, n, &times)
    } else {
        cost(p, &rows, n, &times)
    }
}

fn row_map(rows: &Rows, n: usize) -> Vec<Option<usize>> {
    let mut pos = vec![None; n];
    for (k, &r) in rows.row.iter().enumerate() {
        if let Some(slot) = pos.get_mut(r) {
            *slot = Some(k);
        }
    }
    pos
}

fn cost(p: &ResolvedParams, rows: &Rows, n: usize, times: &[f64]) -> Result<Analysis, InputError> {
    let factor = p.num("factor")?;
    let season = p.num("season")?;
    let cmp = Compare::from_params(p)?;
    let lb_ms = (p.num("lookback")? * 1000.0).round();
    let season_ms = (season * 1000.0).round();
    let m = rows.t.len();
    let ratios: Vec<f64> = (0..m).map(|k| ratio(rows.r[k], rows.w[k])).collect();
    let back: Vec<Option<usize>> = instant_at_offsets(&rows.ms, season_ms, lb_ms);
    let base: Vec<f64> = back.iter().map(|b| b.map_or(f64::NAN, |j| ratios[j])).collect();
    let limit: Vec<f64> = base.iter().map(|b| factor * b).collect();
    let flags: Vec<bool> = (0..m).map(|k| cmp.passes(ratios[k], limit[k])).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let mut marginal = vec![f64::NAN; m];
    let mut d_res = vec![f64::NAN; m];
    let mut d_work = vec![f64::NAN; m];
    for k in 1..m {
        d_res[k] = rows.r[k] - rows.r[k - 1];
        d_work[k] = rows.w[k] - rows.w[k - 1];
        if d_work[k] != 0.0 {
            marginal[k] = d_res[k] / d_work[k];
        }
    }
    let moved = marginal.iter().filter(|x| !x.is_nan()).count();
    let zero_work = rows.w.iter().filter(|&&w| w == 0.0).count();
    let evaluated = base.iter().filter(|b| !b.is_nan()).count();
    let test = (0..m).rev().find(|&k| !base[k].is_nan()).or(m.checked_sub(1));
    let last = m.checked_sub(1);

    let mut steps = Steps::new();
    steps.num(
        "n",
        "Rows with both values",
        "n",
        format!("{} rows{}", count(n), if n > m { format!(", {} with a missing value", n - m) } else { String::new() }),
        m as f64,
    );
    if let Some(k) = test {
        let t = rows.t[k];
        steps
            .num(
                "ratio",
                &format!("Cost per unit of workload now (t = {} s{})", num(t), clock(t)),
                "resource / workload",
                format!("{} / {}", num(rows.r[k]), num(rows.w[k])),
                ratios[k],
            )
            .shown(if rows.w[k] == 0.0 {
                if rows.r[k] == 0.0 {
                    "undefined: 0/0 (no traffic, no cost)".to_string()
                } else {
                    "∞: resource with zero workload".to_string()
                }
            } else {
                num(ratios[k])
            });
        match back[k] {
            Some(j) => {
                steps.num(
                    "ratio_season",
                    &format!("The same ratio one season back (t = {} s)", num(rows.t[j])),
                    "resource / workload offset S",
                    format!("{} / {}", num(rows.r[j]), num(rows.w[j])),
                    ratios[j],
                );
                steps.num(
                    "jump",
                    "How many times last season's cost",
                    "ratio now / ratio then",
                    format!("{} / {}", num(ratios[k]), num(ratios[j])),
                    ratios[k] / ratios[j],
                );
                steps.num(
                    "limit",
                    "The alert's limit",
                    "factor × ratio then",
                    format!("{} × {}", num(factor), num(ratios[j])),
                    limit[k],
                );
                steps
                    .text(
                        "compare",
                        "Alert?",
                        &format!("ratio now {} limit", cmp.symbol()),
                        format!("{} {} {}?", num(ratios[k]), cmp.symbol(), num(limit[k])),
                        if flags[k] { "yes: the cost per unit broke away" } else { "no: within the factor" },
                    )
                    .decisive();
            }
            None => {
                steps
                    .text(
                        "compare",
                        "Alert?",
                        "needs a sample one season back",
                        format!("nothing within {} before t − {}", duration(lb_ms / 1000.0), duration(season)),
                        "cannot be evaluated",
                    )
                    .decisive();
            }
        }
        if k >= 1 {
            steps
                .num(
                    "marginal",
                    "The difference quotient over the last interval",
                    "Δresource / Δworkload",
                    format!(
                        "({} − {}) / ({} − {})",
                        num(rows.r[k]),
                        paren(rows.r[k - 1]),
                        num(rows.w[k]),
                        paren(rows.w[k - 1])
                    ),
                    marginal[k],
                )
                .shown(if marginal[k].is_nan() {
                    if d_res[k] == 0.0 {
                        "undefined: 0/0 — the workload did not move".to_string()
                    } else {
                        format!("undefined: {}/0 — the workload did not move", num(d_res[k]))
                    }
                } else {
                    num(marginal[k])
                });
        }
    }

    let verdict = if m == 0 {
        Verdict::new(
            Level::Undefined,
            "No complete rows",
            "Every row has a missing value; give rows with both resource and workload.",
        )
    } else if evaluated == 0 {
        let span = rows.t.last().copied().unwrap_or(0.0) - rows.t.first().copied().unwrap_or(0.0);
        Verdict::new(
            Level::Undefined,
            "No sample one season back",
            format!(
                "The rows span {}; comparing with {} earlier needs data that old. Add last season's rows (with their timestamps), or shorten the season.",
                duration(span),
                duration(season)
            ),
        )
    } else if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: the cost per unit broke away at {}", n_samples(flagged)),
            format!(
                "First at t = {} s: {} per unit against {} one season back ({}× > {}×).",
                num(rows.t[first]),
                num(ratios[first]),
                num(base[first]),
                num(ratios[first] / base[first]),
                num(factor)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "The cost per unit is within the factor",
            test.map_or(String::new(), |k| {
                format!(
                    "At t = {} s it is {}× last season's (the rule needs more than {}×).",
                    num(rows.t[k]),
                    num(ratios[k] / base[k]),
                    num(factor)
                )
            }),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let at = |xs: &[f64], why: &str| test.map_or(Val::Undefined(why.to_string()), |k| Val::num_or(xs[k], why));
    a.push_value("n", "rows with both values", Val::Int(m as i64), "");
    a.push_value("ratio", "cost per unit now", at(&ratios, "0/0: no workload and no resource"), "");
    a.push_value("ratio_season", "the same one season back", at(&base, "no sample one season back"), "");
    let jump: Vec<f64> = (0..m).map(|k| ratios[k] / base[k]).collect();
    a.push_value("jump", "ratio now / ratio then", at(&jump, "needs both ratios"), "×");
    a.push_fraction(
        "change",
        "change of the cost per unit",
        at(&jump.iter().map(|j| j - 1.0).collect::<Vec<_>>(), "needs both ratios"),
    );
    a.push_value("limit", "the alert's limit (factor × then)", at(&limit, "no sample one season back"), "");
    a.push_value(
        "fires",
        "the rule fires at the last sample",
        last.filter(|&k| !base[k].is_nan())
            .map_or(Val::Undefined("no sample one season back".to_string()), |k| Val::Bool(flags[k])),
        "",
    );
    a.push_value("flagged", "samples where it fires", Val::Int(flagged as i64), "");
    a.push_value(
        "marginal",
        "ΔCPU/ΔRPS over the last interval",
        last.filter(|&k| k >= 1).map_or(Val::Undefined("needs two rows".to_string()), |k| {
            Val::num_or(
                marginal[k],
                if d_res[k] == 0.0 { "0/0: the workload did not move" } else { "x/0: the workload did not move" },
            )
        }),
        "",
    );
    a.push_value("intervals_moved", "intervals where the workload moved", Val::Int(moved as i64), "");
    a.push_value("zero_workload", "rows with zero workload", Val::Int(zero_work as i64), "");

    a.note(NoteLevel::Info, "resource / workload is a ratio of levels — the average cost per unit — not ∂resource/∂workload. The marginal cost is the difference quotient Δresource/Δworkload, defined only where the workload moves; the two agree only when the resource is proportional to the workload (no idle cost).");
    if zero_work > 0 {
        a.note(NoteLevel::Caveat, format!(
            "{} with zero workload: resource / 0 is infinite (PromQL returns +Inf, and the {}× rule fires), and 0 / 0 is undefined (PromQL's NaN never fires).",
            n_samples(zero_work), num(factor)
        ));
    }
    if m >= 2 && moved == 0 {
        a.note(NoteLevel::Caveat, "The workload never moves between neighbouring rows, so ΔCPU/ΔRPS is undefined everywhere (Δworkload = 0). This is the guide's own scenario: “traffic is steady” leaves no partial derivative to measure.");
    }
    if n > m {
        a.note(NoteLevel::Info, "Rows with a missing value are left out; last season's moment takes the latest complete row within the lookback delta.");
    }

    let pos = row_map(rows, n);
    let mut table = Table::new(
        "rows",
        "Each row",
        &["#", "t (s)", "resource", "workload", "ratio", "ratio one season back", "Δres/Δwork", "fires"],
    );
    let show = |x: f64| if x.is_nan() { String::new() } else { num(x) };
    table.fill(
        n,
        |r| pos.get(r).copied().flatten().is_some_and(|k| flags.get(k).copied().unwrap_or(false)),
        |r| match pos.get(r).copied().flatten() {
            Some(k) => vec![
                (r + 1).to_string(),
                num(rows.t[k]),
                num(rows.r[k]),
                num(rows.w[k]),
                if ratios[k].is_nan() { "0/0".to_string() } else { num(ratios[k]) },
                show(base[k]),
                if k == 0 {
                    String::new()
                } else if marginal[k].is_nan() {
                    "—/0".to_string()
                } else {
                    num(marginal[k])
                },
                if flags[k] { "yes".to_string() } else { String::new() },
            ],
            None => {
                let mut c =
                    vec![(r + 1).to_string(), times.get(r).map_or(String::new(), |&t| num(t)), "missing".to_string()];
                c.resize(8, String::new());
                c
            }
        },
    );
    a.tables.push(table);

    // Time folded by the season, so that this season's samples lie over last season's.
    let t0 = rows.t.first().copied().unwrap_or(0.0);
    let cycle: Vec<f64> = rows.t.iter().map(|&t| ((t - t0) / season).floor().max(0.0)).collect();
    let latest = cycle.last().copied().unwrap_or(0.0);
    let folded = latest >= 1.0;
    let tf: Vec<f64> =
        if folded { rows.t.iter().zip(&cycle).map(|(&t, &c)| t - t0 - c * season).collect() } else { rows.t.clone() };
    let mut axis = TimeAxis::fit(&tf);
    if folded {
        axis.label = format!("time into each {} season ({})", duration(season), axis.unit);
    }
    let xs: Vec<f64> = tf.iter().map(|&t| axis.x(t)).collect();
    let x_axis = || axis.axis(&tf);
    // A line through rows, broken where one season ends and the next begins.
    let broken = |ys: &[f64]| -> (Vec<f64>, Vec<f64>) {
        let mut bx = Vec::with_capacity(m + 8);
        let mut by = Vec::with_capacity(m + 8);
        for k in 0..m {
            if k > 0 && cycle[k] != cycle[k - 1] {
                bx.push(f64::NAN);
                by.push(f64::NAN);
            }
            bx.push(xs[k]);
            by.push(ys[k]);
        }
        (bx, by)
    };
    let mut top = Panel::new("", x_axis(), Axis::linear("resource per unit of workload"));
    top.weight = 1.4;
    let (lx, ly) = broken(&limit);
    top.push(Layer::line(lx, ly, solid_if_long(Role::Threshold, m), format!("{}× last season", num(factor))));
    let (bx, by) = broken(&base);
    top.push(Layer::line(bx, by, solid_if_long(Role::Alternative, m), "last season's ratio"));
    let x0: Vec<f64> = (0..m).map(|k| if k == 0 { xs[0] } else { xs[k - 1] }).collect();
    let same_season: Vec<f64> =
        (0..m).map(|k| if k > 0 && cycle[k] == cycle[k - 1] { marginal[k] } else { f64::NAN }).collect();
    let (mx, my) = piecewise(&x0, &xs, &same_season);
    let scale = ratios.iter().chain(base.iter()).filter(|y| y.is_finite()).fold(0.0f64, |a, y| a.max(y.abs()));
    if moved > 0 {
        // The marginal cost shares the axis when it is on the ratios' scale; a quotient
        // over a tiny change of traffic can be huge, and is then left to run off the panel.
        let tame = same_season.iter().filter(|y| y.is_finite()).all(|y| y.abs() <= 5.0 * scale.max(f64::MIN_POSITIVE));
        if tame {
            top.push(Layer::line(mx, my, Role::Model, "ΔCPU/ΔRPS where traffic moves"));
        } else {
            // Held at the edges of the ratios' range: one line the chart can thin out,
            // rather than thousands of pieces leaving and re-entering the panel.
            let (lo, hi) = ratios
                .iter()
                .chain(base.iter())
                .chain(limit.iter())
                .filter(|y| y.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| (a.min(y), b.max(y)));
            let my: Vec<f64> =
                if lo <= hi { my.iter().map(|&y| if y.is_nan() { y } else { y.clamp(lo, hi) }).collect() } else { my };
            top.push(Layer::line(mx, my, Role::Model, "ΔCPU/ΔRPS where traffic moves (clipped to the panel)"));
        }
    } else if let Some(&x) = xs.first() {
        top.push(Layer::text(x, scale / 2.0, "ΔCPU/ΔRPS undefined: the workload never moves (0/0)"));
    }
    // Rows with a finite ratio are the points (this season's and earlier seasons' in two
    // layers); an infinite one (zero workload) is marked with a line and a label instead.
    let drawn: Vec<usize> = (0..m).filter(|&k| ratios[k].is_finite()).collect();
    let ratio_col: Column = drawn.iter().map(|&k| ratios[k]).collect::<Vec<_>>().into();
    let (ex, ey): (Vec<f64>, Vec<f64>) =
        drawn.iter().filter(|&&k| cycle[k] < latest).map(|&k| (xs[k], ratios[k])).unzip();
    let (nx, ny): (Vec<f64>, Vec<f64>) =
        drawn.iter().filter(|&&k| cycle[k] >= latest).map(|&k| (xs[k], ratios[k])).unzip();
    if !ex.is_empty() {
        top.push(Layer::points(ex, ey, Role::Alternative, "earlier seasons"));
    }
    if !nx.is_empty() {
        top.push(Layer::points(nx, ny, Role::Data, if folded { "this season" } else { "resource / workload" }));
    }
    let (fx, fy): (Vec<f64>, Vec<f64>) = drawn.iter().filter(|&&k| flags[k]).map(|&k| (xs[k], ratios[k])).unzip();
    top.push(Layer::points(fx, fy, Role::Flagged, "broke away"));
    let top_y = ratios.iter().chain(base.iter()).copied().filter(|y| y.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    if top_y.is_finite() {
        for k in (0..m).filter(|&k| ratios[k].is_infinite()).take(20) {
            top.push(Layer::vline(xs[k], Role::Flagged, ""));
            top.push(Layer::text(xs[k], top_y, "∞: zero workload"));
        }
    }
    let mut rp = Panel::new("", x_axis(), Axis::linear("resource"));
    rp.weight = 0.7;
    let (rx, ry) = broken(&rows.r);
    rp.push(Layer::line(rx, ry, Role::Model, ""));
    let mut wp = Panel::new("", x_axis(), Axis::linear("workload"));
    wp.weight = 0.7;
    let (wx, wy) = broken(&rows.w);
    wp.push(Layer::line(wx, wy, solid_if_long(Role::Alternative, m), ""));
    a.plot = Plot::independent(vec![top, rp, wp]);
    a.points = Some(Points {
        x: drawn.iter().map(|&k| rows.t[k]).collect::<Vec<_>>().into(),
        y: ratio_col,
        score: drawn.iter().map(|&k| jump[k]).collect(),
        flag: drawn.iter().map(|&k| flags[k]).collect(),
        score_label: "ratio ÷ last season's".to_string(),
    });
    if drawn.len() < m {
        a.row_flags = Some(flags);
    }
    Ok(a)
}

fn latency(p: &ResolvedParams, rows: &Rows, n: usize, times: &[f64]) -> Result<Analysis, InputError> {
    let window = p.num("window")?;
    let edge = RangeEdge::from_choice(p.choice("range")?);
    let tol = p.num("traffic_tolerance")?;
    let m = rows.t.len();
    let w_ms = (window * 1000.0).round().max(1.0);
    let starts = range_starts(&rows.ms, w_ms, edge);
    let (dl, _) = deriv_series(&rows.ms, &rows.r, &starts);
    let (dq, _) = deriv_series(&rows.ms, &rows.w, &starts);
    let flags: Vec<bool> = (0..m).map(|k| dl[k] > 0.0 && dq[k] <= tol).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    // The query as the guide prints it: both sides test the same metric's deriv.
    let latency_rises = |d: f64| d > 0.0;
    let traffic_flat_or_falling = |d: f64| d <= 0.0;
    let literal = dl.iter().filter(|&&d| latency_rises(d) && traffic_flat_or_falling(d)).count();
    let defined = (0..m).filter(|&k| !dl[k].is_nan() && !dq[k].is_nan()).count();
    let last = m.checked_sub(1);

    let mut steps = Steps::new();
    steps.num("n", "Rows with both values", "n", format!("{} rows", count(n)), m as f64);
    if let Some(k) = last {
        let t = rows.t[k];
        steps.num(
            "deriv_latency",
            &format!("deriv(latency[{}]) at t = {} s{}", duration(window), num(t), clock(t)),
            "least-squares slope per second",
            format!("samples {} to {}", starts[k] + 1, k + 1),
            dl[k],
        );
        steps.num(
            "deriv_traffic",
            "deriv(traffic[w]) at the same time",
            "least-squares slope per second",
            format!("samples {} to {}", starts[k] + 1, k + 1),
            dq[k],
        );
        steps
            .text(
                "compare",
                "Latency rising while traffic is flat or falling?",
                &format!("deriv(latency) > 0 and deriv(traffic) ≤ {}", num(tol)),
                format!("{} > 0 and {} ≤ {}?", num(dl[k]), num(dq[k]), num(tol)),
                if flags[k] { "yes: a bottleneck that load does not explain" } else { "no" },
            )
            .decisive();
    }
    steps.text(
        "literal",
        "The guide's query as printed",
        "deriv(metric[5m]) > 0 and deriv(metric[5m]) <= 0",
        "one metric cannot have a slope both > 0 and ≤ 0",
        format!("always empty ({} matches)", literal),
    );

    let verdict = if defined == 0 {
        Verdict::new(
            Level::Undefined,
            "No deriv is defined",
            format!(
                "No {} range holds two rows with different timestamps; widen the window or add rows.",
                duration(window)
            ),
        )
    } else if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: latency rises without more traffic at {}", n_samples(flagged)),
            format!(
                "First at t = {} s: latency deriv {} /s, traffic deriv {} /s.",
                num(rows.t[first]),
                num(dl[first]),
                num(dq[first])
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "Latency does not rise while traffic is flat",
            "Wherever latency rises, traffic rises too (or latency is flat or falling).",
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let at = |xs: &[f64]| {
        last.map_or(Val::Undefined("no rows".to_string()), |k| Val::num_or(xs[k], "fewer than two samples in range"))
    };
    a.push_value("n", "rows with both values", Val::Int(m as i64), "");
    a.push_value("deriv_latency", "deriv(latency[w]) at the last row", at(&dl), "/s");
    a.push_value("deriv_traffic", "deriv(traffic[w]) at the last row", at(&dq), "/s");
    a.push_value(
        "fires",
        "the check fires at the last row",
        last.map_or(Val::Undefined("no rows".to_string()), |k| Val::Bool(flags[k])),
        "",
    );
    a.push_value("flagged", "rows where it fires", Val::Int(flagged as i64), "");
    a.push_value("literal_flagged", "rows where the guide's printed query fires", Val::Int(literal as i64), "");
    a.push_value("literal_fires", "the guide's printed query ever fires", Val::Bool(literal > 0), "");
    a.note(NoteLevel::Warning, "The guide prints this check as deriv(metric[5m]) > 0 and deriv(metric[5m]) <= 0: the same metric on both sides, which is never true. It needs two metrics, latency on the left and traffic on the right, as computed here.");

    let pos = row_map(rows, n);
    let mut table = Table::new(
        "rows",
        "Each row",
        &["#", "t (s)", "latency", "traffic", "deriv latency", "deriv traffic", "fires"],
    );
    let show = |x: f64| if x.is_nan() { String::new() } else { num(x) };
    table.fill(
        n,
        |r| pos.get(r).copied().flatten().is_some_and(|k| flags.get(k).copied().unwrap_or(false)),
        |r| match pos.get(r).copied().flatten() {
            Some(k) => vec![
                (r + 1).to_string(),
                num(rows.t[k]),
                num(rows.r[k]),
                num(rows.w[k]),
                show(dl[k]),
                show(dq[k]),
                if flags[k] { "yes".to_string() } else { String::new() },
            ],
            None => {
                let mut c =
                    vec![(r + 1).to_string(), times.get(r).map_or(String::new(), |&t| num(t)), "missing".to_string()];
                c.resize(7, String::new());
                c
            }
        },
    );
    a.tables.push(table);

    let axis = TimeAxis::fit(&rows.t);
    let xs: Vec<f64> = rows.t.iter().map(|&t| axis.x(t)).collect();
    // One shared x column for every layer drawn against time.
    let xc: Column = xs.clone().into();
    let x_axis = || axis.axis(&rows.t);
    let mut top = Panel::new("", x_axis(), Axis::linear("latency"));
    top.weight = 1.2;
    let y_col: Column = rows.r.clone().into();
    top.push(Layer::points(xc.clone(), y_col.clone(), Role::Data, "latency"));
    let (fx, fy): (Vec<f64>, Vec<f64>) = (0..m).filter(|&k| flags[k]).map(|k| (xs[k], rows.r[k])).unzip();
    top.push(Layer::points(fx, fy, Role::Flagged, "rising without traffic"));
    let mut tp = Panel::new("", x_axis(), Axis::linear("traffic"));
    tp.weight = 0.8;
    tp.push(Layer::line(xc.clone(), rows.w.clone(), solid_if_long(Role::Alternative, m), ""));
    let mut dlp = Panel::new("", x_axis(), Axis::linear("deriv latency (/s)"));
    dlp.weight = 0.8;
    dlp.push(Layer::hline(0.0, Role::Threshold, ""));
    dlp.push(Layer::line(xc.clone(), dl.clone(), Role::Model, ""));
    let mut dqp = Panel::new("", x_axis(), Axis::linear("deriv traffic (/s)"));
    dqp.weight = 0.8;
    dqp.push(Layer::hline(tol, Role::Threshold, ""));
    dqp.push(Layer::line(xc.clone(), dq, Role::Model, ""));
    a.plot = Plot::independent(vec![top, tp, dlp, dqp]);
    a.points = Some(Points {
        x: rows.t.clone().into(),
        y: y_col,
        score: dl,
        flag: flags,
        score_label: "deriv(latency) per second".to_string(),
    });
    Ok(a)
}
