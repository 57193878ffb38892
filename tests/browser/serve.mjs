// The what-if page of `kimsim serve` in a real browser (Debian's chromium through puppeteer-core):
// the page loads without a console error or a request to another host, the B2 rate typed in
// German form (57.000,00) and a key weight moved update the table, and the table's numbers equal
// `kimsim run` of the variant the page saves; clicking a row shows its trace.
//
//   node serve.mjs CHROMIUM KIMSIM ROOT
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const [chromium, kimsim, root] = process.argv.slice(2);
let failures = 0;
const check = (ok, what) => { if (!ok) { failures++; console.log(`FAIL ${what}`); } return ok; };
const work = mkdtempSync(join(tmpdir(), 'kimsim-serve-'));
cpSync(join(root, 'scenarios'), join(work, 'scenarios'), { recursive: true });
const server = spawn(kimsim, ['serve', 'scenarios', '--port', '0'], { cwd: work });
const url = await new Promise((ok, bad) => {
  let out = '';
  server.stdout.on('data', (d) => { out += d; const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//); if (m) ok(m[0]); });
  server.on('exit', () => bad(new Error('kimsim serve exited: ' + out)));
});
let browser;
try {
  browser = await puppeteer.launch({ executablePath: chromium, headless: 'new', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') check(false, 'console error: ' + m.text()); });
  page.on('request', (r) => check(r.url().startsWith(url), 'a request to another host: ' + r.url()));
  await page.goto(url, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#table tr.r');
  const table = () => page.$$eval('#table tr.r', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
  const before = await table();
  // The B2 rate typed in German form into the number field beside its slider; a key weight slider moved.
  const setField = async (path, text) => {
    await page.evaluate((p, v) => {
      for (const row of document.querySelectorAll('#controls .ctl'))
        if (row.firstChild.textContent === p) { const f = row.querySelector('input[type=text]'); f.value = v; f.dispatchEvent(new Event('change')); }
    }, path, text);
  };
  await setField('bausteine[B2].rate_per_vza_eur', '57.000,00');
  await page.evaluate(() => {
    for (const row of document.querySelectorAll('#controls .ctl'))
      if (row.firstChild.textContent === 'bausteine[B2].positions_by_key.key.population') {
        const s = row.querySelector('input[type=range]'); s.value = '0.3'; s.dispatchEvent(new Event('input'));
      }
  });
  await page.waitForFunction(() => document.querySelector('#summary').textContent.match(/[1-9]/));
  await new Promise((r) => setTimeout(r, 500));
  const after = await table();
  check(JSON.stringify(after) !== JSON.stringify(before), 'the table did not change after the controls moved');
  const patch = await page.evaluate('JSON.stringify(patch)');
  check(JSON.parse(patch)['bausteine[B2].rate_per_vza_eur'] === '57000.00', 'the German input was not read as 57000.00: ' + patch);
  // The variant the page saves, run by kimsim run: the same euros per recipient and Baustein.
  const saved = await page.evaluate(async () => (await fetch('/api/variant', { method: 'POST', body: JSON.stringify({ scenario: current.name, patch }) })).json());
  const file = join(work, 'scenarios', saved.file);
  writeFileSync(file, saved.yaml);
  execFileSync(kimsim, ['run', file, '--out', join(work, 'run')]);
  const cents = (s) => Math.round(Number(s.replace(/\./g, '').replace(',', '.')) * 100);
  const sum = new Map();
  for (const line of readFileSync(join(work, 'run', 'allocation.csv'), 'utf8').trim().split('\n').slice(1)) {
    const m = line.match(/^(\d+),.*?,(B\d),[\d.]+,([\d.]+),/);
    if (m) sum.set(m[1] + m[2], (sum.get(m[1] + m[2]) ?? 0) + Math.round(Number(m[3]) * 100));
  }
  const shown = new Map();
  for (const r of after) shown.set(r[0] + r[2], (shown.get(r[0] + r[2]) ?? 0) + cents(r[4]));
  let same = 0;
  for (const [k, v] of sum) if (shown.get(k) === v) same++;
  check(sum.size > 100 && same === sum.size, `the page's euros equal kimsim run of the saved variant in ${same} of ${sum.size} rows`);
  // A click on Unna's B2 row shows its trace.
  await page.evaluate(() => { for (const r of document.querySelectorAll('#table tr.r')) if (r.children[0].textContent === '05978' && r.children[2].textContent === 'B2') { r.click(); break; } });
  await page.waitForFunction(() => document.querySelector('#explain').textContent.includes('05978'));
  console.log(`serve page: ${after.length} rows, ${same} of ${sum.size} equal to kimsim run`);
} catch (e) {
  check(false, String(e));
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
