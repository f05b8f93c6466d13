// Small DOM helpers. Everything reaches the page as elements and text nodes; no HTML
// is ever parsed from a string, so neither lesson text nor the reader's data can inject
// markup.

const MATHML = 'http://www.w3.org/1998/Math/MathML';

// The tags and attributes lesson prose may use (the same lists as the lesson builder).
const HTML_TAGS = new Set(['p', 'h2', 'h3', 'ul', 'ol', 'li', 'em', 'strong', 'code', 'pre', 'a', 'blockquote', 'aside', 'span', 'br', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'div']);
const MATH_TAGS = new Set(['math', 'mrow', 'mi', 'mn', 'mo', 'mtext', 'mspace', 'mfrac', 'msqrt', 'mroot', 'msub', 'msup', 'msubsup', 'munder', 'mover', 'munderover', 'mtable', 'mtr', 'mtd', 'mstyle', 'mpadded', 'mphantom', 'semantics', 'annotation']);
const ATTRIBUTES = new Set(['class', 'href', 'title', 'display', 'mathvariant', 'stretchy', 'fence', 'separator', 'lspace', 'rspace', 'accent', 'accentunder', 'movablelimits', 'linethickness', 'columnalign', 'width', 'encoding', 'form', 'largeop', 'scriptlevel', 'displaystyle', 'role', 'aria-label']);

/** Creates an element: h('p', {class: 'x'}, 'text', child, …). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * Makes `parent`'s children match `items`, reusing existing children when their count
 * matches: `make(item)` builds a child, `update(child, item)` refreshes one in place.
 * Updating in place (and only where text differs, see setText) keeps the browser's
 * style and layout work proportional to what changed.
 */
export function patch(parent, items, make, update) {
  if (parent.children.length !== items.length) {
    parent.replaceChildren(...items.map(make));
    return;
  }
  items.forEach((item, i) => update(parent.children[i], item));
}

/** Sets an element's text only if it differs. */
export function setText(el, text) {
  const t = text ?? '';
  if (el.textContent !== t) el.textContent = t;
}

/** Sets or removes an attribute only if it differs. */
export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) {
    el.setAttribute(name, String(value));
  }
}

function safeHref(href) {
  return /^(https?:\/\/|#|lesson\.html|\.\/)/.test(href) ? href : null;
}

/**
 * Builds DOM nodes from a lesson node tree: a string is text; an object is
 * {t: tag, a: {attr: value}, c: [children]}. Unknown tags become plain text
 * containers; unknown attributes are dropped.
 */
export function nodes(tree) {
  const out = [];
  for (const n of tree || []) out.push(node(n, false));
  return out;
}

function node(n, inMath) {
  if (typeof n === 'string') return document.createTextNode(n);
  const tag = n.t;
  const math = inMath || tag === 'math';
  let el;
  if (math && MATH_TAGS.has(tag)) el = document.createElementNS(MATHML, tag);
  else if (!math && HTML_TAGS.has(tag)) el = document.createElement(tag);
  else el = document.createElement('span');
  for (const [k, v] of Object.entries(n.a || {})) {
    if (!ATTRIBUTES.has(k)) continue;
    if (k === 'href') {
      const safe = safeHref(v);
      if (safe) el.setAttribute('href', safe);
      if (/^https?:/.test(v)) el.setAttribute('rel', 'noopener');
      continue;
    }
    el.setAttribute(k, v);
  }
  for (const c of n.c || []) el.append(node(c, math));
  return el;
}
