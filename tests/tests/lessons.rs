//! Every lesson's worked examples, run through the core, give exactly the numbers and
//! statuses the lesson file claims, and the verifier can tell a false claim.

// Test helpers may unwrap: a failure is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_lessons::{load_all, verify, Lesson};
use alertmath_tests::repo;

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
