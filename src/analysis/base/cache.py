"""A small on-disk cache for fitted results (models, clusterings), keyed by what they depend on.

Usage::

    from analysis.base.cache import cached, hash_frame
    value, hit = cached(out / "cache" / "models", key, build)

    value = load_entry(folder, key)  # or MISSING; store_entry(folder, key, value) after a batch
"""

from __future__ import annotations

import hashlib
import os
import pickle
import uuid
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from analysis.base.version import program_version


def hash_frame(frame: pd.DataFrame) -> str:
    """Return a stable hash of a DataFrame's values and column names."""
    h = hashlib.sha256("|".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).to_numpy().tobytes())
    return h.hexdigest()


@contextmanager
def replacing(path: Path):
    """Yield a temporary path beside ``path``; when the block succeeds it replaces ``path``.

    The temporary name is unique to the process and call, so two runs that write the same
    cache entry at once never rename each other's files; a reader sees the old file or the new
    one, never half of one.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _entry(folder: Path, key: str) -> Path:
    return Path(folder) / f"{program_version()}-{key}.pkl"


MISSING = object()


def load_entry(folder: Path, key: str):
    """Return the value stored under ``key``, or :data:`MISSING`; a damaged entry is removed."""
    path = _entry(folder, key)
    if path.exists():
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except Exception:  # noqa: BLE001 - a damaged or incompatible entry is rebuilt
            path.unlink(missing_ok=True)
    return MISSING


def store_entry(folder: Path, key: str, value) -> None:
    """Store ``value`` under ``key`` atomically (see :func:`replacing`)."""
    path = _entry(folder, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp, open(tmp, "wb") as f:
        pickle.dump(value, f)


def cached(folder: Path | None, key: str, build):
    """Return ``(build(), False)``, or ``(stored value, True)`` when the folder holds ``key``.

    A damaged or unreadable entry is rebuilt; writes are atomic (temporary file, then rename).
    Entries are named by :func:`program_version` as well as the key, so a changed program
    never reads a value of another shape. ``folder=None`` disables the cache.
    """
    if folder is not None:
        value = load_entry(folder, key)
        if value is not MISSING:
            return value, True
    value = build()
    if folder is not None:
        store_entry(folder, key, value)
    return value, False
