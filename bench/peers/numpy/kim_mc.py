#!/usr/bin/python3
"""A NumPy implementation of the KIM NRW 2021 model that kimsim simulates (peer benchmark).

Written from the model semantics (engine/model/allocate.cpp, engine/sim/replication.cpp) with the
inputs hard-wired to tests/data/kim-nrw-2021-fixed-staffing.yaml (checked against the YAML at start-up):

  1. the deterministic allocation (no uncertainty) is checked equal to kimsim's allocation.csv,
     positions and euros, row by row;
  2. N Monte Carlo replications, vectorised over replications (numpy's PCG64, not kimsim's Philox),
     are compared with kimsim's simulation.csv / summary.json: means within Monte Carlo error;
  3. both sides are timed (seconds per replication, one thread each).

Usage: kim_mc.py [--root DIR] [--kimsim PATH] [-n N] [--seed S] [--repeats K] [--md FILE]
Exit status 1 if the allocation differs or a mean lies outside 4 combined standard errors.
"""
import argparse
import csv
import io
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

# ------------------------------------------------------------------------------------------------
# The scenario (tests/data/kim-nrw-2021-fixed-staffing.yaml), as numbers. All money in cents, positions in halves.

RATE = 5_500_000                 # 55,000.00 EUR per VZÄ
HALF = RATE // 2                 # one half position
B1_BUDGET = 2_000_000_000
B2_BUDGET = 2_250_000_000
B3_BUDGET = 750_000_000
B1_HALVES = {"kreis": 7, "kreisfreie_stadt": 6, "gemeinde": 6}
B1_PER_GKST = 2
AACHEN = "05334002"
UNNA = "05978"
UNNA_MEMBERS = ["05978020", "05978004", "05978008"]   # Kamen, Bergkamen, Bönen
B2_BASE_HALVES = 6
UPTAKE = {"kreis": 0.97, "kreisfreie_stadt": 0.97, "gemeinde": 0.9}
START = (1.0, 4.0)               # uniform
FILL = (0.0, 2.0, 8.0)           # triangular min, mode, max
COST = (62000.0, 5000.0)         # normal mean, sd (EUR per VZÄ)
NOISE_SIGMA = 0.05               # lognormal(0, 0.05) on schutzsuchende


def check_scenario(path):
    """Fails loudly if the YAML no longer says what the constants above assume."""
    text = open(path, encoding="utf-8").read()
    needles = [
        "budget_eur: 20000000.00", "budget_eur: 22500000.00", "budget_eur: 7500000.00",
        "rate_per_vza_eur: 55000.00", 'include: ["05334002"]',
        "per_type: {kreis: 3.5, kreisfreie_stadt: 3.0, gemeinde: 3.0}", "per_member_flag: {gkst: 1.0}",
        "residual: split_by_key", "key: {population: 0.5, schutzsuchende: 0.5}", "base_vza: 3.0",
        "method: sainte-lague", 'kreis: "05978"', 'gemeinden: ["05978020", "05978004", "05978008"]',
        "minimum_vza: 0.5", "recipients: {flags: [abh]}", "key: {schutzsuchende: 1.0}", "min_vza: 0.5",
        "by_type: {kreis: 0.97, kreisfreie_stadt: 0.97, gemeinde: 0.9}", "non_applicants: lapse",
        "start_month: {dist: uniform, min: 1, max: 4}",
        "months_to_fill: {dist: triangular, min: 0, mode: 2, max: 8}",
        "cost_per_vza_eur: {dist: normal, mean: 62000, sd: 5000}",
        "schutzsuchende: {dist: lognormal, mu: 0, sigma: 0.05}",
    ]
    missing = [n for n in needles if n not in text]
    if missing:
        sys.exit("kim_mc.py: the scenario no longer matches this implementation: " + "; ".join(missing))


# ------------------------------------------------------------------------------------------------
# Data.

def read_csv(path):
    with open(path, encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("#")]
    return list(csv.DictReader(io.StringIO("".join(lines))))


class Regions:
    """The 53 Kreis-level units (file order), then the 396 Gemeinden (file order), as kimsim."""

    def __init__(self, data):
        kreise = read_csv(os.path.join(data, "nrw_kreise_2018.csv"))
        gemeinden = read_csv(os.path.join(data, "nrw_gemeinden_2018.csv"))
        schutz = {r["kreis_ags"]: float(r["schutzsuchende_total"])
                  for r in read_csv(os.path.join(data, "nrw_kreise_schutzsuchende_2024.csv"))}
        self.ags, self.name, self.type, self.status, self.pop, self.kreis = [], [], [], [], [], []
        for r in kreise:
            self.ags.append(r["ags"]); self.name.append(r["name"]); self.status.append("")
            self.type.append({"Kreis": "kreis", "Kreisfreie Stadt": "kreisfreie_stadt"}[r["type"]])
            self.pop.append(float(r["population"]))
        self.nk = len(self.ags)
        idx = {a: i for i, a in enumerate(self.ags)}
        for i in range(self.nk):
            self.kreis.append(i)
        for r in gemeinden:
            self.ags.append(r["ags"]); self.name.append(r["name"]); self.type.append("gemeinde")
            self.status.append(r["status"]); self.pop.append(float(r["population"]))
            self.kreis.append(idx[r["kreis_ags"]])
        self.index = {a: i for i, a in enumerate(self.ags)}
        self.pop = np.array(self.pop)
        self.kreis = np.array(self.kreis)
        n = len(self.ags)
        self.schutz = np.zeros(n)
        for a, v in schutz.items():
            self.schutz[idx[a]] = v
        for g in range(self.nk, n):   # split to Gemeinden by population (split_to_gemeinden)
            k = self.kreis[g]
            self.schutz[g] = self.schutz[k] * self.pop[g] / self.pop[k] if self.pop[k] > 0 else 0.0
        self.gkst = np.array([s == "große kreisangehörige Stadt" for s in self.status])


# ------------------------------------------------------------------------------------------------
# Apportionment.

def hamilton_exact(total, weights):
    """Largest remainder in exact integers; equal remainders go to the earlier recipient."""
    W = sum(weights)
    floors = [total * w // W for w in weights]
    rem = [total * w % W for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-rem[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def sainte_lague(w, house, lo=None):
    """Sainte-Laguë for a batch: w is (R, n) float64 weights (integers, exact in float64), house
    an int, lo an optional (n,) lower bound. Jump (a divisor estimate plus three secant
    re-jumps, all reps at once), then single steps where the sum is still off, each step
    vectorised over the replications that need it. Ties: the earlier recipient gains first and
    loses last (kimsim's 'order' policy)."""
    R, n = w.shape
    lo_ = np.zeros(n) if lo is None else np.asarray(lo, dtype=float)
    W = w.sum(axis=1, keepdims=True)
    D = W / house
    for _ in range(4):
        q = w / D
        a = np.floor(q)
        a += q > a + 0.5
        np.maximum(a, lo_, out=a)
        s = a.sum(axis=1, keepdims=True)
        offset = s - W / D
        target = house - offset
        D = np.where(target > 0.5, W / np.maximum(target, 0.5), D * 2.0)
    d = house - a.sum(axis=1)
    rows = np.arange(R)
    while True:
        up = np.nonzero(d > 0)[0]
        down = np.nonzero(d < 0)[0]
        if up.size == 0 and down.size == 0:
            break
        if up.size:
            j = np.argmax(w[up] / (a[up] + 0.5), axis=1)
            a[up, j] += 1
            d[up] -= 1
        if down.size:
            loss = np.where(a[down] > lo_, w[down] / (a[down] - 0.5), np.inf)
            j = n - 1 - np.argmin(loss[:, ::-1], axis=1)   # of equal losses, the later one gives
            a[down, j] -= 1
            d[down] += 1
    del rows
    return a.astype(np.int64)


# ------------------------------------------------------------------------------------------------
# The model.

class Model:
    def __init__(self, reg):
        self.reg = reg
        nk = reg.nk
        kreislevel = list(range(nk))
        self.b1 = kreislevel + [reg.index[AACHEN]]
        self.b2 = list(self.b1)
        self.b3 = kreislevel + [g for g in range(nk, len(reg.ags)) if reg.gkst[g]]
        self.unna = reg.index[UNNA]
        self.unna_members = [reg.index[a] for a in UNNA_MEMBERS]
        self.unna_row = self.b2.index(self.unna)
        # Carving: for a Kreis recipient, the member Gemeinden that are recipients of the same
        # Baustein. As matrices C (n x n): value = (C @ raw) with C = I - member incidence.
        self.C2 = self._carve(self.b2)
        self.C3 = self._carve(self.b3)
        # B1: fixed staffing + residual by positions (deterministic: no key).
        h = []
        for i in self.b1:
            x = B1_HALVES[reg.type[i]]
            if reg.type[i] != "gemeinde":
                for g in range(nk, len(reg.ags)):
                    if reg.kreis[g] == i and reg.gkst[g] and g not in self.b1:
                        x += B1_PER_GKST
            h.append(x)
        cents = [x * HALF for x in h]
        rest = B1_BUDGET - sum(cents)
        parts = hamilton_exact(rest, h) if rest > 0 else [0] * len(h)
        self.b1_halves = np.array(h, dtype=np.int64)
        self.b1_cents = np.array([c + p for c, p in zip(cents, parts)], dtype=np.int64)
        # B2: population shares are fixed (no noise on population).
        pop2 = np.maximum(self.C2 @ reg.pop[self.b2], 0.0)
        self.b2_pop_share = pop2 / pop2.sum()
        self.b2_units = B2_BUDGET // HALF
        self.b2_keyed = self.b2_units - B2_BASE_HALVES * len(self.b2)
        self.b3_units = B3_BUDGET // HALF
        # Rows of the allocation in kimsim's order: B1, B2, B2 pass-through, B3.
        self.rows = ([("B1", i) for i in self.b1] + [("B2", i) for i in self.b2] +
                     [("B2", g) for g in self.unna_members] + [("B3", i) for i in self.b3])
        self.row_region = np.array([r for _, r in self.rows])
        self.row_kreis = reg.kreis[self.row_region]
        # Regions with draws: every region of a row.
        self.active = np.unique(self.row_region)
        self.p_uptake = np.array([UPTAKE[reg.type[i]] for i in self.active])
        self.row_active = np.searchsorted(self.active, self.row_region)
        self.kreis_col = np.searchsorted(self.active, np.arange(nk))  # Kreis-level regions apply too
        assert (self.active[np.minimum(self.kreis_col, self.active.size - 1)] == np.arange(nk)).all(), \
            "every Kreis-level region must be a recipient (it has an uptake draw)"
        # A row passed on by a Kreis also lapses when that Kreis did not apply (its own region
        # otherwise): the Kreis' column in `present` for those rows.
        passer = np.array([self.unna if (b == "B2" and r in self.unna_members) else r for b, r in self.rows])
        self.row_passer = np.searchsorted(self.active, passer)

    def _carve(self, who):
        reg = self.reg
        n = len(who)
        C = np.eye(n)
        for k, i in enumerate(who):
            if reg.type[i] != "gemeinde":
                for m, g in enumerate(who):
                    if reg.type[g] == "gemeinde" and reg.kreis[g] == i:
                        C[k, m] = -1.0
        return C

    @staticmethod
    def _weights(shares):
        # llround(share * 1e12): integer weights, exact in float64 (< 2^53).
        return np.floor(shares * 1e12 + 0.5)

    def allocate(self, schutz):
        """schutz: (R, regions) perturbed protection seekers. Returns halves and cents (R, rows)."""
        R = schutz.shape[0]
        # B2: key = 0.5 pop share + 0.5 schutz share over the recipients (Kreis less Aachen).
        s2 = np.maximum(schutz[:, self.b2] @ self.C2.T, 0.0)
        s2 /= s2.sum(axis=1, keepdims=True)
        key2 = 0.5 * self.b2_pop_share + 0.5 * s2
        seats2 = sainte_lague(self._weights(key2), self.b2_keyed)
        h2 = seats2 + B2_BASE_HALVES
        # Pass-through from Kreis Unna by population, rounded half up, at least one half.
        hu = h2[:, self.unna_row].astype(float)
        pt = np.stack([np.maximum(1, np.floor(hu * self.reg.pop[g] / self.reg.pop[self.unna] + 0.5))
                       for g in self.unna_members], axis=1).astype(np.int64)
        h2[:, self.unna_row] -= pt.sum(axis=1)
        # B3: key = schutz share (Kreis less its große kreisangehörige Städte), min one unit.
        s3 = np.maximum(schutz[:, self.b3] @ self.C3.T, 0.0)
        s3 /= s3.sum(axis=1, keepdims=True)
        h3 = sainte_lague(self._weights(s3), self.b3_units, lo=np.ones(len(self.b3)))
        halves = np.concatenate([np.broadcast_to(self.b1_halves, (R, len(self.b1))), h2, pt, h3], axis=1)
        cents = halves * HALF
        cents[:, :len(self.b1)] = self.b1_cents
        return halves, cents

    def simulate(self, R, rng):
        """R replications at once. Returns per-row arrays (R, rows) and statewide (R,) arrays."""
        reg = self.reg
        A = self.active.size
        schutz = np.broadcast_to(reg.schutz, (R, reg.schutz.size)).copy()
        schutz[:, self.active] *= rng.lognormal(0.0, NOISE_SIGMA, size=(R, A))
        halves, cents = self.allocate(schutz)
        present = rng.random((R, A)) < self.p_uptake            # uptake: one draw per region
        lapsed = ~present[:, self.row_active] | ~present[:, self.row_passer]
        halves[lapsed] = 0
        cents[lapsed] = 0
        start = np.clip(np.floor(rng.uniform(*START, size=(R, A)) + 0.5), 1, 12)   # per region
        nrows = len(self.rows)
        fill = np.maximum(0, np.floor(rng.triangular(*FILL, size=(R, nrows)) + 0.5))  # per row
        months = np.clip(12 - (start[:, self.row_active] - 1) - fill, 0, 12).astype(np.int64)
        months[halves == 0] = 12
        out = cents * months // 12
        cost = np.floor(rng.normal(*COST, size=(R, nrows)) * 100.0 + 0.5).astype(np.int64)
        excess = np.maximum(0, cost - RATE)
        cofin = excess * halves * months // 24
        spent = out.sum(axis=1)
        filled = (halves * months).sum(axis=1)
        # Fairness over the Kreis-level territories (Gemeinde rows count for their Kreis) whose
        # Kreis-level region applied and received money; the others sort last as +inf.
        per = np.zeros((R, reg.nk))
        for k in range(reg.nk):
            per[:, k] = cents[:, self.row_kreis == k].sum(axis=1)
        counted = present[:, self.kreis_col] & (per > 0)
        m = counted.sum(axis=1)
        x = np.sort(np.where(counted, per / 100.0 / reg.pop[:reg.nk], np.inf), axis=1)
        x = np.where(np.isfinite(x), x, 0.0)
        tot = x.sum(axis=1)
        num = 2.0 * (x @ np.arange(1, reg.nk + 1)) - (m + 1) * tot
        gini = np.where(tot > 0, num / (np.maximum(m, 1) * np.where(tot > 0, tot, 1)), 0.0)
        lo, hi = x[:, 0], x[np.arange(R), np.maximum(m, 1) - 1]
        maxmin = np.minimum(np.where(lo > 0, hi / np.where(lo > 0, lo, 1), 0.0), 1e5)
        return dict(halves=halves, cents=cents, out=out, cofin=cofin,
                    spent=spent, filled=filled, gini=gini, maxmin=maxmin)


class Acc:
    """Running sums for means and standard deviations."""

    def __init__(self):
        self.n = 0
        self.s = {}
        self.q = {}

    def add(self, name, x):
        x = np.asarray(x, dtype=np.float64)
        self.s[name] = self.s.get(name, 0) + x.sum(axis=0)
        self.q[name] = self.q.get(name, 0) + (x * x).sum(axis=0)

    def mean(self, name):
        return self.s[name] / self.n

    def sd(self, name):
        m = self.mean(name)
        return np.sqrt(np.maximum(self.q[name] / self.n - m * m, 0) * self.n / max(self.n - 1, 1))


def nearest_rank(sorted_cols, p):
    """kimsim's nearest-rank quantile: the k-th smallest of n, k = ceil(p n)."""
    n = sorted_cols.shape[0]
    k = max(1, math.ceil(p * n - 1e-9))
    return sorted_cols[k - 1]


def run_mc(model, N, seed, chunk):
    """N replications in batches of `chunk`: means and sds of every per-row and statewide quantity,
    plus the nearest-rank p05/p50/p95 of positions and euros per row and of statewide spending
    (the same kinds of output as kimsim's simulation.csv / summary.json)."""
    rng = np.random.default_rng(seed)
    acc = Acc()
    done = 0
    keep_h, keep_c, keep_s = [], [], []
    while done < N:
        R = min(chunk, N - done)
        r = model.simulate(R, rng)
        keep_h.append(r["halves"].astype(np.int16))
        keep_c.append(r["cents"])
        keep_s.append(r["spent"])
        acc.add("positions", r["halves"] / 2.0)
        acc.add("euros", r["cents"] / 100.0)
        acc.add("outflow", r["out"] / 100.0)
        acc.add("cofin", r["cofin"] / 100.0)
        acc.add("nothing", r["cents"] == 0)
        acc.add("spent", r["spent"] / 100.0)
        acc.add("filled", r["filled"] / 24.0)
        acc.add("gini", r["gini"])
        acc.add("maxmin", r["maxmin"])
        acc.n += R
        done += R
    h = np.sort(np.concatenate(keep_h), axis=0)
    c = np.sort(np.concatenate(keep_c), axis=0)
    sp = np.sort(np.concatenate(keep_s))
    acc.quantiles = {f"positions_p{int(p*100):02d}": nearest_rank(h, p) / 2.0 for p in (0.05, 0.5, 0.95)}
    acc.quantiles.update({f"euros_p{int(p*100):02d}": nearest_rank(c, p) / 100.0 for p in (0.05, 0.5, 0.95)})
    acc.spent_quantiles = {f"p{int(p*100):02d}": nearest_rank(sp, p) / 100.0 for p in (0.05, 0.5, 0.95)}
    return acc


# ------------------------------------------------------------------------------------------------
# kimsim side.

def kimsim_allocation(kimsim, scenario):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([kimsim, "run", scenario, "--out", d], check=True, stdout=subprocess.DEVNULL)
        return read_csv(os.path.join(d, "allocation.csv"))


def kimsim_simulate(kimsim, scenario, N, repeats):
    """Runs `kimsim simulate -n N --threads 1 --quiet` `repeats` times; the outputs of the last run
    and all wall times."""
    times, cpu = [], []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(repeats):
            u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([kimsim, "simulate", scenario, "-n", str(N), "--threads", "1", "--quiet",
                            "--out", d], check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
            u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(u1.ru_utime - u0.ru_utime + u1.ru_stime - u0.ru_stime)
        rows = read_csv(os.path.join(d, "simulation.csv"))
        summary = json.load(open(os.path.join(d, "summary.json")))
    return rows, summary, times, cpu


def cents_of(text):
    m = re.fullmatch(r"(-?)(\d+)\.(\d\d)", text)
    v = int(m.group(2)) * 100 + int(m.group(3))
    return -v if m.group(1) else v


# ------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..", "..")))
    ap.add_argument("--kimsim", default=None)
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--chunk", type=int, default=5000, help="replications per vectorised batch")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of each side (median reported)")
    ap.add_argument("--md", default=None, help="write the report (Markdown) here")
    ap.add_argument("--command", default=None, help="the command line to print in the report")
    args = ap.parse_args()
    root = args.root
    kimsim = args.kimsim or os.path.join(root, "build", "kimsim")
    scenario = "tests/data/kim-nrw-2021-fixed-staffing.yaml"
    os.chdir(root)
    check_scenario(scenario)
    reg = Regions("scenarios/data")
    model = Model(reg)
    report = []
    say = lambda s="": (print(s), report.append(s))
    failed = False

    # 1. Deterministic allocation versus kimsim's allocation.csv.
    halves, cents = model.allocate(reg.schutz[None, :])
    mine = [(b, reg.ags[i], int(h), int(c)) for (b, i), h, c in zip(model.rows, halves[0], cents[0])]
    theirs = [(r["baustein"], r["ags"], round(float(r["positions"]) * 2), cents_of(r["euros"]))
              for r in kimsim_allocation(kimsim, scenario)]
    diff = [(m, t) for m, t in zip(mine, theirs) if m != t]
    if len(mine) != len(theirs):
        diff.append((f"{len(mine)} rows", f"{len(theirs)} rows"))
    say("## 1. Deterministic allocation (no uncertainty)")
    say()
    if diff:
        failed = True
        say(f"**MISMATCH** in {len(diff)} of {len(theirs)} rows (baustein, ags, halves, cents: numpy vs kimsim):")
        say()
        for m, t in diff[:30]:
            say(f"- {m} vs {t}")
    else:
        tot = {b: sum(c for bb, _, _, c in mine if bb == b) for b in ("B1", "B2", "B3")}
        say(f"All {len(theirs)} rows of kimsim's allocation.csv (same order) equal: positions and euros to the cent "
            f"per AGS and Baustein. Totals: B1 {tot['B1']/100:,.2f}, B2 {tot['B2']/100:,.2f}, "
            f"B3 {tot['B3']/100:,.2f} EUR; {sum(h for *_, h, _ in mine)/2:.1f} VZÄ.")
    say()

    # 2. Timing and Monte Carlo. One warm-up chunk first (imports, page faults), then timed runs.
    N = args.n
    run_mc(model, min(args.chunk, 1000), args.seed + 1, args.chunk)
    # The sides alternate (numpy, kimsim, numpy, kimsim, ...) so that a change in the machine's
    # load hits both alike; the first numpy run (seed --seed) gives the means compared below.
    np_times, np_cpu, k_times, k_cpu = [], [], [], []
    acc = None
    for k in range(args.repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        a = run_mc(model, N, args.seed + 100 * k, args.chunk)
        np_times.append(time.perf_counter() - t0)
        np_cpu.append(time.process_time() - c0)
        acc = acc or a
        k_rows, k_sum, kt, kc = kimsim_simulate(kimsim, scenario, N, 1)
        k_times += kt
        k_cpu += kc

    # Statewide quantities.
    y = k_sum["years"][0]
    stat = [("spent_eur", "spent", y["spent_eur"]),
            ("positions_filled_vza_years", "filled", y["positions_filled_vza_years"]),
            ("gini_euros_per_inhabitant", "gini", y["gini_euros_per_inhabitant"]),
            ("max_min_ratio_euros_per_inhabitant", "maxmin", y["max_min_ratio_euros_per_inhabitant"])]
    say(f"## 2. Monte Carlo means: numpy (N = {N:,}, PCG64 seed {args.seed}) vs kimsim (N = {k_sum['replications']:,}, Philox seed {k_sum['seed']})")
    say()
    say("Statewide, per replication; z = (numpy − kimsim) / sqrt(se_numpy² + se_kimsim²), pass if |z| ≤ 4.")
    say()
    say("| quantity | numpy mean | numpy sd | kimsim mean | kimsim sd | difference | z | |")
    say("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, key, ks in stat:
        m, s = acc.mean(key), acc.sd(key)
        km, ksd, kse = float(ks["mean"]), float(ks["sd"]), float(ks["standard_error"])
        se = s / math.sqrt(acc.n)
        z = (m - km) / math.hypot(se, kse)
        ok = abs(z) <= 4
        failed |= not ok
        say(f"| {label} | {m:,.4f} | {s:,.4f} | {km:,.4f} | {ksd:,.4f} | {m-km:+,.4f} | {z:+.2f} | {'ok' if ok else '**FAIL**'} |")
    # Total co-financing (no sd in kimsim's output: the numpy sd stands in for both sides).
    say()

    # Per row.
    kidx = {(r["baustein"], r["ags"]): r for r in k_rows}
    names = ["positions", "euros", "outflow", "cofin", "nothing"]
    kcol = {"positions": "positions_mean", "euros": "euros_mean", "outflow": "outflow_mean",
            "cofin": "cofinancing_mean", "nothing": "p_nothing"}
    ksdcol = {"positions": "positions_sd", "euros": "euros_sd"}
    kn = k_sum["replications"]
    zs = {q: [] for q in names}
    per_b = {}
    for j, (b, i) in enumerate(model.rows):
        kr = kidx[(b, reg.ags[i])]
        for q in names:
            m, s = acc.mean(q)[j], acc.sd(q)[j]
            km = float(kr[kcol[q]])
            if q in ksdcol:
                kse = float(kr[ksdcol[q]]) / math.sqrt(kn)
            elif q == "nothing":
                kse = math.sqrt(max(km * (1 - km), 1e-12) / kn)
            else:
                kse = s / math.sqrt(kn)   # kimsim writes no sd for this column
            se = s / math.sqrt(acc.n)
            den = math.hypot(se, kse)
            # Printed precision of kimsim's columns (cents, 4 decimals) as a floor on the error.
            den = max(den, 0.005 if q in ("euros", "outflow", "cofin") else 0.00005)
            z = (m - km) / den
            zs[q].append(z)
            per_b.setdefault((b, q), []).append((abs(z), m, km, reg.ags[i], reg.name[i]))
    say(f"Per allocation row ({len(model.rows)} rows: B1 54, B2 54 + 3 passed on by Unna, B3 88): "
        "largest |z| and the count beyond 3 and 4 standard errors. For outflow and co-financing kimsim "
        "writes no sd; numpy's sd stands in for both sides.")
    say()
    say("| quantity | Baustein | rows | max abs z | worst row (numpy / kimsim) | abs z > 3 | abs z > 4 |")
    say("|---|---|---:|---:|---|---:|---:|")
    for q in names:
        for b in ("B1", "B2", "B3"):
            lst = per_b[(b, q)]
            w = max(lst)
            n3 = sum(1 for t in lst if t[0] > 3)
            n4 = sum(1 for t in lst if t[0] > 4)
            failed |= n4 > 0
            fmt = (lambda v: f"{v:,.2f}") if q in ("euros", "outflow", "cofin") else (lambda v: f"{v:.4f}")
            say(f"| {kcol[q]} | {b} | {len(lst)} | {w[0]:.2f} | {w[3]} {w[4]}: {fmt(w[1])} / {fmt(w[2])} | {n3} | {n4} |")
    allz = np.abs(np.concatenate([np.array(v) for v in zs.values()]))
    say()
    say(f"All {allz.size} row-level comparisons: {int((allz > 2).sum())} beyond 2 se "
        f"(≈{0.0455*allz.size:.0f} expected by chance), {int((allz > 3).sum())} beyond 3 "
        f"(≈{0.0027*allz.size:.1f} expected), {int((allz > 4).sum())} beyond 4.")
    say()
    # Quantiles of positions (exact nearest rank on both sides): how many rows agree exactly.
    qs = ["positions_p05", "positions_p50", "positions_p95"]
    same = {q: sum(1 for j, (bb, i) in enumerate(model.rows)
                   if abs(acc.quantiles[q][j] - float(kidx[(bb, reg.ags[i])][q])) < 1e-9) for q in qs}
    say("Nearest-rank quantiles of positions per row, numpy equal to kimsim: " +
        ", ".join(f"{q} {same[q]}/{len(model.rows)}" for q in qs) +
        " (discrete values; a row can differ where its distribution function sits near 5/50/95 %). "
        f"Statewide spending p05/p50/p95, numpy: {acc.spent_quantiles['p05']:,.0f} / "
        f"{acc.spent_quantiles['p50']:,.0f} / {acc.spent_quantiles['p95']:,.0f} EUR; kimsim (floors to 1,000 EUR): "
        f"{float(y['spent_eur']['p05_floor']):,.0f} / {float(y['spent_eur']['p50_floor']):,.0f} / "
        f"{float(y['spent_eur']['p95_floor']):,.0f} EUR.")
    say()
    # B2 rows in full (euros_mean), the Baustein whose allocation itself varies with the noise.
    say("<details><summary>B2 rows: euros_mean and positions_mean, numpy vs kimsim</summary>")
    say()
    say("| ags | name | positions numpy | positions kimsim | euros numpy | euros kimsim | z(euros) |")
    say("|---|---|---:|---:|---:|---:|---:|")
    for j, (b, i) in enumerate(model.rows):
        if b != "B2":
            continue
        kr = kidx[(b, reg.ags[i])]
        k_ = j - len(model.b1)
        say(f"| {reg.ags[i]} | {reg.name[i]} | {acc.mean('positions')[j]:.4f} | {float(kr['positions_mean']):.4f} | "
            f"{acc.mean('euros')[j]:,.2f} | {float(kr['euros_mean']):,.2f} | {zs['euros'][j]:+.2f} |")
    say()
    say("</details>")
    say()

    # 3. Timing.
    np_med = float(np.median(np_times))
    k_med = float(np.median(k_times))
    np_per = np_med / N
    k_per = k_med / N
    say("## 3. Timing (one thread each, wall clock)")
    say()
    say("| side | what is timed | wall per run (s) | CPU per run (s) | median wall | per replication (median) | per replication (fastest run) |")
    say("|---|---|---|---|---:|---:|---:|")
    say(f"| numpy {np.__version__} | {N:,} replications in batches of {args.chunk:,}: draws, allocation, lapse, "
        f"hiring, means/sds and nearest-rank quantiles (data already loaded, one warm-up batch before) | "
        f"{', '.join(f'{t:.2f}' for t in np_times)} | {', '.join(f'{t:.2f}' for t in np_cpu)} | {np_med:.2f} s | "
        f"{np_per*1e6:,.1f} µs | {min(np_times)/N*1e6:,.1f} µs |")
    say(f"| kimsim | the whole `kimsim simulate -n {N} --threads 1 --quiet` process (start-up, loading, "
        f"output files included) | {', '.join(f'{t:.2f}' for t in k_times)} | "
        f"{', '.join(f'{t:.2f}' for t in k_cpu)} | {k_med:.2f} s | {k_per*1e6:,.1f} µs | {min(k_times)/N*1e6:,.1f} µs |")
    say()
    say("CPU ≈ wall on both sides: each ran on one core (numpy's BLAS limited to one thread by run.sh). "
        "The runs alternate: numpy, kimsim, numpy, kimsim, ... "
        "numpy computes B1 once (it draws nothing); kimsim re-runs the whole allocation in every replication.")
    say()
    say(f"Fastest runs: numpy / kimsim = {min(np_times) / min(k_times):.2f}.")
    say()
    say(f"**Time per replication (medians), numpy / kimsim = {np_per / k_per:.2f}** "
        + (f"(kimsim {np_per / k_per:.1f}× faster)." if np_per > k_per else f"(numpy {k_per / np_per:.2f}× faster)."))
    say()

    if args.md:
        cpu = ""
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        ver = subprocess.run([kimsim, "--version"], capture_output=True, text=True).stdout.strip()
        env = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE",
                                               "OPENBLAS_L2_SIZE")}
        head = [
            "# Peer comparison: kimsim vs a NumPy implementation of the KIM NRW 2021 Monte Carlo",
            "",
            "Same scenario (tests/data/kim-nrw-2021-fixed-staffing.yaml) and data on both sides; the NumPy model "
            "(bench/peers/numpy/kim_mc.py) is written from the model semantics, vectorised over "
            "replications, with numpy's own generator. See bench/peers/numpy/README.md for the method.",
            "",
            f"Result: deterministic allocation {'**differs**' if diff else 'identical (all rows)'}; "
            f"means {'**disagree** somewhere (see FAIL)' if failed else 'agree within Monte Carlo error'}; "
            f"numpy {np_per*1e6:,.1f} µs vs kimsim {k_per*1e6:,.1f} µs per replication: "
            f"time ratio numpy / kimsim **{np_per / k_per:.2f}** (fastest runs: "
            f"{min(np_times)/N*1e6:,.1f} vs {min(k_times)/N*1e6:,.1f} µs, {min(np_times) / min(k_times):.2f}).",
            "",
            "kimsim evaluates a precompiled allocation plan per replication (no allocation, no look-ups by "
            "name), draws from Philox4x32-10 (in batches on vector registers) with normal quantiles by AS 241, and recomputes fixed-staffing "
            "Bausteine only when who applies changes; the apportionment kernel is a few per cent of the "
            "time. NumPy draws whole arrays at once and does each step for all replications of a batch in "
            "one call, so it is far from the 30x a scalar Python model would trail by.",
            "",
        ]
        tail = [
            "## Machine and command",
            "",
            f"- command: `{args.command or ' '.join(sys.argv)}`",
            f"- CPU: {cpu}, {os.cpu_count()} logical CPUs; {platform.platform()}",
            f"- Python {platform.python_version()} ({sys.executable}), numpy {np.__version__}",
            f"- {ver}",
            f"- environment: " + ", ".join(f"{k}={v}" for k, v in env.items() if v is not None),
            f"- load average before/after: {os.environ.get('KIM_MC_LOAD_BEFORE', '?')} / "
            f"{' '.join(open('/proc/loadavg').read().split()[:3])}",
            f"- date (UTC): {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}",
            "",
        ]
        os.makedirs(os.path.dirname(os.path.abspath(args.md)), exist_ok=True)
        with open(args.md, "w", encoding="utf-8") as f:
            f.write("\n".join(head + report + tail))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
