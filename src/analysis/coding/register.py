"""The sample register of a corpus: which paragraphs were drawn for which coding sheet, and the
inclusion probabilities of the random part. It lives in the corpus, beside the annotations it
explains, and only ``sample`` and ``code-in`` write it (atomically, under the corpus's lock).

Files in ``<corpus>/coding/``:

- ``sample.csv``: one row per paragraph and sheet: sheet, coder, part (``random``, ``learning``
  or ``adjudication``), wave, segment_id, fingerprint, doc_id, municipality, doc_type, stratum.
- ``waves.csv``: one row per wave of the random part and stratum: wave, stratum, frame (its
  paragraphs not yet in the random part), expected (paragraphs it was due), p (= expected /
  frame, the probability of each of them to be drawn), allocation, seed.
- ``frames.csv``: the documents each wave drew from (wave, doc_id).

The random part of every wave is drawn from all paragraphs not yet in the random part, whether
or not they are coded already (a drawn paragraph that is coded, or on a sheet of the learning
part, is registered without a sheet: nobody codes it twice). So a paragraph's chance of being in
the random part does not depend on the learning part or on coding done outside the sample: it is
1 - prod_w (1 - p_w) over the waves w whose frame held its document, with p_w its stratum's
probability in wave w (the stratum it was drawn in). For draws of equal probability from a
corpus that did not change this is exactly (paragraphs drawn) / (paragraphs in the corpus).

Usage::

    from analysis.coding.register import load_register, inclusion_probabilities
    register = load_register(Path("corpus"))
    pi = inclusion_probabilities(register.waves, strata)
"""

from __future__ import annotations

import datetime as _dt
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import InputError, Problem

CODING_DIR = "coding"
SAMPLE_FILE = "sample.csv"
WAVES_FILE = "waves.csv"
FRAMES_FILE = "frames.csv"
BACKUP_DIR = "backup"
SAMPLE_COLUMNS = ["sheet", "coder", "part", "wave", "segment_id", "fingerprint", "doc_id", "municipality",
                  "doc_type", "stratum"]
WAVE_COLUMNS = ["wave", "stratum", "frame", "expected", "p", "allocation", "seed"]
FRAME_COLUMNS = ["wave", "doc_id"]
RANDOM, LEARNING, ADJUDICATION = "random", "learning", "adjudication"
#: Seconds to wait for another command that writes the corpus's coding files.
LOCK_TIMEOUT = 30


def coding_dir(corpus: Path) -> Path:
    return Path(corpus) / CODING_DIR


@dataclass
class Register:
    """The sample register (empty tables when nothing was drawn yet)."""

    sample: pd.DataFrame
    waves: pd.DataFrame
    frames: pd.DataFrame | None = None  # None: an old register without it (every wave held every document)

    @property
    def next_wave(self) -> int:
        return int(self.waves["wave"].max()) + 1 if len(self.waves) else 1


def load_register(corpus: Path) -> Register:
    """Read ``coding/sample.csv`` and ``coding/waves.csv`` (empty when absent).

    Raises
    ------
    InputError
        When a file lacks a column (it names the file and the column).
    """
    folder = coding_dir(corpus)
    tables = []
    for name, columns in ((SAMPLE_FILE, SAMPLE_COLUMNS), (WAVES_FILE, WAVE_COLUMNS), (FRAMES_FILE, FRAME_COLUMNS)):
        path = folder / name
        if not path.is_file():
            tables.append(pd.DataFrame({c: pd.Series(dtype=object) for c in columns}))
            continue
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise InputError(Problem(str(path), f"missing column(s) {', '.join(missing)}", line=1,
                                     fix="this file is written by `sample`; restore it from coding/backup"))
        tables.append(table[columns])
    sample, waves, frames = tables
    if len(waves):
        waves = waves.astype({"wave": int, "frame": int, "expected": float, "p": float})
    if len(sample):
        sample = sample.astype({"wave": int})
    if len(frames):
        frames = frames.astype({"wave": int})
    elif len(waves):
        frames = None  # written before frames.csv: every wave is taken to have held every document
    return Register(sample, waves, frames)


def inclusion_probabilities(waves: pd.DataFrame, strata, doc_ids=None, frames: pd.DataFrame | None = None
                            ) -> np.ndarray:
    """Probability that a paragraph of each stratum in ``strata`` (of the document in ``doc_ids``)
    was drawn by some wave of the random part: 1 - prod (1 - p_w) over the waves whose frame held
    its document (every wave when ``frames`` is None); 0 for a stratum no wave drew from."""
    strata = np.asarray(strata, dtype=object)
    if waves.empty or not len(strata):
        return np.zeros(len(strata))
    units = pd.DataFrame({"row": np.arange(len(strata)), "stratum": strata,
                          "doc_id": np.asarray(doc_ids, dtype=object) if doc_ids is not None else ""})
    table = waves[["wave", "stratum", "p"]].astype({"p": float})
    pairs = units.merge(table, on="stratum")  # every wave that drew from the paragraph's stratum
    if frames is not None and doc_ids is not None:
        held = frames.assign(held=True)
        pairs = pairs.merge(held, on=["wave", "doc_id"], how="left")
        pairs = pairs[pairs["held"].eq(True)]
    full = pairs.groupby("row")["p"].max() >= 1.0  # drawn whole in some wave: probability 1
    missed = pairs.assign(q=np.log1p(-np.minimum(pairs["p"], 1.0 - 1e-15))).groupby("row")["q"].sum()
    pi = 1.0 - np.exp(missed.reindex(units["row"]).fillna(0.0).to_numpy())
    return np.where(full.reindex(units["row"]).fillna(False).to_numpy(dtype=bool), 1.0, pi)


@contextmanager
def corpus_lock(corpus: Path):
    """Hold the lock of the corpus's coding files (a second ``sample`` or ``code-in`` waits)."""
    from filelock import FileLock, Timeout

    path = Path(corpus) / ".coding.lock"
    try:
        with FileLock(str(path), timeout=LOCK_TIMEOUT):
            yield
    except Timeout:
        raise InputError(Problem(str(path), "another sample or code-in is writing this corpus's coding files",
                                 fix="wait for it to finish and retry")) from None


def write_atomically(files: dict[Path, bytes], corpus: Path) -> tuple[list[Path], list[Path]]:
    """Write every file of ``files`` (path -> content) so that each is replaced whole, after
    keeping the previous version in ``coding/backup/`` (stamped with the time); returns the
    files written and the backups made. A file whose content is unchanged is not touched."""
    backups: list[Path] = []
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    changed = {p: c for p, c in files.items() if not (p.is_file() and p.read_bytes() == c)}
    if not changed:
        return [], backups
    from analysis.base.cache import replacing

    backup_dir = coding_dir(corpus) / BACKUP_DIR
    for path, content in changed.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            backup_dir.mkdir(parents=True, exist_ok=True)
            target = backup_dir / f"{path.stem}-{stamp}{path.suffix}"
            n = 1
            while target.exists():
                n += 1
                target = backup_dir / f"{path.stem}-{stamp}-{n}{path.suffix}"
            shutil.copy2(path, target)
            backups.append(target)
        with replacing(path) as tmp:  # a reader sees the old file or the new one, never half of one
            tmp.write_bytes(content)
    return list(changed), backups


def csv_bytes(table: pd.DataFrame) -> bytes:
    """A table as the project writes CSV for people: UTF-8 with BOM (Excel reads æ, ø, å), LF."""
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
