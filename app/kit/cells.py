"""Cells of every exported file, written as text and never as a formula.

A value typed by someone (a member's name, a reason, an import's rejected value) can start with
`=`, `+`, `-`, `@`, a tab or a carriage return: a spreadsheet opening the file would run it as a
formula (`=HYPERLINK("http://evil","x")`). So:

- XLSX: every cell is a string cell (`write_string`), in a workbook whose `strings_to_formulas`,
  `strings_to_numbers` and `strings_to_urls` are off;
- CSV: the OWASP rule — a cell starting with one of those characters is prefixed with `'`
  (a plain number such as `-1200.50` is a number, not a formula, and stays as it is, so an
  exported register imports again). The importer removes that one quote again (`unescape`).

Every writer of CSV or XLSX goes through this module.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False,
                "strings_to_urls": False}


def text(value: Any) -> str:
    """A value as the text of a cell: None is empty, booleans 1/0 are the caller's choice."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_cell(value: Any) -> str:
    """The text of a CSV cell, with `'` before a leading formula character."""
    s = text(value)
    if s.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(s):
        return "'" + s
    return s


def csv_row(values: Iterable[Any]) -> list[str]:
    return [csv_cell(v) for v in values]


def csv_line(values: Iterable[Any], lineterminator: str = "\r\n") -> str:
    """One CSV line of safe cells."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=lineterminator).writerow(csv_row(values))
    return buf.getvalue()


class CsvLines:
    """A csv.writer over a buffer that is drained in chunks (for streamed answers)."""

    def __init__(self, lineterminator: str = "\r\n") -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator=lineterminator)

    def write(self, values: Iterable[Any]) -> None:
        self._writer.writerow(csv_row(values))

    def drain(self) -> str:
        out = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        return out


def unescape(cell: str) -> str:
    """The value of a CSV cell written by `csv_cell` (one `'` before a formula character is
    removed; any other cell is left alone)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:]
    return cell


def xlsx_workbook(path: str, **options: Any):
    """An xlsxwriter workbook that never turns a string into a formula, number or link."""
    import xlsxwriter

    return xlsxwriter.Workbook(path, {**options, **XLSX_OPTIONS})


def xlsx_row(worksheet, row: int, values: Iterable[Any]) -> None:
    """Write a row as string cells (never `write`, which guesses formulas from `=`)."""
    for col, value in enumerate(values):
        s = text(value)
        if s:
            worksheet.write_string(row, col, s)
