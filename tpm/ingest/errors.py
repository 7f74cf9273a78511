"""The one error type the importer raises for bad input."""

from __future__ import annotations


class IngestError(ValueError):
    """A file that cannot be imported, with where and why, and what to do.

    ``str(error)`` is one line naming the file (and sheet, row, column where known),
    suitable for the CLI's stderr and the Upload page.
    """

    def __init__(
        self,
        file_name: str,
        problem: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file_name = file_name
        self.problem = problem
        self.sheet = sheet
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(self.message())

    def message(self) -> str:
        where = [f"'{self.file_name}'"]
        if self.sheet:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = f"{', '.join(where)}: {self.problem}"
        if self.hint:
            text += f" — {self.hint}"
        return text.replace("\n", " ")
