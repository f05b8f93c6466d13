// End-to-end tests of the PromQL twin: every lesson with a [promql] table shows the
// comparison and the exported rule; editing the query changes the flags and the
// counts; a parse error shows inline and clears; the Prometheus version switch changes
// the function names accepted; the export buttons produce YAML files.

import fs from 'node:fs';
import path from 'node:path';

export default async function promql(ctx) {
  const { test, lesson, assert, assertEqual, canvasPrint, noProblems, lessonJson, ARTIFACTS, text } = ctx;
  const index = JSON.parse(fs.readFileSync(path.join(ARTIFACTS, '../../../www/lessons/index.json'), 'utf8'));
  const twins = index.lessons.filter((l) => lessonJson(l.id).promql);

  const twinRuns = (page) => page.evaluate(() => window.alertmath.twin.runs);
  async function setQuery(page, value) {
    const before = await twinRuns(page);
    await page.locator('#promql-query').fill(value);
    await page.waitForFunction((n) => window.alertmath.twin.runs > n, before, { timeout: 5000 });
  }
  const count = (page, id) => page.locator(`#promql-counts [data-count="${id}"] dd`).innerText();
  const twinPixels = (page) => page.evaluate(() => {
    const c = document.getElementById('promql-plot');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let hash = 0;
    let painted = 0;
    for (let i = 0; i < d.length; i += 4) {
      hash = (hash * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
      if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) painted += 1;
    }
    return { hash, painted };
  });

  await test(`PromQL twins: ${twins.length} lessons have one`, async () => {
    assert(twins.length >= 4, `only ${twins.length} lessons have a PromQL twin`);
  });

  for (const entry of twins) {
    await test(`lesson ${entry.id}: the PromQL twin compares, plots and exports`, async () => {
      const page = await lesson(entry.id);
      await page.waitForFunction(() => window.alertmath.twin && window.alertmath.twin.good > 0);
      assert(await page.locator('#promql').isVisible(), 'twin section visible');
      assert((await page.locator('#promql-mapping li').count()) >= 1, 'the mapping is stated');
      assert((await text(page, '#promql-guide')).length > 10, "the guide's query is shown");
      assert(/\d+ of \d+/.test(await count(page, 'agree')), `agree count: ${await count(page, 'agree')}`);
      assert((await twinPixels(page)).painted > 3000, 'twin plot painted');
      const rule = await text(page, '#promql-rule');
      assert(rule.includes('groups:') && rule.includes('alert:') && rule.includes('expr:'), rule);
      assert(!rule.includes('$'), `variables left in the rule: ${rule}`);
      await page.locator('#promql').screenshot({ path: path.join(ARTIFACTS, `${entry.id}-promql.png`) });
      noProblems(page);
      await page.close();
    });
  }

  await test('z-score twin: editing the query changes the flags, the counts and the plot', async () => {
    const page = await lesson('z-score');
    await page.waitForFunction(() => window.alertmath.twin.good > 0);
    assertEqual(await count(page, 'promql-only'), '0', 'PromQL-only before');
    const before = await twinPixels(page);
    // At 2σ the query fires on the 50 (|Z| = 2.23); the exact method at 3σ does not.
    await setQuery(page, 'abs(metric - avg_over_time(metric[1h])) / stddev_over_time(metric[1h]) > 2');
    assertEqual(await count(page, 'promql-only'), '1', 'PromQL-only after');
    assert((await twinPixels(page)).hash !== before.hash, 'twin plot changed');
    assert((await text(page, '#promql-rule')).includes('> 2'), 'the rule follows the edited query');
    assert(await page.locator('#promql-table tbody tr.disagree').count() === 1, 'one disagreement row');
    // Moving the lesson's threshold changes the lesson's query ($threshold).
    await page.locator('#promql-reset').click();
    await page.locator('#param-threshold').fill('2');
    await page.waitForFunction(() => document.getElementById('promql-evaluated').textContent.includes('> 2'));
    assertEqual(await count(page, 'promql-only'), '0', 'both flag the 50 at 2σ');
    assertEqual(await count(page, 'both'), '1', 'both flag it');
    noProblems(page);
    await page.close();
  });

  await test('K-S twin: the bucket boundaries are the reader\'s to set, and survive a reload', async () => {
    const page = await lesson('ks-two-sample');
    await page.waitForFunction(() => window.alertmath.twin.good > 0);
    const box = page.locator('#promql-settings input');
    assert(await box.isVisible(), 'the bucket-boundary box is shown');
    assert(/every distinct value/.test(await box.getAttribute('placeholder')), await box.getAttribute('placeholder'));
    const before = await twinPixels(page);
    const mapping = await text(page, '#promql-mapping');
    const runs = await twinRuns(page);
    await box.fill('100, 150, 200');
    await page.waitForFunction((n) => window.alertmath.twin.runs > n, runs);
    await page.waitForFunction(() => /le=\"150\"/.test(document.getElementById('promql-test').textContent));
    assert((await text(page, '#promql-mapping')) !== mapping, 'the mapping names the new boundaries');
    assert((await twinPixels(page)).hash !== before.hash, 'the CDF plot changed');
    // The URL is written 200 ms after the last edit.
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('x.series.buckets') === '100, 150, 200');
    // A bad boundary: an inline message, the last good comparison stays.
    await box.fill('100, fast');
    await page.waitForFunction(() => !document.getElementById('promql-error').hidden);
    assert(/not a number/.test(await text(page, '#promql-error')), await text(page, '#promql-error'));
    await box.fill('100, 150, 200');
    await page.waitForFunction(() => document.getElementById('promql-error').hidden);
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('x.series.buckets') === '100, 150, 200');
    await page.reload();
    await page.waitForFunction(() => window.alertmath && window.alertmath.twin && window.alertmath.twin.good > 0);
    assertEqual(await page.locator('#promql-settings input').inputValue(), '100, 150, 200', 'restored from the URL');
    assert((await page.locator('#promql-test').textContent()).includes('le="150"'), 'the restored boundaries are used');
    noProblems(page);
    await page.close();
  });

  await test('a PromQL parse error shows inline, with a caret, and clears when fixed', async () => {
    const page = await lesson('z-score');
    await page.waitForFunction(() => window.alertmath.twin.good > 0);
    const agree = await count(page, 'agree');
    await setQuery(page, 'abs(metric - avg_over_time(metric[1h])');
    assert(await page.locator('#promql-error').isVisible(), 'error shown');
    assert(/Expected “\)”/.test(await text(page, '#promql-error')), await text(page, '#promql-error'));
    assert((await text(page, '#promql-error')).includes('^'), 'caret under the error');
    assertEqual(await page.locator('#promql-query').getAttribute('aria-invalid'), 'true', 'marked invalid');
    assertEqual(await count(page, 'agree'), agree, 'the last good comparison stays');
    await setQuery(page, 'with (z = metric) z > 1');
    assert(/MetricsQL/.test(await text(page, '#promql-error')), await text(page, '#promql-error'));
    await setQuery(page, 'metric > 11');
    assert(await page.locator('#promql-error').isHidden(), 'error cleared');
    // 12, 12 and 50 are above 11; the exact method flags none of them.
    assertEqual(await count(page, 'promql-only'), '3', 'PromQL-only with metric > 11');
    noProblems(page);
    await page.close();
  });

  await test("MAD twin: the guide's query is refused with the subquery hint", async () => {
    const page = await lesson('mad');
    await page.waitForFunction(() => window.alertmath.twin.good > 0);
    const before = await twinRuns(page);
    await page.locator('#promql-use-guide').click();
    await page.waitForFunction((n) => window.alertmath.twin.runs > n, before);
    assert(/colon/.test(await text(page, '#promql-error')), await text(page, '#promql-error'));
    await page.locator('#promql-reset').click();
    await page.waitForFunction(() => document.getElementById('promql-error').hidden);
    noProblems(page);
    await page.close();
  });

  await test('the Prometheus version switch: holt_winters is 2.x, double_exponential_smoothing 3.x', async () => {
    const page = await lesson('z-score');
    await page.waitForFunction(() => window.alertmath.twin.good > 0);
    await setQuery(page, 'holt_winters(metric[10m], 0.5, 0.5) > 20');
    assert(/renamed double_exponential_smoothing/.test(await text(page, '#promql-error')), await text(page, '#promql-error'));
    const before = await twinRuns(page);
    await page.locator('#promql-version').selectOption('2');
    await page.waitForFunction((n) => window.alertmath.twin.runs > n, before);
    assert(await page.locator('#promql-error').isHidden(), await text(page, '#promql-error'));
    assert((await page.locator('#promql-test').textContent()).includes('Prometheus 2.x'), 'the test names its semantics');
    noProblems(page);
    await page.close();
  });

  await test('export buttons download the rule and the promtool test as YAML (Blob URLs under the CSP)', async () => {
    // The "PromQL +1" example's data with the guide's equation: 3 errors in 4 requests
    // stay under T(4) = 76% but pass the query's 1.5/sqrt(4 + 1) + 0.01 = 68.08%.
    const page = await lesson('square-root-law', '#ex=promql&p.form=guide');
    await page.waitForFunction(() => window.alertmath.twin.good > 0);
    assertEqual(await count(page, 'promql-only'), '1', '3 errors in 4 requests: only the PromQL form alerts');
    const [rule] = await Promise.all([page.waitForEvent('download'), page.locator('#promql-download-rule').click()]);
    assertEqual(rule.suggestedFilename(), 'square-root-law.rules.yml', 'rule file name');
    const ruleText = fs.readFileSync(await rule.path(), 'utf8');
    assert(ruleText.includes('alert: ErrorRateAboveSqrtThreshold') && ruleText.includes('sqrt('), ruleText);
    const [testFile] = await Promise.all([page.waitForEvent('download'), page.locator('#promql-download-test').click()]);
    const testText = fs.readFileSync(await testFile.path(), 'utf8');
    assert(testText.includes('input_series:') && testText.includes('exp_alerts:') && testText.includes('scenario: "2"'), testText);
    await page.locator('#promql-copy-rule').click();
    await page.waitForFunction(() => document.getElementById('promql-copied').textContent.length > 0);
    noProblems(page);
    await page.close();
  });
}
