"""The development set: its size and split, its checks, and that the locked test never reaches training."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.base.config import load_config
from analysis.base.errors import InputError
from analysis.themes.devset import assign_split, devset_path, load_devset
from analysis.themes.lexicon import load_codebook

KEYS = load_codebook().keys
DEV = devset_path(load_config(None))


@pytest.fixture(scope="module")
def dev() -> pd.DataFrame:
    return load_devset(DEV, KEYS)


def test_the_shipped_development_set_is_large_varied_and_split_by_municipality(dev):
    assert len(dev) >= 600 and dev["municipality"].nunique() >= 40
    test = dev[dev["split"] == "test"]
    assert len(test) >= 150
    assert not set(test["municipality"]) & set(dev.loc[dev["split"] == "train", "municipality"])
    shipped = {"Gentofte", "Odsherred", "Frederiksberg", "Rødovre"}  # the shipped corpus's municipalities
    assert not shipped & set(dev["municipality"])
    # every kind of hard case, in both splits
    for split in ("train", "test"):
        part = dev[dev["split"] == split]
        assert {"clear", "paraphrase", "trap", "procedural", "list"} <= set(part["kind"])
        assert set("abcdefg") <= set(part["trap_kind"].replace("", np.nan).dropna())
        for k in KEYS:
            assert part[k].sum() >= 10, (split, k)
    assert (dev[KEYS].sum(axis=1) == 0).sum() >= 100  # no-theme segments
    assert dev["text"].str.contains("[æøå]").mean() > 0.9  # Danish letters survive


def test_the_split_is_what_the_seeded_rule_gives(dev):
    """The first 700 segments (no register of their own) were split among their municipalities by
    the seeded rule; each later addition (with a register) among its own new municipalities, 30 %
    to test, the existing splits untouched."""
    raw = pd.read_csv(Path(__file__).resolve().parent.parent / "corpus" / "dev" / "segments.csv", dtype=str,
                      keep_default_na=False)
    first = raw[raw["register"] == ""]
    split = assign_split(first["municipality"], load_config(None)["seed"])
    assert first["municipality"].map(split).tolist() == first["split"].tolist()
    later = raw[raw["register"] != ""].groupby("municipality")["split"].agg(set)
    assert later.map(len).max() == 1 and round((later.map(min) == "test").mean(), 2) == 0.3
    assert not set(raw.loc[raw["register"] == "", "municipality"]) & set(raw.loc[raw["register"] != "", "municipality"])
    assert (raw["split"] == "test").sum() == 280 and len(raw) == 940


def test_no_segment_of_the_shipped_corpus_is_in_the_development_set(dev):
    shipped = pd.read_csv(Path(__file__).resolve().parent.parent / "corpus" / "annotations.csv", dtype=str)
    assert not set(shipped["fingerprint"]) & set(dev["fingerprint"])


def test_the_locked_test_never_reaches_the_training_data(tmp_path):
    """Every fingerprint of the test split stays out of what the method is fitted on."""
    from analysis.pipeline import run_pipeline
    from analysis.themes.measure import score_by_document, theme_features, training_data

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    result = run_pipeline(corpus, tmp_path / "out", progress=False)
    book, cfg = load_codebook(), load_config(None)
    scores, *_ = score_by_document(result.segments, result.tokens, book, 0.5, None, None)
    features = theme_features(result.segments, scores)
    train, test, _, _ = training_data(features, result.segments, cfg, book, corpus, None)
    assert len(test) >= 150 and len(train) >= 600
    assert not set(test.fingerprints) & set(train.fingerprints)
    assert set(test.groups).isdisjoint(train.groups)
    validation = pd.read_csv(tmp_path / "out" / "tables" / "validation.csv")
    assert validation.loc[validation["split"] == "test", "n_segments"].max() == len(test)


def _write(folder: Path, segments: pd.DataFrame, codes: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    segments.to_csv(folder / "segments.csv", index=False)
    codes.to_csv(folder / "annotations.csv", index=False)
    return folder


def test_a_broken_development_set_is_named_by_file_and_line(dev, tmp_path):
    seg = pd.read_csv(DEV / "segments.csv", dtype=str, keep_default_na=False).head(4)
    codes = pd.read_csv(DEV / "annotations.csv", dtype=str, keep_default_na=False)
    codes = codes[codes["segment_id"].isin(seg["segment_id"])]
    bad = seg.copy()
    bad.loc[1, "split"] = "tset"
    bad.loc[2, "municipality"] = bad.loc[3, "municipality"]
    bad.loc[2, "split"], bad.loc[3, "split"] = "train", "test"
    folder = _write(tmp_path / "dev", bad, codes.iloc[:-1])
    with pytest.raises(InputError) as info:
        load_devset(folder, KEYS)
    messages = [str(p) for p in info.value.problems]
    assert f"{folder / 'segments.csv'} line 3: split 'tset'; use train or test" in messages
    assert any("is in both train and test; a municipality's segments belong to one split" in m for m in messages)
    assert any(m.startswith(f"{folder / 'annotations.csv'}: segment {seg.loc[3, 'segment_id']} has no codes")
               for m in messages)


def test_no_development_set_means_none(tmp_path):
    assert load_devset(tmp_path, KEYS) is None


def test_tables_are_made_again_when_the_development_set_changes(tmp_path, corpus):
    import shutil

    from analysis.pipeline import ensure_tables

    dev = tmp_path / "dev"
    shutil.copytree(DEV, dev)
    config = tmp_path / "config.yaml"
    config.write_text(f"themes:\n  dev_set: {dev}\n", encoding="utf-8")
    out = tmp_path / "out"
    first = ensure_tables(corpus, out, config, progress=False)
    assert ensure_tables(corpus, out, config, progress=False) == first  # current: nothing runs
    codes = pd.read_csv(dev / "annotations.csv", dtype=str, keep_default_na=False)
    codes.loc[0, "note"] = "re-coded after review"
    codes.to_csv(dev / "annotations.csv", index=False)
    again = ensure_tables(corpus, out, config, progress=False)
    assert again["annotations_fingerprint"] != first["annotations_fingerprint"]
    assert again["finished"] >= first["finished"]
