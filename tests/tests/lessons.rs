//! Every lesson's worked examples, run through the core, give exactly the numbers and
//! statuses the lesson file claims; and the analyses of all examples are recorded in
//! `tests/golden/analyses.json`, which the browser test compares the wasm build with.
//!
//! Set `ALERTMATH_BLESS=1` to rewrite the golden file after an intended change.

// Test helpers may unwrap: a failure is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_lessons::lesson::run_example;
use alertmath_lessons::{load_all, verify, Lesson};
use alertmath_tests::repo;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn lessons() -> Vec<Lesson> {
    load_all(&repo().join("lessons")).unwrap()
}

#[test]
fn every_claim_of_every_lesson_holds() {
    let lessons = lessons();
    assert!(lessons.len() >= 4);
    let problems: Vec<String> = lessons.iter().flat_map(verify).map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let claims: usize = lessons.iter().flat_map(|l| &l.examples).map(|e| e.claims.len()).sum();
    assert!(claims >= 20, "only {claims} claims");
}

#[test]
fn every_method_has_a_lesson() {
    let lessons = lessons();
    for m in alertmath_core::METHODS {
        assert!(lessons.iter().any(|l| l.method == m.spec.id), "no lesson for method {}", m.spec.id);
    }
}

/// The verifier itself can fail: a lesson with a wrong exact value, a false "rounded",
/// a false "erratum" and a convention that does not reproduce is rejected on each count.
#[test]
fn the_verifier_rejects_false_claims() {
    let text = r#"
id = "bad"
method = "z-score"
title = "t"
summary = "s"
guide = "g"
intro = "x"

[[examples]]
id = "e"
label = "e"
data = { data = "10, 12, 10, 11, 12, 50" }

[[examples.claims]]
value = "mean"
label = "wrong exact"
guide = "17.5"
exact = 17.6
status = "matches"

[[examples.claims]]
value = "sd"
label = "not a rounding"
guide = "14.5"
exact = 14.557357818871756
status = "rounded"
reason = "r"

[[examples.claims]]
value = "sd"
label = "not an erratum"
guide = "14.56"
exact = 14.557357818871756
status = "erratum"
reason = "r"

[[examples.claims]]
value = "sd"
label = "not this convention"
guide = "14.6"
exact = 14.557357818871756
status = "convention"
reason = "r"
guide_params = { sd = "sample" }

[[examples.claims]]
value = "no_such_value"
label = "unknown value"
guide = "1"
exact = 1
status = "matches"
"#;
    let lesson: Lesson = toml::from_str(text).unwrap();
    let problems = verify(&lesson);
    let labels: Vec<&str> =
        ["wrong exact", "not a rounding", "not an erratum", "not this convention", "unknown value"].to_vec();
    for label in labels {
        assert!(problems.iter().any(|p| p.place.contains(label)), "no problem reported for “{label}”: {problems:?}");
    }
}

fn golden_of(lessons: &[Lesson]) -> Value {
    let mut out = Map::new();
    for lesson in lessons {
        for ex in &lesson.examples {
            let a = run_example(lesson, ex, &BTreeMap::new()).unwrap();
            let values: Map<String, Value> =
                a.values.iter().filter_map(|v| v.value.as_f64().map(|x| (v.id.clone(), json!(x)))).collect();
            let flags: Vec<bool> = a.points.as_ref().map(|p| p.flag.clone()).unwrap_or_default();
            let mut input = Map::new();
            for (field, text) in &ex.data {
                input.insert(field.clone(), json!(text));
            }
            out.insert(
                format!("{}/{}", lesson.id, ex.id),
                json!({ "method": lesson.method, "data": input, "params": ex.params, "verdict": a.verdict.level, "values": values, "flags": flags }),
            );
        }
    }
    Value::Object(out)
}

#[test]
fn golden_analyses_are_current() {
    let path = repo().join("tests/golden/analyses.json");
    let now = golden_of(&lessons());
    if std::env::var("ALERTMATH_BLESS").is_ok() {
        std::fs::write(&path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
        return;
    }
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default()).unwrap_or_else(|_| {
            panic!("{} is missing: run ALERTMATH_BLESS=1 cargo test -p alertmath-tests --test lessons", path.display())
        });
    assert_eq!(recorded, now, "tests/golden/analyses.json is stale: check the change, then run with ALERTMATH_BLESS=1");
}
