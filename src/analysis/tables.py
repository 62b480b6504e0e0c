"""Writing and reading the output tables, so that a failed run never destroys the last good ones.

Tables are staged in a hidden folder next to ``OUT/tables`` and moved into place only when the
whole run has succeeded. CSV is UTF-8 with a byte-order mark (Excel then shows æ, ø, å right;
pandas and R read it as plain UTF-8), comma-separated, "\\n" line ends; every CSV has a Parquet
copy for fast loading.

Usage::

    from analysis.tables import read_table
    segments = read_table("outputs", "segments")
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pandas as pd

from analysis.paths import tables_dir

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
