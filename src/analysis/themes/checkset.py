"""The real-text check set: paragraphs of public Danish text (municipal pages, minutes, news,
status reports, knowledge portals), coded blind by two coders, kept in the project without
their text.

``eval/realtext/`` holds

- ``paragraphs.csv``: ``id``, ``url``, ``register``, ``municipality``, ``first_words`` (the
  paragraph's first five words, to find it on its page), ``n_words``, ``sha256`` (of the text with
  its whitespace normalised), ``fingerprint`` (the project's segment fingerprint) and ``half``
  (``tuning`` or ``locked``, drawn by page: :func:`assign_halves`);
- ``annotations_coders.csv``: the two coders' independent codes (``id``, ``coder``, one 0/1
  column per theme);
- ``annotations.csv``: the adjudicated codes (``id`` and one 0/1 column per theme);
- ``scores.csv``: the recorded figures of the methods on it (``tools/realtext.py score
  --record``), with the key of what they were fitted on (:func:`record_key`). A run whose
  codebook, hand coding and settings have that key shows them in its validation table
  (split ``check set``), and the reports judge the themes by them.

The texts stay outside the project (a JSON-lines file with ``id`` and ``text``, or any file
whose texts hash to the listed ``sha256``): :func:`attach_texts` puts them back and refuses one
that differs. Nothing is ever fitted on the set; :func:`score_check_set` scores every method
fitted on the train pool against it, and stops if one of its paragraphs is in the pool. Its
tuning half may be read to grow the codebook (its figures are then in-sample); the locked half
is never read and is what the reports and the README judge the themes by.

Usage::

    from analysis.themes.checkset import attach_texts, load_check_set
    labels = load_check_set("eval/realtext", codebook.keys)
    frame = attach_texts(labels, "/elsewhere/realtext/texts.jsonl")
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import InputError, Problem

PARAGRAPH_COLUMNS = ["id", "url", "register", "municipality", "first_words", "n_words", "sha256", "fingerprint"]
#: The two halves of the check set, drawn by page: vocabulary and rules may be grown by reading
#: the tuning half's misses; the locked half is never read and is scored once per change of method.
TUNING, LOCKED = "tuning", "locked"
#: The ``split`` of each half's rows in the validation table: the reports judge by the locked half.
SPLIT_OF_HALF = {LOCKED: "check set", TUNING: "check set: tuning"}


def assign_halves(urls, seed: int) -> dict[str, str]:
    """Split pages into the tuning and the locked half: the half of the pages with the smallest
    seeded hash of their address are locked (deterministic; made once, then fixed in
    ``paragraphs.csv``'s ``half`` column)."""
    pages = sorted(set(urls))
    rank = sorted(pages, key=lambda u: hashlib.sha256(f"{seed}|{u}".encode("utf-8")).hexdigest())
    locked = set(rank[:(len(pages) + 1) // 2])
    return {u: LOCKED if u in locked else TUNING for u in pages}


def normalised(text: str) -> str:
    """The text in Unicode NFC with runs of whitespace as one space (what ``sha256`` hashes)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_hash(text: str) -> str:
    return hashlib.sha256(normalised(text).encode("utf-8")).hexdigest()


def first_words(text: str, n: int = 5) -> str:
    return " ".join(normalised(text).split(" ")[:n])


def describe(rows: list[dict], seed: int) -> pd.DataFrame:
    """``paragraphs.csv`` for paragraphs with ``id``, ``url``, ``register``, ``municipality`` and
    ``text``: everything but the text, and the half of each (:func:`assign_halves`)."""
    from analysis.corpus.segment import fingerprint_text

    halves = assign_halves([r["url"] for r in rows], seed)
    return pd.DataFrame([{"id": r["id"], "url": r["url"], "register": r.get("register", ""),
                          "municipality": r.get("municipality", ""), "first_words": first_words(r["text"]),
                          "n_words": len(normalised(r["text"]).split(" ")), "sha256": text_hash(r["text"]),
                          "fingerprint": fingerprint_text(r["text"]), "half": halves[r["url"]]} for r in rows],
                        columns=[*PARAGRAPH_COLUMNS, "half"])


def load_check_set(folder: str | Path, keys: list[str]) -> pd.DataFrame | None:
    """The check set's paragraphs with their adjudicated codes (no text); None without one.

    Raises
    ------
    InputError
        Naming the file: a missing column, codes other than 0/1, a paragraph without codes.
    """
    folder = Path(folder)
    par_path, ann_path = folder / "paragraphs.csv", folder / "annotations.csv"
    if not par_path.is_file() or not ann_path.is_file():
        return None
    paragraphs = pd.read_csv(par_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    codes = pd.read_csv(ann_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    problems = []
    for path, table, needed in ((par_path, paragraphs, PARAGRAPH_COLUMNS), (ann_path, codes, ["id", *keys])):
        missing = [c for c in needed if c not in table.columns]
        if missing:
            problems.append(Problem(str(path), f"missing column(s) {', '.join(missing)}", line=1,
                                    fix="the header needs " + ", ".join(needed)))
    if problems:
        raise InputError(problems)
    for i, row in enumerate(codes.itertuples(index=False), start=2):
        bad = [k for k in keys if getattr(row, k) not in ("0", "1")]
        if bad:
            problems.append(Problem(str(ann_path), f"theme column(s) {', '.join(bad)} not 0 or 1", line=i,
                                    fix="code every theme as 0 or 1"))
    merged = paragraphs.merge(codes[["id", *keys]], on="id", how="left")
    for pid in merged.loc[merged[keys[0]].isna(), "id"].head(5):
        problems.append(Problem(str(ann_path), f"paragraph {pid} has no codes", fix="code it, or drop it"))
    if problems:
        raise InputError(problems)
    for k in keys:
        merged[k] = merged[k].astype(int)
    merged["n_words"] = merged["n_words"].astype(int)
    if "half" not in merged:  # a set without halves is locked as a whole
        merged["half"] = LOCKED
    for i, half in enumerate(merged["half"], start=2):
        if half not in (TUNING, LOCKED):
            problems.append(Problem(str(par_path), f"half {half!r}", line=i, fix=f"use {TUNING} or {LOCKED}"))
    if problems:
        raise InputError(problems)
    return merged


def read_texts(path: str | Path) -> dict[str, str]:
    """The texts of a JSON-lines file (``id`` and ``text`` per line), by id."""
    path = Path(path)
    texts = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), f"cannot be read ({exc})", fix="give a UTF-8 JSON-lines file")) from None
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            texts[str(row["id"])] = str(row["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InputError(Problem(str(path), "not a JSON object with id and text", line=i,
                                     fix='write one {"id": ..., "text": ...} per line')) from None
    return texts


def attach_texts(labels: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """The check set with its texts from ``path``; only paragraphs whose text hashes to their
    ``sha256`` are kept.

    Raises
    ------
    InputError
        When a text differs from the one that was coded (naming the paragraph), or when none is found.
    """
    texts = read_texts(path)
    problems, keep = [], []
    for row in labels.itertuples(index=False):
        text = texts.get(row.id)
        if text is None:
            continue
        if text_hash(text) != row.sha256:
            problems.append(Problem(str(path), f"paragraph {row.id} is not the text that was coded (it begins "
                                    f"{first_words(text)!r}, the coded one {row.first_words!r})",
                                    fix=f"copy the paragraph again from {row.url}"))
        keep.append(row.id)
    if problems:
        raise InputError(problems)
    if not keep:
        raise InputError(Problem(str(path), "has none of the check set's paragraphs",
                                 fix="give the file the check set's texts were collected into"))
    frame = labels[labels["id"].isin(keep)].reset_index(drop=True)
    frame["text"] = frame["id"].map(texts)
    return frame


def as_segments(frame: pd.DataFrame) -> pd.DataFrame:
    """The paragraphs as development-set-like segments (one group per page), for the project's NLP
    and lexicon (:func:`analysis.themes.devset.devset_frame`)."""
    from urllib.parse import urlparse

    page = frame["url"].map(lambda u: urlparse(u).netloc + urlparse(u).path)
    return pd.DataFrame({"segment_id": "check-" + frame["id"], "municipality": page.to_numpy(),
                         "section": "", "text": frame["text"].to_numpy()})


def score_check_set(frame: pd.DataFrame, cfg: dict, codebook, train, cache: Path | None = None) -> tuple:
    """Every method fitted on the train pool (``train``: :class:`analysis.themes.validation.Labelled`)
    and the lexicon's own rule, scored on the check set.

    Returns
    -------
    table : DataFrame
        :func:`analysis.themes.validation.agreement` rows of each method on each half
        (``split`` "check set" for the locked half, "check set: tuning" for the other), ``text`` "real".
    checks : DataFrame
        Per method, the share of no-theme paragraphs left uncoded.
    predictions : dict
        Method -> 0/1 matrix in the frame's order (for reading the misses).
    """
    from sklearn.base import clone

    from analysis.themes import validation as val
    from analysis.themes.devset import check_locked, devset_frame
    from analysis.themes.classify import feature_columns

    keys, core = codebook.keys, codebook.core_keys
    check_locked(train.fingerprints, frame["fingerprint"].to_numpy())  # never fitted on, never tuned on
    features = devset_frame(as_segments(frame), cfg, codebook, cache)
    X = features[feature_columns(features)]
    Y = frame[keys].to_numpy()
    predictions = {"lexicon (its own rule)": (X[[f"score_{k}" for k in keys]].to_numpy()
                                              >= cfg["themes"]["lexicon_threshold"] - 1e-9).astype(int)}
    for name, method in val.make_methods(keys, cfg).items():
        model = clone(method).fit(train.X.reset_index(drop=True), train.Y, groups=train.groups,
                                  sample_weight=train.weights)
        predictions[name] = model.predict(X)
    tables, checks = [], []
    for half in (LOCKED, TUNING):
        part = (frame["half"] == half).to_numpy()
        if not part.any():
            continue
        split = SPLIT_OF_HALF[half]
        table = pd.concat([val.agreement(Y[part], p[part], keys, core, method=m) for m, p in predictions.items()],
                          ignore_index=True)
        table.insert(2, "split", split)
        table.insert(3, "n_groups", features.loc[part, "municipality"].nunique())
        tables.append(table)
        checks += [val.measurement_checks(Y[part], p[part], None, m, split) for m, p in predictions.items()]
    table = pd.concat(tables, ignore_index=True)
    table["text"] = val.REAL
    return table, pd.concat(checks, ignore_index=True), predictions


def misses(frame: pd.DataFrame, predictions: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """The paragraphs a method codes differently from the coders: id, theme, coders, method, and
    the first words (to read the case in the texts)."""
    rows = []
    for j, k in enumerate(keys):
        wrong = np.flatnonzero(frame[k].to_numpy() != predictions[:, j])
        for i in wrong:
            rows.append({"id": frame["id"].iat[i], "theme": k, "coders": int(frame[k].iat[i]),
                         "method": int(predictions[i, j]), "first_words": frame["first_words"].iat[i]})
    return pd.DataFrame(rows, columns=["id", "theme", "coders", "method", "first_words"])


#: The recorded figures of the methods on the check set.
SCORES = "scores.csv"


def record_key(codebook_fingerprint: str, annotations_fingerprint: str, cfg: dict) -> str:
    """What the recorded figures hold for: the codebook, the hand coding (corpus and development
    set) and the settings the tables depend on."""
    from analysis.base.freshness import tables_fingerprint

    blob = f"{codebook_fingerprint}|{annotations_fingerprint}|{tables_fingerprint(cfg)}"
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def recorded_scores(folder: str | Path, key: str) -> pd.DataFrame | None:
    """The recorded check-set rows for ``key`` (validation-table columns), or None when there are
    none for it (another codebook, hand coding or settings: the figures would not be this run's)."""
    path = Path(folder) / SCORES
    if not path.is_file():
        return None
    table = pd.read_csv(path, dtype={"key": str}, encoding="utf-8-sig")
    rows = table[table["key"] == key].drop(columns=["key"])
    return rows.reset_index(drop=True) if len(rows) else None


def check_set_fingerprint(folder: str | Path | None = None) -> str:
    """A hash of the recorded figures (``scores.csv``), "-" without them: tables made before
    a new recording are made again."""
    from analysis.base.paths import CHECK_SET_DIR

    path = Path(folder or CHECK_SET_DIR) / SCORES
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "-"
