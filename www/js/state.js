// The lesson's state lives in the URL fragment, so a reload, a shared link or an
// embedded iframe reproduces the exact calculation:
//   #ex=guide&f.data=10%2C12%2C50&p.threshold=3
// `ex` is the worked example the state started from; `f.<field>` is a field's text;
// `p.<param>` a parameter's value as typed; `x.<key>` other page state (the PromQL
// twin's edited query and Prometheus version).

/** The largest fragment written; beyond it the link would not survive being shared. */
export const MAX_FRAGMENT = 1_500_000;

export function read() {
  const p = new URLSearchParams(location.hash.slice(1));
  const state = { example: p.get('ex'), fields: {}, params: {}, extra: {} };
  for (const [k, v] of p) {
    if (k.startsWith('f.')) state.fields[k.slice(2)] = v;
    else if (k.startsWith('p.')) state.params[k.slice(2)] = v;
    else if (k.startsWith('x.')) state.extra[k.slice(2)] = v;
  }
  return state;
}

export function hasState(state) {
  return Object.keys(state.fields).length > 0 || Object.keys(state.params).length > 0 || state.example !== null;
}

/** Writes the state to the fragment without adding a history entry. Returns false when
 *  the data is too large to keep in a link (the parameters are kept). */
export function write(state) {
  const build = (withFields) => {
    const p = new URLSearchParams();
    if (state.example) p.set('ex', state.example);
    if (withFields) for (const [k, v] of Object.entries(state.fields)) p.set(`f.${k}`, v);
    for (const [k, v] of Object.entries(state.params)) p.set(`p.${k}`, String(v));
    for (const [k, v] of Object.entries(state.extra || {})) if (v !== null && v !== undefined) p.set(`x.${k}`, String(v));
    return p.toString();
  };
  let fragment = build(true);
  let complete = true;
  if (fragment.length > MAX_FRAGMENT) {
    fragment = build(false);
    complete = false;
  }
  const url = `${location.pathname}${location.search}#${fragment}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
  return complete;
}
