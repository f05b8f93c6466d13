// End-to-end tests of the outlier-test lessons: Grubbs' test, the generalized ESD and
// the two-sample Kolmogorov–Smirnov test. Each opens its lesson, edits the data and a
// parameter as a reader would, and checks that the verdict, the named values, the
// tables and the plot all follow within a frame. Screenshots go to
// tests/browser/artifacts/<lesson>-<state>.png.

import path from 'node:path';

export default async function outlierTests(ctx) {
  const { lesson, test, assert, assertEqual, canvasPrint, typeInto, frames, nextFrame, text, noProblems, ARTIFACTS } = ctx;
  const value = (page, id) => text(page, `.value[data-id="${id}"] dd`);
  // Table cells by textContent: tables below the fold are not rendered (content-visibility).
  const rowText = (row) => row.evaluate((tr) => [...tr.cells].map((c) => c.textContent).join(' '));
  const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** Chooses an option of a select and waits for the frame it triggers. */
  async function choose(page, param, option) {
    const before = await frames(page);
    await page.locator(`#param-${param}`).selectOption(option);
    await nextFrame(page, before);
  }

  await test('grubbs: the ceiling, the one-sided critical value, and an edit that removes the outlier', async () => {
    const page = await lesson('grubbs');
    assert(/ALERT: 50 is an outlier/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    assertEqual(await value(page, 'g'), '1.78885', 'G');
    assertEqual(await value(page, 'g_ceiling'), '1.78885', 'G is at its ceiling');
    assertEqual(await value(page, 'g_crit'), '1.71504', 'two-sided critical value');
    assertEqual(await value(page, 'p_value'), '0', 'p at the ceiling');
    const before = { plot: await canvasPrint(page), steps: await text(page, '#steps') };

    // The guide's 1.67 is the one-sided critical value.
    await choose(page, 'side', 'max');
    assertEqual(await value(page, 'g_crit'), '1.67139', 'one-sided critical value');
    assert((await text(page, '#steps')).includes('α / n'), 'the tail step follows the side');
    await choose(page, 'side', 'both');

    // Spread the four 10s: G leaves its ceiling and 50 is no longer significant.
    await typeInto(page, '#field-data', '2, 9, 14, 21, 50');
    assert(/No outlier/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    const g = Number(await value(page, 'g'));
    assert(g > 1.5 && g < 1.7150, `G = ${g}`);
    const after = await canvasPrint(page);
    assert(after.hash !== before.plot.hash, 'the plot changed');
    assert((await text(page, '#steps')) !== before.steps, 'the steps changed');
    const rows = page.locator('#tables table[data-table="points"] tbody tr');
    assertEqual(await rows.count(), 5, 'one table row per point');
    assert((await rowText(rows.nth(4))).includes('suspect'), 'the suspect is marked in the table');

    // The population SD with the sample-SD table (the guide's query) fires on the window.
    await page.locator('#examples button[data-example="window"]').click();
    await page.waitForFunction(() => document.querySelector('.value[data-id="n"] dd').textContent === '60');
    assert(/No outlier/.test(await text(page, '#verdict')), `window, Grubbs: ${await text(page, '#verdict')}`);
    await choose(page, 'sd', 'population-unadjusted');
    await choose(page, 'side', 'max');
    assert(/ALERT: 114/.test(await text(page, '#verdict')), `window, the guide's query: ${await text(page, '#verdict')}`);
    assert((await text(page, '#notes')).includes('fires more often'), 'the mismatch is explained');
    await shot(page, 'grubbs-window-query');

    // Zero spread is an explained outcome, not an error.
    await typeInto(page, '#field-data', '7, 7, 7, 7');
    assert(/No spread/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    assert(await page.locator('#err-data').isHidden(), 'no error message');
    noProblems(page);
    await page.close();
  });

  await test('generalized-esd: passes, the SD = 0 stop, and r', async () => {
    const page = await lesson('generalized-esd');
    assert(/ALERT: 2 outliers/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    assertEqual(await value(page, 'r.1'), '1.61009', 'R1');
    assertEqual(await value(page, 'r.2'), '1.5', 'R2');
    assertEqual(await value(page, 'lambda.2'), '1.48125', 'lambda2');
    const passes = page.locator('#tables table[data-table="passes"] tbody tr');
    assertEqual(await passes.count(), 2, 'one row per pass');
    const plot = await canvasPrint(page);

    // r = 3: the third pass has no spread and the procedure stops.
    await typeInto(page, '#param-max_outliers', '3');
    assertEqual(await passes.count(), 3, 'three passes');
    assert((await rowText(passes.nth(2))).includes('undefined'), 'pass 3 has an undefined R');
    assert((await text(page, '#notes')).includes('SD is 0'), 'the stop is explained');
    assert((await canvasPrint(page)).hash !== plot.hash, 'the plot changed with r');
    await shot(page, 'generalized-esd-stop');

    // Spread the 10s: no pass exceeds its lambda any more.
    await typeInto(page, '#field-data', '5, 10, 15, 50, 100');
    assert(/No outliers/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    assertEqual(await value(page, 'outliers'), '0', 'no outliers');
    assertEqual(await page.locator('#tables table[data-table="passes"] tbody tr.flagged').count(), 0, 'no flagged pass');

    // Rosner's example: three outliers although passes 1 and 2 do not exceed.
    await page.locator('#examples button[data-example="rosner"]').click();
    await page.waitForFunction(() => /3 outliers/.test(document.getElementById('verdict').textContent));
    assertEqual(await page.locator('#tables table[data-table="passes"] tbody tr.flagged').count(), 3, 'three flagged passes');
    await shot(page, 'generalized-esd-rosner');
    noProblems(page);
    await page.close();
  });

  await test('ks-two-sample: the exact p-value, ties, unequal sizes and the asymptotic switch', async () => {
    const page = await lesson('ks-two-sample');
    assert(/No significant difference/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    assertEqual(await value(page, 'd'), '0.6', 'D');
    assertEqual(await value(page, 'p_exact'), '0.357143', 'exact p');
    assertEqual(await value(page, 'd_crit'), '0.8', 'exact critical D with these ties');
    const rows = page.locator('#tables table[data-table="ecdf"] tbody tr');
    assertEqual(await rows.count(), 6, 'one ECDF row per distinct value');
    assertEqual(await rowText(rows.nth(3)), '160 4/5 = 0.8 1/5 = 0.2 0.6', 'the guide\'s row at 160');
    assertEqual(await page.locator('#tables table[data-table="ecdf"] tbody tr.flagged').count(), 2, 'D occurs twice');
    const plot = await canvasPrint(page);

    // Unequal sizes: a current sample far beyond the baseline is significant.
    await typeInto(page, '#field-current', '200, 210, 220, 230, 240, 250, 260');
    assert(/ALERT/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    assertEqual(await value(page, 'd'), '1', 'complete separation');
    assertEqual(await value(page, 'n_current'), '7', 'm');
    assert((await text(page, '#steps')).includes('C(12, 5) = 792'), 'the splits are counted');
    assert((await canvasPrint(page)).hash !== plot.hash, 'the plot changed');

    // A stricter alpha moves the critical value.
    const crit = await value(page, 'd_crit');
    await typeInto(page, '#param-alpha', '0.001');
    assert((await value(page, 'd_crit')) !== crit, 'the critical value follows alpha');

    // Forcing the asymptotic p-value.
    await choose(page, 'p_method', 'asymptotic');
    assert(/undefined/.test(await value(page, 'p_exact')), 'no exact p-value');
    assertEqual(await value(page, 'p_method'), 'asymptotic', 'method');

    // NaN in a sample is refused with a message beside its field.
    await typeInto(page, '#field-baseline', '1, NaN, 3');
    assert(await page.locator('#err-baseline').isVisible(), 'message for NaN');
    assert(/NaN/.test(await text(page, '#err-baseline')), await text(page, '#err-baseline'));

    // The canary example is asymptotic by default and significant.
    await page.locator('#examples button[data-example="canary"]').click();
    await page.waitForFunction(() => document.querySelector('.value[data-id="n_baseline"] dd').textContent === '150');
    assert(/ALERT/.test(await text(page, '#verdict')), await text(page, '#verdict'));
    assertEqual(await value(page, 'p_method'), 'asymptotic', 'canary method');
    await shot(page, 'ks-two-sample-canary');
    noProblems(page);
    await page.close();
  });
}
