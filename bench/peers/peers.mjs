// Peer comparison: kimsim vs the npm packages sainte-lague@3.0.0 and hare-niemeyer@3.0.0.
//
// Reads the JSON written by kimsim_export_instances (the 64 instances of bench/instances.hpp,
// kimsim's seats for both methods and kimsim's timings), runs each package on every instance,
// checks its seats equal kimsim's exactly (exit 1 otherwise), then times it and prints a
// Markdown table with the ratio package / kimsim.
//
// Usage: node peers.mjs INSTANCES.json [--sl-passes N] [--hn-passes N] [--no-nonzero]
//
// Statistic (same as the exporter): one pass apportions all 64 instances once; the pass time / 64
// is one sample; the figure is the median sample. The verification pass is also the warm-up
// (JIT) and is not timed.
//
// Two input variants per package:
//   full     all 450 recipients, zero weights included (both packages accept 0 votes and give 0
//            seats); these are exactly the instances kimsim is timed on.
//   nonzero  only the recipients with a positive weight (about 70 %), compared with kimsim's
//            seats for those recipients and timed against kimsim on the same compacted weights.
import fs from 'node:fs'
import process from 'node:process'
import { createRequire } from 'node:module'
import sainteLague from 'sainte-lague'
import hareNiemeyer from 'hare-niemeyer'

const require = createRequire(import.meta.url)
const version = name => require(`${name}/package.json`).version

const args = process.argv.slice(2)
if (args.length < 1) {
  console.error('usage: node peers.mjs INSTANCES.json [--sl-passes N] [--hn-passes N] [--no-nonzero]')
  process.exit(2)
}
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number.parseInt(args[i + 1], 10) : dflt
}
const slPasses = opt('--sl-passes', 25)
const hnPasses = opt('--hn-passes', 3)
const withNonzero = !args.includes('--no-nonzero')

const data = JSON.parse(fs.readFileSync(args[0], 'utf8'))
const house = data.house
const instances = data.instances

// Votes objects keyed by party name, as the packages' READMEs use them. Built once, outside the
// timed region; `index` maps each key back to the recipient's position in the instance.
const makeVotes = (weights, nonzeroOnly) => {
  const votes = {}
  const index = []
  weights.forEach((w, i) => {
    if (nonzeroOnly && w === 0) return
    if (!Number.isSafeInteger(w)) throw new Error(`weight ${w} is not a safe integer`)
    votes[`p${i}`] = w
    index.push(i)
  })
  return { votes, index }
}

const variants = { full: instances.map(w => makeVotes(w, false)) }
if (withNonzero) variants.nonzero = instances.map(w => makeVotes(w, true))

const peers = [
  {
    name: 'sainte-lague',
    method: 'sainte-lague',
    // opt.draw false (the default): throws on an ambiguous tie instead of drawing at random.
    run: votes => sainteLague(votes, house, { draw: false }),
    passes: slPasses,
  },
  {
    name: 'hare-niemeyer',
    method: 'hamilton',
    // draw = false: a tie comes back as fractional seats (rejected below) instead of going
    // through the package's draw path.
    run: votes => hareNiemeyer(votes, house, false),
    passes: hnPasses,
  },
]

// ---- verification: every instance, every variant, exact equality with kimsim -----------------
let failures = 0
const fail = msg => {
  failures++
  if (failures <= 20) console.error(`MISMATCH ${msg}`)
}
for (const peer of peers) {
  const expected = data.seats[peer.method]
  for (const [variant, list] of Object.entries(variants)) {
    list.forEach(({ votes, index }, k) => {
      let got
      try {
        got = peer.run(votes)
      } catch (e) {
        fail(`${peer.name} ${variant} instance ${k}: threw ${e.message}`)
        return
      }
      const keys = Object.keys(got)
      if (keys.length !== index.length) {
        fail(`${peer.name} ${variant} instance ${k}: ${keys.length} entries, expected ${index.length}`)
      }
      let total = 0
      for (const i of index) {
        const s = got[`p${i}`]
        if (!Number.isInteger(s) || s !== expected[k][i]) {
          fail(`${peer.name} ${variant} instance ${k} recipient ${i} (weight ${instances[k][i]}): ` +
               `package ${s}, kimsim ${expected[k][i]}`)
        }
        total += s
      }
      if (total !== house) fail(`${peer.name} ${variant} instance ${k}: seats sum to ${total}, not ${house}`)
      // Recipients left out of the nonzero variant must have 0 seats in kimsim.
      if (variant === 'nonzero') {
        instances[k].forEach((w, i) => {
          if (w === 0 && expected[k][i] !== 0) fail(`kimsim gave ${expected[k][i]} seats to zero-weight recipient ${i}`)
        })
      }
    })
    console.error(`verified ${peer.name} (${variant}): ${list.length} instances`)
  }
}
if (failures > 0) {
  console.error(`FAILED: ${failures} mismatches between the npm packages and kimsim; no timings taken`)
  process.exit(1)
}

// ---- timing -----------------------------------------------------------------------------------
const median = v => {
  const s = [...v].sort((a, b) => a - b)
  const n = s.length
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
}
let sink = 0
const timePeer = (peer, list) => {
  const samples = []
  for (let p = 0; p < peer.passes; p++) {
    const t0 = process.hrtime.bigint()
    for (const { votes } of list) sink += peer.run(votes).p0 ?? 1
    const t1 = process.hrtime.bigint()
    samples.push(Number(t1 - t0) / list.length) // ns per apportionment
  }
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), passes: samples.length }
}

const fmt = ns => ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`
const rows = []
for (const peer of peers) {
  for (const [variant, list] of Object.entries(variants)) {
    const t = timePeer(peer, list)
    const kim = data.timing_ns[variant][peer.method]
    rows.push({ peer, variant, t, kim })
    console.error(`timed ${peer.name} (${variant}): median ${fmt(t.median)} over ${t.passes} passes`)
  }
}
if (sink === 0.5) console.error('') // keep the results observable

console.log(`Instances: ${instances.length} × n = ${data.recipients} recipients (≈70 % nonzero), house h = ${house}; ` +
            `kimsim ${data.kimsim_version} (commit ${data.kimsim_commit}), ` +
            `sainte-lague ${version('sainte-lague')}, hare-niemeyer ${version('hare-niemeyer')}, node ${process.version}.`)
console.log('All package outputs equal kimsim\'s seats exactly on every instance and variant (checked before timing).')
console.log('')
console.log('| package | input | median per apportionment | (min – max over passes) | passes | kimsim median | ratio package / kimsim | kimsim, allocating API | ratio vs allocating |')
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|')
for (const { peer, variant, t, kim } of rows) {
  console.log(`| ${peer.name} ${version(peer.name)} | ${variant} | ${fmt(t.median)} | ${fmt(t.min)} – ${fmt(t.max)} | ${t.passes} | ` +
              `${fmt(kim.workspace)} | ${Math.round(t.median / kim.workspace).toLocaleString('en-US')}× | ` +
              `${fmt(kim.allocating)} | ${Math.round(t.median / kim.allocating).toLocaleString('en-US')}× |`)
}
console.log('')
console.log(`kimsim medians: ${data.rounds} rounds over the same instances, all eight configurations interleaved per round (C++, Release build); ` +
            '"kimsim median" is the hot-loop form (caller-owned seats and Workspace), ' +
            '"allocating" the convenience form apportion(rule, weights, house).')
