"""Bottom-up clustering: choice of k, description of clusters, stability, determinism."""

import numpy as np
import pandas as pd
import pytest

from analysis.base.config import load_config
from analysis.compare.clusters import cluster_segments

TOPICS = {
    "bolig": "bolig akutbolig herberg hjemløshed husleje lejlighed",
    "job": "job fleksjob løntilskud arbejdsmarked uddannelse praktik",
    "sundhed": "psykiatri misbrug læge sygeplejerske behandling tandpleje",
}


def _segments(n_per=10, seed=0):
    rng = np.random.default_rng(seed)
    rows, themes = [], []
    for name, words in TOPICS.items():
        vocab = words.split()
        for i in range(n_per):
            lemmas = " ".join(rng.choice(vocab, size=6)) + " plan"
            rows.append({"segment_id": f"{name}:{i:03d}", "text": f"Tekst om {name} {i}", "lemmas": lemmas})
            themes.append({"bolig": int(name == "bolig"), "beskaeftigelse": int(name == "job"),
                           "sundhed": int(name == "sundhed")})
    rows.append({"segment_id": "tom:001", "text": "1. 2. 3.", "lemmas": ""})
    themes.append({"bolig": 0, "beskaeftigelse": 0, "sundhed": 0})
    return pd.DataFrame(rows), pd.DataFrame(themes)


@pytest.fixture
def cfg():
    return load_config(None)


def test_three_planted_topics_are_found_and_named(cfg):
    segments, themes = _segments()
    result = cluster_segments(segments, themes, cfg)
    assert result.k == 3 and result.k_criterion.startswith("best cosine silhouette")
    assert result.labels[-1] == -1  # a segment without content words is not clustered
    km = result.table[result.table["method"] == "kmeans"]
    assert sorted(km["size"]) == [10, 10, 10]
    assert sorted(km["top_theme"]) == ["beskaeftigelse", "bolig", "sundhed"]
    assert (km["theme_share"] == 1.0).all() and (km["theme_jaccard"] == 1.0).all()
    bolig = km[km["top_theme"] == "bolig"].iloc[0]
    assert set(bolig["top_terms"].split(", ")[:3]) <= set(TOPICS["bolig"].split())
    assert all(i.startswith("bolig:") for i in bolig["representative_ids"].split())
    assert result.stability["kmeans"] == 1.0
    assert set(result.table["method"]) == {"kmeans", "nmf"}


def test_fixed_k_and_determinism(cfg):
    segments, themes = _segments(seed=1)
    cfg = {**cfg, "clusters": {**cfg["clusters"], "n_clusters": 4, "n_topics": 2}}
    a = cluster_segments(segments, themes, cfg)
    b = cluster_segments(segments, themes, cfg)
    assert a.k == 4 and a.k_criterion == "fixed in config"
    assert (a.table["method"] == "nmf").sum() == 2
    assert (a.labels == b.labels).all() and a.table.equals(b.table)
    assert -1 <= a.stability["nmf"] <= 1


def test_segments_that_share_no_word_are_reported_not_crashed(cfg):
    words = ["bolig", "misbrug", "fleksjob", "recovery", "netværk", "borgerråd"]
    segments = pd.DataFrame({"segment_id": [f"d:{i:03d}" for i in range(6)], "text": words, "lemmas": words})
    themes = pd.DataFrame({"bolig": [1, 0, 0, 0, 0, 0]})
    result = cluster_segments(segments, themes, cfg)  # min_df=2 prunes every term
    assert result.k == 0 and result.k_criterion == "no shared vocabulary"
    assert result.table.empty and (result.labels == -1).all()


def test_fewer_terms_than_clusters_gives_as_many_topics_as_terms(cfg):
    lemmas = ["bolig", "bolig", "bolig x", "y", "bolig z"]  # pruning (min_df=2) leaves one term
    segments = pd.DataFrame({"segment_id": [f"d:{i:03d}" for i in range(5)], "text": lemmas, "lemmas": lemmas})
    result = cluster_segments(segments, pd.DataFrame({"bolig": [1, 1, 1, 0, 1]}), cfg)
    assert len(result.table[result.table["method"] == "nmf"]) == 1
    assert (result.k, result.k_criterion) == (2, "2 distinct segments, too few to choose k in 3..10")
    labels = list(result.labels)
    assert labels[0] == labels[1] == labels[2] == labels[4] != labels[3]  # "y" keeps no term: alone


def test_segments_with_the_same_words_are_not_clustered(cfg):
    lemmas = ["bolig hjemløshed"] * 12
    segments = pd.DataFrame({"segment_id": [f"d:{i:03d}" for i in range(12)], "text": lemmas, "lemmas": lemmas})
    result = cluster_segments(segments, pd.DataFrame({"bolig": [1] * 12}), cfg)
    assert (result.k, result.k_criterion) == (0, "every segment has the same words")


def test_a_large_corpus_is_fitted_on_a_sample_and_every_segment_assigned(cfg):
    segments, themes = _segments(n_per=20, seed=2)
    small = {**cfg, "clusters": {**cfg["clusters"], "sample_size": 30}}
    result = cluster_segments(segments, themes, small)
    assert result.k_criterion.endswith("fitted on a sample of 30 of 60 segments")
    assert (result.labels[:-1] >= 0).all() and result.labels[-1] == -1  # every segment with words assigned
    assert (result.topics[:-1] >= 0).all()
    km = result.table[result.table["method"] == "kmeans"]
    assert km["size"].sum() == 60 and result.k == 3
    assert sorted(km["top_theme"]) == ["beskaeftigelse", "bolig", "sundhed"]
    again = cluster_segments(segments.sample(frac=1, random_state=0).reset_index(drop=True), themes, small)
    # The sample is chosen by segment id, not by row order.
    assert again.k_criterion == result.k_criterion and again.k == result.k


def test_the_fit_is_reused_while_the_sample_is_unchanged(cfg, tmp_path, monkeypatch):
    import analysis.compare.clusters as clusters
    from analysis.compare.clusters import sample_rows

    segments, themes = _segments(n_per=20, seed=3)
    small = {**cfg, "clusters": {**cfg["clusters"], "sample_size": 30}}
    fits = []
    real = clusters._fit
    monkeypatch.setattr(clusters, "_fit", lambda *a: fits.append(1) or real(*a))
    first = cluster_segments(segments, themes, small, cache=tmp_path)
    in_sample = set(sample_rows(segments["segment_id"][:-1], 30, small["seed"]))
    outside = next(i for i in range(60) if i not in in_sample)
    inside = next(iter(in_sample))

    changed = segments.copy()
    changed.loc[outside, "lemmas"] = TOPICS["bolig"]  # a segment outside the sample now about housing
    again = cluster_segments(changed, themes, small, cache=tmp_path)
    assert len(fits) == 1  # the fit was reused, the segments assigned again
    bolig = first.labels[[i for i in range(60) if segments.loc[i, "segment_id"].startswith("bolig")][0]]
    assert again.labels[outside] == bolig and again.k == first.k

    changed.loc[inside, "lemmas"] = "helt nye ord i prøven"
    cluster_segments(changed, themes, small, cache=tmp_path)
    assert len(fits) == 2  # the sample changed: fitted again
