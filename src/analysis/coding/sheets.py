"""Coding sheets: an Excel workbook a coder fills in (one row per paragraph, its text with the
paragraphs before and after, a 0/1 column per theme, a note; the codebook on a second sheet),
and reading a filled sheet back, as .xlsx or as a CSV that Excel saved.

The machine's coding is never on a sheet: the coder codes blind to it.

Usage::

    from analysis.coding.sheets import write_sheet, read_sheet
    write_sheet(path, rows, segments, codebook, coder="anna", sheet="anna-2026-12-04", corpus="corpus")
    table = read_sheet(path, codebook)   # canonical columns, the sheet's row numbers in ``row``
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
from pathlib import Path

import pandas as pd

from analysis.base.errors import InputError, Problem
from analysis.publish import i18n

#: Columns a coder reads (in this order), then the theme columns, the note, and the columns that
#: identify a row (kept at the right, in grey).
READ_COLUMNS = ["text", "before", "after", "municipality", "document", "position"]
ID_COLUMNS = ["segment_id", "fingerprint", "sheet", "coder"]
REQUIRED = ID_COLUMNS  # and every theme
#: Columns read from a sheet (a written sheet has fewer than 30; cells beyond are ignored).
MAX_COLUMNS = 200
WIDTHS = {"text": 80, "before": 40, "after": 40, "municipality": 14, "document": 24, "position": 22, "note": 30,
          "codes": 30, "segment_id": 28, "fingerprint": 14, "sheet": 22, "coder": 10}


def _headings(codebook, language: str) -> dict[str, str]:
    """Canonical column -> heading in ``language``."""
    with i18n.using(language):
        names = {c: i18n.t(f"sheet.col.{c}") for c in [*READ_COLUMNS, "note", "codes", *ID_COLUMNS]}
    names.update(codebook.labels(language))
    return names


def context_rows(rows: pd.DataFrame, segments: pd.DataFrame, language: str) -> pd.DataFrame:
    """The columns a coder reads for each row (by ``segment_id``): text, the paragraphs before and
    after in its document, municipality, document and position."""
    segs = segments.reset_index(drop=True)
    order = segs.sort_values(["doc_id", "position"], kind="stable")
    before = order.groupby("doc_id")["text"].shift(1)
    after = order.groupby("doc_id")["text"].shift(-1)
    total = order.groupby("doc_id")["position"].transform("size")
    rank = order.groupby("doc_id").cumcount() + 1
    with i18n.using(language):
        start, end = i18n.t("sheet.start"), i18n.t("sheet.end")
        section = order["section"].fillna("").astype(str) if "section" in order else pd.Series("", index=order.index)
        position = [i18n.t("sheet.position_section", position=p, total=n, section=s) if s else
                    i18n.t("sheet.position", position=p, total=n) for p, n, s in zip(rank, total, section)]
    title = order["title"] if "title" in order else order["doc_id"]
    info = pd.DataFrame({"segment_id": order["segment_id"], "text": order["text"],
                         "before": before.fillna(start), "after": after.fillna(end),
                         "municipality": order["municipality"], "document": title.fillna(order["doc_id"]),
                         "position": position}).set_index("segment_id")
    return info.loc[rows["segment_id"]].reset_index()


def write_sheet(path: Path, rows: pd.DataFrame, segments: pd.DataFrame, codebook, *, coder: str, sheet: str,
                corpus: str, language: str = "da", codes: pd.Series | None = None, date: str | None = None) -> None:
    """Write a coding sheet for ``rows`` (segment_id, fingerprint) of the run's ``segments``.

    The first sheet has one row per paragraph: text with its context, a 0/1 column per theme
    (a drop-down that accepts only 0 and 1), a note, and the row's id columns; the header is
    frozen and text wraps. The second sheet is the codebook: how to code, what does not code,
    each theme's definition with examples, and the codebook's particular exclusions. ``codes``
    (segment_id -> text) adds the coders' codes so far, for an adjudicator.
    """
    import xlsxwriter

    names = _headings(codebook, language)
    keys = codebook.keys
    read = context_rows(rows, segments, language)
    columns = [*READ_COLUMNS, *(["codes"] if codes is not None else []), *keys, "note", *ID_COLUMNS]
    date = date or _dt.date.today().isoformat()
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    book.set_properties({"title": f"Coding sheet {sheet}", "author": coder, "comments": f"corpus: {corpus}",
                         "created": _dt.datetime(2026, 1, 1)})
    try:
        head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8E8E8",
                                "border": 1})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        context = book.add_format({"text_wrap": True, "valign": "top", "font_color": "#666666"})
        code = book.add_format({"align": "center", "valign": "top", "bg_color": "#FFF8DC", "border": 1})
        ident = book.add_format({"valign": "top", "font_color": "#999999"})
        with i18n.using(language):
            ws = book.add_worksheet(i18n.t("sheet.name"))
            validation = {"validate": "list", "source": ["0", "1"], "input_title": i18n.t("sheet.validation_title"),
                          "input_message": i18n.t("sheet.validation_message"),
                          "error_title": i18n.t("sheet.validation_title"),
                          "error_message": i18n.t("sheet.validation_error")}
        ws.write_row(0, 0, [names[c] for c in columns], head)
        ws.freeze_panes(1, 1)
        values = {"segment_id": rows["segment_id"].tolist(), "fingerprint": rows["fingerprint"].tolist(),
                  "sheet": [sheet] * len(rows), "coder": [coder] * len(rows)}
        for c in READ_COLUMNS:
            values[c] = read[c].astype(str).tolist()
        if codes is not None:
            values["codes"] = codes.reindex(rows["segment_id"]).fillna("").tolist()
        for j, c in enumerate(columns):
            fmt = code if c in keys else context if c in ("before", "after") else ident if c in ID_COLUMNS else wrap
            ws.set_column(j, j, 12 if c in keys else WIDTHS.get(c, 16), fmt)
            for i, v in enumerate(values.get(c, [])):
                ws.write_string(i + 1, j, v, fmt)
        for c in keys:
            j = columns.index(c)
            if len(rows):
                ws.data_validation(1, j, len(rows), j, validation)
        ws.set_row(0, 45)
        ws.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
        _write_codebook(book, codebook, language, head, wrap)
        with i18n.using(language):
            about = book.add_worksheet("about")
            about.write_string(0, 0, i18n.t("sheet.about", sheet=sheet, coder=coder, date=date, corpus=corpus,
                                            n=len(rows), file=Path(path).name))
            for i, (k, v) in enumerate((("sheet", sheet), ("coder", coder), ("corpus", corpus), ("drawn", date),
                                        ("language", language), ("rows", str(len(rows)))), start=2):
                about.write_string(i, 0, k)
                about.write_string(i, 1, v)
            about.hide()
    finally:
        book.close()


def _write_codebook(book, codebook, language: str, head, wrap) -> None:
    with i18n.using(language):
        ws = book.add_worksheet(i18n.t("sheet.codebook_name"))
        ws.set_column(0, 0, 30, wrap)
        ws.set_column(1, 1, 100, wrap)
        ws.set_column(2, 2, 12, wrap)
        row = 0
        for title, body in (("sheet.guide_title", "sheet.guide"), ("sheet.rules_title", "sheet.rules"),
                            ("sheet.thumb_title", "sheet.thumb")):
            ws.write_string(row, 0, i18n.t(title), head)
            ws.write_string(row, 1, i18n.t(body), wrap)
            row += 1
        row += 1
        ws.write_row(row, 0, [i18n.t("sheet.theme_col"), i18n.t("sheet.definition_col"), i18n.t("sheet.core_col")],
                     head)
        for key, theme in codebook.themes.items():
            row += 1
            ws.write_string(row, 0, codebook.labels(language)[key], wrap)
            ws.write_string(row, 1, " ".join(theme.definition_in(language).split()), wrap)
            ws.write_string(row, 2, i18n.t("sheet.yes" if theme.core else "sheet.no"), wrap)
        row += 2
        ws.write_string(row, 0, i18n.t("sheet.exclusions_title"), head)
        labels = codebook.labels(language)
        for rule in codebook.exclusions:
            row += 1
            themes = ", ".join(labels[k] for k in (rule.themes or []) if k in labels)
            ws.write_string(row, 0, rule.name + (f" ({themes})" if themes else ""), wrap)
            ws.write_string(row, 1, " ".join(str(rule.description).split()), wrap)


# --------------------------------------------------------------------------- reading back


def _header_map(header: list, codebook, label: str) -> dict[int, str]:
    """Column index -> canonical name, accepting the Danish and the English headings."""
    known = {}
    for language in i18n.LANGUAGES:
        for canonical, heading in _headings(codebook, language).items():
            known[heading.strip().casefold()] = canonical
    for key in codebook.keys:  # a theme column may also be headed by its key
        known[key.casefold()] = key
    found, unknown = {}, []
    for j, h in enumerate(header):
        name = "" if h is None else str(h).strip()
        if not name:
            continue
        canonical = known.get(name.casefold())
        if canonical is None:
            unknown.append(name)
        elif canonical in found.values():
            first = next(i for i, c in found.items() if c == canonical)
            raise InputError(Problem(label, f"two columns are headed {name!r} (columns {_letter(first)} and "
                                     f"{_letter(j)})", line=1,
                                     fix="keep one of them (the sheet as it was written has each column once)"))
        else:
            found[j] = canonical
    missing = [c for c in [*codebook.keys, *REQUIRED] if c not in found.values()]
    if missing:
        names = _headings(codebook, "da")
        wanted = ", ".join(f"'{names[c]}'" for c in missing)
        extra = f" (found {', '.join(repr(u) for u in unknown)}: renamed?)" if unknown else ""
        raise InputError(Problem(label, f"missing column(s) {wanted}{extra}", line=1,
                                 fix="restore the headings as the sheet was written (Danish or English)"))
    return found


def _letter(j: int) -> str:
    """A column's letter as Excel names it (0 -> A, 26 -> AA)."""
    name = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        name = chr(65 + r) + name
    return name


def read_sheet(path: Path, codebook) -> pd.DataFrame:
    """Read a filled coding sheet (.xlsx, or .csv as Excel saves it: UTF-8 or Windows-1252,
    comma or semicolon).

    Returns
    -------
    DataFrame
        The canonical columns (segment_id, fingerprint, sheet, coder, the themes as the cells
        were written, note) and ``row``, the row's number in the sheet (header = 1). Rows that
        are empty in every column are left out.

    Raises
    ------
    InputError
        A one-line problem naming the file (and line): not a sheet, unreadable, no header, a
        missing or renamed column, no rows.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError(Problem(label, "no such file", fix="give the path of a filled coding sheet"))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid = _xlsx_rows(path, codebook, label)
    elif suffix in (".csv", ".txt"):
        grid = _csv_rows(path, label)
    else:
        raise InputError(Problem(label, f"not a coding sheet ({suffix or 'no extension'})",
                                 fix="read in the .xlsx that `sample` wrote (or a CSV saved from it)"))
    if not grid or not any(str(c or "").strip() for c in grid[0]):
        raise InputError(Problem(label, "the sheet is empty", fix="read in the filled sheet that `sample` wrote"))
    columns = _header_map(grid[0], codebook, label)
    records = []
    for i, cells in enumerate(grid[1:], start=2):
        if not any(str(c).strip() for c in cells if c is not None):
            continue
        record = {name: (cells[j] if j < len(cells) else None) for j, name in columns.items()}
        record["row"] = i
        records.append(record)
    if not records:
        raise InputError(Problem(label, "the sheet has no rows", fix="read in the filled sheet that `sample` wrote"))
    table = pd.DataFrame(records)
    for c in ["note", *ID_COLUMNS]:
        if c not in table:
            table[c] = None
        table[c] = table[c].map(lambda v: "" if v is None else str(v).strip())
    return table


def _xlsx_rows(path: Path, codebook, label: str) -> list[list]:
    import zipfile

    from openpyxl import load_workbook

    from xml.etree.ElementTree import ParseError

    unreadable = Problem(label, "not a readable Excel workbook", fix="open it in Excel or LibreOffice, save it as "
                                                                   ".xlsx (Excel workbook) and retry")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, ParseError, TypeError):
        raise InputError(unreadable) from None
    try:
        names = set()
        for language in i18n.LANGUAGES:
            with i18n.using(language):
                names.add(i18n.t("sheet.name"))
        sheet = next((book[n] for n in book.sheetnames if n in names), book.worksheets[0])
        sheet.reset_dimensions()  # rows as long as their cells, not as the width the file declares
        rows = []
        for r in sheet.iter_rows(values_only=True):
            rows.append(list(r[:MAX_COLUMNS]))
        return rows
    except (zipfile.BadZipFile, KeyError, ValueError, ParseError, TypeError, AttributeError):
        raise InputError(unreadable) from None
    finally:
        book.close()


def _csv_rows(path: Path, label: str) -> list[list]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel's "CSV" on Danish Windows
    first = text.split("\n", 1)[0]
    delimiter = max([";", ",", "\t"], key=first.count)
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError(Problem(label, f"not a readable CSV ({exc})", fix="save the sheet as .xlsx")) from None
