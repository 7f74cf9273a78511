"""The mutations issue #20 found alive, applied one at a time to a copy of the code: each must be
killed (some test fails) by the test files named with it. Run by ``make mutation`` after mutmut,
which cannot mutate module constants such as :data:`tpm.metrics.rules.ONE_POINT_BOX_MAX_POINTS`.

    python tests/mutation/named.py         # exit 1 if any named mutation survives
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BY_HAND = ["tests/test_figures_by_hand.py"]
LOG_ODDS = ["tests/test_comment_stats.py::test_log_odds_by_hand_with_the_corpus_prior",
            "tests/test_comment_stats.py::test_log_odds_by_hand_with_a_chosen_prior_size_and_the_groups_swapped"]
IMPACT = ["tests/test_comment_stats.py::test_a_group_of_exactly_the_anonymity_base_is_shown_and_one_less_is_hidden",
          "tests/test_comment_stats.py::test_planted_theme_share_and_nps_gap_are_recovered_exactly_and_the_null_theme_"
          "is_not_significant", "tests/test_comment_stats.py::test_small_groups_are_hidden_or_untested_and_bh_matches_scipy"]

#: (what the mutation does, file, the exact text, its replacement, the tests that must kill it)
NAMED = [
    ("4-point scales get 2-point boxes (the rule's constant)", "tpm/metrics/rules.py",
     "ONE_POINT_BOX_MAX_POINTS = 4", "ONE_POINT_BOX_MAX_POINTS = 3", BY_HAND),
    ("4-point scales get 2-point boxes (the SQL box rule)", "tpm/metrics/weighted.py",
     "+ 1 <= {ONE_POINT_BOX_MAX_POINTS}", "+ 1 < {ONE_POINT_BOX_MAX_POINTS}", BY_HAND),
    ("5-point scales get 1-point boxes (the SQL box rule)", "tpm/metrics/weighted.py",
     "+ 1 <= {ONE_POINT_BOX_MAX_POINTS}", "+ 1 <= {ONE_POINT_BOX_MAX_POINTS} + 1", BY_HAND),
    ("promoters from 8 (the NPS cut-off in its home)", "tpm/metrics/rules.py",
     "PROMOTER_MIN = 9", "PROMOTER_MIN = 8", BY_HAND),
    ("detractors only up to 5 (the NPS cut-off in its home)", "tpm/metrics/rules.py",
     "DETRACTOR_MAX = 6", "DETRACTOR_MAX = 5", ["tests/test_weights.py"]),
    ("cells with exactly n = 5 hidden (breakdown)", "tpm/metrics/segments.py",
     'hidden = frame["m_n"].to_numpy() < anonymity', 'hidden = frame["m_n"].to_numpy() <= anonymity', BY_HAND),
    ("cells with exactly n = 5 hidden (NPS by segment)", "tpm/metrics/segments.py",
     "hidden = cell.n < anonymity", "hidden = cell.n <= anonymity", BY_HAND),
    ("the minimum base not checked on the rest side", "tpm/metrics/segments.py",
     "(n >= min_base) & (rest_n >= min_base)", "(n >= min_base)", BY_HAND),
    ("the rest needs more than the minimum base", "tpm/metrics/segments.py",
     "(rest_n >= min_base)", "(rest_n > min_base)", BY_HAND),
    ("the cell needs more than the minimum base", "tpm/metrics/segments.py",
     "(n >= min_base) &", "(n > min_base) &", BY_HAND),
    ("0–100 score without the scale minimum", "tpm/metrics/rules.py",
     "return (value - lo) / (hi - lo) * 100", "return value / (hi - lo) * 100", BY_HAND),
    ("0–100 score divided by the number of points", "tpm/metrics/rules.py",
     "return (value - lo) / (hi - lo) * 100", "return (value - lo) / (hi - lo + 1) * 100", BY_HAND),
    ("0–100 score's SE not scaled", "tpm/metrics/registry.py",
     "score_0_100(est.se, 0, hi - lo)", "est.se", BY_HAND),
    # the comments: the suggestion statistic, the theme impact, the anonymity of comments, masking, folding
    ("log-odds SE without the second group's term", "tpm/comments/stats.py",
     "se = np.sqrt(1 / (ya + aw) + 1 / (yb + aw))", "se = np.sqrt(1 / (ya + aw))", LOG_ODDS),
    ("log-odds prior of size 1 instead of the corpus", "tpm/comments/stats.py",
     "a0 = n if alpha0 is None", "a0 = 1.0 if alpha0 is None", LOG_ODDS),
    ("NPS gap's SE as the sum of the two SEs", "tpm/comments/stats.py",
     "math.hypot(a.se, b.se)", "a.se + b.se", IMPACT),
    ("a theme's cell of exactly 5 commenters hidden", "tpm/comments/stats.py",
     "hidden = len(part) < ANONYMITY", "hidden = len(part) <= ANONYMITY", IMPACT),
    ("comments shown to a cell one below the anonymity base", "tpm/comments/query.py",
     "if cell < base:", "if cell < base - 1:", ["tests/test_comments.py::test_a_cell_below_the_anonymity_base_shows_"
                                                "nothing_and_search_does_not_shrink_it"]),
    ("card numbers masked without the Luhn check", "tpm/text/mask.py",
     "return total % 10 == 0", "return True", ["tests/test_comments.py::test_card_rule_is_luhn_not_length"]),
    ("search folding without the ue → u transcription", "tpm/text/fold.py",
     '_TRANSCRIPTIONS = (("ae", "a"), ("oe", "o"), ("ue", "u"))', '_TRANSCRIPTIONS = (("ae", "a"), ("oe", "o"))',
     ["tests/test_text.py"]),
]


def run(python: str = sys.executable) -> int:
    survived = []
    with tempfile.TemporaryDirectory(prefix="tpm-named-") as tmp:
        copy = Path(tmp)
        # the whole checkout as git knows it (the tests need pages/, the samples and pyproject's pytest settings)
        tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
        for name in filter(None, tracked.stdout.split("\0")):
            if (ROOT / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, copy / name)
        def pytest(tests):
            return subprocess.run([python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                                  cwd=copy, capture_output=True, text=True)

        clean = pytest(sorted({t for *_, tests in NAMED for t in tests}))
        if clean.returncode != 0:
            print(clean.stdout[-3000:], clean.stderr[-2000:])
            print("the tests fail on the unmutated code: nothing to measure")
            return 2
        for what, path, old, new, tests in NAMED:
            source = (copy / path).read_text(encoding="utf-8")
            assert source.count(old) == 1, f"{path}: {old!r} is not there exactly once — update tests/mutation/named.py"
            (copy / path).write_text(source.replace(old, new), encoding="utf-8")
            try:
                result = pytest(tests)
            finally:
                (copy / path).write_text(source, encoding="utf-8")
            killed = result.returncode == 1
            if result.returncode not in (0, 1):
                print(result.stdout[-2000:], result.stderr[-2000:])
            print(f"{'killed  ' if killed else 'SURVIVED'}  {what}  ({path})", flush=True)
            if not killed:
                survived.append(what)
    print(f"named mutations: {len(NAMED) - len(survived)} of {len(NAMED)} killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(run())
