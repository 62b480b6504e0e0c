"""The corpus as tables: every valid document read and segmented, then the documents and segments tables.

Usage::

    from analysis.corpus.tables import ingest_corpus, corpus_fingerprint
    segments_by_doc, problems = ingest_corpus(load_corpus("corpus"))
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base import parallel
from analysis.base.cache import MISSING, load_entry, store_entry
from analysis.base.errors import InputError, Problem
from analysis.base.result import RunResult
from analysis.base.version import program_version
from analysis.corpus.ingest import read_checked
from analysis.corpus.metadata import Corpus, file_label
from analysis.corpus.segment import Segment, fingerprint_text, split_segments

DOCUMENT_COLUMNS = ["doc_id", "file", "municipality", "kommunekode", "region", "doc_type", "year", "title",
                    "author", "source_url", "notes", "n_segments", "n_tokens", "status"]

SEGMENT_COLUMNS = ["doc_id", "municipality", "kommunekode", "doc_type", "year", "segment_id", "position", "part",
                   "section", "text", "n_tokens", "lemmas", "fingerprint"]


def file_digest(path: str | Path) -> bytes:
    """SHA-256 of a file's bytes, read once per size and modification time in this process (the
    corpus fingerprint and the per-document caches both need it)."""
    st = Path(path).stat()
    return _digest(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=None)
def _digest(path: str, size: int, mtime_ns: int) -> bytes:
    return hashlib.sha256(Path(path).read_bytes()).digest()


def corpus_fingerprint(corpus: Corpus) -> str:
    """Return a hash of metadata.csv and the bytes of every listed document."""
    h = hashlib.sha256((corpus.root / "metadata.csv").read_bytes())
    for path in sorted(p for p in corpus.documents["path"] if p and Path(p).is_file()):
        h.update(file_digest(path))
    return h.hexdigest()[:16]


def ingest_corpus(corpus: Corpus, jobs: int | None = 1, cache: Path | None = None,
                  limits: dict | None = None) -> tuple[dict[str, list[Segment]], list[Problem]]:
    """Read and segment every valid document; return segments by doc_id and the problems met.

    With ``cache`` (a folder), a document whose bytes are unchanged is not read again: its
    segments are kept under a key of its bytes, doc_id, file type and the program version. The
    documents to read are spread over ``jobs`` processes when they are large
    (see :mod:`analysis.base.parallel`). ``limits`` is the config's ``corpus`` section: the largest
    document file (larger ones are refused) and the longest segment."""
    from analysis.base.config import DEFAULTS

    limits = limits or DEFAULTS["corpus"]
    max_chars, max_bytes = int(limits["max_segment_chars"]), float(limits["max_document_mb"]) * 1e6
    rows = list(corpus.ok.itertuples(index=False))
    keys: list[str | None] = [None] * len(rows)
    found: list = [MISSING] * len(rows)
    if cache is not None:
        for i, row in enumerate(rows):
            path = Path(row.path)
            if path.is_file():
                h = hashlib.sha256(f"{program_version()}|{row.doc_id}|{path.suffix.lower()}|{max_chars}|{max_bytes}|".encode())
                h.update(file_digest(path))
                keys[i] = h.hexdigest()[:24]
                found[i] = load_entry(cache, keys[i])

    def read_one(i: int):
        row = rows[i]  # workers get positions: itertuples' rows do not pickle
        try:
            blocks = read_checked(Path(row.path), file_label(corpus.root, row.file), max_bytes)
        except InputError as exc:
            return None, [Problem(p.path, p.message, p.line, p.fix, row.doc_id) for p in exc.problems]
        segs = split_segments(row.doc_id, blocks, max_chars)
        if keys[i] is not None:
            store_entry(cache, keys[i], segs)
        return segs, []

    todo = [i for i in range(len(rows)) if found[i] is MISSING]
    size = sum(Path(rows[i].path).stat().st_size for i in todo if Path(rows[i].path).is_file())
    spread = jobs if size >= parallel.PARALLEL_MIN_BYTES else 1
    for i, done in zip(todo, parallel.map_documents(read_one, todo, spread)):
        found[i] = done
    segments: dict[str, list[Segment]] = {}
    problems: list[Problem] = []
    for row, value in zip(rows, found):
        segs, errors = value if isinstance(value, tuple) else (value, [])
        if segs is None:
            problems.extend(errors)
        else:
            segments[row.doc_id] = segs
    return segments, problems


def build_tables(corpus: Corpus, segments_by_doc: dict[str, list[Segment]], problems: list[Problem],
                 tokens: pd.DataFrame, stats: dict) -> RunResult:
    """Assemble the documents and segments tables from the segments and their ``tokens``
    (the token table :func:`analysis.nlp.tokens.analyse_documents` gives, with its ``stats``)."""

    meta = corpus.ok.set_index("doc_id")  # valid rows only: their doc_ids are unique
    seg_rows = [
        {"doc_id": s.doc_id, "segment_id": s.segment_id, "position": s.position, "part": s.part,
         "section": s.section, "text": s.text, "fingerprint": fingerprint_text(s.text)}
        for segs in segments_by_doc.values() for s in segs
    ]
    segments = pd.DataFrame(seg_rows, columns=["doc_id", "segment_id", "position", "part", "section", "text",
                                               "fingerprint"])
    for col in ("municipality", "kommunekode", "doc_type", "year"):
        segments[col] = segments["doc_id"].map(meta[col])
    n_tokens = tokens.groupby("segment_id", sort=False).size()
    lemmas = join_by_segment(tokens.loc[tokens["content"].to_numpy(), ["segment_id", "lemma"]])
    segments["n_tokens"] = segments["segment_id"].map(n_tokens).fillna(0).astype(int)
    segments["lemmas"] = segments["segment_id"].map(lemmas).fillna("")
    segments = segments[SEGMENT_COLUMNS]

    documents = corpus.documents.copy()
    # A metadata row that failed validation keeps its own reason, even when its doc_id (empty or a
    # duplicate) is shared with another row; a valid row can still fail when it is read.
    read_reasons = {p.doc_id: p.message for p in problems if p.doc_id and p.line is None}
    documents["status"] = [s if s != "ok" else read_reasons.get(d, "ok")
                           for d, s in zip(documents["doc_id"], documents["status"])]
    per_doc = segments.groupby("doc_id").agg(n_segments=("segment_id", "size"), n_tokens=("n_tokens", "sum"))
    ok = documents["status"] == "ok"
    for col in ("n_segments", "n_tokens"):
        documents[col] = documents["doc_id"].map(per_doc[col]).where(ok).fillna(0).astype(int)
    documents = documents[DOCUMENT_COLUMNS].sort_values("doc_id", kind="stable").reset_index(drop=True)
    return RunResult(documents, segments.reset_index(drop=True), tokens, problems, stats)


def join_by_segment(tokens: pd.DataFrame) -> pd.Series:
    """The tokens' lemmas joined with spaces per segment (tokens in segment order), indexed by segment_id."""
    if tokens.empty:
        return pd.Series(dtype=object)
    codes, uniques = pd.factorize(tokens["segment_id"])
    bounds = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    lemmas = tokens["lemma"].to_numpy(dtype=object)
    return pd.Series([" ".join(part) for part in np.split(lemmas, bounds)],
                     index=np.asarray(uniques, dtype=object)[codes[np.r_[0, bounds]]])
