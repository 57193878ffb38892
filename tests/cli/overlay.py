#!/usr/bin/env python3
"""A case's scenario as a shared base plus the lines that differ (tests/cli/run.sh).

Most golden cases run a scenario that differs from one of a few bases in a line or two. Such a
case holds NAME.patch instead of the file NAME; the runner writes NAME next to the case's other
files before it runs the command, so the command (and every file:line:column in its messages)
sees the whole scenario. A patch reads like a unified diff without line numbers:

    base: small                  the base: tests/cli/bases/small.yaml
    @@                           a hunk; text after @@ is a note and ignored
         recipients: {...}       ' ' a line of the base kept (context)
    -    budget_eur: 1000000.00  '-' a line of the base removed
    +    budget_eur: -1.00       '+' a line put in its place

The context and removed lines of a hunk must occur exactly once, one after the other, in the
base: a hunk never applies at a guessed place. A hunk with only '+' lines, first in the patch,
puts them at the top (a comment saying what the case is about). Hunks apply in the order of the
base. Everything is bytes: a line is written exactly as it stands after its first character.

    overlay.py PATCH [OUTPUT]    write the scenario of PATCH to OUTPUT (default: standard output)
    overlay.py --beside PATCH... write each next to its patch (the runner, in its copy of the cases)
    overlay.py --make BASE FILE  print a patch of FILE over tests/cli/bases/BASE.yaml (a new case,
                                 or a scenario edited in a merge: write it whole, then patch it)
"""
import difflib
import pathlib
import sys

BASES = pathlib.Path(__file__).resolve().parent / "bases"


class PatchError(Exception):
    pass


def parse(patch: bytes, name: str):
    """(base name, hunks); a hunk is (old lines, new lines, line number of its first line)."""
    lines = patch.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines or not lines[0].startswith(b"base: "):
        raise PatchError(f"{name}:1: the first line must be 'base: NAME'")
    base = lines[0][len(b"base: "):].decode().strip()
    hunks = []
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith(b"@@"):
            hunks.append(([], [], number))
            continue
        if not hunks:
            raise PatchError(f"{name}:{number}: a hunk starts with a line '@@'")
        kind, text = line[:1], line[1:]
        old, new, _ = hunks[-1]
        if kind == b" ":
            old.append(text)
            new.append(text)
        elif kind == b"-":
            old.append(text)
        elif kind == b"+":
            new.append(text)
        else:
            raise PatchError(f"{name}:{number}: a hunk line starts with ' ', '-' or '+'")
    return base, hunks


def apply(base: bytes, hunks, name: str) -> bytes:
    lines = base.split(b"\n")
    final_newline = lines[-1] == b""
    if final_newline:
        lines.pop()
    out, at = [], 0  # at: the first base line not yet copied
    for k, (old, new, number) in enumerate(hunks):
        if not old:
            if k != 0:
                raise PatchError(f"{name}:{number}: only the first hunk may be without base lines (it goes on top)")
            out.extend(new)
            continue
        places = [i for i in range(len(lines) - len(old) + 1) if lines[i:i + len(old)] == old]
        if len(places) != 1:
            what = "is not in" if not places else f"occurs {len(places)} times in"
            raise PatchError(f"{name}:{number}: the hunk's base lines ({old[0].decode(errors='replace')!r}...) {what} the base;"
                             " give more context")
        if places[0] < at:
            raise PatchError(f"{name}:{number}: the hunk applies before the one above it; keep hunks in the base's order")
        out.extend(lines[at:places[0]])
        out.extend(new)
        at = places[0] + len(old)
    out.extend(lines[at:])
    return b"\n".join(out) + (b"\n" if final_newline else b"")


def scenario(patch_path: pathlib.Path) -> bytes:
    base, hunks = parse(patch_path.read_bytes(), str(patch_path))
    base_path = BASES / f"{base}.yaml"
    if not base_path.is_file():
        raise PatchError(f"{patch_path}:1: no base '{base}' (tests/cli/bases/{base}.yaml)")
    return apply(base_path.read_bytes(), hunks, str(patch_path))


def make(base_name: str, target: bytes) -> bytes:
    """The shortest patch of `target` over the base: each hunk with as little context as makes its
    base lines stand once (a hunk of additions gets the line above it), checked by applying it."""
    base = (BASES / f"{base_name}.yaml").read_bytes()
    a, b = base.split(b"\n"), target.split(b"\n")
    if a.pop() != b"" or b.pop() != b"":
        raise PatchError("the base and the file must end with a line feed")
    text = b"base: " + base_name.encode() + b"\n"
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = after = 0
        while not (i1 == i2 == 0 and text.count(b"@@") == 0):  # additions on top need no context
            old = a[i1 - before:i2 + after]
            if old and sum(a[i:i + len(old)] == old for i in range(len(a) - len(old) + 1)) == 1:
                break
            if i1 - before > 0:
                before += 1
            elif i2 + after < len(a):
                after += 1
            else:
                raise PatchError("no context makes a hunk stand once")
        text += b"@@\n" + b"".join(b" " + x + b"\n" for x in a[i1 - before:i1])
        text += b"".join(b"-" + x + b"\n" for x in a[i1:i2]) + b"".join(b"+" + x + b"\n" for x in b[j1:j2])
        text += b"".join(b" " + x + b"\n" for x in a[i2:i2 + after])
    if apply(base, parse(text, "made")[1], "made") != target:
        raise PatchError("the patch made does not give the file back")
    return text


def main(argv):
    if len(argv) == 4 and argv[1] == "--make":
        try:
            sys.stdout.buffer.write(make(argv[2], pathlib.Path(argv[3]).read_bytes()))
        except PatchError as e:
            sys.stderr.write(f"overlay.py: {e}\n")
            return 2
        return 0
    if len(argv) >= 2 and argv[1] == "--beside":
        failed = 0
        for name in argv[2:]:
            patch = pathlib.Path(name)
            try:
                patch.with_suffix("").write_bytes(scenario(patch))
            except PatchError as e:  # the case fails for want of its scenario; the others run
                sys.stderr.write(f"overlay.py: {e}\n")
                failed = 1
        return failed
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    try:
        text = scenario(pathlib.Path(argv[1]))
    except PatchError as e:
        sys.stderr.write(f"overlay.py: {e}\n")
        return 2
    if len(argv) == 3:
        pathlib.Path(argv[2]).write_bytes(text)
    else:
        sys.stdout.buffer.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
