"""Just-about-right questions ("zu kurz / genau richtig / zu lang"): a distribution, never a score.

A just-about-right (JAR) question's best answer is its middle, so a 0–100 mean would rank
"just right" as 50 — half as good as "too long". TPM therefore never scores it nor ranks it
with the touchpoints; it shows, per question, the shares

- ``too_little`` = Σw over the respondents whose answer lies on the low side (any degree),
- ``just_right`` = Σw over those who answered the middle,
- ``too_much``   = Σw over those on the high side,

each divided by Σw over all who answered the question (× 100; w = 1 unweighted), with ``n``
the unweighted count of those respondents (don't-know answers are not answers). Which answer
lies on which side is the question's mapping (``labels`` of its column spec, set by
:func:`tpm.ingest.scales.jar_sides`): −2/−1 too little, 0 just right, +1/+2 too much.

The answers are stored like a segment's values (one row per respondent), so the sidebar's
filters apply, and the counts come from the same units as every other figure
(:meth:`~tpm.metrics.filters.Filter.units_cte`).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from tpm.metrics.filters import Filter

COLUMNS = ["question", "n", "too_little", "just_right", "too_much"]
ANSWER_COLUMNS = ["question", "answer", "side", "n", "share"]


def jar_questions(con, flt: Filter) -> dict[str, dict[str, float]]:
    """The just-about-right questions of the filter's datasets: name → {normalised answer: side}."""
    from tpm.ingest.scales import normalise_label

    where, params = flt.datasets_sql("id")
    out: dict[str, dict[str, float]] = {}
    for (mapping,) in con.execute(f"SELECT mapping FROM datasets WHERE {where} ORDER BY id", params).fetchall():
        for spec in json.loads(mapping):
            if spec.get("role") == "jar" and spec.get("labels"):
                name = (spec.get("touchpoint") or spec["column"]).strip()
                out.setdefault(name, {}).update({normalise_label(k): float(v) for k, v in spec["labels"].items()})
    return out


def jar_answers(con, flt: Filter) -> pd.DataFrame:
    """One row per question and answer: question, answer, side (−2 … +2), n (respondents) and
    share (% of the question's Σw), in the order too little → just right → too much."""
    from tpm.ingest.scales import normalise_label

    questions = jar_questions(con, flt)
    frames = []
    for question, sides in questions.items():
        cte, params = flt.units_cte()
        frame = con.execute(f"WITH {cte} SELECT sg.answer, sum(u.c)::BIGINT AS n, sum(u.s1) AS w "
                            f"FROM {flt.segment_join('resp', 'u', 'answer')} GROUP BY ALL", params + [question]).df()
        if frame.empty:
            continue
        frame["side"] = [sides.get(normalise_label(str(a)), np.nan) for a in frame["answer"]]
        frame = frame[frame["side"].notna()]
        total = frame["w"].sum()
        frame["share"] = 100.0 * frame["w"] / total if total > 0 else np.nan
        frame["question"] = question
        frames.append(frame.sort_values(["side", "answer"]))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in ANSWER_COLUMNS})
    return pd.concat(frames, ignore_index=True)[ANSWER_COLUMNS]


def jar_distribution(con, flt: Filter) -> pd.DataFrame:
    """One row per just-about-right question: question, n, too_little, just_right, too_much (%)."""
    answers = jar_answers(con, flt)
    rows = []
    for question, group in answers.groupby("question", sort=False):
        side = np.sign(group["side"].astype(float))
        rows.append({"question": question, "n": int(group["n"].sum()),
                     "too_little": float(group.loc[side < 0, "share"].sum()),
                     "just_right": float(group.loc[side == 0, "share"].sum()),
                     "too_much": float(group.loc[side > 0, "share"].sum())})
    return pd.DataFrame(rows, columns=COLUMNS)
