// Measures edit-to-redraw time in Chromium: for each lesson's worked example, and for
// 10,000 and 100,000 points on every method that takes data (every required field filled:
// lists, (x, y) rows, two samples, multi-column rows; optional fields emptied). Each sample
// changes one parameter as a reader would (an input event) and times, inside the page,
// from the event to the end of the frame that redrew verdict, tables and plot, and to
// the next animation frame (when the browser can paint it). Prints medians and 95th
// percentiles, the wasm size, and writes target/bench.json.
//
// Run: ./build.sh bench   (or: node tests/browser/bench.mjs [--samples N] [--only id,id])
// --only times just the lessons named (comma-separated ids), for a quick loop on a few methods.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { serve, launch, openPage, WWW, ROOT } from './harness.mjs';

const samples = Number(process.argv[process.argv.indexOf('--samples') + 1]) || 40;
const index = JSON.parse(fs.readFileSync(path.join(WWW, 'lessons/index.json'), 'utf8'));
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
if (only) index.lessons = index.lessons.filter((l) => only.includes(l.id));
const server = await serve();
const browser = await launch();

/** In the page: n pseudo-random values around 100 (plus `shift`) with one spike, as text;
 * with several columns, n rows of that many such values, one row per line. */
function dataText(n, columns = 1, shift = 0) {
  let x = 12345;
  const values = [];
  for (let i = 0; i < n * columns; i++) {
    x = (x * 48271) % 2147483647;
    values.push((100 + shift + (x % 2000) / 100).toFixed(2));
  }
  values[Math.floor(n * columns * 0.77)] = '400';
  if (columns === 1) return values.join(', ');
  const rows = [];
  for (let i = 0; i < n; i++) rows.push(values.slice(i * columns, (i + 1) * columns).join(', '));
  return rows.join('\n');
}

/** The text of one field of n rows, by its shape: (x, y) rows get x = 0, 1, 2, …;
 * a second list (a two-sample test) is shifted by 1. */
function fieldText(field, n, index) {
  if (field.columns.length === 2 && field.columns[0].id === 'x') {
    return dataText(n).split(', ').map((v, i) => `${i}, ${v}`).join('\n');
  }
  return dataText(n, field.columns.length, index);
}

/** Runs `samples` parameter edits in the page and returns their timings. */
async function measure(page, count) {
  return page.evaluate(async (count) => {
    const perf = window.alertmath.perf;
    // The first number control that takes fractions and stays in range when scaled by
    // up to 1.2 (a window in samples or a percentile of 99 would not); else a select.
    const numbers = [...document.querySelectorAll('#params input[type=number]')];
    const control = numbers.find((c) => c.step === 'any' && Number(c.value) !== 0 && Number(c.value) * 1.2 <= Number(c.max))
      || document.querySelector('#params select');
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    const out = [];
    const values = control.tagName === 'SELECT' ? [...control.options].map((o) => o.value) : null;
    const base = control.tagName === 'SELECT' ? null : Number(control.value);
    // Whole-number parameters (a period, a window) step by one instead of by 5%.
    const integer = control.step === '1';
    for (let i = 0; i < count; i++) {
      await frame();
      const before = perf.good;
      const t0 = performance.now();
      if (values) control.value = values[i % values.length];
      else if (integer) control.value = String(base + (i % 4) + 1);
      else control.value = String(Number((base * (1 + 0.05 * ((i % 4) + 1))).toPrecision(6)));
      control.dispatchEvent(new Event(values ? 'change' : 'input', { bubbles: true }));
      while (perf.good === before) await frame();
      const done = perf.last.end - t0;
      await frame();
      out.push({ ...perf.last, work: perf.last.total, frame: done, paint: performance.now() - t0 });
    }
    return out;
  }, count);
}

function stats(rows, key) {
  const v = rows.map((r) => r[key]).sort((a, b) => a - b);
  const q = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return { median: +q(0.5).toFixed(2), p95: +q(0.95).toFixed(2) };
}

function summary(rows) {
  // `twin`: the PromQL twin's evaluation and rendering, in the same frame after `work`.
  const keys = ['work', 'frame', 'paint', 'parse', 'analyze', 'render', 'draw', ...(rows[0] && rows[0].twin !== undefined ? ['twin'] : [])];
  return Object.fromEntries(keys.map((k) => [k, stats(rows, k)]));
}

const results = { samples, lessons: {}, sizes: {}, large: {} };

for (const entry of index.lessons) {
  const page = await openPage(browser, `${server.url}lesson.html?lesson=${entry.id}`);
  await page.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0);
  await measure(page, 5); // warm-up
  results.lessons[entry.id] = summary(await measure(page, samples));
  await page.close();
}

for (const entry of index.lessons) {
  const lesson = JSON.parse(fs.readFileSync(path.join(WWW, `lessons/${entry.id}.json`), 'utf8'));
  const page = await openPage(browser, `${server.url}lesson.html?lesson=${entry.id}`);
  await page.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0);
  const fields = await page.evaluate((id) => window.alertmath.engine.methods().find((m) => m.id === id)?.fields ?? [], lesson.method);
  // The square-root law's rows are scenarios, not a series; a method without data has no n.
  if (fields.length === 0 || lesson.method === 'square-root-law') {
    await page.close();
    continue;
  }
  for (const n of [10_000, 100_000]) {
    // Optional fields (a typed seasonal pattern, typed residuals) are emptied, so that they
    // need not match the long series.
    const texts = Object.fromEntries(fields.map((f, i) => [f.id, f.optional ? '' : fieldText(f, n, i)]));
    const edit = await page.evaluate(async (texts) => {
      const perf = window.alertmath.perf;
      const before = perf.good;
      const t0 = performance.now();
      for (const [id, text] of Object.entries(texts)) {
        const area = document.getElementById(`field-${id}`);
        area.value = text;
        area.dispatchEvent(new Event('input', { bubbles: true }));
      }
      // A field that cannot take long data (a 2×2 matrix) answers with a message.
      while (perf.good === before) {
        if (document.querySelector('.field-error:not([hidden])')) return null;
        await new Promise((r) => requestAnimationFrame(r));
      }
      return { ...perf.last, frame: perf.last.end - t0 };
    }, texts);
    if (!edit) break;
    await measure(page, 5);
    results.large[`${entry.id} ${n}`] = {
      data_edit: Object.fromEntries(['total', 'parse', 'analyze', 'render', 'draw', 'twin'].filter((k) => edit[k] !== undefined).map((k) => [k, +edit[k].toFixed(2)])),
      ...summary(await measure(page, samples)),
    };
  }
  await page.close();
}

const wasm = fs.readFileSync(path.join(WWW, 'pkg/alertmath_wasm_bg.wasm'));
results.sizes.wasm = { raw: wasm.length, gzip: zlib.gzipSync(wasm, { level: 9 }).length };
const distWasm = path.join(ROOT, 'dist/pkg/alertmath_wasm_bg.wasm');
if (fs.existsSync(distWasm)) {
  const d = fs.readFileSync(distWasm);
  results.sizes.wasm_opt = { raw: d.length, gzip: zlib.gzipSync(d, { level: 9 }).length };
}
results.chromium = browser.version();

await browser.close();
await server.close();

const cell = (v) => String(v).padStart(7);
const row = (name, s) => `${name.padEnd(24)}${cell(s.work.median)}${cell(s.work.p95)}${cell(s.frame.median)}${cell(s.paint.median)}   ` +
  `${s.parse.median} / ${s.analyze.median} / ${s.render.median} / ${s.draw.median}` +
  (s.twin ? `   + PromQL twin ${s.twin.median} (p95 ${s.twin.p95})` : '') +
  (s.data_edit ? `   | data edit ${s.data_edit.total} (parse ${s.data_edit.parse}, analyze ${s.data_edit.analyze}, render ${s.data_edit.render}, draw ${s.data_edit.draw}${s.data_edit.twin !== undefined ? `, twin ${s.data_edit.twin}` : ''})` : '');
console.log(`Chromium ${results.chromium}; ${samples} parameter edits per row; milliseconds.`);
console.log('work = the frame\'s own work (parse + analyze + render + draw); frame end and paint are measured');
console.log('from the input event, so they include the wait for the next animation frame (about 16.7 ms).');
console.log(`${'case'.padEnd(24)}${cell('work')}${cell('p95')}${cell('→end')}${cell('→paint')}   parse / analyze / render / draw (medians)`);
for (const [k, s] of Object.entries(results.lessons)) console.log(row(`lesson ${k}`, s));
for (const [k, s] of Object.entries(results.large)) console.log(row(k, s));
console.log(`wasm: ${results.sizes.wasm.raw} bytes raw, ${results.sizes.wasm.gzip} gzipped` +
  (results.sizes.wasm_opt ? `; after wasm-opt (./build.sh dist): ${results.sizes.wasm_opt.raw} raw, ${results.sizes.wasm_opt.gzip} gzipped` : ''));
fs.mkdirSync(path.join(ROOT, 'target'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'target/bench.json'), JSON.stringify(results, null, 2));
