"""Plain-pandas truth for the differential tests (``tests/test_differential.py``).

A random study is drawn as *raw rows* — what the respondents answered — and written as the
export a survey tool would give (a German CSV: ``;``, decimal comma, ``weiß nicht``, a
multiple-choice question as one ticked/empty column per option). The figures TPM shows are then
recomputed here from those raw rows with pandas and numpy alone: no TPM code, no SQL, no stored
table. Formulas (DOMAIN.md):

- weighted mean ȳw = Σwy / Σw (w = the survey weight rescaled to sum to n per wave, 1 without);
- 0–100 score = (ȳw − min) / (max − min) · 100; top-2 box = share of the two highest points
  (one on scales of up to 4 points);
- NPS = ȳw of y = +100 (9–10), 0 (7–8), −100 (0–6) over those who answered;
- a segment cell = the raters with that value (for a multiple-choice question: who ticked that
  option); the rest = the other raters of the filtered sample, each respondent once;
- key drivers = Shapley decomposition of R² of the outcome on the drivers' 0–1 scores, from the
  pairwise (weighted) Pearson correlations over the respondents who answered the outcome.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

REGIONS = ("Nord", "Süd", "Ost")
CHANNELS = ("Filiale", "Online", "Telefon")
#: touchpoints and the scales they may be asked on (Hotline's can differ between waves)
SCALES = {"Hotline": (5, 7, 10), "Shop": (7,), "Website": (5,)}
ALIAS = "Telefon-Hotline"  # a wave may call the Hotline so; the study then merges it into "Hotline"


@dataclass
class Wave:
    name: str
    respondents: pd.DataFrame  # rid, date, region (None), channels (frozenset), nps (NaN), raw_weight (NaN)
    ratings: pd.DataFrame      # rid, touchpoint, score, scale_min, scale_max
    dont_know: pd.DataFrame    # rid, touchpoint
    scales: dict[str, int]
    weighted: bool
    hotline_name: str = "Hotline"

    def csv(self) -> bytes:
        """The wave as a German Excel CSV (``;``, cp1252-safe text, decimal comma)."""
        tps = list(SCALES)
        header = ["ID", "Datum", "Region", *[f"Kanal [{c}]" for c in CHANNELS],
                  *[f"{self.hotline_name if tp == 'Hotline' else tp} (1-{self.scales[tp]})" for tp in tps],
                  "Weiterempfehlung (0-10)"] + (["Gewicht"] if self.weighted else [])
        by_rid = {tp: {} for tp in tps}
        for rid, tp, score in zip(self.ratings["rid"], self.ratings["touchpoint"], self.ratings["score"]):
            by_rid[tp][rid] = str(int(score))
        for rid, tp in zip(self.dont_know["rid"], self.dont_know["touchpoint"]):
            by_rid[tp][rid] = "weiß nicht"
        rows = [header]
        for r in self.respondents.itertuples():
            row = [r.rid, "" if pd.isna(r.date) else r.date.strftime("%d.%m.%Y"), r.region or "",
                   *["ja" if c in r.channels else "" for c in CHANNELS],
                   *[by_rid[tp].get(r.rid, "") for tp in tps],
                   "" if pd.isna(r.nps) else str(int(r.nps))]
            if self.weighted:
                row.append(f"{r.raw_weight:.4f}".replace(".", ","))
            rows.append(row)
        buf = io.StringIO()
        csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
        return buf.getvalue().encode("utf-8-sig")


def draw_wave(name: str, rng: np.random.Generator, n: int, weighted: bool, scales: dict[str, int],
              hotline_name: str = "Hotline", blank: float = 0.2, dont_know: float = 0.1) -> Wave:
    """``n`` respondents with a latent satisfaction driving their ratings and their NPS answer.
    The first rows make every column readable as what it is (two regions, every option ticked once,
    every touchpoint rated); the rest is random: blank regions, any set of options (none too),
    blank and "weiß nicht" ratings, blank NPS answers, ids that repeat in other waves."""
    rid = [f"r{i}" for i in range(n)]
    date = [pd.NaT if rng.random() < 0.1 else pd.Timestamp(2026, 1 + int(rng.integers(0, 6)), 1 + int(rng.integers(0, 28)))
            for _ in range(n)]
    region = [REGIONS[i % 2] if i < 2 else (None if rng.random() < blank else str(rng.choice(REGIONS))) for i in range(n)]
    channels = [frozenset({CHANNELS[i]}) if i < len(CHANNELS) else
                frozenset(c for c in CHANNELS if rng.random() < 0.45) for i in range(n)]
    latent = rng.normal(size=n)
    nps = [float(int(np.clip(np.rint(6 + 2.2 * latent[i] + rng.normal()), 0, 10))) if i < 3 or rng.random() > blank
           else math.nan for i in range(n)]
    raw_weight = rng.lognormal(0, 0.5, size=n).round(4) if weighted else np.full(n, math.nan)
    ratings, dks = [], []
    for k, tp in enumerate(SCALES):
        top = scales[tp]
        effect = (0.9, 0.4, 0.1)[k]  # planted: Hotline matters most
        for i in range(n):
            u = rng.random()
            if i >= 3 and u < blank:
                continue
            if i >= 3 and u < blank + dont_know:
                dks.append((rid[i], tp))
                continue
            score = int(np.clip(np.rint((top + 1) / 2 + effect * latent[i] * top / 4 + rng.normal() * top / 6), 1, top))
            ratings.append((rid[i], tp, float(score), 1, top))
    return Wave(name,
                pd.DataFrame({"rid": rid, "date": date, "region": region, "channels": channels, "nps": nps,
                              "raw_weight": raw_weight}),
                pd.DataFrame(ratings, columns=["rid", "touchpoint", "score", "scale_min", "scale_max"]),
                pd.DataFrame(dks, columns=["rid", "touchpoint"]), dict(scales), weighted, hotline_name)


# --- the raw rows of a view ------------------------------------------------------------------


@dataclass
class View:
    """What a sidebar filter selects: waves (names; empty = all), region values and channel
    options (empty = any; several = any of them), weighted or not."""

    waves: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    weighted: bool = True
    extra: dict = field(default_factory=dict)


def respondents(waves: list[Wave], view: View) -> pd.DataFrame:
    """The respondents the view lets through, with their weight ``w`` (rescaled per wave to sum
    to its n; 1 without weights or unweighted)."""
    parts = []
    for wave in waves:
        r = wave.respondents.copy()
        r["wave"] = wave.name
        if wave.weighted:
            r["w"] = r["raw_weight"] * len(r) / r["raw_weight"].sum()
        else:
            r["w"] = 1.0
        parts.append(r)
    r = pd.concat(parts, ignore_index=True)
    if not view.weighted:
        r["w"] = 1.0
    keep = pd.Series(True, index=r.index)
    if view.waves:
        keep &= r["wave"].isin(view.waves)
    if view.regions:
        keep &= r["region"].isin(view.regions)
    if view.channels:
        keep &= r["channels"].map(lambda s: bool(s & set(view.channels)))
    return r[keep].reset_index(drop=True)


def ratings(waves: list[Wave], view: View) -> pd.DataFrame:
    """The ratings of the view's respondents, with their respondent's columns."""
    resp = respondents(waves, view)
    parts = [w.ratings.assign(wave=w.name) for w in waves]
    rt = pd.concat(parts, ignore_index=True)
    return rt.merge(resp, on=["wave", "rid"], how="inner")


def dont_knows(waves: list[Wave], view: View) -> pd.DataFrame:
    resp = respondents(waves, view)
    dk = pd.concat([w.dont_know.assign(wave=w.name) for w in waves], ignore_index=True)
    return dk.merge(resp, on=["wave", "rid"], how="inner")


# --- figures -----------------------------------------------------------------------------------


def wmean(y, w) -> float:
    y, w = np.asarray(y, float), np.asarray(w, float)
    return float((w * y).sum() / w.sum()) if len(y) else math.nan


def nps_y(nps) -> np.ndarray:
    nps = np.asarray(nps, float)
    return np.where(nps >= 9, 100.0, np.where(nps <= 6, -100.0, 0.0))


def nps(resp: pd.DataFrame) -> tuple[int, float]:
    """(n, NPS) of the respondents who answered the recommend question."""
    answered = resp[resp["nps"].notna()]
    return len(answered), wmean(nps_y(answered["nps"]), answered["w"])


def top_box(score, lo, hi) -> np.ndarray:
    width = np.where(np.asarray(hi) - np.asarray(lo) + 1 <= 4, 0, 1)
    return (np.asarray(score) >= np.asarray(hi) - width).astype(float)


def touchpoint_table(rt: pd.DataFrame) -> pd.DataFrame:
    """Per touchpoint and scale: n, mean, 0–100 score, top-2 box (%), NPS among raters."""
    rows = []
    for (tp, lo, hi), g in rt.groupby(["touchpoint", "scale_min", "scale_max"]):
        mean = wmean(g["score"], g["w"])
        raters = g[g["nps"].notna()]
        rows.append({"touchpoint": tp, "scale_min": int(lo), "scale_max": int(hi), "n": len(g), "mean": mean,
                     "score": (mean - lo) / (hi - lo) * 100, "top2": 100 * wmean(top_box(g["score"], lo, hi), g["w"]),
                     "nps": wmean(nps_y(raters["nps"]), raters["w"]) if len(raters) else math.nan})
    return pd.DataFrame(rows)


def has(resp_or_rt: pd.DataFrame, by: str, value: str) -> pd.Series:
    """Whether each row's respondent holds ``value`` of ``by`` ("Region" or the options of "Kanal")."""
    if by == "Region":
        return resp_or_rt["region"] == value
    return resp_or_rt["channels"].map(lambda s: value in s)


def values_of(by: str) -> tuple[str, ...]:
    return REGIONS if by == "Region" else CHANNELS


def taylor_se(y, w) -> float:
    """Taylor-linearised SE of a weighted mean (one stage, weights only): √(n/(n−1)·Σw²(y−ȳ)²)/Σw."""
    y, w = np.asarray(y, float), np.asarray(w, float)
    n = len(y)
    if n < 2:
        return math.nan
    mean = (w * y).sum() / w.sum()
    return math.sqrt(n / (n - 1) * (w**2 * (y - mean) ** 2).sum()) / w.sum()


def breakdown(rt: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per touchpoint, scale and value of ``by``: cell n and mean, the rest's n and mean (the other
    raters: each respondent once), diff, and the two-sided p of the difference (unweighted views:
    Welch's t from scipy on the raw scores; weighted: z on the Taylor SEs)."""
    from scipy import stats

    rows = []
    weighted = not np.allclose(rt["w"], 1.0) if len(rt) else False
    for (tp, lo, hi), g in rt.groupby(["touchpoint", "scale_min", "scale_max"]):
        for value in values_of(by):
            inside = has(g, by, value).to_numpy(bool)
            cell, rest = g[inside], g[~inside]
            if not len(cell):
                continue
            a, b = wmean(cell["score"], cell["w"]), wmean(rest["score"], rest["w"])
            if weighted:
                se = math.hypot(taylor_se(cell["score"], cell["w"]), taylor_se(rest["score"], rest["w"]))
                p = 2 * stats.norm.sf(abs(a - b) / se) if se > 0 else math.nan
            elif len(cell) > 1 and len(rest) > 1:
                p = stats.ttest_ind(cell["score"], rest["score"], equal_var=False).pvalue
            else:
                p = math.nan
            rows.append({"touchpoint": tp, "scale_min": int(lo), "scale_max": int(hi), "segment": value,
                         "n": len(cell), "value": a, "rest_n": len(rest), "rest": b, "diff": a - b, "p": p})
    return pd.DataFrame(rows, columns=["touchpoint", "scale_min", "scale_max", "segment", "n", "value", "rest_n",
                                       "rest", "diff", "p"])


def nps_interval(nps_answers, w, weighted: bool) -> tuple[float, float]:
    """95 % interval of an NPS. Unweighted: adjusted Wald (Rocks 2016) — n' = n + 3,
    p' = (promoters + 0.75) / n', d' = (detractors + 0.75) / n', 100 (p' − d') ± 1.96 · 100 ·
    √((p' + d' − (p' − d')²) / n'); weighted: the value ± 1.96 · Taylor SE. Both clipped to ±100."""
    from scipy import stats

    nps_answers = np.asarray(nps_answers, float)
    z = stats.norm.ppf(0.975)
    if weighted:
        value, se = wmean(nps_y(nps_answers), w), taylor_se(nps_y(nps_answers), w)
        low, high = value - z * se, value + z * se
    else:
        n = len(nps_answers) + 3
        pro, det = ((nps_answers >= 9).sum() + 0.75) / n, ((nps_answers <= 6).sum() + 0.75) / n
        half = z * 100 * math.sqrt((pro + det - (pro - det) ** 2) / n)
        low, high = 100 * (pro - det) - half, 100 * (pro - det) + half
    return max(low, -100.0), min(high, 100.0)


def nps_breakdown(resp: pd.DataFrame, by: str) -> pd.DataFrame:
    """NPS per value of ``by`` and against the rest of the respondents (each once), with the
    Kish effective n (Σw)² / Σw² and the 95 % interval (:func:`nps_interval`)."""
    answered = resp[resp["nps"].notna()]
    weighted = not np.allclose(answered["w"], 1.0) if len(answered) else False
    rows = []
    for value in values_of(by):
        inside = has(answered, by, value).to_numpy(bool)
        cell, rest = answered[inside], answered[~inside]
        if not len(cell):
            continue
        a, b = wmean(nps_y(cell["nps"]), cell["w"]), wmean(nps_y(rest["nps"]), rest["w"])
        low, high = nps_interval(cell["nps"], cell["w"], weighted)
        rows.append({"segment": value, "n": len(cell), "value": a, "diff": a - b,
                     "n_eff": cell["w"].sum() ** 2 / (cell["w"] ** 2).sum(), "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["segment", "n", "value", "diff", "n_eff", "ci_low", "ci_high"])


def wave_order(resp: pd.DataFrame, imported: list[str]) -> list[str]:
    """The waves in time: by the first response date of the view's respondents in each (waves
    without dates last), then in the order they were imported."""
    first = resp.groupby("wave")["date"].min()
    return sorted(first.index, key=lambda w: (pd.isna(first[w]), first[w] if pd.notna(first[w]) else 0, imported.index(w)))


def trend(rt: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """0–100 score per wave (in ``order``), touchpoint and scale, and the change to the wave before."""
    table = []
    for (tp, lo, hi), g in rt.groupby(["touchpoint", "scale_min", "scale_max"]):
        previous = math.nan
        for wave in order:
            part = g[g["wave"] == wave]
            if not len(part):
                continue
            score = (wmean(part["score"], part["w"]) - lo) / (hi - lo) * 100
            table.append({"wave": wave, "touchpoint": tp, "scale_min": int(lo), "scale_max": int(hi), "n": len(part),
                          "value": score, "change": score - previous})
            previous = score
    return pd.DataFrame(table)


def weighted_corr(x, y, w) -> float:
    """Pearson correlation of x and y with weights w (over the rows given)."""
    w = np.asarray(w, float)
    mx, my = wmean(x, w), wmean(y, w)
    dx, dy = np.asarray(x, float) - mx, np.asarray(y, float) - my
    return float((w * dx * dy).sum() / math.sqrt((w * dx * dx).sum() * (w * dy * dy).sum()))


def driver_matrix(waves: list[Wave], view: View, drivers: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Respondents who answered the outcome (NPS) × [nps, the drivers' 0–1 scores] and their weights."""
    resp = respondents(waves, view)
    resp = resp[resp["nps"].notna()]
    rt = ratings(waves, view)
    rt = rt.assign(x=(rt["score"] - rt["scale_min"]) / (rt["scale_max"] - rt["scale_min"]))
    wide = rt.pivot_table(index=["wave", "rid"], columns="touchpoint", values="x", aggfunc="first")
    frame = resp.set_index(["wave", "rid"])[["nps", "w"]].join(wide.reindex(columns=drivers))
    return frame[["nps", *drivers]], frame["w"]


def pairwise(frame: pd.DataFrame, w: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(R, counts): pairwise-complete weighted correlations of the columns and the pair counts."""
    cols = list(frame.columns)
    k = len(cols)
    R, counts = np.eye(k), np.zeros((k, k), int)
    for i, j in itertools.product(range(k), repeat=2):
        both = frame[cols[i]].notna() & frame[cols[j]].notna()
        counts[i, j] = int(both.sum())
        if i < j:
            R[i, j] = R[j, i] = weighted_corr(frame.loc[both, cols[i]], frame.loc[both, cols[j]], w[both])
    return R, counts


def shapley(R: np.ndarray) -> tuple[float, np.ndarray]:
    """(R², Shapley value of each driver) for the outcome (first column) on the drivers, by
    enumerating every subset: R²(S) = r_Sy' R_SS⁻¹ r_Sy; φ_j = Σ_S |S|!(p−|S|−1)!/p! (R²(S∪j) − R²(S))."""
    p = len(R) - 1

    def r2(subset) -> float:
        if not subset:
            return 0.0
        idx = [s + 1 for s in subset]
        rxy = R[np.ix_(idx, [0])][:, 0]
        return float(rxy @ np.linalg.solve(R[np.ix_(idx, idx)], rxy))

    phi = np.zeros(p)
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for size in range(p):
            weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
            for subset in itertools.combinations(others, size):
                phi[j] += weight * (r2([*subset, j]) - r2(list(subset)))
    return r2(list(range(p))), phi
