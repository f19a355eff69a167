"""Errors that reach the user as one clear line.

The CLI turns a :class:`LongtailError` into a single line on stderr and exit
code 2, so every message must say what is wrong, where, and what to do.
"""

from __future__ import annotations

from typing import Any


class LongtailError(Exception):
    """An error the user can fix; its message is shown as is."""


class InputError(LongtailError):
    """Bad input data: names the file, the column and an example row."""

    def __init__(
        self,
        what: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: Any = None,
        fix: str | None = None,
    ) -> None:
        self.what = what
        self.file = file
        self.column = column
        self.row = row
        self.value = value
        self.fix = fix
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.column:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        text = ", ".join(where)
        text = f"{text}: {self.what}" if text else self.what
        if self.value is not None:
            text += f" (e.g. {self.value!r})"
        if self.fix:
            text += f"; {self.fix}"
        return text
