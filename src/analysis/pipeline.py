"""The main job: corpus -> documents, segments and tokens tables (and, downstream, themes).

Usage::

    from analysis.pipeline import run_pipeline
    result = run_pipeline("corpus", "outputs")
    result.segments.head()
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import nlp
from analysis.config import load_config
from analysis.corpus import Corpus, file_label, load_corpus
from analysis.errors import InputError, Problem
from analysis.ingest import read_document
from analysis.paths import cache_dir
from analysis.segment import Segment, fingerprint_text, split_segments
from analysis.tables import TableWriter

DOCUMENT_COLUMNS = ["doc_id", "file", "municipality", "kommunekode", "region", "doc_type", "year", "title",
                    "author", "source_url", "notes", "n_segments", "n_tokens", "status"]
SEGMENT_COLUMNS = ["doc_id", "municipality", "kommunekode", "doc_type", "year", "segment_id", "position",
                   "section", "text", "n_tokens", "lemmas", "fingerprint"]


@dataclass
class RunResult:
    """What a run produced: the tables (also written to ``OUT/tables``) and its figures."""

    documents: pd.DataFrame
    segments: pd.DataFrame
    tokens: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def corpus_fingerprint(corpus: Corpus) -> str:
    """Return a hash of metadata.csv and the bytes of every listed document."""
    h = hashlib.sha256((corpus.root / "metadata.csv").read_bytes())
    for path in sorted(p for p in corpus.documents["path"] if p and Path(p).is_file()):
        h.update(hashlib.sha256(Path(path).read_bytes()).digest())
    return h.hexdigest()[:16]


def ingest_corpus(corpus: Corpus) -> tuple[dict[str, list[Segment]], list[Problem]]:
    """Read and segment every valid document; return segments by doc_id and the problems met."""
    segments: dict[str, list[Segment]] = {}
    problems: list[Problem] = []
    for row in corpus.ok.itertuples(index=False):
        label = file_label(corpus.root, row.file)
        try:
            blocks = read_document(Path(row.path), label)
        except InputError as exc:
            problems.extend(Problem(p.path, p.message, p.line, p.fix, row.doc_id) for p in exc.problems)
            continue
        segments[row.doc_id] = split_segments(row.doc_id, blocks)
    return segments, problems


def build_tables(corpus: Corpus, segments_by_doc: dict[str, list[Segment]], problems: list[Problem],
                 cfg: dict, out: Path, progress: bool = True) -> RunResult:
    """Run the NLP over the segments and assemble the documents, segments and tokens tables."""
    texts = {d: [s.text for s in segs] for d, segs in segments_by_doc.items()}
    ids = {d: [s.segment_id for s in segs] for d, segs in segments_by_doc.items()}
    docs, stats = nlp.parse_documents(texts, cfg, cache_dir(out), progress=progress)
    tokens = nlp.token_table(docs, ids, nlp.stop_words(cfg))

    meta = corpus.documents.set_index("doc_id")
    seg_rows = [
        {"doc_id": s.doc_id, "segment_id": s.segment_id, "position": s.position, "section": s.section,
         "text": s.text, "fingerprint": fingerprint_text(s.text)}
        for segs in segments_by_doc.values() for s in segs
    ]
    segments = pd.DataFrame(seg_rows, columns=["doc_id", "segment_id", "position", "section", "text", "fingerprint"])
    for col in ("municipality", "kommunekode", "doc_type", "year"):
        segments[col] = segments["doc_id"].map(meta[col])
    n_tokens = tokens.groupby("segment_id", sort=False).size()
    lemmas = tokens[tokens["content"]].groupby("segment_id", sort=False)["lemma"].agg(" ".join)
    segments["n_tokens"] = segments["segment_id"].map(n_tokens).fillna(0).astype(int)
    segments["lemmas"] = segments["segment_id"].map(lemmas).fillna("")
    segments = segments[SEGMENT_COLUMNS]

    documents = corpus.documents.copy()
    read_reasons = {p.doc_id: p.message for p in problems if p.doc_id and p.line is None}
    documents["status"] = [s if s != "ok" else read_reasons.get(d, "ok")
                           for d, s in zip(documents["doc_id"], documents["status"])]
    per_doc = segments.groupby("doc_id").agg(n_segments=("segment_id", "size"), n_tokens=("n_tokens", "sum"))
    documents["n_segments"] = documents["doc_id"].map(per_doc["n_segments"]).fillna(0).astype(int)
    documents["n_tokens"] = documents["doc_id"].map(per_doc["n_tokens"]).fillna(0).astype(int)
    documents = documents[DOCUMENT_COLUMNS].sort_values("doc_id", kind="stable").reset_index(drop=True)
    return RunResult(documents, segments.reset_index(drop=True), tokens, problems, stats)


def run_pipeline(corpus: str | Path = "corpus", out: str | Path = "outputs", config: str | Path | None = None,
                 skip_bad: bool = False, progress: bool = True) -> RunResult:
    """Run the main job and write ``OUT/tables``.

    Parameters
    ----------
    corpus, out : str or Path
        The corpus folder and the output folder.
    config : str or Path, optional
        A settings YAML (defaults to the project's config.yaml).
    skip_bad : bool
        Process the good documents and record each bad one in documents.csv. Without it, any
        problem stops the run before anything is written.
    progress : bool
        Show progress bars.

    Raises
    ------
    InputError
        Listing every problem found, when there are problems and ``skip_bad`` is False.
    """
    cfg = load_config(config)
    out = Path(out)
    loaded = load_corpus(corpus)
    segments_by_doc, read_problems = ingest_corpus(loaded)
    problems = loaded.problems + read_problems
    if problems and not skip_bad:
        raise InputError(problems)
    if not segments_by_doc:
        raise InputError(problems or [Problem(str(corpus), "no usable documents", fix="add documents")])
    result = build_tables(loaded, segments_by_doc, problems, cfg, out, progress=progress)
    result.stats.update({"corpus_fingerprint": corpus_fingerprint(loaded), "n_problems": len(problems)})
    write_run(result, cfg, out, Path(corpus))
    return result


def write_run(result: RunResult, cfg: dict, out: Path, corpus: Path) -> None:
    """Write every table of a run at once (staged, so a failure keeps the previous tables)."""
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "corpus": str(corpus),
        "corpus_fingerprint": result.stats.get("corpus_fingerprint"),
        "n_documents": int((result.documents["status"] == "ok").sum()),
        "n_skipped": int((result.documents["status"] != "ok").sum()),
        "n_segments": len(result.segments),
        "n_tokens": int(result.segments["n_tokens"].sum()),
        "config": {k: v for k, v in cfg.items() if not k.startswith("_")},
        **nlp.pipeline_description(cfg),
        **{k: v for k, v in result.stats.items() if k not in ("corpus_fingerprint",)},
    }
    with TableWriter(out) as tw:
        tw.write("documents", result.documents)
        tw.write("segments", result.segments)
        tw.write("tokens", result.tokens, csv=False)
        for name, table in result.extra.items():
            tw.write(name, table)
        tw.write_text("run.json", json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True, default=str))
