//! The twin's parameter expressions (`[promql.durations]`, `[promql.numbers]`): the `or`
//! operator that picks a parameter's stand-in when it is 0.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_core::Params;
use alertmath_promql::twin::{variables, TwinSpec};

fn spec(durations: &[(&str, &str)], numbers: &[(&str, &str)]) -> TwinSpec {
    let mut text = String::from(
        "guide = \"metric\"\nquery = \"metric\"\nalert = \"A\"\n[series]\nkind = \"gauge\"\nfield = \"series\"\n",
    );
    text.push_str("[durations]\n");
    for (k, v) in durations {
        text.push_str(&format!("{k} = \"{v}\"\n"));
    }
    text.push_str("[numbers]\n");
    for (k, v) in numbers {
        text.push_str(&format!("{k} = \"{v}\"\n"));
    }
    toml::from_str(&text).unwrap()
}

fn params(pairs: &[(&str, f64)]) -> Params {
    pairs.iter().fold(Params::new(), |p, (k, v)| p.with(k, *v))
}

#[test]
fn or_takes_the_left_side_unless_it_is_zero() {
    let s = spec(
        &[("back", "(offset_period or period) * step"), ("two", "2 * (offset_period or period) * step")],
        &[("pick", "offset_period or period + 1"), ("neg", "-offset_period or 5")],
    );
    // offset_period 0: the STL period (24 hours of hourly samples).
    let v = variables(&s, "stl", &params(&[("period", 24.0), ("offset_period", 0.0), ("step", 3600.0)])).unwrap();
    assert_eq!(v["back"], "1d");
    assert_eq!(v["two"], "2d");
    // `or` binds loosest: offset_period or (period + 1).
    assert_eq!(v["pick"], "25");
    assert_eq!(v["neg"], "5");
    // offset_period 168: a week.
    let v = variables(&s, "stl", &params(&[("period", 24.0), ("offset_period", 168.0), ("step", 3600.0)])).unwrap();
    assert_eq!(v["back"], "1w");
    assert_eq!(v["two"], "2w");
    assert_eq!(v["pick"], "168");
    assert_eq!(v["neg"], "-168");
}

#[test]
fn a_variable_may_name_a_duration() {
    let text = r#"
guide = "metric"
query = "metric - $base > 0"
alert = "A"
[vars]
base = { param = "offsets", "1" = "metric offset $o1", "2" = "(metric offset $o1 + metric offset $o2) / 2" }
[durations]
o1 = "(offset_period or period) * step"
o2 = "2 * (offset_period or period) * step"
[series]
kind = "gauge"
field = "series"
"#;
    let s: TwinSpec = toml::from_str(text).unwrap();
    let v = variables(&s, "stl", &params(&[("offsets", 2.0), ("period", 24.0), ("step", 3600.0)])).unwrap();
    assert_eq!(v["base"], "(metric offset 1d + metric offset 2d) / 2");
    let v = variables(&s, "stl", &params(&[("offsets", 1.0), ("offset_period", 168.0), ("step", 3600.0)])).unwrap();
    assert_eq!(v["base"], "metric offset 1w");
}
