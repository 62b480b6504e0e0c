"""The Excel workbook of a run: every table a sheet, text as text, Excel's limits kept.

Usage::

    from analysis.publish.workbook import ensure_workbook
    ensure_workbook("outputs")  # outputs/tables/analysis.xlsx, made from the tables on disk
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base import result as _result
from analysis.publish.table_files import WORKBOOK_LEFT_OUT, read_table, workbook_paths

#: Excel's limits: rows per sheet (with the header) and characters per cell.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CHARS = 32_767


def ensure_workbook(out: str | Path) -> Path:
    """Write ``OUT/tables/analysis.xlsx`` from the tables on disk, unless the one there was made
    from the same tables (then it is kept as it is: writing it is the slowest step for a large
    corpus). Returns its path.

    Raises
    ------
    FileNotFoundError
        When ``OUT/tables`` has no run yet.
    """
    from filelock import FileLock

    from analysis.base.cache import replacing

    out = Path(out)
    meta = json.loads((out / "tables" / "run.json").read_text(encoding="utf-8"))
    book, stamp = workbook_paths(out)
    wanted = meta["workbook_fingerprint"]
    if book.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return book
    with FileLock(str(out / ".tables.lock"), timeout=_result.WRITE_LOCK_TIMEOUT):
        sheets = {name: read_table(out, name) for name in meta["workbook_sheets"]}
        with replacing(book) as tmp:
            write_workbook(sheets, tmp, left_out=list(WORKBOOK_LEFT_OUT))
        stamp.write_text(wanted, encoding="utf-8")
    return book


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, left_out: list[str] | None = None) -> None:
    """Write tables to one Excel workbook, a sheet per table (for Excel, Stata and R users).

    The first sheet, ``about``, lists every sheet with its rows and columns, and the tables
    that are only in ``OUT/tables`` as CSV and Parquet. Text is written as text: a segment that
    starts with "=" does not become a formula, and links are not made from URLs, so a document
    cannot put active content into the workbook. Excel's limits are kept: a cell longer than
    32,767 characters is cut (and marked with "…"), a table longer than a sheet is cut, and
    ``about`` says so.
    """
    about, ready = [], {}
    for name, table in tables.items():
        note = ""
        if len(table) >= EXCEL_MAX_ROWS:
            table = table.head(EXCEL_MAX_ROWS - 1)
            note = f"first {EXCEL_MAX_ROWS - 1:,} rows; the whole table is {name}.csv"
        text_cols = [c for c in table.columns if table[c].dtype == object or pd.api.types.is_string_dtype(table[c])]
        long = [c for c in text_cols if table[c].astype(str).str.len().max() > EXCEL_MAX_CHARS] if len(table) else []
        if long:
            table = table.copy()
            for c in long:
                table[c] = table[c].map(lambda v: v if not isinstance(v, str) or len(v) <= EXCEL_MAX_CHARS
                                        else v[:EXCEL_MAX_CHARS - 1] + "…")
            note = (note + "; " if note else "") + f"long text cut to {EXCEL_MAX_CHARS:,} characters in " \
                + ", ".join(long) + f"; the whole text is in {name}.csv"
        ready[name[:31]] = table
        about.append({"sheet": name[:31], "table": f"{name}.csv", "rows": len(table), "columns": table.shape[1],
                      "note": note})
    for name in left_out or []:
        about.append({"sheet": "", "table": f"{name}.csv", "rows": None, "columns": None,
                      "note": "long table, not in the workbook: open the CSV or Parquet file in OUT/tables"})
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    book = xlsxwriter.Workbook(str(path), options)
    # A fixed creation date: the same tables give a byte-identical workbook.
    book.set_properties({"title": "Udsattepolitikker: tables of one run", "created": _dt.datetime(2026, 1, 1)})
    try:
        bold = book.add_format({"bold": True})
        _write_sheet(book, "about", pd.DataFrame(about, columns=["sheet", "table", "rows", "columns", "note"]), bold)
        for sheet, table in ready.items():
            _write_sheet(book, sheet, table, bold)
    finally:
        book.close()


def _write_sheet(book, name: str, table: pd.DataFrame, header_format) -> None:
    """Write a table to a new sheet column by column: numbers as numbers, booleans as booleans,
    everything else as text (never a formula); missing values stay empty cells.

    This is xlsxwriter's own cell writing without pandas' per-cell formatting, which made the
    workbook the slowest step of an incremental run.
    """
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, [str(c) for c in table.columns], header_format)
    sheet.freeze_panes(1, 0)
    for j, column in enumerate(table.columns):
        values = table[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = values.astype("float64").to_numpy()
            present = np.flatnonzero(~np.isnan(numbers))
            for i, v in zip((present + 1).tolist(), numbers[present].tolist()):
                if math.isinf(v):
                    sheet.write_string(i, j, "inf" if v > 0 else "-inf")
                else:
                    sheet.write_number(i, j, v)
            continue
        for i, v in enumerate(values.tolist(), start=1):
            if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v == "":
                continue  # an empty cell, as for a missing value
            if isinstance(v, bool | np.bool_):
                sheet.write_boolean(i, j, bool(v))
            elif isinstance(v, int | float | np.integer | np.floating):
                sheet.write_number(i, j, float(v))
            else:
                sheet.write_string(i, j, str(v))
