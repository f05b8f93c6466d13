// The PromQL twin of a lesson: the guide's query, evaluated by the engine as Prometheus
// would on the same data, beside the exact method's flags; an editable query with
// inline parse errors; and the alerting rule and its promtool test, to copy or
// download. Everything here comes from the lesson's [promql] table; no lesson has
// code of its own.

import { h, fill, nodes, setText, patch, setAttr } from './dom.js';
import * as engine from './engine.js';
import { isDark } from './theme.js';

const $ = (id) => document.getElementById(id);

/** Builds the twin section for `lesson` (if it has one); returns null otherwise. */
export function createTwin(lesson, method, onChange) {
  const section = $('promql');
  if (!section) return null;
  if (!lesson.promql) {
    section.hidden = true;
    return null;
  }
  section.hidden = false;
  const spec = lesson.promql.spec;
  const query = $('promql-query');
  const version = $('promql-version');
  const error = $('promql-error');
  const status = $('promql-status');
  const settingsBox = $('promql-settings');
  // The lesson's query for the current parameters and Prometheus version (a variant's,
  // or with Prometheus 2's function names), as the engine last reported it: the text
  // box shows it until the reader edits the query.
  let template = spec.query.trim();
  let guide = spec.guide.trim();
  let variant = null;
  // The reader's choices of the series mapping (a histogram's bucket boundaries), by key.
  const settings = {};
  fill($('promql-guide'), guide);
  fill($('promql-correction'), nodes(lesson.promql.correction));
  query.value = template;
  let last = null; // {input, params}
  let current = null; // Twin handle
  let summary = null;
  let scheduled = false;
  let canvasSize = null;
  const stats = { runs: 0, good: 0, last: null };
  window.alertmath = Object.assign(window.alertmath || {}, { twin: stats });

  const edited = () => query.value.trim() !== template;

  // A twin whose last run took longer than this waits until the edits pause for
  // SLOW_PAUSE_MS: dragging a slider over a long series then redraws the exact method
  // every frame instead of every frame plus the query's evaluation over every sample.
  const SLOW_MS = 12;
  const SLOW_PAUSE_MS = 120;
  let pause = null;

  function schedule() {
    if (stats.last !== null && stats.last > SLOW_MS) {
      clearTimeout(pause);
      section.classList.add('stale');
      pause = setTimeout(() => { pause = null; inFrame(); }, SLOW_PAUSE_MS);
      return;
    }
    inFrame();
  }

  function inFrame() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      try {
        run();
      } catch (e) {
        // A crashed or reloading engine: the lesson's frame reports it and calls update
        // again once a fresh instance is ready.
        if (e.name !== 'EngineCrash') throw e;
        current = null;
        return;
      }
      onChange();
    });
  }

  query.addEventListener('input', schedule);
  version.addEventListener('change', schedule);
  $('promql-reset').addEventListener('click', () => { query.value = template; schedule(); });
  $('promql-use-guide').addEventListener('click', () => { query.value = guide; schedule(); });

  function showError(e) {
    error.hidden = false;
    const text = query.value;
    let snippet = '';
    if (typeof e.start === 'number') {
      // The line of the query the error is on, with a caret under it.
      const lineStart = text.lastIndexOf('\n', Math.max(0, e.start - 1)) + 1;
      const lineEnd = text.indexOf('\n', e.start) === -1 ? text.length : text.indexOf('\n', e.start);
      const line = text.slice(lineStart, lineEnd);
      const from = e.start - lineStart;
      const width = Math.max(1, Math.min(e.end, lineEnd) - e.start);
      snippet = `${line}\n${' '.repeat(from)}${'^'.repeat(width)}`;
    }
    fill(error, h('span', { class: 'promql-error-message', text: e.message }), snippet ? h('pre', { class: 'promql-caret', text: snippet }) : null);
    query.setAttribute('aria-invalid', 'true');
    section.classList.add('stale');
  }

  function run() {
    if (!last) return;
    const t0 = performance.now();
    stats.runs += 1;
    const own = edited();
    const sent = Object.keys(settings).length ? { ...spec, series: { ...spec.series, ...settings } } : spec;
    let twin;
    try {
      twin = engine.promqlTwin(lesson.id, method, sent, last.input, last.params, own ? query.value : null, version.value);
    } catch (e) {
      if (e.name === 'EngineCrash') throw e;
      showError(e);
      return;
    }
    error.hidden = true;
    query.removeAttribute('aria-invalid');
    section.classList.remove('stale');
    if (current) current.free();
    current = twin;
    summary = twin.summary();
    follow(summary, own);
    render(summary);
    draw();
    stats.good += 1;
    stats.last = performance.now() - t0;
  }

  /** Shows the guide's query, the correction and (unless the reader has edited it) the
   *  lesson's query of the variant in force: a parameter may switch the technique. */
  function follow(s, own) {
    if (s.guide !== guide) {
      guide = s.guide;
      fill($('promql-guide'), guide);
    }
    const v = s.variant ?? null;
    if (v !== variant) {
      variant = v;
      const text = variant === null ? null : (lesson.promql.variant_corrections || [])[variant];
      fill($('promql-correction'), nodes(text || lesson.promql.correction));
    }
    if (s.template !== template) {
      template = s.template;
      if (!own) query.value = template;
    }
    renderSettings(s.settings || []);
  }

  function renderSettings(list) {
    if (!settingsBox) return;
    settingsBox.hidden = list.length === 0;
    patch(settingsBox, list, (st) => {
      const id = `promql-setting-${st.key}`;
      const input = h('input', { type: 'text', id, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': `${id}-help` });
      input.addEventListener('input', () => {
        settings[st.key] = input.value;
        schedule();
      });
      const div = h('div', { class: 'promql-setting', 'data-key': st.key },
        h('label', { for: id, text: st.label }), input, h('p', { class: 'hint', id: `${id}-help`, text: st.help }));
      updateSetting(div, st);
      return div;
    }, updateSetting);
    function updateSetting(div, st) {
      const input = div.querySelector('input');
      setAttr(input, 'placeholder', st.placeholder);
      // The engine echoes what it used; the box keeps what the reader is typing.
      const want = st.key in settings ? settings[st.key] : st.value;
      if (document.activeElement !== input && input.value !== want) input.value = want;
    }
  }

  function render(s) {
    patch($('promql-mapping'), s.mapping, (m) => h('li', { text: m }), (li, m) => setText(li, m));
    const c = s.counts;
    const counts = [
      ['agree', 'agree', `${c.agree} of ${s.evaluations.length}`],
      ['both', 'both flag', String(c.both)],
      ['exact-only', 'exact method only', String(c.exact_only)],
      ['promql-only', 'PromQL only', String(c.promql_only)],
    ];
    patch($('promql-counts'), counts, ([id, label, value]) => h('div', { class: `count ${id}`, 'data-count': id }, h('dt', { text: label }), h('dd', { text: value })),
      (div, [, label, value]) => { setText(div.children[0], label); setText(div.children[1], value); });
    setText(status, c.exact_only + c.promql_only === 0
      ? `The query and the exact method agree at all ${s.evaluations.length} evaluations.`
      : `They disagree at ${c.exact_only + c.promql_only} of ${s.evaluations.length} evaluations.`);
    setText($('promql-evaluated'), s.query);
    patch($('promql-notes'), s.notes, (n) => h('li', { class: 'note info', text: n }), (li, n) => setText(li, n));
    // The evaluations, disagreements first, at most 60 rows.
    const rows = [...s.evaluations.filter((e) => e.exact !== e.promql), ...s.evaluations.filter((e) => e.exact === e.promql)].slice(0, 60);
    const fmt = (x) => (x === null || x === undefined ? '—' : Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x));
    patch($('promql-table').tBodies[0], rows, (e) => {
      const tr = h('tr', {}, h('th', { scope: 'row' }), h('td'), h('td'), h('td'), h('td'));
      update(tr, e);
      return tr;
    }, update);
    function update(tr, e) {
      setAttr(tr, 'class', e.exact !== e.promql ? 'disagree' : null);
      const [label, value, side, exact, promql] = tr.children;
      setText(label, e.label);
      setText(value, fmt(e.y));
      setText(side, e.lhs === null || e.lhs === undefined ? fmt(e.value) : `${fmt(e.lhs)} vs ${fmt(e.rhs)}`);
      setText(exact, e.exact ? 'flag' : '');
      setText(promql, e.promql ? 'fires' : '');
    }
    setText($('promql-rule'), s.rule_yaml);
    setText($('promql-test'), s.test_yaml);
  }

  function draw() {
    if (!current) return;
    const canvas = $('promql-plot');
    const dpr = window.devicePixelRatio || 1;
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
    engine.drawTwin(canvas, current, { scale: dpr, dark: isDark() });
    canvas.setAttribute('aria-label', `The data with the exact method's flags and the PromQL query's: ${status.textContent}`);
  }

  new ResizeObserver((entries) => {
    const box = entries[entries.length - 1].contentRect;
    canvasSize = { width: box.width, height: box.height };
    try { draw(); } catch { /* a crash is reported by the next frame */ }
  }).observe($('promql-plot'));
  window.addEventListener('alertmath:theme', () => { try { draw(); } catch { /* as above */ } });

  async function copy(text, done) {
    try {
      await navigator.clipboard.writeText(text);
      setText($('promql-copied'), done);
    } catch {
      setText($('promql-copied'), 'Copying is blocked here; select the text and copy it.');
    }
  }

  function download(text, name) {
    // A Blob URL: the file is made in the page, nothing is fetched.
    const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setText($('promql-copied'), `Downloaded ${name}.`);
  }

  $('promql-copy-rule').addEventListener('click', () => summary && copy(summary.rule_yaml, 'Rule copied.'));
  $('promql-copy-test').addEventListener('click', () => summary && copy(summary.test_yaml, 'Test copied.'));
  $('promql-download-rule').addEventListener('click', () => summary && download(summary.rule_yaml, summary.rule_file));
  $('promql-download-test').addEventListener('click', () => summary && download(summary.test_yaml, summary.test_file));

  return {
    /** Re-evaluates with the analysis's input and parameters (called on every good
     *  frame). The twin runs in the next animation frame, so the method's own result is
     *  painted first even when a long series makes the query slow. */
    update(input, params) {
      last = { input, params };
      schedule();
    },
    redraw: draw,
    /** The twin's state for the URL (null when it is the lesson's default). */
    state() {
      const out = {
        promql: edited() ? query.value : null,
        prom: version.value !== '3' ? version.value : null,
      };
      for (const [k, v] of Object.entries(settings)) out[`series.${k}`] = v;
      return out;
    },
    restore(extra) {
      query.value = extra && extra.promql ? extra.promql : template;
      version.value = extra && extra.prom === '2' ? '2' : '3';
      for (const k of Object.keys(settings)) delete settings[k];
      for (const [k, v] of Object.entries(extra || {})) {
        if (k.startsWith('series.')) settings[k.slice(7)] = v;
      }
      if (settingsBox) {
        for (const input of settingsBox.querySelectorAll('input')) {
          const key = input.closest('[data-key]').dataset.key;
          input.value = key in settings ? settings[key] : '';
        }
      }
    },
    dropHandle() {
      current = null;
    },
  };
}
