//! The documentation stays true: docs/API.md contains the Node example that the test
//! suite runs, verbatim, and names every method in the registry.

use alertmath_tests::repo;

#[test]
fn the_api_page_contains_the_example_that_runs() {
    let api = std::fs::read_to_string(repo().join("docs/API.md")).unwrap_or_default();
    let example = std::fs::read_to_string(repo().join("docs/api-example.mjs")).unwrap_or_default();
    assert!(!example.is_empty() && api.contains(&example), "docs/API.md must contain docs/api-example.mjs verbatim");
}

#[test]
fn the_api_page_lists_every_method() {
    let api = std::fs::read_to_string(repo().join("docs/API.md")).unwrap_or_default();
    for m in alertmath_core::METHODS {
        assert!(api.contains(&format!("| `{}` |", m.spec.id)), "docs/API.md does not list {}", m.spec.id);
    }
}
