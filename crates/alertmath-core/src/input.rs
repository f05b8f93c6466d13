//! The data a method analyses: named numeric columns, the text parser that produces
//! them, and the generic validation every method relies on.
//!
//! A column travels under the key `"<field>.<column>"` (`"data.value"`,
//! `"scenarios.errors"`), with `"<field>.t"` for optional timestamps. Keeping the input
//! as flat `f64` columns lets the browser hand over `Float64Array`s without a copy
//! through serde, and lets every method read slices.

use crate::error::{ErrorKind, InputError};
use crate::fmt::{count, num};
use crate::spec::{Domain, FieldSpec, MethodSpec};
use std::collections::BTreeMap;

/// The largest number of rows one field may hold. Beyond it the page would stop being
/// interactive (the text alone is megabytes), so the input is refused with a message.
pub const MAX_ROWS: usize = 200_000;

/// Named numeric columns. See the module documentation for the key scheme.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    columns: BTreeMap<String, Vec<f64>>,
}

impl Input {
    pub fn new() -> Self {
        Input::default()
    }

    /// Adds or replaces one column.
    pub fn with(mut self, key: impl Into<String>, values: Vec<f64>) -> Self {
        self.columns.insert(key.into(), values);
        self
    }

    pub fn insert(&mut self, key: impl Into<String>, values: Vec<f64>) {
        self.columns.insert(key.into(), values);
    }

    /// Adds every column of a parsed field.
    pub fn extend(&mut self, parsed: ParsedField) {
        for (key, values) in parsed.columns {
            self.columns.insert(key, values);
        }
    }

    /// The column under `key`, or an empty slice when it is absent. Methods run only on
    /// validated input, where every declared column is present.
    pub fn col(&self, key: &str) -> &[f64] {
        self.columns.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The timestamps of a field, if the input gave them.
    pub fn times(&self, field: &FieldSpec) -> Option<&[f64]> {
        self.columns.get(&field.time_key()).map(Vec::as_slice)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.columns.keys().map(String::as_str)
    }

    /// Lets callers name a one-column field by the field id alone: `{"data": [...]}`
    /// becomes `{"data.value": [...]}`. Used by the JS API and by tests.
    pub fn normalised(mut self, spec: &MethodSpec) -> Self {
        for field in spec.fields {
            if let [only] = field.columns {
                if let Some(values) = self.columns.remove(field.id) {
                    self.columns.entry(field.key(only.id)).or_insert(values);
                }
            }
        }
        self
    }
}

/// The columns parsed from the text of one field, and a short description of how the
/// text was read ("6 values", "5 rows of time and value").
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedField {
    pub columns: Vec<(String, Vec<f64>)>,
    pub rows: usize,
    pub description: String,
}

/// Parses the text of one field. Numbers may be separated by commas, semicolons,
/// spaces, tabs or new lines; `#` starts a comment that runs to the end of the line.
/// `NaN` is read as a missing sample (validation decides whether the method accepts it).
///
/// A one-column field is a plain list. A field with several columns, or one that takes
/// timestamps, is read a row per line; a one-column field with timestamps is read as
/// rows only when every line holds exactly a timestamp and a value and there are at
/// least two lines.
pub fn parse_field(field: &FieldSpec, text: &str) -> Result<ParsedField, InputError> {
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|line| tokens(strip_comment(line)).collect::<Vec<_>>())
        .filter(|tokens| !tokens.is_empty())
        .collect();
    let total: usize = lines.iter().map(Vec::len).sum();
    if total == 0 {
        if field.optional {
            return Ok(ParsedField { columns: Vec::new(), rows: 0, description: "empty (optional)".to_string() });
        }
        return Err(empty_error(field));
    }

    let width = field.columns.len();
    let rowwise_timestamps = field.timestamps && lines.len() >= 2 && lines.iter().all(|row| row.len() == width + 1);

    if width == 1 && !rowwise_timestamps {
        if total > MAX_ROWS {
            return Err(too_many(field, total, "values"));
        }
        let mut values = Vec::with_capacity(total);
        for (index, token) in lines.iter().flatten().enumerate() {
            values.push(parse_number(field, token, index + 1)?);
        }
        let rows = values.len();
        let key = field.key(field.columns.first().map_or("value", |c| c.id));
        return Ok(ParsedField {
            columns: vec![(key, values)],
            rows,
            description: format!("{} {}", count(rows), plural(rows, "value", "values")),
        });
    }

    // Row-wise table. Numbers are read first, so that a word in the data is reported as
    // such rather than as a row of the wrong width.
    if lines.len() > MAX_ROWS {
        return Err(too_many(field, lines.len(), "rows"));
    }
    if total > MAX_ROWS * (width + 1) {
        return Err(too_many(field, total, "numbers"));
    }
    let mut numbers: Vec<Vec<f64>> = Vec::with_capacity(lines.len());
    let mut item = 0;
    for row in &lines {
        let mut parsed = Vec::with_capacity(row.len());
        for token in row {
            item += 1;
            parsed.push(parse_number(field, token, item)?);
        }
        numbers.push(parsed);
    }
    let with_time = rowwise_timestamps || (field.timestamps && lines.first().is_some_and(|row| row.len() == width + 1));
    let expected = if with_time { width + 1 } else { width };
    let mut times = Vec::with_capacity(if with_time { lines.len() } else { 0 });
    let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(lines.len()); width];
    for (row_index, row) in numbers.iter().enumerate() {
        if row.len() != expected {
            return Err(InputError::new(
                ErrorKind::Ragged,
                format!(
                    "Row {} has {} {} but {} expects {} per row ({}). Put one row per line.",
                    row_index + 1,
                    row.len(),
                    plural(row.len(), "number", "numbers"),
                    field.label,
                    expected,
                    row_layout(field, with_time),
                ),
            )
            .in_field(field.id)
            .at(row_index + 1));
        }
        let mut values = row.iter().copied();
        if with_time {
            times.extend(values.next());
        }
        for col in cols.iter_mut() {
            col.extend(values.next());
        }
    }
    let rows = lines.len();
    let mut columns = Vec::with_capacity(width + 1);
    if with_time {
        columns.push((field.time_key(), times));
    }
    for (spec, values) in field.columns.iter().zip(cols) {
        columns.push((field.key(spec.id), values));
    }
    Ok(ParsedField {
        columns,
        rows,
        description: format!("{} {} of {}", count(rows), plural(rows, "row", "rows"), row_layout(field, with_time)),
    })
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or("")
}

fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|t| !t.is_empty())
}

fn row_layout(field: &FieldSpec, with_time: bool) -> String {
    let mut names: Vec<&str> = field.columns.iter().map(|c| c.label).collect();
    if with_time {
        names.insert(0, "time");
    }
    names.join(", ")
}

fn parse_number(field: &FieldSpec, token: &str, item: usize) -> Result<f64, InputError> {
    // Rust's float grammar accepts "inf", "infinity" and "nan" in any case, exponents and
    // a leading sign; validation rejects the non-finite ones with their own message.
    token.parse::<f64>().map_err(|_| {
        let shown: String = token.chars().take(24).collect();
        InputError::new(
            ErrorKind::NotANumber,
            format!(
                "“{}” (item {}) is not a number. {} takes numbers such as 12, -0.5 or 1e3, separated by commas, spaces or new lines.",
                shown, item, field.label
            ),
        )
        .in_field(field.id)
        .at(item)
    })
}

fn empty_error(field: &FieldSpec) -> InputError {
    InputError::new(
        ErrorKind::Empty,
        format!(
            "{} is empty. Type at least {} {} ({}).",
            field.label,
            field.min_rows,
            if field.columns.len() > 1 {
                plural(field.min_rows, "row", "rows")
            } else {
                plural(field.min_rows, "number", "numbers")
            },
            field.help
        ),
    )
    .in_field(field.id)
}

fn too_many(field: &FieldSpec, got: usize, unit: &str) -> InputError {
    InputError::new(
        ErrorKind::TooMany,
        format!(
            "{} has {} {}; this playground analyses at most {} {} at once. Analyse a window of the data, or aggregate it first.",
            field.label,
            count(got),
            unit,
            count(MAX_ROWS),
            if field.columns.len() > 1 { "rows" } else { "values" },
        ),
    )
    .in_field(field.id)
}

pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Checks input against the method's declared fields: every column present and of one
/// length, enough rows and not too many, only finite numbers (NaN only where the field
/// accepts gaps), each column within its domain, timestamps in order.
pub fn validate(spec: &MethodSpec, input: &Input) -> Result<(), InputError> {
    for key in input.keys() {
        let known = spec
            .fields
            .iter()
            .any(|f| f.columns.iter().any(|c| f.key(c.id) == key) || (f.timestamps && f.time_key() == key));
        if !known {
            let expected: Vec<String> =
                spec.fields.iter().flat_map(|f| f.columns.iter().map(move |c| f.key(c.id))).collect();
            return Err(InputError::new(
                ErrorKind::Field,
                format!("{} takes no input called “{}”; it takes {}.", spec.name, key, expected.join(", ")),
            ));
        }
    }
    for field in spec.fields {
        validate_field(field, input)?;
    }
    Ok(())
}

fn validate_field(field: &FieldSpec, input: &Input) -> Result<(), InputError> {
    if field.optional && field.columns.iter().all(|c| input.col(&field.key(c.id)).is_empty()) {
        return Ok(());
    }
    let mut rows: Option<usize> = None;
    for column in field.columns {
        let key = field.key(column.id);
        let Some(values) = input.columns.get(&key) else {
            return Err(InputError::new(
                ErrorKind::Field,
                format!("{} is missing (expected a column “{}”).", field.label, key),
            )
            .in_field(field.id));
        };
        match rows {
            None => rows = Some(values.len()),
            Some(n) if n != values.len() => {
                return Err(InputError::new(
                    ErrorKind::Ragged,
                    format!("The columns of {} have different lengths ({} and {}).", field.label, n, values.len()),
                )
                .in_field(field.id))
            }
            Some(_) => {}
        }
    }
    let n = rows.unwrap_or(0);
    if n == 0 {
        return Err(empty_error(field));
    }
    if n > MAX_ROWS {
        return Err(too_many(field, n, if field.columns.len() > 1 { "rows" } else { "values" }));
    }
    if n < field.min_rows {
        return Err(InputError::new(
            ErrorKind::TooFew,
            format!(
                "{} has {} {}; this method needs at least {} ({}).",
                field.label,
                n,
                plural(n, "value", "values"),
                field.min_rows,
                field.help
            ),
        )
        .in_field(field.id));
    }
    for column in field.columns {
        let values = input.col(&field.key(column.id));
        for (i, &x) in values.iter().enumerate() {
            check_value(field, column.label, column.domain, x, i + 1)?;
        }
    }
    if let Some(times) = input.times(field) {
        if times.len() != n {
            return Err(InputError::new(
                ErrorKind::Ragged,
                format!("{} has {} timestamps for {} values.", field.label, times.len(), n),
            )
            .in_field(field.id));
        }
        for (i, &t) in times.iter().enumerate() {
            if !t.is_finite() {
                return Err(InputError::new(
                    ErrorKind::NotFinite,
                    format!(
                        "Timestamp {} of {} is {}; timestamps must be finite numbers of seconds.",
                        i + 1,
                        field.label,
                        num(t)
                    ),
                )
                .in_field(field.id)
                .at(i + 1));
            }
        }
        if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
            return Err(InputError::new(
                ErrorKind::Unordered,
                format!(
                    "Timestamps of {} go backwards at row {} ({} after {}); sort the rows by time.",
                    field.label,
                    i + 2,
                    num(times[i + 1]),
                    num(times[i])
                ),
            )
            .in_field(field.id)
            .at(i + 2));
        }
    }
    Ok(())
}

fn check_value(field: &FieldSpec, column: &str, domain: Domain, x: f64, position: usize) -> Result<(), InputError> {
    let ok = match domain {
        Domain::Real => x.is_finite(),
        Domain::NonNegative => x >= 0.0 && x.is_finite(),
        Domain::Positive => x > 0.0 && x.is_finite(),
    };
    if ok || (x.is_nan() && field.gaps) {
        return Ok(());
    }
    // Only a failing value pays for building its description.
    let what =
        if field.columns.len() > 1 { format!("{} in row {}", column, position) } else { format!("Value {}", position) };
    if x.is_nan() {
        return Err(InputError::new(
            ErrorKind::NotFinite,
            format!(
                "{} of {} is NaN (not a number). Remove it: this method needs every value to be a number.",
                what, field.label
            ),
        )
        .in_field(field.id)
        .at(position));
    }
    if x.is_infinite() {
        return Err(InputError::new(
            ErrorKind::NotFinite,
            format!("{} of {} is infinite. Use finite numbers (at most about 1.8e308).", what, field.label),
        )
        .in_field(field.id)
        .at(position));
    }
    let need = match domain {
        Domain::Real => "a number",
        Domain::NonNegative => "zero or more",
        Domain::Positive => "more than zero",
    };
    Err(InputError::new(
        ErrorKind::OutOfDomain,
        format!("{} of {} is {}, but {} must be {}.", what, field.label, num(x), column, need),
    )
    .in_field(field.id)
    .at(position))
}
