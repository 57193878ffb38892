// report.html in a real browser (Debian's chromium, driven through the DevTools protocol by
// puppeteer-core): each report loads without a console error or a network request, the numbers
// of its main tables read back from the DOM equal those of the CSV beside it, sorting and the
// search box work, and the print layout (A4 PDF) keeps every table row whole on one page and
// inside the right margin. A screenshot of each report lands under results/browser/.
//
//   node check.mjs CHROMIUM SCREENSHOT_DIR KIND:DIR [KIND:DIR ...]     KIND: run, compare, simulate, sweep, calibrate
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const [chromium, shots, ...reports] = process.argv.slice(2);
let failures = 0;
const fail = (what) => { failures++; console.log(`FAIL ${what}`); };
const check = (ok, what) => { if (!ok) fail(what); return ok; };

/** RFC 4180 CSV: rows of cells, with the header as keys. */
function csv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]])));
}

/** A number as the page shows it ("1.234,50 €", "−0,5", "+3,0") back in the CSV's form ("1234.50"). */
function plain(shown, lang) {
  let s = shown.replace(/[\s\u00a0€%]/g, '').replace('−', '-').replace(/^\+/, '');
  s = lang === 'de' ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
  return s;
}

/** Words of each page of a PDF with their boxes (pdftotext -bbox, poppler-utils). */
function pdfWords(pdf) {
  const xml = execFileSync('pdftotext', ['-bbox', pdf, '-'], { maxBuffer: 1 << 28 }).toString();
  const pages = [];
  for (const m of xml.matchAll(/<page width="([\d.]+)" height="([\d.]+)">([\s\S]*?)<\/page>/g)) {
    const words = [];
    for (const w of m[3].matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g))
      words.push({ x0: +w[1], y0: +w[2], x1: +w[3], y1: +w[4], t: w[5].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"') });
    pages.push({ width: +m[1], height: +m[2], words });
  }
  return pages;
}

/** Every tbody row of the page's tables whole on one page of the PDF and inside the right margin. */
async function checkPrint(page, name, rightMarginPt) {
  const dir = mkdtempSync(join(tmpdir(), 'kimsim-pdf-'));
  const pdf = join(dir, `${name}.pdf`);
  await page.pdf({ path: pdf, format: 'A4', printBackground: true, preferCSSPageSize: true });
  // The rows' heights as printed: the page's content box (A4 less the margins of 12 mm) in CSS px.
  const viewport = page.viewport();
  await page.setViewport({ width: Math.floor((210 - 24) / 25.4 * 96), height: 1000 });
  await page.emulateMediaType('print');
  const rows = await page.evaluate(() => Array.from(document.querySelectorAll('main table tbody tr'))
    .filter((r) => !r.hidden)
    .map((r) => ({ words: r.innerText.split(/\s+/).filter((w) => w), h: r.getBoundingClientRect().height, table: r.closest('table').id || r.closest('table').className })));
  // Nothing wider than the printable width (Chromium would shrink such a page to fit, or clip).
  const wide = await page.evaluate(() => Array.from(document.querySelectorAll('main table, main svg, main figure'))
    .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => e.id || e.tagName));
  check(wide.length === 0, `${name}: every table and chart fits the printable width of A4 (too wide: ${wide.slice(0, 5).join(', ')})`);
  await page.emulateMediaType(null);
  await page.setViewport(viewport);
  const pages = pdfWords(pdf);
  rmSync(dir, { recursive: true, force: true });
  check(pages.length > 0, `${name}: the PDF has pages`);
  // A word of the row must stand on the page in the row's band: from its first word down by the
  // row's height (px to pt: 0.75). A word broken at a hyphen may stand as its parts.
  const index = pages.map((p) => { const m = new Map(); for (const w of p.words) for (const t of w.t.split(/\s+/)) { if (!m.has(t)) m.set(t, []); m.get(t).push(w); } return m; });
  let bad = 0;
  for (const r of rows) {
    const band = r.h * 0.75 + 4;
    let whole = false;
    for (let p = 0; p < pages.length && !whole; p++) {
      for (const start of index[p].get(r.words[0]) ?? []) {
        const near = (t) => (index[p].get(t) ?? []).some((w) => w.y0 >= start.y0 - 3 && w.y0 <= start.y0 + band && w.x1 <= pages[p].width - rightMarginPt + 1);
        if (r.words.every((t) => near(t) || t.split(/(?<=-)/).every(near))) { whole = true; break; }
      }
    }
    if (!whole && bad++ < 5) fail(`${name}: a row of ${r.table} is not whole on one page inside the margins: ${r.words.join(' ')}`);
  }
  check(bad === 0, `${name}: ${bad} of ${rows.length} table rows split or clipped in the PDF`);
  console.log(`${name}: print: ${rows.length} table rows on ${pages.length} A4 pages, ${bad} split or clipped`);
}

/** The column index of a table's header with this text. */
const column = (page, table, header) => page.$eval(table, (t, h) => Array.from(t.tHead.rows[0].cells).findIndex((c) => c.textContent.trim() === h), header);

async function cellTexts(page, table, col) {
  return page.$eval(table, (t, c) => Array.from(t.tBodies[0].rows).map((r) => r.cells[c].textContent), col);
}

/** Sorting: a click on a numeric column's header sorts by it ascending, a second descending. */
async function checkSort(page, name, table, header, lang) {
  const col = await column(page, table, header);
  if (!check(col >= 0, `${name}: ${table} has the column ${header}`)) return;
  const button = await page.$(`${table} thead th:nth-child(${col + 1}) button`);
  if (!check(button, `${name}: ${table} ${header} has a sort button`)) return;
  for (const dir of ['ascending', 'descending']) {
    await button.click();
    const v = (await cellTexts(page, table, col)).map((s) => parseFloat(plain(s, lang)));
    const sorted = v.every((x, i) => i === 0 || (dir === 'ascending' ? v[i - 1] <= x : v[i - 1] >= x));
    check(sorted && v.length > 1, `${name}: ${table} sorted ${dir} by ${header}`);
    const aria = await page.$eval(`${table} thead th:nth-child(${col + 1})`, (th) => th.getAttribute('aria-sort'));
    check(aria === dir, `${name}: ${table} ${header} says aria-sort=${dir} (${aria})`);
  }
}

/** The search box: a query leaves only the rows that contain it, and clearing it shows all again. */
async function checkSearch(page, name, query, expectAgs) {
  const count = () => page.$$eval('table.filterable tbody tr', (rs) => [rs.length, rs.filter((r) => !r.hidden).length]);
  const [all] = await count();
  await page.type('#q', query);
  const [, shown] = await count();
  const visible = await page.$$eval('table.filterable tbody tr', (rs) => rs.filter((r) => !r.hidden).map((r) => r.getAttribute('data-q')));
  check(shown > 0 && shown < all, `${name}: search '${query}' shows ${shown} of ${all} rows`);
  check(visible.every((q) => q.includes(query.toLowerCase())), `${name}: every row shown for '${query}' contains it`);
  const agsShown = await page.$$eval('table.filterable tbody tr', (rs) => rs.filter((r) => !r.hidden).map((r) => r.getAttribute('data-ags')));
  for (const a of expectAgs) check(agsShown.includes(a), `${name}: search '${query}' shows ${a}`);
  await page.$eval('#q', (q) => { q.value = ''; q.dispatchEvent(new Event('input')); });
  const [, again] = await count();
  check(again === all, `${name}: clearing the search shows all ${all} rows (${again})`);
  console.log(`${name}: search '${query}': ${shown} of ${all} rows`);
}

async function checkRun(page, dir, lang) {
  const rows = csv(readFileSync(join(dir, 'allocation.csv'), 'utf8'));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  const tables = await page.$$eval('table.recipients', (ts) => ts.map((t) => t.getAttribute('data-baustein')));
  check(tables.length === summary.bausteine.length, `run: a table per Baustein (${tables.length})`);
  let compared = 0;
  for (const b of tables) {
    const sel = `#t-${b}`;
    const want = rows.filter((r) => r.baustein === b);
    const cols = {};
    for (const [k, h] of Object.entries({ vza: lang === 'de' ? 'VZÄ' : 'FTE (VZÄ)', euro: lang === 'de' ? 'Euro' : 'Euros', share: lang === 'de' ? 'Schlüsselanteil' : 'Key share', ags: 'AGS' }))
      cols[k] = await column(page, sel, h);
    const got = await page.$eval(sel, (t, c) => Array.from(t.tBodies[0].rows).map((r) => ({ ags: r.cells[c.ags].textContent, vza: r.cells[c.vza].textContent, euro: r.cells[c.euro].textContent, share: r.cells[c.share].textContent })), cols);
    check(got.length === want.length, `run: ${b}: ${got.length} rows in the page, ${want.length} in allocation.csv`);
    for (let i = 0; i < Math.min(got.length, want.length); i++) {
      const g = got[i], w = want[i];
      const ok = g.ags === w.ags && plain(g.vza, lang) === w.positions && plain(g.euro, lang) === w.euros &&
        Math.abs(parseFloat(plain(g.share, lang)) - 100 * parseFloat(w.key_share)) <= 0.0005 + 1e-9;
      if (!check(ok, `run: ${b} row ${i + 1}: page ${JSON.stringify(g)} vs CSV ${w.ags} ${w.positions} ${w.euros} ${w.key_share}`)) break;
      compared++;
    }
    const foot = await page.$eval(sel, (t) => Array.from(t.tFoot.rows[0].cells).map((c) => c.textContent));
    const bj = summary.bausteine.find((x) => x.id === b);
    check(plain(foot[cols.euro], lang) === bj.allocated_eur, `run: ${b}: the total ${foot[cols.euro]} is summary.json's ${bj.allocated_eur}`);
  }
  for (const [id, key] of [['h-budget', 'budget_eur'], ['h-allocated', 'allocated_eur'], ['h-unallocated', 'unallocated_eur']]) {
    const shown = await page.$eval(`#${id}`, (e) => e.firstChild.textContent);
    check(plain(shown, lang) === summary[key], `run: headline ${id} ${shown} is summary.json's ${summary[key]}`);
  }
  console.log(`run: ${compared} rows of allocation.csv equal the page's tables`);
  // The Baustein with the most recipients (B2 in the baseline).
  const largest = tables.map((b) => [b, rows.filter((r) => r.baustein === b).length]).sort((x, y) => y[1] - x[1])[0][0];
  await checkSort(page, 'run', `#t-${largest}`, lang === 'de' ? 'Euro' : 'Euros', lang);
  await checkSort(page, 'run', `#t-${largest}`, lang === 'de' ? 'VZÄ' : 'FTE (VZÄ)', lang);
  await checkSearch(page, 'run', 'Unna', ['05978', '05978020']);
  await checkSearch(page, 'run', 'Kamen', ['05978020']);
}

async function checkCompare(page, dir, lang) {
  const rows = csv(readFileSync(join(dir, 'compare_territories.csv'), 'utf8'));
  const data = JSON.parse(await page.$eval('#data', (e) => e.textContent));
  const variant = data.scenarios[1].name;
  const got = await page.$eval('#t-changes', (t) => Array.from(t.tBodies[0].rows).map((r) => ({ ags: r.getAttribute('data-ags'), cells: Array.from(r.cells).map((c) => c.textContent) })));
  // Per territory, all Bausteine together: the sums of compare_territories.csv.
  const want = new Map();
  for (const r of rows) {
    if (!want.has(r.ags)) want.set(r.ags, { base: 0n, variant: 0n });
    const cents = BigInt(r.euros.replace('.', ''));
    if (r.scenario === data.scenarios[0].name) want.get(r.ags).base += cents;
    if (r.scenario === variant) want.get(r.ags).variant += cents;
  }
  const euroCols = await page.$eval('#t-changes', (t) => Array.from(t.tHead.rows[0].cells).map((c) => c.getAttribute('data-col')));
  const [cb, cv, cd] = ['base', 'variant', 'delta'].map((k) => euroCols.indexOf(k));
  let compared = 0;
  for (const g of got) {
    const w = want.get(g.ags);
    const cents = (s) => BigInt(plain(s, lang).replace('.', ''));
    const ok = w && cents(g.cells[cb]) === w.base && cents(g.cells[cv]) === w.variant && cents(g.cells[cd]) === w.variant - w.base;
    if (!check(ok, `compare: territory ${g.ags}: page ${g.cells.join(' | ')} vs CSV ${w && w.base}/${w && w.variant}`)) break;
    compared++;
  }
  check(got.length === want.size, `compare: ${got.length} territories in the page, ${want.size} in compare_territories.csv`);
  console.log(`compare: ${compared} territories equal the sums of compare_territories.csv`);
  await checkSort(page, 'compare', '#t-changes', lang === 'de' ? 'Δ Euro' : 'Δ euros', lang);
  await checkSearch(page, 'compare', 'Unna', ['05978']);
  if (data.monte_carlo) await checkCompareMC(page, dir, lang, data);
}

/** compare --replications: the movers' cells are compare_mc.csv's, the variance ratios compare.json's. */
async function checkCompareMC(page, dir, lang, data) {
  const rows = csv(readFileSync(join(dir, 'compare_mc.csv'), 'utf8'));
  const byKey = new Map(rows.map((r) => [`${r.variant}:${r.year}:${r.ags}:${r.baustein}`, r]));
  const got = await page.$$eval('table.mc', (ts) => ts.flatMap((t) => Array.from(t.tBodies[0].rows).map((r) => ({ key: r.getAttribute('data-key'), cells: Array.from(r.cells).map((c) => ({ col: c.getAttribute('data-col'), text: c.textContent })) }))));
  let compared = 0;
  for (const g of got) {
    const w = byKey.get(g.key);
    if (!check(w, `compare: Monte Carlo row ${g.key} is in compare_mc.csv`)) break;
    let ok = true;
    for (const c of g.cells) {
      if (!c.col) continue;
      const shown = plain(c.text, lang), expect = w[c.col];
      ok &&= c.col.startsWith('p_') ? Math.abs(parseFloat(shown) / 100 - parseFloat(expect)) < 5e-5 + 1e-12 : shown === expect;
      if (!ok) { fail(`compare: Monte Carlo ${g.key} ${c.col}: page ${c.text} vs CSV ${expect}`); break; }
    }
    if (!ok) break;
    compared++;
  }
  check(got.length === data.monte_carlo.top_movers.length && got.length > 0, `compare: ${got.length} Monte Carlo rows in the page, ${data.monte_carlo.top_movers.length} movers in the data`);
  const json = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')).monte_carlo;
  const ratios = await page.$eval('#t-variance-ratio', (t) => Array.from(t.tBodies[0].rows).map((r) => Array.from(r.cells).map((c) => c.textContent)));
  check(ratios.length === json.variance_ratio.length, `compare: ${ratios.length} variance ratios in the page, ${json.variance_ratio.length} in compare.json`);
  ratios.forEach((r, i) => {
    const w = json.variance_ratio[i];
    const same = (shown, v) => (v === null ? shown === '–' : Math.abs(parseFloat(plain(shown, lang)) - v) <= 5e-5 + 1e-12);
    check(w && r[0] === w.variant && +r[1] === w.year && r[2] === w.baustein && same(r[3], w.euros) && same(r[4], w.positions),
      `compare: variance ratio ${r.join(' | ')} is compare.json's ${JSON.stringify(w)}`);
  });
  console.log(`compare: ${compared} Monte Carlo rows equal compare_mc.csv, ${ratios.length} variance ratios compare.json's`);
  await checkSort(page, 'compare', '#t-mc-1', lang === 'de' ? 'Median Δ Euro' : 'Median Δ euros', lang);
}

async function checkSimulate(page, dir, lang) {
  // Per recipient the page shows the first and the last year (the rest is in the CSV alone).
  const data = JSON.parse(await page.$eval('#data', (e) => e.textContent));
  const shownYears = new Set(data.slots.map((s) => String(s.year)));
  const rows = csv(readFileSync(join(dir, 'simulation.csv'), 'utf8')).filter((r) => shownYears.has(r.year));
  const got = await page.$$eval('table.sim', (ts) => ts.flatMap((t) => Array.from(t.tBodies[0].rows).map((r) => ({ key: r.getAttribute('data-key'), cells: Array.from(r.cells).map((c) => ({ col: c.getAttribute('data-col'), text: c.textContent })) }))));
  const byKey = new Map(rows.map((r) => [`${r.baustein}:${r.year}:${r.ags}`, r]));
  let compared = 0;
  for (const g of got) {
    const w = byKey.get(g.key);
    if (!check(w, `simulate: ${g.key} is in simulation.csv`)) break;
    let ok = true;
    for (const c of g.cells) {
      if (!c.col) continue;
      const shown = plain(c.text, lang);
      const expect = w[c.col];
      ok &&= c.col.startsWith('p_') ? Math.abs(parseFloat(shown) / 100 - parseFloat(expect)) < 5e-5 + 1e-12 : shown === expect;
      if (!ok) { fail(`simulate: ${g.key} ${c.col}: page ${c.text} vs CSV ${expect}`); break; }
    }
    if (!ok) break;
    compared++;
  }
  check(got.length === rows.length, `simulate: ${got.length} rows in the page, ${rows.length} in simulation.csv`);
  console.log(`simulate: ${compared} rows of simulation.csv equal the page's tables`);
  await checkSort(page, 'simulate', 'table.sim', lang === 'de' ? 'Median VZÄ' : 'Median FTE (VZÄ)', lang);
  await checkSearch(page, 'simulate', 'Unna', ['05978']);
}

async function checkSweep(page, dir, lang) {
  // Every point of sweep.csv a row of the page, each cell its column's value (data-v holds it as
  // written, the text as shown in the page's language); the headline's counts are the summary's.
  const rows = csv(readFileSync(join(dir, 'sweep.csv'), 'utf8'));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  const cols = await page.$$eval('#t-points thead th', (ths) => ths.map((th) => th.getAttribute('data-col')));
  const got = await page.$$eval('#t-points tbody tr', (rs) => rs.map((r) => Array.from(r.cells).map((c) => c.textContent)));
  check(got.length === rows.length, `sweep: ${got.length} points in the page, ${rows.length} in sweep.csv`);
  let compared = 0;
  for (let i = 0; i < got.length; i++) {
    let ok = true;
    cols.forEach((col, k) => {
      if (!ok || col === 'status' || col === 'message') return;
      const shown = plain(got[i][k], lang), expect = rows[i][col];
      if (shown !== expect) { ok = false; fail(`sweep: point ${i} ${col}: page ${got[i][k]} vs CSV ${expect}`); }
    });
    if (!ok) break;
    compared++;
  }
  for (const key of ['points', 'ok', 'refused'])
    check(plain(await page.$eval(`#h-${key}`, (e) => e.textContent), lang) === String(summary[key]), `sweep: the headline's ${key} is summary.json's ${summary[key]}`);
  const best = await page.$$eval('#t-best-worst tbody tr', (rs) => rs.map((r) => [r.getAttribute('data-metric'), r.querySelector('[data-col=best]').textContent]));
  for (const [metric, text] of best)
    check(plain(text, lang) === summary.best_and_worst[metric].best.value, `sweep: best ${metric} ${text} is summary.json's ${summary.best_and_worst[metric].best.value}`);
  console.log(`sweep: ${compared} points of sweep.csv equal the page's table; ${best.length} best values summary.json's`);
  await checkSort(page, 'sweep', '#t-points', lang === 'de' ? 'Stellen (VZÄ)' : 'Positions (FTE, VZÄ)', lang);
}

async function checkCalibrate(page, dir, lang) {
  // Every observation of calibrate.csv a row of the page, each cell its column's value: numbers as
  // shown (in the page's language) back in the CSV's form, a kind or treatment by its code (data-v;
  // the text is said in the page's language), text as written; the weights and the fit's MAE are
  // calibrate.json's.
  const rows = csv(readFileSync(join(dir, 'calibrate.csv'), 'utf8'));
  const cal = JSON.parse(readFileSync(join(dir, 'calibrate.json'), 'utf8'));
  const cols = await page.$$eval('#t-observations thead th', (ths) => ths.map((th) => th.getAttribute('data-col')));
  const got = await page.$$eval('#t-observations tbody tr', (rs) => rs.map((r) => Array.from(r.cells).map((c) => [c.textContent, c.getAttribute('data-v'), c.classList.contains('n')])));
  check(got.length === rows.length, `calibrate: ${got.length} observations in the page, ${rows.length} in calibrate.csv`);
  check(cols.length === Object.keys(rows[0] ?? {}).length, `calibrate: the table has calibrate.csv's ${Object.keys(rows[0] ?? {}).length} columns (${cols.length})`);
  let compared = 0;
  for (let i = 0; i < got.length; i++) {
    let ok = true;
    cols.forEach((col, k) => {
      if (!ok) return;
      const [text, v, numeric] = got[i][k];
      const shown = col === 'kind' || col === 'treatment' ? v : numeric ? plain(text, lang) : text;
      if (shown !== rows[i][col]) { ok = false; fail(`calibrate: observation ${i} ${col}: page ${text} vs CSV ${rows[i][col]}`); }
    });
    if (!ok) break;
    compared++;
  }
  const weights = await page.$$eval('#t-weights tbody tr', (rs) => rs.map((r) => [r.getAttribute('data-indicator'), r.cells[2].textContent]));
  for (const w of cal.weights) {
    const row = weights.find(([indicator]) => indicator === w.indicator);
    check(row && plain(row[1], lang) === w.written, `calibrate: the weight of ${w.indicator} reads ${row?.[1]}, calibrate.json writes ${w.written}`);
  }
  const mae = plain(await page.$eval('#h-mae', (e) => e.textContent.replace(/[^\d,.−-]/g, '')), lang);
  check(mae === cal.fit.mae.toFixed(2), `calibrate: the headline's MAE ${mae} is calibrate.json's ${cal.fit.mae.toFixed(2)}`);
  check(await page.$eval('#h-variant', (e) => e.textContent) === cal.variant, `calibrate: the headline names the variant ${cal.variant}`);
  console.log(`calibrate: ${compared} observations of calibrate.csv equal the page's table; ${cal.weights.length} weights calibrate.json's`);
  await checkSort(page, 'calibrate', '#t-observations', lang === 'de' ? 'beobachtet (VZÄ)' : 'observed (VZÄ)', lang);
}

let browser;
try {
  browser = await puppeteer.launch({
    executablePath: chromium, headless: true, timeout: 60000,
    // --no-sandbox: Chromium's sandbox refuses to run as root (CI runs as root).
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions'],
  });
} catch (e) {
  console.log(`CHROMIUM-DID-NOT-START ${e.message.split('\n')[0]}`);
  process.exit(77);
}
mkdirSync(shots, { recursive: true });
try {
  for (const spec of reports) {
    const [kind, dirArg] = [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)];
    const dir = resolve(dirArg);
    const file = join(dir, 'report.html');
    const url = pathToFileURL(file).href;
    const size = statSync(file).size;
    check(size < 2 * 1024 * 1024, `${kind}: report.html is ${size} bytes, under 2 MB`);
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1600 });
    const errors = [], requests = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
    page.on('requestfailed', (r) => { if (r.url() !== url) requests.push(`${r.url()} (failed)`); });
    await page.goto(url, { waitUntil: 'load' });
    const data = JSON.parse(await page.$eval('#data', (e) => e.textContent));
    const lang = await page.$eval('html', (h) => h.lang);
    check(data.kind === kind, `${kind}: the data island is a ${kind} report (${data.kind})`);
    // Every chart names itself and says where its numbers are.
    const charts = await page.$$eval('svg', (ss) => ss.map((s) => [s.id, !!s.querySelector('title')?.textContent, !!s.querySelector('desc')?.textContent, s.getAttribute('role')]));
    for (const [id, title, desc, role] of charts) check(title && desc && role === 'img', `${kind}: chart ${id} has a title, a text alternative and role=img`);
    if (kind === 'run') await checkRun(page, dir, lang);
    else if (kind === 'compare') await checkCompare(page, dir, lang);
    else if (kind === 'simulate') await checkSimulate(page, dir, lang);
    else if (kind === 'sweep') await checkSweep(page, dir, lang);
    else if (kind === 'calibrate') await checkCalibrate(page, dir, lang);
    else fail(`unknown report kind ${kind}`);
    // The top of the page as a reader first sees it (scrolled to the top, the sorting undone by
    // a reload, a viewport as tall as the picture so that the sticky search box stays in place).
    await page.setViewport({ width: 1280, height: 2400 });
    await page.reload({ waitUntil: 'load' });
    await page.screenshot({ path: join(shots, `${kind}.png`) });
    await checkPrint(page, kind, 12 * 72 / 25.4);
    check(errors.length === 0, `${kind}: no console error (${errors.join('; ')})`);
    check(requests.length === 0, `${kind}: no network request (${requests.join(', ')})`);
    console.log(`${kind}: ${size} bytes, ${charts.length} charts, ${errors.length} console errors, ${requests.length} requests; screenshot ${join(shots, `${kind}.png`)}`);
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(failures ? `browser: ${failures} failures` : 'browser: all checks passed');
process.exit(failures ? 1 : 0);
