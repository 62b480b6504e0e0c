"""Clusters and the comparison for a run: what the two add to its segments and tables.

Usage::

    from analysis.compare.run import clusters_and_comparison
    clusters_and_comparison(result, cfg, codebook, cache)  # adds cluster/topic and the comparison tables
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from analysis.base import parallel
from analysis.base.cache import cached, hash_frame
from analysis.base.config import fingerprint
from analysis.base.result import RunResult


def discover_clusters(result: RunResult, cfg: dict, codebook, cache: Path | None = None) -> None:
    """Add KMeans ``cluster`` and NMF ``topic`` columns and the clusters table."""
    _apply_clusters(result, _clusters(result, cfg, codebook, cache))


def _clusters(result: RunResult, cfg: dict, codebook, cache: Path | None):
    from analysis.compare.clusters import cluster_segments

    segments = result.segments
    themes = segments[[f"theme_{k}" for k in codebook.keys]].rename(columns=lambda c: c[len("theme_"):])
    inputs = pd.concat([segments[["segment_id", "lemmas"]], themes], axis=1).reset_index(drop=True)
    key = hashlib.sha256((hash_frame(inputs) + fingerprint({"c": cfg["clusters"], "s": cfg["seed"]})).encode())
    found, _ = cached(cache / "clusters" if cache else None, key.hexdigest()[:20],
                      lambda: cluster_segments(segments, themes.reset_index(drop=True), cfg,
                                               cache / "cluster-fits" if cache else None))
    return found


def _apply_clusters(result: RunResult, found) -> None:
    result.segments["cluster"] = found.labels
    result.segments["topic"] = found.topics
    result.extra["clusters"] = found.table
    result.stats.update({"clusters_k": found.k, "clusters_criterion": found.k_criterion,
                         "clusters_silhouettes": found.silhouettes, "clusters_stability_ari": found.stability})


def compare_municipalities(result: RunResult, cfg: dict, codebook, cache: Path | None = None) -> None:
    """Add the comparison tables: profiles with intervals, differences, similarity, keyness,
    theme terms and co-occurrence (document types as ``compare.doc_types`` selects)."""
    result.extra.update(_comparison(result, cfg, codebook, cache))


def _comparison(result: RunResult, cfg: dict, codebook, cache: Path | None) -> dict:
    from analysis.compare import statistics as compare

    c, keys, seed = cfg["compare"], codebook.keys, cfg["seed"]
    segs, matches = result.segments, result.extra["theme_matches"]
    inputs = segs[["doc_id", "municipality", "doc_type", "segment_id", "n_tokens", "lemmas",
                   *[f"theme_{k}" for k in keys]]]
    key = hashlib.sha256((hash_frame(inputs) + hash_frame(matches) + fingerprint({"c": c, "s": seed}))
                         .encode()).hexdigest()[:20]
    tables, _ = cached(cache / "compare" if cache else None, key,
                       lambda: compare.comparison_tables(segs, matches, keys, c, seed, c["doc_types"] or None,
                                                         cache / "compare-units" if cache else None))
    return tables


def clusters_and_comparison(result: RunResult, cfg: dict, codebook, cache: Path | None = None,
                            jobs: int | None = 1) -> None:
    """:func:`discover_clusters` and :func:`compare_municipalities`; on a large corpus both at once,
    the comparison in a forked process (neither reads what the other adds; the clustering, which
    uses OpenMP, stays in this process)."""
    # never forked beside a Dask client: its threads may hold locks the child would wait on for ever
    overlap = len(result.segments) >= parallel.PARALLEL_MIN_SEGMENTS and parallel.will_fork(jobs, 2)
    tables = parallel.Background(lambda: _comparison(result, cfg, codebook, cache), fork=overlap)
    found = _clusters(result, cfg, codebook, cache)
    result.extra.update(tables.result())
    _apply_clusters(result, found)
