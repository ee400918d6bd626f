"""Edits that make a malformed variant of a real CSV file, for the tests of each contract: each
returns a function that changes the file's rows (the header first) in place."""

from __future__ import annotations

from collections.abc import Callable

Edit = Callable[[list[list[str]]], None]


def set_cell(line: int, column: str, value: str) -> Edit:
    """The cell of `column` on the file's `line` (1 is the header) becomes `value`."""

    def edit(rows: list[list[str]]) -> None:
        rows[line - 1][rows[0].index(column)] = value

    return edit


def rename_column(old: str, new: str) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        rows[0][rows[0].index(old)] = new

    return edit


def drop_column(column: str) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        index = rows[0].index(column)
        for row in rows:
            del row[index]

    return edit
