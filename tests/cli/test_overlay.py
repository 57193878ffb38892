#!/usr/bin/env python3
"""The golden cases' patch helper (tests/cli/overlay.py): a hunk applies at the one place its base
lines stand, or the case fails with the patch's line; never at a guessed place."""
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import overlay  # noqa: E402

BASE = b"a: 1\nb:\n  c: 2\nd:\n  c: 2\ne: 3\n"


def run(patch: bytes) -> bytes:
    base, hunks = overlay.parse(b"base: t\n" + patch, "t.patch")
    return overlay.apply(BASE, hunks, "t.patch")


class Overlay(unittest.TestCase):
    def test_replace_insert_and_top(self):
        self.assertEqual(run(b"@@\n+# why\n@@\n-a: 1\n+a: -1\n@@\n e: 3\n+f: 4\n"),
                         b"# why\na: -1\nb:\n  c: 2\nd:\n  c: 2\ne: 3\nf: 4\n")

    def test_context_picks_one_of_equal_lines(self):
        self.assertEqual(run(b"@@\n d:\n-  c: 2\n+  c: 5\n"), b"a: 1\nb:\n  c: 2\nd:\n  c: 5\ne: 3\n")

    def test_ambiguous_missing_and_out_of_order_hunks_refused(self):
        for patch, why in [(b"@@\n-  c: 2\n+  c: 5\n", "occurs 2 times"), (b"@@\n-x: 9\n", "is not in"),
                           (b"@@\n-e: 3\n@@\n-a: 1\n", "before the one above"),
                           (b"@@\n-a: 1\n@@\n+top\n", "only the first hunk"), (b" a: 1\n", "starts with a line '@@'")]:
            with self.assertRaisesRegex(overlay.PatchError, why):
                run(patch)

    def test_make_gives_the_file_back(self):
        base = (overlay.BASES / "small.yaml").read_bytes()
        edited = b"# on top\n" + base.replace(b"    budget_eur: 1000000.00", b"    budget_eur: 1.00") + b"extra: 1\n"
        patch = overlay.make("small", edited)
        self.assertEqual(overlay.apply(base, overlay.parse(patch, "p")[1], "p"), edited)
        self.assertEqual(patch.count(b"\n"), 9)  # base line, 3 hunks: @@ and their lines

    def test_the_cases_patches_apply(self):
        cases = pathlib.Path(__file__).resolve().parent / "cases"
        patches = sorted(cases.glob("*/*.patch"))
        self.assertGreater(len(patches), 0)
        for p in patches:
            overlay.scenario(p)  # raises PatchError naming the patch and line


if __name__ == "__main__":
    unittest.main()
