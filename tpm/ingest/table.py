"""The cells of one read sheet (:class:`RawTable`): what the readers give, the platforms rearrange,
detection and normalisation read."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from tpm.ingest.values import ParsedColumn


@dataclass
class RawTable:
    """Cells of one sheet: ``columns`` maps a unique header to an Arrow array of text — plain or
    dictionary-encoded (a CSV is read dictionary-encoded; a column is once it was parsed) — with
    empty cells null (or "")."""

    file_name: str
    columns: dict[str, pa.Array]
    header_row: int  # 1-based line/row number of the header in the file
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    platform: str | None = None
    row_numbers: np.ndarray | None = None  # file row of each data row, once rows were left out
    unknown_scales: list[str] = field(default_factory=list)  # text columns that may be unknown label scales
    _parsed: dict[str, ParsedColumn] = field(default_factory=dict, repr=False)

    def parsed(self, name: str) -> ParsedColumn:
        """The column's cells parsed once (numbers, missing, text), shared by detection and import."""
        if name not in self._parsed:
            self._keep(name, ParsedColumn(self.columns[name]))
        return self._parsed[name]

    def _keep(self, name: str, parsed: ParsedColumn) -> None:
        self._parsed[name] = parsed
        self.columns[name] = parsed.column  # the dictionary-encoded cells, shared: the text column can go

    def forget_parsed(self, keep: set[str]) -> None:
        """Drop the parsed values of the columns not in ``keep`` (the cells stay; :meth:`parsed`
        parses again if asked): a unique id column's parse holds ~4 copies of its distinct values."""
        for name in [n for n in self._parsed if n not in keep]:
            del self._parsed[name]

    def keep_rows(self, mask: np.ndarray, note: str) -> None:
        """Keep only the rows where ``mask`` is true (e.g. complete responses), with a note."""
        rows = np.flatnonzero(mask)
        self.row_numbers = self.row_numbers[rows] if self.row_numbers is not None else rows + self.header_row + 1
        self.columns = {name: column.take(pa.array(rows)) for name, column in self.columns.items()}
        self._parsed.clear()
        self.notes.append(note)

    def parse_all(self) -> None:
        """Parse every column, on all cores (Arrow's kernels release the GIL)."""
        todo = [name for name in self.columns if name not in self._parsed]
        if len(todo) < 4:
            for name in todo:
                self.parsed(name)
            return
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for name, parsed in zip(todo, pool.map(lambda n: ParsedColumn(self.columns[n]), todo)):
                self._keep(name, parsed)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def sheet_row(self, index: int) -> int:
        """The row number a person sees in Excel/an editor for data row ``index`` (0-based)."""
        if self.row_numbers is not None:
            return int(self.row_numbers[index])
        return self.header_row + 1 + index
