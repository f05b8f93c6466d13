//! The lesson file format (`lessons/<id>.toml`), its loading, its checks against the
//! core, and the JSON the page reads.
//!
//! A lesson names a method, carries our prose, and one or more worked examples: data
//! and parameters, and each of the guide's claimed numbers with its status. `verify`
//! runs every example through the core and checks every claim: the exact value, and
//! that the status is true (a "rounded" number really is the exact one rounded, an
//! "erratum" really is not, a "convention" really comes back under the parameters
//! the claim names).

use crate::node::Node;
use crate::prose;
use alertmath_core::{analyze, parse_field, Analysis, Input, ParamValue, Params, Val};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The version of the lesson format; `lessons/index.toml` must declare it.
pub const FORMAT_VERSION: u32 = 1;

/// `lessons/index.toml`: the format version and the lessons in site order, grouped in
/// the sections of the guide (and the companion articles).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub format_version: u32,
    pub sections: Vec<Section>,
}

/// A group of lessons on the home page.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    /// One sentence under the title.
    pub blurb: String,
    #[serde(skip_serializing)]
    pub lessons: Vec<String>,
}

/// One lesson file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub id: String,
    /// The method id in the core registry.
    pub method: String,
    pub title: String,
    /// One sentence for the home page.
    pub summary: String,
    /// Which part of the guide the lesson reproduces.
    pub guide: String,
    /// The index section listing it (set by [`load_all`]).
    #[serde(skip)]
    pub section: usize,
    /// Prose before the playground.
    pub intro: String,
    /// Prose after the playground (discussion, the guide's errors in full).
    #[serde(default)]
    pub after: String,
    pub examples: Vec<Example>,
    /// The guide's PromQL for this technique, evaluated beside the exact method (see
    /// `alertmath_promql::twin`). Optional: not every technique has a PromQL form.
    #[serde(default)]
    pub promql: Option<alertmath_promql::twin::TwinSpec>,
}

/// A worked example: the data and parameters to load, and the guide's claims about it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub id: String,
    pub label: String,
    /// Prose shown with the example (optional).
    #[serde(default)]
    pub note: String,
    /// Field id → the text typed in the editor.
    pub data: BTreeMap<String, String>,
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub claims: Vec<Claim>,
}

/// One number (or yes/no) the guide states, and how it compares with the exact value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Id of the named value in the analysis that this claim is about.
    pub value: String,
    pub label: String,
    /// The guide's number as the guide writes it ("17.5", "≈ 41", "76%", "no alert").
    pub guide: String,
    /// The guide's number as a number, when `guide` is not plain (e.g. "76%" → 0.76).
    #[serde(default)]
    pub guide_value: Option<toml::Value>,
    /// The exact value (a number to at least 10 significant digits, or a boolean).
    pub exact: toml::Value,
    pub status: Status,
    /// Why the guide's number differs (required unless the status is `matches`).
    #[serde(default)]
    pub reason: String,
    /// For `convention`: parameters under which the guide's number comes out.
    #[serde(default)]
    pub guide_params: BTreeMap<String, toml::Value>,
    /// How to show numbers of this claim: "number" (default) or "percent".
    #[serde(default)]
    pub display: Option<String>,
    /// A claim about the lesson's PromQL twin rather than the method: the query whose
    /// result it reads (`"guide"`: the guide's query, `"query"`: the lesson's, or a
    /// query's text). `value` is then `"value"` (the query's value), `"lhs"` or `"rhs"`
    /// (the two sides of its top-level comparison) or `"fires"` at one evaluation, or
    /// `"fired"` (how many evaluations fire). The build checks it under Prometheus 3
    /// and 2 alike.
    #[serde(default)]
    pub promql: Option<String>,
    /// For a PromQL claim: which evaluation, counting from 1 (default: the last).
    #[serde(default)]
    pub at: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The guide's number is the exact value.
    Matches,
    /// The guide's number is the exact value rounded to the digits it shows.
    Rounded,
    /// The guide's number is right under one convention the guide does not name.
    Convention,
    /// The guide's number is wrong.
    Erratum,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Matches => "matches",
            Status::Rounded => "rounded",
            Status::Convention => "depends on a convention",
            Status::Erratum => "erratum",
        }
    }
}

/// A problem found in a lesson, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub lesson: String,
    pub place: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lessons/{}.toml, {}: {}", self.lesson, self.place, self.message)
    }
}

/// Reads `index.toml` and every lesson it lists.
pub fn load_all(dir: &Path) -> Result<Vec<Lesson>, String> {
    load_index(dir).map(|(_, lessons)| lessons)
}

/// Reads `index.toml` and every lesson it lists: the sections, and the lessons in order.
pub fn load_index(dir: &Path) -> Result<(Vec<Section>, Vec<Lesson>), String> {
    let index_path = dir.join("index.toml");
    let text = std::fs::read_to_string(&index_path).map_err(|e| format!("{}: {}", index_path.display(), e))?;
    let index: Index = toml::from_str(&text).map_err(|e| format!("{}: {}", index_path.display(), e))?;
    if index.format_version != FORMAT_VERSION {
        return Err(format!(
            "{}: format_version is {}, this build reads {}",
            index_path.display(),
            index.format_version,
            FORMAT_VERSION
        ));
    }
    let mut listed = std::collections::BTreeSet::new();
    let mut lessons = Vec::new();
    let order = index.sections.iter().enumerate().flat_map(|(i, s)| s.lessons.iter().map(move |id| (i, id)));
    for (section, id) in order {
        if !listed.insert(id.clone()) {
            return Err(format!("{}: “{}” is listed twice", index_path.display(), id));
        }
        let path = dir.join(format!("{}.toml", id));
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {}", path.display(), e))?;
        let mut lesson: Lesson = toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e))?;
        lesson.section = section;
        if lesson.id != *id {
            return Err(format!("{}: id is “{}” but the file is {}.toml", path.display(), lesson.id, id));
        }
        lessons.push(lesson);
    }
    // Every lesson file must be listed, so that none is silently left off the site.
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {}", dir.display(), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".toml") {
            if stem != "index" && !listed.contains(stem) {
                return Err(format!("lessons/{} is not listed in lessons/index.toml", name));
            }
        }
    }
    if let Some(s) = index.sections.iter().find(|s| s.lessons.is_empty()) {
        return Err(format!("{}: the section “{}” lists no lesson", index_path.display(), s.title));
    }
    Ok((index.sections, lessons))
}

fn param_value(v: &toml::Value) -> Option<ParamValue> {
    match v {
        toml::Value::Integer(i) => Some(ParamValue::Number(*i as f64)),
        toml::Value::Float(x) => Some(ParamValue::Number(*x)),
        toml::Value::String(s) => Some(ParamValue::Text(s.clone())),
        toml::Value::Boolean(b) => Some(ParamValue::Bool(*b)),
        _ => None,
    }
}

fn params_of(map: &BTreeMap<String, toml::Value>) -> Result<Params, String> {
    let mut p = Params::new();
    for (k, v) in map {
        let value = param_value(v).ok_or_else(|| format!("parameter {} must be a number, string or boolean", k))?;
        p.0.insert(k.clone(), value);
    }
    Ok(p)
}

/// Parses an example's data with the method's field declarations.
pub fn example_input(method: &str, example: &Example) -> Result<Input, String> {
    let m = alertmath_core::method(method).ok_or_else(|| format!("there is no method “{}”", method))?;
    let mut input = Input::new();
    for (field_id, text) in &example.data {
        let field =
            m.spec.field(field_id).ok_or_else(|| format!("method {} has no input field “{}”", method, field_id))?;
        input.extend(parse_field(field, text).map_err(|e| format!("data.{}: {}", field_id, e))?);
    }
    Ok(input)
}

/// Runs an example, optionally with some parameters replaced.
pub fn run_example(
    lesson: &Lesson,
    example: &Example,
    overrides: &BTreeMap<String, toml::Value>,
) -> Result<Analysis, String> {
    let input = example_input(&lesson.method, example)?;
    let mut params = example.params.clone();
    params.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    analyze(&lesson.method, input, &params_of(&params)?).map_err(|e| e.message)
}

/// A claim's value as a number (booleans as 0/1), for comparisons.
fn as_number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(x) => Some(*x),
        toml::Value::Boolean(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn val_number(v: &Val) -> Option<f64> {
    match v {
        Val::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        other => other.as_f64(),
    }
}

/// The guide's number: `guide_value` if given, else `guide` read as a number ("≈ 17.9",
/// "76%", "1,050"), with the number of decimals it shows (for the rounding check).
pub fn guide_number(claim: &Claim) -> Option<(f64, i32)> {
    let cleaned: String = claim.guide.chars().filter(|c| !matches!(c, '≈' | '~' | ',' | ' ' | '+')).collect();
    let percent = cleaned.ends_with('%');
    let digits = cleaned.trim_end_matches('%');
    let mut decimals = digits.split_once('.').map_or(0, |(_, d)| d.len() as i32) + if percent { 2 } else { 0 };
    // Scientific notation ("6.6e-9"): the last digit shown is at 10^(exponent − mantissa decimals).
    if let Some((mantissa, exponent)) = digits.split_once(['e', 'E']) {
        let exponent = exponent.replace('−', "-").parse::<i32>().ok();
        if let (Some(e), Ok(_)) = (exponent, mantissa.replace('−', "-").parse::<f64>()) {
            decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len() as i32) - e + if percent { 2 } else { 0 };
        }
    }
    if let Some(v) = claim.guide_value.as_ref().and_then(as_number) {
        return Some((v, decimals));
    }
    let v: f64 = digits.replace('−', "-").parse().ok()?;
    Some((if percent { v / 100.0 } else { v }, decimals))
}

/// Whether `guide` is `exact` rounded to `decimals` places (half a unit of the last
/// place shown, plus a hair for binary noise).
fn rounds_to(guide: f64, exact: f64, decimals: i32) -> bool {
    let half = 0.5 * 10f64.powi(-decimals);
    (guide - exact).abs() <= half * (1.0 + 1e-9)
}

fn close(a: f64, b: f64) -> bool {
    if a == b {
        return true;
    }
    let scale = a.abs().max(b.abs()).max(1e-300);
    (a - b).abs() <= 1e-9 * scale
}

/// Checks a lesson against the core: the method exists, every example parses and runs,
/// every claim names a value the analysis has, the exact value is what the core
/// computes, and the status holds.
pub fn verify(lesson: &Lesson) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem =
        |place: String, message: String| problems.push(Problem { lesson: lesson.id.clone(), place, message });
    if alertmath_core::method(&lesson.method).is_none() {
        problem("method".into(), format!("there is no method “{}” in the core registry", lesson.method));
        return problems;
    }
    for (what, text) in [("intro", &lesson.intro), ("after", &lesson.after)] {
        if let Err(e) = prose::blocks(text) {
            problem(what.into(), e.to_string());
        }
    }
    if lesson.examples.is_empty() {
        problem("examples".into(), "a lesson needs at least one worked example".into());
    }
    if let Some(twin) = &lesson.promql {
        for p in verify_twin(lesson, twin) {
            problem("promql".into(), p);
        }
    }
    let mut ids = std::collections::BTreeSet::new();
    for ex in &lesson.examples {
        let place = format!("example “{}”", ex.id);
        if !ids.insert(ex.id.clone()) {
            problem(place.clone(), "duplicate example id".into());
        }
        if let Err(e) = prose::blocks(&ex.note) {
            problem(format!("{} note", place), e.to_string());
        }
        let analysis = match run_example(lesson, ex, &BTreeMap::new()) {
            Ok(a) => a,
            Err(e) => {
                problem(place, e);
                continue;
            }
        };
        for claim in &ex.claims {
            let place = format!("example “{}”, claim “{}”", ex.id, claim.label);
            if let Err(e) = prose::inline(&claim.reason) {
                problem(place.clone(), format!("reason: {}", e));
            }
            let actual = if claim.promql.is_some() {
                match twin_claim_value(lesson, ex, claim, &BTreeMap::new()) {
                    Ok(v) => v,
                    Err(e) => {
                        problem(place, e);
                        continue;
                    }
                }
            } else {
                let Some(actual) = analysis.value(&claim.value) else {
                    let ids: Vec<&str> = analysis.values.iter().map(|v| v.id.as_str()).collect();
                    problem(place, format!("the analysis has no value “{}” (it has {})", claim.value, ids.join(", ")));
                    continue;
                };
                actual.clone()
            };
            let actual = &actual;
            let Some(exact) = as_number(&claim.exact) else {
                problem(place, "exact must be a number or a boolean".into());
                continue;
            };
            match val_number(actual) {
                Some(got) if close(got, exact) => {}
                Some(got) => problem(place.clone(), format!("exact is {} but the core computes {}", exact, got)),
                None => problem(place.clone(), format!("the core reports {} ({:?})", actual.display(), actual)),
            }
            if claim.status != Status::Matches && claim.reason.trim().is_empty() {
                problem(place.clone(), format!("a claim marked {} needs a reason", claim.status.label()));
            }
            let Some((guide, decimals)) = guide_number(claim) else {
                problem(place, format!("cannot read the guide's “{}” as a number; give guide_value", claim.guide));
                continue;
            };
            let rounded = rounds_to(guide, exact, decimals);
            match claim.status {
                Status::Matches => {
                    if !close(guide, exact) {
                        problem(place, format!("marked matches, but the guide's {} is not the exact {}", guide, exact));
                    }
                }
                Status::Rounded => {
                    if close(guide, exact) {
                        problem(place, "marked rounded, but the guide's number is exact: mark it matches".into());
                    } else if !rounded {
                        problem(
                            place,
                            format!("marked rounded, but {} is not {} rounded to {} decimals", guide, exact, decimals),
                        );
                    }
                }
                Status::Erratum => {
                    if rounded {
                        problem(
                            place,
                            format!("marked erratum, but {} is {} rounded to {} decimals", guide, exact, decimals),
                        );
                    }
                }
                Status::Convention => {
                    if claim.guide_params.is_empty() {
                        problem(
                            place,
                            "a convention claim must name the guide_params that reproduce the guide's number".into(),
                        );
                        continue;
                    }
                    let under = if claim.promql.is_some() {
                        twin_claim_value(lesson, ex, claim, &claim.guide_params).map(|v| val_number(&v))
                    } else {
                        run_example(lesson, ex, &claim.guide_params).map(|a| a.value(&claim.value).and_then(val_number))
                    };
                    match under {
                        Ok(Some(v)) if rounds_to(guide, v, decimals) => {}
                        Ok(Some(v)) => problem(
                            place,
                            format!(
                                "under guide_params the core gives {}, which does not round to the guide's {}",
                                v, guide
                            ),
                        ),
                        Ok(None) => problem(place, "under guide_params the value is undefined".into()),
                        Err(e) => problem(place, format!("guide_params: {}", e)),
                    }
                }
            }
        }
    }
    problems
}

/// The value a PromQL claim reads: the twin of `example` (with `overrides` on its
/// parameters) run with the claim's query, under Prometheus 3 and 2, which must agree.
pub fn twin_claim_value(
    lesson: &Lesson,
    example: &Example,
    claim: &Claim,
    overrides: &BTreeMap<String, toml::Value>,
) -> Result<Val, String> {
    use alertmath_promql::{twin, Version};
    let spec = lesson.promql.as_ref().ok_or("a PromQL claim needs the lesson's [promql] table")?;
    let query = match claim.promql.as_deref() {
        Some("guide") => Some(spec.guide.as_str()),
        Some("query") | None => None,
        Some(text) => Some(text),
    };
    let input = example_input(&lesson.method, example)?;
    let mut params = example.params.clone();
    params.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    let params = params_of(&params)?;
    let mut values = Vec::new();
    for version in [Version::V3, Version::V2] {
        let r = twin::run(spec, &lesson.id, &lesson.method, input.clone(), &params, query, version)
            .map_err(|e| format!("the twin under {}: {}", version.label(), e.message))?;
        let value = if claim.value == "fired" {
            Val::Int(r.evaluations.iter().filter(|e| e.promql).count() as i64)
        } else {
            let n = r.evaluations.len();
            let at = claim.at.unwrap_or(n);
            let e = at
                .checked_sub(1)
                .and_then(|i| r.evaluations.get(i))
                .ok_or_else(|| format!("at = {} but the twin has {} evaluations", at, n))?;
            let number = |x: Option<f64>, what: &str| {
                x.map(Val::Num).ok_or_else(|| format!("the query has no {} at evaluation {} ({})", what, at, e.label))
            };
            match claim.value.as_str() {
                "value" => number(e.value, "value")?,
                "lhs" => number(e.lhs, "left side")?,
                "rhs" => number(e.rhs, "right side")?,
                "fires" => Val::Bool(e.promql),
                other => return Err(format!("a PromQL claim reads value, lhs, rhs, fires or fired, not “{}”", other)),
            }
        };
        values.push(value);
    }
    match (values.first().and_then(val_number), values.get(1).and_then(val_number)) {
        (Some(a), Some(b)) if close(a, b) => values.into_iter().next().ok_or_else(|| "no value".to_string()),
        (a, b) => Err(format!(
            "the twin gives {:?} under Prometheus 3 but {:?} under Prometheus 2; a claim must hold under both",
            a, b
        )),
    }
}

/// Checks a lesson's PromQL twin: its query parses under both Prometheus versions (or
/// says why not), the guide's query fails exactly as `guide_error` says (or parses when
/// none is given), the correction is valid prose, and every example runs through the twin.
fn verify_twin(lesson: &Lesson, twin: &alertmath_promql::twin::TwinSpec) -> Vec<String> {
    use alertmath_promql::{parse, twin, Version};
    let mut problems = Vec::new();
    if let Err(e) = prose::blocks(&twin.correction) {
        problems.push(format!("correction: {}", e));
    }
    let Some(first) = lesson.examples.first() else { return problems };
    let params = match params_of(&first.params) {
        Ok(p) => p,
        Err(e) => return vec![e],
    };
    let analysis = match run_example(lesson, first, &BTreeMap::new()) {
        Ok(a) => a,
        Err(e) => return vec![e],
    };
    let vars = match twin::variables_with(twin, &lesson.method, &params, Some(&analysis)) {
        Ok(v) => v,
        Err(e) => return vec![e.message],
    };
    // The base twin and each variant: the query parses, the guide's fails as said.
    let mut forms = vec![(String::new(), twin.query.clone(), twin.guide.clone(), twin.guide_error.clone())];
    for (i, v) in twin.variants.iter().enumerate() {
        let place = format!("variant {}: ", i + 1);
        if let Some(c) = &v.correction {
            if let Err(e) = prose::blocks(c) {
                problems.push(format!("{}correction: {}", place, e));
            }
        }
        let guide = v.guide.clone().unwrap_or_else(|| twin.guide.clone());
        let guide_error = if v.guide.is_some() { v.guide_error.clone() } else { twin.guide_error.clone() };
        forms.push((place, v.query.clone().unwrap_or_else(|| twin.query.clone()), guide, guide_error));
    }
    for (place, query, guide, guide_error) in forms {
        if let Err(e) = parse(&query, &vars, Version::V3) {
            problems.push(format!("{}query does not parse: {}", place, e));
        }
        match (parse(&guide, &vars, Version::V3), &guide_error) {
            (Ok(_), Some(want)) => {
                problems.push(format!("{}guide_error says the guide's query fails (“{}”), but it parses", place, want))
            }
            (Err(e), None) => problems
                .push(format!("{}the guide's query does not parse ({}); say so with guide_error", place, e.message)),
            (Err(e), Some(want)) if !e.message.contains(want.as_str()) => problems.push(format!(
                "{}the guide's query fails with “{}”, which does not contain “{}”",
                place, e.message, want
            )),
            _ => {}
        }
    }
    for ex in &lesson.examples {
        let input = match example_input(&lesson.method, ex) {
            Ok(i) => i,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let params = match params_of(&ex.params) {
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        for version in [Version::V3, Version::V2] {
            if let Err(e) = twin::run(twin, &lesson.id, &lesson.method, input.clone(), &params, None, version) {
                problems.push(format!("example “{}” under {}: {}", ex.id, version.label(), e.message));
            }
        }
    }
    problems
}

/// The PromQL twin as the page reads it: the spec (sent back to the engine as is) and
/// the correction compiled to prose.
#[derive(Debug, Serialize)]
pub struct TwinJson {
    pub spec: alertmath_promql::twin::TwinSpec,
    pub correction: Vec<Node>,
    /// Each variant's correction (null: the base one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variant_corrections: Vec<Option<Vec<Node>>>,
}

/// What the page reads for one lesson.
#[derive(Debug, Serialize)]
pub struct LessonJson {
    pub id: String,
    pub method: String,
    pub title: String,
    pub summary: String,
    pub guide: String,
    pub intro: Vec<Node>,
    pub after: Vec<Node>,
    pub examples: Vec<ExampleJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promql: Option<TwinJson>,
}

#[derive(Debug, Serialize)]
pub struct ExampleJson {
    pub id: String,
    pub label: String,
    pub note: Vec<Node>,
    pub data: BTreeMap<String, String>,
    pub params: BTreeMap<String, serde_json::Value>,
    pub claims: Vec<ClaimJson>,
}

#[derive(Debug, Serialize)]
pub struct ClaimJson {
    pub label: String,
    pub value: String,
    pub guide: String,
    pub exact: String,
    pub status: Status,
    pub status_label: &'static str,
    pub reason: Vec<Node>,
}

fn show(v: &toml::Value, percent: bool) -> String {
    match v {
        toml::Value::Boolean(true) => "yes".into(),
        toml::Value::Boolean(false) => "no".into(),
        other => match as_number(other) {
            Some(x) if percent => alertmath_core::fmt::pct(x),
            Some(x) => alertmath_core::fmt::num(x),
            None => other.to_string(),
        },
    }
}

fn json_value(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(x) => {
            serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, serde_json::Value::Number)
        }
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        other => serde_json::Value::String(other.to_string()),
    }
}

/// Compiles a lesson for the page (prose to node trees, exact values formatted).
pub fn to_json(lesson: &Lesson) -> Result<LessonJson, String> {
    let prose_err = |what: &str, e: prose::ProseError| format!("lessons/{}.toml, {}: {}", lesson.id, what, e);
    let mut examples = Vec::new();
    for ex in &lesson.examples {
        let mut claims = Vec::new();
        for c in &ex.claims {
            let percent = c.display.as_deref() == Some("percent");
            claims.push(ClaimJson {
                label: c.label.clone(),
                value: match &c.promql {
                    Some(q) => format!(
                        "promql.{}.{}{}",
                        if q == "guide" || q == "query" { q.as_str() } else { "edited" },
                        c.value,
                        c.at.map_or(String::new(), |a| format!(".{}", a))
                    ),
                    None => c.value.clone(),
                },
                guide: c.guide.clone(),
                exact: show(&c.exact, percent),
                status: c.status,
                status_label: c.status.label(),
                reason: prose::inline(&c.reason)
                    .map_err(|e| format!("lessons/{}.toml, claim “{}”: {}", lesson.id, c.label, e))?,
            });
        }
        examples.push(ExampleJson {
            id: ex.id.clone(),
            label: ex.label.clone(),
            note: prose::blocks(&ex.note).map_err(|e| prose_err("note", e))?,
            data: ex.data.clone(),
            params: ex.params.iter().map(|(k, v)| (k.clone(), json_value(v))).collect(),
            claims,
        });
    }
    Ok(LessonJson {
        id: lesson.id.clone(),
        method: lesson.method.clone(),
        title: lesson.title.clone(),
        summary: lesson.summary.clone(),
        guide: lesson.guide.clone(),
        intro: prose::blocks(&lesson.intro).map_err(|e| prose_err("intro", e))?,
        after: prose::blocks(&lesson.after).map_err(|e| prose_err("after", e))?,
        examples,
        promql: match &lesson.promql {
            Some(t) => Some(TwinJson {
                spec: t.clone(),
                correction: prose::blocks(&t.correction).map_err(|e| prose_err("promql.correction", e))?,
                variant_corrections: t
                    .variants
                    .iter()
                    .map(|v| v.correction.as_deref().map(prose::blocks).transpose())
                    .collect::<Result<_, _>>()
                    .map_err(|e| prose_err("promql.variants.correction", e))?,
            }),
            None => None,
        },
    })
}

/// The home page's list: the sections, and every lesson in site order with the index
/// of its section.
#[derive(Debug, Serialize)]
pub struct IndexJson {
    pub format_version: u32,
    pub sections: Vec<Section>,
    pub lessons: Vec<IndexEntry>,
}

#[derive(Debug, Serialize)]
pub struct IndexEntry {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub method: String,
    pub guide: String,
    pub section: usize,
    /// Whether the lesson runs the guide's PromQL beside the exact method.
    pub promql: bool,
}

pub fn index_json(sections: &[Section], lessons: &[Lesson]) -> IndexJson {
    IndexJson {
        format_version: FORMAT_VERSION,
        sections: sections.to_vec(),
        lessons: lessons
            .iter()
            .map(|l| IndexEntry {
                id: l.id.clone(),
                title: l.title.clone(),
                summary: l.summary.clone(),
                method: l.method.clone(),
                guide: l.guide.clone(),
                section: l.section,
                promql: l.promql.is_some(),
            })
            .collect(),
    }
}

/// Every example's analysis as JSON: method, data, parameters, verdict level, numeric
/// values and flags. Keyed `<lesson>/<example>`.
pub fn golden(lessons: &[Lesson]) -> Result<serde_json::Value, String> {
    let mut out = serde_json::Map::new();
    for lesson in lessons {
        for ex in &lesson.examples {
            let a = run_example(lesson, ex, &BTreeMap::new()).map_err(|e| format!("{}/{}: {}", lesson.id, ex.id, e))?;
            let values: serde_json::Map<String, serde_json::Value> = a
                .values
                .iter()
                .filter_map(|v| {
                    v.value.as_f64().and_then(serde_json::Number::from_f64).map(|x| (v.id.clone(), x.into()))
                })
                .collect();
            let flags: Vec<bool> = a.points.as_ref().map(|p| p.flag.clone()).unwrap_or_default();
            let entry = serde_json::json!({
                "method": lesson.method,
                "data": ex.data,
                "params": ex.params.iter().map(|(k, v)| (k.clone(), json_value(v))).collect::<serde_json::Map<_, _>>(),
                "verdict": a.verdict.level,
                "values": values,
                "flags": flags,
            });
            out.insert(format!("{}/{}", lesson.id, ex.id), entry);
        }
    }
    Ok(serde_json::Value::Object(out))
}
