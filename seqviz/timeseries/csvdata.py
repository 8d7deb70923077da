"""A series from an uploaded CSV file: its numeric columns, each a candidate series.

The bytes go through the project's upload checks first (size before anything is decoded, any
text encoding, binary files refused: ``seqviz.data.decode_upload``); the table is read by the
standard library's ``csv`` (its ``Sniffer`` guesses the delimiter and whether the first line is
a header). Reading stops after ``MAX_SERIES_POINTS`` rows and ``MAX_CSV_COLUMNS`` columns, so
memory stays bounded whatever the file. A column is usable when every non-empty cell is a finite
number, it has at least ``MIN_POINTS`` of them and is not constant; empty cells are filled by
linear interpolation between their neighbours.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from seqviz.data import CorpusError, decode_upload
from seqviz.i18n import _
from seqviz.limits import MAX_CSV_BYTES, MAX_CSV_COLUMNS, MAX_SERIES_POINTS
from seqviz.timeseries.experiment import MIN_POINTS

NAME_CHARS = 100  # a column name is cut to this many characters (the config's cap)
DELIMITERS = ",;\t|"


class CsvError(CorpusError):
    """An uploaded CSV that gives no series; ``str(err)`` is fit to show on a page."""


@dataclass(frozen=True)
class Table:
    columns: dict[str, np.ndarray]  # usable column name -> (T,) float64, in file order
    rows: int  # data rows read
    truncated: bool  # the file had more than MAX_SERIES_POINTS data rows


def decode_csv(data: bytes, max_bytes: int = MAX_CSV_BYTES) -> str:
    """The text of an uploaded CSV file that has at least one usable column; else
    ``CsvError`` with a complete, translated message."""
    if not data.strip():
        raise CsvError(_("The file is empty. Upload a .csv file with a column of numbers."))
    if len(data) > max_bytes:
        raise CsvError(_("The file is too large: {n} bytes; the limit is {most} bytes. Upload "
                         "a shorter series.").format(n=f"{len(data):,}", most=f"{max_bytes:,}"))
    try:
        text = decode_upload(data, max_bytes)
    except CorpusError:
        raise CsvError(_("The file is not text: it looks like binary data (a spreadsheet "
                         "workbook, an image or an archive, for example). Save the sheet as "
                         ".csv and upload that.")) from None
    read_table(text)  # raises when no column is usable
    return text


def _number(cell: str) -> float | None:
    """A finite number, None for an empty cell; raises ValueError for anything else."""
    cell = cell.strip()
    if not cell:
        return None
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError(cell)
    return value


def _names(first: list[str], header: bool) -> list[str]:
    out: list[str] = []
    for i, cell in enumerate(first, 1):
        name = cell.strip()[:NAME_CHARS] if header else ""
        name = name or _("column {i}").format(i=i)
        while name in out:
            name = f"{name} ({i})"[-NAME_CHARS:]
        out.append(name)
    return out


def _is_header(row: list[str]) -> bool:
    for cell in row:
        try:
            _number(cell)
        except ValueError:
            return True
    return False


def _fill(values: list[float | None]) -> np.ndarray:
    """Empty cells by linear interpolation (the ends by the nearest value)."""
    arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    ok = ~np.isnan(arr)
    idx = np.arange(len(arr))
    return np.interp(idx, idx[ok], arr[ok])


def read_table(text: str) -> Table:
    """The usable columns of a CSV text; ``CsvError`` when there is none."""
    try:
        dialect = csv.Sniffer().sniff(text[:20_000], delimiters=DELIMITERS)
    except csv.Error:  # one column, or no delimiter it could tell
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    try:
        first = next(row for row in rows if any(c.strip() for c in row))
        header = _is_header(first)
        names = _names(first[:MAX_CSV_COLUMNS], header)
        cells: list[list[str]] = [] if header else [first[:MAX_CSV_COLUMNS]]
        truncated = False
        for row in rows:
            if not any(c.strip() for c in row):
                continue
            if len(cells) >= MAX_SERIES_POINTS:
                truncated = True
                break
            if len(row) != len(first):
                raise CsvError(_("Line {line} has {n} fields, but the first line has {m}: the "
                                 "file is not a table. Check its delimiters and quotes.").format(
                    line=rows.line_num, n=len(row), m=len(first)))
            cells.append(row[:MAX_CSV_COLUMNS])
    except StopIteration:
        raise CsvError(_("The file is empty. Upload a .csv file with a column of numbers.")
                       ) from None
    except csv.Error as err:
        raise CsvError(_("The file cannot be read as CSV (line {line}): {reason}.").format(
            line=rows.line_num, reason=err)) from None
    columns, short, flat = {}, [], []
    for j, name in enumerate(names):
        try:
            values = [_number(row[j]) for row in cells]
        except ValueError:
            continue  # text in it: not a series
        n = sum(v is not None for v in values)
        if n < MIN_POINTS:
            short.append((name, n)) if n else None
            continue
        arr = _fill(values)
        if float(arr.std()) < 1e-12:
            flat.append(name)
            continue
        columns[name] = arr
    if not columns:
        raise CsvError(_no_column(names, short, flat))
    return Table(columns, len(cells), truncated)


def _no_column(names: list[str], short: list[tuple[str, int]], flat: list[str]) -> str:
    found = ", ".join(f"“{n}”" for n in names[:10]) + (" …" if len(names) > 10 else "")
    msg = _("No column of this file is a series of at least {min} numbers (its columns: "
            "{found}).").format(min=MIN_POINTS, found=found)
    if short:
        msg += " " + _("Too short: {cols}.").format(
            cols=", ".join(f"“{n}” ({k})" for n, k in short[:5]))
    if flat:
        msg += " " + _("Constant: {cols}.").format(cols=", ".join(f"“{n}”" for n in flat[:5]))
    return msg
