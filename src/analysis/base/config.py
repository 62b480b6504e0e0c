"""Tunable settings: defaults in code, overridden by a YAML file, validated on load.

Usage::

    from analysis.base.config import load_config
    cfg = load_config("config.yaml")
    cfg["nlp"]["batch_size"]
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from analysis.base.errors import ConfigError, Problem
from analysis.base.paths import DEFAULT_CONFIG

#: Values of ``themes.method``: auto chooses by grouped cross-validation on the train split.
THEME_METHODS = ("auto", "lexicon", "model", "combined")
#: The languages the reports are written in (the message catalogue has every text in each).
REPORT_LANGUAGES = ("da", "en")

#: Settings that take "auto" or a whole number.
AUTO_OR_NUMBER = ("clusters.n_clusters", "clusters.n_topics")

#: Every setting the project knows, with its default. The YAML file may override any of them;
#: a key that is not here is an error (a typo would otherwise be ignored silently).
DEFAULTS: dict[str, Any] = {
    "seed": 20261122,
    "corpus": {
        "max_document_mb": 50.0,  # a document file larger than this is refused (split it, or raise this)
        "max_segment_chars": 5000,  # a longer paragraph is cut at sentence ends into numbered parts
    },
    "nlp": {
        "model": "blank",  # "blank" = spacy.blank("da") + lookup lemmas; or an installed pipeline
        "batch_size": 256,
        "n_process": 1,
        "extra_stop_words": [],
        "drop_place_names": True,  # municipality names out of content lemmas (keyness, clusters)
    },
    "themes": {
        "codebook": "codebook.yaml",
        "method": "auto",  # auto | lexicon | model | combined
        "dev_set": "corpus/dev",  # the development set (train and locked test split), relative to the project
        "lexicon_threshold": 0.5,
        "cv_folds": 5,  # grouped by municipality
        "C": 4.0,  # inverse regularisation of the models' logistic regressions
        # The development set over-samples hard cases by design; in training, its segments are
        # weighted so that each kind has this share (what municipal text looks like), and the
        # corpus's own hand-coded segments (the text being measured) count this many times.
        "kind_shares": {"clear": 0.5, "paraphrase": 0.15, "trap": 0.15, "procedural": 0.15, "list": 0.05},
        "corpus_weight": 3.0,
        "indicative_below": 0.8,  # a theme whose F1 on the locked test is below this is "indicative only"
    },
    "clusters": {
        "n_clusters": "auto",  # or a whole number
        "k_min": 3,
        "k_max": 10,
        "n_topics": "auto",
        "stability_seeds": 5,
        "top_terms": 10,
        "min_df": 2,
        "sample_size": 5000,  # on a larger corpus, k, clusters and topics are fitted on a seeded sample of this many segments
    },
    "compare": {
        "n_bootstrap": 1000,
        "confidence": 0.95,
        "doc_types": [],  # empty = every document type
        "keyness_min_freq": 3,
        "keyness_top": 20,
    },
    "engine": {
        "scheduler": "",  # a Dask scheduler's address (tcp://host:8786) to run the per-document stages on
        "workers": 0,  # or a local Dask cluster of this many worker processes; 0 and "" = this machine's cores
    },
    "reports": {
        "timeout_per_cell": 600,
        "max_html_mb": 5.0,
        "language": "da",  # da | en: the language of every report (report --language overrides it)
    },
}


def _check(value: Any, default: Any, where: str, path: str, problems: list[Problem]) -> Any:
    if isinstance(default, dict):
        if not isinstance(value, dict):
            problems.append(Problem(path, f"'{where}' must be a mapping of settings", fix="see config.yaml"))
            return default
        merged = copy.deepcopy(default)
        for key, sub in value.items():
            if key not in default:
                known = ", ".join(sorted(default))
                problems.append(Problem(path, f"unknown setting '{where}.{key}'".replace("'.", "'"),
                                        fix=f"known settings here: {known}"))
                continue
            merged[key] = _check(sub, default[key], f"{where}.{key}" if where else key, path, problems)
        return merged
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif isinstance(default, list):
        ok = isinstance(value, list)
    elif where in AUTO_OR_NUMBER:
        ok = value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value > 0)
    else:
        ok = isinstance(value, str)
    if not ok:
        kind = "'auto' or a whole number" if where in AUTO_OR_NUMBER else type(default).__name__
        problems.append(Problem(path, f"setting '{where}' is {value!r}, expected {kind}",
                                fix=f"the default is {default!r}"))
        return default
    return value


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Load settings from YAML on top of :data:`DEFAULTS`.

    Parameters
    ----------
    path : str or Path, optional
        The YAML file. ``None`` uses the project's ``config.yaml`` when it exists, else defaults.

    Returns
    -------
    dict
        The merged, validated settings.

    Raises
    ------
    ConfigError
        When the file is missing, is not YAML, or has an unknown or mistyped setting.
    """
    if path is None:
        if not DEFAULT_CONFIG.exists():
            return copy.deepcopy(DEFAULTS)
        path = DEFAULT_CONFIG
    path = Path(path)
    if not path.is_file():
        raise ConfigError(Problem(str(path), "config file not found", fix="pass an existing file to --config"))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError(Problem(str(path), f"not valid YAML ({getattr(exc, 'problem', exc)})", line=line,
                                  fix="check indentation and quoting")) from None
    problems: list[Problem] = []
    cfg = _check(raw, DEFAULTS, "", str(path), problems)
    if cfg["themes"]["method"] not in THEME_METHODS:
        problems.append(Problem(str(path), f"setting 'themes.method' is {cfg['themes']['method']!r}",
                                fix="use " + ", ".join(THEME_METHODS[:-1]) + " or " + THEME_METHODS[-1]))
    if cfg["reports"]["language"] not in REPORT_LANGUAGES:
        problems.append(Problem(str(path), f"setting 'reports.language' is {cfg['reports']['language']!r}",
                                fix="use " + " or ".join(REPORT_LANGUAGES) + " (Danish or English reports)"))
    from analysis.base.danish import DOC_TYPES  # here, not at the top: reading settings stays light

    unknown = [t for t in cfg["compare"]["doc_types"] if t not in DOC_TYPES]
    if unknown:
        problems.append(Problem(str(path), f"setting 'compare.doc_types' has unknown document type(s) "
                                f"{', '.join(map(repr, unknown))}", fix="use [] for all, or some of "
                                + ", ".join(DOC_TYPES)))
    if not 0 < cfg["compare"]["confidence"] < 1:
        problems.append(Problem(str(path), f"setting 'compare.confidence' is {cfg['compare']['confidence']!r}",
                                fix="give a level between 0 and 1, such as 0.95"))
    if cfg["compare"]["n_bootstrap"] < 1:
        problems.append(Problem(str(path), f"setting 'compare.n_bootstrap' is {cfg['compare']['n_bootstrap']!r}",
                                fix="give a whole number of replicates, such as 1000"))
    if problems:
        raise ConfigError(problems)
    cfg["_path"] = str(path)
    return cfg


def fingerprint(obj: Any) -> str:
    """Return a short stable hash of any JSON-serialisable settings (for cache keys)."""
    clean = {k: v for k, v in obj.items() if not str(k).startswith("_")} if isinstance(obj, dict) else obj
    blob = json.dumps(clean, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
