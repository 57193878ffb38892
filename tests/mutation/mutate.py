#!/usr/bin/env python3
"""The mutation campaign: realistic one-line bugs, applied one at a time, each of which the fast
suite must notice. Mutants are listed in mutants.txt (see its head for the format).

  mutate.py --check             every mutant's original text occurs exactly once (seconds; in CI)
  mutate.py [--only ID,...]     the campaign: a git worktree of HEAD (plus uncommitted changes),
            [--keep DIR]        an incremental Release build, per mutant: apply, rebuild, run the
            [--record]          fast suite (unit, durability, cli, mpi; first failure stops), revert.
                                Prints the score and the survivors; --record writes SCORE.md.

Verdicts: killed (a test failed, or the suite ran past its time limit), survived, stale (the
original text no longer occurs exactly once: fix the list), no-build (the mutant does not compile:
fix the list), equivalent (argued in the list, not run). Score = killed / (all run - equivalent).
"""
import argparse, datetime, os, pathlib, shutil, signal, subprocess, sys, tempfile, time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SUITE = ["unit", "durability", "cli", "mpi"]  # cheapest first: most mutants die in the unit tests
BUILD_TIMEOUT, TEST_TIMEOUT = 900, 300


def parse(path):
    """Blocks separated by blank lines; 'key: value' lines; '#' lines are comments."""
    mutants, block = [], {}
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if block:
                mutants.append(block)
                block = {}
            continue
        key, sep, value = raw.partition(": ")
        if not sep or key not in ("id", "file", "from", "to", "why", "equivalent"):
            sys.exit(f"{path}: cannot read line: {raw!r}")
        block[key] = value
    for m in mutants:
        for k in ("id", "file", "from", "to", "why"):
            if k not in m:
                sys.exit(f"{path}: mutant {m.get('id', '?')} lacks '{k}'")
    ids = [m["id"] for m in mutants]
    if len(ids) != len(set(ids)):
        sys.exit(f"{path}: duplicate ids")
    return mutants


def occurrences(root, m):
    f = root / m["file"]
    return f.read_text(encoding="utf-8").count(m["from"]) if f.exists() else 0


def check(mutants):
    stale = [m for m in mutants if occurrences(ROOT, m) != 1]
    for m in stale:
        print(f"stale: {m['id']}: '{m['from']}' occurs {occurrences(ROOT, m)} times in {m['file']}")
    print(f"mutation list: {len(mutants)} mutants, {len(stale)} stale")
    return 0 if not stale else 1


def run(cmd, cwd, timeout):
    # A session of its own, killed whole at the time limit: killing ctest alone left a hung
    # mutant's test binary running, a core busy long after the campaign had ended.
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        kill_group(p)
        return None, "timeout"
    except BaseException:  # Ctrl-C no longer reaches a session of its own: take it down too
        kill_group(p)
        raise


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:  # the group had ended already
        pass
    p.communicate()


def campaign(mutants, keep, record):
    work = pathlib.Path(keep) if keep else pathlib.Path(tempfile.mkdtemp(prefix="kimsim-mutation-"))
    tree = work / "tree"
    commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()
    sha = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=ROOT, text=True).strip()
    if not tree.exists():
        subprocess.check_call(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT, stdout=subprocess.DEVNULL)
    else:  # a kept tree: brought to HEAD, its build folder (ignored by git) kept
        subprocess.check_call(["git", "reset", "-q", "--hard", sha], cwd=tree)
    diff = subprocess.check_output(["git", "diff", "HEAD", "--binary"], cwd=ROOT)
    if diff:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=tree, input=diff, check=True)
        commit += "-dirty"
    build = tree / "build"
    jobs = str(os.cpu_count() or 2)
    code, out = run(["cmake", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Release", "-DKIMSIM_BUILD_BENCH=OFF"], tree, 600)
    if code != 0:
        sys.exit("configure failed:\n" + out)
    code, out = run(["cmake", "--build", "build", "-j", jobs], tree, 3600)
    if code != 0:
        sys.exit("the unmutated tree does not build:\n" + out[-3000:])
    for t in SUITE:  # the suite must pass before it can judge mutants
        code, out = run(["ctest", "--test-dir", "build", "-R", f"^{t}$", "--output-on-failure"], tree, TEST_TIMEOUT)
        if code != 0:
            sys.exit(f"the unmutated tree fails '{t}':\n" + out[-3000:])
    results = []
    for i, m in enumerate(mutants, 1):
        start = time.time()
        if "equivalent" in m:
            verdict, by = "equivalent", m["equivalent"]
        elif occurrences(tree, m) != 1:
            verdict, by = "stale", f"'{m['from']}' occurs {occurrences(tree, m)} times"
        else:
            f = tree / m["file"]
            original = f.read_text(encoding="utf-8")
            f.write_text(original.replace(m["from"], m["to"]), encoding="utf-8")
            try:
                code, out = run(["cmake", "--build", "build", "-j", jobs], tree, BUILD_TIMEOUT)
                if code != 0:
                    verdict, by = "no-build", out.strip().splitlines()[-1] if out.strip() else "?"
                else:
                    verdict, by = "survived", ""
                    for t in SUITE:
                        code, out = run(["ctest", "--test-dir", "build", "-R", f"^{t}$"], tree, TEST_TIMEOUT)
                        if code != 0:
                            verdict, by = "killed", t if code is not None else f"{t} (timeout)"
                            break
            finally:
                f.write_text(original, encoding="utf-8")
                os.utime(f)  # newer than the mutant's objects: the next build recompiles it
        results.append((m, verdict, by))
        print(f"[{i}/{len(mutants)}] {m['id']}: {verdict} {by} ({time.time() - start:.0f} s)", flush=True)
    run(["cmake", "--build", "build", "-j", jobs], tree, BUILD_TIMEOUT)
    counted = [r for r in results if r[1] in ("killed", "survived")]
    killed = sum(r[1] == "killed" for r in results)
    score = 100.0 * killed / len(counted) if counted else 0.0
    print(f"\nscore: {killed}/{len(counted)} = {score:.1f} % (equivalent {sum(r[1] == 'equivalent' for r in results)}, "
          f"stale {sum(r[1] == 'stale' for r in results)}, no-build {sum(r[1] == 'no-build' for r in results)})")
    for m, v, by in results:
        if v in ("survived", "stale", "no-build"):
            print(f"  {v}: {m['id']} ({m['file']}): {m['why']}")
    if record:
        lines = [f"# Mutation score\n",
                 f"Last campaign: {datetime.date.today().isoformat()}, commit {commit}, `python3 tests/mutation/mutate.py --record`.\n",
                 f"**Score: {killed}/{len(counted)} = {score:.1f} %** (killed / (all run − argued equivalent)); "
                 f"{len(results)} mutants.\n",
                 "| mutant | file | verdict | killed by / why |", "|---|---|---|---|"]
        for m, v, by in results:
            lines.append(f"| {m['id']} | {m['file']} | {v} | {by or m['why']} |")
        (HERE / "SCORE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not keep:
        subprocess.call(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--only", help="comma-separated mutant ids")
    ap.add_argument("--keep", help="folder for the worktree and build, kept between campaigns")
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    mutants = parse(HERE / "mutants.txt")
    if a.check:
        return check(mutants)
    if a.only:
        wanted = set(a.only.split(","))
        unknown = wanted - {m["id"] for m in mutants}
        if unknown:
            sys.exit(f"unknown mutant ids: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m["id"] in wanted]
    return campaign(mutants, a.keep, a.record)


if __name__ == "__main__":
    sys.exit(main())
