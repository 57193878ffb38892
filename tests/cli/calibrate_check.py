# Used by the golden cases calibrate-*: `kimsim run` on the variant calibrate wrote gives the positions calibrate reported as apportioned:
# per observation of the scenario's year, a Kreis with the shares it passed on, a Gemeinde its own.
import csv
import sys

calibrated, allocation, baustein = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [r for r in csv.DictReader(open(allocation, encoding="utf-8")) if r["baustein"] == baustein]
checked = 0
for o in csv.DictReader(open(calibrated, encoding="utf-8")):
    if o["apportioned"] == "":
        continue
    ags = o["ags"]
    run = sum(float(r["positions"]) for r in rows if r["ags"] == ags or (len(ags) == 5 and r["ags"][:5] == ags and len(r["ags"]) == 8))
    if abs(run - float(o["apportioned"])) > 1e-9:
        sys.exit(f"{ags} {o['year']}: calibrate reported {o['apportioned']}, run gives {run}")
    checked += 1
print(f"kimsim run on the variant reproduces the {checked} apportioned positions")
