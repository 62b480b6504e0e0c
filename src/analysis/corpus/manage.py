"""Growing and checking a corpus without editing metadata.csv by hand.

``check`` runs every check of ``run`` (metadata, files, links, what each file really is, its
size, decoding, empty text, PDFs without a text layer) without tokenizing or writing anything.
``add`` copies documents into ``documents/`` under safe names, gives each a unique ``doc_id`` and
appends validated rows to ``metadata.csv``; when any check fails, nothing is written.

Usage::

    from analysis.corpus.manage import add_documents, check_corpus
    problems, n = check_corpus("corpus")
    added = add_documents(["~/Downloads/Udsattepolitik.pdf"], "corpus", "Aarhus", "politik", 2024)
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from analysis.base.config import load_config
from analysis.corpus.metadata import (DOC_ID_RE, SUPPORTED_SUFFIXES, check_values, file_label, inside, load_corpus,
                             read_metadata)
from analysis.base.errors import InputError, Problem


def check_corpus(corpus: str | Path, config: str | Path | None = None, jobs: int | None = None
                 ) -> tuple[list[Problem], int]:
    """Every problem ``run`` would stop on, and the number of documents checked.

    Documents are read (in parallel on a large corpus) as ``run`` reads them, but not tokenized,
    and nothing is written anywhere.
    """
    from analysis.corpus.tables import ingest_corpus

    cfg = load_config(config)
    loaded = load_corpus(corpus)
    _, read_problems = ingest_corpus(loaded, jobs, None, cfg["corpus"])
    return loaded.problems + read_problems, len(loaded.documents)


@dataclass
class Added:
    """A document added to the corpus."""

    doc_id: str
    file: str  # relative to the corpus folder
    source: str
    title: str
    n_paragraphs: int


def safe_name(name: str) -> str:
    """A file or id part in lower-case ASCII: æ, ø, å as ae, oe, aa; anything else but letters and
    digits as '-'."""
    text = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "dokument"


def _title_from(blocks, path: Path) -> str:
    heading = next((b.text for b in blocks if b.kind == "heading"), None)
    if heading:
        return heading[:200]
    return re.sub(r"[_-]+", " ", path.stem).strip().capitalize() or path.name


def add_documents(files: list[str | Path], corpus: str | Path, municipality: str, doc_type: str, year: int | str,
                  title: str | None = None, config: str | Path | None = None) -> list[Added]:
    """Add documents to a corpus: copy each file into ``documents/`` under a safe, unused name,
    derive a unique ``doc_id`` (``<municipality>-<year>-<doc_type>``, numbered when taken) and append
    its row to ``metadata.csv`` in the file's own encoding and separator.

    Every check of ``run`` is made first (the metadata values, and each file read as ``run``
    reads it); when one fails, nothing is copied or written.

    Raises
    ------
    InputError
        Listing every problem, one line each.
    """
    from analysis.corpus.ingest import read_checked

    root = Path(corpus)
    meta_path = root / "metadata.csv"
    meta_label = f"{str(root).rstrip('/')}/metadata.csv"
    limits = load_config(config)["corpus"]
    problems: list[Problem] = []
    if not root.is_dir():
        raise InputError(Problem(str(root), "corpus folder not found", fix="pass an existing folder to --corpus"))
    rows, found = read_metadata(meta_path, meta_label) if meta_path.exists() else ([], [])
    problems += [p for p in found if p.message != "metadata file lists no documents"]
    values, found = check_values(municipality, doc_type, year)
    problems += [Problem(f"--{field.replace('_', '-')}", message, fix=fix) for field, message, fix in found]
    official, kind = values["municipality"], values["doc_type"]
    if not files:
        problems.append(Problem("add", "no files given", fix="name one or more documents to add"))
    taken_ids = {r.get("doc_id", "") for r in rows}
    taken_files = {r.get("file", "") for r in rows}
    plans = []
    for given in files:
        path = Path(given).expanduser()
        label = str(given)
        if not path.is_file():
            problems.append(Problem(label, "file not found", fix="give the path of an existing document"))
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            problems.append(Problem(label, f"unsupported file type '{path.suffix}'",
                                    fix="convert it to " + ", ".join(SUPPORTED_SUFFIXES) + " (a .doc to .docx)"))
            continue
        try:
            blocks = read_checked(path, label, float(limits["max_document_mb"]) * 1e6)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        listed_as = None
        if inside(path, root / "documents"):  # already in the folder: listed in place, not copied
            listed_as = path.resolve().relative_to(root.resolve()).as_posix()
            if listed_as in taken_files:
                problems.append(Problem(label, f"already listed in metadata.csv as '{listed_as}'",
                                        fix="it is in the corpus; edit its row to change its metadata"))
                continue
        plans.append((path, blocks, listed_as))
    if problems:
        raise InputError(problems)

    from analysis.corpus.segment import split_segments

    added: list[Added] = []
    stem_id = f"{safe_name(official)}-{year}-{kind}"
    for path, blocks, listed_as in plans:
        doc_id, n = stem_id, 1
        while doc_id in taken_ids:
            n += 1
            doc_id = f"{stem_id}-{n}"
        taken_ids.add(doc_id)
        if listed_as is None:
            base = safe_name(path.stem)
            name, n = f"{base}{path.suffix.lower()}", 1
            while f"documents/{name}" in taken_files or (root / "documents" / name).exists():
                n += 1
                name = f"{base}-{n}{path.suffix.lower()}"
            listed_as = f"documents/{name}"
        taken_files.add(listed_as)
        assert DOC_ID_RE.match(doc_id)
        segments = split_segments(doc_id, blocks, int(limits["max_segment_chars"]))
        added.append(Added(doc_id, listed_as, str(path), title or _title_from(blocks, path), len(segments)))
    _write(root, meta_path, [(a, official, kind, str(year), Path(a.source)) for a in added])
    return added


def _write(root: Path, meta_path: Path, new: list) -> None:
    """Copy the files and append the rows: all of it, or (on any failure) none of it."""
    raw = meta_path.read_bytes() if meta_path.exists() else b""
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252"), "cp1252"
    bom = raw.startswith(b"\xef\xbb\xbf")
    if not text.strip():
        text = ",".join(["doc_id", "file", "municipality", "doc_type", "year", "title"]) + "\n"
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter))]
    newline = "\r\n" if "\r\n" in text else "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    for added, municipality, kind, year, _ in new:
        values = {"doc_id": added.doc_id, "file": added.file, "municipality": municipality, "doc_type": kind,
                  "year": year, "title": added.title}
        writer.writerow([values.get(h, "") for h in header])
    body = text if text.endswith(("\n", "\r")) else text + newline
    content = (("\ufeff" if bom else "") + body + buffer.getvalue()).encode(encoding)
    (root / "documents").mkdir(exist_ok=True)
    copied: list[Path] = []
    tmp = meta_path.with_name(f".{meta_path.name}.{os.getpid()}.tmp")
    try:
        for added, *_, source in new:
            target = root / added.file
            if target.exists():  # a file already in documents/, listed in place
                continue
            shutil.copyfile(source, target)
            copied.append(target)
        tmp.write_bytes(content)
        os.replace(tmp, meta_path)
    except BaseException:
        for path in copied:
            path.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
        raise


def describe(added: Added, corpus: Path, municipality: str, doc_type: str, year) -> str:
    """One line saying what was added."""
    return (f"added {file_label(Path(corpus), added.file)} as {added.doc_id} ({municipality}, {doc_type}, {year}, "
            f"\"{added.title}\"): {added.n_paragraphs} paragraph{'s' if added.n_paragraphs != 1 else ''}")
