// End-to-end tests of the rate-of-change lessons: derivative, seasonal derivative, z-score
// of velocity, ratio of rates and frozen signal. Each opens its lesson, edits the data and
// a parameter as a reader would, and checks that the verdict, the named values, the step
// table, the per-row table and the plot follow.

export default async function (ctx) {
  const { lesson, test, assert, assertEqual, canvasPrint, typeInto, frames, nextFrame, text, noProblems } = ctx;

  const value = (page, id) => text(page, `.value[data-id="${id}"] dd`);
  // The verdict's level is its class: alert, clear or undefined.
  const level = async (page) => (await page.locator('#verdict').getAttribute('class')).split(' ')[1];
  const rows = (page) => page.locator('#tables table tbody tr').count();
  async function choose(page, param, option) {
    const before = await frames(page);
    await page.locator(`#param-${param}`).selectOption(option);
    await nextFrame(page, before);
  }
  async function snapshot(page) {
    return { verdict: await text(page, '#verdict'), steps: await text(page, '#steps'), plot: (await canvasPrint(page)).hash };
  }
  function changed(before, after, what) {
    assert(after.verdict !== before.verdict, `${what}: the verdict did not change (${after.verdict})`);
    assert(after.steps !== before.steps, `${what}: the steps did not change`);
    assert(after.plot !== before.plot, `${what}: the plot did not change`);
  }

  await test('derivative: the memory leak, then deriv(), then more data and another unit', async () => {
    const page = await lesson('derivative');
    assertEqual(await level(page), 'alert', 'the leak fires');
    assertEqual(await value(page, 'velocity_last'), '59 /min', 'the +59 jump');
    assertEqual(await value(page, 'velocity_prev'), '1 /min', 'the +1 change');
    assertEqual(await value(page, 'acceleration_last'), '58 /min²', 'the second difference');
    assertEqual(await value(page, 'deriv'), '0.5 /s', 'deriv per second');
    assertEqual(await value(page, 'idelta'), '59', 'idelta');
    assertEqual(await value(page, 'static_alert'), 'no', 'the 90% alert sleeps');
    // The guide's query: the least-squares slope, 30 per minute, below the limit of 50.
    let before = await snapshot(page);
    await choose(page, 'velocity', 'deriv');
    let after = await snapshot(page);
    changed(before, after, 'velocity → deriv');
    assertEqual(await level(page), 'clear', 'deriv stays below 50 /min');
    assertEqual(await value(page, 'velocity_last'), '30 /min', 'deriv in the chosen unit');
    assert(after.steps.includes('3600 / 7200'), 'the regression step shows covariance over variance');
    // Another sample: the static alert wakes up and the table grows.
    before = after;
    await typeInto(page, '#field-series', '20, 21, 80, 200');
    after = await snapshot(page);
    changed(before, after, 'a fourth sample');
    assertEqual(await level(page), 'alert', 'deriv 59.9 /min');
    assertEqual(await value(page, 'static_alert'), 'yes', 'static alert at 200');
    assertEqual(await rows(page), 4, 'one row per sample');
    // Per second: the same slope, a different unit, a different verdict.
    before = after;
    await choose(page, 'unit', 's');
    after = await snapshot(page);
    changed(before, after, 'unit → per second');
    assertEqual(await value(page, 'deriv'), await value(page, 'deriv_in_unit'), 'per second both');
    // One sample left: an explained verdict, not an error.
    await typeInto(page, '#field-series', 'NaN, 42, NaN');
    assertEqual(await level(page), 'undefined', 'one sample');
    assert(await page.locator('#err-series').isHidden(), 'no input error for a gap');
    noProblems(page);
    await page.close();
  });

  await test('derivative: the queue and the disk examples show the guide\'s errors', async () => {
    const page = await lesson('derivative', '#ex=queue-day');
    assertEqual(await value(page, 'deriv'), '0.833333 /s', '+50 over a minute');
    assertEqual(await value(page, 'fires'), 'no', 'does not clear > 50');
    await typeInto(page, '#param-step', '1');
    assertEqual(await value(page, 'deriv'), '50 /s', '+50 in one second');
    assertEqual(await value(page, 'fires'), 'no', '50 > 50 is false');
    await choose(page, 'compare', 'ge');
    assertEqual(await value(page, 'fires'), 'yes', '50 ≥ 50');
    const f = await frames(page);
    await page.locator('#examples button[data-example="disk-100-at-40"]').click();
    await nextFrame(page, f);
    assertEqual(await value(page, 'time_to_level'), '60 s', '60% of 100 GB at 1 GB/s');
    noProblems(page);
    await page.close();
  });

  await test('seasonal derivative: the 3:00 burst fires, the 9:00 ramp does not; a week offset has no history', async () => {
    const page = await lesson('seasonal-derivative');
    let before = await snapshot(page);
    assertEqual(await level(page), 'alert', 'the 3:00 burst');
    assert(before.verdict.includes('2 samples'), before.verdict);
    assertEqual(await value(page, 'naive_flagged'), '8', 'the plain rule');
    assertEqual(await value(page, 'evaluated'), '287', 'day 2 has a past');
    // The guide's one-week offset on two days: undefined, explained.
    await typeInto(page, '#param-season', '604800');
    let after = await snapshot(page);
    changed(before, after, 'season → one week');
    assertEqual(await level(page), 'undefined', 'no history one week back');
    assert(/history/i.test(after.verdict), after.verdict);
    // Back to a day, and a larger buffer: quiet.
    await typeInto(page, '#param-season', '86400');
    before = await snapshot(page);
    await typeInto(page, '#param-buffer', '1000');
    after = await snapshot(page);
    changed(before, after, 'buffer → 1000');
    assertEqual(await level(page), 'clear', 'within a buffer of 1000');
    // Edit the data: a short series with a burst a day later.
    const day = Array.from({ length: 12 }, (_, i) => 1000 + (i % 3));
    const next = day.map((x, i) => (i === 6 ? x + 900 : x));
    await typeInto(page, '#param-buffer', '500');
    // Two-hourly samples: the lag and the lookback must reach the previous sample.
    await typeInto(page, '#param-step', '7200');
    await typeInto(page, '#param-lag', '7200');
    await typeInto(page, '#param-lookback', '7200');
    before = await snapshot(page);
    await typeInto(page, '#field-series', [...day, ...next].join(', '));
    after = await snapshot(page);
    changed(before, after, 'new data');
    assertEqual(await rows(page), 24, 'one row per sample');
    assertEqual(await level(page), 'alert', 'the burst a day later');
    noProblems(page);
    await page.close();
  });

  await test('z-score of velocity: calm and chaotic, a stricter k, and a z-score', async () => {
    const page = await lesson('velocity-z-score');
    let before = await snapshot(page);
    assertEqual(await level(page), 'alert', 'the calm step');
    assertEqual(await value(page, 'velocity_max'), '0.5', 'the step');
    await typeInto(page, '#param-threshold', '7');
    let after = await snapshot(page);
    changed(before, after, 'k → 7');
    assertEqual(await level(page), 'clear', 'k = 7');
    // The steady leak: the guide's |v| > 3σ fires on ordinary minutes, a z-score does not.
    let f = await frames(page);
    await page.locator('#examples button[data-example="steady-leak"]').click();
    await nextFrame(page, f);
    assertEqual(await value(page, 'flagged'), '5', 'the guide form');
    before = await snapshot(page);
    await choose(page, 'center', 'mean');
    after = await snapshot(page);
    assertEqual(await value(page, 'flagged'), '1', 'the z-score form');
    assert(after.plot !== before.plot && after.steps !== before.steps, 'plot and steps follow');
    // New data: a flat series never moves, and says so.
    await typeInto(page, '#field-series', '3, 3, 3, 3, 3, 3');
    assertEqual(await level(page), 'undefined', 'a flat series');
    assert(/never moves/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    assertEqual(await rows(page), 6, 'one row per sample');
    noProblems(page);
    await page.close();
  });

  await test('ratio of rates: the database fires at 50×; a milder query does not; the latency check', async () => {
    const page = await lesson('ratio-of-rates');
    let before = await snapshot(page);
    assertEqual(await level(page), 'alert', 'the database');
    assertEqual(await value(page, 'jump'), '50 ×', 'the 50× jump');
    assert(/undefined/.test(await value(page, 'marginal')), 'ΔCPU/Δqueries is 0/0');
    const data = await page.locator('#field-rates').inputValue();
    await typeInto(page, '#field-rates', data.replace(/604860, 50, 100/, '604860, 1.5, 100').replace(/604920, 50, 100/, '604920, 1.5, 100'));
    let after = await snapshot(page);
    changed(before, after, 'CPU 1.5% instead of 50%');
    assertEqual(await level(page), 'clear', '1.5× is within 2×');
    assertEqual(await value(page, 'jump'), '1.5 ×', '1.5×');
    before = after;
    await typeInto(page, '#param-factor', '1.2');
    after = await snapshot(page);
    changed(before, after, 'factor → 1.2');
    assertEqual(await level(page), 'alert', '1.5× beyond 1.2×');
    // Zero workload is explained, not an error.
    await typeInto(page, '#field-rates', '0, 20, 500\n604800, 15, 0');
    assert((await text(page, '#notes')).includes('zero workload'), 'the zero-workload note');
    assert(await page.locator('#err-rates').isHidden(), 'no input error');
    // The latency check.
    const f = await frames(page);
    await page.locator('#examples button[data-example="latency"]').click();
    await nextFrame(page, f);
    assertEqual(await value(page, 'literal_fires'), 'no', 'the printed query never fires');
    assertEqual(await level(page), 'alert', 'the intended check fires');
    noProblems(page);
    await page.close();
  });

  await test('frozen signal: the zombie stretch, a longer minimum, and a series that never moves', async () => {
    const page = await lesson('frozen-signal');
    let before = await snapshot(page);
    assertEqual(await level(page), 'alert', 'the zombie');
    assert(before.verdict.includes('frozen for 16 min'), before.verdict);
    assertEqual(await value(page, 'longest_samples'), '17', '17 samples');
    await typeInto(page, '#param-min_duration', '1200');
    let after = await snapshot(page);
    changed(before, after, 'minimum → 20 min');
    assertEqual(await level(page), 'clear', 'shorter than 20 minutes');
    before = after;
    await typeInto(page, '#field-series', '5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5');
    after = await snapshot(page);
    changed(before, after, 'a constant series');
    assertEqual(await value(page, 'frozen_now'), 'yes', 'frozen at the end');
    assertEqual(await rows(page), 1, 'one stretch');
    noProblems(page);
    await page.close();
  });
}
