// The alertmath JS API from Node: load the same files the site serves (www/pkg, built
// by ./build.sh build) and analyse the guide's z-score example.
// Run: node docs/api-example.mjs   (./build.sh test runs it and checks its numbers)
import { readFile } from 'node:fs/promises';
import assert from 'node:assert/strict';
import init, { methods, analyze, parseField } from '../www/pkg/alertmath_wasm.js';

const wasm = await readFile(new URL('../www/pkg/alertmath_wasm_bg.wasm', import.meta.url));
await init({ module_or_path: wasm });

// Every method, with its input fields and parameter schema.
const ids = methods().map((m) => m.id);
console.log('methods:', ids.join(', '));

// Columns go in as Float64Arrays (or plain arrays); parameters as plain values.
const data = new Float64Array([10, 12, 10, 11, 12, 50]);
const analysis = analyze('z-score', { data }, { threshold: 3, sd: 'population' });
const summary = analysis.summary();
const value = (id) => summary.values.find((v) => v.id === id).value;
console.log(summary.verdict.headline, '-', summary.verdict.detail);
console.log('mean', value('mean'), 'sd', value('sd'), 'Z of 50', value('z_max'), 'ceiling', value('z_ceiling'));
for (const step of summary.steps) console.log(`  ${step.label}: ${step.formula} = ${step.substitution} → ${step.result}`);
console.log('flags', Array.from(analysis.flags()));
analysis.free();

// Text goes through the same parser as the page's editor.
const parsed = parseField('iqr', 'data', '10, 12, 13, 15, 16, 1000');
const iqr = analyze('iqr', parsed.columns, { quantile: '7' });
console.log('IQR, type 7: upper fence', iqr.summary().values.find((v) => v.id === 'upper_fence').value);

// Bad input throws an Error named InputError with a kind, a field and a message.
try {
  analyze('z-score', { data: [42] }, {});
} catch (e) {
  console.log(`${e.name} (${e.kind}, field ${e.field}): ${e.message}`);
  assert.equal(e.kind, 'too-few');
}

assert.deepEqual(ids.slice(0, 4), ['square-root-law', 'z-score', 'iqr', 'mad']);
assert.equal(value('mean'), 17.5);
assert.equal(value('z_max'), 2.2325479942430144);
assert.equal(iqr.summary().values.find((v) => v.id === 'upper_fence').value, 21);
console.log('ok: 4 checks');
