import { serve, launch, openPage } from './harness.mjs';
const server = await serve(); const browser = await launch();
const shots = process.argv.slice(2);
for (const s of shots) {
  const [lesson, ex] = s.split(':');
  const page = await openPage(browser, `${server.url}lesson.html?lesson=${lesson}${ex ? '#ex=' + ex : ''}`);
  await page.waitForFunction(() => window.alertmath && window.alertmath.perf.good > 0);
  await page.waitForTimeout(300);
  const el = page.locator('#plot');
  await el.screenshot({ path: `/tmp/plot-${lesson}-${ex || 'first'}.png` });
  const res = page.locator('.results, #verdict').first();
  await page.screenshot({ path: `/tmp/top-${lesson}-${ex || 'first'}.png`, clip: await (async () => { const b = await page.locator('#verdict').boundingBox(); return { x: 0, y: b.y - 20, width: 1280, height: 900 }; })() });
  await page.close();
}
await browser.close(); await server.close();
