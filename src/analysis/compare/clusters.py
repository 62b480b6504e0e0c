"""Bottom-up themes: KMeans clusters and NMF topics of segments from TF-IDF of their lemmas.

The number of clusters is chosen by the best silhouette (cosine) between ``k_min`` and
``k_max`` unless the config fixes it; NMF uses as many topics as there are clusters unless set.
Each cluster is described by its size, top terms, most representative segments and the codebook
theme it overlaps most with; stability is the mean adjusted Rand index between the clustering
with the config seed and four more seeds.

On a large corpus, the vocabulary, k, the clusters, the topics and their stability are fitted on
a seeded sample of ``sample_size`` segments (chosen by a hash of the segment id, not by the order
of documents); every segment is then assigned to its nearest cluster and its strongest topic.
The cost of clustering is thereby bounded, whatever the size of the corpus, and the fit is
reused as long as the sample's lemmas are unchanged (a changed document outside the sample only
has its segments assigned).

Usage::

    from analysis.compare.clusters import cluster_segments
    result = cluster_segments(segments, theme_matrix, cfg)
    result.table, result.labels
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, silhouette_score

SILHOUETTE_SAMPLE = 3000  # segments used for the silhouette at scale (seeded sample)
N_REPRESENTATIVE = 3


@dataclass
class ClusterResult:
    """Cluster and topic assignments of every segment, their description and the choice made."""

    labels: np.ndarray  # KMeans cluster per segment (-1 for a segment without content lemmas)
    topics: np.ndarray  # NMF topic per segment (-1 likewise)
    table: pd.DataFrame
    k: int
    k_criterion: str
    silhouettes: dict[int, float]
    stability: dict[str, float]


def tfidf_matrix(lemmas: pd.Series, min_df: int):
    """TF-IDF of space-joined lemmas (L2-normalised rows, so Euclidean KMeans is cosine)."""
    n_docs = int((lemmas.str.len() > 0).sum())
    vectorizer = TfidfVectorizer(token_pattern=r"[^ ]+", min_df=min(min_df, max(1, n_docs)), sublinear_tf=True)
    return vectorizer, vectorizer.fit_transform(lemmas.fillna(""))


def _kmeans(X, k: int, seed: int, n_init: int = 3) -> np.ndarray:
    # Fewer restarts for the scans (choice of k, stability); the final clustering uses 10.
    return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(X)


def distinct_rows(X) -> int:
    """The number of different rows of a sparse matrix (no more clusters than that make sense)."""
    X = X.tocsr()
    return len({(X.indices[a:b].tobytes(), X.data[a:b].tobytes()) for a, b in zip(X.indptr[:-1], X.indptr[1:])})


def sample_rows(ids: pd.Series, size: int, seed: int) -> np.ndarray | None:
    """Positions of a seeded sample of ``size`` rows (by a hash of each id), in order; None when
    there are no more rows than that."""
    if size <= 0 or len(ids) <= size:
        return None
    key = f"{seed:016d}"[-16:]
    hashes = pd.util.hash_pandas_object(pd.Series(ids.to_numpy(), dtype=object), index=False,
                                        hash_key=key).to_numpy()
    return np.sort(np.argsort(hashes, kind="stable")[:size])


def choose_k(X, k_min: int, k_max: int, seed: int, n_distinct: int | None = None) -> tuple[int, dict[int, float]]:
    """Return the k with the best silhouette (cosine) and every k's silhouette.

    No more clusters are tried than there are distinct rows (``n_distinct``, counted when not given).
    """
    n = distinct_rows(X) if n_distinct is None else n_distinct
    candidates = [k for k in range(max(2, k_min), min(k_max, n - 1) + 1)]
    if not candidates:
        return max(1, min(k_min, n)), {}
    sample = min(SILHOUETTE_SAMPLE, n)
    scores = {}
    for k in candidates:
        labels = _kmeans(X, k, seed)
        if len(np.unique(labels)) < 2:
            continue
        scores[k] = round(float(silhouette_score(X, labels, metric="cosine", sample_size=sample, random_state=seed)), 4)
    if not scores:
        return candidates[0], {}
    best = max(scores, key=lambda k: (scores[k], -k))
    return best, scores


def _top_terms(weights: np.ndarray, names: np.ndarray, n: int) -> str:
    top = np.argsort(-weights, kind="stable")[:n]
    return ", ".join(names[i] for i in top if weights[i] > 0)


def _theme_overlap(member: np.ndarray, themes: pd.DataFrame) -> tuple[str, float, float]:
    """The theme most present in the cluster: (key, share of cluster segments with it, Jaccard)."""
    if themes.empty or member.sum() == 0:
        return "", 0.0, 0.0
    in_cluster = themes.to_numpy()[member]
    shares = in_cluster.mean(axis=0)
    totals = themes.to_numpy().sum(axis=0)
    j = int(np.argmax(shares))
    if shares[j] == 0:
        return "", 0.0, 0.0
    inter = in_cluster[:, j].sum()
    jaccard = inter / (member.sum() + totals[j] - inter)
    return themes.columns[j], round(float(shares[j]), 4), round(float(jaccard), 4)


@dataclass
class _Fit:
    """What is fitted on the clustered rows (every segment, or the sample of a large corpus)."""

    vectorizer: TfidfVectorizer
    kmeans: KMeans
    nmf: NMF
    W: np.ndarray | None  # NMF weights of the fitted rows (kept when they are every segment)
    k: int
    criterion: str
    silhouettes: dict
    stability: dict


def _fit(lemmas: pd.Series, c: dict, seed: int) -> _Fit | str:
    """Fit TF-IDF, KMeans (k by silhouette unless fixed), NMF and their stability on ``lemmas``;
    or return why there is nothing to cluster."""
    try:
        vectorizer, X = tfidf_matrix(lemmas, c["min_df"])
    except ValueError:  # scikit-learn: "empty vocabulary" or "after pruning, no terms remain"
        return "no shared vocabulary"
    n_distinct = distinct_rows(X)
    if n_distinct < 2:
        return "every segment has the same words"
    if c["n_clusters"] == "auto":
        k, silhouettes = choose_k(X, c["k_min"], c["k_max"], seed, n_distinct)
        criterion = (f"best cosine silhouette for k in {c['k_min']}..{c['k_max']}" if silhouettes else
                     f"{k} distinct segments, too few to choose k in {c['k_min']}..{c['k_max']}")
    else:
        k, silhouettes, criterion = min(int(c["n_clusters"]), n_distinct), {}, "fixed in config"
    # NMF's nndsvda start needs no more topics than segments or terms.
    n_topics = min(k if c["n_topics"] == "auto" else int(c["n_topics"]), X.shape[0], X.shape[1])
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(X)
    nmf = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=500)
    W = nmf.fit_transform(X)
    topic_of = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)
    # Stability: the same fit with more seeds, on the same rows.
    seeds = [seed + i for i in range(1, max(1, c["stability_seeds"]))]
    ari_km = [adjusted_rand_score(km.labels_, _kmeans(X, k, s)) for s in seeds]
    ari_nmf = []
    for s in seeds:
        with warnings.catch_warnings():  # a replicate that stops short still shows (in)stability
            warnings.simplefilter("ignore", ConvergenceWarning)
            W2 = NMF(n_components=n_topics, init="random", random_state=s, max_iter=300).fit_transform(X)
        ari_nmf.append(adjusted_rand_score(topic_of, np.where(W2.max(axis=1) > 0, W2.argmax(axis=1), -1)))
    stability = {"kmeans": round(float(np.mean(ari_km)), 4) if ari_km else 1.0,
                 "nmf": round(float(np.mean(ari_nmf)), 4) if ari_nmf else 1.0}
    return _Fit(vectorizer, km, nmf, W, k, criterion, silhouettes, stability)


def cluster_segments(segments: pd.DataFrame, themes: pd.DataFrame, cfg: dict, cache=None) -> ClusterResult:
    """Cluster segments bottom-up and describe the clusters.

    Parameters
    ----------
    segments : DataFrame
        segment_id, text, lemmas.
    themes : DataFrame
        0/1 theme assignments, one column per theme key, aligned with ``segments``.
    cfg : dict
        Settings (``clusters`` section and ``seed``).
    cache : Path, optional
        A folder for the fit, keyed by the lemmas it was fitted on: when they have not changed
        (on a large corpus: the sample's), the clustering is reused and only the segments are
        assigned again.

    Returns
    -------
    ClusterResult
    """
    from analysis.base.cache import cached

    c, seed = cfg["clusters"], cfg["seed"]
    lemmas = segments["lemmas"].fillna("").astype(str)
    has_words = (lemmas.str.len() > 0).to_numpy()
    labels = np.full(len(segments), -1)
    topics = np.full(len(segments), -1)
    empty = pd.DataFrame(columns=["method", "cluster", "size", "top_terms", "representative_ids",
                                  "representative_text", "top_theme", "theme_share", "theme_jaccard",
                                  "stability_ari"])
    if has_words.sum() < 3:
        return ClusterResult(labels, topics, empty, 0, "too few segments", {}, {})
    with_words = lemmas[has_words].reset_index(drop=True)
    sample = sample_rows(segments["segment_id"][has_words], c["sample_size"], seed)
    fit_on = with_words if sample is None else with_words.iloc[sample]
    settings = {k: v for k, v in c.items() if k != "top_terms"}
    key = hashlib.sha256(f"{sorted(settings.items())}|{seed}".encode()
                         + pd.util.hash_pandas_object(fit_on, index=False).to_numpy().tobytes()).hexdigest()[:20]
    fit, _ = cached(cache, key, lambda: _fit(fit_on, c, seed))
    if isinstance(fit, str):
        return ClusterResult(labels, topics, empty, 0, fit, {}, {})
    names = fit.vectorizer.get_feature_names_out()
    X = fit.vectorizer.transform(with_words)
    km, nmf, k, stability = fit.kmeans, fit.nmf, fit.k, fit.stability
    known = np.asarray(X.getnnz(axis=1) > 0)  # a segment none of whose words the fit knows stays out
    if sample is None:
        member_of, W = km.labels_, fit.W
    else:
        member_of = np.where(known, km.predict(X), -1)
        W = nmf.transform(X)
    labels[has_words] = member_of
    topic_of = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)
    topics[has_words] = topic_of
    n_topics, criterion, silhouettes = nmf.n_components, fit.criterion, fit.silhouettes
    ids = segments["segment_id"].to_numpy()[has_words]
    texts = segments["text"].to_numpy()[has_words]
    theme_part = themes.loc[has_words].reset_index(drop=True) if not themes.empty else themes
    rows = []
    centers = km.cluster_centers_
    dense_sim = X @ centers.T  # cosine similarity to each centre (rows are unit length)
    dense_sim = np.asarray(dense_sim)
    for j in range(k):
        member = member_of == j
        order = np.flatnonzero(member)[np.argsort(-dense_sim[member, j], kind="stable")][:N_REPRESENTATIVE]
        theme, share, jac = _theme_overlap(member, theme_part)
        rows.append({"method": "kmeans", "cluster": j, "size": int(member.sum()),
                     "top_terms": _top_terms(centers[j], names, c["top_terms"]),
                     "representative_ids": " ".join(ids[order]),
                     "representative_text": _snippet(texts[order[0]]) if len(order) else "",
                     "top_theme": theme, "theme_share": share, "theme_jaccard": jac,
                     "stability_ari": stability["kmeans"]})
    for j in range(n_topics):
        member = topic_of == j
        order = np.argsort(-W[:, j], kind="stable")[:N_REPRESENTATIVE]
        order = [i for i in order if W[i, j] > 0]
        theme, share, jac = _theme_overlap(member, theme_part)
        rows.append({"method": "nmf", "cluster": j, "size": int(member.sum()),
                     "top_terms": _top_terms(nmf.components_[j], names, c["top_terms"]),
                     "representative_ids": " ".join(ids[order]),
                     "representative_text": _snippet(texts[order[0]]) if order else "",
                     "top_theme": theme, "theme_share": share, "theme_jaccard": jac,
                     "stability_ari": stability["nmf"]})
    if sample is not None:
        criterion += f"; fitted on a sample of {len(sample):,} of {X.shape[0]:,} segments"
    return ClusterResult(labels, topics, pd.DataFrame(rows), k, criterion, silhouettes, stability)


def _snippet(text: str, n: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= n else flat[: n - 1].rstrip() + "…"
