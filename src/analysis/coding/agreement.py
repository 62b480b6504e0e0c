"""Agreement between hand coders: Cohen's kappa for two coders, Krippendorff's alpha for any
number (with missing codes), both with bootstrap intervals over paragraphs, and the list of
paragraphs the coders disagree on.

Usage::

    from analysis.coding.agreement import cohen_kappa, krippendorff_alpha, agreement_table
    cohen_kappa([1, 0, 1], [1, 1, 1])
    krippendorff_alpha(np.array([[1, 1], [0, np.nan], [1, 0]]))  # units x coders
    agreement_table(coders, keys, n_boot=1000, confidence=0.95, seed=1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cohen_kappa(a, b) -> float:
    """Cohen's kappa of two coders' codes of the same units (any categories).

    NaN when chance agreement is 1 (both coders gave one and the same code throughout: kappa is
    not defined, and the agreement share says all there is)."""
    a, b = np.asarray(a), np.asarray(b)
    categories = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(categories, a), np.searchsorted(categories, b)
    table = np.zeros((len(categories), len(categories)))
    np.add.at(table, (ia, ib), 1)
    return _kappa_from_tables(table[None])[0]


def _kappa_from_tables(tables: np.ndarray) -> np.ndarray:
    """Kappa of each (weighted) contingency table in a stack of shape (n, c, c)."""
    total = tables.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.trace(tables, axis1=1, axis2=2) / total
        expected = (tables.sum(axis=2) * tables.sum(axis=1)).sum(axis=1) / total ** 2
        kappa = (observed - expected) / (1 - expected)
    return np.where(np.isclose(expected, 1.0), np.nan, kappa)


def krippendorff_alpha(data: np.ndarray) -> float:
    """Krippendorff's alpha for nominal codes.

    Parameters
    ----------
    data : array of shape (n_units, n_coders)
        Codes (any numbers), NaN where a coder did not code a unit. Units with fewer than two
        codes are not pairable and do not count.

    Returns
    -------
    float
        1 - D_o / D_e from the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's
        alpha-reliability"); NaN when every pairable code is the same (no variation to agree on).
    """
    data = np.asarray(data, dtype=float)
    categories = np.unique(data[~np.isnan(data)])
    counts = np.stack([(data == c).sum(axis=1) for c in categories], axis=1).astype(float)  # units x categories
    return float(_alpha_from_counts(counts)[0])


def _alpha_from_counts(counts: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Alpha from per-unit category counts (n_units x n_categories), once per row of ``weights``
    (n_stacks x n_units: how often each unit counts, as a bootstrap replicate draws it; one stack
    of ones when None). A unit drawn twice adds its coincidences twice."""
    if weights is None:
        weights = np.ones((1, counts.shape[0]))
    m = counts.sum(axis=1)  # values per unit
    pairable = m >= 2
    scale = np.where(pairable, 1.0 / np.where(pairable, m - 1, 1), 0.0)
    # coincidences: o_ck = sum_u w_u n_uc (n_uk - [c = k]) / (m_u - 1)
    per_unit = np.einsum("un,uk,u->unk", counts, counts, scale)
    per_unit -= (counts * scale[:, None])[:, :, None] * np.eye(counts.shape[1])[None]
    o = np.einsum("su,unk->snk", weights, per_unit)
    n_c = o.sum(axis=2)
    n = n_c.sum(axis=1)
    disagree = o.sum(axis=(1, 2)) - np.trace(o, axis1=1, axis2=2)
    expected = (n_c.sum(axis=1) ** 2 - (n_c ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1 - (n - 1) * disagree / expected
    return np.where(expected > 0, alpha, np.nan)


def agreement_table(coders: pd.DataFrame, keys: list[str], n_boot: int = 1000, confidence: float = 0.95,
                    seed: int = 0) -> pd.DataFrame:
    """Agreement per theme on the paragraphs that at least two coders coded.

    Parameters
    ----------
    coders : DataFrame
        One row per paragraph and coder: ``fingerprint``, ``coder`` and a 0/1 column per theme.
    keys : list of str
        Theme keys.
    n_boot, confidence, seed
        Bootstrap replicates (paragraphs resampled with replacement), interval level, seed.

    Returns
    -------
    DataFrame
        theme, coders (names), n_paragraphs, agreement (share of paragraphs all coders coded
        alike), kappa (Cohen's, when exactly two coders coded the paragraphs) with kappa_low and
        kappa_high, alpha (Krippendorff's, nominal, any number of coders) with alpha_low and
        alpha_high; a last row ``all`` pools the themes (every paragraph-theme a unit). Empty
        when no paragraph has two coders.
    """
    columns = ["theme", "coders", "n_paragraphs", "agreement", "kappa", "kappa_low", "kappa_high", "alpha",
               "alpha_low", "alpha_high"]
    names = sorted(coders["coder"].astype(str).unique())
    wide = coders.assign(coder=coders["coder"].astype(str)).pivot_table(
        index="fingerprint", columns="coder", values=keys, aggfunc="first")
    if wide.empty:
        return pd.DataFrame(columns=columns)
    present = wide[keys[0]].notna()
    shared = present.sum(axis=1) >= 2
    if not shared.any():
        return pd.DataFrame(columns=columns)
    wide = wide[shared]
    who = [c for c in names if present.loc[shared, c].any()]
    two = len(who) == 2
    rng = np.random.default_rng(seed)
    n_units = len(wide)
    draws = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(float)  # n_boot x units
    lo_q, hi_q = (1 - confidence) / 2, 1 - (1 - confidence) / 2
    rows = []
    stacked = []
    for k in [*keys, "all"]:
        if k == "all":
            values = np.concatenate(stacked, axis=0)
            weights = np.tile(draws, (1, len(keys)))
        else:
            values = wide[k][who].to_numpy(dtype=float)
            stacked.append(values)
            weights = draws
        counts = np.stack([(values == 0).sum(axis=1), (values == 1).sum(axis=1)], axis=1).astype(float)
        alpha = _alpha_from_counts(counts)[0]
        boot_alpha = _alpha_from_counts(counts, weights)
        coded = ~np.isnan(values)
        same = np.array([len(set(v[c])) == 1 for v, c in zip(values, coded)])
        row = {"theme": k, "coders": ", ".join(who), "n_paragraphs": int(len(values) if k != "all" else n_units),
               "agreement": round(float(same.mean()), 4), "alpha": _round(alpha),
               "alpha_low": _round(np.nanquantile(boot_alpha, lo_q)) if np.isfinite(boot_alpha).any() else np.nan,
               "alpha_high": _round(np.nanquantile(boot_alpha, hi_q)) if np.isfinite(boot_alpha).any() else np.nan,
               "kappa": np.nan, "kappa_low": np.nan, "kappa_high": np.nan}
        if two:
            a, b = values[:, 0], values[:, 1]
            cells = np.stack([((a == i) & (b == j)).astype(float) for i in (0, 1) for j in (0, 1)], axis=1)
            row["kappa"] = _round(_kappa_from_tables(cells.sum(axis=0).reshape(1, 2, 2))[0])
            boot = _kappa_from_tables((weights @ cells).reshape(-1, 2, 2))
            if np.isfinite(boot).any():
                row["kappa_low"], row["kappa_high"] = (_round(np.nanquantile(boot, lo_q)),
                                                       _round(np.nanquantile(boot, hi_q)))
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _round(value) -> float:
    return round(float(value), 4) if value == value else np.nan


def disagreements(coders: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The paragraphs and themes on which coders disagree, to adjudicate: segment_id,
    fingerprint, theme, codes ("anna 1, bo 0"), one row per paragraph and theme."""
    columns = ["segment_id", "fingerprint", "theme", "codes"]
    rows = []
    for fingerprint, part in coders.groupby("fingerprint", sort=True):
        if part["coder"].nunique() < 2:
            continue
        part = part.sort_values("coder")
        for k in keys:
            if part[k].nunique() > 1:
                rows.append({"segment_id": part["segment_id"].iat[0], "fingerprint": fingerprint, "theme": k,
                             "codes": ", ".join(f"{c} {int(v)}" for c, v in zip(part["coder"], part[k]))})
    return pd.DataFrame(rows, columns=columns)
