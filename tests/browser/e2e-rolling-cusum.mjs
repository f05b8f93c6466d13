// End-to-end tests of the rolling-percentile and CUSUM lessons: each opens with the
// guide's numbers, and editing the data or a parameter changes the verdict, the values,
// the step table, the per-point table and the plot within a frame.

import path from 'node:path';

export default async function (ctx) {
  const { lesson, test, assert, assertEqual, canvasPrint, typeInto, frames, nextFrame, text, noProblems, ARTIFACTS } = ctx;
  const value = (page, id) => text(page, `.value[data-id="${id}"] dd`);

  async function choose(page, id, option) {
    const before = await frames(page);
    await page.locator(`#param-${id}`).selectOption(option);
    await nextFrame(page, before);
  }

  async function example(page, id) {
    const before = await frames(page);
    await page.locator(`#examples button[data-example="${id}"]`).click();
    await nextFrame(page, before);
  }

  await test('rolling-percentile: the guide\'s window, then edits to the data and every convention', async () => {
    const page = await lesson('rolling-percentile');
    assertEqual(await value(page, 'percentile'), '104.88', 'P99 by type 7');
    assert((await text(page, '#verdict')).includes('ALERT'), await text(page, '#verdict'));
    assert((await text(page, '#steps')).includes('102 + 0.96·(105 − 102)'), 'the interpolation step');
    assertEqual(await page.locator('#tables table tbody tr').count(), 6, 'one row per sample');
    const first = { verdict: await text(page, '#verdict'), plot: await canvasPrint(page), steps: await text(page, '#steps') };

    // The data: 104 instead of 110 is below the threshold.
    await typeInto(page, '#field-series', '100, 102, 98, 105, 101, 104');
    assert((await text(page, '#verdict')).includes('No point above'), await text(page, '#verdict'));
    assert((await canvasPrint(page)).hash !== first.plot.hash, 'the plot changed');
    assert((await text(page, '#steps')) !== first.steps, 'the steps changed');
    assertEqual(await value(page, 'alert'), 'no', 'the newest point does not alert');

    // Back to 110; nearest rank gives the guide's 105.
    await typeInto(page, '#field-series', '100, 102, 98, 105, 101, 110');
    await choose(page, 'quantile', '1');
    assertEqual(await value(page, 'percentile'), '105', 'nearest rank');
    await choose(page, 'quantile', '7');

    // PromQL: the point inside its own window, then × 1.2: nothing can alert.
    await choose(page, 'current', 'include');
    assertEqual(await value(page, 'percentile'), '109.75', 'P99 with 110 in its own window');
    await typeInto(page, '#param-sensitivity', '1.2');
    assertEqual(await value(page, 'threshold'), '131.7', '1.2 × 109.75');
    assert((await value(page, 'alert_level')).includes('no value can alert'), await value(page, 'alert_level'));
    assert((await text(page, '#notes')).includes('No value of the newest point can alert'), 'the ceiling note');
    const promql = await canvasPrint(page);
    assert(promql.hash !== first.plot.hash, 'the band of the multiplier is drawn');

    // A window longer than the data is explained, not an error.
    await typeInto(page, '#param-window', '50');
    assert((await text(page, '#verdict')).includes('No point has a full window'), await text(page, '#verdict'));
    assert(await page.locator('#err-window').isHidden(), 'no error for a long window');
    const before = await frames(page);
    await page.locator('#param-partial').check();
    await nextFrame(page, before);
    assert(!(await text(page, '#verdict')).includes('No point has a full window'), 'partial windows score the points');

    // A duration window on timestamped rows: [2m] before 110 holds two samples (Prometheus 3).
    await typeInto(page, '#field-series', '0, 100\n60, 102\n120, 98\n180, 105\n240, 101\n300, 110');
    await choose(page, 'window_by', 'time');
    await typeInto(page, '#param-range', '120');
    await choose(page, 'current', 'exclude');
    assertEqual(await value(page, 'window_size'), '1', '(180, 300) holds one earlier sample');
    await choose(page, 'range_edge', 'closed');
    assertEqual(await value(page, 'window_size'), '2', '[180, 300) holds two');
    noProblems(page);
    await page.close();
  });

  await test('rolling-percentile: one hour of one-minute samples in PromQL semantics', async () => {
    const page = await lesson('rolling-percentile');
    await example(page, 'hour');
    assertEqual(await value(page, 'window_size'), '60', 'Prometheus 3 keeps 60 one-minute samples in [1h]');
    assert((await text(page, '#verdict')).includes('No point above'), await text(page, '#verdict'));
    assertEqual(await value(page, 'alert_level'), '144.945', 'the least value that alerts');
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'rolling-percentile-hour.png'), fullPage: true });
    await example(page, 'drift-110');
    assertEqual(await value(page, 'alert'), 'no', '110 after the drift');
    await page.screenshot({ path: path.join(ARTIFACTS, 'rolling-percentile-drift.png'), fullPage: true });
    noProblems(page);
    await page.close();
  });

  await test('cusum: the guide\'s table, the alarm convention, the sides and the reset', async () => {
    const page = await lesson('cusum');
    assert((await text(page, '#verdict')).includes('ALARM at t = 5'), await text(page, '#verdict'));
    const rows = page.locator('#tables table tbody tr');
    assertEqual(await rows.count(), 6, 'one row per sample');
    assert((await rows.nth(5).textContent()).includes('ALARM'), 'the alarm row');
    assertEqual(await value(page, 'linear_growth'), 'yes', 'linear growth');
    const first = await canvasPrint(page);

    // Page's strict comparison: no alarm in six points; a seventh 101 alarms at t = 6.
    await choose(page, 'compare', 'gt');
    assert((await text(page, '#verdict')).includes('No alarm'), await text(page, '#verdict'));
    const field = page.locator('#field-series');
    await field.click();
    await page.keyboard.press('End');
    const f = await frames(page);
    await page.keyboard.type(', 101');
    await nextFrame(page, f);
    // Typing goes through “, 10” (seven values, no alarm) before “, 101”.
    await page.waitForFunction(() => document.getElementById('field-series').value.endsWith(', 101')
      && document.querySelectorAll('#tables table tbody tr').length === 7
      && document.getElementById('verdict').textContent.includes('ALARM at t = 6'), null, { timeout: 5000 });
    assert((await canvasPrint(page)).hash !== first.hash, 'the plot changed');

    // The recommended slack in σ units: the alarm comes later.
    await choose(page, 'compare', 'ge');
    await choose(page, 'units', 'sigma');
    await typeInto(page, '#param-slack', '0.5');
    assert((await text(page, '#verdict')).includes('No alarm'), `C = 0.5: ${await text(page, '#verdict')}`);
    assertEqual(await value(page, 'arl0_siegmund'), '938.222 points', 'Siegmund, one side, k = 0.5, h = 5');
    assertEqual(await value(page, 'arl0'), '930.887 points', 'ARL of normal data, one side');

    // Two sides: the table gains the lower sum.
    await choose(page, 'side', 'both');
    assertEqual(await page.locator('#tables table thead th').count(), 7, 't, x, two increments, two sums, alarm');
    assertEqual(await value(page, 'arl0'), '465.444 points', 'two-sided ARL');

    // A zero-variance baseline in σ units is explained.
    await choose(page, 'target', 'baseline');
    await choose(page, 'sigma_from', 'baseline-sd');
    await typeInto(page, '#param-baseline', '3');
    await typeInto(page, '#field-series', '5, 5, 5, 5, 6, 7');
    assert((await text(page, '#verdict')).includes('σ is 0'), await text(page, '#verdict'));
    noProblems(page);
    await page.close();
  });

  await test('cusum: a 1σ shift with reset, and the textbook example', async () => {
    const page = await lesson('cusum');
    await example(page, 'shift');
    assert((await text(page, '#verdict')).includes('ALARM at t = 38'), await text(page, '#verdict'));
    assertEqual(await value(page, 'change_start'), '33', 'the climb began');
    assert((await page.locator('#tables table tbody').textContent()).includes('ALARM (reset)'), 'reset rows');
    await page.screenshot({ path: path.join(ARTIFACTS, 'cusum-shift.png'), fullPage: true });
    await example(page, 'textbook');
    assert((await text(page, '#verdict')).includes('No alarm'), await text(page, '#verdict'));
    const cells = await page.locator('#tables table tbody tr').nth(1).locator('td').allTextContents();
    assertEqual(cells, ['1', '94.8', '-5.2', '0', '3.2', '3.2', ''], 'Table 16-8, second row');
    noProblems(page);
    await page.close();
  });

  await test('the PromQL twins of both lessons follow the conventions', async () => {
    const evaluated = (page) => text(page, '#promql-evaluated');
    const count = (page, id) => text(page, `#promql-counts [data-count="${id}"] dd`);
    let page = await lesson('rolling-percentile');
    await page.waitForFunction(() => window.alertmath.twin && window.alertmath.twin.good > 0);
    assert((await evaluated(page)).includes('metric[5m] offset 1m'), await evaluated(page));
    await choose(page, 'current', 'include');
    await page.waitForFunction(() => document.getElementById('promql-evaluated').textContent.includes('metric[6m])'));
    assertEqual(await count(page, 'exact-only'), '0', 'exact-only with the point in its window');
    assertEqual(await count(page, 'promql-only'), '0', 'PromQL-only with the point in its window');
    noProblems(page);
    await page.close();
    page = await lesson('cusum');
    await page.waitForFunction(() => window.alertmath.twin && window.alertmath.twin.good > 0);
    await example(page, 'shift');
    await page.waitForFunction(() => /\)\s*or\s*\(/.test(document.getElementById('promql-evaluated').textContent));
    // The lesson resets after its alarm at t = 38; PromQL cannot, and keeps firing.
    assertEqual(await count(page, 'promql-only'), '10', 'PromQL-only after the reset');
    await choose(page, 'side', 'upper');
    await page.waitForFunction(() => !/\bor\b/.test(document.getElementById('promql-evaluated').textContent));
    noProblems(page);
    await page.close();
  });
}
