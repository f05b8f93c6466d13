// The editor: one text area per input field and one control per parameter, all built
// from the method's declaration, so no lesson has hand-written controls. Values are
// passed on as typed; the core checks them and its messages come back through
// showError().

import { h, fill } from './dom.js';

function decimals(step) {
  return step > 0 && step < 1 ? Math.min(10, Math.ceil(-Math.log10(step) - 1e-9)) : 0;
}

function tidy(x, step) {
  return String(Number(x.toFixed(decimals(step))));
}

function numberControl(p, onInput) {
  const id = `param-${p.id}`;
  const number = h('input', { type: 'number', id, name: p.id, min: p.min, max: p.max, step: p.integer ? 1 : 'any', inputmode: 'decimal', 'aria-describedby': `help-${p.id} err-${p.id}` });
  // A logarithmic slider moves through 1000 positions between min and max.
  const log = p.log && p.min > 0;
  const range = h('input', {
    type: 'range', id: `${id}-range`, min: log ? 0 : p.min, max: log ? 1000 : p.max, step: log ? 1 : p.step,
    'aria-label': `${p.label} (slider)`, 'aria-describedby': `help-${p.id}`, tabindex: 0,
  });
  const toSlider = (x) => (log ? (1000 * Math.log(x / p.min)) / Math.log(p.max / p.min) : x);
  const fromSlider = (s) => (log ? p.min * Math.pow(p.max / p.min, s / 1000) : s);
  range.addEventListener('input', () => {
    number.value = tidy(fromSlider(Number(range.value)), p.step);
    onInput();
  });
  number.addEventListener('input', () => {
    const x = Number(number.value);
    if (number.value.trim() !== '' && Number.isFinite(x)) range.value = String(toSlider(Math.min(Math.max(x, p.min), p.max)));
    onInput();
  });
  return {
    elements: h('div', { class: 'param-inputs' }, range, number),
    focus: number,
    get: () => number.value,
    set: (v) => {
      number.value = String(v);
      const x = Number(v);
      if (Number.isFinite(x)) range.value = String(toSlider(Math.min(Math.max(x, p.min), p.max)));
    },
  };
}

function choiceControl(p, onInput) {
  const select = h('select', { id: `param-${p.id}`, name: p.id, 'aria-describedby': `help-${p.id} err-${p.id}` },
    p.options.map((o) => h('option', { value: o.id, text: o.label })));
  select.addEventListener('change', onInput);
  return { elements: select, focus: select, get: () => select.value, set: (v) => { select.value = String(v); } };
}

function flagControl(p, onInput) {
  const box = h('input', { type: 'checkbox', id: `param-${p.id}`, name: p.id, 'aria-describedby': `help-${p.id} err-${p.id}` });
  box.addEventListener('change', onInput);
  return { elements: box, focus: box, get: () => box.checked, set: (v) => { box.checked = v === true || v === 'true'; } };
}

/** Builds the editor for a method; calls onInput(kind, id) on every edit. */
export function buildEditor(spec, fieldsEl, paramsEl, onInput) {
  const fields = new Map();
  const params = new Map();
  fill(fieldsEl);
  for (const f of spec.fields) {
    const area = h('textarea', {
      id: `field-${f.id}`, name: f.id, rows: f.columns.length > 1 ? 5 : 3, spellcheck: 'false', autocomplete: 'off',
      'aria-describedby': `help-${f.id} status-${f.id} err-${f.id}`,
    });
    area.addEventListener('input', () => onInput('field', f.id));
    const status = h('span', { class: 'field-status', id: `status-${f.id}` });
    const error = h('p', { class: 'field-error', id: `err-${f.id}`, hidden: true });
    fieldsEl.append(h('div', { class: 'field' },
      h('label', { for: `field-${f.id}`, text: f.label }),
      area,
      h('p', { class: 'help', id: `help-${f.id}` }, f.help, ' · ', status),
      error));
    fields.set(f.id, { area, status, error });
  }
  const legend = paramsEl.querySelector('legend');
  fill(paramsEl, legend);
  for (const p of spec.params) {
    const make = p.type === 'number' ? numberControl : p.type === 'choice' ? choiceControl : flagControl;
    const control = make(p, () => onInput('param', p.id));
    const error = h('p', { class: 'param-error', id: `err-${p.id}`, hidden: true });
    const label = h('label', { for: `param-${p.id}` }, p.label, p.unit ? h('span', { class: 'unit', text: ` (${p.unit})` }) : null);
    paramsEl.append(h('div', { class: `param param-${p.type}`, 'data-param': p.id },
      label, control.elements, h('p', { class: 'help', id: `help-${p.id}`, text: p.help }), error));
    params.set(p.id, { control, error, spec: p });
  }
  paramsEl.hidden = spec.params.length === 0;

  return {
    /** Loads field texts and parameter values (missing parameters take their defaults). */
    set(fieldTexts, paramValues) {
      for (const [id, f] of fields) f.area.value = fieldTexts[id] ?? '';
      for (const [id, p] of params) p.control.set(paramValues[id] ?? p.spec.default);
    },
    fieldText: (id) => fields.get(id)?.area.value ?? '',
    fieldTexts: () => Object.fromEntries([...fields].map(([id, f]) => [id, f.area.value])),
    /** Parameter values as typed (numbers as text: the core reads and checks them). */
    paramValues: () => Object.fromEntries([...params].map(([id, p]) => [id, p.control.get()])),
    setStatus(id, text) {
      const f = fields.get(id);
      if (f) f.status.textContent = text;
    },
    /** Shows one message beside the field or parameter it concerns; null clears it. */
    showError(kind, id, message) {
      const target = kind === 'field' ? fields.get(id) : params.get(id);
      if (!target) return false;
      target.error.textContent = message || '';
      target.error.hidden = !message;
      const control = kind === 'field' ? target.area : target.control.focus;
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
      return true;
    },
    clearErrors(kind) {
      for (const id of (kind === 'field' ? fields : params).keys()) this.showError(kind, id, null);
    },
  };
}
