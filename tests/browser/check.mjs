// Loads each HTML report given in headless Chromium, in the light and the dark colour scheme,
// and fails when the page logs an error, requests anything from anywhere, or draws two pieces
// of chart text over each other. Writes a full-page screenshot of each to OUT_DIR.
//   node check.mjs OUT_DIR report.html [report.html ...]
import { chromium } from 'playwright-core';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error('usage: node check.mjs OUT_DIR report.html [report.html ...]');
  process.exit(2);
}
// As root and without network: no sandbox, and none of Chromium's own background requests.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failures = 0;
let checks = 0;
let failed = 0;
for (const file of files) {
  const url = pathToFileURL(resolve(file)).href;
  const backgrounds = [];
  for (const colorScheme of ['light', 'dark']) {
    const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => { if (r.url() !== url) problems.push(`request: ${r.url()}`); });
    await page.goto(url, { waitUntil: 'load' });
    // Every pair of text elements in a chart whose boxes intersect (more than half a pixel).
    const overlaps = await page.evaluate(() => {
      const found = [];
      for (const svg of document.querySelectorAll('svg.chart')) {
        const boxes = [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }));
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i].r, b = boxes[j].r;
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 0.5 && h > 0.5) found.push(`"${boxes[i].text}" and "${boxes[j].text}" in "${svg.getAttribute('aria-label')}"`);
          }
        }
      }
      return found;
    });
    problems.push(...overlaps.map((o) => `overlapping text: ${o}`));
    const charts = await page.locator('svg.chart').count();
    if (charts === 0) problems.push('no chart');
    backgrounds.push(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
    const shot = `${outDir}/${basename(file, '.html')}-${colorScheme}.png`;
    await page.screenshot({ path: shot, fullPage: true });
    // The first screen alone, as a README shows it.
    await page.screenshot({ path: shot.replace(/\.png$/, '-top.png') });
    for (const p of problems) console.error(`FAIL ${file} (${colorScheme}): ${p}`);
    failures += problems.length;
    console.log(`${problems.length ? 'FAIL' : 'PASS'} ${basename(file)} (${colorScheme}): ${charts} charts, ${problems.length} problems, screenshot ${shot}`);
    checks++;
    if (problems.length) failed++;
    await context.close();
  }
  if (backgrounds[0] === backgrounds[1]) {
    console.error(`FAIL ${file}: the light and dark schemes have the same background (${backgrounds[0]})`);
    failures++;
  }
}
await browser.close();
// The closing line .ci/run counts.
console.log(`${checks - failed} passed, ${failed} failed`);
process.exit(failures ? 1 : 0);
