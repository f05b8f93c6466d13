// End-to-end tests of the forecasting-model lessons: Holt-Winters, Prometheus's
// double_exponential_smoothing, ARIMA and GARCH. Each opens its lesson, edits the data
// and a parameter as a reader would, and checks that the numbers, the verdict, the step
// table and the plot change together; screenshots of the richer examples land in
// tests/browser/artifacts/.

import path from 'node:path';

export default async function (ctx) {
  const { lesson, test, assert, assertEqual, canvasPrint, typeInto, frames, nextFrame, text, noProblems, ARTIFACTS } = ctx;

  const value = (page, id) => text(page, `.value[data-id="${id}"] dd`);
  const waitValue = (page, id, want) =>
    page.waitForFunction(([id, want]) => {
      const dd = document.querySelector(`.value[data-id="${id}"] dd`);
      return dd && dd.textContent.trim() === want;
    }, [id, want], { timeout: 5000 });
  async function select(page, id, option) {
    const before = await frames(page);
    await page.locator(`#param-${id}`).selectOption(option);
    await nextFrame(page, before);
  }
  async function example(page, id) {
    const before = await frames(page);
    await page.locator(`#examples button[data-example="${id}"]`).click();
    await nextFrame(page, before);
  }
  const snapshot = async (page) => ({ verdict: await text(page, '#verdict'), steps: await text(page, '#steps'), tables: await page.evaluate(() => document.getElementById('tables').textContent), plot: await canvasPrint(page) });
  function changed(before, after, what) {
    assert(after.verdict !== before.verdict, `${what}: the verdict did not change`);
    assert(after.steps !== before.steps, `${what}: the steps did not change`);
    assert(after.tables !== before.tables, `${what}: the tables did not change`);
    assert(after.plot.hash !== before.plot.hash, `${what}: the plot did not change`);
  }

  await test('holt-winters: a surprise at 5 PM moves the states by α, β, γ and the 8 PM forecast', async () => {
    const page = await lesson('holt-winters');
    assertEqual(await value(page, 'forecast'), '1530', 'the guide forecast');
    assertEqual(await value(page, 'trend_only'), '1030', 'the linear trend three hours ahead');
    const before = await snapshot(page);
    await typeInto(page, '#field-series', '1100');
    await waitValue(page, 'forecast', '1569');
    changed(before, await snapshot(page), 'new 5 PM reading');
    assert((await text(page, '#steps')).includes('0.3 × (1100 − 0) + 0.7 × (990 + 10)'), 'the level step shows the new reading');
    // α = 0.2: ℓ = 0.2 × 1100 + 0.8 × 1000 = 1020, b = 0.1 × 30 + 0.9 × 10 = 12, ŷ = 1020 + 36 + 500.
    await typeInto(page, '#param-alpha', '0.2');
    await waitValue(page, 'forecast', '1556');
    assertEqual(await value(page, 'level'), '1020', 'level after α = 0.2');
    // A season of the wrong length is refused beside its field.
    await typeInto(page, '#field-season', '0, 0, 0, 500');
    assert(await page.locator('#err-season').isVisible(), 'season length message');
    assert(/period is 24/.test(await text(page, '#err-season')), await text(page, '#err-season'));
    noProblems(page);
    await page.close();
  });

  await test('holt-winters: the outage is flagged, a larger α flags its echo and is not forecastable, the MAD scale narrows the band', async () => {
    const page = await lesson('holt-winters', '#ex=four-days');
    assert((await text(page, '#verdict')).includes('ALERT: 1 point'), await text(page, '#verdict'));
    assertEqual(await page.locator('#tables table').first().locator('tbody tr.flagged').count(), 1, 'flagged rows in the states table');
    await page.screenshot({ path: path.join(ARTIFACTS, 'holt-winters-four-days.png'), fullPage: true });
    // A larger α lets the outage into the level: the hour after it is flagged too, and
    // α = 0.5 with β = 0.1 on a 24-hour season is not forecastable.
    await typeInto(page, '#param-alpha', '0.5');
    assert((await text(page, '#verdict')).includes('ALERT: 2 points'), await text(page, '#verdict'));
    assert((await text(page, '#notes')).includes('not forecastable'), 'the forecastability caveat');
    assertEqual(await value(page, 'forecastable'), 'no', 'forecastable');
    // The MAD scale is not inflated by the outage: it stands out even further.
    const before = await snapshot(page);
    await select(page, 'sigma', 'mad');
    const after = await snapshot(page);
    assert(after.plot.hash !== before.plot.hash, 'the band changed on the plot');
    assert(after.steps.includes('1.4826 · MAD(e)'), 'the MAD step');
    // Without a season the daily cycle lands in the errors and the band widens.
    await select(page, 'sigma', 'rms');
    const seasonal = await snapshot(page);
    const sigmaSeasonal = Number(await value(page, 'sigma'));
    await select(page, 'seasonal', 'none');
    await waitValue(page, 'season_term', '0');
    const plain = await snapshot(page);
    assert(plain.plot.hash !== seasonal.plot.hash, 'the plot changed without a season');
    const sigmaPlain = Number(await value(page, 'sigma'));
    assert(sigmaPlain > 2 * sigmaSeasonal, `σ̂ without a season ${sigmaPlain}, with ${sigmaSeasonal}`);
    noProblems(page);
    await page.close();
  });

  await test('double_exponential_smoothing: one more 90 turns 50 into 80, and sf = 1 is refused as Prometheus does', async () => {
    const page = await lesson('double-exponential-smoothing');
    assertEqual(await value(page, 'smoothed'), '50', 'the guide spike');
    const before = await snapshot(page);
    await typeInto(page, '#field-series', '10, 10, 10, 90, 90');
    await waitValue(page, 'smoothed', '80');
    assertEqual(await value(page, 'ema'), '70', 'EMA');
    changed(before, await snapshot(page), 'a fifth sample');
    await typeInto(page, '#param-sf', '1');
    assert(await page.locator('#err-sf').isVisible(), 'sf = 1 message');
    assert(/Prometheus rejects sf = 1/.test(await text(page, '#err-sf')), await text(page, '#err-sf'));
    await typeInto(page, '#param-sf', '0.3');
    assert(await page.locator('#err-sf').isHidden(), 'message cleared');
    await example(page, 'section-13');
    assert((await text(page, '#verdict')).includes('ALERT'), await text(page, '#verdict'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'double-exponential-smoothing-section-13.png'), fullPage: true });
    noProblems(page);
    await page.close();
  });

  await test('arima: the hand-fed 38.3, the consistent 40.3, and a third day of 50', async () => {
    const page = await lesson('arima');
    assertEqual(await value(page, 'forecast'), '38.3', 'the guide forecast');
    assertEqual(await value(page, 'prediction.2'), '37', "the model's own day-2 prediction");
    const before = await snapshot(page);
    await select(page, 'residuals', 'first');
    await waitValue(page, 'forecast', '40.3');
    await select(page, 'residuals', 'exact');
    await waitValue(page, 'forecast', '39.5235');
    await select(page, 'residuals', 'first');
    await typeInto(page, '#field-series', '40, 42, 50');
    await waitValue(page, 'prediction.3', '40.3');
    changed(before, await snapshot(page), 'a third day');
    assert((await text(page, '#steps')).includes('0.9 × 42 + 0.5 × 5'), 'the day-3 prediction uses the model error 5');
    // d = 1: the model of the changes.
    await typeInto(page, '#param-d', '1');
    assert((await text(page, '#steps')).includes('w(t) = y(t) − y(t−1)'), 'differencing step');
    noProblems(page);
    await page.close();
  });

  await test('arima: fitted by CSS, the bad day is flagged; Yule–Walker refuses an MA term', async () => {
    const page = await lesson('arima', '#ex=fitted');
    assert((await text(page, '#verdict')).includes('ALERT'), await text(page, '#verdict'));
    assert((await text(page, '#verdict')).includes('Step 46'), await text(page, '#verdict'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'arima-fitted.png'), fullPage: true });
    await select(page, 'estimate', 'yule-walker');
    assert(await page.locator('#err-q').isVisible(), 'q message');
    await typeInto(page, '#param-q', '0');
    assert(await page.locator('#err-q').isHidden(), 'q message cleared');
    assert((await text(page, '#steps')).includes('Yule–Walker'), 'Yule–Walker steps');
    noProblems(page);
    await page.close();
  });

  await test('garch: the guide timing hides the incident, the standard timing flags it; the fit converges', async () => {
    const page = await lesson('garch');
    assertEqual(await value(page, 'sigma2.2'), '15', 'day 2');
    assertEqual(await value(page, 'sigma2.3'), '13', 'day 3');
    assertEqual(await value(page, 'long_run_variance'), '10', 'long-run variance');
    const before = await snapshot(page);
    await select(page, 'timing', 'standard');
    await waitValue(page, 'sigma2.3', '15');
    const after = await snapshot(page);
    changed(before, after, 'standard timing');
    assert(after.verdict.includes('ALERT'), after.verdict);
    await typeInto(page, '#param-beta', '0.85');
    await waitValue(page, 'persistence', '0.95');
    // Maximum likelihood needs the standard timing.
    await select(page, 'timing', 'guide');
    await select(page, 'estimate', 'mle');
    assert(await page.locator('#err-timing').isVisible(), 'timing message');
    await example(page, 'jitter');
    assertEqual(await value(page, 'converged'), 'yes', 'the fit converged');
    assert((await text(page, '#verdict')).includes('Day 61'), await text(page, '#verdict'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'garch-jitter.png'), fullPage: true });
    // How long the fit takes is measured by tests/browser/bench.mjs, not asserted here: a
    // timed assertion fails on a busy machine and proves nothing on a quiet one.
    noProblems(page);
    await page.close();
  });
}
