//! Helpers shared by the cross-cutting tests in `tests/tests/`: where the repository is,
//! and how to turn the JSON of a reference case into core input and parameters.

use alertmath_core::{Input, ParamValue, Params};
use serde_json::Value;
use std::path::PathBuf;

/// The repository root (the parent of this crate's directory).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// `{"data": [..], "scenarios.requests": [..]}` → core input (one-column field ids are
/// accepted as they are; the core normalises them).
pub fn input_of(v: &Value) -> Input {
    let mut input = Input::new();
    if let Some(obj) = v.as_object() {
        for (k, col) in obj {
            let values: Vec<f64> =
                col.as_array().map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()).unwrap_or_default();
            input.insert(k.clone(), values);
        }
    }
    input
}

/// `{"sd": "sample", "threshold": 3}` → core parameters.
pub fn params_of(v: &Value) -> Params {
    let mut p = Params::new();
    if let Some(obj) = v.as_object() {
        for (k, x) in obj {
            let value = match x {
                Value::Number(n) => ParamValue::Number(n.as_f64().unwrap_or(f64::NAN)),
                Value::Bool(b) => ParamValue::Bool(*b),
                Value::String(s) => ParamValue::Text(s.clone()),
                other => ParamValue::Text(other.to_string()),
            };
            p.0.insert(k.clone(), value);
        }
    }
    p
}

/// Whether `got` is within relative `tol` of `want` (absolute 1e-12 near zero).
pub fn close(got: f64, want: f64, tol: f64) -> bool {
    if got == want {
        return true;
    }
    let scale = want.abs().max(got.abs());
    (got - want).abs() <= (tol * scale).max(1e-12)
}
