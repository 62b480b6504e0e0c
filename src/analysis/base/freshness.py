"""Is OUT/tables current? Decided from what is cheap, before any document is read or spaCy,
pandas or scikit-learn is imported.

The signature of a run is a hash of the size and modification time of every file under the
corpus folder (metadata.csv, the documents, the hand coding), of the config, the codebook and
the development set, and of the program version and the run's options. When it equals the one
stored in ``OUT/tables/run.json``, nothing that the tables depend on has changed. When it
differs (a file touched, edited, added or removed), the main job runs, and its content-keyed
caches decide what is actually redone: a file touched without a change is read and hashed
again, but nothing is parsed again.

Usage::

    from analysis.base.freshness import stat_signature, is_current
    if is_current("outputs", stat_signature("corpus", None, None)):
        print("up to date")
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from analysis.base.paths import CHECK_SET_DIR, DEFAULT_CONFIG, PROJECT_ROOT
from analysis.base.version import program_version

#: Tables a run writes; the tables are current only when all of them are there.
REQUIRED_TABLES = ("run.json", "documents.csv", "segments.csv", "theme_scores.csv")


def _stat(path: Path) -> list:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


def _tree(folder: Path) -> list:
    """Every file below a folder with its size and modification time (sorted)."""
    found = []
    if not folder.is_dir():
        return [str(folder), None]
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        found.extend(_stat(Path(root) / name) for name in sorted(files))
    return found


def _settings(config: str | Path | None) -> tuple[Path | None, dict]:
    """The config file in use and its themes section, read without validating (load_config
    validates when the main job runs)."""
    import yaml

    path = Path(config) if config else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    themes = {}
    if path is not None and path.is_file():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            themes = raw.get("themes") or {} if isinstance(raw, dict) else {}
        except (yaml.YAMLError, UnicodeDecodeError, AttributeError):
            themes = {}
    return path, themes if isinstance(themes, dict) else {}


def _project_path(value: str | Path) -> Path:
    path = Path(value)
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path


def stat_signature(corpus: str | Path, config: str | Path | None, codebook: str | Path | None,
                   skip_bad: bool = False) -> str:
    """Return the stat signature of a run (see the module's docstring)."""
    from analysis.base.config import DEFAULTS

    config_path, themes = _settings(config)
    book = _project_path(codebook or themes.get("codebook") or DEFAULTS["themes"]["codebook"])
    dev = _project_path(themes.get("dev_set") or DEFAULTS["themes"]["dev_set"])
    parts = {
        "program": program_version(),
        "skip_bad": bool(skip_bad),
        "corpus": [str(Path(corpus).resolve()), _tree(Path(corpus))],
        "config": _stat(config_path) if config_path else None,
        "codebook": _stat(book),
        "dev_set": _tree(dev),
        "check_set": _stat(CHECK_SET_DIR / "scores.csv"),
    }
    blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:24]


def tables_fingerprint(cfg: dict) -> str:
    """The fingerprint of the settings the tables depend on: every section but ``reports`` and
    ``engine`` (a report's language or size limit, or where the work runs, never makes the
    tables stale)."""
    from analysis.base.config import fingerprint

    return fingerprint({k: v for k, v in cfg.items() if k not in ("reports", "engine")})


def is_current(out: str | Path, signature: str) -> dict | None:
    """The stored run metadata when ``OUT/tables`` was made with this signature, else None."""
    tables = Path(out) / "tables"
    if not all((tables / name).is_file() for name in REQUIRED_TABLES):
        return None
    try:
        meta = json.loads((tables / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if meta.get("stat_signature") == signature else None
