"""A small on-disk cache for fitted results (models, clusterings), keyed by what they depend on.

Usage::

    from analysis.cache import cached, hash_frame
    value, hit = cached(out / "cache" / "models", key, build)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import uuid
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from analysis import __version__

#: Bump when the structure of a cached value changes, so old entries are never read back.
SCHEMA = 2


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


def cached(folder: Path | None, key: str, build):
    """Return ``(build(), False)``, or ``(stored value, True)`` when the folder holds ``key``.

    A damaged or unreadable entry is rebuilt; writes are atomic (temporary file, then rename).
    Entries are named by the package version and :data:`SCHEMA` as well as the key, so a
    changed program never reads a value of another shape. ``folder=None`` disables the cache.
    """
    path = Path(folder) / f"{__version__}-s{SCHEMA}-{key}.pkl" if folder is not None else None
    if path is not None and path.exists():
        try:
            with open(path, "rb") as f:
                return pickle.load(f), True
        except Exception:  # noqa: BLE001 - a damaged or incompatible entry is rebuilt
            path.unlink(missing_ok=True)
    value = build()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as tmp, open(tmp, "wb") as f:
            pickle.dump(value, f)
    return value, False
