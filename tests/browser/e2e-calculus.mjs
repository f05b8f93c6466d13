// End-to-end tests of the calculus lessons (issue 5, companion articles): finite
// differences, partial derivatives and the Jacobian. Each test edits data or a parameter
// as a reader would and checks that the verdict, the values, the steps and the plot change.

export default async function calculus(ctx) {
  const { lesson, test, assert, assertEqual, canvasPrint, typeInto, frames, nextFrame, text, noProblems } = ctx;
  const value = (page, id) => text(page, `.value[data-id="${id}"] dd`);

  /** Sets a parameter's number box as a reader typing into it. */
  async function setParam(page, id, v) {
    await typeInto(page, `#param-${id}`, String(v));
  }

  await test('finite differences: the step, a singularity, h = 0 and the reader\'s samples', async () => {
    const page = await lesson('finite-differences');
    assertEqual(await value(page, 'exact'), '0.0025', 'exact dW/dλ');
    assertEqual(await value(page, 'forward'), '0.00263158', 'forward at h = 1');
    assertEqual(await value(page, 'central'), '0.00250627', 'central at h = 1');
    const before = { verdict: await text(page, '#verdict'), plot: await canvasPrint(page), steps: await text(page, '#steps') };

    // A smaller step: the estimates move toward 0.0025 and the plot's marker moves.
    await setParam(page, 'h', '0.1');
    assertEqual(await value(page, 'central'), '0.00250006', 'central at h = 0.1');
    assertEqual(await value(page, 'rel_forward'), '0.502513%', 'forward error at h = 0.1');
    assert((await text(page, '#verdict')) !== before.verdict, 'verdict changed');
    assert((await canvasPrint(page)).hash !== before.plot.hash, 'plot changed');
    assert((await text(page, '#steps')) !== before.steps, 'steps changed');

    // At the threshold the scheme decides the alert.
    await setParam(page, 'h', '1');
    await setParam(page, 'threshold', '0.0025');
    assert((await text(page, '#verdict')).includes('ALERT'), `central alerts at the threshold: ${await text(page, '#verdict')}`);
    await page.locator('#param-scheme').selectOption('backward');
    await page.waitForFunction(() => !document.getElementById('verdict').textContent.includes('ALERT'));
    assertEqual(await value(page, 'exact_alert'), 'no', 'the exact derivative does not alert');

    // A step across the singularity λ + h ≥ μ: forward and central undefined, not NaN.
    await setParam(page, 'x', '95');
    await setParam(page, 'h', '10');
    assert((await value(page, 'forward')).startsWith('undefined'), `forward across μ: ${await value(page, 'forward')}`);
    assert(/\d/.test(await value(page, 'backward')), 'backward still defined');
    assert(!(await text(page, '#playground')).includes('NaN'), 'no NaN on screen');
    await page.locator('#param-scheme').selectOption('central');
    await page.waitForFunction(() => /singularity/.test(document.getElementById('verdict').textContent));

    // h = 0 is explained.
    await setParam(page, 'h', '0');
    assert(/0\/0/.test(await text(page, '#verdict')), `h = 0: ${await text(page, '#verdict')}`);
    assert((await page.locator('#verdict').getAttribute('class')).includes('undefined'), 'undefined verdict');

    // The reader's own samples: one table row per sample, slopes per point.
    const plotBefore = await canvasPrint(page);
    await typeInto(page, '#field-samples', '0, 0\n1, 1\n2, 4\n3, 9\n4, 16');
    await setParam(page, 'threshold', '5');
    assertEqual(await page.locator('#tables table tbody tr').count(), 5, 'one row per sample');
    assertEqual(await value(page, 'slope_max'), '7', 'largest central slope (one-sided 7 at the end)');
    assert((await text(page, '#verdict')).includes('ALERT'), `samples verdict: ${await text(page, '#verdict')}`);
    assert((await canvasPrint(page)).hash !== plotBefore.hash, 'plot redrawn for the samples');
    assert((await text(page, '#steps')).includes('(4 − 0) / (2 − 0)'), 'central step uses the samples');
    // Unsorted x is refused beside the field.
    await typeInto(page, '#field-samples', '0, 0\n2, 4\n1, 1');
    assert(/increase/.test(await text(page, '#err-samples')), 'unordered x explained');
    noProblems(page);
    await page.close();
  });

  await test('finite differences: noise moves the best step', async () => {
    const page = await lesson('finite-differences');
    await page.locator('#examples button[data-example="noise"]').click();
    await page.waitForFunction(() => document.querySelector('.value[data-id="h_star_forward"]'));
    assertEqual(await value(page, 'h_star_forward'), '3.36359', 'leading-order forward step');
    assertEqual(await value(page, 'h_star_central'), '3.83877', 'leading-order central step');
    const print = await canvasPrint(page);
    await setParam(page, 'noise', '0.004');
    assertEqual(await value(page, 'h_star_forward'), '6.72717', 'σ × 4 doubles the forward step');
    assert((await canvasPrint(page)).hash !== print.hash, 'plot changed with the noise');
    noProblems(page);
    await page.close();
  });

  await test('partial derivatives: Clairaut holds for x²y³ and fails at the counterexample', async () => {
    const page = await lesson('partial-derivatives');
    assertEqual(await value(page, 'fxy'), '24', 'f_xy');
    assert((await text(page, '#verdict')).includes('24'), 'verdict names the mixed partial');
    const print = await canvasPrint(page);
    const f = await frames(page);
    await page.locator('#examples button[data-example="counterexample"]').click();
    await nextFrame(page, f);
    await page.waitForFunction(() => document.getElementById('verdict').textContent.includes('disagree'));
    assertEqual(await value(page, 'fxy'), '-1', '∂y∂x f at the origin');
    assertEqual(await value(page, 'fyx'), '1', '∂x∂y f at the origin');
    assertEqual(await value(page, 'stencil'), '0', 'the symmetric stencil');
    assert((await canvasPrint(page)).hash !== print.hash, 'plot changed');
    // A coarser inner step: the nested differences move, the stencil cannot.
    await setParam(page, 'h_inner', '0.0005');
    assertEqual(await value(page, 'nested_fxy'), '-0.6', 'nested with k = h/2: −(3/4)/(5/4)');
    assertEqual(await value(page, 'stencil'), '0', 'stencil unchanged');
    // The latency model, then an invalid replica count, explained beside the parameter.
    await page.locator('#param-function').selectOption('latency');
    await setParam(page, 'h_inner', '1e-7');
    await setParam(page, 'x', '4');
    await setParam(page, 'y', '320');
    assertEqual(await value(page, 'fx'), '-0.05', '∂W/∂n');
    await setParam(page, 'x', '-1');
    assert(/replicas/.test(await text(page, '#err-x')), 'n ≤ 0 explained');
    noProblems(page);
    await page.close();
  });

  await test('jacobian: moving θ₂ toward 0 collapses the square and the guard stops', async () => {
    const page = await lesson('jacobian');
    assertEqual(await value(page, 'det'), '2', 'polar det = r');
    const f = await frames(page);
    await page.locator('#examples button[data-example="arm-90"]').click();
    await nextFrame(page, f);
    await page.waitForFunction(() => document.querySelector('.value[data-id="cond"] dd').textContent === '2.61803');
    assert((await page.locator('#verdict').getAttribute('class')).includes('clear'), 'healthy pose: no alert');

    // The area of J·square, from the same analysis the page draws.
    const imageArea = () => page.evaluate(() => {
      const a = window.alertmath.engine.analyze('jacobian', {}, {
        map: 'arm', u: document.getElementById('param-u').value, v: document.getElementById('param-v').value,
      });
      const layer = a.plotSpec().panels[0].layers.find((l) => l.kind === 'polygon' && l.label.startsWith('J'));
      a.free();
      let twice = 0;
      for (let i = 0; i < layer.x.length; i++) {
        const j = (i + 1) % layer.x.length;
        twice += layer.x[i] * layer.y[j] - layer.x[j] * layer.y[i];
      }
      return Math.abs(twice / 2);
    });
    const slider = page.locator('#param-v-range');
    let previous = { cond: 2.61803, area: await imageArea(), plot: await canvasPrint(page) };
    // Keyboard steps of 0.5°, then larger moves, toward the straight arm.
    await slider.focus();
    for (let i = 0; i < 4; i++) {
      const n = await frames(page);
      await page.keyboard.press('ArrowLeft');
      await nextFrame(page, n);
    }
    assertEqual(await page.locator('#param-v').inputValue(), '88', 'number box follows the slider');
    for (const deg of ['45', '20', '5']) {
      await typeInto(page, '#param-v-range', deg);
      const cond = Number(await value(page, 'cond'));
      const area = await imageArea();
      const plot = await canvasPrint(page);
      assert(cond > previous.cond, `κ rises toward the singular pose: ${cond} after ${previous.cond}`);
      assert(area < previous.area, `the image of the square shrinks: ${area} after ${previous.area}`);
      assert(plot.hash !== previous.plot.hash, 'the plot is redrawn');
      previous = { cond, area, plot };
    }
    assertEqual(await value(page, 'cond'), '57.2638', 'κ at 5°');
    assert((await text(page, '#verdict')).includes('STOP'), 'the guard stops above the threshold');
    assertEqual(await value(page, 'cond_below_threshold'), 'no', "the article's rule does not fire");
    await typeInto(page, '#param-v-range', '0');
    await page.waitForFunction(() => document.querySelector('.value[data-id="cond"] dd').textContent === '∞');
    assert((await text(page, '#verdict')).includes('Singular'), 'singular at 0°');
    assert((await imageArea()) < 1e-12, 'the square collapses onto a line');
    assert(!(await text(page, '#playground')).includes('NaN'), 'no NaN on screen');

    // A typed matrix with a zero row takes over, and a third row is refused beside the field.
    await typeInto(page, '#field-matrix', '3 1\n0 0');
    assertEqual(await value(page, 'det'), '0', 'a zero row is singular');
    assertEqual(await value(page, 'cond'), '∞', 'κ = ∞ shown as such');
    await typeInto(page, '#field-matrix', '2 1\n1 1');
    assertEqual(await value(page, 'det'), '1', 'det of [[2, 1], [1, 1]]');
    await typeInto(page, '#field-matrix', '1 0\n0 1\n1 1');
    assert(/two rows/.test(await text(page, '#err-matrix')), 'a 3×2 matrix is explained');
    await page.screenshot({ path: `${ctx.ARTIFACTS}/jacobian-typed.png`, fullPage: true });
    noProblems(page);
    await page.close();
  });
}
