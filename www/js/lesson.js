// The lesson page (and its compact twin, embed.html): loads the lesson and the method's
// declaration, builds the editor, and on every edit schedules one frame that parses
// what changed, analyses, and redraws the verdict, values, steps and plot. Bad input
// shows a message beside the control it concerns; the last good result stays.

import { h, fill, nodes } from './dom.js';
import * as engine from './engine.js';
import * as urlState from './state.js';
import { buildEditor } from './editor.js';
import { renderVerdict, renderValues, renderNotes, renderSteps, renderTables, renderClaims } from './results.js';
import { initTheme, isDark } from './theme.js';
import { createTwin } from './twin.js';

initTheme();

const $ = (id) => document.getElementById(id);
const embed = document.body.classList.contains('embed');

// Timings of the last good frame, for the benchmark and the tests. `frames` counts every
// frame (good or not), `good` the frames that produced a result.
const perf = { frames: 0, good: 0, last: null };
let resolveReady;
const firstFrame = new Promise((resolve) => { resolveReady = resolve; });
window.alertmath = { perf, ready: firstFrame, engine };

let lesson = null;
let spec = null;
let editor = null;
let twin = null; // the PromQL twin, when the lesson has one
let exampleId = null;
let current = null; // the Analysis handle of the last good result
let currentSummary = null;
const parsed = new Map(); // field id → {text, columns, description} or {text, error}
let scheduled = false;
let urlTimer = 0;
// The canvas's CSS size, kept by a ResizeObserver: reading clientWidth inside a frame
// would force a layout of everything the frame just rendered.
let canvasSize = null;

function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(frame);
}

function showGeneral(message) {
  const el = $('editor-error');
  el.textContent = message || '';
  el.hidden = !message;
}

function markStale(stale) {
  const v = $('verdict');
  v.classList.toggle('stale', stale);
  if (stale) v.setAttribute('data-stale', 'Showing the last valid result');
  else v.removeAttribute('data-stale');
}

/** Shows an InputError beside the field or parameter it is about, or above the buttons. */
function showInputError(e) {
  if (e.param && editor.showError('param', e.param, e.message)) return;
  if (e.field && editor.showError('field', e.field, e.message)) return;
  showGeneral(e.message);
}

function crashed(e) {
  // The module panicked. Its handles are gone with it; a new instance is loading.
  current = null;
  parsed.clear();
  if (twin) twin.dropHandle();
  showGeneral(`Internal error in the alertmath engine: ${e.message}. The engine has been restarted and your input kept; please report this with the link of this page.`);
  markStale(true);
  engine.ready().then(schedule, () => showGeneral('The alertmath engine could not be restarted; reload the page.'));
}

function parseFields() {
  const input = {};
  let ok = true;
  for (const f of spec.fields) {
    const text = editor.fieldText(f.id);
    let entry = parsed.get(f.id);
    if (!entry || entry.text !== text) {
      try {
        const r = engine.parseField(spec.id, f.id, text);
        entry = { text, columns: r.columns, description: r.description };
      } catch (e) {
        if (e.name === 'EngineCrash') throw e;
        entry = { text, error: e };
      }
      parsed.set(f.id, entry);
    }
    if (entry.error) {
      editor.showError('field', f.id, entry.error.message);
      editor.setStatus(f.id, '');
      ok = false;
    } else {
      editor.showError('field', f.id, null);
      editor.setStatus(f.id, entry.description);
      Object.assign(input, entry.columns);
    }
  }
  return ok ? input : null;
}

function saveUrlSoon() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const complete = urlState.write({ example: exampleId, fields: editor.fieldTexts(), params: editor.paramValues(), extra: twin ? twin.state() : {} });
    const note = $('copied');
    if (note && !complete) note.textContent = 'The data is too large to keep in the link; the link keeps the parameters only.';
  }, 200);
}

function drawPlot() {
  if (!current) return 0;
  const t = performance.now();
  const canvas = $('plot');
  const dpr = window.devicePixelRatio || 1;
  // Each stacked panel gets its own share of height (the CSS reads --panels).
  const panels = String(Math.min(6, Math.max(1, (currentSummary && currentSummary.panels) || 1)));
  if (canvas.style.getPropertyValue('--panels') !== panels) {
    canvas.style.setProperty('--panels', panels);
    canvasSize = null;
  }
  if (!canvasSize) {
    const r = canvas.getBoundingClientRect();
    canvasSize = { width: r.width, height: r.height };
  }
  const w = Math.max(1, Math.round(canvasSize.width * dpr));
  const hgt = Math.max(1, Math.round(canvasSize.height * dpr));
  if (canvas.width !== w || canvas.height !== hgt) {
    canvas.width = w;
    canvas.height = hgt;
  }
  engine.draw(canvas, current, { scale: dpr, dark: isDark() });
  if (currentSummary) canvas.setAttribute('aria-label', currentSummary.plot_description || 'Plot');
  return performance.now() - t;
}

function frame() {
  scheduled = false;
  if (!spec) return;
  perf.frames += 1;
  if (!engine.isReady()) {
    engine.ready().then(schedule, () => {});
    return;
  }
  const t0 = performance.now();
  saveUrlSoon();
  try {
    const input = parseFields();
    const t1 = performance.now();
    if (!input) {
      markStale(true);
      return;
    }
    let analysis;
    try {
      analysis = engine.analyze(spec.id, input, editor.paramValues());
    } catch (e) {
      if (e.name === 'EngineCrash') throw e;
      editor.clearErrors('param');
      showGeneral(null);
      showInputError(e);
      markStale(true);
      return;
    }
    const t2 = performance.now();
    editor.clearErrors('param');
    showGeneral(null);
    markStale(false);
    const summary = analysis.summary();
    renderVerdict($('verdict'), summary.verdict);
    renderValues($('values'), summary.values);
    renderNotes($('notes'), summary.notes);
    renderSteps($('steps').tBodies[0], summary.steps);
    renderTables($('tables'), summary.tables);
    const t3 = performance.now();
    if (current) current.free();
    current = analysis;
    currentSummary = summary;
    const drawMs = drawPlot();
    const end = performance.now();
    perf.good += 1;
    perf.last = { parse: t1 - t0, analyze: t2 - t1, render: t3 - t2, draw: drawMs, total: end - t0, end };
    // The PromQL twin runs on the same input and parameters, in the next frame.
    if (twin) twin.update(input, editor.paramValues());
    resolveReady(perf.last);
  } catch (e) {
    if (e.name === 'EngineCrash') crashed(e);
    else showGeneral(`Unexpected error: ${e.message}`);
  }
}

function redraw() {
  try {
    drawPlot();
  } catch (e) {
    if (e.name === 'EngineCrash') crashed(e);
  }
}

function example(id) {
  return lesson.examples.find((e) => e.id === id) || lesson.examples[0];
}

function showExample(ex) {
  exampleId = ex.id;
  for (const b of $('examples').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.example === ex.id));
  const note = $('example-note');
  if (note) fill(note, nodes(ex.note));
  const claims = $('claims');
  if (claims) {
    renderClaims(claims.tBodies[0], ex.claims, nodes);
    claims.hidden = ex.claims.length === 0;
  }
}

function loadExample(ex) {
  showExample(ex);
  editor.set(ex.data, ex.params);
  parsed.clear();
  schedule();
}

/** Applies the state in the URL fragment, or the first example when there is none. */
function applyUrl() {
  const s = urlState.read();
  if (!urlState.hasState(s)) {
    loadExample(lesson.examples[0]);
    return;
  }
  const ex = example(s.example);
  showExample(ex);
  editor.set({ ...ex.data, ...s.fields }, { ...ex.params, ...s.params });
  if (twin) twin.restore(s.extra);
  parsed.clear();
  schedule();
}

async function copy(text, done) {
  try {
    await navigator.clipboard.writeText(text);
    $('copied').textContent = done;
  } catch {
    $('copied').textContent = 'Copying is blocked here; copy the address from the address bar.';
  }
}

function wireButtons() {
  $('reset').addEventListener('click', () => loadExample(example(exampleId)));
  $('copy-link')?.addEventListener('click', () => {
    urlState.write({ example: exampleId, fields: editor.fieldTexts(), params: editor.paramValues(), extra: twin ? twin.state() : {} });
    copy(location.href, 'Link copied.');
  });
  $('copy-embed')?.addEventListener('click', () => {
    urlState.write({ example: exampleId, fields: editor.fieldTexts(), params: editor.paramValues() });
    const src = new URL(`embed.html${location.search}${location.hash}`, location.href).href;
    copy(`<iframe src="${src}" title="alertmath: ${lesson.title.replace(/"/g, '&quot;')}" width="100%" height="760" loading="lazy"></iframe>`, 'Embed code copied.');
  });
}

async function nav(index) {
  const i = index.lessons.findIndex((l) => l.id === lesson.id);
  for (const [el, other] of [[$('prev'), index.lessons[i - 1]], [$('next'), index.lessons[i + 1]]]) {
    if (!el || !other) continue;
    el.href = `lesson.html?lesson=${encodeURIComponent(other.id)}`;
    el.title = other.title;
    el.hidden = false;
  }
}

async function main() {
  const id = new URLSearchParams(location.search).get('lesson') || 'square-root-law';
  try {
    const response = await fetch(`lessons/${encodeURIComponent(id)}.json`);
    if (!response.ok) throw new Error(`there is no lesson “${id}”`);
    lesson = await response.json();
    await engine.ready();
    spec = engine.methods().find((m) => m.id === lesson.method);
    if (!spec) throw new Error(`the engine has no method “${lesson.method}”; rebuild with ./build.sh`);
  } catch (e) {
    $('title').textContent = 'This lesson could not be loaded';
    const err = $('load-error');
    err.textContent = `Could not load the lesson: ${e.message}.`;
    err.hidden = false;
    return;
  }
  document.title = `${lesson.title} · alertmath`;
  $('title').textContent = lesson.title;
  if (embed) $('title').href = `lesson.html${location.search}${location.hash}`;
  if (!embed) {
    $('guide').textContent = `From the guide: ${lesson.guide}`;
    fill($('intro'), nodes(lesson.intro));
    fill($('after'), nodes(lesson.after));
    fetch('lessons/index.json').then((r) => r.json()).then(nav).catch(() => {});
  }
  fill($('examples'), lesson.examples.map((ex) =>
    h('button', { type: 'button', 'data-example': ex.id, 'aria-pressed': 'false', onclick: () => loadExample(ex) }, ex.label)));
  editor = buildEditor(spec, $('fields'), $('params'), schedule);
  if (!embed) twin = createTwin(lesson, spec.id, saveUrlSoon);
  wireButtons();
  applyUrl();
  window.addEventListener('hashchange', applyUrl);
  window.addEventListener('alertmath:theme', redraw);
  new ResizeObserver((entries) => {
    const box = entries[entries.length - 1].contentRect;
    canvasSize = { width: box.width, height: box.height };
    redraw();
  }).observe($('plot'));
}

main();
