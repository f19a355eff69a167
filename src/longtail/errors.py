"""Errors that reach the user as one clear line.

The CLI turns a :class:`LongtailError` into a single line on stderr and exit
code 2, so every message must say what is wrong, where, and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# An example row is shown inside a one-line message: keep it short whatever the file holds.
_EXAMPLE_COLUMNS = 8
_EXAMPLE_VALUE_CHARS = 24


class LongtailError(Exception):
    """An error the user can fix; its message is shown as is."""


class InputError(LongtailError):
    """Bad input data: names the file, the column and an example row.

    ``row`` is the 0-based data row (header not counted) and ``value`` the bad
    value in it; ``example`` shows a row's contents (see :func:`describe_row`)
    where the bad value alone would not let the user find or recognise it,
    e.g. an empty id or a column that is not there.
    """

    def __init__(
        self,
        what: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: Any = None,
        fix: str | None = None,
        example: str | None = None,
    ) -> None:
        self.what = what
        self.file = file
        self.column = column
        self.row = row
        self.value = value
        self.fix = fix
        self.example = example
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
        if self.example:
            text += f"; {self.example}"
        if self.fix:
            text += f"; {self.fix}"
        # Column names and values come from the user's file and may hold line
        # breaks; the message must stay one line, so they are shown escaped.
        return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


def describe_row(record: Mapping[str, Any], label: str) -> str:
    """``label`` and the row's ``column=value`` pairs, shortened to fit on one line.

    Empty values show as ``(empty)``; long values and wide rows are cut with
    ``...``; line breaks inside values become spaces.
    """
    parts = []
    for name, value in list(record.items())[:_EXAMPLE_COLUMNS]:
        text = "(empty)" if value is None else " ".join(str(value).split())
        if len(text) > _EXAMPLE_VALUE_CHARS:
            text = text[: _EXAMPLE_VALUE_CHARS - 3] + "..."
        parts.append(f"{name}={text}")
    hidden = len(record) - _EXAMPLE_COLUMNS
    if hidden > 0:
        parts.append(f"... ({hidden} more columns)")
    return f"{label}: {', '.join(parts)}"
