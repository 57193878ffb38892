#!/usr/bin/env python3
"""Turns Google Benchmark JSON (with repetitions) into the markdown record in results/bench/:
medians, and ratios to BM_Reference measured in the same run."""
import json
import sys

data = json.load(open(sys.argv[1]))
med = {b["run_name"]: b["real_time"] for b in data["benchmarks"] if b.get("aggregate_name") == "median"}
unit = {b["run_name"]: b["time_unit"] for b in data["benchmarks"]}
ref = med.get("BM_Reference/floor_w_c/n450")
ctx = data["context"]
print(f"- date: {ctx['date']}; host: {ctx['host_name']}; {ctx['num_cpus']} CPUs at {ctx['mhz_per_cpu']} MHz;"
      f" build: {ctx.get('library_build_type', '?')} (Google Benchmark library)")
print()
print("| benchmark | median | ratio to BM_Reference | target |")
print("|---|---:|---:|---|")
targets = {"BM_Apportion/cents/n450_2250000000": "≤ 2 µs", "BM_Replication/kim_nrw_2021": "≤ 15 µs",
           "BM_Biproportional/sainte-lague/50_per_col/300/iterations:3": "≤ 2 s",
           "BM_LoadRegions/1000000/real_time": "≤ 3 s"}
for name, t in med.items():
    ns = t * {"ns": 1, "us": 1e3, "ms": 1e6}[unit[name]]
    shown = (f"{ns / 1e9:.2f} s" if ns >= 1e9 else f"{ns / 1e6:.1f} ms" if ns >= 1e6
             else f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns")
    ratio = f"{ns / ref:.1f}" if ref and name.startswith("BM_Apportion") else ""
    target = targets.get(name, "≤ 3 µs, ratio ≤ 5" if name.startswith("BM_Apportion") else "")
    print(f"| `{name}` | {shown} | {ratio} | {target} |")
