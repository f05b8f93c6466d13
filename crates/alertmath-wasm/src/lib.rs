//! The WebAssembly boundary of alertmath: a thin layer that converts JS values to core
//! types and back. It holds no statistics, no lesson text and no per-method code; every
//! export is convert → core → convert.
//!
//! Exports: `methods()`, `parseField()`, `analyze()` (returning an `Analysis` handle that
//! keeps bulky per-point data in wasm memory), `draw()`, `promqlTwin()` and `drawTwin()`
//! (a lesson's PromQL twin), `version()` and `lastPanic()`.
//! Every failure reaches JS as one kind of exception: an `Error` named `InputError`
//! with `kind`, `field`, `param` and `position` properties (see [`to_js_error`]).

mod canvas;

use alertmath_core::{ErrorKind, Input, InputError, Params};
use js_sys::{Array, Float64Array, Object, Reflect, Uint8Array};
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the panic hook: a bug is logged to the console and kept for `lastPanic()`,
/// so the page can report it and start a fresh instance instead of dying silently.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&JsValue::from_str(&format!("alertmath panicked: {}", message)));
        LAST_PANIC.with(|p| {
            if let Ok(mut slot) = p.try_borrow_mut() {
                *slot = Some(message);
            }
        });
    }));
}

/// The message of the last panic, if the module has panicked.
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.try_borrow().ok().and_then(|s| s.clone()))
}

/// Panics on purpose. The end-to-end tests call it to check that the page survives a
/// bug in the module; nothing else does.
#[wasm_bindgen(js_name = __panicForTests)]
#[allow(clippy::panic)]
pub fn panic_for_tests() {
    panic!("deliberate panic requested by a test");
}

/// The alertmath version this module was built from.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn serializer() -> serde_wasm_bindgen::Serializer {
    serde_wasm_bindgen::Serializer::json_compatible()
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serializer())
        .map_err(|e| to_js_error(&InputError::internal(format!("could not convert a result for JS: {}", e))))
}

/// The one error mapping: an `Error` whose message is the core's message, named
/// `InputError`, with the structured fields as properties.
pub fn to_js_error(e: &InputError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("InputError");
    let kind = serde_wasm_bindgen::to_value(&e.kind).unwrap_or(JsValue::NULL);
    let _ = Reflect::set(&err, &"kind".into(), &kind);
    let _ = Reflect::set(&err, &"field".into(), &e.field.as_deref().map_or(JsValue::NULL, JsValue::from_str));
    let _ = Reflect::set(&err, &"param".into(), &e.param.as_deref().map_or(JsValue::NULL, JsValue::from_str));
    let _ = Reflect::set(&err, &"position".into(), &e.position.map_or(JsValue::NULL, |p| JsValue::from_f64(p as f64)));
    err.into()
}

/// Every method's declaration: id, name, summary, input fields and parameters.
#[wasm_bindgen]
pub fn methods() -> Result<JsValue, JsValue> {
    let specs: Vec<&alertmath_core::MethodSpec> = alertmath_core::METHODS.iter().map(|m| &m.spec).collect();
    to_js(&specs)
}

fn find_method(id: &str) -> Result<&'static alertmath_core::Method, JsValue> {
    alertmath_core::method(id)
        .ok_or_else(|| to_js_error(&InputError::new(ErrorKind::UnknownMethod, format!("There is no method “{}”.", id))))
}

/// Parses the text of one input field. Returns `{columns: {key: Float64Array}, rows,
/// description}`; the columns go straight into `analyze`'s input object.
#[wasm_bindgen(js_name = parseField)]
pub fn parse_field(method: &str, field: &str, text: &str) -> Result<JsValue, JsValue> {
    let m = find_method(method)?;
    let spec = m.spec.field(field).ok_or_else(|| {
        to_js_error(&InputError::new(ErrorKind::Field, format!("{} has no input field “{}”.", m.spec.name, field)))
    })?;
    let parsed = alertmath_core::parse_field(spec, text).map_err(|e| to_js_error(&e))?;
    let columns = Object::new();
    for (key, values) in &parsed.columns {
        set(&columns, key, &Float64Array::from(values.as_slice()).into())?;
    }
    let out = Object::new();
    set(&out, "columns", &columns.into())?;
    set(&out, "rows", &JsValue::from_f64(parsed.rows as f64))?;
    set(&out, "description", &JsValue::from_str(&parsed.description))?;
    Ok(out.into())
}

fn set(target: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(target, &JsValue::from_str(key), value).map(|_| ())
}

/// Reads `{key: Float64Array | number[]}` into core input. Plain arrays are checked
/// element by element, so `["12", "abc"]` is an error that names the item, not a NaN.
fn input_from_js(value: &JsValue) -> Result<Input, InputError> {
    let mut input = Input::new();
    if value.is_undefined() || value.is_null() {
        return Ok(input);
    }
    let Some(obj) = value.dyn_ref::<Object>() else {
        return Err(InputError::new(
            ErrorKind::Field,
            "The input must be an object of columns, e.g. {data: [10, 12, 50]}.",
        ));
    };
    for entry in Object::entries(obj).iter() {
        let pair: Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let column = pair.get(1);
        let values = if let Some(typed) = column.dyn_ref::<Float64Array>() {
            typed.to_vec()
        } else if Array::is_array(&column) {
            let array: Array = column.unchecked_into();
            let mut out = Vec::with_capacity(array.length() as usize);
            for (i, item) in array.iter().enumerate() {
                match item.as_f64() {
                    Some(x) => out.push(x),
                    None => {
                        return Err(InputError::new(
                            ErrorKind::NotANumber,
                            format!("Item {} of “{}” is not a number.", i + 1, key),
                        )
                        .at(i + 1))
                    }
                }
            }
            out
        } else if column.is_object() && Reflect::has(&column, &"length".into()).unwrap_or(false) {
            // Other typed arrays (Float32Array, Int32Array …) convert exactly.
            Float64Array::new(&column).to_vec()
        } else {
            return Err(InputError::new(
                ErrorKind::Field,
                format!("Input “{}” must be an array of numbers or a Float64Array.", key),
            ));
        };
        input.insert(key, values);
    }
    Ok(input)
}

fn params_from_js(value: &JsValue) -> Result<Params, InputError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Params::new());
    }
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| {
        InputError::new(
            ErrorKind::Param,
            format!("Parameters must be an object of numbers, strings and booleans ({}).", e),
        )
    })
}

/// The result of `analyze`: the summary as JS data, per-point arrays as typed arrays,
/// and the plot kept in wasm memory for `draw`. Call `free()` when done with it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Analysis {
    inner: alertmath_core::Analysis,
}

#[wasm_bindgen]
impl Analysis {
    /// Id of the method that produced this analysis.
    #[wasm_bindgen(getter)]
    pub fn method(&self) -> String {
        self.inner.method.to_string()
    }

    /// Verdict, named values, steps, tables and notes (everything but per-point data).
    pub fn summary(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.summary())
    }

    /// Per-point x positions (empty when the method scores no points).
    pub fn x(&self) -> Float64Array {
        Float64Array::from(self.inner.points.as_ref().map_or(&[][..], |p| &p.x[..]))
    }

    /// Per-point values.
    pub fn y(&self) -> Float64Array {
        Float64Array::from(self.inner.points.as_ref().map_or(&[][..], |p| &p.y[..]))
    }

    /// Per-point scores (NaN where undefined).
    pub fn scores(&self) -> Float64Array {
        Float64Array::from(self.inner.points.as_ref().map_or(&[][..], |p| p.score.as_slice()))
    }

    /// Per-point flags, 1 for flagged.
    pub fn flags(&self) -> Uint8Array {
        let flags: Vec<u8> =
            self.inner.points.as_ref().map_or(Vec::new(), |p| p.flag.iter().map(|&f| u8::from(f)).collect());
        Uint8Array::from(flags.as_slice())
    }

    /// The plot specification, as data (for debugging and custom renderers).
    #[wasm_bindgen(js_name = plotSpec)]
    pub fn plot_spec(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.plot)
    }
}

/// Runs method `id` on `input` (`{key: Float64Array | number[]}`, keys `"field.column"`,
/// or just the field id for one-column fields) with `params` (`{id: value}`).
#[wasm_bindgen]
pub fn analyze(id: &str, input: &JsValue, params: &JsValue) -> Result<Analysis, JsValue> {
    let input = input_from_js(input).map_err(|e| to_js_error(&e))?;
    let params = params_from_js(params).map_err(|e| to_js_error(&e))?;
    alertmath_core::analyze(id, input, &params).map(|inner| Analysis { inner }).map_err(|e| to_js_error(&e))
}

/// Draws an analysis's plot on a canvas, filling its whole bitmap. `view` is
/// `{scale: devicePixelRatio, dark: boolean}`. Returns what was drawn
/// (`{markers, paths, pathPoints, texts}`).
#[wasm_bindgen]
pub fn draw(canvas: &HtmlCanvasElement, analysis: &Analysis, view: &JsValue) -> Result<JsValue, JsValue> {
    draw_plot(canvas, &analysis.inner.plot, view)
}

fn draw_plot(
    canvas: &HtmlCanvasElement,
    plot: &alertmath_core::plot::Plot,
    view: &JsValue,
) -> Result<JsValue, JsValue> {
    let scale = Reflect::get(view, &"scale".into()).ok().and_then(|v| v.as_f64()).unwrap_or(1.0);
    let dark = Reflect::get(view, &"dark".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
    let backend = canvas::MeasuredCanvas::new(canvas)
        .ok_or_else(|| to_js_error(&InputError::new(ErrorKind::Unsupported, "This canvas has no 2D context.")))?;
    let stats = alertmath_charts::draw(backend, plot, &alertmath_charts::View { scale, dark })
        .map_err(|e| to_js_error(&InputError::internal(e.to_string())))?;
    let out = Object::new();
    set(&out, "markers", &JsValue::from_f64(stats.markers as f64))?;
    set(&out, "paths", &JsValue::from_f64(stats.paths as f64))?;
    set(&out, "pathPoints", &JsValue::from_f64(stats.path_points as f64))?;
    set(&out, "texts", &JsValue::from_f64(stats.texts as f64))?;
    Ok(out.into())
}

/// The one mapping of a PromQL twin's failure: an `Error` named `PromQLError` with `kind`
/// (`parse`, `eval` or `spec`) and, for parse errors, the `start` and `end` (UTF-16
/// offsets) of the part of the query it is about.
fn to_promql_error(e: &alertmath_promql::twin::TwinError, query: &str) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("PromQLError");
    let _ = Reflect::set(&err, &"kind".into(), &JsValue::from_str(e.kind));
    let utf16 = |byte: usize| query.get(..byte.min(query.len())).map_or(0, |s| s.encode_utf16().count()) as f64;
    let (start, end) = e.span.map_or((JsValue::NULL, JsValue::NULL), |s| (utf16(s.start).into(), utf16(s.end).into()));
    let _ = Reflect::set(&err, &"start".into(), &start);
    let _ = Reflect::set(&err, &"end".into(), &end);
    err.into()
}

/// A lesson's PromQL twin evaluated: call `summary()` for the comparison and the
/// exported files, and `drawTwin()` to draw it. Call `free()` when done.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Twin {
    inner: alertmath_promql::twin::TwinResult,
}

#[wasm_bindgen]
impl Twin {
    /// The substituted query, the mapping, each evaluation, the counts, notes, and the
    /// rule and test files.
    pub fn summary(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner)
    }
}

/// Evaluates a lesson's PromQL twin (`spec` is the lesson JSON's `promql.spec`) on the
/// same input and parameters as `analyze`, with `query` replacing the lesson's query
/// when given, under Prometheus `version` ("3" or "2").
#[wasm_bindgen(js_name = promqlTwin)]
pub fn promql_twin(
    lesson: &str,
    method: &str,
    spec: &JsValue,
    input: &JsValue,
    params: &JsValue,
    query: Option<String>,
    version: &str,
) -> Result<Twin, JsValue> {
    let spec: alertmath_promql::twin::TwinSpec = serde_wasm_bindgen::from_value(spec.clone()).map_err(|e| {
        to_js_error(&InputError::new(
            ErrorKind::Field,
            format!("The PromQL twin's specification is not valid ({}).", e),
        ))
    })?;
    let input = input_from_js(input).map_err(|e| to_js_error(&e))?;
    let params = params_from_js(params).map_err(|e| to_js_error(&e))?;
    let version = alertmath_promql::Version::from_id(version).unwrap_or(alertmath_promql::Version::V3);
    let text = query.clone().unwrap_or_else(|| spec.query.clone());
    alertmath_promql::twin::run(&spec, lesson, method, input, &params, query.as_deref(), version)
        .map(|inner| Twin { inner })
        .map_err(|e| to_promql_error(&e, &text))
}

/// Draws a twin's plot (the data with both sets of flags, and the query's comparison).
#[wasm_bindgen(js_name = drawTwin)]
pub fn draw_twin(canvas: &HtmlCanvasElement, twin: &Twin, view: &JsValue) -> Result<JsValue, JsValue> {
    draw_plot(canvas, &twin.inner.plot, view)
}
