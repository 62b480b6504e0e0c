"""Hand-coded annotations, agreement figures, and grouped cross-validation of the theme methods.

Annotations live in ``<corpus>/annotations.csv``: ``segment_id``, ``fingerprint`` (of the
segment's words, so annotations survive re-segmentation), one 0/1 column per theme, ``coder``
and ``note``. They are matched to the current segments by fingerprint.

Cross-validation is grouped by document: no document is in both the training and the test part
of a fold, so the figures say how a method does on documents it has never seen.

Usage::

    from analysis.validation import load_annotations, agreement
    table = agreement(y_true, y_pred, keys, core=["bolig", ...])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GroupKFold

from analysis.cache import hash_frame
from analysis.classify import LexiconClassifier, ThemeClassifier
from analysis.errors import InputError, Problem

MIN_ANNOTATED = 20  # fewer annotated segments than this: no classifier, lexicon only
METRICS = ["precision", "recall", "f1", "kappa", "support", "predicted", "n_segments"]


# --------------------------------------------------------------------------- annotations


def load_annotations(path: Path, keys: list[str], label: str | None = None) -> pd.DataFrame:
    """Read and check an annotations file.

    Raises
    ------
    InputError
        Naming the file and line for missing columns, values other than 0/1 and duplicates.
    """
    label = label or str(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(Problem(label, f"not a valid CSV ({str(exc).splitlines()[0]})",
                                 fix="save it as UTF-8 CSV")) from None
    missing = [c for c in ["segment_id", "fingerprint", *keys] if c not in table.columns]
    if missing:
        raise InputError(Problem(label, f"missing column(s) {', '.join(missing)}", line=1,
                                 fix="the header needs segment_id, fingerprint and one column per theme"))
    problems = []
    for i, row in enumerate(table.itertuples(index=False), start=2):
        bad = [k for k in keys if getattr(row, k) not in ("0", "1")]
        if bad:
            problems.append(Problem(label, f"theme column(s) {', '.join(bad)} not 0 or 1", line=i,
                                    fix="code every theme as 0 or 1"))
    # The same text may stand in several documents (a repeated footer, a repeated list of plans): it
    # is coded once and its codes apply wherever it stands; two rows that code it differently clash.
    first_line: dict[str, int] = {}
    for i, row in enumerate(table.itertuples(index=False), start=2):
        if row.fingerprint in first_line:
            j = first_line[row.fingerprint]
            if any(getattr(row, k) != table[k].iat[j - 2] for k in keys):
                problems.append(Problem(label, f"segment {row.segment_id} has the same text as line {j} "
                                        "but other codes", line=i, fix="code the same text alike"))
        else:
            first_line[row.fingerprint] = i
    if problems:
        raise InputError(problems)
    table = table.drop_duplicates("fingerprint", keep="first").reset_index(drop=True)
    for k in keys:
        table[k] = table[k].astype(int)
    return table


def match_annotations(annotations: pd.DataFrame, segments: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Join annotations to the current segments by fingerprint; return them and the unmatched count."""
    current = segments[["segment_id", "doc_id", "fingerprint"]]
    joined = current.merge(annotations.drop(columns=["segment_id"]), on="fingerprint", how="inner")
    unmatched = int((~annotations["fingerprint"].isin(current["fingerprint"])).sum())
    return joined, unmatched


# --------------------------------------------------------------------------- agreement


def _theme_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    tp = int(((y_true == 1) & (y_pred == 1)).sum())
    fp = int(((y_true == 0) & (y_pred == 1)).sum())
    fn = int(((y_true == 1) & (y_pred == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if len(np.unique(np.concatenate([y_true, y_pred]))) < 2:
        kappa = 1.0  # both raters gave one and the same code throughout: full agreement
    else:
        kappa = float(cohen_kappa_score(y_true, y_pred))
    return {"precision": precision, "recall": recall, "f1": f1, "kappa": kappa, "support": int(y_true.sum()),
            "predicted": int(y_pred.sum()), "n_segments": len(y_true)}


def agreement(y_true, y_pred, keys: list[str], core: list[str], method: str = "") -> pd.DataFrame:
    """Precision, recall, F1, Cohen's kappa and support per theme, with macro averages.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_segments, n_themes)
        0/1 codes: the reference (hand coding) and the method's.
    keys : list of str
        Theme keys, in column order.
    core : list of str
        The core themes, averaged separately as ``macro_core``.

    Returns
    -------
    DataFrame
        One row per theme, then ``macro_core`` and ``macro_all`` (unweighted means of the
        per-theme precision, recall, F1 and kappa; support summed).
    """
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    rows = [{"method": method, "theme": k, **_theme_metrics(y_true[:, j], y_pred[:, j])} for j, k in enumerate(keys)]
    table = pd.DataFrame(rows)
    for name, subset in (("macro_core", core), ("macro_all", keys)):
        part = table[table["theme"].isin(subset)]
        macro = {"method": method, "theme": name}
        for metric in ("precision", "recall", "f1", "kappa"):
            macro[metric] = float(part[metric].mean())
        for metric in ("support", "predicted"):
            macro[metric] = int(part[metric].sum())
        macro["n_segments"] = len(y_true)
        rows.append(macro)
    out = pd.DataFrame(rows)[["method", "theme", *METRICS]]
    for metric in ("precision", "recall", "f1", "kappa"):
        out[metric] = out[metric].round(4)
    return out


# --------------------------------------------------------------------------- cross-validation


@dataclass
class CrossValidation:
    """Pooled out-of-fold predictions of both methods and their agreement with the hand coding."""

    table: pd.DataFrame
    predictions: dict[str, np.ndarray]
    folds: np.ndarray
    chosen: str


def make_methods(keys: list[str], cfg: dict) -> dict:
    """The two methods with the project's settings (unfitted)."""
    t = cfg["themes"]
    return {
        "lexicon": LexiconClassifier(themes=keys, threshold=t["lexicon_threshold"], tune=False),
        "classifier": ThemeClassifier(themes=keys, threshold=t["classifier_threshold"], random_state=cfg["seed"]),
    }


def grouped_folds(groups: np.ndarray, n_folds: int) -> np.ndarray:
    """Fold number of each row, grouping by document (deterministic)."""
    n_splits = min(n_folds, len(np.unique(groups)))
    folds = np.full(len(groups), -1)
    for fold, (_, test) in enumerate(GroupKFold(n_splits=n_splits).split(np.zeros(len(groups)), groups=groups)):
        folds[test] = fold
    return folds


def cross_validate(X: pd.DataFrame, Y: np.ndarray, groups: np.ndarray, keys: list[str], core: list[str],
                   cfg: dict) -> CrossValidation:
    """Grouped cross-validation of the lexicon and the classifier; choose the better by core macro F1.

    ``themes.method`` in the config overrides the choice (``lexicon`` or ``classifier``).
    """
    folds = grouped_folds(groups, cfg["themes"]["cv_folds"])
    predictions = {}
    for name, method in make_methods(keys, cfg).items():
        pred = np.zeros_like(Y)
        for fold in np.unique(folds):
            train, test = folds != fold, folds == fold
            model = method.__class__(**method.get_params()).fit(X[train], Y[train])
            pred[test] = model.predict(X[test])
        predictions[name] = pred
    table = pd.concat([agreement(Y, predictions[m], keys, core, method=m) for m in predictions], ignore_index=True)
    table.insert(2, "n_documents", len(np.unique(groups)))
    table.insert(3, "n_folds", len(np.unique(folds)))
    f1 = table[table["theme"] == "macro_core"].set_index("method")["f1"]
    best = "classifier" if f1.get("classifier", -1) > f1.get("lexicon", -1) else "lexicon"
    chosen = best if cfg["themes"]["method"] == "auto" else cfg["themes"]["method"]
    table["chosen"] = (table["method"] == chosen).astype(int)
    return CrossValidation(table, predictions, folds, chosen)


def intercoder_table(double: pd.DataFrame, keys: list[str], core: list[str]) -> pd.DataFrame | None:
    """Agreement between two independent coders (long table: fingerprint, coder, themes)."""
    coders = sorted(double["coder"].unique())
    if len(coders) < 2:
        return None
    a = double[double["coder"] == coders[0]].set_index("fingerprint")[keys]
    b = double[double["coder"] == coders[1]].set_index("fingerprint")[keys]
    both = a.merge(b, left_index=True, right_index=True, suffixes=("_a", "_b"))
    table = agreement(both[[f"{k}_a" for k in keys]].to_numpy(), both[[f"{k}_b" for k in keys]].to_numpy(),
                      keys, core, method=f"intercoder ({coders[0]} vs {coders[1]})")
    return table


# --------------------------------------------------------------------------- model cache key


def training_key(X: pd.DataFrame, Y: np.ndarray, groups: np.ndarray, codebook_fp: str, cfg: dict) -> str:
    """Hash of everything a trained model depends on: data, labels, codebook, settings."""
    h = hashlib.sha256()
    h.update(codebook_fp.encode())
    h.update(repr(sorted(cfg["themes"].items())).encode())
    h.update(str(cfg["seed"]).encode())
    h.update(hash_frame(X).encode())
    h.update(np.ascontiguousarray(Y).tobytes())
    h.update("|".join(map(str, groups)).encode())
    return h.hexdigest()[:20]
