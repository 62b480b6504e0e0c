"""The development set: hand-coded segments from many municipalities, split into train and a
locked test by municipality.

``corpus/dev/`` (``themes.dev_set`` in the config) holds

- ``segments.csv``: one row per segment: ``segment_id``, ``municipality``, ``doc_type``, ``year``,
  ``title``, ``section``, ``text``, ``split`` (``train`` or ``test``, fixed per municipality),
  ``kind`` (what the segment was written to test: clear, paraphrase, trap, procedural, list),
  ``trap_kind``, ``passing`` (the themes it mentions only in passing, space-separated) and,
  optionally, ``register`` (the kind of text: policy, handleplan, minutes, news, status,
  hearing; taken from ``doc_type`` by :data:`REGISTER_OF_DOC_TYPE` where it is missing);
- ``annotations.csv``: the adjudicated codes (as the corpus's ``annotations.csv``);
- ``annotations_coders.csv``: the two coders' independent codes.

The test split is for scoring a method once per change of method; nothing is ever fitted or
tuned on it (:func:`check_locked` stops a run that would).

Usage::

    from analysis.themes.devset import load_devset
    dev = load_devset("corpus/dev", codebook.keys)
    dev[dev["split"] == "train"]
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import InputError, Problem
from analysis.base.paths import PROJECT_ROOT

SPLITS = ("train", "test")
SEGMENT_COLUMNS = ["segment_id", "municipality", "doc_type", "year", "title", "section", "text", "split", "kind",
                   "trap_kind", "passing"]
#: The registers (kinds of text) of the development set; cross-validation also leaves one out.
REGISTERS = ("policy", "handleplan", "minutes", "news", "status", "hearing", "other")
#: The register of a document type, for rows (and corpus documents) that name none.
REGISTER_OF_DOC_TYPE = {"politik": "policy", "strategi": "policy", "forslag": "policy", "notat": "policy",
                        "handleplan": "handleplan", "referat": "minutes", "nyhed": "news", "beretning": "status",
                        "høringssvar": "hearing", "andet": "other"}


def register_of(doc_types) -> np.ndarray:
    """The register of each document type (``other`` for one not in :data:`REGISTER_OF_DOC_TYPE`)."""
    return np.array([REGISTER_OF_DOC_TYPE.get(str(t), "other") for t in doc_types], dtype=object)


def devset_path(cfg: dict) -> Path:
    """The development set's folder (``themes.dev_set``, relative to the project root)."""
    path = Path(cfg["themes"]["dev_set"])
    return path if path.is_absolute() else PROJECT_ROOT / path


def assign_split(municipalities, seed: int, test_share: float = 0.3) -> dict[str, str]:
    """Split municipalities into train and test: the ``test_share`` of them with the smallest
    seeded hash of their name go to test (deterministic; made once, then fixed in segments.csv)."""
    names = sorted(set(municipalities))
    rank = sorted(names, key=lambda n: hashlib.sha256(f"{seed}|{n}".encode("utf-8")).hexdigest())
    test = set(rank[:round(test_share * len(names))])
    return {n: "test" if n in test else "train" for n in names}


def load_devset(folder: str | Path, keys: list[str]) -> pd.DataFrame | None:
    """Read the development set with its adjudicated codes; ``None`` when the folder has none.

    Returns
    -------
    DataFrame
        The columns of ``segments.csv``, ``fingerprint`` and one 0/1 column per theme.

    Raises
    ------
    InputError
        Naming the file and line: unknown split, a municipality on both sides, a segment
        without codes, codes for an unknown segment.
    """
    from analysis.corpus.segment import fingerprint_text
    from analysis.themes.annotations import load_annotations

    folder = Path(folder)
    seg_path, ann_path = folder / "segments.csv", folder / "annotations.csv"
    if not seg_path.is_file() or not ann_path.is_file():
        return None
    segments = pd.read_csv(seg_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in SEGMENT_COLUMNS if c not in segments.columns]
    if missing:
        raise InputError(Problem(str(seg_path), f"missing column(s) {', '.join(missing)}", line=1,
                                 fix="the header needs " + ", ".join(SEGMENT_COLUMNS)))
    problems = []
    for i, split in enumerate(segments["split"], start=2):
        if split not in SPLITS:
            problems.append(Problem(str(seg_path), f"split {split!r}", line=i, fix="use train or test"))
    named = segments.get("register", pd.Series("", index=segments.index))
    segments["register"] = named.where(named != "", register_of(segments["doc_type"]))
    for i, register in enumerate(segments["register"], start=2):
        if register not in REGISTERS:
            problems.append(Problem(str(seg_path), f"register {register!r}", line=i,
                                    fix="use one of " + ", ".join(REGISTERS) + ", or leave it empty"))
    sides = segments.groupby("municipality")["split"].nunique()
    for name in sides[sides > 1].index:
        problems.append(Problem(str(seg_path), f"municipality {name} is in both train and test",
                                fix="a municipality's segments belong to one split"))
    codes = load_annotations(ann_path, keys, label=str(ann_path))
    segments["fingerprint"] = segments["text"].map(fingerprint_text)
    merged = segments.merge(codes.drop(columns=["segment_id"]), on="fingerprint", how="left")
    uncoded = merged[merged[keys[0]].isna()]
    for sid in uncoded["segment_id"].head(5):
        problems.append(Problem(str(ann_path), f"segment {sid} has no codes", fix="code it, or drop it from segments.csv"))
    if problems:
        raise InputError(problems)
    for k in keys:
        merged[k] = merged[k].astype(int)
    merged["year"] = pd.to_numeric(merged["year"], errors="coerce").astype("Int64")
    return merged


def check_locked(train_fingerprints, test_fingerprints) -> None:
    """Stop when a segment of the locked test split would reach the training data."""
    leaked = set(train_fingerprints) & set(test_fingerprints)
    if leaked:
        raise RuntimeError(f"{len(leaked)} segment(s) of the locked test split are in the training data "
                           f"(fingerprints {', '.join(sorted(leaked)[:3])}); the test split must never be fitted on")


def devset_frame(dev: pd.DataFrame, cfg: dict, codebook, cache: Path | None) -> pd.DataFrame:
    """The development set's segments through the corpus's own NLP and lexicon.

    Returns the segments with ``n_tokens``, ``lemmas`` and the lexicon's ``score_``,
    ``evidence_``, ``passing_`` and ``struct_`` columns, exactly as a corpus segment gets them.
    """
    from analysis.nlp import tokens as nlp
    from analysis.themes.lexicon import score_themes

    texts, ids = {}, {}
    for name, part in dev.groupby("municipality", sort=True):
        texts[f"dev-{name}"] = part["text"].tolist()
        ids[f"dev-{name}"] = part["segment_id"].tolist()
    tokens, _ = nlp.analyse_documents(texts, ids, cfg, cache, progress=False)
    n_tokens = tokens.groupby("segment_id").size()
    lemmas = tokens[tokens["content"]].groupby("segment_id")["lemma"].agg(" ".join)
    frame = dev.copy()
    frame["n_tokens"] = frame["segment_id"].map(n_tokens).fillna(0).astype(int)
    frame["lemmas"] = frame["segment_id"].map(lemmas).fillna("")
    scores, *_ = score_themes(frame[["segment_id", "section", "text", "n_tokens"]], tokens, codebook,
                              cfg["themes"]["lexicon_threshold"])
    return frame.merge(scores.drop(columns=[c for c in scores.columns if c.startswith("theme_")]),
                       on="segment_id", how="left")


def kind_weights(kinds: pd.Series, shares: dict[str, float]) -> np.ndarray:
    """Sample weights that give each kind of segment its share in ``shares`` (the development set
    over-samples paraphrases and traps on purpose; real policy text is mostly plain). A kind
    missing from ``shares`` weighs 1."""
    kinds = kinds.fillna("").astype(str)
    actual = kinds.value_counts(normalize=True)
    total = sum(shares.get(k, 0.0) for k in actual.index) or 1.0
    return kinds.map(lambda k: shares[k] / total / actual[k] if shares.get(k) else 1.0).to_numpy(dtype=float)


def trap_pairs(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """0/1 matrix: the themes a segment mentions only in passing (by its writer) and that the
    coders did not code: the passing-mention traps a method should leave uncoded."""
    passing = frame["passing"].fillna("").str.split()
    out = np.zeros((len(frame), len(keys)), dtype=int)
    for j, k in enumerate(keys):
        out[:, j] = passing.map(lambda ks, k=k: k in ks).to_numpy() & (frame[k].to_numpy() == 0)
    return out
