// Renders an analysis summary: verdict, named values, notes, the step table and the
// per-row tables. Every number shown was formatted by the core; the full double is in
// each cell's title.

import { h, fill, patch, setText, setAttr } from './dom.js';

const LEVEL_WORD = { alert: 'Alert', clear: 'No alert', undefined: 'Undefined' };

export function renderVerdict(el, verdict) {
  setAttr(el, 'class', `verdict ${verdict.level}${el.classList.contains('stale') ? ' stale' : ''}`);
  if (el.children.length !== 3) {
    fill(el, h('span', { class: 'verdict-badge' }), h('span', { class: 'verdict-headline' }), h('span', { class: 'verdict-detail' }));
  }
  const [badge, headline, detail] = el.children;
  setText(badge, LEVEL_WORD[verdict.level] || verdict.level);
  setText(headline, verdict.headline);
  setText(detail, verdict.detail || '');
  detail.hidden = !verdict.detail;
}

export function renderValues(el, values) {
  const make = (v) => h('div', { class: 'value' }, h('dt'), h('dd', {}, h('span'), h('span', { class: 'unit' })));
  const update = (div, v) => {
    setAttr(div, 'data-id', v.id);
    const [dt, dd] = div.children;
    setText(dt, v.label);
    setAttr(dd, 'title', typeof v.value === 'number' ? String(v.value) : null);
    setText(dd.children[0], v.display);
    setText(dd.children[1], v.unit ? ` ${v.unit}` : '');
  };
  patch(el, values, (v) => {
    const div = make(v);
    update(div, v);
    return div;
  }, update);
}

export function renderNotes(el, notes) {
  patch(el, notes, (n) => h('li', { class: `note ${n.level}`, text: n.text }), (li, n) => {
    setAttr(li, 'class', `note ${n.level}`);
    setText(li, n.text);
  });
  el.hidden = notes.length === 0;
}

export function renderSteps(tbody, steps) {
  const update = (tr, s) => {
    setAttr(tr, 'class', s.decisive ? 'decisive' : null);
    setAttr(tr, 'data-step', s.id);
    const [label, formula, substitution, result] = tr.children;
    setText(label, s.label);
    setText(formula, s.formula);
    setText(substitution, s.substitution);
    setText(result, s.result);
    setAttr(result, 'title', s.exact || null);
  };
  patch(tbody, steps, (s) => {
    const tr = h('tr', {}, h('th', { scope: 'row' }), h('td', { class: 'formula' }), h('td', { class: 'substitution' }), h('td', { class: 'result' }));
    update(tr, s);
    return tr;
  }, update);
}

/** One table's rows as [{gap} | {cells, flag}], with "…" rows where rows were left out. */
function tableRows(t) {
  const rows = [];
  for (const r of t.rows) {
    if (r.gap_before) rows.push({ gap: true });
    rows.push(r);
  }
  return rows;
}

function makeRow(r, width) {
  const tr = r.gap ? h('tr', { class: 'gap' }, h('td', { colspan: width, text: '…' })) : h('tr', {}, r.cells.map(() => h('td')));
  updateRow(tr, r);
  return tr;
}

function updateRow(tr, r) {
  if (r.gap) return;
  setAttr(tr, 'class', r.flag ? 'flagged' : null);
  r.cells.forEach((c, i) => setText(tr.children[i], c));
}

export function renderTables(el, tables) {
  // Tables are rebuilt when their shape changes (count, columns, gaps); otherwise their
  // cells are updated in place.
  const shape = (t) => `${t.id}|${t.columns.join('|')}|${t.rows.map((r) => (r.gap_before ? 'g' : 'r')).join('')}`;
  const current = [...el.children].map((c) => c.dataset.shape);
  const same = current.length === tables.length && tables.every((t, i) => current[i] === shape(t));
  if (!same) {
    fill(el, tables.map((t) => h('div', { class: 'table-scroll', 'data-shape': shape(t) },
      h('table', { class: 'detail', 'data-table': t.id },
        h('caption', {}, h('span'), h('span', { class: 'shown' })),
        h('thead', {}, h('tr', {}, t.columns.map((c) => h('th', { scope: 'col', text: c })))),
        h('tbody', {}, tableRows(t).map((r) => makeRow(r, t.columns.length)))))));
  }
  tables.forEach((t, i) => {
    const table = el.children[i].firstElementChild;
    const [title, shown] = table.caption.children;
    setText(title, t.title);
    setText(shown, t.rows.length < t.total ? ` (showing ${t.rows.length} of ${t.total.toLocaleString('en')} rows: the first ones and the flagged ones)` : '');
    if (same) tableRows(t).forEach((r, j) => updateRow(table.tBodies[0].rows[j], r));
  });
}

/** The claims table of a worked example. */
export function renderClaims(tbody, claims, nodes) {
  fill(tbody, claims.map((c) => h('tr', { class: `claim ${c.status}`, 'data-value': c.value },
    h('th', { scope: 'row', text: c.label }),
    h('td', { class: 'guide', text: c.guide }),
    h('td', { class: 'exact', text: c.exact }),
    h('td', {}, h('span', { class: `status ${c.status}`, text: c.status_label })),
    h('td', { class: 'reason' }, nodes(c.reason)))));
}
