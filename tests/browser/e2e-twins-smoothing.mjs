// End-to-end tests of the PromQL twins of the smoothing and model lessons (STL, EWMA,
// GARCH, moving averages, Holt-Winters, holt_winters): each twin's counts on its worked
// example, and a parameter or a data edit that changes the query, the counts and the
// twin's plot.

export default async function ({ lesson, test, assert, assertEqual, typeInto, text, noProblems, ARTIFACTS }) {
  const twinRuns = (page) => page.evaluate(() => window.alertmath.twin.runs);
  const ready = (page) => page.waitForFunction(() => window.alertmath.twin && window.alertmath.twin.good > 0);
  const count = (page, id) => page.locator(`#promql-counts [data-count="${id}"] dd`).innerText();
  const evaluated = (page) => text(page, '#promql-evaluated');
  const twinPrint = (page) => page.evaluate(() => {
    const c = document.getElementById('promql-plot');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) hash = (hash * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
    return hash;
  });
  /** Runs `edit` and waits for the twin to run again. */
  async function andRerun(page, edit) {
    const before = await twinRuns(page);
    await edit();
    await page.waitForFunction((n) => window.alertmath.twin.runs > n, before, { timeout: 10000 });
  }
  async function counts(page) {
    return {
      both: await count(page, 'both'),
      exactOnly: await count(page, 'exact-only'),
      promqlOnly: await count(page, 'promql-only'),
    };
  }

  await test('stl twin: the 3-day baseline flags the dip; one period back shows the guide\'s first query and its late alarm', async () => {
    const page = await lesson('stl');
    await ready(page);
    assert((await evaluated(page)).includes('metric offset 3d'), await evaluated(page));
    assertEqual(JSON.stringify(await counts(page)), JSON.stringify({ both: '1', exactOnly: '4', promqlOnly: '0' }), 'month counts');
    const before = await twinPrint(page);
    await andRerun(page, () => typeInto(page, '#param-offsets', '1'));
    const q = await evaluated(page);
    assert(q.includes('offset 1d) * 0.2') && !q.includes('abs('), `the first query: ${q}`);
    assertEqual(await count(page, 'both'), '0', 'the first query misses the dip');
    assertEqual(await count(page, 'promql-only'), '4', 'and fires on four normal readings');
    assert((await twinPrint(page)) !== before, 'twin plot changed');
    await page.locator('#promql').screenshot({ path: `${ARTIFACTS}/stl-promql-first-query.png` });
    await andRerun(page, () => typeInto(page, '#param-offset_period', '168'));
    assert((await evaluated(page)).includes('offset 1w'), await evaluated(page));
    noProblems(page);
    await page.close();
  });

  await test('ewma twin: the fast-versus-slow rates fire on a young counter; L moves the threshold', async () => {
    const page = await lesson('ewma');
    await ready(page);
    assertEqual(await count(page, 'both'), '1', 'the spike');
    assertEqual(await count(page, 'promql-only'), '2', 'the flat readings of a counter younger than an hour');
    await andRerun(page, () => typeInto(page, '#param-L', '5'));
    assert((await evaluated(page)).includes('> 5 * stddev_over_time'), await evaluated(page));
    const before = await twinPrint(page);
    await andRerun(page, () => typeInto(page, '#field-series', '10, 10, 10, 10, 10, 10'));
    assert((await twinPrint(page)) !== before, 'twin plot changed with the data');
    noProblems(page);
    await page.close();
  });

  await test('moving-average twin: after the first hour it fires on the same 12 minutes as the exact rule', async () => {
    const page = await lesson('moving-average', '#ex=promql');
    await ready(page);
    assertEqual(await count(page, 'both'), '12', 'the step');
    assertEqual(await count(page, 'exact-only'), '0', 'nothing missed');
    assert(/^4[89]$/.test(await count(page, 'promql-only')), `the young counter's first hour: ${await count(page, 'promql-only')}`);
    await page.locator('#promql').screenshot({ path: `${ARTIFACTS}/moving-average-promql-step.png` });
    await andRerun(page, () => typeInto(page, '#param-factor', '1.5'));
    assert((await evaluated(page)).includes('* 1.5'), await evaluated(page));
    assertEqual(await count(page, 'both'), '0', 'a 30% step is not 50% above the hour');
    noProblems(page);
    await page.close();
  });

  await test('garch twin: the volatility ratio stays silent on the incident; a burst after a calm hour fires it', async () => {
    const page = await lesson('garch');
    await ready(page);
    assertEqual(await count(page, 'agree'), '3 of 3', 'silent, as GARCH in the guide timing');
    assert(!(await evaluated(page)).includes('with'), 'no MetricsQL in the query');
    const calm = Array.from({ length: 60 }, (_, i) => (i % 2 ? '1' : '-1'));
    await andRerun(page, () => typeInto(page, '#field-series', [...calm, '8', '-9', '7'].join(', ')));
    assert(Number(await count(page, 'promql-only')) + Number(await count(page, 'both')) >= 1, 'the burst fires the ratio');
    noProblems(page);
    await page.close();
  });

  await test('holt-winters twin: the triple query misses the outage, and runs as holt_winters under Prometheus 2', async () => {
    const page = await lesson('holt-winters', '#ex=four-days');
    await ready(page);
    assertEqual(await count(page, 'exact-only'), '1', 'the outage, a drop');
    assertEqual(await count(page, 'promql-only'), '8', 'ramps and a young counter');
    assert((await evaluated(page)).includes('offset 1d'), await evaluated(page));
    await andRerun(page, () => page.locator('#promql-version').selectOption('2'));
    assert((await evaluated(page)).includes('holt_winters('), await evaluated(page));
    await andRerun(page, () => typeInto(page, '#param-alpha', '0.5'));
    assert((await evaluated(page)).includes('0.5, 0.1)'), await evaluated(page));
    noProblems(page);
    await page.close();
  });

  await test('holt_winters twin: a smoother, not an alert; its value panel follows the data', async () => {
    const page = await lesson('double-exponential-smoothing');
    await ready(page);
    assertEqual(await count(page, 'promql-only'), '3', 'fires whenever it returns a value');
    const before = await twinPrint(page);
    await andRerun(page, () => typeInto(page, '#field-series', '10, 10, 10, 90, 90'));
    assertEqual(await count(page, 'promql-only'), '4', 'one more evaluation');
    assert((await twinPrint(page)) !== before, 'twin plot changed');
    await andRerun(page, () => typeInto(page, '#param-tf', '0.9'));
    assert((await evaluated(page)).includes('0.5, 0.9)'), await evaluated(page));
    noProblems(page);
    await page.close();
  });
}
