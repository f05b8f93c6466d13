//! The wasm build in a real Chromium: `analyze` returns exactly the numbers the native
//! build of the same commit computes for every lesson example, errors arrive as
//! `InputError`s, and `draw` paints a canvas.
//!
//! Run with `./build.sh test`: it first writes target/golden/analyses.json with the native
//! build (`alertmath-lessons golden`), then runs this file in Chromium.

// It runs only on wasm32 (the native test build of the workspace skips it).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_wasm::{analyze, draw, methods, parse_field};
use js_sys::{Object, Reflect};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/golden/analyses.json"));

fn js_params(params: &Value) -> JsValue {
    let out = Object::new();
    for (k, v) in params.as_object().unwrap() {
        let js = match v {
            Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap()),
            Value::String(s) => JsValue::from_str(s),
            Value::Bool(b) => JsValue::from_bool(*b),
            other => panic!("unexpected parameter {other}"),
        };
        Reflect::set(&out, &k.into(), &js).unwrap();
    }
    out.into()
}

/// The input object of an example, through the same parseField the page uses.
fn js_input(method: &str, data: &Value) -> JsValue {
    let out = Object::new();
    for (field, text) in data.as_object().unwrap() {
        let parsed = parse_field(method, field, text.as_str().unwrap()).unwrap();
        let columns: Object = Reflect::get(&parsed, &"columns".into()).unwrap().unchecked_into();
        Object::assign(&out, &columns);
    }
    out.into()
}

#[wasm_bindgen_test]
fn analyze_in_the_browser_returns_the_native_numbers() {
    let golden: Value = serde_json::from_str(GOLDEN).unwrap();
    let mut compared = 0;
    for (name, case) in golden.as_object().unwrap() {
        let method = case["method"].as_str().unwrap();
        let analysis = analyze(method, &js_input(method, &case["data"]), &js_params(&case["params"])).unwrap();
        let summary: Value = serde_wasm_bindgen::from_value(analysis.summary().unwrap()).unwrap();
        assert_eq!(summary["verdict"]["level"], case["verdict"], "{name}: verdict");
        for (id, want) in case["values"].as_object().unwrap() {
            let got = summary["values"].as_array().unwrap().iter().find(|v| v["id"] == *id).map(|v| v["value"].clone());
            let got = got.and_then(|v| v.as_f64().or(v.as_bool().map(|b| if b { 1.0 } else { 0.0 })));
            // Bit-for-bit: the same code on another target must give the same doubles.
            assert_eq!(got, want.as_f64(), "{name}: {id}");
            compared += 1;
        }
        let flags: Vec<bool> = analysis.flags().to_vec().into_iter().map(|f| f == 1).collect();
        let want: Vec<bool> = case["flags"].as_array().unwrap().iter().map(|f| f.as_bool().unwrap()).collect();
        assert_eq!(flags, want, "{name}: flags");
    }
    assert!(compared > 50, "only {compared} values compared");
}

#[wasm_bindgen_test]
fn every_method_is_declared() {
    let specs: Value = serde_wasm_bindgen::from_value(methods().unwrap()).unwrap();
    let ids: Vec<&str> = specs.as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    for id in ["square-root-law", "z-score", "iqr", "mad"] {
        assert!(ids.contains(&id), "{id} missing from methods()");
    }
}

#[wasm_bindgen_test]
fn bad_input_is_an_input_error_with_a_kind() {
    let err = parse_field("z-score", "data", "10, abc").unwrap_err();
    let err: js_sys::Error = err.dyn_into().unwrap();
    assert_eq!(String::from(err.name()), "InputError");
    assert_eq!(Reflect::get(&err, &"kind".into()).unwrap().as_string().as_deref(), Some("not-a-number"));
    assert!(String::from(err.message()).contains("abc"));

    let input = Object::new();
    Reflect::set(&input, &"data".into(), &js_sys::Float64Array::from(&[1.0][..])).unwrap();
    let err = analyze("z-score", &input.into(), &JsValue::UNDEFINED).unwrap_err();
    assert_eq!(Reflect::get(&err, &"kind".into()).unwrap().as_string().as_deref(), Some("too-few"));
    assert_eq!(Reflect::get(&err, &"field".into()).unwrap().as_string().as_deref(), Some("data"));
}

fn canvas(width: u32, height: u32) -> HtmlCanvasElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: HtmlCanvasElement = document.create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(width);
    canvas.set_height(height);
    document.body().unwrap().append_child(&canvas).unwrap();
    canvas
}

/// Counts pixels that differ from the top-left (background) pixel.
fn painted(canvas: &HtmlCanvasElement) -> usize {
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let data = ctx.get_image_data(0.0, 0.0, canvas.width() as f64, canvas.height() as f64).unwrap().data();
    let bg = [data[0], data[1], data[2]];
    data.chunks(4).filter(|p| [p[0], p[1], p[2]] != bg).count()
}

#[wasm_bindgen_test]
fn draw_paints_the_canvas() {
    let input = Object::new();
    Reflect::set(&input, &"data".into(), &js_sys::Float64Array::from(&[10.0, 12.0, 10.0, 11.0, 12.0, 50.0][..]))
        .unwrap();
    let analysis = analyze("z-score", &input.into(), &JsValue::UNDEFINED).unwrap();
    let c = canvas(640, 360);
    assert_eq!(painted(&c), 0, "a new canvas is blank");
    let view = Object::new();
    Reflect::set(&view, &"scale".into(), &JsValue::from_f64(1.0)).unwrap();
    let stats = draw(&c, &analysis, &view.into()).unwrap();
    let markers = Reflect::get(&stats, &"markers".into()).unwrap().as_f64().unwrap();
    assert!(markers >= 6.0, "{markers} markers for 6 points");
    let n = painted(&c);
    assert!(n > 2000, "only {n} pixels differ from the background");

    // Dark mode paints a dark background.
    let dark = Object::new();
    Reflect::set(&dark, &"dark".into(), &JsValue::TRUE).unwrap();
    draw(&c, &analysis, &dark.into()).unwrap();
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let corner = ctx.get_image_data(0.0, 0.0, 1.0, 1.0).unwrap().data();
    assert!(corner[0] < 60 && corner[1] < 60 && corner[2] < 60, "dark background, got {:?}", &corner[..3]);
}
