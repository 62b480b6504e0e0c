"""The Danish spaCy pipeline and its on-disk cache.

The default pipeline is ``spacy.blank("da")`` (spaCy's Danish tokenizer with its exceptions for
"bl.a.", "jf.", "f.eks." ...) plus lemmas looked up in spacy-lookups-data's Danish table with
case folding ("Borgerne" -> "borger") and a compound fallback: a word missing from the table is
lemmatized by its longest known tail ("akutboligerne" -> "akut" + "bolig"). A trained pipeline
(``da_core_news_*`` or DaCy) is used instead when the config names one that is installed.

Each document's token table is cached as Parquet, keyed by the document's segment texts and the
pipeline's settings: a re-run parses nothing new, a changed document is parsed alone. Tables are
built from spaCy's token arrays with every string decided once per distinct form, not by walking
Doc objects in Python.

Usage::

    from analysis.nlp.tokens import analyse_segments
    tokens = analyse_segments(segments_by_doc, cfg, cache="outputs/cache")
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from analysis.base.cache import replacing
from analysis.base.danish import DOMAIN_STOP_WORDS, STOP_WORDS
from analysis.base.errors import ConfigError, Problem

_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_CONTENT = re.compile(r"^[^\W\d_]{2,}(?:-[^\W\d_]+)*$")  # letters (and inner hyphens): no abbreviations
MIN_TAIL = 4  # shortest known word accepted as the tail of a compound
STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default string dtype
SEGMENTS_PER_SLICE = 2000  # a document's segments parsed at once (bounds the memory of a long document)


@lru_cache(maxsize=1)
def _lemma_table() -> dict[str, str]:
    """spacy-lookups-data's Danish lemma table (form -> lemma) as a plain dict.

    The same data as ``spacy.lookups.load_lookups("da", ["lemma_lookup"])``, read without
    building spaCy's hashed Table, which takes five times as long as reading the file.
    """
    from spacy.util import load_language_data, registry

    return dict(load_language_data(registry.lookups.get("da")["lemma_lookup"]))


def lemmatize_word(word: str, table=None) -> str:
    """Return the lemma of one Danish word by lookup, case-folded, with a compound fallback."""
    table = table if table is not None else _lemma_table()
    lower = word.lower()
    found = table.get(lower)
    if found is not None:
        return found.lower()
    if len(lower) >= MIN_TAIL + 3 and lower.isalpha():
        for i in range(3, len(lower) - MIN_TAIL + 1):
            tail = lower[i:]
            found = table.get(tail)
            if found is not None:
                return lower[:i] + found.lower()
    return lower


@Language.factory("da_lookup_lemmatizer")
def _make_lemmatizer(nlp: Language, name: str):
    cache: dict[str, str] = {}

    def lemmatize(doc: Doc) -> Doc:
        table = _lemma_table()  # loaded on first use: a run served from the cache never needs it
        for token in doc:
            text = token.text
            lemma = cache.get(text)
            if lemma is None:
                lemma = lemmatize_word(text, table)
                cache[text] = lemma
            token.lemma_ = lemma
        return doc

    return lemmatize


@dataclass(frozen=True)
class PipelineInfo:
    """What identifies the pipeline's output, for cache keys and run metadata."""

    name: str
    versions: str
    stop_hash: str

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.name}|{self.versions}|{self.stop_hash}".encode()).hexdigest()[:16]


def stop_words(cfg: dict) -> frozenset[str]:
    """Return every stop word for content lemmas: spaCy's, the domain list, the config's, place names."""
    words = set(STOP_WORDS) | set(DOMAIN_STOP_WORDS) | {w.lower() for w in cfg["nlp"]["extra_stop_words"]}
    if cfg["nlp"]["drop_place_names"]:
        from analysis.corpus.metadata import load_municipalities

        for name in load_municipalities()["municipality"]:
            for part in re.split(r"[-\s]", name.lower()):
                words.update({part, part + "s"})
    return frozenset(words)


def build_pipeline(cfg: dict) -> tuple[Language, PipelineInfo]:
    """Return the spaCy pipeline named by ``cfg["nlp"]["model"]`` and its identity.

    Raises
    ------
    ConfigError
        When a trained pipeline is named that is not installed.
    """
    name = cfg["nlp"]["model"]
    stop_hash = hashlib.sha256(" ".join(sorted(stop_words(cfg))).encode()).hexdigest()[:12]
    if name in ("blank", "", None):
        nlp = spacy.blank("da")
        nlp.add_pipe("da_lookup_lemmatizer")
        versions = f"spacy={spacy.__version__};lookups={md.version('spacy-lookups-data')};lemmatizer=3"
        return nlp, PipelineInfo("blank:da", versions, stop_hash)
    try:
        nlp = spacy.load(name, exclude=["ner"])
    except OSError:
        raise ConfigError(Problem(cfg.get("_path", "config"), f"spaCy pipeline '{name}' is not installed",
                                  fix="install it in .venv, or set nlp.model: blank")) from None
    versions = f"spacy={spacy.__version__};model={nlp.meta.get('version', '?')}"
    return nlp, PipelineInfo(name, versions, stop_hash)


def _doc_key(info: PipelineInfo, texts: list[str]) -> str:
    h = hashlib.sha256(info.key.encode())
    for t in texts:
        h.update(b"\x1e" + t.encode("utf-8"))
    return h.hexdigest()[:24]


def _cache_folder(cache: Path | str | None) -> Path | None:
    if cache is None:
        return None
    folder = Path(cache) / "nlp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def analyse_documents(texts_by_doc: dict[str, list[str]], ids_by_doc: dict[str, list[str]], cfg: dict,
                      cache: Path | str | None, progress: bool = True,
                      jobs: int | None = 1) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return the token table of all documents, parsing only what the cache does not hold.

    Each document's token table is cached as Parquet under a key of its segment texts, the
    pipeline and the stop words, so a re-run reads tables instead of parsing again. When more
    than :data:`analysis.base.parallel.PARALLEL_MIN_CHARS` characters are to be parsed, documents are parsed by
    ``jobs`` processes (:mod:`analysis.base.parallel`); the table is the same.

    Returns
    -------
    tokens : DataFrame
        See :func:`token_table`.
    stats : dict
        ``parsed`` and ``cached`` document counts, ``tokens_key``, a hash of what the token
        table depends on, and ``doc_keys``, the same per document (for downstream caches).
    """
    from tqdm.auto import tqdm

    from analysis.base import parallel
    from analysis.base.parallel import map_documents, will_spread

    nlp, info = build_pipeline(cfg)
    stops = stop_words(cfg)
    cache_dir = _cache_folder(cache)
    frames: dict[str, pd.DataFrame] = {}
    todo: list[str] = []
    for doc_id, texts in texts_by_doc.items():
        path = cache_dir / f"{_doc_key(info, texts)}.tokens.parquet" if cache_dir else None
        if path is not None and path.exists():
            try:
                import pyarrow.parquet as pq

                table = pq.read_table(path)
                ids = pa.array(ids_by_doc[doc_id], type=pa.string()).take(table.column("segment"))
                frames[doc_id] = table.drop_columns(["segment"]).to_pandas().assign(
                    segment_id=pd.Series(pd.array(ids, dtype=STR)))
                continue
            except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt
                path.unlink(missing_ok=True)
        todo.append(doc_id)
    chars = sum(len(t) for d in todo for t in texts_by_doc[d])
    jobs = jobs if chars >= parallel.PARALLEL_MIN_CHARS else 1
    forked = will_spread(jobs, len(todo))
    blank = info.name.startswith("blank")
    if todo and blank:
        _lemma_table()  # loaded once, before the workers are forked
    lemmas: dict[str, str] = {}  # one lookup per distinct word form (per process)
    batch = cfg["nlp"]["batch_size"]

    def parse(doc_id: str) -> pd.DataFrame:
        texts, ids = texts_by_doc[doc_id], ids_by_doc[doc_id]
        parts = []
        # A long document is parsed in slices of segments, so that its Doc objects never all
        # live at once: memory stays bounded by the slice, not the document.
        for first in range(0, max(len(texts), 1), SEGMENTS_PER_SLICE):
            chunk = texts[first:first + SEGMENTS_PER_SLICE]
            if blank:  # only the tokenizer: lemmas are looked up per distinct form in token_table
                docs = list(nlp.tokenizer.pipe(chunk, batch_size=batch))
            else:
                docs = list(nlp.pipe(chunk, batch_size=batch, n_process=1 if forked else cfg["nlp"]["n_process"]))
            parts.append(token_table({doc_id: docs}, {doc_id: ids[first:first + SEGMENTS_PER_SLICE]}, stops, lemmas))
            del docs
        table = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        if cache_dir is not None:
            position = {s: i for i, s in enumerate(ids_by_doc[doc_id])}
            with replacing(cache_dir / f"{_doc_key(info, texts)}.tokens.parquet") as tmp:
                table.drop(columns="segment_id").assign(segment=table["segment_id"].map(position).astype("int32")) \
                    .to_parquet(tmp, index=False)
        return table

    sizes = [len(texts_by_doc[d]) for d in todo]
    with tqdm(total=sum(sizes), desc="parsing", unit="seg", disable=not progress or sum(sizes) < 500) as bar:
        step = iter(sizes)
        tables = map_documents(parse, todo, jobs, done=lambda _: bar.update(next(step)))
    frames.update(zip(todo, tables))
    columns = ["segment_id", "i", "start", "end", "text", "lower", "lemma", "content"]
    tokens = pd.concat([frames[d][columns] for d in texts_by_doc], ignore_index=True) if frames else \
        pd.DataFrame(columns=columns)
    doc_keys = {d: _doc_key(info, texts_by_doc[d]) for d in texts_by_doc}
    key = hashlib.sha256("|".join(doc_keys.values()).encode()).hexdigest()
    return tokens, {"parsed": len(todo), "cached": len(texts_by_doc) - len(todo), "tokens_key": key[:20],
                    "doc_keys": doc_keys}


def is_word(text: str) -> bool:
    """Return True for a token that contains a letter (words, not numbers or punctuation)."""
    return bool(_WORD.search(text))


def token_table(docs: dict[str, list[Doc]], segment_ids: dict[str, list[str]], stops: Iterable[str],
                lemma_cache: dict[str, str] | None = None) -> pd.DataFrame:
    """Return one row per word token: segment_id, i, start, end, text, lower, lemma, content.

    Built from each Doc's token arrays, with every string decided once per distinct form: a
    token's lemma is the pipeline's where it set one, else the lookup lemma of its form (the
    blank pipeline only tokenizes). ``content`` marks the lemmas kept for word lists, keyness
    and clustering: words of at least two letters (abbreviations such as "bl.a." and numbers are
    out), not a stop word by form or lemma.
    """
    from spacy.attrs import IDX, LEMMA, ORTH

    stops = frozenset(stops)
    cache = lemma_cache if lemma_cache is not None else {}
    arrays, seg_ids, strings = [], [], None
    for doc_id, doc_list in docs.items():
        for seg_id, doc in zip(segment_ids[doc_id], doc_list):
            if len(doc):
                arrays.append(doc.to_array([ORTH, IDX, LEMMA]))
                seg_ids.append((seg_id, len(doc)))
                strings = doc.vocab.strings
    columns = ["segment_id", "i", "start", "end", "text", "lower", "lemma", "content"]
    if not arrays:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(columns, [object, "int32", "int32", "int32", object,
                                                                          object, object, bool])})
    table = np.concatenate(arrays)
    segment_codes = np.repeat(np.arange(len(seg_ids), dtype=np.int64), [n for _, n in seg_ids])
    forms, form_of = np.unique(table[:, 0], return_inverse=True)
    text = [strings[int(h)] for h in forms]
    keep = np.fromiter((bool(_WORD.search(t)) for t in text), dtype=bool, count=len(text))[form_of]
    table, form_of, segment_codes = table[keep], form_of[keep], segment_codes[keep]
    # Every string is decided once per distinct (form, lemma) pair: the pipeline's lemma where it
    # set one, else the lookup of the form.
    lemma_hashes, lemma_of = np.unique(table[:, 2], return_inverse=True)
    pairs, pair_of = np.unique(form_of.astype(np.int64) * max(1, len(lemma_hashes)) + lemma_of, return_inverse=True)
    pair_form, pair_lemma = pairs // max(1, len(lemma_hashes)), pairs % max(1, len(lemma_hashes))
    p_text = [text[f] for f in pair_form.tolist()]
    p_lower = [t.lower() for t in p_text]
    p_lemma = []
    for t, h in zip(p_text, lemma_hashes[pair_lemma].tolist()):
        if h:
            p_lemma.append(strings[h].lower())
        else:
            found = cache.get(t)
            p_lemma.append(found if found is not None else cache.setdefault(t, lemmatize_word(t)))
    content_rx = _CONTENT.match
    p_content = np.array([bool(content_rx(m)) and w not in stops and m not in stops
                          for w, m in zip(p_lower, p_lemma)], dtype=bool)
    p_len = np.array([len(t) for t in p_text], dtype=np.int32)
    # Position among the segment's words: a running count that restarts at each segment.
    n = len(segment_codes)
    first = np.r_[True, segment_codes[1:] != segment_codes[:-1]] if n else np.zeros(0, dtype=bool)
    run_start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else first
    start = table[:, 1].astype("int32")
    take = pa.array(pair_of)

    def strings_of(values: list[str]) -> pd.Series:
        return pd.Series(pd.array(pa.array(values, type=pa.string()).take(take), dtype=STR))

    out = pd.DataFrame({
        "segment_id": pd.Series(pd.array(pa.array([s for s, _ in seg_ids], type=pa.string())
                                         .take(pa.array(segment_codes)), dtype=STR)),
        "i": (np.arange(n) - run_start).astype("int32"), "start": start,
        "end": (start + p_len[pair_of]).astype("int32"),
        "text": strings_of(p_text), "lower": strings_of(p_lower), "lemma": strings_of(p_lemma),
        "content": p_content[pair_of],
    })
    return out[columns]


def pipeline_description(cfg: dict) -> dict:
    """Return the pipeline's name and versions (for run metadata)."""
    _, info = build_pipeline(cfg)
    return {"pipeline": info.name, "versions": info.versions}

