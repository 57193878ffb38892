// The measurement of bench/serve_page.sh: `kimsim serve ROOT/scenarios` and its page in chromium
// (puppeteer-core, pinned in tests/browser), N moves of the B2 rate slider and N of a B2 key
// weight slider, alternating, each timed in the page from the input event (dispatched by the
// timing code) to the table rebuilt with the answer (a MutationObserver on #table: it runs once
// the page's render() has drawn the whole table). Each move waits for the previous answer, so
// every time is one change alone, as a planner sees it; the request's share (fetch to the
// answer's last byte, from the Resource Timing entry) is shown apart.
//
//   node serve_page.mjs CHROMIUM KIMSIM ROOT N
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [chromium, kimsim, root, count] = process.argv.slice(2);
const n = Number(count);
// The browser tests' pinned puppeteer-core, resolved from their folder.
const puppeteer = createRequire(join(root, 'tests', 'browser', 'package.json'))('puppeteer-core');

const server = spawn(kimsim, ['serve', join(root, 'scenarios'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((ok, bad) => {
  let out = '';
  server.stdout.on('data', (d) => { out += d; const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//); if (m) ok(m[0]); });
  server.on('exit', () => bad(new Error('kimsim serve exited: ' + out)));
});
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]; };
let browser;
try {
  browser = await puppeteer.launch({ executablePath: chromium, headless: 'new', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#table tr.r');
  // One move of the slider at `path` to `value`: [input event to table, the request's own time].
  const move = (path, value) => page.evaluate((p, v) => new Promise((done, fail) => {
    const table = document.getElementById('table');
    const slider = [...document.querySelectorAll('#controls .ctl')].find((row) => row.firstChild.textContent === p)?.querySelector('input[type=range]');
    if (!slider) return fail(new Error('no slider for ' + p));
    const seen = performance.getEntriesByType('resource').length;
    const observer = new MutationObserver(() => {
      const shown = performance.now() - t0;
      observer.disconnect();
      const asked = performance.getEntriesByType('resource').slice(seen).filter((e) => e.name.endsWith('/api/evaluate'));
      const last = asked[asked.length - 1];
      done([shown, last ? last.responseEnd - last.startTime : NaN]);
    });
    observer.observe(table, { childList: true });
    const t0 = performance.now();
    slider.value = v;
    slider.dispatchEvent(new Event('input'));
  }), path, value);
  const rate = 'bausteine[B2].rate_per_vza_eur', weight = 'bausteine[B2].positions_by_key.key.population';
  const times = { rate: [], weight: [] }, request = [];
  const pause = () => new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 5; i++) { await move(rate, String(55000 + 2 * i)); await pause(); }  // warm-up, not counted
  for (let i = 0; i < n; i++) {
    // Rates from 50,000 to 59,998 EUR in even cents, weights from 0.200 to 0.799: each move a new value.
    const [r, rq] = await move(rate, String(50000 + ((i * 7919) % 5000) * 2));
    await pause();
    const [w, wq] = await move(weight, (0.2 + ((i * 37) % 600) / 1000).toFixed(3));
    await pause();
    times.rate.push(r); times.weight.push(w); request.push(rq, wq);
  }
  const error = await page.evaluate(() => document.getElementById('err').textContent);
  if (error) throw new Error('the page shows an error: ' + error);
  const row = (label, xs) => `| ${label} | ${xs.length} | ${[0.5, 0.95, 0.99].map((q) => quantile(xs, q).toFixed(1)).join(' | ')} | ${Math.max(...xs).toFixed(1)} |`;
  console.log('| change | count | p50 ms | p95 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(row('B2 rate slider: input event to table', times.rate));
  console.log(row('B2 key weight slider (the key\'s other weight follows): input event to table', times.weight));
  console.log(row('both', [...times.rate, ...times.weight]));
  console.log(row('of which the request /api/evaluate (fetch to its last byte)', request.filter((x) => !Number.isNaN(x))));
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
}
