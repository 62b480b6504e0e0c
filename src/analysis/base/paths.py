"""Paths of the project, anchored on its root, so code and notebooks agree wherever they run.

Usage::

    from analysis.base.paths import PROJECT_ROOT, DEFAULT_CORPUS
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/analysis
DATA_DIR = PACKAGE_DIR / "data"


def _find_root() -> Path:
    # An editable install keeps the package under <root>/src/analysis; a plain install does not,
    # and then the working directory is the best guess (ANALYSIS_ROOT overrides both).
    env = os.environ.get("ANALYSIS_ROOT")
    if env:
        return Path(env).resolve()
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd().resolve()


PROJECT_ROOT = _find_root()
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"
#: The real-text check set (labels and recorded figures, never the text).
CHECK_SET_DIR = PROJECT_ROOT / "eval" / "realtext"
DEFAULT_OUT = PROJECT_ROOT / "outputs"
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"
DEFAULT_CODEBOOK = PROJECT_ROOT / "codebook.yaml"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
MUNICIPALITIES_CSV = DATA_DIR / "municipalities.csv"


def tables_dir(out: Path | str) -> Path:
    """Return the folder of the tables under an output folder."""
    return Path(out) / "tables"


def cache_dir(out: Path | str) -> Path:
    """Return the folder of the on-disk caches (parsed documents, models) under an output folder."""
    return Path(out) / "cache"


def shared_cache_dir() -> Path:
    """Return the folder of caches that do not depend on the corpus or the output folder: the
    development set through the NLP and the trained and validated theme methods.

    ``ANALYSIS_CACHE`` overrides it; else ``$XDG_CACHE_HOME/udsatte-analysis`` (``~/.cache``).
    Entries are keyed by content, so runs on any corpus share them and a stale entry is never read.
    """
    env = os.environ.get("ANALYSIS_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "udsatte-analysis"
