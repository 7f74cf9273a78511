"""Numbers by language, for tables and charts alike (Babel's CLDR locale data, not hand-written rules).

German: decimal comma, thousands dot (``1.234,5``); English: ``1,234.5``. The minus sign is the
typographic ``−``; an empty value (None, NaN) is an empty string in tables and ``–`` in running text.

Each kind of figure has its own number of decimals (:data:`DECIMALS`): a mean on a 1–5 scale
needs two, a 0–100 score one, a share in per cent one, a count none, a p-value three.
"""

from __future__ import annotations

import math
from numbers import Number

import pandas as pd
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LOCALES = {"de": "de_DE", "en": "en_US"}
MINUS = "−"

#: kind of figure → decimals shown
DECIMALS = {"count": 0, "mean": 2, "score": 1, "share": 1, "diff": 1, "nps": 1, "p": 3, "r2": 3, "scale": 0}


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: float | None, decimals: int = 1, lang: str = "de", signed: bool = False, empty: str = "–") -> str:
    """1234.5 → "1.234,5" (de) / "1,234.5" (en); ``signed`` adds "+"; None/NaN → ``empty``; never "−0"."""
    if _missing(value):
        return empty
    value = float(value)
    if round(value, decimals) == 0:
        value = 0.0
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(abs(value), format=pattern, locale=LOCALES.get(lang, LOCALES["en"]))
    sign = MINUS if value < 0 else "+" if signed else ""
    return sign + text


def fmt_date(value, lang: str = "de", empty: str = "–") -> str:
    """A date (or timestamp) in the language's medium form: "12.03.2024" (de) / "Mar 12, 2024" (en)."""
    if _missing(value):
        return empty
    from babel.dates import format_date

    return format_date(pd.Timestamp(value).date(), format="medium", locale=LOCALES.get(lang, LOCALES["en"]))


def fmt_p(value: float | None, lang: str = "de", empty: str = "") -> str:
    """A p- or q-value: three decimals, "< 0,001" below that."""
    if _missing(value):
        return empty
    return "< " + fmt_number(0.001, 3, lang) if float(value) < 0.001 else fmt_number(value, 3, lang)


def cell_formatter(kind: str, lang: str, signed: bool = False):
    """A function formatting one table cell of ``kind`` (see :data:`DECIMALS`); empty stays empty."""
    if kind == "p":
        return lambda v: fmt_p(v, lang)
    if kind in ("date", "datetime"):
        show = format_date if kind == "date" else format_datetime
        return lambda v: "" if _missing(v) else show(v, format="medium", locale=LOCALES.get(lang, LOCALES["en"]))
    decimals = DECIMALS[kind]

    def fmt(value) -> str:
        if isinstance(value, bool) or not isinstance(value, Number):
            return "" if _missing(value) else str(value)
        return fmt_number(value, decimals, lang, signed=signed, empty="")
    return fmt


def format_table(frame: pd.DataFrame, lang: str, kinds: dict[str, str | tuple[str, bool]] | None = None,
                 labels: dict[str, str] | None = None):
    """A pandas Styler showing ``frame`` in ``lang``: each column in ``kinds`` as that kind of figure
    (``"score"``, or ``("diff", True)`` for a signed one), other numeric columns as counts or
    two-decimal numbers; empty cells (None/NaN) empty. The values stay numbers, so columns sort.
    (Streamlit draws a missing value as "None" unless the table is given ``placeholder=""``.)
    ``labels`` renames the columns for display (``kinds`` uses the original names)."""
    labels = labels or {}
    kinds = {labels.get(column, column): kind for column, kind in (kinds or {}).items()}
    frame = frame.rename(columns=labels)
    styler = frame.style.format(na_rep="")
    for column in frame.columns:
        spec = kinds.get(column)
        if spec is None:
            if pd.api.types.is_bool_dtype(frame[column]) or not pd.api.types.is_numeric_dtype(frame[column]):
                continue
            spec = "count" if pd.api.types.is_integer_dtype(frame[column]) else "mean"
        kind, signed = (spec, False) if isinstance(spec, str) else spec
        styler = styler.format(cell_formatter(kind, lang, signed), subset=[column], na_rep="")
    return styler


def plotly_separators(lang: str) -> str:
    """Plotly's ``layout.separators`` (decimal, then thousands) from the same locale data."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    locale = LOCALES.get(lang, LOCALES["en"])
    return get_decimal_symbol(locale) + get_group_symbol(locale)


# --- a touchpoint on more than one scale ------------------------------------------------------

#: the columns that tell a touchpoint's scales apart in a result frame
SCALE_COLUMNS = ("scale_min", "scale_max")


def scale_suffix(scale_min, scale_max) -> str:
    """" (1–5)": the scale as it follows a touchpoint's name."""
    return f" ({int(scale_min)}–{int(scale_max)})"


def scale_labelled(*frames: pd.DataFrame, column: str = "touchpoint") -> tuple[pd.DataFrame, ...]:
    """The one rule for naming a touchpoint asked on several scales: where a touchpoint appears with
    more than one scale (``scale_min``, ``scale_max``) across ``frames`` taken together, each of its
    rows is named with its scale — "Hotline (1–5)", "Hotline (1–10)" — so its rows never look alike;
    on one scale it keeps its bare name. The frames come back in order (copies where a name changed;
    a frame without the scale columns unchanged). Labelling twice changes nothing more."""
    with_scales = [f for f in frames if column in f and all(c in f for c in SCALE_COLUMNS) and len(f)]
    if not with_scales:
        return tuple(frames)
    pairs = pd.concat([f[[column, *SCALE_COLUMNS]] for f in with_scales]).dropna().drop_duplicates()
    several = set(pairs.loc[pairs[column].duplicated(keep=False), column])
    if not several:
        return tuple(frames)
    out = []
    for frame in frames:
        if not any(frame is f for f in with_scales):
            out.append(frame)
            continue
        names = [f"{name}{scale_suffix(lo, hi)}" if name in several and not _missing(lo) and not _missing(hi) else name
                 for name, lo, hi in zip(frame[column], frame["scale_min"], frame["scale_max"])]
        out.append(frame.assign(**{column: names}))
    return tuple(out)


def split_scale(label: str) -> tuple[str, str]:
    """("Hotline", " (1–5)") from a name given its scale by :func:`scale_labelled`; (label, "") otherwise."""
    import re

    label = str(label)
    match = re.search(r" \(\d+–\d+\)$", label)
    return (label[:match.start()], match.group(0)) if match else (label, "")


def shortened(label: str, width: int) -> str:
    """``label`` cut to ``width`` characters for a fixed-width column, its scale suffix (:func:`scale_labelled`) kept."""
    label = str(label)
    if len(label) <= width:
        return label
    name, suffix = split_scale(label)
    return name[:max(width - len(suffix) - 1, 1)] + "…" + suffix
