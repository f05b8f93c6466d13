// End-to-end tests of the smoothing lessons (STL, EWMA, moving averages): editing the
// series and the parameters changes the verdict, the values, the steps, the table and
// every panel of the plot; the pandas conventions show their numbers.

/** A fingerprint per horizontal band of the canvas (the panels of a stacked plot). */
function bandPrints(page, weights) {
  return page.evaluate((weights) => {
    const c = document.getElementById('plot');
    const ctx = c.getContext('2d');
    const total = weights.reduce((a, b) => a + b, 0);
    let top = 0;
    return weights.map((w) => {
      const h = Math.round((c.height * w) / total);
      const d = ctx.getImageData(0, top, c.width, Math.max(1, Math.min(h, c.height - top))).data;
      top += h;
      let hash = 0;
      for (let i = 0; i < d.length; i += 4) hash = (hash * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
      return hash;
    });
  }, weights);
}

export default async function ({ lesson, test, assert, assertEqual, canvasPrint, typeInto, frames, nextFrame, text, noProblems, lessonJson, ARTIFACTS }) {
  // A named value as shown, without its unit.
  const value = (page, id) => text(page, `.value[data-id="${id}"] dd > span:first-child`);
  // The STL plot's panels: data, trend, season, remainder (relative heights as drawn).
  const STL_PANELS = [1.5, 0.7, 0.7, 1.3];

  await test('stl: four panels; robust fitting, the period and the data change all of them', async () => {
    const page = await lesson('stl');
    const label = await page.locator('#plot').getAttribute('aria-label');
    for (const panel of ['data against', 'trend against', 'season against', 'remainder against']) {
      assert(label.includes(panel), `plot description lacks “${panel}”: ${label}`);
    }
    assertEqual(await value(page, 'at'), '394', 'the inspected point is the dip');
    assertEqual(await value(page, 'remainder'), '-321.144', 'plain STL remainder');
    assert((await text(page, '#verdict')).includes('ALERT'), 'the dip is flagged');
    assertEqual(await value(page, 'z_whole_alert'), 'no', 'a whole-series z-score misses it');
    const before = { bands: await bandPrints(page, STL_PANELS), steps: await text(page, '#steps') };

    // Robust fitting: the dip gets weight 0 and the remainder grows to about -478.
    let f = await frames(page);
    await page.locator('#param-robust').check();
    await nextFrame(page, f);
    await page.waitForFunction(() => document.querySelector('.value[data-id="remainder"] dd span').textContent.startsWith('-478.'));
    assertEqual(await value(page, 'weight'), '0', 'the dip has robustness weight 0');
    const robust = { bands: await bandPrints(page, STL_PANELS), steps: await text(page, '#steps') };
    robust.bands.forEach((b, i) => assert(b !== before.bands[i], `panel ${i + 1} did not change with robust fitting`));
    assert(robust.steps.includes('Robustness weight') && !before.steps.includes('Robustness weight'), 'the steps show the weights');
    await page.locator('#param-robust').uncheck();
    await page.waitForFunction(() => document.querySelector('.value[data-id="remainder"] dd span').textContent === '-321.144');

    // A weekly period: new windows, new components.
    await typeInto(page, '#param-period', '168');
    await page.waitForFunction(() => document.querySelector('.value[data-id="trend_window"] dd span').textContent.startsWith('321'));
    const weekly = await bandPrints(page, STL_PANELS);
    weekly.forEach((b, i) => assert(b !== before.bands[i], `panel ${i + 1} did not change with the period`));
    assert((await text(page, '#notes')).includes('only 4 values'), 'the short-subseries caveat');
    await typeInto(page, '#param-period', '24');

    // Edit the data: put the dip back to a normal 9:00 reading; nothing flags there any more.
    const area = page.locator('#field-series');
    const data = await area.inputValue();
    assertEqual(data.split('1050.00').length, 2, 'the dip appears once in the text');
    await typeInto(page, '#field-series', data.replace('1050.00', '1500.00'));
    await page.waitForFunction(() => document.querySelector('.value[data-id="observed"] dd span').textContent === '1500');
    const remainder = Number(await value(page, 'remainder'));
    assert(Math.abs(remainder) < 120, `a normal 9:00 reading has a small remainder: ${remainder}`);
    assertEqual(await value(page, 'alert'), 'no', 'not flagged');
    const edited = await bandPrints(page, STL_PANELS);
    edited.forEach((b, i) => assert(b !== before.bands[i], `panel ${i + 1} did not change with the data`));
    // The table lists the flagged points of the month and stays bounded.
    const rows = await page.locator('#tables table tbody tr:not(.gap)').count();
    assert(rows > 0 && rows <= 200, `table rows: ${rows}`);
    noProblems(page);
    await page.close();
  });

  await test('stl: gaps are filled for the fit and never flagged; too little data is explained', async () => {
    const page = await lesson('stl', '#ex=story');
    assertEqual(await value(page, 'offset.remainder'), '-450', 'the guide\'s arithmetic');
    assertEqual(await value(page, 'offset.score'), '-9', '9σ');
    const data = await page.locator('#field-series').inputValue();
    const lines = data.split('\n');
    lines[3] = lines[3].replace(/^1000, 1000, 1000/, 'NaN, NaN, NaN');
    await typeInto(page, '#field-series', lines.join('\n'));
    await page.waitForFunction(() => document.querySelector('.value[data-id="gaps"] dd span').textContent === '3');
    assert((await text(page, '#notes')).includes('linear interpolation'), 'the gap note');
    await typeInto(page, '#field-series', '1, 2, 3, 4, 5, 6, 7, 8, 9, 10');
    await page.waitForFunction(() => /two full periods/.test(document.getElementById('verdict').textContent));
    assert(await page.locator('#err-series').isHidden(), 'an explained verdict, not an input error');
    assert((await canvasPrint(page)).painted > 1000, 'the data is still drawn');
    noProblems(page);
    await page.close();
  });

  await test('ewma: the guide\'s 30, pandas\' 31.33, and the control limits react to α and the data', async () => {
    const page = await lesson('ewma');
    assertEqual(await value(page, 'ewma.4'), '30', 'the guide\'s recursion');
    assertEqual(await value(page, 'sma'), '20', 'the SMA of 4');
    assert((await text(page, '#verdict')).includes('ALERT'), 'the 30 is outside 10 ± 3σ_S');
    const before = { plot: await canvasPrint(page), steps: await text(page, '#steps'), ucl: await value(page, 'ucl_last') };
    await page.locator('#param-init').selectOption('adjust');
    await page.waitForFunction(() => document.querySelector('.value[data-id="ewma.4"] dd span').textContent === '31.3333');
    await page.locator('#param-init').selectOption('first');
    await typeInto(page, '#param-alpha', '0.1');
    await page.waitForFunction(() => document.querySelector('.value[data-id="ewma.4"] dd span').textContent === '14');
    const after = { plot: await canvasPrint(page), steps: await text(page, '#steps'), ucl: await value(page, 'ucl_last') };
    assert(after.plot.hash !== before.plot.hash, 'plot changed');
    assert(after.steps.includes('0.1·50 + 0.9·10'), `the recursion step uses α: ${after.steps.slice(0, 400)}`);
    assert(after.ucl !== before.ucl, 'the limits depend on α');
    await page.locator('#param-limits').selectOption('asymptotic');
    await page.waitForFunction(() => document.querySelector('.value[data-id="ucl_last"] dd span').textContent
      === document.querySelector('.value[data-id="ucl_asymptotic"] dd span').textContent);
    // Appending calm readings: more rows, a new last value.
    await typeInto(page, '#field-series', '10, 10, 10, 50, 10, 10');
    await page.waitForFunction(() => document.querySelectorAll('#tables table tbody tr').length === 6);
    noProblems(page);
    await page.close();
  });

  await test('ewma: a constant warm-up gives an explained verdict', async () => {
    const page = await lesson('ewma');
    await page.locator('#param-baseline').selectOption('warmup');
    await typeInto(page, '#field-series', '5, 5, 5, 5, 5');
    await page.waitForFunction(() => /σ is zero/.test(document.getElementById('verdict').textContent));
    assert((await page.locator('#verdict').getAttribute('class')).includes('undefined'), 'undefined verdict');
    noProblems(page);
    await page.close();
  });

  await test('moving averages: SMA 30 and EMA 50, the EMA against the slow SMA, and the PromQL rule', async () => {
    const page = await lesson('moving-average');
    assertEqual(await value(page, 'sma'), '30', 'SMA of 4');
    assertEqual(await value(page, 'ema.4'), '50', 'EMA');
    assert((await text(page, '#verdict')).includes('ALERT'), 'the EMA 50 is above 1.2 × 30');
    const before = await canvasPrint(page);
    await page.locator('#param-fast').selectOption('sma');
    await page.waitForFunction(() => /does not fire/.test(document.getElementById('verdict').textContent));
    assert((await canvasPrint(page)).hash !== before.hash, 'plot changed');
    await typeInto(page, '#param-window', '2');
    await page.waitForFunction(() => document.querySelector('.value[data-id="sma"] dd span').textContent === '50');
    await typeInto(page, '#field-series', '10, 10, 10, 90, 90, 90');
    await page.waitForFunction(() => document.querySelector('.value[data-id="sma"] dd span').textContent === '90');
    noProblems(page);
    await page.close();

    const promql = await lesson('moving-average', '#ex=promql');
    assertEqual(await value(promql, 'crossings'), '1', 'one crossing');
    assertEqual(await value(promql, 'flagged'), '12', 'fires for 12 minutes');
    assertEqual(await value(promql, 'fires_last'), 'no', 'quiet again at the end');
    noProblems(promql);
    await promql.screenshot({ path: `${ARTIFACTS}/moving-average-promql.png`, fullPage: false });
    await promql.close();
  });

  await test('smoothing lessons: the worked examples\' claims are on the page', async () => {
    for (const id of ['stl', 'ewma', 'moving-average']) {
      const data = lessonJson(id);
      const page = await lesson(id);
      for (const ex of data.examples.filter((e) => e.claims.length > 0)) {
        const f = await frames(page);
        await page.locator(`#examples button[data-example="${ex.id}"]`).click();
        await nextFrame(page, f);
        assertEqual(await page.locator('#claims tbody tr').count(), ex.claims.length, `${id}/${ex.id} claim rows`);
      }
      noProblems(page);
      await page.close();
    }
  });
}
