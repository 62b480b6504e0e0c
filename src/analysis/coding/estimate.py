"""Estimates from the corpus's own coded sample: the method's precision, recall and F1 weighted
by the inverse inclusion probability (so they hold for the corpus, not for the sample), with
intervals; confusion tables; and theme shares corrected for the measured error.

Usage::

    from analysis.coding.estimate import weighted_scores, corrected_shares
    scores = weighted_scores(y_true, y_pred, weights, clusters, keys, n_boot=1000, confidence=0.95, seed=1)

The corrected share is the Rogan-Gladen estimator: with sensitivity Se and specificity Sp of
the method, a unit whose raw share is p has the estimated true share (p + Sp - 1) / (Se + Sp - 1),
kept within 0 and 1. It assumes that Se and Sp, measured on the coded sample of the whole
corpus, hold in every municipality; it does not assume that the shares are alike, which is why
it is used rather than a correction by predictive values (those depend on the share being
estimated). Its interval carries both errors: each bootstrap replicate draws the unit's
paragraphs again (within its documents, as the profiles do) and the coded sample again (whole
documents), and corrects one by the other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Below this Youden index (Se + Sp - 1) a correction divides by almost nothing: the corrected
#: share is not given.
MIN_YOUDEN = 0.2

SCORE_COLUMNS = ["theme", "precision", "recall", "f1", "f1_low", "f1_high", "sensitivity", "specificity",
                 "support", "predicted", "n_segments", "est_true", "est_predicted"]


def _cluster_draws(clusters: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap replicate counts of whole clusters (n_boot x n_clusters) and each row's cluster index."""
    names, index = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
    draws = rng.multinomial(len(names), np.full(len(names), 1.0 / len(names)), size=n_boot).astype(float)
    return draws, index


def confusion_sums(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted tp, fp, fn, tn per theme: shape (4, n_themes)."""
    t, p, w = np.asarray(y_true, bool), np.asarray(y_pred, bool), np.asarray(weights, float)[:, None]
    return np.stack([(w * (t & p)).sum(0), (w * (~t & p)).sum(0), (w * (t & ~p)).sum(0), (w * (~t & ~p)).sum(0)])


def _rates(c: np.ndarray) -> dict[str, np.ndarray]:
    tp, fp, fn, tn = c
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        specificity = np.where(tn + fp > 0, tn / (tn + fp), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return {"precision": precision, "recall": recall, "f1": f1, "specificity": specificity}


def weighted_scores(y_true, y_pred, weights, clusters, keys: list[str], core: list[str] | None = None,
                    n_boot: int = 1000, confidence: float = 0.95, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Per theme: precision, recall (= sensitivity), specificity and F1 of ``y_pred`` against
    ``y_true``, each paragraph counted ``weights`` times (its inverse inclusion probability), with
    percentile intervals of F1 from a bootstrap of whole ``clusters`` (documents); then
    ``macro_core`` and ``macro_all``.

    Returns the table and the bootstrap replicates of sensitivity and specificity (each
    n_boot x n_themes), for :func:`corrected_shares`.
    """
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    weights = np.asarray(weights, float)
    rng = np.random.default_rng(seed)
    draws, index = _cluster_draws(clusters, n_boot, rng)
    point = _rates(confusion_sums(y_true, y_pred, weights))
    # per cluster weighted confusion sums, then every replicate at once
    per_cluster = np.zeros((draws.shape[1], 4, len(keys)))
    np.add.at(per_cluster, index, np.moveaxis(np.stack([
        weights[:, None] * (y_true & y_pred), weights[:, None] * ((1 - y_true) & y_pred),
        weights[:, None] * (y_true & (1 - y_pred)), weights[:, None] * ((1 - y_true) & (1 - y_pred))]), 0, 1))
    boot = np.einsum("bc,cqk->qbk", draws, per_cluster)  # 4 x n_boot x themes
    replicates = _rates(boot)
    lo, hi = (1 - confidence) / 2, 1 - (1 - confidence) / 2
    core = core or []
    rows = []
    est = confusion_sums(y_true, y_pred, weights)
    for j, k in enumerate(keys):
        rows.append({"theme": k, "precision": point["precision"][j], "recall": point["recall"][j],
                     "f1": point["f1"][j], "f1_low": np.quantile(replicates["f1"][:, j], lo),
                     "f1_high": np.quantile(replicates["f1"][:, j], hi), "sensitivity": point["recall"][j],
                     "specificity": point["specificity"][j], "support": int(y_true[:, j].sum()),
                     "predicted": int(y_pred[:, j].sum()), "n_segments": len(y_true),
                     "est_true": est[0, j] + est[2, j], "est_predicted": est[0, j] + est[1, j]})
    for name, subset in (("macro_core", core), ("macro_all", keys)):
        idx = [keys.index(k) for k in subset]
        if not idx:
            continue
        macro_boot = replicates["f1"][:, idx].mean(axis=1)
        rows.append({"theme": name, "precision": point["precision"][idx].mean(),
                     "recall": np.nanmean(point["recall"][idx]) if np.isfinite(point["recall"][idx]).any() else np.nan,
                     "f1": point["f1"][idx].mean(), "f1_low": np.quantile(macro_boot, lo),
                     "f1_high": np.quantile(macro_boot, hi), "sensitivity": np.nan, "specificity": np.nan,
                     "support": int(y_true[:, idx].sum()), "predicted": int(y_pred[:, idx].sum()),
                     "n_segments": len(y_true), "est_true": np.nan, "est_predicted": np.nan})
    table = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    number = [c for c in SCORE_COLUMNS if c not in ("theme", "support", "predicted", "n_segments")]
    table[number] = table[number].astype(float).round(4)
    return table, {"sensitivity": replicates["recall"], "specificity": replicates["specificity"]}


def confusion_table(y_true, y_pred, weights, keys: list[str]) -> pd.DataFrame:
    """Per theme the coded paragraphs by hand code and method code: counts in the sample and,
    weighted by the inverse inclusion probability, estimated paragraphs of the corpus."""
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    raw = confusion_sums(y_true, y_pred, np.ones(len(y_true)))
    est = confusion_sums(y_true, y_pred, weights)
    rows = []
    for j, k in enumerate(keys):
        for q, (hand, method) in enumerate(((1, 1), (0, 1), (1, 0), (0, 0))):
            rows.append({"theme": k, "hand": hand, "method": method, "n": int(raw[q, j]),
                         "estimated_corpus": round(float(est[q, j]), 1)})
    return pd.DataFrame(rows, columns=["theme", "hand", "method", "n", "estimated_corpus"])


def rogan_gladen(p, sensitivity, specificity):
    """The Rogan-Gladen corrected share (p + Sp - 1) / (Se + Sp - 1), clipped to 0..1; NaN where
    the Youden index Se + Sp - 1 is below :data:`MIN_YOUDEN`."""
    p, se, sp = np.asarray(p, float), np.asarray(sensitivity, float), np.asarray(specificity, float)
    youden = se + sp - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.clip((p + sp - 1) / youden, 0.0, 1.0)
    return np.where(youden >= MIN_YOUDEN, value, np.nan)


def corrected_shares(raw: np.ndarray, raw_boot: np.ndarray, sensitivity: np.ndarray, specificity: np.ndarray,
                     boot_sensitivity: np.ndarray, boot_specificity: np.ndarray,
                     confidence: float = 0.95) -> dict[str, np.ndarray]:
    """Corrected shares of units and their intervals.

    Parameters
    ----------
    raw : array (n_units, n_themes)
        The method's share of each unit's paragraphs per theme.
    raw_boot : array (n_boot, n_units, n_themes)
        Bootstrap replicates of ``raw`` (each unit's paragraphs drawn again).
    sensitivity, specificity : array (n_themes,)
        Measured on the corpus's coded sample.
    boot_sensitivity, boot_specificity : array (n_boot, n_themes)
        Their bootstrap replicates (the coded sample drawn again), paired replicate by replicate
        with ``raw_boot`` (the two draws are independent).

    Returns
    -------
    dict of arrays (n_units, n_themes): ``corrected``, ``low``, ``high``.
    """
    corrected = rogan_gladen(raw, sensitivity[None], specificity[None])
    boot = rogan_gladen(raw_boot, boot_sensitivity[:, None, :], boot_specificity[:, None, :])
    lo, hi = (1 - confidence) / 2, 1 - (1 - confidence) / 2
    defined = np.isfinite(boot).mean(axis=0) >= 0.9  # an interval from most replicates, else none
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanquantile(boot, lo, axis=0), np.nanquantile(boot, hi, axis=0)
    ok = defined & np.isfinite(corrected)
    return {"corrected": corrected, "low": np.where(ok, low, np.nan), "high": np.where(ok, high, np.nan)}
