// The what-if page of `kimsim serve` in a real browser (Debian's chromium through puppeteer-core):
// the page loads without a console error or a request to another host, the B2 rate typed in
// German form (57.000,00) and a key weight moved update the table (the key's other weight follows:
// the key's fields sum to exactly 1), and the table's numbers equal `kimsim run` of the variant
// the page saves; the chart is the report's SVG; a year chosen gives the table of `kimsim run` of
// its saved variant (with --year and without); clicking a row shows its trace.
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
  // The key's weights as the page's fields show them (German decimals), in thousandths: exactly 1.
  const keyFields = await page.evaluate(() => [...document.querySelectorAll('#controls .ctl')]
    .filter((row) => row.firstChild.textContent.startsWith('bausteine[B2].positions_by_key.key.'))
    .map((row) => row.querySelector('input[type=text]').value));
  const thousandths = keyFields.map((f) => Math.round(Number(f.replace(/\./g, '').replace(',', '.')) * 1000));
  check(keyFields.length === 2 && thousandths.reduce((a, b) => a + b, 0) === 1000 && thousandths.includes(300) && thousandths.includes(700),
    'the key weights do not sum to 1 after one moved: ' + keyFields.join(' + '));
  check(JSON.parse(patch)['bausteine[B2].positions_by_key.key.schutzsuchende'] === '0.700', 'the other weight did not follow: ' + patch);
  // The chart is the report's diverging SVG.
  check(await page.evaluate(() => !!document.querySelector('#chart svg#c-diverging-1 rect')), 'no diverging chart of the report on the page');
  // The variant the page saves, run by kimsim run: the same euros per recipient and Baustein.
  const cents = (s) => Math.round(Number(s.replace(/\./g, '').replace(',', '.')) * 100);
  // (`given`: a variant file of the folder instead of the one the page saves.)
  const sameAsRun = async (rowsShown, label, args = [], given = null) => {
    let file = given && join(work, 'scenarios', given);
    if (!file) {
      const saved = await page.evaluate(async () => await api('/api/variant', { scenario: current.name, year, patch }));
      file = join(work, 'scenarios', saved.file);
      writeFileSync(file, saved.yaml);
    }
    const out = join(work, 'run-' + label);
    execFileSync(kimsim, ['run', file, '--out', out, ...args]);
    const sum = new Map();
    for (const line of readFileSync(join(out, 'allocation.csv'), 'utf8').trim().split('\n').slice(1)) {
      const m = line.match(/^(\d+),.*?,(B\d),[\d.]+,([\d.]+),/);
      if (m) sum.set(m[1] + m[2], (sum.get(m[1] + m[2]) ?? 0) + Math.round(Number(m[3]) * 100));
    }
    const shown = new Map();
    for (const r of rowsShown) shown.set(r[0] + r[2], (shown.get(r[0] + r[2]) ?? 0) + cents(r[4]));
    let same = 0;
    for (const [k, v] of sum) if (shown.get(k) === v) same++;
    check(sum.size > 100 && same === sum.size, `${label}: the page's euros equal kimsim run of the saved variant in ${same} of ${sum.size} rows`);
    return [same, sum.size];
  };
  const [same, size] = await sameAsRun(after, 'moved');
  // A click on Unna's B2 row shows its trace.
  await page.evaluate(() => { for (const r of document.querySelectorAll('#table tr.r')) if (r.children[0].textContent === '05978' && r.children[2].textContent === 'B2') { r.click(); break; } });
  await page.waitForFunction(() => document.querySelector('#explain').textContent.includes('05978'));
  // Another year: its controls, its table, and `kimsim run` (plain and --year) of its saved variant.
  const rowsBefore = JSON.stringify(await table());
  await page.select('#year', '2023');
  await page.waitForFunction((b) => JSON.stringify([...document.querySelectorAll('#table tr.r')].map((r) => [...r.children].map((c) => c.textContent))) !== b, {}, rowsBefore);
  await new Promise((r) => setTimeout(r, 300));
  await page.evaluate(() => {
    for (const row of document.querySelectorAll('#controls .ctl'))
      if (row.firstChild.textContent === 'bausteine[B2].positions_by_key.key.population') {
        const s = row.querySelector('input[type=range]'); s.value = '0.6'; s.dispatchEvent(new Event('input'));
      }
  });
  await new Promise((r) => setTimeout(r, 800));
  const in2023 = await table();
  check(await page.evaluate('year') === 2023, 'the year 2023 was not chosen');
  await sameAsRun(in2023, 'year-2023');
  await sameAsRun(in2023, 'year-2023-with-year', ['--year', '2023']);
  // A shipped variant reopened from the folder's variants/: its base, year and patch, and the
  // table equal to `kimsim run` of the file itself.
  const rows2023 = JSON.stringify(in2023);
  await page.select('#reopen', 'rate-57000');
  await page.waitForFunction((b) => JSON.stringify([...document.querySelectorAll('#table tr.r')].map((r) => [...r.children].map((c) => c.textContent))) !== b, {}, rows2023);
  await new Promise((r) => setTimeout(r, 300));
  check(await page.evaluate('current.name + " " + year + " " + patch["bausteine[B2].rate_per_vza_eur"]') === 'kim-nrw-2021 2021 57000.00',
    'the reopened variant did not set its base, year and rate: ' + await page.evaluate('current.name + " " + year + " " + JSON.stringify(patch)'));
  await sameAsRun(await table(), 'reopened', [], join('variants', 'rate-57000.yaml'));
  console.log(`serve page: ${after.length} rows, ${same} of ${size} equal to kimsim run; 2023: ${in2023.length} rows; reopened rate-57000`);
} catch (e) {
  check(false, String(e));
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
