"""The coding loop's two commands: draw paragraphs into coding sheets (``sample``) and read
filled sheets back (``code-in``), each on the current tables of the corpus.

Usage::

    from analysis.coding.loop import sample_for_coding, read_in
    drawn = sample_for_coding("corpus", "outputs", n=200, coders=["anna"], make_tables=ensure_tables)
    done = read_in(["corpus/coding/anna-2026-12-04.xlsx"], "corpus", "outputs", make_tables=ensure_tables)
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.config import load_config
from analysis.base.errors import InputError, Problem
from analysis.coding import draw as _draw
from analysis.coding.register import (FRAMES_FILE, SAMPLE_FILE, WAVES_FILE, coding_dir, corpus_lock, csv_bytes,
                                      load_register, write_atomically)


@dataclass
class Sheet:
    """A coding sheet written by :func:`sample_for_coding`."""

    path: Path
    coder: str
    n_random: int
    n_learning: int
    n_again: int
    n_adjudication: int


@dataclass
class Sampled:
    """What :func:`sample_for_coding` did: the sheets written, and the paragraphs of the random
    part that were coded (or on a sheet) already and need no coding again."""

    sheets: list[Sheet]
    covered: int


def _tables(corpus, out, config, codebook, make_tables):
    """The config, the codebook and the current segments (with their document's title);
    ``make_tables(corpus, out, config, codebook, progress=False)`` brings the tables up to date
    (:func:`analysis.pipeline.ensure_tables`, which the caller passes in: the conductor is above
    this stage)."""
    from analysis.publish.table_files import read_table
    from analysis.themes.lexicon import load_codebook

    make_tables(corpus, out, config, codebook, progress=False)
    cfg = load_config(config)
    book = load_codebook(codebook or cfg["themes"]["codebook"])
    segments = read_table(out, "segments")
    documents = read_table(out, "documents")[["doc_id", "title"]]
    segments = segments.merge(documents, on="doc_id", how="left")
    return cfg, book, segments


def learning_priority(out: Path, keys: list[str]) -> pd.Series:
    """Per segment, how much coding it would teach: the themes on which the lexicon and the method
    in use disagree, plus how near its closest score is to the theme's threshold (1 at it)."""
    from analysis.publish.table_files import read_table

    scores = read_table(out, "theme_scores")
    try:
        validation = read_table(out, "validation")
        chosen = validation[(validation["chosen"] == 1) & (validation["split"] == "cv train")]
        thresholds = chosen.dropna(subset=["threshold"]).set_index("theme")["threshold"].to_dict()
    except (FileNotFoundError, KeyError):
        thresholds = {}
    limit = scores["theme"].map(thresholds).fillna(0.5).to_numpy()
    near = 1.0 - np.minimum(np.abs(scores["score"].to_numpy() - limit) * 2, 1.0)
    differ = (scores["lexicon_theme"].to_numpy() != scores["assigned"].to_numpy()).astype(float)
    frame = pd.DataFrame({"segment_id": scores["segment_id"], "near": near, "differ": differ})
    by = frame.groupby("segment_id", sort=False).agg(near=("near", "max"), differ=("differ", "sum"))
    return by["differ"] + by["near"]


def sample_for_coding(corpus: str | Path, out: str | Path, *, n: int = 200, coders: list[str], overlap: int = 0,
                      learning: int = 0, allocation: str = "proportional", language: str = "da",
                      adjudicate: bool = False, config=None, codebook=None, date: str | None = None,
                      make_tables=None) -> Sampled:
    """Draw paragraphs and write one coding sheet per coder into ``<corpus>/coding/``, and the
    draw into the sample register (see :mod:`analysis.coding.register`); nothing is written
    when anything fails.

    Raises
    ------
    InputError
        Bad options (coder names, sizes), or nothing left to draw.
    """
    corpus, out = Path(corpus), Path(out)
    coders = [_draw.check_coder(c) for c in coders]
    if len(set(coders)) != len(coders):
        raise InputError(Problem("--coder", "the same coder named twice", fix="name each coder once"))
    if min(n, overlap, learning) < 0:
        raise InputError(Problem("--n", "sizes must be 0 or more", fix="e.g. --n 200 --overlap 50"))
    if adjudicate and len(coders) != 1:
        raise InputError(Problem("--adjudicate", "an adjudication sheet is for one adjudicator",
                                 fix="give one --coder"))
    if len(coders) > 1 and overlap > n:
        raise InputError(Problem("--overlap", f"{overlap} paragraphs for every coder, but only --n {n} drawn",
                                 fix="give an --overlap no larger than --n"))
    cfg, book, segments = _tables(corpus, out, config, codebook, make_tables)
    date = date or _dt.date.today().isoformat()
    folder = coding_dir(corpus)
    with corpus_lock(corpus):
        register = load_register(corpus)
        taken = {p.stem for p in folder.glob("*.xlsx")} if folder.is_dir() else set()
        if adjudicate:
            drawn = _draw.draw_adjudication(_open_disagreements(corpus, book.keys, segments), register, coders[0],
                                            date, taken)
            codes = _codes_so_far(corpus, book, segments)
        else:
            coded = _coded_fingerprints(corpus)
            priority = learning_priority(out, book.keys) if learning else None
            drawn = _draw.draw_sample(segments, register, coded, n=n, coders=coders, seed=int(cfg["seed"]), date=date,
                                      allocation=allocation, learning=learning, overlap=overlap, priority=priority,
                                      taken_sheets=taken)
            codes = None
        if drawn.sample.empty:
            what = ("no open disagreements to adjudicate" if adjudicate else
                    "nothing left to draw: every paragraph is coded or drawn already")
            raise InputError(Problem(str(corpus), what, fix="read in the sheets you have (code-in), or add documents"))
        folder.mkdir(parents=True, exist_ok=True)
        from analysis.coding.sheets import write_sheet

        written = []
        try:
            for sheet, (coder, rows) in drawn.sheets.items():
                path = folder / f"{sheet}.xlsx"
                write_sheet(path, rows, segments, book, coder=coder, sheet=sheet, corpus=str(corpus),
                            language=language, codes=codes, date=date)
                written.append(Sheet(path, coder, int((rows["part"] == "random").sum() - _again(rows, register)),
                                     int((rows["part"] == "learning").sum()), _again(rows, register),
                                     int((rows["part"] == "adjudication").sum())))
            sample = pd.concat([register.sample, drawn.sample], ignore_index=True)
            waves = pd.concat([register.waves, drawn.waves], ignore_index=True) if len(drawn.waves) else register.waves
            files = {folder / SAMPLE_FILE: csv_bytes(sample), folder / WAVES_FILE: csv_bytes(waves)}
            if len(drawn.frames) or register.frames is not None:
                old = register.frames if register.frames is not None else drawn.frames.iloc[:0]
                files[folder / FRAMES_FILE] = csv_bytes(pd.concat([old, drawn.frames], ignore_index=True))
            write_atomically(files, corpus)
        except BaseException:
            for s in written:
                s.path.unlink(missing_ok=True)
            raise
    return Sampled(written, drawn.covered)


def _again(rows: pd.DataFrame, register) -> int:
    """Rows of a sheet that other coders were given before (for agreement)."""
    return int(rows["fingerprint"].isin(set(register.sample["fingerprint"])).sum())


def _coded_fingerprints(corpus: Path) -> set[str]:
    path = Path(corpus) / "annotations.csv"
    if not path.is_file():
        return set()
    return set(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")["fingerprint"])


def _coders_table(corpus: Path) -> pd.DataFrame:
    path = Path(corpus) / "annotations_coders.csv"
    if not path.is_file():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _open_disagreements(corpus: Path, keys: list[str], segments: pd.DataFrame) -> pd.DataFrame:
    """Paragraphs whose coders disagree and that ``annotations.csv`` holds by majority only."""
    from analysis.coding.merge import MAJORITY

    path = Path(corpus) / "annotations.csv"
    final = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig") if path.is_file() else None
    if final is None or "basis" not in final:
        return segments.iloc[:0][["segment_id", "fingerprint", "doc_id", "municipality", "doc_type"]]
    open_ = set(final.loc[final["basis"] == MAJORITY, "fingerprint"])
    segs = segments[segments["fingerprint"].isin(open_)].drop_duplicates("fingerprint")
    return segs[["segment_id", "fingerprint", "doc_id", "municipality", "doc_type"]]


def _codes_so_far(corpus: Path, book, segments: pd.DataFrame) -> pd.Series:
    """Per segment id, the coders' codes of the themes they disagree on ("Bolig: anna 1, bo 0")."""
    from analysis.coding.agreement import disagreements

    coders = _coders_table(corpus)
    if coders.empty:
        return pd.Series(dtype=str)
    differ = disagreements(coders, book.keys)
    labels = book.labels("da")
    ids = dict(zip(segments["fingerprint"], segments["segment_id"]))
    text = differ.assign(line=differ["theme"].map(labels) + ": " + differ["codes"]) \
        .groupby("fingerprint")["line"].agg("; ".join)
    return pd.Series(text.to_numpy(), index=[ids.get(f, f) for f in text.index])


def read_in(paths: list[str | Path], corpus: str | Path, out: str | Path, config=None, codebook=None,
            skip_bad: bool = False, make_tables=None):
    """:func:`analysis.coding.merge.code_in` on the current tables of the corpus."""
    from analysis.coding.merge import code_in

    _, book, segments = _tables(corpus, out, config, codebook, make_tables)
    return code_in([Path(p) for p in paths], Path(corpus), segments, book, skip_bad=skip_bad)
