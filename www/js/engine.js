// The only module that imports the WebAssembly package. It loads the module, forwards
// calls, and keeps the page alive if the module ever panics: the panic is reported, the
// broken instance is dropped, and a fresh one is loaded.

let wasm = null;
let loading = null;
let generation = 0;

/** A bug inside the module (a panic), as opposed to bad input (InputError). */
export class EngineCrash extends Error {
  constructor(message) {
    super(message);
    this.name = 'EngineCrash';
  }
}

function load() {
  // A fresh URL gives a fresh instance of the glue module and its wasm memory.
  const glue = new URL('../pkg/alertmath_wasm.js', import.meta.url);
  if (generation > 0) glue.searchParams.set('instance', String(generation));
  const binary = new URL('../pkg/alertmath_wasm_bg.wasm', import.meta.url);
  loading = import(glue.href)
    .then(async (m) => {
      await m.default({ module_or_path: binary });
      wasm = m;
      loading = null;
      return m;
    })
    .catch((e) => {
      loading = null;
      throw e;
    });
  return loading;
}

/** Resolves when the module is ready (loading it if needed). */
export async function ready() {
  if (wasm) return wasm;
  return loading || load();
}

/** Whether calls can be made now (false while a replacement instance loads). */
export function isReady() {
  return wasm !== null;
}

function call(fn) {
  if (!wasm) throw new EngineCrash('The engine is still loading.');
  try {
    return fn(wasm);
  } catch (e) {
    if (e && (e.name === 'InputError' || e.name === 'PromQLError')) throw e;
    // Anything else is a trap: the module panicked or hit a bug. Keep the message,
    // drop the instance (its memory may be inconsistent) and start a new one.
    let message = '';
    try {
      message = wasm.lastPanic() || '';
    } catch {
      // The broken instance may not answer; the exception itself is the report.
    }
    message = message || String((e && e.message) || e);
    wasm = null;
    generation += 1;
    load().catch(() => {});
    throw new EngineCrash(message);
  }
}

/** Every method's declaration (id, name, fields, parameters). */
export function methods() {
  return call((m) => m.methods());
}

/** Parses a field's text into columns: {columns: {key: Float64Array}, rows, description}. */
export function parseField(method, field, text) {
  return call((m) => m.parseField(method, field, text));
}

/** Runs a method; returns an Analysis handle (free it when done). */
export function analyze(method, input, params) {
  return call((m) => m.analyze(method, input, params));
}

/** Draws an analysis on a canvas. */
export function draw(canvas, analysis, view) {
  return call((m) => m.draw(canvas, analysis, view));
}

/** Evaluates a lesson's PromQL twin; returns a Twin handle (free it when done). */
export function promqlTwin(lesson, method, spec, input, params, query, version) {
  return call((m) => m.promqlTwin(lesson, method, spec, input, params, query, version));
}

/** Draws a twin's plot on a canvas. */
export function drawTwin(canvas, twin, view) {
  return call((m) => m.drawTwin(canvas, twin, view));
}

/** Makes the module panic, to test recovery. */
export function panicForTests() {
  return call((m) => m.__panicForTests());
}

/** The generation of the current instance (0 for the first). */
export function instance() {
  return generation;
}
