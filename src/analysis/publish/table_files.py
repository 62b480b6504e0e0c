"""Writing and reading the output tables, so that a failed run never destroys the last good ones.

Tables are staged in a hidden folder next to ``OUT/tables`` and moved into place only when the
whole run has succeeded. CSV is UTF-8 with a byte-order mark (Excel then shows æ, ø, å right;
pandas and R read it as plain UTF-8), comma-separated, "\\n" line ends; every CSV has a Parquet
copy for fast loading.

Usage::

    from analysis.publish.table_files import read_table, write_run
    write_run(result, cfg, Path("outputs"), Path("corpus"))  # OUT/tables/*.csv, *.parquet, run.json
    segments = read_table("outputs", "segments")
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd

from analysis.base import result as _result
from analysis.base.cache import hash_frame
from analysis.base.errors import OutputLocked
from analysis.base.freshness import tables_fingerprint
from analysis.base.paths import tables_dir
from analysis.base.result import RunResult

CSV_ENCODING = "utf-8-sig"


class TableWriter:
    """Stage tables, then publish them all at once.

    Usage::

        with TableWriter(out) as tw:
            tw.write("segments", df)
        # on success every staged file replaces its old copy; on an exception nothing changes
    """

    def __init__(self, out: Path | str, parquet: bool = True):
        self.out = Path(out)
        self.parquet = parquet
        self.staging = self.out / f".staging-{uuid.uuid4().hex[:8]}"
        self.written: list[str] = []

    def __enter__(self) -> "TableWriter":
        self.staging.mkdir(parents=True, exist_ok=False)
        return self

    def write(self, name: str, df: pd.DataFrame, csv: bool = True) -> None:
        """Stage ``name.csv`` (and ``name.parquet``) from a DataFrame."""
        if csv:
            df.to_csv(self.staging / f"{name}.csv", index=False, encoding=CSV_ENCODING, lineterminator="\n")
            self.written.append(f"{name}.csv")
        if self.parquet:
            df.to_parquet(self.staging / f"{name}.parquet", index=False)
            self.written.append(f"{name}.parquet")

    def write_text(self, filename: str, text: str) -> None:
        """Stage a text file (JSON, Markdown) beside the tables."""
        (self.staging / filename).write_text(text, encoding="utf-8")
        self.written.append(filename)

    def stage_path(self, filename: str) -> Path:
        """Return a path in the staging folder for a file written by other code (e.g. Excel)."""
        self.written.append(filename)
        return self.staging / filename

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                target = tables_dir(self.out)
                target.mkdir(parents=True, exist_ok=True)
                for name in self.written:
                    os.replace(self.staging / name, target / name)
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)


def read_table(out: Path | str, name: str) -> pd.DataFrame:
    """Read a table written by a run: the Parquet copy when present, else the CSV.

    Raises
    ------
    FileNotFoundError
        With the command that creates the table, when it has not been written yet.
    """
    folder = tables_dir(out)
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists():
        return pd.read_csv(csv, encoding=CSV_ENCODING)
    raise FileNotFoundError(f"{csv}: table not found; run `python -m analysis run --out {out}` first")


#: Long tables derived from others, left out of the workbook (they stay as CSV and Parquet):
#: one row per segment and theme, or per matched word.
WORKBOOK_LEFT_OUT = ("theme_scores", "theme_matches")


def write_run(result: RunResult, cfg: dict, out: Path, corpus: Path) -> None:
    """Write every table of a run at once (staged, so a failure keeps the previous tables).

    Runs into the same output folder take turns (a lock file, ``OUT/.tables.lock``), so two
    runs never mix their tables.
    """
    from filelock import FileLock, Timeout

    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out / ".tables.lock"))
    try:
        lock.acquire(timeout=_result.WRITE_LOCK_TIMEOUT)
    except Timeout:
        raise OutputLocked(f"{out / '.tables.lock'}: another run has been writing to this output folder for "
                           f"{_result.WRITE_LOCK_TIMEOUT:g} seconds; wait for it to finish, or use another --out") from None
    try:
        _write_run(result, cfg, out, corpus)
    finally:
        lock.release()


def _write_run(result: RunResult, cfg: dict, out: Path, corpus: Path) -> None:
    from analysis.nlp.tokens import pipeline_description

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
        **pipeline_description(cfg),
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
    book, stamp = workbook_paths(out)
    if book.exists() and (not stamp.exists() or stamp.read_text(encoding="utf-8") != meta["workbook_fingerprint"]):
        book.unlink()  # made from other tables: never leave a stale workbook beside new tables
        stamp.unlink(missing_ok=True)


def workbook_paths(out: Path) -> tuple[Path, Path]:
    """The workbook of ``OUT/tables`` and the file holding the fingerprint of the tables it was made from."""
    folder = Path(out) / "tables"
    return folder / "analysis.xlsx", folder / ".analysis.xlsx.fingerprint"
