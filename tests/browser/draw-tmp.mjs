import { serve, launch, openPage } from './harness.mjs';
const server = await serve(); const browser = await launch();
const page = await openPage(browser, `${server.url}lesson.html?lesson=garch`);
await page.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0);
const out = await page.evaluate(async () => {
  const e = window.alertmath.engine;
  const n = 100000; let x = 12345; const v = new Float64Array(n);
  for (let i = 0; i < n; i++) { x = (x * 48271) % 2147483647; v[i] = 100 + (x % 2000) / 100; } v[77000] = 400;
  const canvas = document.createElement('canvas'); canvas.width = 1600; canvas.height = 900; document.body.append(canvas);
  const rows = [];
  for (const [m, p] of [['z-score', {}], ['holt-winters', {init:'heuristic'}], ['holt-winters', {init:'heuristic', seasonal:'none'}], ['double-exponential-smoothing', {}], ['arima', {residuals:'first'}], ['garch', {}]]) {
    const input = m === 'z-score' ? { data: v } : { series: v };
    const a = e.analyze(m, input, p);
    const times = []; let stats;
    for (let r = 0; r < 9; r++) { const t0 = performance.now(); stats = e.draw(canvas, a, { scale: 1, dark: false }); times.push(performance.now() - t0); }
    times.sort((a, b) => a - b);
    const at = []; for (let r = 0; r < 5; r++) { const t0 = performance.now(); e.analyze(m, input, p).free(); at.push(performance.now() - t0); } at.sort((a,b)=>a-b);
    rows.push(`${m} ${JSON.stringify(p)}: analyze ${at[2].toFixed(1)} ms, draw ${times[4].toFixed(1)} ms (min ${times[0].toFixed(1)}) ${JSON.stringify(stats)}`);
    a.free();
  }
  return rows;
});
console.log(out.join('\n'));
await browser.close(); await server.close();
