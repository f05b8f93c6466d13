// One-off: time the fitted modes (not on the benchmark's parameter-edit path) in Chromium.
import { serve, launch, openPage } from './harness.mjs';
const server = await serve(); const browser = await launch();
const page = await openPage(browser, `${server.url}lesson.html?lesson=garch`);
await page.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0);
const out = await page.evaluate(async () => {
  const e = window.alertmath.engine;
  function garchData(n) { let x = 7; let s2 = 1; const v = new Float64Array(n); for (let i=0;i<n;i++){ x=(x*48271)%2147483647; const u1=(x+1)/2147483648; x=(x*48271)%2147483647; const u2=x/2147483647; const z=Math.sqrt(-2*Math.log(u1))*Math.cos(2*Math.PI*u2); const eps=Math.sqrt(s2)*z; v[i]=eps; s2=0.1+0.1*eps*eps+0.85*s2;} return v; }
  function arData(n) { let x = 11; const v = new Float64Array(n); let prev = 0, eprev = 0; for (let i=0;i<n;i++){ x=(x*48271)%2147483647; const u=(x/2147483647-0.5)*3.4; const y = 5 + 0.6*prev + 0.3*eprev + u; v[i]=y; prev=y; eprev=u; } return v; }
  const cases = [
    ['garch', {timing:'standard', start:'backcast', estimate:'mle'}, garchData],
    ['garch', {timing:'standard', start:'backcast', estimate:'mle', mean:'constant'}, garchData],
    ['arima', {estimate:'css', residuals:'zero'}, arData],
    ['arima', {estimate:'css', d:1, p:2, residuals:'zero'}, arData],
    ['arima', {estimate:'yule-walker', p:3, q:0, residuals:'zero'}, arData],
    ['arima', {residuals:'exact'}, arData],
  ];
  const rows = [];
  for (const n of [10000, 100000]) for (const [m, p, gen] of cases) {
    const series = gen(n);
    const times = [];
    let info = '';
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      const a = e.analyze(m, { series }, p);
      times.push(performance.now() - t0);
      const s = a.summary();
      const it = s.values.find((v) => v.id === 'iterations');
      info = `${it ? 'iterations ' + it.display : ''} ${s.verdict.level}`;
      a.free();
    }
    times.sort((a, b) => a - b);
    rows.push(`${n} ${m} ${JSON.stringify(p)}: median ${times[2].toFixed(1)} ms (min ${times[0].toFixed(1)}) ${info}`);
  }
  return rows;
});
console.log(out.join('\n'));
await browser.close(); await server.close();
