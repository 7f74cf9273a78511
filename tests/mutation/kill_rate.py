"""The kill rate of the last ``mutmut run`` per module, from mutmut's result files (mutants/**/*.meta).

    python tests/mutation/kill_rate.py [MUTANT-PATTERN …]     # only mutants matching a pattern

killed = a test failed (or the mutant ran out of time: an endless loop is caught too); survived =
every test passed; no tests = no test of the selection reaches the function (counted as not
killed). Mutants listed in tests/mutation/equivalent.txt (one name a line, then the reason) change
no behaviour and are left out of the rate, and shown. Not checked (an interrupted run) are not
counted; the table says how many. Exit 1 when no result is there.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KILLED, SURVIVED, NO_TESTS = {1, 3, 24, -24, 36, 152, 255, 37}, {0}, {5, 33}


def equivalent() -> dict[str, str]:
    path = Path(__file__).with_name("equivalent.txt")
    lines = [line.split(None, 1) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")] if path.exists() else []
    return {parts[0]: parts[1] if len(parts) > 1 else "" for parts in lines}


def main(patterns: list[str]) -> int:
    same = equivalent()
    rows, survivors = [], []
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        codes = {k: v for k, v in codes.items() if not patterns or any(fnmatch.fnmatch(k, p) for p in patterns)}
        if not codes:
            continue
        count = Counter()
        for name, code in codes.items():
            if name in same:
                count["equivalent"] += 1
            elif code is None:
                count["not checked"] += 1
            elif code in KILLED:
                count["killed"] += 1
            elif code in NO_TESTS:
                count["no tests"] += 1
                survivors.append(name + "  (no test reaches it)")
            else:
                count["survived"] += 1
                survivors.append(name)
        rows.append((str(meta.relative_to(ROOT / "mutants"))[:-5], count))
    if not rows:
        print("no mutation results: run `make mutation` first")
        return 1
    print(f"{'module':32} {'mutants':>7} {'killed':>6} {'survived':>8} {'no tests':>8} {'equiv.':>6} {'unchecked':>9} {'kill rate':>9}")
    total = Counter()
    for module, count in rows + [("all", None)]:
        count = count or total
        if module != "all":
            total.update(count)
        judged = count["killed"] + count["survived"] + count["no tests"]
        rate = f"{100 * count['killed'] / judged:.1f} %" if judged else "–"
        print(f"{module:32} {sum(count.values()):7} {count['killed']:6} {count['survived']:8} {count['no tests']:8} "
              f"{count['equivalent']:6} {count['not checked']:9} {rate:>9}")
    if survivors:
        print(f"\nnot killed ({len(survivors)}; see one with `mutmut show NAME`):")
        print("\n".join("  " + s for s in survivors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
