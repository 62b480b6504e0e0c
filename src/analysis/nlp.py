"""The Danish spaCy pipeline and its on-disk cache.

The default pipeline is ``spacy.blank("da")`` (spaCy's Danish tokenizer with its exceptions for
"bl.a.", "jf.", "f.eks." ...) plus lemmas looked up in spacy-lookups-data's Danish table with
case folding ("Borgerne" -> "borger") and a compound fallback: a word missing from the table is
lemmatized by its longest known tail ("akutboligerne" -> "akut" + "bolig"). A trained pipeline
(``da_core_news_*`` or DaCy) is used instead when the config names one that is installed.

Parsed documents are cached as spaCy DocBin files keyed by the document's segment texts and
the pipeline's settings: a re-run parses nothing new, a changed document is parsed alone.

Usage::

    from analysis.nlp import analyse_segments
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

import pandas as pd
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

from analysis.danish import DOMAIN_STOP_WORDS, STOP_WORDS
from analysis.errors import ConfigError, Problem

_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_CONTENT = re.compile(r"^[^\W\d_]{2,}(?:-[^\W\d_]+)*$")  # letters (and inner hyphens): no abbreviations
MIN_TAIL = 4  # shortest known word accepted as the tail of a compound


@lru_cache(maxsize=1)
def _lemma_table():
    from spacy.lookups import load_lookups

    # A spaCy Table: keys are stored hashed, so look up with .get(word) and `word in table`.
    return load_lookups("da", ["lemma_lookup"]).get_table("lemma_lookup")


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
    table = _lemma_table()
    cache: dict[str, str] = {}

    def lemmatize(doc: Doc) -> Doc:
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
        from analysis.corpus import load_municipalities

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
        versions = f"spacy={spacy.__version__};lookups={md.version('spacy-lookups-data')};lemmatizer=2"
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


def parse_documents(
    texts_by_doc: dict[str, list[str]],
    cfg: dict,
    cache: Path | str | None,
    progress: bool = True,
) -> tuple[dict[str, list[Doc]], dict[str, int]]:
    """Parse each document's segment texts, reusing the cache.

    Parameters
    ----------
    texts_by_doc : dict
        doc_id -> segment texts in order.
    cfg : dict
        Settings (``nlp`` section).
    cache : Path or None
        Folder for DocBin files; None disables caching.
    progress : bool
        Show a progress bar on long work.

    Returns
    -------
    docs : dict
        doc_id -> one spaCy Doc per segment.
    stats : dict
        ``parsed`` and ``cached`` document counts.
    """
    from tqdm.auto import tqdm

    nlp, info = build_pipeline(cfg)
    cache_dir = Path(cache) / "nlp" if cache is not None else None
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    docs: dict[str, list[Doc]] = {}
    todo: list[str] = []
    for doc_id, texts in texts_by_doc.items():
        path = cache_dir / f"{_doc_key(info, texts)}.spacy" if cache_dir else None
        if path is not None and path.exists():
            try:
                docs[doc_id] = list(DocBin().from_disk(path).get_docs(nlp.vocab))
                continue
            except Exception:  # noqa: BLE001 - a damaged cache file is re-parsed
                path.unlink(missing_ok=True)
        todo.append(doc_id)
    n_segments = sum(len(texts_by_doc[d]) for d in todo)
    stream = ((t, d) for d in todo for t in texts_by_doc[d])
    bar = tqdm(total=n_segments, desc="parsing", unit="seg", disable=not progress or n_segments < 500)
    parsed: dict[str, list[Doc]] = {d: [] for d in todo}
    for doc, doc_id in nlp.pipe(stream, as_tuples=True, batch_size=cfg["nlp"]["batch_size"],
                                n_process=cfg["nlp"]["n_process"]):
        parsed[doc_id].append(doc)
        bar.update(1)
    bar.close()
    for doc_id in todo:
        docs[doc_id] = parsed[doc_id]
        if cache_dir is not None:
            path = cache_dir / f"{_doc_key(info, texts_by_doc[doc_id])}.spacy"
            tmp = path.with_suffix(".tmp")
            DocBin(attrs=["ORTH", "LEMMA", "SPACY", "POS", "TAG", "MORPH", "SENT_START"], docs=parsed[doc_id]).to_disk(tmp)
            tmp.replace(path)
    return {d: docs[d] for d in texts_by_doc}, {"parsed": len(todo), "cached": len(texts_by_doc) - len(todo)}


def is_word(text: str) -> bool:
    """Return True for a token that contains a letter (words, not numbers or punctuation)."""
    return bool(_WORD.search(text))


def token_table(docs: dict[str, list[Doc]], segment_ids: dict[str, list[str]], stops: Iterable[str]) -> pd.DataFrame:
    """Return one row per word token: segment_id, i, start, end, text, lower, lemma, content.

    ``content`` marks the lemmas kept for word lists, keyness and clustering: words of at least
    two letters (abbreviations such as "bl.a." and numbers are out), not a stop word by form or lemma.
    """
    stops = frozenset(stops)
    rows: dict[str, list] = {k: [] for k in ("segment_id", "i", "start", "end", "text", "lower", "lemma", "content")}
    for doc_id, doc_list in docs.items():
        for seg_id, doc in zip(segment_ids[doc_id], doc_list):
            i = 0
            for token in doc:
                text = token.text
                if not is_word(text):
                    continue
                lower = text.lower()
                lemma = token.lemma_.lower() or lower
                rows["segment_id"].append(seg_id)
                rows["i"].append(i)
                rows["start"].append(token.idx)
                rows["end"].append(token.idx + len(text))
                rows["text"].append(text)
                rows["lower"].append(lower)
                rows["lemma"].append(lemma)
                rows["content"].append(bool(_CONTENT.match(lemma)) and lower not in stops and lemma not in stops)
                i += 1
    table = pd.DataFrame(rows)
    table["i"] = table["i"].astype("int32")
    table["start"] = table["start"].astype("int32")
    table["end"] = table["end"].astype("int32")
    return table


def pipeline_description(cfg: dict) -> dict:
    """Return the pipeline's name and versions (for run metadata)."""
    _, info = build_pipeline(cfg)
    return {"pipeline": info.name, "versions": info.versions}

