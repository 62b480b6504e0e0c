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
import math
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import nlp
from analysis.cache import MISSING, cached, hash_frame, load_entry, program_version, store_entry
from analysis.config import fingerprint, load_config
from analysis.corpus import Corpus, file_label, load_corpus
from analysis.devset import devset_path
from analysis.errors import InputError, OutputLocked, Problem
from analysis.ingest import read_checked
from analysis.paths import cache_dir, shared_cache_dir
from analysis.segment import Segment, fingerprint_text, split_segments
from analysis.tables import TableWriter

DOCUMENT_COLUMNS = ["doc_id", "file", "municipality", "kommunekode", "region", "doc_type", "year", "title",
                    "author", "source_url", "notes", "n_segments", "n_tokens", "status"]
SEGMENT_COLUMNS = ["doc_id", "municipality", "kommunekode", "doc_type", "year", "segment_id", "position", "part",
                   "section", "text", "n_tokens", "lemmas", "fingerprint"]


@dataclass
class RunResult:
    """What a run produced: the tables (also written to ``OUT/tables``) and its figures."""

    documents: pd.DataFrame
    segments: pd.DataFrame
    tokens: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # more tables: CSV, Parquet and a sheet in analysis.xlsx
    parquet_only: dict = field(default_factory=dict)  # large working tables: Parquet only


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


def annotations_fingerprint(corpus: Path, dev_set: Path | None = None) -> str:
    """Return a hash of the hand coding: the corpus's annotations.csv and annotations_coders.csv,
    and the development set's files (``dev_set``), whichever exist."""
    h = hashlib.sha256()
    names = [Path(corpus) / "annotations.csv", Path(corpus) / "annotations_coders.csv"]
    if dev_set is not None:
        names += [Path(dev_set) / n for n in ("segments.csv", "annotations.csv", "annotations_coders.csv")]
    for path in names:
        h.update(path.name.encode() + (path.read_bytes() if path.is_file() else b"-"))
    return h.hexdigest()[:16]


#: A corpus with at least this many bytes of documents to read, or characters to parse, is
#: spread over the cores (below it, starting the workers costs more than it saves).
PARALLEL_MIN_BYTES = 2_000_000


def ingest_corpus(corpus: Corpus, jobs: int | None = 1, cache: Path | None = None,
                  limits: dict | None = None) -> tuple[dict[str, list[Segment]], list[Problem]]:
    """Read and segment every valid document; return segments by doc_id and the problems met.

    With ``cache`` (a folder), a document whose bytes are unchanged is not read again: its
    segments are kept under a key of its bytes, doc_id, file type and the program version. The
    documents to read are spread over ``jobs`` processes when they are large
    (see :mod:`analysis.parallel`). ``limits`` is the config's ``corpus`` section: the largest
    document file (larger ones are refused) and the longest segment."""
    from analysis.config import DEFAULTS
    from analysis.parallel import map_documents

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
    for i, done in zip(todo, map_documents(read_one, todo, jobs if size >= PARALLEL_MIN_BYTES else 1)):
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
                 cfg: dict, out: Path, progress: bool = True, jobs: int | None = 1) -> RunResult:
    """Run the NLP over the segments and assemble the documents, segments and tokens tables."""
    texts = {d: [s.text for s in segs] for d, segs in segments_by_doc.items()}
    ids = {d: [s.segment_id for s in segs] for d, segs in segments_by_doc.items()}
    tokens, stats = nlp.analyse_documents(texts, ids, cfg, cache_dir(out), progress=progress, jobs=jobs)

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


FEATURE_PREFIXES = ("score_", "evidence_", "passing_", "struct_")


def _feature_columns(frame: pd.DataFrame) -> list[str]:
    return ["section", "lemmas", "n_tokens", *[c for c in frame.columns if c.startswith(FEATURE_PREFIXES)]]


def theme_features(segments: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """The segments with what the theme methods read: section, lemmas, length and the lexicon's
    score_/evidence_/passing_/struct_ columns (``scores`` as :func:`score_by_document` gives them)."""
    return pd.concat([segments[["segment_id", "doc_id", "municipality", "section", "lemmas", "n_tokens"]]
                      .reset_index(drop=True), scores.drop(columns=["segment_id"]).reset_index(drop=True)], axis=1)


def training_data(features: pd.DataFrame, segments: pd.DataFrame, cfg: dict, codebook, corpus: Path,
                  cache: Path | None) -> tuple:
    """The labelled data of the theme methods: the development set's train split plus the corpus's
    own hand coding (the train pool), and the development set's locked test split.

    Returns
    -------
    train, test : Labelled or None
    intercoder : DataFrame or None
        Agreement of the two coders of the development set and of the corpus's hand coding.
    stats : dict
    """
    from analysis import validation as val
    from analysis.devset import devset_frame, kind_weights, load_devset, trap_pairs

    keys, core, t = codebook.keys, codebook.core_keys, cfg["themes"]
    parts, test, inter, stats = [], None, [], {}
    dev_dir = devset_path(cfg)
    dev = load_devset(dev_dir, keys)
    if dev is not None:
        shared = shared_cache_dir() if cache else None
        key = hashlib.sha256("|".join([hash_frame(dev), codebook.fingerprint, fingerprint(cfg["nlp"]),
                                        str(t["lexicon_threshold"])]).encode()).hexdigest()[:20]
        frame, _ = cached(shared / "devset" if shared else None, key,
                          lambda: devset_frame(dev, cfg, codebook, shared / "devset" if shared else None))
        cols = _feature_columns(frame)
        for split in ("train", "test"):
            part = frame[frame["split"] == split].reset_index(drop=True)
            data = val.Labelled(part[cols], part[keys].to_numpy(), part["municipality"].to_numpy(),
                                trap_pairs(part, keys), part["fingerprint"].to_numpy(),
                                kind_weights(part["kind"], t["kind_shares"]),
                                np.full(len(part), "development set", dtype=object))
            if split == "train":
                parts.append(data)
            elif len(part):
                test = data
        stats.update({"n_dev_train": int((frame["split"] == "train").sum()),
                      "n_dev_test": int((frame["split"] == "test").sum()),
                      "n_dev_municipalities": int(frame["municipality"].nunique())})
        inter.append(_intercoder(dev_dir / "annotations_coders.csv", keys, core, "development set",
                                 dev[["fingerprint", "municipality"]]))
    ann_path = corpus / "annotations.csv"
    if ann_path.exists():
        annotations = val.load_annotations(ann_path, keys, label=f"{str(corpus).rstrip('/')}/annotations.csv")
        matched, unmatched = val.match_annotations(annotations, segments)
        stats.update({"n_annotated": len(matched), "annotations_unmatched": unmatched})
        if len(matched):
            rows = features.set_index("segment_id").loc[matched["segment_id"]].reset_index()
            n = len(rows)
            parts.append(val.Labelled(rows[_feature_columns(rows)], matched[keys].to_numpy(),
                                      rows["municipality"].to_numpy(), np.zeros((n, len(keys)), dtype=int),
                                      matched["fingerprint"].to_numpy(), np.full(n, float(t["corpus_weight"])),
                                      np.full(n, "corpus", dtype=object)))
            inter.append(_intercoder(corpus / "annotations_coders.csv", keys, core, "corpus",
                                     segments[["fingerprint", "municipality"]]))
    train = val.Labelled.concat(parts) if parts else None
    inter = [x for x in inter if x is not None]
    return train, test, (pd.concat(inter, ignore_index=True) if inter else None), stats


def _intercoder(path: Path, keys, core, label: str, units: pd.DataFrame) -> pd.DataFrame | None:
    from analysis import validation as val

    if not path.exists():
        return None
    coders = pd.read_csv(path, dtype={"fingerprint": str}, encoding="utf-8-sig")
    table = val.intercoder_table(coders, keys, core)
    if table is None:
        return None
    table["method"] = f"intercoder, {label} ({table['method'].iat[0].split('(')[-1]}"
    table.insert(2, "split", "intercoder")
    table.insert(3, "n_groups", units[units["fingerprint"].isin(coders["fingerprint"])]["municipality"].nunique())
    table.insert(4, "n_folds", 0)
    table["chosen"] = 0
    return table


def measure_themes(result: RunResult, cfg: dict, codebook, corpus: Path, cache: Path | None,
                   jobs: int | None = 1) -> None:
    """Add theme scores and assignments to the segments, and the tables that explain them.

    The lexicon always runs. The three methods (lexicon, model, combined) are cross-validated,
    grouped by municipality, on the development set's train split plus the corpus's own hand
    coding; the best by macro F1 (or the one the config names) is fitted on all of it, scored
    once on the locked test split, and measures the corpus: ``score_<key>`` is its calibrated
    probability, ``theme_<key>`` its assignment. Without labelled data the lexicon is used.
    """
    from analysis import validation as val

    keys, core = codebook.keys, codebook.core_keys
    segments = result.segments
    threshold = cfg["themes"]["lexicon_threshold"]
    doc_keys = result.stats.get("doc_keys")
    keys_by_doc = lexicon_keys(segments, codebook, threshold, doc_keys) if doc_keys else None
    scores, matches, excluded, occurrences = score_by_document(
        segments, result.tokens, codebook, threshold, doc_keys, cache / "lexicon" if cache else None, jobs,
        keys_by_doc)
    features = theme_features(segments, scores)

    method, validation_table, stats = "lexicon", None, {}
    proba = scores[[f"score_{k}" for k in keys]].to_numpy()
    assigned = scores[[f"theme_{k}" for k in keys]].to_numpy()
    train, test, intercoder, stats = training_data(features, segments, cfg, codebook, corpus, cache)
    if train is not None and len(train) >= val.MIN_ANNOTATED and len(np.unique(train.groups)) >= 2:
        key = val.training_key(train, test, codebook.fingerprint, cfg)
        evaluation, from_cache = cached(shared_cache_dir() / "models" if cache else None, key,
                                        lambda: val.evaluate(train, test, keys, core, cfg))
        stats["model_from_cache"] = from_cache
        validation_table = evaluation.table
        if intercoder is not None:
            validation_table = pd.concat([validation_table, intercoder], ignore_index=True)
        result.extra["validation_checks"] = evaluation.checks
        result.extra["calibration"] = evaluation.calibration
        method = evaluation.chosen
        proba, assigned = predict_by_document(evaluation.model, key, features, keys_by_doc,
                                              cache / "predictions" if cache else None, jobs)
    for j, k in enumerate(keys):
        segments[f"score_{k}"] = np.round(proba[:, j], 4)
        segments[f"theme_{k}"] = assigned[:, j].astype(int)
    long = []
    for j, k in enumerate(keys):
        long.append(pd.DataFrame({
            "segment_id": segments["segment_id"], "theme": k,
            "lexicon_evidence": scores[f"evidence_{k}"], "lexicon_passing": scores[f"passing_{k}"],
            "lexicon_score": scores[f"score_{k}"], "lexicon_theme": scores[f"theme_{k}"],
            "score": segments[f"score_{k}"], "assigned": segments[f"theme_{k}"], "method": method}))
    result.extra["theme_matches"] = matches
    result.parquet_only["theme_occurrences"] = occurrences
    result.extra["theme_exclusions"] = excluded
    result.extra["theme_scores"] = pd.concat(long, ignore_index=True)
    if validation_table is not None:
        result.extra["validation"] = validation_table
    result.stats.update({"theme_method": method, "codebook": codebook.path, "codebook_version": codebook.version,
                         "codebook_fingerprint": codebook.fingerprint, **stats})


#: Segments scored by the lexicon at once (bounds the memory of a long document).
LEXICON_SLICE = 3000


def lexicon_keys(segments: pd.DataFrame, codebook, threshold: float, doc_keys: dict[str, str]) -> dict[str, str]:
    """Per document, a key of what its lexicon results depend on: its token table's key
    (``doc_keys``), its segments and their section headings, the codebook and the threshold."""
    rows = pd.util.hash_pandas_object(segments[["segment_id", "section"]], index=False).to_numpy()
    per_doc = pd.Series(rows).groupby(segments["doc_id"].to_numpy(), sort=False).agg(lambda h: h.to_numpy().tobytes())
    stamp = f"{codebook.fingerprint}|{threshold}"
    return {d: hashlib.sha256(f"{doc_keys[d]}|{stamp}".encode() + per_doc[d]).hexdigest()[:24]
            for d in dict.fromkeys(segments["doc_id"])}


def document_groups(doc_ids: np.ndarray, lengths: np.ndarray, todo: list[str], jobs: int | None) -> list[list[str]]:
    """The documents ``todo`` in groups of whole documents in corpus order, of about equal text
    (``lengths``: characters per row, rows belonging to ``doc_ids``), one per process when there
    is enough text to spread (see :mod:`analysis.parallel`)."""
    from analysis.parallel import resolve_jobs

    weight = pd.Series(lengths).groupby(doc_ids, sort=False).sum().reindex(todo).to_numpy()
    n_groups = min(resolve_jobs(jobs), len(todo)) if weight.sum() >= PARALLEL_MIN_BYTES else 1
    cut = np.searchsorted(np.cumsum(weight), np.arange(1, n_groups) * weight.sum() / n_groups)
    return [g.tolist() for g in np.split(np.array(todo, dtype=object), cut) if len(g)]


def predict_by_document(model, model_key: str, features: pd.DataFrame, keys: dict[str, str] | None,
                        cache: Path | None, jobs: int | None = 1) -> tuple[np.ndarray, np.ndarray]:
    """The fitted method's probabilities and assignments for every segment, cached per document.

    A segment's prediction depends only on its own features, which a document's lexicon key
    (``keys``) determines, and on the method (``model_key``): a re-run predicts only the changed
    documents, in groups of documents over ``jobs`` processes when there are many.
    """
    columns = _feature_columns(features)
    if cache is None or not keys:
        return model.predict_both(features[columns])
    doc_ids = features["doc_id"].to_numpy()
    order = list(dict.fromkeys(doc_ids))
    entry = {d: hashlib.sha256(f"{model_key}|{keys[d]}".encode()).hexdigest()[:24] for d in order}
    found = {d: load_entry(cache, entry[d]) for d in order}
    todo = [d for d in order if found[d] is MISSING]
    if todo:
        from analysis.parallel import map_documents

        def predict(group: list[str]) -> dict[str, tuple]:
            rows = np.flatnonzero(np.isin(doc_ids, group))
            # In slices of segments (each is predicted on its own): bounded memory for a long document.
            both = [model.predict_both(features.iloc[rows[a:a + LEXICON_SLICE]][columns])
                    for a in range(0, len(rows), LEXICON_SLICE)]
            proba, assigned = np.concatenate([p for p, _ in both]), np.concatenate([a for _, a in both])
            part = doc_ids[rows]
            done = {}
            for d in group:
                done[d] = (proba[part == d], assigned[part == d])
                store_entry(cache, entry[d], done[d])
            return done

        lengths = features["lemmas"].str.len().to_numpy()
        for done in map_documents(predict, document_groups(doc_ids, lengths, todo, jobs), jobs):
            found.update(done)
    return (np.concatenate([found[d][0] for d in order]), np.concatenate([found[d][1] for d in order]))


def score_by_document(segments: pd.DataFrame, tokens: pd.DataFrame, codebook, threshold: float,
                      doc_keys: dict[str, str] | None, cache: Path | None, jobs: int | None = 1,
                      keys: dict[str, str] | None = None) -> tuple[pd.DataFrame, ...]:
    """The lexicon's scores, matches, exclusions and occurrences, cached per document.

    The lexicon measures each segment on its own, so a document's results depend only on its
    segments, the codebook and the threshold: a re-run scores only the documents that changed
    (in one batch) and reads the others from ``cache``. The tables are in segment order, the
    same as one call of :func:`analysis.themes.score_themes` on the whole corpus. Many documents
    to score are split into groups of whole documents, one per process (``jobs``). ``keys``: the
    documents' :func:`lexicon_keys`, when the caller has them already.
    """
    from analysis.themes import score_themes

    def whole(segs, toks):
        # In slices of segments: memory stays bounded however long a document is. Each segment
        # is scored on its own, so the slices' tables are the whole's, in segment order.
        if len(segs) <= LEXICON_SLICE:
            return score_themes(segs, toks, codebook, threshold, occurrences=True)
        ids = segs["segment_id"].to_numpy()
        codes, values = pd.factorize(toks["segment_id"])  # integer codes: no Python string per token
        starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1] if len(codes) else np.zeros(0, dtype=int)
        first_of = dict(zip(np.asarray(values, dtype=object)[codes[starts]].tolist(), starts.tolist()))
        parts = []
        for a in range(0, len(segs), LEXICON_SLICE):
            b = min(a + LEXICON_SLICE, len(segs))
            lo = next((first_of[i] for i in ids[a:b].tolist() if i in first_of), len(toks))
            hi = next((first_of[i] for i in ids[b:].tolist() if i in first_of), len(toks))
            parts.append(score_themes(segs.iloc[a:b], toks.iloc[lo:hi], codebook, threshold, occurrences=True))
        joined = []
        for i in range(len(parts[0])):
            frames = [p[i] for p in parts if len(p[i])]
            joined.append(pd.concat(frames, ignore_index=True) if frames else parts[0][i])
        return tuple(joined)

    if cache is None or not doc_keys:
        return whole(segments, tokens)
    order = list(dict.fromkeys(segments["doc_id"]))
    keys = keys or lexicon_keys(segments, codebook, threshold, doc_keys)
    found = {d: load_entry(cache, keys[d]) for d in order}
    todo = [d for d in order if found[d] is MISSING]
    if todo:
        from analysis.parallel import map_documents

        groups = document_groups(segments["doc_id"].to_numpy(), segments["text"].str.len().to_numpy(), todo, jobs)

        def score_group(group: list[str]) -> dict[str, tuple]:
            every = len(group) == len(order)  # then no copy of the token table (a long document's is large)
            segs = segments if every else segments[segments["doc_id"].isin(group)]
            doc_of = pd.Series(segs["doc_id"].to_numpy(), index=segs["segment_id"].to_numpy())
            tables = whole(segs, tokens if every else tokens[tokens["segment_id"].isin(doc_of.index)])
            parts = [dict(tuple(t.groupby(t["segment_id"].map(doc_of), sort=False))) for t in tables]
            scored = {}
            for d in group:
                scored[d] = tuple(p[d].reset_index(drop=True) if d in p else t.iloc[:0] for p, t in zip(parts, tables))
                store_entry(cache, keys[d], scored[d])
            return scored

        for scored in map_documents(score_group, groups, jobs):
            found.update(scored)
    out = []
    for i in range(4):
        frames = [found[d][i] for d in order]
        nonempty = [f for f in frames if len(f)]
        out.append(pd.concat(nonempty, ignore_index=True) if nonempty else frames[0].reset_index(drop=True))
    return tuple(out)


def discover_clusters(result: RunResult, cfg: dict, codebook, cache: Path | None = None) -> None:
    """Add KMeans ``cluster`` and NMF ``topic`` columns and the clusters table."""
    _apply_clusters(result, _clusters(result, cfg, codebook, cache))


def _clusters(result: RunResult, cfg: dict, codebook, cache: Path | None):
    from analysis.clusters import cluster_segments

    segments = result.segments
    themes = segments[[f"theme_{k}" for k in codebook.keys]].rename(columns=lambda c: c[len("theme_"):])
    inputs = pd.concat([segments[["segment_id", "lemmas"]], themes], axis=1).reset_index(drop=True)
    key = hashlib.sha256((hash_frame(inputs) + fingerprint({"c": cfg["clusters"], "s": cfg["seed"]})).encode())
    found, _ = cached(cache / "clusters" if cache else None, key.hexdigest()[:20],
                      lambda: cluster_segments(segments, themes.reset_index(drop=True), cfg,
                                               cache / "cluster-fits" if cache else None))
    return found


def _apply_clusters(result: RunResult, found) -> None:
    result.segments["cluster"] = found.labels
    result.segments["topic"] = found.topics
    result.extra["clusters"] = found.table
    result.stats.update({"clusters_k": found.k, "clusters_criterion": found.k_criterion,
                         "clusters_silhouettes": found.silhouettes, "clusters_stability_ari": found.stability})


def compare_municipalities(result: RunResult, cfg: dict, codebook, cache: Path | None = None) -> None:
    """Add the comparison tables: profiles with intervals, differences, similarity, keyness,
    theme terms and co-occurrence (document types as ``compare.doc_types`` selects)."""
    result.extra.update(_comparison(result, cfg, codebook, cache))


def _comparison(result: RunResult, cfg: dict, codebook, cache: Path | None) -> dict:
    from analysis import compare

    c, keys, seed = cfg["compare"], codebook.keys, cfg["seed"]
    segs, matches = result.segments, result.extra["theme_matches"]
    inputs = segs[["doc_id", "municipality", "doc_type", "segment_id", "n_tokens", "lemmas",
                   *[f"theme_{k}" for k in keys]]]
    key = hashlib.sha256((hash_frame(inputs) + hash_frame(matches) + fingerprint({"c": c, "s": seed}))
                         .encode()).hexdigest()[:20]
    tables, _ = cached(cache / "compare" if cache else None, key,
                       lambda: compare.comparison_tables(segs, matches, keys, c, seed, c["doc_types"] or None,
                                                         cache / "compare-units" if cache else None))
    return tables


#: Segments from which clusters and the comparison are computed at the same time, on two cores.
PARALLEL_MIN_SEGMENTS = 5000


def clusters_and_comparison(result: RunResult, cfg: dict, codebook, cache: Path | None = None,
                            jobs: int | None = 1) -> None:
    """:func:`discover_clusters` and :func:`compare_municipalities`; on a large corpus both at once,
    the comparison in a forked process (neither reads what the other adds; the clustering, which
    uses OpenMP, stays in this process)."""
    from analysis.parallel import Background, will_fork

    overlap = len(result.segments) >= PARALLEL_MIN_SEGMENTS and will_fork(jobs, 2)
    tables = Background(lambda: _comparison(result, cfg, codebook, cache), fork=overlap)
    found = _clusters(result, cfg, codebook, cache)
    result.extra.update(tables.result())
    _apply_clusters(result, found)


def run_pipeline(corpus: str | Path = "corpus", out: str | Path = "outputs", config: str | Path | None = None,
                 skip_bad: bool = False, progress: bool = True, codebook: str | Path | None = None,
                 jobs: int | None = None) -> RunResult:
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
    codebook : str or Path, optional
        The codebook YAML (defaults to ``themes.codebook`` in the config).
    progress : bool
        Show progress bars.
    jobs : int, optional
        Processes for the per-document stages of a large corpus (reading, tokens, lexicon);
        default every core. The tables do not depend on it.

    Raises
    ------
    InputError
        Listing every problem found, when there are problems and ``skip_bad`` is False.
    """
    from analysis.themes import load_codebook

    from analysis.freshness import stat_signature

    clock = _Stages()
    signature = stat_signature(corpus, config, codebook, skip_bad)  # before anything is read
    cfg = load_config(config)
    book = load_codebook(codebook or cfg["themes"]["codebook"])
    out = Path(out)
    loaded = load_corpus(corpus)
    segments_by_doc, read_problems = ingest_corpus(loaded, jobs, cache_dir(out) / "segments", cfg["corpus"])
    problems = loaded.problems + read_problems
    if problems and not skip_bad:
        raise InputError(problems)
    if not segments_by_doc:
        raise InputError(problems or [Problem(str(corpus), "no usable documents", fix="add documents")])
    clock.lap("read")
    result = build_tables(loaded, segments_by_doc, problems, cfg, out, progress=progress, jobs=jobs)
    result.stats.update({"corpus_fingerprint": corpus_fingerprint(loaded), "n_problems": len(problems),
                         "annotations_fingerprint": annotations_fingerprint(Path(corpus), devset_path(cfg)),
                         "program_version": program_version(), "skip_bad": skip_bad, "stat_signature": signature})
    clock.lap("nlp")
    measure_themes(result, cfg, book, Path(corpus), cache_dir(out), jobs)
    clock.lap("themes")
    clusters_and_comparison(result, cfg, book, cache_dir(out), jobs)
    clock.lap("clusters and compare")
    result.stats["stage_seconds"] = clock.seconds  # in run.json (writing the tables follows)
    result.stats["stage_peak_mb"] = clock.peak_mb
    write_run(result, cfg, out, Path(corpus))
    return result


class _Stages:
    """Seconds spent in each stage of a run, and the process's peak memory (MB) at the end of
    each (for run.json and the benchmark)."""

    def __init__(self):
        import time

        self._now = time.perf_counter
        self._last = self._now()
        self.seconds: dict[str, float] = {}
        self.peak_mb: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = self._now()
        self.seconds[stage] = round(now - self._last, 3)
        self._last = now
        try:
            import resource

            self.peak_mb[stage] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        except ImportError:  # not on Windows
            pass


#: Long tables derived from others, left out of the workbook (they stay as CSV and Parquet):
#: one row per segment and theme, or per matched word.
WORKBOOK_LEFT_OUT = ("theme_scores", "theme_matches")
#: Excel's limits: rows per sheet (with the header) and characters per cell.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CHARS = 32_767
#: Seconds a run waits for another run writing to the same output folder.
WRITE_LOCK_TIMEOUT = 1800


def write_run(result: RunResult, cfg: dict, out: Path, corpus: Path) -> None:
    """Write every table of a run at once (staged, so a failure keeps the previous tables).

    Runs into the same output folder take turns (a lock file, ``OUT/.tables.lock``), so two
    runs never mix their tables.
    """
    from filelock import FileLock, Timeout

    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out / ".tables.lock"))
    try:
        lock.acquire(timeout=WRITE_LOCK_TIMEOUT)
    except Timeout:
        raise OutputLocked(f"{out / '.tables.lock'}: another run has been writing to this output folder for "
                           f"{WRITE_LOCK_TIMEOUT:g} seconds; wait for it to finish, or use another --out") from None
    try:
        _write_run(result, cfg, out, corpus)
    finally:
        lock.release()


def tables_fingerprint(cfg: dict) -> str:
    """The fingerprint of the settings the tables depend on: every section but ``reports``
    (a report's language or size limit never makes the tables stale)."""
    return fingerprint({k: v for k, v in cfg.items() if k != "reports"})


def _write_run(result: RunResult, cfg: dict, out: Path, corpus: Path) -> None:
    meta = {
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "corpus": str(corpus),
        "corpus_fingerprint": result.stats.get("corpus_fingerprint"),
        "n_documents": int((result.documents["status"] == "ok").sum()),
        "n_skipped": int((result.documents["status"] != "ok").sum()),
        "n_segments": len(result.segments),
        "n_tokens": int(result.segments["n_tokens"].sum()),
        "config": {k: v for k, v in cfg.items() if not k.startswith("_")},
        "config_fingerprint": tables_fingerprint(cfg),
        **nlp.pipeline_description(cfg),
        **{k: v for k, v in result.stats.items() if k not in ("corpus_fingerprint", "doc_keys")},
    }
    tables = {"documents": result.documents, "segments": result.segments, **result.extra}
    sheets = {n: t for n, t in tables.items() if n not in WORKBOOK_LEFT_OUT}
    # The workbook is a publication artefact, written by `report` or `run --excel` from these
    # tables (ensure_workbook); the fingerprint says which tables a workbook was made from.
    meta["workbook_sheets"] = list(sheets)
    meta["workbook_fingerprint"] = hashlib.sha256("|".join(f"{n}:{hash_frame(t)}" for n, t in sheets.items())
                                                  .encode()).hexdigest()[:20]
    with TableWriter(out) as tw:
        for name, table in tables.items():
            tw.write(name, table)
        tw.write("tokens", result.tokens, csv=False)
        for name, table in result.parquet_only.items():
            tw.write(name, table, csv=False)
        tw.write_text("run.json", json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True, default=str))
    book, stamp = _workbook_paths(out)
    if book.exists() and (not stamp.exists() or stamp.read_text(encoding="utf-8") != meta["workbook_fingerprint"]):
        book.unlink()  # made from other tables: never leave a stale workbook beside new tables
        stamp.unlink(missing_ok=True)


def _workbook_paths(out: Path) -> tuple[Path, Path]:
    folder = Path(out) / "tables"
    return folder / "analysis.xlsx", folder / ".analysis.xlsx.fingerprint"


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

    from analysis.cache import replacing
    from analysis.tables import read_table

    out = Path(out)
    meta = json.loads((out / "tables" / "run.json").read_text(encoding="utf-8"))
    book, stamp = _workbook_paths(out)
    wanted = meta["workbook_fingerprint"]
    if book.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return book
    with FileLock(str(out / ".tables.lock"), timeout=WRITE_LOCK_TIMEOUT):
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


def ensure_tables(corpus: str | Path = "corpus", out: str | Path = "outputs", config: str | Path | None = None,
                  codebook: str | Path | None = None, progress: bool = True, skip_bad: bool = False) -> dict:
    """Bring OUT/tables up to date for this corpus, config and codebook; return the run metadata.

    The main job runs only when the tables are missing or were made from another corpus,
    hand coding, config, codebook or program version, or skipped bad documents that this call
    does not allow to skip (each run is cheap when the caches are warm).
    """
    from analysis.freshness import is_current, stat_signature
    from analysis.themes import load_codebook

    for allowed in ([False, True] if skip_bad else [False]):  # a clean run also serves --skip-bad
        meta = is_current(out, stat_signature(corpus, config, codebook, allowed))
        if meta is not None:
            return meta
    meta_path = Path(out) / "tables" / "run.json"
    cfg = load_config(config)
    book = load_codebook(codebook or cfg["themes"]["codebook"])
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        loaded = load_corpus(corpus)
        wanted = {"corpus_fingerprint": corpus_fingerprint(loaded), "codebook_fingerprint": book.fingerprint,
                  "config_fingerprint": tables_fingerprint(cfg),
                  "annotations_fingerprint": annotations_fingerprint(corpus, devset_path(cfg)),
                  "program_version": program_version()}
        if all(meta.get(k) == v for k, v in wanted.items()) and (skip_bad or not meta.get("n_skipped")):
            return meta
    run_pipeline(corpus, out, config, skip_bad=skip_bad, progress=progress, codebook=codebook)
    return json.loads(meta_path.read_text(encoding="utf-8"))
