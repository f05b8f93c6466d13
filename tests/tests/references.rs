//! Every method against values computed independently (numpy, scipy, statsmodels, R,
//! exact rational arithmetic, and published worked examples): `tests/reference/*.json`,
//! each made by a committed script in the same folder (`generate.py` for the first four
//! methods; a file's `generated_by` names its script). Each case gives input, parameters,
//! and the named values, per-point flags and scores the core must produce, within its
//! relative `tolerance` (and, if the case gives one, its absolute `tolerance_abs`); "inf"
//! and "-inf" stand for the infinities JSON cannot write.

// Test helpers may unwrap: a failure is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_core::{analyze, Val};
use alertmath_tests::{close, input_of, params_of, repo};
use serde_json::Value;

fn check_case(method: &str, case: &Value) -> Vec<String> {
    let name = case["name"].as_str().unwrap_or("?");
    let tol = case["tolerance"].as_f64().unwrap_or(1e-12);
    // An optional absolute tolerance, for values that are differences and may sit near 0
    // (an STL remainder of 1e-4 σ is not expected to match to 1e-10 of itself).
    let tol_abs = case["tolerance_abs"].as_f64().unwrap_or(0.0);
    let close = |g: f64, w: f64, tol: f64| close(g, w, tol) || (g - w).abs() <= tol_abs;
    let mut problems = Vec::new();
    let analysis = match analyze(method, input_of(&case["input"]), &params_of(&case["params"])) {
        Ok(a) => a,
        Err(e) => return vec![format!("{method} / {name}: error {:?}: {}", e.kind, e.message)],
    };
    if let Some(values) = case["values"].as_object() {
        for (id, want) in values {
            let got = analysis.value(id);
            let ok = match (want, got) {
                (Value::Null, Some(Val::Undefined(_))) => true,
                // JSON has no infinities: "inf" and "-inf" stand for them (a singular
                // matrix's condition number, log 0).
                (Value::String(s), Some(v)) if s == "inf" || s == "-inf" => {
                    v.as_f64() == Some(if s == "inf" { f64::INFINITY } else { f64::NEG_INFINITY })
                }
                (Value::Bool(b), Some(Val::Bool(g))) => b == g,
                (Value::Number(n), Some(v)) => match (n.as_f64(), v.as_f64()) {
                    (Some(w), Some(g)) => close(g, w, tol),
                    _ => false,
                },
                _ => false,
            };
            if !ok {
                problems.push(format!("{method} / {name}: {id} = {:?}, reference {want}", got));
            }
        }
    }
    let points = analysis.points.as_ref();
    if let Some(flags) = case["flags"].as_array() {
        let got: Vec<bool> = points.map(|p| p.flag.clone()).unwrap_or_default();
        let want: Vec<bool> = flags.iter().map(|f| f.as_bool().unwrap_or(false)).collect();
        if got != want {
            problems.push(format!("{method} / {name}: flags {:?}, reference {:?}", got, want));
        }
    }
    if let Some(scores) = case["scores"].as_array() {
        let got: Vec<f64> = points.map(|p| p.score.clone()).unwrap_or_default();
        if got.len() != scores.len() {
            problems.push(format!("{method} / {name}: {} scores, reference {}", got.len(), scores.len()));
        }
        for (i, (g, w)) in got.iter().zip(scores).enumerate() {
            let ok = match w.as_f64() {
                Some(w) => close(*g, w, tol),
                None => g.is_nan(),
            };
            if !ok {
                problems.push(format!("{method} / {name}: score[{i}] = {g}, reference {w}"));
            }
        }
    }
    problems
}

#[test]
fn every_method_matches_its_independent_references() {
    let dir = repo().join("tests/reference");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "expected reference files in {}", dir.display());
    let mut problems = Vec::new();
    let mut cases = 0;
    for path in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let method = doc["method"].as_str().unwrap();
        assert!(alertmath_core::method(method).is_some(), "{}: unknown method {method}", path.display());
        for case in doc["cases"].as_array().unwrap() {
            cases += 1;
            problems.extend(check_case(method, case));
        }
    }
    assert!(cases > 100, "only {cases} reference cases");
    assert!(problems.is_empty(), "{} of {cases} reference checks failed:\n{}", problems.len(), problems.join("\n"));
}

/// Every method in the registry has a reference file, so a new method cannot land
/// without independent values.
#[test]
fn every_method_has_a_reference_file() {
    for m in alertmath_core::METHODS {
        let path = repo().join("tests/reference").join(format!("{}.json", m.spec.id));
        assert!(path.exists(), "no independent reference values for {} ({})", m.spec.id, path.display());
    }
}
