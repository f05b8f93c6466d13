// End-to-end tests of the PromQL twins of the rate-of-change lessons and ARIMA: for each,
// the lesson's parameters switch or reshape the evaluated query (a variant, a duration,
// a multiplier), and the counts of the comparison follow; editing the data moves them.

import path from 'node:path';

export default async function (ctx) {
  const { lesson, test, assert, assertEqual, typeInto, text, noProblems, ARTIFACTS } = ctx;

  const count = (page, id) => page.locator(`#promql-counts [data-count="${id}"] dd`).innerText();
  const evaluated = (page) => text(page, '#promql-evaluated');
  const runs = (page) => page.evaluate(() => window.alertmath.twin.runs);
  async function ready(page) {
    await page.waitForFunction(() => window.alertmath.twin && window.alertmath.twin.good > 0);
  }
  // A change of a parameter or of the data, then the twin's next run.
  async function after(page, change) {
    const before = await runs(page);
    await change();
    await page.waitForFunction((n) => window.alertmath.twin.runs > n, before, { timeout: 5000 });
  }
  const choose = (page, param, option) => after(page, () => page.locator(`#param-${param}`).selectOption(option));
  const type = (page, selector, value) => after(page, () => typeInto(page, selector, value));
  async function shot(page, id) {
    await page.locator('#promql').screenshot({ path: path.join(ARTIFACTS, `${id}-promql-twin.png`) });
  }

  await test('derivative twin: idelta for the difference quotient, deriv for the guide, both per unit', async () => {
    const page = await lesson('derivative');
    await ready(page);
    assert((await evaluated(page)).includes('idelta(metric[5m])'), await evaluated(page));
    assertEqual(await count(page, 'both'), '1', 'the jump of 59 fires in both');
    await choose(page, 'velocity', 'deriv');
    const q = await evaluated(page);
    assert(q.includes('deriv(metric[5m])') && q.includes('* 60'), q);
    assertEqual(await count(page, 'both'), '0', 'deriv: 30 per minute, below 50');
    await choose(page, 'rule', 'either');
    assert(/\bor\b/.test(await evaluated(page)), 'either rule joins two queries');
    await type(page, '#field-series', '20, 21, 80, 200');
    assertEqual(await count(page, 'exact-only'), '0', 'no exact-only flags with regular samples');
    await shot(page, 'derivative');
    noProblems(page);
    await page.close();
  });

  await test('seasonal derivative twin: offsets follow the season and the lag; direction switches to abs()', async () => {
    const page = await lesson('seasonal-derivative');
    await ready(page);
    assert((await evaluated(page)).includes('offset 1d5m'), await evaluated(page));
    assertEqual(await count(page, 'both'), '2', 'the 3:00 burst');
    await choose(page, 'direction', 'both');
    assert((await evaluated(page)).startsWith('abs('), await evaluated(page));
    assertEqual(await count(page, 'both'), '3', 'the end of the burst too');
    await type(page, '#param-season', '604800');
    assert((await evaluated(page)).includes('offset 1w5m'), await evaluated(page));
    assertEqual(await count(page, 'both'), '0', 'no history a week back');
    await shot(page, 'seasonal-derivative');
    noProblems(page);
    await page.close();
  });

  await test('velocity z-score twin: no minimum count in PromQL; the z-score variant subtracts the mean', async () => {
    const page = await lesson('velocity-z-score');
    await ready(page);
    assertEqual(await count(page, 'promql-only'), '2', 'startup alerts at minutes 1 and 2');
    await type(page, '#param-min_count', '1');
    assertEqual(await count(page, 'promql-only'), '0', 'with no minimum the two agree');
    await choose(page, 'center', 'mean');
    assert((await evaluated(page)).includes('avg_over_time('), await evaluated(page));
    await choose(page, 'sd', 'sample');
    assert((await evaluated(page)).includes('count_over_time('), 'the sample SD rescales by n/(n − 1)');
    await shot(page, 'velocity-z-score');
    noProblems(page);
    await page.close();
  });

  await test('ratio of rates twin: the cost ratio against last week, and the latency check as a variant', async () => {
    const page = await lesson('ratio-of-rates');
    await ready(page);
    assert((await evaluated(page)).includes('offset 1w'), await evaluated(page));
    assertEqual(await count(page, 'both'), '2', 'both samples at 50% CPU');
    await type(page, '#param-factor', '60');
    assertEqual(await count(page, 'both'), '0', '0.5 is not above 60 × 0.01');
    await choose(page, 'check', 'latency');
    assert((await evaluated(page)).includes('deriv(latency[5m])'), await evaluated(page));
    await shot(page, 'ratio-of-rates');
    noProblems(page);
    await page.close();
  });

  await test('frozen signal twin: the minimum duration becomes max_over_time over a subquery', async () => {
    const page = await lesson('frozen-signal');
    await ready(page);
    assert((await evaluated(page)).includes('[300s:]'), await evaluated(page));
    assertEqual(await count(page, 'exact-only'), '5', 'the first five minutes of the stretch');
    await type(page, '#param-min_duration', '0');
    assert(!(await evaluated(page)).includes('max_over_time'), await evaluated(page));
    await choose(page, 'estimator', 'deriv');
    assert((await evaluated(page)).includes('deriv(rate(metric[1m30s])[5m:])'), await evaluated(page));
    await shot(page, 'frozen-signal');
    noProblems(page);
    await page.close();
  });

  await test('ARIMA twin: predict_linear through the window; a third day moves the comparison', async () => {
    const page = await lesson('arima');
    await ready(page);
    assert((await evaluated(page)).includes('predict_linear(memory[12d:1d], 0)'), await evaluated(page));
    assert(/2 of 2/.test(await count(page, 'agree')), await count(page, 'agree'));
    await type(page, '#field-series', '40, 42, 50');
    assert(/3 of 3/.test(await count(page, 'agree')), await count(page, 'agree'));
    await shot(page, 'arima');
    noProblems(page);
    await page.close();
  });
}
