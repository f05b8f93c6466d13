// End-to-end tests of the site in Debian's Chromium (playwright-core): every lesson
// opens and shows the guide's numbers, edits and sliders change the verdict, table and
// plot within a frame, state survives a reload, bad input gets an inline message and
// the page keeps working, the engine survives a panic, and nothing logs an error or
// breaks the Content-Security-Policy. Screenshots land in tests/browser/artifacts/.
//
// Run: node tests/browser/run.mjs   (after ./build.sh build; ./build.sh test does both)
//
// Topic-specific tests live beside this file as e2e-<topic>.mjs, each exporting a default
// async function that receives the helpers below (see `ctx`) and calls `test(…)`.

import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, openPage, test, assert, assertEqual, finish, WWW, ROOT } from './harness.mjs';

const ARTIFACTS = path.join(ROOT, 'tests/browser/artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
const index = JSON.parse(fs.readFileSync(path.join(WWW, 'lessons/index.json'), 'utf8'));
const lessonJson = (id) => JSON.parse(fs.readFileSync(path.join(WWW, `lessons/${id}.json`), 'utf8'));

const server = await serve();
const browser = await launch();

/** Opens a lesson and waits for its first frame. */
async function lesson(id, hash = '', options = {}) {
  const page = await openPage(browser, `${server.url}lesson.html?lesson=${id}${hash}`, options);
  await page.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0, null, { timeout: 20000 });
  return page;
}

/** Waits until the page has run at least one more frame after `before`. */
async function nextFrame(page, before) {
  await page.waitForFunction((n) => window.alertmath.perf.frames > n, before, { timeout: 5000 });
}

const frames = (page) => page.evaluate(() => window.alertmath.perf.frames);
const text = (page, selector) => page.locator(selector).innerText();

/** A fingerprint of the canvas pixels, and how many differ from the background. */
function canvasPrint(page) {
  return page.evaluate(() => {
    const c = document.getElementById('plot');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let hash = 0;
    let painted = 0;
    for (let i = 0; i < d.length; i += 4) {
      hash = (hash * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
      if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) painted += 1;
    }
    return { hash, painted, corner: [d[0], d[1], d[2]] };
  });
}

/** Replaces a field's text as a person would: select all, type. */
async function typeInto(page, selector, value) {
  const before = await frames(page);
  await page.locator(selector).fill(value);
  await nextFrame(page, before);
}

function noProblems(page) {
  assert(page.problems.length === 0, `console or page errors:\n${page.problems.join('\n')}`);
}

await test('the home page lists every lesson', async () => {
  const page = await openPage(browser, server.url);
  await page.waitForSelector('.lesson-list a');
  const links = await page.locator('.lesson-list a').allInnerTexts();
  assertEqual(links.length, index.lessons.length, 'lesson links');
  for (const l of index.lessons) assert(links.some((t) => t.includes(l.title)), `missing ${l.title}`);
  // Grouped in the index's sections, in site order, numbered through.
  assertEqual(await page.locator('.lesson-section h2').allInnerTexts(), index.sections.map((s) => s.title), 'section headings');
  assertEqual(links, index.lessons.map((l) => l.title), 'lessons in site order');
  assertEqual(await page.locator('.lesson-section').last().locator('.lesson-list li').count(), index.lessons.filter((l) => l.section === index.sections.length - 1).length, 'last section');
  assertEqual(await page.locator('.lesson-badge').count(), index.lessons.filter((l) => l.promql).length, 'PromQL badges');
  await page.screenshot({ path: path.join(ARTIFACTS, 'home.png'), fullPage: true });
  noProblems(page);
  await page.close();
});

for (const entry of index.lessons) {
  await test(`lesson ${entry.id}: the guide's numbers, a verdict, steps and a plot`, async () => {
    const page = await lesson(entry.id);
    const data = lessonJson(entry.id);
    assertEqual(await text(page, 'h1'), data.title, 'title');
    const claims = await page.locator('#claims tbody tr').count();
    assertEqual(claims, data.examples[0].claims.length, 'claim rows');
    for (const claim of data.examples[0].claims) {
      const row = page.locator(`#claims tbody tr[data-value="${claim.value}"]`).first();
      assertEqual(await row.locator('td.guide').innerText(), claim.guide, `${claim.label}: guide`);
      assertEqual(await row.locator('td.exact').innerText(), claim.exact, `${claim.label}: exact`);
      assert((await row.locator('.status').innerText()).includes(claim.status_label), `${claim.label}: status`);
    }
    assert((await text(page, '#verdict')).length > 5, 'verdict');
    assert((await page.locator('#steps tbody tr').count()) >= 3, 'step rows');
    const print = await canvasPrint(page);
    assert(print.painted > 3000, `plot painted only ${print.painted} pixels`);
    assert((await page.locator('#plot').getAttribute('aria-label')).length > 20, 'plot description');
    // Every worked example loads and draws.
    for (const ex of data.examples) {
      const before = await frames(page);
      await page.locator(`#examples button[data-example="${ex.id}"]`).click();
      await nextFrame(page, before);
      assertEqual(await page.locator(`#examples button[data-example="${ex.id}"]`).getAttribute('aria-pressed'), 'true', `${ex.id} pressed`);
      assert(await page.locator('#editor-error').isHidden(), `${ex.id}: ${await text(page, '#editor-error')}`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, `${entry.id}.png`), fullPage: true });
    noProblems(page);
    await page.close();
  });
}

await test('z-score: a second 50 changes the verdict, the values, the table and the plot', async () => {
  const page = await lesson('z-score');
  const before = { verdict: await text(page, '#verdict'), n: await text(page, '.value[data-id="n"] dd'), plot: await canvasPrint(page) };
  const field = page.locator('#field-data');
  await field.click();
  await page.keyboard.press('End');
  const f = await frames(page);
  await page.keyboard.type(', 50');
  await nextFrame(page, f);
  await page.waitForFunction(() => document.querySelector('.value[data-id="n"] dd').textContent === '7');
  const after = { verdict: await text(page, '#verdict'), plot: await canvasPrint(page) };
  assertEqual(before.n, '6', 'n before');
  assert(after.verdict !== before.verdict, 'verdict changed');
  assert(after.plot.hash !== before.plot.hash, 'plot changed');
  assertEqual(await page.locator('#tables table tbody tr').count(), 7, 'one table row per point');
  assert((await text(page, '#steps')).includes('(10 + 12 + 10 + 11 + 12 + 50 + 50) / 7'), 'the mean step uses the new data');
  noProblems(page);
  await page.close();
});

await test('a slider moved with the keyboard updates the number, the verdict and the steps', async () => {
  const page = await lesson('z-score');
  const stepsBefore = await text(page, '#steps');
  const slider = page.locator('#param-threshold-range');
  await slider.focus();
  for (let i = 0; i < 9; i++) {
    const f = await frames(page);
    await page.keyboard.press('ArrowLeft');
    await nextFrame(page, f);
  }
  assertEqual(await page.locator('#param-threshold').inputValue(), '2.1', 'number field follows the slider');
  assert((await text(page, '#verdict')).includes('ALERT'), `verdict at 2.1σ: ${await text(page, '#verdict')}`);
  assert((await text(page, '#steps')) !== stepsBefore, 'steps changed');
  // Each keypress produced a frame well inside the budget for lesson-sized data.
  const last = await page.evaluate(() => window.alertmath.perf.last);
  assert(last.total < 100, `a lesson-sized frame took ${last.total} ms`);
  noProblems(page);
  await page.close();
});

await test('reloading restores the data and parameters from the URL', async () => {
  const page = await lesson('iqr');
  await typeInto(page, '#field-data', '1, 2, 3, 4, 100, 200');
  await page.locator('#param-quantile').selectOption('7');
  await page.waitForFunction(() => location.hash.includes('p.quantile=7') && location.hash.includes('200'));
  const verdict = await text(page, '#verdict');
  const url = page.url();
  await page.reload();
  await page.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0);
  assertEqual(await page.locator('#field-data').inputValue(), '1, 2, 3, 4, 100, 200', 'data restored');
  assertEqual(await page.locator('#param-quantile').inputValue(), '7', 'parameter restored');
  assertEqual(await text(page, '#verdict'), verdict, 'same verdict');
  // A fresh page from the link alone gives the same result.
  const shared = await openPage(browser, url);
  await shared.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0);
  assertEqual(await text(shared, '#verdict'), verdict, 'same verdict from the link');
  noProblems(page);
  noProblems(shared);
  await page.close();
  await shared.close();
});

await test('bad input gets an inline message, keeps the last plot, and the page keeps working', async () => {
  const page = await lesson('z-score');
  const good = await canvasPrint(page);
  const cases = [
    ['', /empty/i],
    ['42', /at least 2/],
    ['10, abc, 12', /abc.*not a number/],
    ['10, NaN, 12', /NaN/],
    ['10, 1e999, 12', /infinite/],
  ];
  for (const [input, message] of cases) {
    await typeInto(page, '#field-data', input);
    const error = page.locator('#err-data');
    assert(await error.isVisible(), `no message for ${JSON.stringify(input)}`);
    assert(message.test(await error.innerText()), `message for ${JSON.stringify(input)}: ${await error.innerText()}`);
    assertEqual(await page.locator('#field-data').getAttribute('aria-invalid'), 'true', 'marked invalid');
    assert((await page.locator('#verdict').getAttribute('class')).includes('stale'), 'verdict marked stale');
    assertEqual((await canvasPrint(page)).hash, good.hash, 'the last good plot stays');
  }
  // A million values: refused with a message, quickly, and the page still responds.
  const start = Date.now();
  await page.evaluate(() => {
    const area = document.getElementById('field-data');
    area.value = '1 '.repeat(1_000_000);
    area.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForFunction(() => /1,000,000/.test(document.getElementById('err-data').textContent), null, { timeout: 10000 });
  assert(Date.now() - start < 8000, `a million values took ${Date.now() - start} ms to refuse`);
  // A parameter out of range is reported beside that parameter.
  await typeInto(page, '#field-data', '10, 12, 10, 11, 12, 50');
  await typeInto(page, '#param-threshold', '99');
  assert(await page.locator('#err-threshold').isVisible(), 'parameter message');
  assert(/between 0\.1 and 10/.test(await text(page, '#err-threshold')), await text(page, '#err-threshold'));
  await typeInto(page, '#param-threshold', '2');
  assert(await page.locator('#err-threshold').isHidden(), 'parameter message cleared');
  assert(await page.locator('#err-data').isHidden(), 'field message cleared');
  assert((await text(page, '#verdict')).includes('ALERT'), 'working again');
  noProblems(page);
  await page.close();
});

await test('zero spread and MAD = 0 are explained outcomes', async () => {
  const page = await lesson('z-score');
  await typeInto(page, '#field-data', '5, 5, 5, 5');
  assert(/undefined/i.test(await text(page, '#verdict')), await text(page, '#verdict'));
  await page.close();
  const mad = await lesson('mad', '#ex=mad-zero');
  assert(/MAD = 0/.test(await text(mad, '#verdict')), await text(mad, '#verdict'));
  noProblems(mad);
  await mad.close();
});

await test('the page survives a panic in the engine', async () => {
  const page = await lesson('mad');
  page.expectErrors = true;
  const thrown = await page.evaluate(() => {
    try {
      window.alertmath.engine.panicForTests();
      return 'no error';
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  });
  assert(/EngineCrash: .*deliberate panic/s.test(thrown), thrown);
  await page.waitForFunction(() => window.alertmath.engine.isReady());
  assertEqual(await page.evaluate(() => window.alertmath.engine.instance()), 1, 'a new instance');
  page.expectErrors = false;
  await typeInto(page, '#field-data', '1, 1, 2, 2, 4, 6, 9000');
  assert((await text(page, '.value[data-id="score_max"] dd')) === '6069.07', await text(page, '.value[data-id="score_max"] dd'));
  await page.close();
});

await test('the embed page shows the playground only, and works', async () => {
  const page = await openPage(browser, `${server.url}embed.html?lesson=iqr`);
  await page.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0);
  assert(await page.locator('#verdict').isVisible(), 'verdict');
  assertEqual(await page.locator('#intro').count(), 0, 'no prose');
  assert((await canvasPrint(page)).painted > 3000, 'plot');
  await page.setViewportSize({ width: 640, height: 900 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'embed.png'), fullPage: true });
  noProblems(page);
  await page.close();
});

await test('dark mode: the page and the plot follow the system, and the toggle', async () => {
  const page = await lesson('square-root-law', '', { colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assertEqual(bg, 'rgb(22, 26, 31)', 'dark page');
  const print = await canvasPrint(page);
  assert(print.corner.every((c) => c < 60), `dark plot background ${print.corner}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'square-root-law-dark.png'), fullPage: true });
  await page.locator('#theme-toggle').click(); // auto → light
  await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(255, 255, 255)');
  await page.waitForFunction(() => {
    const c = document.getElementById('plot');
    return c.getContext('2d').getImageData(0, 0, 1, 1).data[0] > 200;
  });
  noProblems(page);
  await page.close();
});

await test('every control has a label', async () => {
  for (const entry of index.lessons) {
    const page = await lesson(entry.id);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
      .map((el) => el.id || el.outerHTML.slice(0, 60)));
    assertEqual(unlabelled, [], `${entry.id}: unlabelled controls`);
    await page.close();
  }
});

await test('an unknown lesson says so', async () => {
  const page = await openPage(browser, `${server.url}lesson.html?lesson=nope`);
  page.expectErrors = true;
  await page.waitForSelector('#load-error:not([hidden])');
  assert(/no lesson/.test(await text(page, '#load-error')), await text(page, '#load-error'));
  await page.close();
});

// Topic files: e2e-*.mjs, in name order.
const ctx = { browser, server, lesson, openPage, test, assert, assertEqual, canvasPrint, typeInto, frames, nextFrame, text, noProblems, lessonJson, ARTIFACTS };
const here = path.dirname(new URL(import.meta.url).pathname);
for (const file of fs.readdirSync(here).filter((f) => /^e2e-.*\.mjs$/.test(f)).sort()) {
  const topic = await import(path.join(here, file));
  await topic.default(ctx);
}

await browser.close();
await server.close();
finish();
