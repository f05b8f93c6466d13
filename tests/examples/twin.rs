//! A developer's view of the lessons' PromQL twins, for writing a `[promql]` table:
//!
//!     cargo run -p alertmath-tests --example twin -- spec <method>
//!     cargo run -p alertmath-tests --example twin -- run <lesson> [example] [2|3] [all]
//!
//! `spec` lists a method's parameters (the `$names` a query can use); `run` evaluates
//! the lesson's twin on its examples and prints the counts, the notes and every
//! evaluation where either side flags (`all`: every evaluation).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_core::spec::ParamKind;
use alertmath_lessons::lesson::{example_input, load_all};
use alertmath_promql::{twin, Version};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("spec") => {
            let m = alertmath_core::method(&args[1]).expect("no such method");
            for f in m.spec.fields {
                let cols: Vec<&str> = f.columns.iter().map(|c| c.id).collect();
                println!("field {} {:?} timestamps={} gaps={}", f.id, cols, f.timestamps, f.gaps);
            }
            for p in m.spec.params {
                let kind = match &p.kind {
                    ParamKind::Number { default, min, max, .. } => format!("number {} [{}, {}]", default, min, max),
                    ParamKind::Choice { default, options } => {
                        format!("choice {} of {:?}", default, options.iter().map(|o| o.id).collect::<Vec<_>>())
                    }
                    ParamKind::Flag { default } => format!("flag {}", default),
                };
                println!("  {:<18} {:<40} {}", p.id, kind, p.label);
            }
        }
        Some("run") => {
            let lessons = load_all(&alertmath_tests::repo().join("lessons")).unwrap();
            let lesson = lessons.iter().find(|l| l.id == args[1]).expect("no such lesson");
            let spec = lesson.promql.as_ref().expect("the lesson has no [promql] table");
            let only = args.get(2).filter(|a| !matches!(a.as_str(), "2" | "3" | "all") && !a.contains('='));
            // `name=value` arguments override the example's parameters.
            let overrides: Vec<(String, toml::Value)> = args
                .iter()
                .skip(2)
                .filter_map(|a| a.split_once('='))
                .map(|(k, v)| {
                    (k.to_string(), v.parse::<toml::Value>().unwrap_or_else(|_| toml::Value::String(v.into())))
                })
                .collect();
            let version = if args.iter().any(|a| a == "2") { Version::V2 } else { Version::V3 };
            let all = args.iter().any(|a| a == "all");
            for ex in lesson.examples.iter().filter(|e| only.is_none_or(|o| *o == e.id)) {
                let input = example_input(&lesson.method, ex).unwrap();
                let mut params = alertmath_core::Params::new();
                for (k, v) in ex.params.iter().chain(overrides.iter().map(|(k, v)| (k, v))) {
                    let value = match v {
                        toml::Value::Integer(i) => alertmath_core::ParamValue::Number(*i as f64),
                        toml::Value::Float(x) => alertmath_core::ParamValue::Number(*x),
                        toml::Value::Boolean(b) => alertmath_core::ParamValue::Bool(*b),
                        other => alertmath_core::ParamValue::Text(other.as_str().unwrap_or_default().to_string()),
                    };
                    params.0.insert(k.clone(), value);
                }
                let t0 = std::time::Instant::now();
                let r = match twin::run(spec, &lesson.id, &lesson.method, input, &params, None, version) {
                    Ok(r) => r,
                    Err(e) => {
                        println!("== {}: ERROR {:?}", ex.id, e);
                        continue;
                    }
                };
                let c = r.counts;
                println!(
                    "== {} ({}, {:.1} ms): agree {} of {} (both {}), exact-only {}, promql-only {}",
                    ex.id,
                    version.label(),
                    t0.elapsed().as_secs_f64() * 1e3,
                    c.agree,
                    r.evaluations.len(),
                    c.both,
                    c.exact_only,
                    c.promql_only
                );
                println!("   query: {}", r.query.replace('\n', " "));
                for m in &r.mapping {
                    println!("   mapping: {}", m);
                }
                for n in &r.notes {
                    println!("   note: {}", n);
                }
                for e in r.evaluations.iter().filter(|e| all || e.exact || e.promql) {
                    println!(
                        "   {:<22} y={:<10} exact={:<5} promql={:<5} value={:?} lhs={:?} rhs={:?}",
                        e.label, e.y, e.exact, e.promql, e.value, e.lhs, e.rhs
                    );
                }
            }
        }
        _ => eprintln!("usage: twin spec <method> | twin run <lesson> [example] [2|3] [all] [param=value …]"),
    }
}
