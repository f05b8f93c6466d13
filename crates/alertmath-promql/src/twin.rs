//! A lesson's PromQL twin: the guide's query, evaluated as Prometheus would on the same
//! data the exact method sees, and compared flag by flag.
//!
//! A lesson declares its twin in TOML ([`TwinSpec`]): the query (a template whose
//! `$name`s are the method's current parameters or the twin's own variables), how the
//! lesson's data become Prometheus series ([`SeriesSpec`]), and which exact result each
//! evaluation is compared with. Nothing here is specific to a method.

use crate::ast::{BinOp, ExprKind};
use crate::error::{EvalError, ParseError, Span};
use crate::eval::{Engine, Labels, Options, Series, Storage, Value};
use crate::parser::{parse, substitute, Vars};
use crate::Version;
use alertmath_core::plot::{Axis, Layer, Panel, Plot, Role};
use alertmath_core::{Analysis, Input, Params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[promql]` table of a lesson.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwinSpec {
    /// The guide's query exactly as printed (shown beside ours; it may not be valid PromQL).
    pub guide: String,
    /// The query evaluated: PromQL with `$name` placeholders.
    pub query: String,
    /// Prose: why `query` differs from the guide's, when it does.
    #[serde(default)]
    pub correction: String,
    /// When the guide's query is not valid PromQL: a phrase of the parse error it gets
    /// (the lesson build checks that it really fails, and with this message).
    #[serde(default)]
    pub guide_error: Option<String>,
    pub series: SeriesSpec,
    /// The scrape interval of the series, and the rule evaluation interval ("1m").
    #[serde(default = "default_interval")]
    pub interval: String,
    /// Values of `$name`s that are not method parameters ("window" = "1h").
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// What each evaluation is compared with: `"flags"` (the method's per-point flags)
    /// or a value-id pattern such as `"alert.{row}"` (a boolean per row).
    #[serde(default = "default_exact")]
    pub exact: String,
    /// The alerting rule's name.
    pub alert: String,
    /// The rule's `for` duration ("0s": fire at once).
    #[serde(default)]
    pub r#for: String,
    /// The rule's summary annotation.
    #[serde(default)]
    pub summary: String,
}

fn default_interval() -> String {
    "1m".into()
}

fn default_exact() -> String {
    "flags".into()
}

/// How the lesson's data become Prometheus series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SeriesSpec {
    /// One value per scrape: the field's values become samples of the gauge `metric`,
    /// one every interval from time 0 (or at the field's own timestamps); NaN is a
    /// missed scrape.
    Gauge {
        field: String,
        #[serde(default = "default_metric")]
        metric: String,
    },
    /// Each row of a table field becomes one set of counters labelled `label="<row>"`:
    /// for each column named in `columns`, a counter that starts at 0 and grows evenly to
    /// the row's value over `span`, sampled every interval. The query is evaluated once,
    /// at the end of the span.
    Counters {
        field: String,
        #[serde(default = "default_row_label")]
        label: String,
        columns: BTreeMap<String, String>,
        span: String,
    },
}

fn default_metric() -> String {
    "metric".into()
}

fn default_row_label() -> String {
    "row".into()
}

/// A problem with the query (with where in its text) or with its evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwinError {
    /// "parse", "eval" or "spec".
    pub kind: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl From<ParseError> for TwinError {
    fn from(e: ParseError) -> Self {
        TwinError { kind: "parse", message: e.message, span: Some(e.span) }
    }
}

impl From<EvalError> for TwinError {
    fn from(e: EvalError) -> Self {
        TwinError { kind: "eval", message: e.message, span: None }
    }
}

fn spec_error(message: impl Into<String>) -> TwinError {
    TwinError { kind: "spec", message: message.into(), span: None }
}

/// One evaluation compared: a data point (gauge) or a row (counters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Evaluation time in ms.
    pub t: i64,
    /// What the reader calls it ("12:05", "scenario 2").
    pub label: String,
    /// The plotted position and value.
    pub x: f64,
    pub y: f64,
    pub exact: bool,
    pub promql: bool,
    /// The query's value there, when it returned one.
    pub value: Option<f64>,
    /// For a top-level comparison: its two sides.
    pub lhs: Option<f64>,
    pub rhs: Option<f64>,
}

/// Counts of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Counts {
    /// Both flag, or both do not.
    pub agree: usize,
    pub both: usize,
    pub exact_only: usize,
    pub promql_only: usize,
}

/// The twin's result.
#[derive(Debug, Clone, Serialize)]
pub struct TwinResult {
    /// The query with the variables substituted: what Prometheus is given.
    pub query: String,
    pub version: Version,
    /// The mapping from the lesson's data to series, in sentences.
    pub mapping: Vec<String>,
    /// Each series as promtool's notation: descriptor and values.
    pub series: Vec<(String, String)>,
    pub evaluations: Vec<Evaluation>,
    pub counts: Counts,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub plot: Plot,
    pub rule_yaml: String,
    pub test_yaml: String,
    /// File names for the downloads.
    pub rule_file: String,
    pub test_file: String,
}

/// Parses a duration such as "1m" into ms.
pub fn duration_ms(s: &str) -> Result<i64, TwinError> {
    let toks = crate::lexer::lex(s.trim()).map_err(TwinError::from)?;
    match toks.first().map(|t| &t.tok) {
        Some(crate::lexer::Tok::Duration(ms)) if toks.len() == 2 && *ms > 0 => Ok(*ms),
        _ => Err(spec_error(format!("“{}” is not a duration such as 1m.", s))),
    }
}

/// Writes ms as a Prometheus duration ("1h30m", "90s", "0s").
pub fn fmt_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms.abs();
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{}", rest / size, unit));
            rest %= size;
        }
    }
    if ms < 0 {
        format!("-{}", out)
    } else {
        out
    }
}

/// The variables of a query: the method's resolved parameters (numbers in shortest
/// exact form, choices by id), then the twin's own.
pub fn variables(spec: &TwinSpec, method: &str, params: &Params) -> Result<Vars, TwinError> {
    let m = alertmath_core::method(method).ok_or_else(|| spec_error(format!("no method “{}”", method)))?;
    let resolved = alertmath_core::ResolvedParams::resolve(&m.spec, params).map_err(|e| spec_error(e.message))?;
    let mut vars = Vars::new();
    for (id, v) in resolved.iter() {
        let text = match v {
            alertmath_core::params::Resolved::Number(x) => format!("{}", x),
            alertmath_core::params::Resolved::Choice(c) => c.to_string(),
            alertmath_core::params::Resolved::Flag(b) => b.to_string(),
        };
        vars.insert(id.to_string(), text);
    }
    for (k, v) in &spec.vars {
        vars.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(vars)
}

struct Mapped {
    storage: Storage,
    /// Evaluation times, with label, x and y, and the exact flag of each.
    points: Vec<(i64, String, f64, f64, bool)>,
    mapping: Vec<String>,
    /// For the promtool file: descriptor and the notation of its values on the interval grid.
    notation: Vec<(String, String)>,
    /// The label that names a row's series (counters), for matching output to rows.
    row_label: Option<String>,
    span_end: i64,
}

fn exact_flags(spec: &TwinSpec, analysis: &Analysis, n: usize) -> Result<Vec<bool>, TwinError> {
    if spec.exact == "flags" {
        let flags = analysis.points.as_ref().map(|p| p.flag.clone()).unwrap_or_default();
        if flags.len() != n {
            return Err(spec_error(format!(
                "the method flags {} points but the twin maps {} evaluations",
                flags.len(),
                n
            )));
        }
        return Ok(flags);
    }
    (1..=n)
        .map(|row| {
            let id = spec.exact.replace("{row}", &row.to_string());
            match analysis.value(&id) {
                Some(alertmath_core::Val::Bool(b)) => Ok(*b),
                Some(other) => Ok(other.as_f64().is_some_and(|x| x != 0.0)),
                None => Err(spec_error(format!("the analysis has no value “{}”", id))),
            }
        })
        .collect()
}

fn map_series(spec: &TwinSpec, method: &str, input: &Input, analysis: &Analysis) -> Result<Mapped, TwinError> {
    let interval = duration_ms(&spec.interval)?;
    let m = alertmath_core::method(method).ok_or_else(|| spec_error(format!("no method “{}”", method)))?;
    match &spec.series {
        SeriesSpec::Gauge { field, metric } => {
            let f = m.spec.field(field).ok_or_else(|| spec_error(format!("the method has no field “{}”", field)))?;
            let column = f.columns.first().ok_or_else(|| spec_error("the field has no column"))?;
            let values = input.col(&f.key(column.id));
            let times: Vec<i64> = match input.times(f) {
                Some(ts) => ts.iter().map(|&s| (s * 1000.0).round() as i64).collect(),
                None => (0..values.len()).map(|i| i as i64 * interval).collect(),
            };
            let flags = exact_flags(spec, analysis, values.len())?;
            let labels = Labels::new(vec![("__name__".into(), metric.clone())]);
            let mut series = Series { labels, t: Vec::new(), v: Vec::new() };
            let mut points = Vec::with_capacity(values.len());
            for (i, (&t, &v)) in times.iter().zip(values).enumerate() {
                if !v.is_nan() {
                    series.t.push(t);
                    series.v.push(v);
                }
                points.push((
                    t,
                    format!("#{} at {}", i + 1, fmt_duration(t)),
                    t as f64 / 60_000.0,
                    v,
                    flags.get(i).copied().unwrap_or(false),
                ));
            }
            // promtool's notation needs a regular grid.
            let regular = times.iter().all(|t| t % interval == 0) && times.windows(2).all(|w| w[1] > w[0]);
            let mut notation = Vec::new();
            if regular {
                let last = times.last().copied().unwrap_or(0) / interval;
                let mut grid: Vec<Option<f64>> = vec![None; (last + 1).clamp(0, 10_000_000) as usize];
                for (&t, &v) in times.iter().zip(values) {
                    if let Some(slot) = grid.get_mut((t / interval) as usize) {
                        *slot = (!v.is_nan()).then_some(v);
                    }
                }
                notation.push((metric.clone(), crate::notation::write(&grid)));
            }
            let mapping = vec![
                format!(
                    "Each value is one scrape of the gauge {}: {}.",
                    metric,
                    if input.times(f).is_some() {
                        "at its own timestamp".to_string()
                    } else {
                        format!("one every {} from time 0 (sample k at (k − 1) × {})", spec.interval, spec.interval)
                    }
                ),
                "The rule is evaluated at every sample's time, as Prometheus evaluates an alerting rule every evaluation interval; each evaluation sees only the samples up to that time.".to_string(),
            ];
            Ok(Mapped {
                storage: Storage { series: vec![series] },
                points,
                mapping,
                notation,
                row_label: None,
                span_end: 0,
            })
        }
        SeriesSpec::Counters { field, label, columns, span } => {
            let span_ms = duration_ms(span)?;
            let f = m.spec.field(field).ok_or_else(|| spec_error(format!("the method has no field “{}”", field)))?;
            let steps = span_ms / interval;
            if !(1..=100_000).contains(&steps) {
                return Err(spec_error("the span must hold between 1 and 100,000 intervals"));
            }
            let mut storage = Storage::default();
            let mut notation = Vec::new();
            let mut n_rows = 0;
            for (column, counter) in columns {
                let values = input.col(&f.key(column));
                n_rows = n_rows.max(values.len());
                for (row, &total) in values.iter().enumerate() {
                    let labels =
                        Labels::new(vec![("__name__".into(), counter.clone()), (label.clone(), (row + 1).to_string())]);
                    let mut s = Series { labels: labels.clone(), t: Vec::new(), v: Vec::new() };
                    let mut grid = Vec::with_capacity(steps as usize + 1);
                    for k in 0..=steps {
                        let v = total * k as f64 / steps as f64;
                        s.t.push(k * interval);
                        s.v.push(v);
                        grid.push(Some(v));
                    }
                    notation.push((labels.to_text(), crate::notation::write(&grid)));
                    storage.series.push(s);
                }
            }
            let flags = exact_flags(spec, analysis, n_rows)?;
            let first_col = columns.keys().next().cloned().unwrap_or_default();
            let ys = input.col(&f.key(&first_col));
            let points = (0..n_rows)
                .map(|r| {
                    (
                        span_ms,
                        format!("{} {}", label, r + 1),
                        (r + 1) as f64,
                        ys.get(r).copied().unwrap_or(f64::NAN),
                        flags.get(r).copied().unwrap_or(false),
                    )
                })
                .collect();
            let names: Vec<String> = columns.iter().map(|(c, n)| format!("{} → {}", c, n)).collect();
            let mapping = vec![
                format!(
                    "Each row becomes a set of counters labelled {}=\"<row number>\" ({}), each starting at 0 and growing evenly to the row's value over {}, scraped every {}.",
                    label,
                    names.join(", "),
                    span,
                    spec.interval
                ),
                format!(
                    "The rule is evaluated once, at the end of the {} window, for every row at the same time. With evenly growing counters, increase() recovers the row's totals up to rounding; real counters step in whole requests, and increase() then extrapolates them to non-integers.",
                    span
                ),
            ];
            Ok(Mapped { storage, points, mapping, notation, row_label: Some(label.clone()), span_end: span_ms })
        }
    }
}

/// Runs the twin: the method on `input` and `params` (for the exact flags), and the
/// query (`query` if given, else the lesson's) under `version`.
pub fn run(
    spec: &TwinSpec,
    lesson: &str,
    method: &str,
    input: Input,
    params: &Params,
    query: Option<&str>,
    version: Version,
) -> Result<TwinResult, TwinError> {
    let analysis = alertmath_core::analyze(method, input.clone(), params).map_err(|e| spec_error(e.message))?;
    let m = alertmath_core::method(method).ok_or_else(|| spec_error("no such method"))?;
    let input = input.normalised(&m.spec);
    let template = query.unwrap_or(&spec.query);
    let vars = variables(spec, method, params)?;
    let expr = parse(template, &vars, version)?;
    let text = substitute(template, &vars)?;
    let mapped = map_series(spec, method, &input, &analysis)?;
    let interval = duration_ms(&spec.interval)?;
    let mut opts = Options::new(version);
    opts.default_step_ms = interval;
    let engine = Engine::new(&mapped.storage, opts);
    // A top-level comparison (after parentheses) is shown by its two sides.
    let mut top = &expr;
    while let ExprKind::Paren(inner) = &top.kind {
        top = inner;
    }
    let sides = match &top.kind {
        ExprKind::Binary { op, lhs, rhs, return_bool: false, matching } if op.is_comparison() => {
            Some((lhs.as_ref(), rhs.as_ref(), *op, matching))
        }
        _ => None,
    };
    // Evaluates the query at t; for a top-level comparison, its two sides once each and
    // the comparison from them (the same operation the evaluator applies).
    let eval_at = |t: i64| -> Result<(Value, Option<(Value, Value)>), TwinError> {
        match sides {
            Some((l, r, op, matching)) => {
                let (lv, rv) = (engine.instant(l, t)?, engine.instant(r, t)?);
                let result = crate::eval::binary(op, lv.clone(), rv.clone(), false, matching)?;
                Ok((result, Some((lv, rv))))
            }
            None => Ok((engine.instant(&expr, t)?, None)),
        }
    };
    let mut evaluations = Vec::with_capacity(mapped.points.len());
    let mut counts = Counts::default();
    // Counters: one evaluation for all rows.
    let (single, single_sides) = if mapped.row_label.is_some() {
        let (v, s) = eval_at(mapped.span_end)?;
        (Some(v), s)
    } else {
        (None, None)
    };
    // Only the latest evaluations are run on long series, so that an edit stays interactive.
    let skip = mapped.points.len().saturating_sub(MAX_EVALUATIONS);
    for (row, (t, label, x, y, exact)) in mapped.points.iter().enumerate().skip(skip) {
        let pick = |v: &Value| -> Option<f64> {
            match v {
                Value::Scalar(x) => Some(*x),
                Value::Vector(samples) => match &mapped.row_label {
                    Some(l) => samples.iter().find(|s| s.metric.get(l) == (row + 1).to_string()).map(|s| s.f),
                    None => samples.first().map(|s| s.f),
                },
                Value::String(_) => None,
            }
        };
        let (value, promql, lhs, rhs) = if let Some(result) = &single {
            let value = pick(result);
            let promql = match result {
                Value::Scalar(x) => *x != 0.0,
                _ => value.is_some(),
            };
            let (lhs, rhs) = match &single_sides {
                Some((l, r)) => (pick(l), pick(r)),
                None => (None, None),
            };
            (value, promql, lhs, rhs)
        } else {
            let (result, both) = eval_at(*t)?;
            let value = pick(&result);
            let promql = match &result {
                Value::Scalar(x) => *x != 0.0,
                Value::Vector(v) => !v.is_empty(),
                Value::String(_) => false,
            };
            let (lhs, rhs) = match &both {
                Some((l, r)) => (pick(l), pick(r)),
                None => (None, None),
            };
            (value, promql, lhs, rhs)
        };
        match (*exact, promql) {
            (true, true) => {
                counts.both += 1;
                counts.agree += 1;
            }
            (false, false) => counts.agree += 1,
            (true, false) => counts.exact_only += 1,
            (false, true) => counts.promql_only += 1,
        }
        // A row has no single data value: it is shown by the query's left side.
        let y = if mapped.row_label.is_some() { lhs.or(value).unwrap_or(*y) } else { *y };
        evaluations.push(Evaluation { t: *t, label: label.clone(), x: *x, y, exact: *exact, promql, value, lhs, rhs });
    }
    let mut notes = Vec::new();
    if skip > 0 {
        notes.push(format!(
            "The series has {} samples; the query is evaluated at the latest {} of them (each over the full history), and the counts cover those.",
            mapped.points.len(),
            MAX_EVALUATIONS
        ));
    }
    if let Some((_, _, op, _)) = sides {
        if matches!(op, BinOp::Gtr | BinOp::Lss) {
            notes.push(format!(
                "The query compares with “{}”: a value exactly at the threshold does not fire.",
                op.symbol()
            ));
        }
    }
    if mapped.notation.is_empty() {
        notes.push("The timestamps are not a regular grid of the interval, so the promtool test file cannot list the series; the rule file is still valid.".into());
    }
    let plot = plot(&evaluations, sides.is_some(), mapped.row_label.is_some());
    let for_ms = if spec.r#for.trim().is_empty() {
        0
    } else {
        duration_ms(&spec.r#for).or_else(|e| if spec.r#for.trim() == "0s" { Ok(0) } else { Err(e) })?
    };
    let export = crate::export::Export {
        lesson,
        alert: &spec.alert,
        expr: &text,
        for_ms,
        summary: &spec.summary,
        version,
        interval_ms: interval,
        series: &mapped.notation,
        firing: firing_alerts(&engine, &expr, &mapped, interval, for_ms)?,
    };
    let (rule_yaml, test_yaml) = (export.rule_yaml(), export.test_yaml());
    Ok(TwinResult {
        query: text.clone(),
        version,
        mapping: mapped.mapping,
        series: mapped.notation.clone(),
        evaluations,
        counts,
        notes,
        plot,
        rule_yaml,
        test_yaml,
        rule_file: format!("{}.rules.yml", lesson),
        test_file: format!("{}.test.yml", lesson),
    })
}

/// The most evaluations a twin runs (the latest ones), to keep an edit interactive.
pub const MAX_EVALUATIONS: usize = 2_000;

/// At most this many evaluation times go into the promtool test file.
pub const MAX_TEST_EVALS: usize = 400;

/// The alerts firing at each evaluation time the test checks: the rule's output label
/// sets, after `for` (a label set fires once it has been returned at every evaluation
/// for at least `for`).
fn firing_alerts(
    engine: &Engine,
    expr: &crate::ast::Expr,
    mapped: &Mapped,
    interval: i64,
    for_ms: i64,
) -> Result<Vec<(i64, Vec<Labels>)>, TwinError> {
    let check_times: Vec<i64> = mapped.points.iter().map(|p| p.0).take(MAX_TEST_EVALS).collect();
    let Some(&last) = check_times.iter().max() else { return Ok(Vec::new()) };
    let mut active: BTreeMap<Labels, i64> = BTreeMap::new();
    let mut out = Vec::new();
    let mut t = 0;
    while t <= last {
        let present: Vec<Labels> = match engine.instant(expr, t)? {
            Value::Vector(v) => v.into_iter().map(|s| s.metric.without_name()).collect(),
            Value::Scalar(_) => vec![Labels::default()],
            Value::String(_) => Vec::new(),
        };
        active.retain(|l, _| present.contains(l));
        for l in &present {
            active.entry(l.clone()).or_insert(t);
        }
        if check_times.contains(&t) {
            let firing: Vec<Labels> =
                active.iter().filter(|(_, &since)| t - since >= for_ms).map(|(l, _)| l.clone()).collect();
            out.push((t, firing));
        }
        t += interval;
    }
    Ok(out)
}

fn plot(evals: &[Evaluation], has_sides: bool, rows: bool) -> Plot {
    let x_label = if rows { "row" } else { "time (minutes)" };
    let xs: Vec<f64> = evals.iter().map(|e| e.x).collect();
    let ys: Vec<f64> = evals.iter().map(|e| e.y).collect();
    let pick = |f: &dyn Fn(&Evaluation) -> bool| -> (Vec<f64>, Vec<f64>) {
        evals.iter().filter(|e| f(e)).map(|e| (e.x, e.y)).unzip()
    };
    let (ex, ey) = pick(&|e| e.exact);
    let (px, py) = pick(&|e| e.promql);
    let y_label = if rows { "the query's left side" } else { "value" };
    let mut top = Panel::new(
        "Data, with the exact method's flags and the PromQL query's",
        Axis::linear(x_label),
        Axis::linear(y_label),
    );
    if !rows {
        top.push(Layer::line(xs.clone(), ys.clone(), Role::Data, ""));
    }
    top.push(Layer::points(xs.clone(), ys, Role::Data, "data"));
    top.push(Layer::points(ex, ey, Role::Flagged, "exact method flags"));
    top.push(Layer::points(px, py, Role::Highlight, "PromQL flags"));
    let disagree: Vec<&Evaluation> = evals.iter().filter(|e| e.exact != e.promql).collect();
    for (i, e) in disagree.iter().take(200).enumerate() {
        top.push(Layer::vline(e.x, Role::Marker, if i == 0 { "they disagree" } else { "" }));
    }
    top.weight = 2.0;
    let mut plot = Plot::stacked(vec![top]);
    if has_sides {
        let lhs: Vec<f64> = evals.iter().map(|e| e.lhs.unwrap_or(f64::NAN)).collect();
        let rhs: Vec<f64> = evals.iter().map(|e| e.rhs.unwrap_or(f64::NAN)).collect();
        let mut bottom = Panel::new(
            "The query's comparison: left side against right side",
            Axis::linear(x_label),
            Axis::linear("PromQL value"),
        );
        if rows {
            bottom.push(Layer::points(xs.clone(), rhs, Role::Threshold, "right side (threshold)"));
            bottom.push(Layer::points(xs, lhs, Role::Model, "left side"));
        } else {
            bottom.push(Layer::line(xs.clone(), rhs, Role::Threshold, "right side (threshold)"));
            bottom.push(Layer::line(xs, lhs, Role::Model, "left side"));
        }
        plot.panels.push(bottom);
    }
    plot
}
