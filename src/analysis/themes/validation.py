"""Agreement figures, and grouped cross-validation of the theme methods against the hand coding
(read by :mod:`analysis.themes.annotations`).

Cross-validation is grouped by document: no document is in both the training and the test part
of a fold, so the figures say how a method does on documents it has never seen.

Usage::

    from analysis.themes.validation import agreement
    table = agreement(y_true, y_pred, keys, core=["bolig", ...])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GroupKFold

from analysis.base.cache import hash_frame
from analysis.themes.classify import LexiconClassifier, ThemeModel
from analysis.themes.devset import check_locked

MIN_ANNOTATED = 20  # fewer annotated segments than this: no classifier, lexicon only
#: The split of the validation table measured on the corpus's own random sample (see
#: :mod:`analysis.coding`), and the coded paragraphs of it before the reports judge the method by
#: it (below it they say that it is missing and how to start it).
OWN_SPLIT = "corpus sample"
MIN_OWN = 50
METRICS = ["precision", "recall", "f1", "kappa", "support", "predicted", "n_segments"]


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


# --------------------------------------------------------------------------- methods and evaluation

METHODS = ("lexicon", "model", "combined")

#: Sources of labelled text written by the hand that wrote the training text's voice: figures on
#: them are synthetic. Every other source (the corpus's own hand coding) is real text.
SYNTHETIC_SOURCES = ("development set",)
#: What text a figure comes from (the ``text`` column of the validation table).
REAL, SYNTHETIC, MIXED = "real", "synthetic", "mixed"


def judged_sources(sources: list[str]) -> list[str]:
    """The sources the method is chosen on: the real-text ones (text written by others than the
    hand that wrote the development set); none when all are synthetic."""
    return [s for s in sources if s not in SYNTHETIC_SOURCES]


def text_of(split: str, method: str, sources: list[str]) -> str:
    """Whether a row of the validation table is measured on real, synthetic or mixed text."""
    if split == "intercoder":
        return SYNTHETIC if any(s in method for s in SYNTHETIC_SOURCES) else REAL
    if split == "test" or split.startswith("cv train: "):
        source = "development set" if split == "test" else split[len("cv train: "):]
        return SYNTHETIC if source in SYNTHETIC_SOURCES else REAL
    if split.startswith("cv register: "):
        return REAL if split == "cv register: corpus" else SYNTHETIC
    kinds = {SYNTHETIC if s in SYNTHETIC_SOURCES else REAL for s in sources}
    return kinds.pop() if len(kinds) == 1 else MIXED


def make_methods(keys: list[str], cfg: dict) -> dict:
    """The three methods with the project's settings (unfitted)."""
    t = cfg["themes"]
    common = {"themes": keys, "C": t["C"], "cv_folds": t["cv_folds"], "random_state": cfg["seed"]}
    return {
        "lexicon": LexiconClassifier(themes=keys, threshold=t["lexicon_threshold"], tune=True, keep_clear=True),
        "model": ThemeModel(use_lexicon=False, **common),  # the text alone: what the lexicon adds is measured
        "combined": ThemeModel(use_lexicon=True, keep_clear=True, **common),
    }


def grouped_folds(groups: np.ndarray, n_folds: int) -> np.ndarray:
    """Fold number of each row, grouping by ``groups`` (municipality; deterministic)."""
    n_splits = min(n_folds, len(np.unique(groups)))
    folds = np.full(len(groups), -1)
    for fold, (_, test) in enumerate(GroupKFold(n_splits=n_splits).split(np.zeros(len(groups)), groups=groups)):
        folds[test] = fold
    return folds


@dataclass
class Labelled:
    """Hand-coded segments ready for the theme methods.

    Attributes
    ----------
    X : DataFrame
        Features (section, lemmas, n_tokens and the lexicon's score_/evidence_/passing_/struct_ columns).
    Y : ndarray
        0/1 codes, one column per theme.
    groups : ndarray
        Municipality of each row (cross-validation never splits one).
    traps : ndarray
        0/1, the themes a segment names only in passing (known for the development set).
    fingerprints : ndarray
        Fingerprints of the segments' text (to keep the locked test out of training).
    weights : ndarray
        Sample weights (see ``themes.kind_weights`` and ``themes.corpus_weight``).
    source : ndarray
        "development set" or "corpus": where each row comes from.
    registers : ndarray
        The kind of text of each row (policy, minutes, news, ...; "corpus" for the corpus's own
        coding): cross-validation also leaves one register out.
    """

    X: pd.DataFrame
    Y: np.ndarray
    groups: np.ndarray
    traps: np.ndarray
    fingerprints: np.ndarray
    weights: np.ndarray
    source: np.ndarray
    registers: np.ndarray | None = None

    def __post_init__(self):
        if self.registers is None:
            self.registers = np.full(len(self.Y), "other", dtype=object)

    def __len__(self) -> int:
        return len(self.Y)

    def subset(self, mask: np.ndarray) -> "Labelled":
        return Labelled(self.X[mask].reset_index(drop=True), self.Y[mask], self.groups[mask], self.traps[mask],
                        self.fingerprints[mask], self.weights[mask], self.source[mask], self.registers[mask])

    @staticmethod
    def concat(parts: list["Labelled"]) -> "Labelled":
        return Labelled(pd.concat([p.X for p in parts], ignore_index=True),
                        *(np.concatenate([getattr(p, f) for p in parts])
                          for f in ("Y", "groups", "traps", "fingerprints", "weights", "source", "registers")))


@dataclass
class CrossValidation:
    """Pooled out-of-fold predictions and probabilities of every method, and their agreement."""

    table: pd.DataFrame
    predictions: dict[str, np.ndarray]
    probabilities: dict[str, np.ndarray]
    folds: np.ndarray
    chosen: str


def _cv_rows(Y, predictions, keys, core, split, n_groups, n_folds) -> pd.DataFrame:
    table = pd.concat([agreement(Y, predictions[m], keys, core, method=m) for m in predictions], ignore_index=True)
    table.insert(2, "split", split)
    table.insert(3, "n_groups", n_groups)
    table.insert(4, "n_folds", n_folds)
    return table


def _out_of_fold(methods: dict, data: Labelled, X: pd.DataFrame, folds: np.ndarray) -> tuple[dict, dict]:
    """Out-of-fold predictions and probabilities of each method (fitted without the fold)."""
    Y, groups = data.Y, data.groups
    predictions, probabilities = {}, {}
    for name, method in methods.items():
        pred, proba = np.zeros_like(Y), np.zeros(Y.shape, dtype=float)
        for fold in np.unique(folds):
            train, test = folds != fold, folds == fold
            model = clone(method).fit(X[train], Y[train], groups=groups[train], sample_weight=data.weights[train])
            proba[test], pred[test] = model.predict_both(X[test])
        predictions[name], probabilities[name] = pred, proba
    return predictions, probabilities


def register_rows(data: Labelled, X: pd.DataFrame, methods: dict, keys: list[str], core: list[str]) -> list:
    """Cross-validation leaving one register (kind of text) out: each register is scored by fits
    that saw none of it (``cv register``, pooled, and ``cv register: <register>``). It says how a
    method reads a kind of text it was not fitted on; nothing is chosen by it. Empty with fewer
    than two registers."""
    registers = data.registers.astype(str)
    names = sorted(set(registers))
    if len(names) < 2:
        return []
    folds = np.array([names.index(r) for r in registers])
    predictions, _ = _out_of_fold(methods, data, X, folds)
    return [_cv_rows(data.Y, predictions, keys, core, "cv register", len(names), len(names)),
            *_rows_by_part(data, predictions, registers, "cv register", len(names), keys, core, order=names)]


def _rows_by_part(data: Labelled, predictions: dict, labels: np.ndarray, split: str, n_folds: int,
                  keys: list[str], core: list[str], order=None) -> list:
    """The pooled out-of-fold predictions scored on each part of the rows apart (``<split>: <label>``),
    the parts in ``order`` (default: as they first occur)."""
    rows = []
    for label in order if order is not None else dict.fromkeys(labels):
        part = labels == label
        rows.append(_cv_rows(data.Y[part], {m: p[part] for m, p in predictions.items()}, keys, core,
                             f"{split}: {label}", len(np.unique(data.groups[part])), n_folds))
    return rows


def cross_validate(data: Labelled, keys: list[str], core: list[str], cfg: dict,
                   methods: tuple[str, ...] = METHODS, also: dict[str, float] | None = None) -> CrossValidation:
    """Cross-validation grouped by municipality of every method, on the whole train pool and on
    each of its sources apart (``cv train: development set``, ``cv train: corpus``), and leaving
    one register out (:func:`register_rows`).

    The best method has the highest macro F1 over all themes on real text: out of fold on the
    corpus's own hand coding (grouped by municipality, so never scored by a fit that saw it),
    averaged over the real-text sources when there are several (:func:`judged_sources`). Ties go
    to the simpler method, in the order of :data:`METHODS`, so a fitted method that does not beat
    the lexicon on real text is not chosen. Without any real text the lexicon is used: a
    cross-validation on the synthetic development set rewards a model that learns its voice,
    and says nothing of how it reads other text. ``also`` (method -> macro F1 over all themes)
    adds a real-text source scored outside the train pool, such as the check set's tuning half
    (never its locked half), as one more source in the average. ``themes.method`` in the config
    overrides the choice.
    """
    X, Y, groups = data.X.reset_index(drop=True), data.Y, data.groups
    folds = grouped_folds(groups, cfg["themes"]["cv_folds"])
    chosen_methods = {n: m for n, m in make_methods(keys, cfg).items() if n in methods}
    predictions, probabilities = _out_of_fold(chosen_methods, data, X, folds)
    n_folds = len(np.unique(folds))
    tables = [_cv_rows(Y, predictions, keys, core, "cv train", len(np.unique(groups)), n_folds)]
    sources = list(dict.fromkeys(data.source))
    if len(sources) > 1:
        tables += _rows_by_part(data, predictions, data.source, "cv train", n_folds, keys, core)
    tables += register_rows(data, X, chosen_methods, keys, core)
    table = pd.concat(tables, ignore_index=True)
    real = judged_sources(sources)
    judged = {f"cv train: {s}" for s in real} if len(sources) > 1 else {"cv train"}
    macro = table[(table["theme"] == "macro_all") & table["split"].isin(judged)]
    # one column per real-text source (out of fold), and the check set's tuning half when recorded
    per_source = [macro.pivot_table(index="method", columns="split", values="f1")] if real else []
    if also:
        per_source.append(pd.Series(also, name="check set: tuning").to_frame())
    f1 = pd.concat(per_source, axis=1).mean(axis=1) if per_source else pd.Series(dtype=float)
    if all(m in f1.index and f1[m] == f1[m] for m in predictions):  # every method has a real-text figure
        best = max(predictions, key=lambda m: (round(float(f1[m]), 4), -METHODS.index(m)))
    else:
        best = "lexicon" if "lexicon" in predictions else next(iter(predictions))
    chosen = best if cfg["themes"]["method"] == "auto" else cfg["themes"]["method"]
    table["chosen"] = (table["method"] == chosen).astype(int)
    return CrossValidation(table, predictions, probabilities, folds, chosen)


def bootstrap_f1(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, keys: list[str], core: list[str],
                 n: int, confidence: float, seed: int) -> pd.DataFrame:
    """Percentile intervals of each theme's F1 and the macro averages, resampling whole groups
    (municipalities), since segments of one municipality are not independent."""
    rng = np.random.default_rng(seed)
    names = np.unique(groups)
    index = [np.flatnonzero(groups == g) for g in names]
    stats = np.zeros((n, len(keys) + 2))
    core_idx = [keys.index(k) for k in core]
    for b in range(n):
        rows = np.concatenate([index[i] for i in rng.integers(0, len(names), len(names))])
        t, p = y_true[rows], y_pred[rows]
        tp = (t & p).sum(axis=0)
        denom = t.sum(axis=0) + p.sum(axis=0)
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
        stats[b, :len(keys)] = f1
        stats[b, len(keys)] = f1[core_idx].mean()
        stats[b, len(keys) + 1] = f1.mean()
    alpha = (1 - confidence) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha], axis=0)
    return pd.DataFrame({"theme": [*keys, "macro_core", "macro_all"], "f1_low": np.round(low, 4),
                         "f1_high": np.round(high, 4)})


def measurement_checks(y_true: np.ndarray, y_pred: np.ndarray, traps: np.ndarray | None, method: str,
                       split: str) -> pd.DataFrame:
    """The targets beyond F1: share of no-theme segments left uncoded, share of passing-mention
    traps coded."""
    none = y_true.sum(axis=1) == 0
    rows = [{"method": method, "split": split, "check": "no-theme segments left uncoded",
             "value": float((y_pred[none].sum(axis=1) == 0).mean()) if none.any() else np.nan, "n": int(none.sum())}]
    if traps is not None:
        n = int(traps.sum())
        rows.append({"method": method, "split": split, "check": "passing-mention traps coded",
                     "value": float((y_pred[traps == 1]).mean()) if n else np.nan, "n": n})
    out = pd.DataFrame(rows)
    out["value"] = out["value"].round(4)
    return out


def reliability(y_true: np.ndarray, proba: np.ndarray, keys: list[str], method: str, split: str,
                bins: int = 10) -> pd.DataFrame:
    """Reliability of the probabilities: per bin of predicted probability (all themes pooled and
    per theme), the mean prediction and the observed share."""
    rows = []
    edges = np.linspace(0, 1, bins + 1)
    for theme, t, p in [("all", y_true.ravel(), proba.ravel())] + [(k, y_true[:, j], proba[:, j])
                                                                     for j, k in enumerate(keys)]:
        which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
        for b in range(bins):
            sel = which == b
            if sel.any():
                rows.append({"method": method, "split": split, "theme": theme, "bin_low": edges[b],
                             "bin_high": edges[b + 1], "mean_predicted": round(float(p[sel].mean()), 4),
                             "observed": round(float(t[sel].mean()), 4), "n": int(sel.sum())})
    return pd.DataFrame(rows)


@dataclass
class Evaluation:
    """What :func:`evaluate` found: the figures, the chosen method, and that method fitted on
    the whole train pool (ready to measure the corpus)."""

    table: pd.DataFrame
    checks: pd.DataFrame
    calibration: pd.DataFrame
    chosen: str
    model: object
    #: The chosen method's out-of-fold codes of every train-pool row, by its text's fingerprint
    #: (the corpus's own coded sample is scored by them: no paragraph by a fit that saw it).
    out_of_fold: dict[str, np.ndarray] | None = None


def evaluate(train: Labelled, test: Labelled | None, keys: list[str], core: list[str], cfg: dict,
             also: dict[str, float] | None = None) -> Evaluation:
    """Cross-validate every method on the train pool, fit the chosen one on all of it and score
    it once on the locked test split (which must share no segment with the train pool).
    """
    if test is not None:
        check_locked(train.fingerprints, test.fingerprints)
    cv = cross_validate(train, keys, core, cfg, also=also)
    model = clone(make_methods(keys, cfg)[cv.chosen]).fit(train.X.reset_index(drop=True), train.Y,
                                                          groups=train.groups, sample_weight=train.weights)
    tables = [cv.table]
    checks = [measurement_checks(train.Y, cv.predictions[m], train.traps, m, "cv train") for m in cv.predictions]
    sources = list(dict.fromkeys(train.source))
    if len(sources) > 1:  # the no-theme check on each source apart: real text has its own
        for source in sources:
            part = train.source == source
            checks += [measurement_checks(train.Y[part], cv.predictions[m][part], train.traps[part], m,
                                          f"cv train: {source}") for m in cv.predictions]
    calibration = [reliability(train.Y, cv.probabilities[cv.chosen], keys, cv.chosen, "cv train")]
    if test is not None:
        tX = test.X.reset_index(drop=True)
        proba, pred = model.predict_both(tX)
        scored = agreement(test.Y, pred, keys, core, method=cv.chosen)
        c = cfg["compare"]
        scored = scored.merge(bootstrap_f1(test.Y, pred, test.groups, keys, core, c["n_bootstrap"], c["confidence"],
                                           cfg["seed"]), on="theme", how="left")
        scored.insert(2, "split", "test")
        scored.insert(3, "n_groups", len(np.unique(test.groups)))
        scored.insert(4, "n_folds", 0)
        scored["chosen"] = 1
        tables.append(scored)
        checks.append(measurement_checks(test.Y, pred, test.traps, cv.chosen, "test"))
        calibration.append(reliability(test.Y, proba, keys, cv.chosen, "test"))
    table = pd.concat(tables, ignore_index=True)
    table["text"] = [text_of(s, m, sources) for s, m in zip(table["split"], table["method"])]
    if "f1_low" not in table:
        table["f1_low"] = table["f1_high"] = np.nan
    # The method in use on each real-text source, out of fold: with an interval (whole
    # municipalities resampled), as the reports judge it by this figure.
    c = cfg["compare"]
    for source in (s for s in sources if s not in SYNTHETIC_SOURCES):
        part = train.source == source
        split = f"cv train: {source}" if len(sources) > 1 else "cv train"
        drawn = bootstrap_f1(train.Y[part], cv.predictions[cv.chosen][part], train.groups[part], keys, core,
                             c["n_bootstrap"], c["confidence"], cfg["seed"]).set_index("theme")
        rows = (table["split"] == split) & (table["method"] == cv.chosen)
        for column in ("f1_low", "f1_high"):
            table.loc[rows, column] = table.loc[rows, "theme"].map(drawn[column]).to_numpy()
    thresholds = getattr(model, "thresholds_", None)
    if thresholds is not None:
        by_theme = dict(zip(keys, np.round(thresholds, 4)))
        table["threshold"] = [by_theme.get(t, np.nan) if m == cv.chosen and s in ("cv train", "test") else np.nan
                              for m, t, s in zip(table["method"], table["theme"], table["split"])]
    oof = {str(f): p for f, p in zip(train.fingerprints, cv.predictions[cv.chosen])}
    return Evaluation(table, pd.concat(checks, ignore_index=True), pd.concat(calibration, ignore_index=True),
                      cv.chosen, model, oof)


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


def training_key(train: Labelled, test: Labelled | None, codebook_fp: str, cfg: dict,
                 also: dict[str, float] | None = None) -> str:
    """Hash of everything an evaluation depends on: data, labels, groups, weights, codebook,
    settings, and the figures of any further real-text source it chooses by."""
    h = hashlib.sha256()
    h.update(codebook_fp.encode())
    h.update(repr(sorted((also or {}).items())).encode())
    # Where the files are and how reports flag themes do not change a fitted method; the data are hashed.
    settings = {k: v for k, v in cfg["themes"].items() if k not in ("dev_set", "codebook", "indicative_below")}
    h.update(repr(sorted(settings.items())).encode())
    h.update(repr(sorted(cfg["compare"].items())).encode())
    h.update(str(cfg["seed"]).encode())
    for part in (train, test):
        if part is None:
            h.update(b"-")
            continue
        h.update(hash_frame(part.X).encode())
        for array in (part.Y, part.traps, part.weights):
            h.update(np.ascontiguousarray(array).tobytes())
        for array in (part.groups, part.fingerprints, part.source, part.registers):
            h.update("|".join(map(str, array)).encode())
    return h.hexdigest()[:20]


def summary_text(table: pd.DataFrame, checks: pd.DataFrame | None, stats: dict) -> str:
    """The validation figures as plain text (what ``python -m analysis validate`` prints)."""
    lines = []
    parts = table[table["split"].str.startswith("cv train: ")]
    cv = table[table["split"] == "cv train"]
    n_folds, n_groups = int(cv["n_folds"].max()), int(cv["n_groups"].max())
    lines.append(f"train pool: {int(cv['n_segments'].max())} hand-coded segments from {n_groups} municipalities "
                 f"({stats.get('n_dev_train', 0)} from the development set's train split, "
                 f"{stats.get('n_annotated', 0)} from the corpus); {n_folds}-fold cross-validation grouped by "
                 "municipality")
    wide = cv.pivot_table(index="theme", columns="method", values="f1", sort=False)
    pool = cv["text"].iat[0] if "text" in cv else MIXED
    lines.append(f"\nF1 by method, cross-validated on the train pool ({pool} text):")
    lines.append(wide.to_string(float_format=lambda v: f"{v:.2f}"))
    for split, part in parts.groupby("split", sort=False):
        kind = part["text"].iat[0] if "text" in part else ""
        lines.append(f"\n{split} ({int(part['n_segments'].max())} segments, {kind} text, out of fold):")
        lines.append(part.pivot_table(index="theme", columns="method", values="f1", sort=False)
                     .loc[["macro_core", "macro_all"]].to_string(float_format=lambda v: f"{v:.2f}"))
    by_register = table[table["split"].str.startswith("cv register: ")]
    if len(by_register):
        macro = by_register[by_register["theme"] == "macro_all"].copy()
        macro["register"] = macro["split"].str[len("cv register: "):] + " (" + macro["n_segments"].astype(str) + ")"
        lines.append("\nleaving one register out (macro F1 over all themes of each register, scored by fits that saw "
                     "none of its kind of text; 'corpus' = the corpus's own coding, real text):")
        lines.append(macro.pivot_table(index="register", columns="method", values="f1", sort=False)
                     .to_string(float_format=lambda v: f"{v:.2f}"))
    chosen = cv.loc[cv["chosen"] == 1, "method"].iat[0]
    real = sorted({sp[len("cv train: "):] for sp, kind in zip(parts["split"], parts.get("text", []))
                   if kind == REAL})
    if not len(parts) and pool == REAL:  # one source, and it is real text: the corpus's own coding
        real = ["the corpus's own hand coding (out of fold)"]
    if (table["split"] == "check set: tuning").any():
        real.append("the check set's tuning half")
    if real:
        why = f"best macro F1 over all themes on real text: {', '.join(real)}"
    else:
        why = ("no real text to choose by, so the lexicon: the synthetic development set rewards a model that "
               "learns its voice")
    lines.append(f"\nin use: {chosen} ({why}; or as set in the config)")
    halves = (("check set", "locked half, real text ({n} paragraphs from {pages} public Danish pages, coded blind, "
               "never fitted, tuned or read; the recorded figures of this fit)", None),
              ("check set: tuning", "tuning half, real text ({n} paragraphs from {pages} pages; read while the "
               "codebook was grown, so in-sample for the lexicon; one of the sources the method is chosen by)",
               ["macro_core", "macro_all"]))
    for split, title, rows in halves:
        half = table[table["split"] == split]
        if len(half):
            lines.append("\ncheck set, " + title.format(n=int(half["n_segments"].max()),
                                                        pages=int(half["n_groups"].max())) + ":")
            wide = half.pivot_table(index="theme", columns="method", values="f1", sort=False)
            lines.append((wide.loc[rows] if rows else wide).to_string(float_format=lambda v: f"{v:.2f}"))
    test = table[table["split"] == "test"]
    if len(test):
        lines.append(f"\nlocked test split, synthetic development text ({int(test['n_segments'].max())} segments "
                     f"from {int(test['n_groups'].max())} municipalities never used in fitting or tuning; written in "
                     f"the training text's voice, so it says little of other text), {chosen}:")
        show = test[["theme", "precision", "recall", "f1", "f1_low", "f1_high", "kappa", "support"]]
        lines.append(show.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    else:
        lines.append("\nno locked test split: the figures above are all there is")
    if checks is not None and len(checks):
        lines.append("\npassing mentions and no-theme text:")
        lines.append(checks[checks["n"] > 0].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    inter = table[table["split"] == "intercoder"]
    if len(inter):
        lines.append("\nagreement of the two coders (F1 of B against A, Cohen's kappa):")
        lines.append(inter[["method", "theme", "f1", "kappa"]].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return "\n".join(lines)
