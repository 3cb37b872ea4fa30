"""Reading an uploaded file as a stream of rows: CSV (UTF-8, UTF-8 with BOM or GB18030),
XLSX (openpyxl's read-only mode, row by row) and JSONL (one object a line). Never the whole file in memory.

Every reader yields `(line, values)`: `line` is the line (CSV, JSONL) or row (XLSX) number in
the file, the header being line 1, and `values` maps each header as written to its text.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from app.kit.cells import unescape

FORMATS = ("csv", "xlsx", "jsonl")
_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20


class FileError(Exception):
    """The file as a whole cannot be read (unknown format, no header, broken encoding)."""

    def __init__(self, code: str, detail: str, line: int | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.line = line


def sniff_format(name: str, head: bytes) -> str:
    """csv, xlsx or jsonl, from the file's first bytes (a zip is XLSX) and its name."""
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    lower = (name or "").lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".xlsx"):
        raise FileError("import.file.not_xlsx", "the file is named .xlsx but is not an XLSX workbook")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "jsonl"
    return "csv"


class EncodingSniffer:
    """Fed the file's chunks in order: UTF-8 (with or without BOM) when every byte decodes as
    UTF-8, else GB18030 (the national superset of GBK/GB2312 that district spreadsheets export)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._first = True
        self.bom = False
        self.utf8 = True

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self._first and chunk:
            self.bom = chunk.startswith(codecs.BOM_UTF8)
            self._first = False
        if self.utf8:
            try:
                self._decoder.decode(chunk, final)
            except UnicodeDecodeError:
                self.utf8 = False

    @property
    def encoding(self) -> str:
        if self.bom:
            return "utf-8-sig"
        return "utf-8" if self.utf8 else "gb18030"


Source = Path | BinaryIO  # a path, or a seekable binary stream (a stored file, decrypted)


def _text(source: Source, encoding: str) -> io.TextIOWrapper:
    if isinstance(source, Path):
        return open(source, encoding=encoding, newline="", errors="strict")
    return io.TextIOWrapper(source, encoding=encoding, newline="", errors="strict")


def _csv_rows(source: Source, encoding: str) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        yield from _csv_records(source, encoding)
    except csv.Error as e:
        line = getattr(e, "line", None)
        where = f"line {line}: " if line else ""
        if "field larger than field limit" in str(e):
            raise FileError("import.file.field_too_large",
                            f"{where}a field is longer than {csv.field_size_limit() // 1024} KiB "
                            "(a quote left open swallows the lines after it)", line=line) from None
        raise FileError("import.file.malformed", f"{where}the CSV cannot be read: {e}",
                        line=line) from None


def _csv_records(source: Source, encoding: str) -> Iterator[tuple[int, dict[str, str]]]:
    with _text(source, encoding) as f:
        first = f.readline()
        f.seek(0)
        # The header's most frequent separator: a comma, or the tab / semicolon of some exports.
        delimiter = max(",\t;", key=first.count)
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if not header:
            raise FileError("import.file.no_header", "the file has no header line")
        header = [h.strip().lstrip("\ufeff") for h in header]
        while True:
            starts = reader.line_num + 1  # the line the next row starts on
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                e.line = starts  # type: ignore[attr-defined]
                raise
            if not "".join(row).strip():  # blank line (all cells empty or spaces)
                continue
            yield reader.line_num, dict(zip(header, map(unescape, row), strict=False))


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        # Spreadsheets keep numbers as floats: 9000.0 → "9000", 12.5 → "12.5" (repr is exact
        # enough for money typed with two decimals).
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip()


def _xlsx_rows(source: Source) -> Iterator[tuple[int, dict[str, str]]]:
    """The first sheet, streamed (openpyxl's read-only mode parses the sheet's XML as it goes:
    memory stays flat in the number of rows; only the workbook's table of distinct texts is
    held). Row numbers are the sheet's."""
    import warnings
    import zipfile

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not read
            wb = load_workbook(source, read_only=True, data_only=True, keep_links=False)
        sheet = wb.worksheets[0]
        # A writer may leave a wrong <dimension>: read every row the sheet has instead.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as e:
        raise FileError("import.file.unreadable", f"the workbook cannot be read: {e}") from None
    header: list[str] | None = None
    try:
        for n, row in enumerate(rows, start=1):
            cells = [_cell(v) for v in row]
            if header is None:
                if not any(cells):
                    continue
                header = cells
                continue
            if not any(cells):
                continue
            yield n, dict(zip(header, cells, strict=False))
    except (zipfile.BadZipFile, ValueError, OSError, SyntaxError) as e:
        # a damaged sheet found while reading it (ParseError is a SyntaxError)
        raise FileError("import.file.unreadable", f"the workbook cannot be read: {e}") from None
    finally:
        wb.close()
    if header is None:
        raise FileError("import.file.no_header", "the workbook's first sheet has no header row")


def _json_value(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | Decimal):
        return str(v)
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v).strip()


def _jsonl_rows(source: Source, encoding: str) -> Iterator[tuple[int, dict[str, str] | str]]:
    with _text(source, encoding) as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw, parse_float=Decimal)
            except json.JSONDecodeError as e:
                yield n, f"not a JSON object: {e.msg}"
                continue
            if not isinstance(obj, dict):
                yield n, "not a JSON object"
                continue
            yield n, {str(k): _json_value(v) for k, v in obj.items()}


def iter_rows(source: Source, fmt: str,
              encoding: str | None) -> Iterator[tuple[int, dict[str, str] | str]]:
    """The rows of the file, streamed. A row that cannot be parsed at all is a `str` (why).
    Lines: the physical line for CSV (the header is line 1) and JSONL, the row for XLSX."""
    enc = encoding or "utf-8"
    try:
        if fmt == "csv":
            yield from _csv_rows(source, enc)
        elif fmt == "xlsx":
            yield from _xlsx_rows(source)
        elif fmt == "jsonl":
            yield from _jsonl_rows(source, enc)
        else:
            raise FileError("import.file.format", f"unknown format {fmt}")
    except UnicodeDecodeError as e:
        raise FileError("import.file.encoding", f"the file is not valid {enc}: {e.reason}") from None
