//! No input reaches a panic. Every method is run on the inputs the brief names (empty,
//! one value, text, NaN, a million values, zero variance) and on thousands of seeded
//! random inputs and parameter sets, edge values included. Results must be errors with
//! a message, or analyses that are internally consistent and draw without error.

// Test helpers may unwrap: a failure is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_core::spec::{FieldSpec, ParamKind};
use alertmath_core::{analyze, parse_field, ErrorKind, Input, Method, ParamValue, Params, Val, METHODS};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SPECIAL: &[f64] =
    &[0.0, -0.0, 1.0, -1.0, 10.0, 50.0, 1e-300, -1e-300, 1e300, -1e300, 1e9, 1e9 + 0.5, 0.1, 3.0, 1e15, 5e-324];

fn value(rng: &mut Rng) -> f64 {
    match rng.below(4) {
        0 => SPECIAL[rng.below(SPECIAL.len())],
        1 => (rng.below(20) as f64) - 5.0,
        _ => (rng.unit() - 0.3) * 10f64.powi(rng.below(12) as i32 - 4),
    }
}

fn random_input(method: &Method, rng: &mut Rng) -> Input {
    let mut input = Input::new();
    for field in method.spec.fields {
        if field.optional && rng.below(3) == 0 {
            continue;
        }
        let rows = match rng.below(6) {
            0 => rng.below(4),
            1 => field.min_rows,
            _ => rng.below(40),
        };
        let equal = rng.below(5) == 0;
        let base = value(rng);
        for column in field.columns {
            let mut col: Vec<f64> = (0..rows).map(|_| if equal { base } else { value(rng) }).collect();
            if field.gaps && rng.below(4) == 0 && rows > 0 {
                let i = rng.below(rows);
                col[i] = f64::NAN;
            }
            if column.domain != alertmath_core::spec::Domain::Real {
                col.iter_mut().for_each(|x| *x = x.abs().floor());
            }
            input.insert(field.key(column.id), col);
        }
        if field.timestamps && rng.below(2) == 0 {
            let mut t = 0.0;
            let times: Vec<f64> = (0..rows)
                .map(|_| {
                    t += [0.0, 1.0, 15.0, 60.0, 0.001][rng.below(5)];
                    t
                })
                .collect();
            input.insert(field.time_key(), times);
        }
    }
    input
}

fn random_params(method: &Method, rng: &mut Rng) -> Params {
    let mut p = Params::new();
    for spec in method.spec.params {
        if rng.below(4) == 0 {
            continue;
        }
        let v = match &spec.kind {
            ParamKind::Number { min, max, integer, .. } => {
                let x = match rng.below(4) {
                    0 => *min,
                    1 => *max,
                    _ => min + (max - min) * rng.unit(),
                };
                ParamValue::Number(if *integer { x.round() } else { x })
            }
            ParamKind::Choice { options, .. } => ParamValue::Text(options[rng.below(options.len())].id.to_string()),
            ParamKind::Flag { .. } => ParamValue::Bool(rng.below(2) == 0),
        };
        p.0.insert(spec.id.to_string(), v);
    }
    p
}

fn check_analysis(a: &alertmath_core::Analysis, context: &str) {
    assert!(!a.verdict.headline.is_empty(), "{context}: empty verdict");
    for v in &a.values {
        if let Val::Num(x) = v.value {
            assert!(!x.is_nan(), "{context}: value {} is NaN (should be Undefined with a reason)", v.id);
        }
        assert!(!v.display.contains("NaN"), "{context}: value {} displays NaN", v.id);
    }
    for s in &a.steps {
        assert!(!s.label.is_empty() && !s.result.is_empty(), "{context}: empty step {}", s.id);
        assert!(!s.result.contains("NaN") && !s.substitution.contains("NaN"), "{context}: step {} shows NaN", s.id);
    }
    if let Some(p) = &a.points {
        assert!(
            p.x.len() == p.y.len() && p.y.len() == p.score.len() && p.score.len() == p.flag.len(),
            "{context}: ragged points"
        );
    }
    for t in &a.tables {
        assert!(t.rows.len() <= alertmath_core::analysis::MAX_TABLE_ROWS, "{context}: table {} too long", t.id);
        for r in &t.rows {
            assert_eq!(r.cells.len(), t.columns.len(), "{context}: table {} row width", t.id);
        }
    }
    let mut svg = String::new();
    let backend = plotters::backend::SVGBackend::with_string(&mut svg, (640, 360));
    alertmath_charts::draw(backend, &a.plot, &alertmath_charts::View::default())
        .unwrap_or_else(|e| panic!("{context}: draw failed: {e}"));
}

/// One fuzz pass over every method with the generator seeded by `seed`.
fn fuzz(seed: u64, rounds: usize) {
    let mut rng = Rng(seed);
    for method in METHODS {
        let (mut ok, mut errors) = (0, 0);
        for round in 0..rounds {
            let input = random_input(method, &mut rng);
            let params = random_params(method, &mut rng);
            let context =
                format!("{} seed {seed:#x} round {round}: input {input:?}, params {params:?}", method.spec.id);
            let result = catch_unwind(AssertUnwindSafe(|| analyze(method.spec.id, input.clone(), &params)));
            match result {
                Err(_) => panic!("{context}: PANIC"),
                Ok(Ok(a)) => {
                    ok += 1;
                    if round % 5 == 0 {
                        check_analysis(&a, &context);
                    }
                }
                Ok(Err(e)) => {
                    errors += 1;
                    assert!(e.message.len() > 10, "{context}: unhelpful message {:?}", e.message);
                    assert_ne!(e.kind, ErrorKind::Internal, "{context}: internal error {}", e.message);
                }
            }
        }
        assert!(
            ok > rounds / 5 && errors > rounds / 150,
            "{}: the fuzz covered too little ({ok} analyses, {errors} errors)",
            method.spec.id
        );
    }
}

/// The fuzz with the fixed seed, as CI runs it. `ALERTMATH_FUZZ_SEEDS=20` runs twenty
/// more seeds (each derived from the first), for a deeper search by hand.
#[test]
fn random_inputs_and_parameters_never_panic() {
    let first = 0x9e37_79b9_7f4a_7c15u64;
    fuzz(first, 1500);
    let extra: u64 = std::env::var("ALERTMATH_FUZZ_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    for k in 1..=extra {
        fuzz(first.wrapping_mul(k.wrapping_mul(2).wrapping_add(1)).rotate_left(17) | 1, 1500);
    }
}

/// The first required field: where the named bad inputs are typed.
fn first_field(method: &Method) -> Option<&'static FieldSpec> {
    method.spec.fields.iter().find(|f| !f.optional)
}

fn run_text(method: &Method, text: &str) -> Result<alertmath_core::Analysis, alertmath_core::InputError> {
    let target = first_field(method).map(|f| f.id);
    let mut input = Input::new();
    for field in method.spec.fields {
        input.extend(parse_field(field, if Some(field.id) == target { text } else { "1 2 3 4 5 6" })?);
    }
    analyze(method.spec.id, input, &Params::new())
}

#[test]
fn the_named_bad_inputs_get_clear_messages() {
    for method in METHODS {
        let id = method.spec.id;
        // A method that takes parameters only (or optional data) has no text to get wrong.
        let Some(field) = first_field(method) else { continue };
        let e = run_text(method, "").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Empty, "{id}: empty");
        let e = run_text(method, "   \n , ,  ").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Empty, "{id}: blank");
        let e = run_text(method, "10 abc 12").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotANumber, "{id}: text");
        assert!(e.message.contains("abc"), "{id}: the message names the token: {}", e.message);
        let e = run_text(method, "1 2 inf 4").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::NotFinite | ErrorKind::Ragged), "{id}: inf gives {:?}", e.kind);
        if !field.gaps {
            let e = run_text(method, "1 2 NaN 4 5 6").unwrap_err();
            assert!(matches!(e.kind, ErrorKind::NotFinite | ErrorKind::Ragged), "{id}: NaN gives {:?}", e.kind);
        }
        if field.min_rows > 1 && field.columns.len() == 1 {
            let e = run_text(method, "42").unwrap_err();
            assert_eq!(e.kind, ErrorKind::TooFew, "{id}: one value");
            assert!(e.message.contains("at least"), "{id}: {}", e.message);
        }
        let million = "1 ".repeat(1_000_000);
        let start = std::time::Instant::now();
        let e = run_text(method, &million).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooMany, "{id}: a million values");
        assert!(e.message.contains("1,000,000"), "{id}: {}", e.message);
        assert!(start.elapsed().as_secs_f64() < 5.0, "{id}: refusing a million values took {:?}", start.elapsed());
    }
}

#[test]
fn unknown_methods_and_parameters_are_named() {
    let e = analyze("z-scor", Input::new(), &Params::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownMethod);
    assert!(e.message.contains("z-score"), "the message lists the methods: {}", e.message);
    let input = Input::new().with("data", vec![1.0, 2.0, 3.0]);
    let e = analyze("z-score", input.clone(), &Params::new().with("treshold", 3.0)).unwrap_err();
    assert_eq!((e.kind, e.param.as_deref()), (ErrorKind::Param, Some("treshold")));
    let e = analyze("z-score", input.clone(), &Params::new().with("threshold", 99.0)).unwrap_err();
    assert!(e.message.contains("between"), "{}", e.message);
    let e = analyze("z-score", input, &Params::new().with("sd", "weird")).unwrap_err();
    assert!(e.message.contains("population"), "the message lists the choices: {}", e.message);
}

#[test]
fn zero_variance_is_an_explained_outcome() {
    for id in ["z-score", "mad", "iqr"] {
        let a = analyze(id, Input::new().with("data", vec![7.0; 12]), &Params::new()).unwrap();
        assert_eq!(a.points.as_ref().map(|p| p.flag.iter().filter(|&&f| f).count()), Some(0), "{id}");
        assert!(!a.verdict.detail.is_empty(), "{id}: no explanation");
    }
    let a = analyze("z-score", Input::new().with("data", vec![7.0; 12]), &Params::new()).unwrap();
    assert_eq!(a.verdict.level, alertmath_core::Level::Undefined);
    let a = analyze("mad", Input::new().with("data", vec![10.0, 10.0, 10.0, 10.0, 50.0]), &Params::new()).unwrap();
    assert_eq!(a.verdict.level, alertmath_core::Level::Undefined);
    assert!(a.verdict.detail.contains("median"), "{}", a.verdict.detail);
}
