"""Load and validate a corpus folder: ``metadata.csv`` plus the documents it lists.

A corpus is any folder with this layout::

    corpus/
      metadata.csv        one row per document
      documents/          the files as received (never modified)

Usage::

    from analysis.corpus.metadata import load_corpus
    corpus = load_corpus("corpus")          # raises InputError listing every problem
    corpus.documents                        # DataFrame, one row per valid document
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.base.danish import DOC_TYPES, MUNICIPALITY_ALIASES
from analysis.base.errors import InputError, Problem
from analysis.base.paths import MUNICIPALITIES_CSV

REQUIRED_COLUMNS = ("doc_id", "file", "municipality", "doc_type", "year", "title")
OPTIONAL_COLUMNS = ("author", "source_url", "notes")
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
DOC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FIRST_YEAR = 1970
IGNORED_NAMES = {"README.md", "README.txt", ".gitkeep", "Thumbs.db", "desktop.ini"}


@dataclass
class Corpus:
    """A validated corpus: its folder, its documents table, and the problems found.

    ``documents`` has the metadata columns plus ``kommunekode``, ``region``, ``path`` (absolute)
    and ``status`` ("ok" or the reason the document cannot be used).
    """

    root: Path
    documents: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> pd.DataFrame:
        """The documents that passed validation."""
        return self.documents[self.documents["status"] == "ok"]


# --------------------------------------------------------------------------- municipalities


@lru_cache(maxsize=1)
def load_municipalities() -> pd.DataFrame:
    """Return the reference table of Denmark's 98 municipalities (kommunekode, municipality, region)."""
    return pd.read_csv(MUNICIPALITIES_CSV, dtype=str, encoding="utf-8")


def _name_key(name: str) -> str:
    key = unicodedata.normalize("NFC", name).casefold().strip()
    key = re.sub(r"\b(regions)?kommunes?\b", " ", key)
    key = key.replace("aa", "å")
    return re.sub(r"[^a-zæøå]", "", key)


@lru_cache(maxsize=1)
def _municipality_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name in load_municipalities()["municipality"]:
        index[_name_key(name)] = name
    for alias, name in MUNICIPALITY_ALIASES.items():
        index[_name_key(alias)] = name
    return index


def resolve_municipality(name: str) -> str | None:
    """Return the official name of a municipality from a common variant, or None.

    ``"Københavns Kommune"``, ``"Århus"``, ``"Frederiksberg Kommune"`` and ``"aabenraa"`` all
    resolve; so do genitive forms ("Odsherreds Kommune").
    """
    if not isinstance(name, str) or not name.strip():
        return None
    index = _municipality_index()
    alias = MUNICIPALITY_ALIASES.get(name.strip().casefold())
    if alias:
        return alias
    key = _name_key(name)
    for candidate in (key, key[:-1] if key.endswith("s") else key, key + "s"):
        if candidate in index:
            return index[candidate]
    return None


def suggest_municipality(name: str) -> str | None:
    """Return the closest official municipality name for an unknown one, if any is close."""
    names = list(load_municipalities()["municipality"])
    keys = {_name_key(n): n for n in names}
    match = difflib.get_close_matches(_name_key(name), list(keys), n=1, cutoff=0.6)
    return keys[match[0]] if match else None


def municipality_info(name: str) -> tuple[str, str]:
    """Return (kommunekode, region) of an official municipality name."""
    table = load_municipalities().set_index("municipality")
    row = table.loc[name]
    return row["kommunekode"], row["region"]


# --------------------------------------------------------------------------- metadata


def _decode_csv(raw: bytes, path: str) -> str:
    from analysis.corpus.ingest import decode_text  # local import: ingest depends on nothing here

    return decode_text(raw, path)


def read_metadata(path: Path, label: str | None = None) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read ``metadata.csv`` into rows (each with its file line number under ``_line``).

    Accepts comma- or semicolon-separated files (Danish Excel saves with ';') in UTF-8 or cp1252.
    Returns the rows and the problems found with the file's shape.
    """
    label = label or str(path)
    if not path.is_file():
        return [], [Problem(label, "metadata file not found",
                            fix="create metadata.csv with columns " + ",".join(REQUIRED_COLUMNS))]
    try:
        text = _decode_csv(path.read_bytes(), label)
    except InputError as exc:
        return [], exc.problems
    text = text.lstrip("\ufeff")
    if not text.strip():
        return [], [Problem(label, "metadata file is empty", fix="add a header row: " + ",".join(REQUIRED_COLUMNS))]
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        return [], [Problem(label, f"header is not valid CSV ({exc})", line=1, fix="save as CSV (UTF-8)")]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [Problem(label, f"missing required column(s) {', '.join(missing)}", line=1,
                            fix="the header must include " + ",".join(REQUIRED_COLUMNS))]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        problems.append(Problem(label, f"unknown column(s) {', '.join(unknown)}", line=1,
                                fix="rename to one of " + ",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)))
    rows: list[dict[str, str]] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            missing = header[len(fields):]
            if missing and not any(c in REQUIRED_COLUMNS for c in missing):
                fields = fields + [""] * len(missing)  # empty optional columns at the end may be left off
            if len(fields) != len(header):
                lacking = [c for c in missing if c in REQUIRED_COLUMNS]
                what = f" (no {', '.join(lacking)})" if lacking else ""
                problems.append(Problem(label, f"row has {len(fields)} fields but the header has {len(header)}{what}",
                                        line=line, fix="quote fields that contain the separator"))
                continue
            row = {h: f.strip() for h, f in zip(header, fields)}
            row["_line"] = str(line)
            rows.append(row)
    except csv.Error as exc:
        problems.append(Problem(label, f"not valid CSV ({exc})", line=reader.line_num,
                                fix="check the quotes on this line"))
    if not rows and not problems:
        problems.append(Problem(label, "metadata file lists no documents", fix="add one row per document"))
    return rows, problems


def check_values(municipality: str, doc_type: str, year: str | int) -> tuple[dict, list[tuple[str, str, str]]]:
    """Check a document's municipality, doc_type and year (for metadata.csv and for `add`).

    Returns the values as they are stored (the official municipality name or None, the
    lower-case type, the year as int or None) and the problems as (field, message, fix).
    """
    problems = []
    official = resolve_municipality(municipality)
    if official is None:
        hint = suggest_municipality(municipality) if municipality else None
        problems.append(("municipality", f"unknown municipality '{municipality}'",
                         f"did you mean '{hint}'?" if hint else "use one of Denmark's 98 municipality names"))
    kind = str(doc_type).strip().lower()
    if kind not in DOC_TYPES:
        problems.append(("doc_type", f"unknown doc_type '{doc_type}'", "use one of " + ", ".join(DOC_TYPES)))
    year_text, this_year, year_value = str(year).strip(), _dt.date.today().year, None
    if not year_text:
        problems.append(("year", "missing year", "give the year the document was adopted or published, e.g. 2021"))
    elif not re.fullmatch(r"\d{4}", year_text) or not FIRST_YEAR <= int(year_text) <= this_year + 1:
        problems.append(("year", f"impossible year '{year_text}'",
                         f"use a four-digit year between {FIRST_YEAR} and {this_year + 1}"))
    else:
        year_value = int(year_text)
    return {"municipality": official, "doc_type": kind, "year": year_value}, problems


def _check_row(row: dict[str, str], root: Path, label: str, seen: dict[str, int]) -> tuple[dict, list[Problem]]:
    line = int(row["_line"])
    doc_id = row.get("doc_id", "")
    problems: list[Problem] = []

    def add(message: str, fix: str) -> None:
        problems.append(Problem(label, message, line=line, fix=fix, doc_id=doc_id or None))

    if not doc_id:
        add("empty doc_id", "give every document a unique slug such as 'gentofte-2020-forslag'")
    elif not DOC_ID_RE.match(doc_id):
        add(f"doc_id '{doc_id}' is not a slug", "use lower-case letters, digits, '-' and '_' only")
    elif doc_id in seen:
        add(f"duplicate doc_id '{doc_id}' (also on line {seen[doc_id]})", "give each document its own doc_id")
    else:
        seen[doc_id] = line

    out = {c: row.get(c, "") for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
    out["line"] = line
    values, found = check_values(row.get("municipality", ""), row.get("doc_type", ""), row.get("year", ""))
    for field, message, fix in found:
        add(message, fix)
    official = values["municipality"]
    out["municipality"] = official or out["municipality"]
    out["kommunekode"], out["region"] = municipality_info(official) if official else ("", "")
    out["doc_type"], out["year"] = values["doc_type"], values["year"]

    if not row.get("title", "").strip():
        add("empty title", "give the document's title")

    file_text = row.get("file", "").strip()
    out["file"] = file_text
    path = (root / file_text) if file_text else None
    if not file_text:
        add("empty file", "give the path of the document relative to the corpus folder")
    elif Path(file_text).is_absolute() or ".." in Path(file_text).parts:
        add(f"file '{file_text}' is outside the corpus folder", "give a path relative to the corpus folder")
    elif not inside(path, root):
        add(f"file '{file_text}' is outside the corpus folder",
            "it is a link to a file elsewhere: copy the document into the corpus folder instead of linking to it")
    elif not path.is_file():
        add(f"file '{file_text}' is listed but missing", "add the file or correct the path")
    elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
        add(f"file '{file_text}' has an unsupported type '{path.suffix}'",
            "convert it to " + ", ".join(SUPPORTED_SUFFIXES) + " (a .doc to .docx)")
    out["path"] = str(path.resolve()) if path is not None else ""
    out["status"] = problems[0].message if problems else "ok"
    return out, problems


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, with every link resolved, is inside the folder ``root``."""
    try:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def _unlisted_files(root: Path, listed: set[str], label_root: str) -> list[Problem]:
    problems = []
    docs = root / "documents"
    if not docs.is_dir():
        return problems
    for path in sorted(docs.rglob("*")):
        if not path.is_file() or path.name in IGNORED_NAMES or path.name.startswith((".", "~$")):
            continue
        rel = path.relative_to(root).as_posix()
        if rel not in listed:
            problems.append(Problem(f"{label_root}/{rel}", "file is present but not listed in metadata.csv",
                                    fix="add a row for it or move it out of the corpus folder"))
    return problems


def load_corpus(root: str | Path) -> Corpus:
    """Read and validate a corpus folder.

    Parameters
    ----------
    root : str or Path
        The corpus folder (``metadata.csv`` and ``documents/``).

    Returns
    -------
    Corpus
        Its documents, one row each, with ``status`` "ok" or the first problem found, and
        every problem in ``problems``. Nothing in the folder is modified.

    Raises
    ------
    InputError
        When the folder does not exist or metadata.csv cannot be read at all.
    """
    root = Path(root)
    label_root = str(root).rstrip("/")
    if not root.is_dir():
        raise InputError(Problem(label_root, "corpus folder not found", fix="pass an existing folder to --corpus"))
    meta_label = f"{label_root}/metadata.csv"
    rows, problems = read_metadata(root / "metadata.csv", meta_label)
    if not rows and problems:
        raise InputError(problems)
    seen: dict[str, int] = {}
    records = []
    for row in rows:
        record, row_problems = _check_row(row, root, meta_label, seen)
        records.append(record)
        problems.extend(row_problems)
    listed = {Path(r["file"]).as_posix() for r in records if r["file"]}
    problems.extend(_unlisted_files(root, listed, label_root))
    columns = ["doc_id", *REQUIRED_COLUMNS[1:], *OPTIONAL_COLUMNS, "kommunekode", "region", "line", "path", "status"]
    documents = pd.DataFrame.from_records(records, columns=columns)
    documents["year"] = documents["year"].astype("Int64")
    return Corpus(root=root, documents=documents, problems=problems)


def file_label(corpus_root: Path, file: str) -> str:
    """Return the path of a document as the user names it (corpus folder + relative path)."""
    return f"{str(corpus_root).rstrip('/')}/{file}"
