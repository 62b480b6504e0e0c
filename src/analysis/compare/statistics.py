"""Statistics across municipalities: theme profiles with bootstrap intervals, differences,
similarity, distinctive words, top terms per theme, co-occurrence and passages in context.

The unit of comparison is a municipality's documents of one type ("Gentofte · forslag"): a
politik and a forslag are never pooled, and differences are flagged as comparable only
between units of the same document type. ``doc_types`` selects document types.

Usage::

    from analysis.compare import statistics as compare
    profiles = compare.theme_profiles(segments, keys, n_boot=1000, seed=1)
    diffs = compare.theme_differences(segments, keys, seed=1)
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform
from scipy.stats import chi2
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from analysis.base.danish import DOC_TYPES

UNIT_SEPARATOR = " · "
BOOTSTRAP_BLOCK = 1_000_000  # draws held at once (replicates x segments of one document)
PROFILE_COLUMNS = ["unit", "municipality", "doc_type", "theme", "share_segments", "segments_ci_low",
                   "segments_ci_high", "share_tokens", "tokens_ci_low", "tokens_ci_high", "n_segments", "n_tokens",
                   "n_documents"]


def filter_doc_types(segments: pd.DataFrame, doc_types: list[str] | None) -> pd.DataFrame:
    """Keep the segments of the given document types (all when empty or None).

    Raises
    ------
    ValueError
        When a type is not one of the corpus's document types (a typo would otherwise give
        empty tables without a word).
    """
    doc_types = check_doc_types(doc_types)
    return segments[segments["doc_type"].isin(doc_types)] if doc_types else segments


def check_doc_types(doc_types: str | list[str] | None) -> list[str]:
    """Return the document types as a sorted list ([] for all), or raise a clear ValueError."""
    doc_types = sorted([doc_types] if isinstance(doc_types, str) else doc_types or [])
    unknown = [t for t in doc_types if t not in DOC_TYPES]
    if unknown:
        raise ValueError(f"unknown document type(s) {', '.join(map(repr, unknown))} in doc_types; "
                         f"use some of {', '.join(DOC_TYPES)}, or None for all")
    return doc_types


def comparison_tables(segments: pd.DataFrame, matches: pd.DataFrame, keys: list[str], settings: dict, seed: int,
                      doc_types: list[str] | None = None, cache=None) -> dict[str, pd.DataFrame]:
    """Every comparison table, with the config's ``compare`` settings (bootstrap replicates,
    confidence, keyness minimum and length) and seed: profiles per unit and per document,
    differences, similarity, keyness, theme terms and co-occurrence.

    ``cache`` (a folder) keeps each unit's bootstrap replicates under a key of its segments, so
    a re-run after one document changed resamples only that document and its municipality."""
    boot = {"n_boot": settings["n_bootstrap"], "confidence": settings["confidence"], "seed": seed}
    units = add_unit(filter_doc_types(segments, doc_types))
    reps = _replicates(units, keys, boot["n_boot"], seed, cache)
    return {
        "theme_profiles": theme_profiles(segments, keys, doc_types=doc_types, replicates=reps, **boot),
        "theme_profiles_documents": theme_profiles(segments, keys, by="doc_id", doc_types=doc_types, cache=cache,
                                                   **boot),
        "theme_differences": theme_differences(segments, keys, doc_types=doc_types, replicates=reps, **boot),
        "similarity": similarity(segments, keys, doc_types=doc_types)[0],
        "keyness": keyness(segments, doc_types=doc_types, min_freq=settings["keyness_min_freq"],
                           top=settings["keyness_top"]),
        "theme_terms": theme_terms(segments, matches, keys, doc_types=doc_types),
        "cooccurrence": cooccurrence(segments, keys, doc_types=doc_types),
    }


def add_unit(segments: pd.DataFrame, by: str = "municipality") -> pd.DataFrame:
    """Add the comparison unit: ``municipality · doc_type`` (or ``doc_id`` for documents)."""
    if by == "doc_id":
        return segments.assign(unit=segments["doc_id"])
    return segments.assign(unit=segments["municipality"] + UNIT_SEPARATOR + segments["doc_type"])


def _bootstrap_counts(theme: np.ndarray, tokens: np.ndarray, docs: np.ndarray, n_boot: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample segments within each document; return per replicate the theme segment counts,
    the theme token counts (n_boot x n_themes) and the token totals (n_boot).

    A replicate of a document of n segments is n draws with replacement, counted per segment;
    replicates are drawn in blocks, so memory stays bounded however long the document.
    """
    seg_counts = np.zeros((n_boot, theme.shape[1]))
    tok_counts = np.zeros((n_boot, theme.shape[1]))
    tok_total = np.zeros(n_boot)
    weighted = theme * tokens[:, None]
    for doc in np.unique(docs):
        rows = np.flatnonzero(docs == doc)
        n = len(rows)
        block = max(1, BOOTSTRAP_BLOCK // n)
        for first in range(0, n_boot, block):
            size = min(block, n_boot - first)
            draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
            picks = np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(float)
            seg_counts[first:first + size] += picks @ theme[rows]
            tok_counts[first:first + size] += picks @ weighted[rows]
            tok_total[first:first + size] += picks @ tokens[rows]
    return seg_counts, tok_counts, tok_total


def _replicates(segments: pd.DataFrame, keys: list[str], n_boot: int, seed: int, cache=None) -> dict:
    """Per unit: observed shares and bootstrap replicate shares (segments and tokens).

    With ``cache`` (a folder), a unit whose segments, replicates and seed are unchanged is read
    back instead of resampled."""
    from analysis.base import parallel
    from analysis.base.cache import MISSING, load_entry, store_entry
    from analysis.base.parallel import map_documents

    out, todo = {}, []
    columns = ["doc_id", "n_tokens", *[f"theme_{k}" for k in keys]]
    groups = dict(tuple(segments.groupby("unit", sort=True)))
    for unit, part in groups.items():
        key = None
        if cache is not None:
            rows = pd.util.hash_pandas_object(part[columns].reset_index(drop=True), index=False).to_numpy()
            key = hashlib.sha256(f"{unit}|{n_boot}|{seed}|{','.join(keys)}".encode() + rows.tobytes()).hexdigest()[:24]
            found = load_entry(cache, key)
            if found is not MISSING:
                out[unit] = found
                continue
        out[unit] = None
        todo.append((unit, key))

    def draw(item: tuple[str, str | None]) -> dict:
        unit, key = item
        part = groups[unit]
        # Each unit has its own stream from the seed and its name, so its intervals do not move
        # when other municipalities or document types are added to the corpus or filtered out.
        rng = np.random.default_rng([seed, int.from_bytes(hashlib.sha256(str(unit).encode()).digest()[:8], "big")])
        theme = part[[f"theme_{k}" for k in keys]].to_numpy(dtype=float)
        tokens = part["n_tokens"].to_numpy(dtype=float)
        seg, tok, total = _bootstrap_counts(theme, tokens, part["doc_id"].to_numpy(), n_boot, rng)
        found = {
            "share_segments": theme.mean(axis=0),
            "share_tokens": (theme * tokens[:, None]).sum(axis=0) / max(tokens.sum(), 1.0),
            "boot_segments": seg / len(part),
            "boot_tokens": tok / np.maximum(total, 1.0)[:, None],
            "n_segments": len(part),
            "n_tokens": int(tokens.sum()),
            "n_documents": part["doc_id"].nunique(),
            "municipality": part["municipality"].iat[0],
            "doc_type": part["doc_type"].iat[0],
        }
        if key is not None:
            store_entry(cache, key, found)
        return found

    # Units draw from their own streams, so many of them are drawn on every core.
    many = sum(len(groups[u]) for u, _ in todo) * n_boot >= parallel.PARALLEL_MIN_DRAWS
    for (unit, _), found in zip(todo, map_documents(draw, todo, None if many else 1)):
        out[unit] = found
    return out


def theme_profiles(segments: pd.DataFrame, keys: list[str], by: str = "municipality", doc_types=None,
                   n_boot: int = 1000, confidence: float = 0.95, seed: int = 0, replicates: dict | None = None,
                   cache=None) -> pd.DataFrame:
    """Share of segments and of tokens coded with each theme, per unit, with bootstrap intervals.

    Parameters
    ----------
    segments : DataFrame
        The segments table with ``theme_<key>`` columns.
    keys : list of str
        Theme keys.
    by : {"municipality", "doc_id"}
        Unit: a municipality's documents of one type, or one document.
    doc_types : list of str, optional
        Keep only these document types.
    n_boot, confidence, seed
        Bootstrap replicates (segments resampled within documents), interval level, seed.
    replicates, cache
        Replicates already drawn for these units, or a folder that keeps them (see
        :func:`comparison_tables`).

    Returns
    -------
    DataFrame
        unit, municipality, doc_type, theme, share_segments (and its ci_low/ci_high),
        share_tokens (and its ci), n_segments, n_tokens, n_documents; one row per unit and theme.
    """
    if replicates is None:
        replicates = _replicates(add_unit(filter_doc_types(segments, doc_types), by), keys, n_boot, seed, cache)
    alpha = (1 - confidence) / 2
    rows = []
    for unit, r in replicates.items():
        seg_lo, seg_hi = np.quantile(r["boot_segments"], [alpha, 1 - alpha], axis=0)
        tok_lo, tok_hi = np.quantile(r["boot_tokens"], [alpha, 1 - alpha], axis=0)
        for j, k in enumerate(keys):
            rows.append({"unit": unit, "municipality": r["municipality"], "doc_type": r["doc_type"], "theme": k,
                         "share_segments": r["share_segments"][j], "segments_ci_low": seg_lo[j],
                         "segments_ci_high": seg_hi[j], "share_tokens": r["share_tokens"][j],
                         "tokens_ci_low": tok_lo[j], "tokens_ci_high": tok_hi[j], "n_segments": r["n_segments"],
                         "n_tokens": r["n_tokens"], "n_documents": r["n_documents"]})
    table = pd.DataFrame(rows, columns=PROFILE_COLUMNS)
    num = [c for c in table.columns if c.startswith(("share_", "segments_ci", "tokens_ci"))]
    table[num] = table[num].round(4)
    return table


def theme_differences(segments: pd.DataFrame, keys: list[str], doc_types=None, n_boot: int = 1000,
                      confidence: float = 0.95, seed: int = 0, replicates: dict | None = None) -> pd.DataFrame:
    """Pairwise differences in the share of segments per theme, with bootstrap intervals.

    ``supported`` is 1 when the interval of the difference excludes zero; ``same_doc_type`` says
    whether the two units are documents of the same type (only then is the comparison like
    with like). ``replicates``: as :func:`theme_profiles`.
    """
    columns = ["theme", "unit_a", "unit_b", "share_a", "share_b", "difference", "ci_low", "ci_high", "supported",
               "same_doc_type"]
    reps = replicates if replicates is not None else \
        _replicates(add_unit(filter_doc_types(segments, doc_types)), keys, n_boot, seed)
    units = sorted(reps)
    if len(units) < 2:
        return pd.DataFrame(columns=columns)
    alpha = (1 - confidence) / 2
    boot = np.stack([reps[u]["boot_segments"] for u in units])  # units x replicates x themes
    share = np.stack([reps[u]["share_segments"] for u in units])
    doc_type = np.array([reps[u]["doc_type"] for u in units], dtype=object)
    a, b = np.triu_indices(len(units), k=1)  # the pairs in the order of combinations(units, 2)
    lo, hi = np.empty((len(a), len(keys))), np.empty((len(a), len(keys)))
    step = max(1, 2_000_000 // max(1, boot.shape[1] * boot.shape[2]))  # pairs at once: bounded memory
    for s in range(0, len(a), step):
        diff = boot[a[s:s + step]] - boot[b[s:s + step]]
        lo[s:s + step], hi[s:s + step] = np.quantile(diff, [alpha, 1 - alpha], axis=1)
    n_pairs, n_keys = len(a), len(keys)
    names = np.array(units, dtype=object)
    table = pd.DataFrame({
        "theme": np.tile(np.array(keys, dtype=object), n_pairs),
        "unit_a": np.repeat(names[a], n_keys), "unit_b": np.repeat(names[b], n_keys),
        "share_a": share[a].ravel(), "share_b": share[b].ravel(), "difference": (share[a] - share[b]).ravel(),
        "ci_low": lo.ravel(), "ci_high": hi.ravel(),
        "supported": ((lo > 0) | (hi < 0)).ravel().astype(int),
        "same_doc_type": np.repeat(doc_type[a] == doc_type[b], n_keys).astype(int),
    })
    for c in ("share_a", "share_b", "difference", "ci_low", "ci_high"):
        table[c] = table[c].round(4)
    return table[columns]


def similarity(segments: pd.DataFrame, keys: list[str], doc_types=None) -> tuple[pd.DataFrame, dict]:
    """Cosine similarity between units on theme profiles and on TF-IDF of lemmas.

    Returns
    -------
    table : DataFrame
        unit_a, unit_b, cosine_themes, cosine_words (every ordered pair, diagonal included).
    linkages : dict
        "themes" and "words": (labels, scipy linkage matrix, average linkage on cosine distance)
        for a dendrogram; None when there are fewer than two units.
    """
    data = add_unit(filter_doc_types(segments, doc_types))
    units = sorted(data["unit"].unique())
    profile = data.groupby("unit")[[f"theme_{k}" for k in keys]].mean().reindex(units).to_numpy()
    if not units:
        return pd.DataFrame(columns=["unit_a", "unit_b", "cosine_themes", "cosine_words"]), \
            {"themes": None, "words": None}
    text = data.groupby("unit")["lemmas"].agg(lambda s: " ".join(s.fillna(""))).reindex(units)
    try:
        words = cosine_similarity(TfidfVectorizer(token_pattern=r"[^ ]+", sublinear_tf=True).fit_transform(text))
    except ValueError:  # no lemmas at all: no word similarity to speak of
        words = np.eye(len(units))
    sims = {"themes": cosine_similarity(profile), "words": words}
    rows = [{"unit_a": a, "unit_b": b, "cosine_themes": round(float(sims["themes"][i, j]), 4),
             "cosine_words": round(float(sims["words"][i, j]), 4)}
            for i, a in enumerate(units) for j, b in enumerate(units)]
    linkages = {}
    for name, sim in sims.items():
        if len(units) < 2:
            linkages[name] = None
            continue
        dist = np.clip(1 - sim, 0, None)
        np.fill_diagonal(dist, 0)
        linkages[name] = (units, linkage(squareform(dist, checks=False), method="average"))
    return pd.DataFrame(rows), linkages


def keyness(segments: pd.DataFrame, by: str = "municipality", doc_types=None, min_freq: int = 3,
            top: int = 20) -> pd.DataFrame:
    """Distinctive lemmas of each municipality against all the others.

    Log-likelihood G2 (Dunning) with a 1-df chi-square p-value, and Hardie's Log Ratio as the
    effect size (binary log of the ratio of relative frequencies; 0.5 added to zero counts).
    Lemmas used fewer than ``min_freq`` times by the target are left out; the ``top`` lemmas
    that are over-represented (by G2) are kept per municipality.

    Returns
    -------
    DataFrame
        municipality, lemma, freq, freq_rest, per_10k, per_10k_rest, g2, p_value, log_ratio, rank.
    """
    data = filter_doc_types(segments, doc_types)
    text = data.groupby(by)["lemmas"].agg(lambda s: " ".join(s.fillna("")))
    empty = pd.DataFrame(columns=[by, "lemma", "freq", "freq_rest", "per_10k", "per_10k_rest", "g2", "p_value",
                                  "log_ratio", "rank"])
    if len(text) < 2:
        return empty
    vec = CountVectorizer(token_pattern=r"[^ ]+", lowercase=False)
    try:
        counts = vec.fit_transform(text).tocsr().astype(float)  # sparse: units x vocabulary
    except ValueError:  # no lemmas at all
        return empty
    names = vec.get_feature_names_out()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    grand = np.asarray(counts.sum(axis=0)).ravel()
    out = []
    for i, unit in enumerate(text.index):
        a = counts[i].toarray().ravel()
        b = grand - a
        n_a, n_b = totals[i], totals.sum() - totals[i]
        if n_a == 0 or n_b == 0:  # no words of its own, or no others to compare with
            continue
        expected_a = n_a * (a + b) / (n_a + n_b)
        expected_b = n_b * (a + b) / (n_a + n_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            g2 = 2 * (np.where(a > 0, a * np.log(a / expected_a), 0) + np.where(b > 0, b * np.log(b / expected_b), 0))
        log_ratio = np.log2((np.where(a > 0, a, 0.5) / n_a) / (np.where(b > 0, b, 0.5) / n_b))
        keep = (a >= min_freq) & (a / n_a > b / n_b)
        idx = np.flatnonzero(keep)
        idx = idx[np.lexsort((names[idx], -g2[idx]))][:top]
        for rank, j in enumerate(idx, start=1):
            out.append({by: unit, "lemma": names[j], "freq": int(a[j]), "freq_rest": int(b[j]),
                        "per_10k": round(1e4 * a[j] / n_a, 2), "per_10k_rest": round(1e4 * b[j] / n_b, 2),
                        "g2": round(float(g2[j]), 3), "p_value": float(f"{chi2.sf(g2[j], 1):.3g}"),
                        "log_ratio": round(float(log_ratio[j]), 3), "rank": rank})
    return pd.DataFrame(out, columns=[by, "lemma", "freq", "freq_rest", "per_10k", "per_10k_rest", "g2", "p_value",
                                      "log_ratio", "rank"])


def theme_terms(segments: pd.DataFrame, matches: pd.DataFrame, keys: list[str], doc_types=None,
                top: int = 10) -> pd.DataFrame:
    """The codebook words that carry each theme in each municipality (in segments coded with it)."""
    data = filter_doc_types(segments, doc_types)
    columns = ["municipality", "theme", "word", "count", "rank"]
    m = matches[(matches["where"] == "text") & matches["segment_id"].isin(data["segment_id"])]
    m = m.merge(data[["segment_id", "municipality", *[f"theme_{k}" for k in keys]]], on="segment_id")
    parts = []
    for k in keys:
        part = m[(m["theme"] == k) & (m[f"theme_{k}"] == 1)]
        counts = part.groupby(["municipality", "surface"])["count"].sum().reset_index()
        counts = counts.sort_values(["municipality", "count", "surface"], ascending=[True, False, True], kind="stable")
        counts["rank"] = counts.groupby("municipality", sort=False).cumcount() + 1
        counts = counts[counts["rank"] <= top]
        parts.append(pd.DataFrame({"municipality": counts["municipality"].to_numpy(), "theme": k,
                                   "word": counts["surface"].to_numpy(), "count": counts["count"].astype(int).to_numpy(),
                                   "rank": counts["rank"].astype(int).to_numpy()}))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def cooccurrence(segments: pd.DataFrame, keys: list[str], doc_types=None) -> pd.DataFrame:
    """How often themes appear together in a segment: counts, Jaccard index and lift."""
    data = filter_doc_types(segments, doc_types)
    X = data[[f"theme_{k}" for k in keys]].to_numpy(dtype=float)
    n = max(len(X), 1)
    both = X.T @ X
    single = np.diag(both)
    rows = []
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            union = single[i] + single[j] - both[i, j]
            expected = single[i] * single[j] / n
            rows.append({"theme_a": a, "theme_b": b, "segments": int(both[i, j]),
                         "jaccard": round(both[i, j] / union, 4) if union else 0.0,
                         "lift": round(both[i, j] / expected, 4) if expected else 0.0})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- passages in context


def kwic(segments: pd.DataFrame, tokens: pd.DataFrame | None = None, term: str | None = None,
         theme: str | None = None, occurrences: pd.DataFrame | None = None, municipality: str | None = None,
         window: int = 60, limit: int | None = 200) -> pd.DataFrame:
    """A concordance (keyword in context) of a word or of a theme's matched words.

    Parameters
    ----------
    segments : DataFrame
        The segments table.
    tokens : DataFrame, optional
        The token table, needed for ``term`` (matched on word form or lemma, case-insensitive;
        a trailing ``*`` matches any ending: ``bolig*``).
    term : str, optional
        The word to find.
    theme : str, optional
        A theme key: the codebook words counted for it (``occurrences`` needed), in segments
        that carry the theme.
    municipality : str, optional
        Keep only this municipality.
    window : int
        Characters of context on each side.

    Returns
    -------
    DataFrame
        segment_id, doc_id, municipality, doc_type, year, section, left, match, right, theme.
    """
    segs = segments if municipality is None else segments[segments["municipality"] == municipality]
    if term:
        word = term.lower().strip()
        if word.endswith("*"):
            stem = word[:-1]
            hit = tokens["lower"].str.startswith(stem) | tokens["lemma"].str.startswith(stem)
        else:
            hit = (tokens["lower"] == word) | (tokens["lemma"] == word)
        spans = tokens.loc[hit & tokens["segment_id"].isin(segs["segment_id"]), ["segment_id", "start", "end"]]
        spans = spans.assign(theme="")
    elif theme:
        coded = segs[segs.get(f"theme_{theme}", 0) == 1]["segment_id"]
        spans = occurrences[(occurrences["theme"] == theme) & occurrences["segment_id"].isin(coded)]
        spans = spans[["segment_id", "start", "end"]].assign(theme=theme)
    else:
        raise ValueError("give a term or a theme")
    meta = segs.set_index("segment_id")
    order = {s: i for i, s in enumerate(segments["segment_id"])}
    spans = spans.assign(_o=spans["segment_id"].map(order)).sort_values(["_o", "start"], kind="stable")
    if limit:
        spans = spans.head(limit)
    rows = []
    for r in spans.itertuples(index=False):
        text = meta.at[r.segment_id, "text"]
        flat = lambda s: re.sub(r"\s+", " ", s)  # noqa: E731 - keep a concordance line on one line
        rows.append({"segment_id": r.segment_id, "doc_id": meta.at[r.segment_id, "doc_id"],
                     "municipality": meta.at[r.segment_id, "municipality"],
                     "doc_type": meta.at[r.segment_id, "doc_type"], "year": meta.at[r.segment_id, "year"],
                     "section": meta.at[r.segment_id, "section"],
                     "left": flat(text[max(0, r.start - window):r.start]).lstrip(),
                     "match": text[r.start:r.end], "right": flat(text[r.end:r.end + window]).rstrip(),
                     "theme": r.theme})
    return pd.DataFrame(rows, columns=["segment_id", "doc_id", "municipality", "doc_type", "year", "section",
                                       "left", "match", "right", "theme"])

