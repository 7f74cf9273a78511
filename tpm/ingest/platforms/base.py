"""What a platform module defines (:class:`Platform`) and finds (:class:`Layout`), and the cell
helpers they share; the platform modules import this, :mod:`tpm.ingest.platforms` imports them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Layout:
    """Where the header is: ``rows`` header lines from ``first_row``, combined into ``header``."""

    first_row: int
    rows: int
    header: list
    platform: str | None = None


@dataclass(frozen=True)
class Platform:
    name: str
    header: Callable[[list[list[str]]], Layout | None] | None = None
    recognise: Callable[[list[str]], bool] | None = None
    meta: frozenset[str] = field(default_factory=frozenset)
    rows: Callable | None = None

    def is_meta(self, column: str) -> bool:
        name = " ".join(column.split()).casefold()
        return any(re.fullmatch(m[3:], name) if m.startswith("re:") else m == name for m in self.meta)


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value) -> str:
    return "" if blank(value) else str(value).strip()


def number_like(value: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+([.,]\d+)?", value))
