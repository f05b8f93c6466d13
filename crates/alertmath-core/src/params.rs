//! Parameter values as given (from the URL, the JS API, a lesson file) and as resolved
//! against a method's declaration: defaults filled in, types and ranges checked.

use crate::error::{ErrorKind, InputError};
use crate::fmt::num;
use crate::spec::{MethodSpec, ParamKind};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A parameter value as given. Numbers may also arrive as text (from a URL).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Number(f64),
    Bool(bool),
    Text(String),
}

impl From<f64> for ParamValue {
    fn from(x: f64) -> Self {
        ParamValue::Number(x)
    }
}

impl From<bool> for ParamValue {
    fn from(b: bool) -> Self {
        ParamValue::Bool(b)
    }
}

impl From<&str> for ParamValue {
    fn from(s: &str) -> Self {
        ParamValue::Text(s.to_string())
    }
}

/// Parameter values by id, as given. Missing ones take the method's default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Params(pub BTreeMap<String, ParamValue>);

impl Params {
    pub fn new() -> Self {
        Params::default()
    }

    pub fn with(mut self, id: &str, value: impl Into<ParamValue>) -> Self {
        self.0.insert(id.to_string(), value.into());
        self
    }
}

/// A checked parameter value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolved {
    Number(f64),
    Choice(&'static str),
    Flag(bool),
}

/// Every parameter of a method, checked and with defaults filled in.
#[derive(Debug, Clone)]
pub struct ResolvedParams {
    method: &'static str,
    values: Vec<(&'static str, Resolved)>,
}

impl ResolvedParams {
    /// Checks `given` against `spec`: unknown ids, wrong types and out-of-range values
    /// are errors with a message naming the parameter and the accepted values.
    pub fn resolve(spec: &'static MethodSpec, given: &Params) -> Result<Self, InputError> {
        for id in given.0.keys() {
            if spec.param(id).is_none() {
                let known: Vec<&str> = spec.params.iter().map(|p| p.id).collect();
                return Err(InputError::new(
                    ErrorKind::Param,
                    format!(
                        "{} has no parameter “{}”; its parameters are {}.",
                        spec.name,
                        id,
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ),
                )
                .in_param(id));
            }
        }
        let mut values = Vec::with_capacity(spec.params.len());
        for p in spec.params {
            let given = given.0.get(p.id);
            let value = match (&p.kind, given) {
                (ParamKind::Number { default, .. }, None) => Resolved::Number(*default),
                (ParamKind::Choice { default, .. }, None) => Resolved::Choice(default),
                (ParamKind::Flag { default }, None) => Resolved::Flag(*default),
                (ParamKind::Number { min, max, integer, .. }, Some(v)) => {
                    let x = match v {
                        ParamValue::Number(x) => *x,
                        ParamValue::Text(s) => s.trim().parse::<f64>().map_err(|_| {
                            InputError::new(
                                ErrorKind::Param,
                                format!(
                                    "{} must be a number; “{}” is not one.",
                                    p.label,
                                    s.chars().take(24).collect::<String>()
                                ),
                            )
                            .in_param(p.id)
                        })?,
                        ParamValue::Bool(_) => {
                            return Err(InputError::new(ErrorKind::Param, format!("{} must be a number.", p.label))
                                .in_param(p.id))
                        }
                    };
                    if !x.is_finite() || x < *min || x > *max {
                        return Err(InputError::new(
                            ErrorKind::Param,
                            format!("{} must be between {} and {}; got {}.", p.label, num(*min), num(*max), num(x)),
                        )
                        .in_param(p.id));
                    }
                    if *integer && x.fract() != 0.0 {
                        return Err(InputError::new(
                            ErrorKind::Param,
                            format!("{} must be a whole number; got {}.", p.label, num(x)),
                        )
                        .in_param(p.id));
                    }
                    Resolved::Number(x)
                }
                (ParamKind::Choice { options, .. }, Some(v)) => {
                    let wanted = match v {
                        ParamValue::Text(s) => s.as_str(),
                        _ => "",
                    };
                    match options.iter().find(|o| o.id == wanted) {
                        Some(o) => Resolved::Choice(o.id),
                        None => {
                            let ids: Vec<&str> = options.iter().map(|o| o.id).collect();
                            return Err(InputError::new(
                                ErrorKind::Param,
                                format!("{} must be one of {}; got “{}”.", p.label, ids.join(", "), describe(v)),
                            )
                            .in_param(p.id));
                        }
                    }
                }
                (ParamKind::Flag { .. }, Some(v)) => match v {
                    ParamValue::Bool(b) => Resolved::Flag(*b),
                    ParamValue::Text(s) if s == "true" || s == "1" || s == "on" => Resolved::Flag(true),
                    ParamValue::Text(s) if s == "false" || s == "0" || s == "off" => Resolved::Flag(false),
                    ParamValue::Number(x) if *x == 0.0 || *x == 1.0 => Resolved::Flag(*x == 1.0),
                    _ => {
                        return Err(InputError::new(
                            ErrorKind::Param,
                            format!("{} must be true or false; got “{}”.", p.label, describe(v)),
                        )
                        .in_param(p.id))
                    }
                },
            };
            values.push((p.id, value));
        }
        Ok(ResolvedParams { method: spec.id, values })
    }

    fn get(&self, id: &str) -> Result<Resolved, InputError> {
        self.values
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, v)| *v)
            .ok_or_else(|| InputError::internal(format!("method {} reads undeclared parameter “{}”", self.method, id)))
    }

    /// A number parameter.
    pub fn num(&self, id: &str) -> Result<f64, InputError> {
        match self.get(id)? {
            Resolved::Number(x) => Ok(x),
            _ => Err(InputError::internal(format!("parameter “{}” is not a number", id))),
        }
    }

    /// A whole-number parameter, as a count.
    pub fn count(&self, id: &str) -> Result<usize, InputError> {
        let x = self.num(id)?;
        if x >= 0.0 && x.fract() == 0.0 && x <= usize::MAX as f64 {
            Ok(x as usize)
        } else {
            Err(InputError::internal(format!("parameter “{}” is not a count", id)))
        }
    }

    /// A choice parameter: the id of the chosen option.
    pub fn choice(&self, id: &str) -> Result<&'static str, InputError> {
        match self.get(id)? {
            Resolved::Choice(c) => Ok(c),
            _ => Err(InputError::internal(format!("parameter “{}” is not a choice", id))),
        }
    }

    /// A flag parameter.
    pub fn flag(&self, id: &str) -> Result<bool, InputError> {
        match self.get(id)? {
            Resolved::Flag(b) => Ok(b),
            _ => Err(InputError::internal(format!("parameter “{}” is not a flag", id))),
        }
    }

    /// All resolved values, in declaration order (for echoing the run's settings).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Resolved)> + '_ {
        self.values.iter().copied()
    }
}

fn describe(v: &ParamValue) -> String {
    match v {
        ParamValue::Number(x) => num(*x),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Text(s) => s.chars().take(24).collect(),
    }
}
