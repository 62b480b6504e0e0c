"""The real-text check set: kept without its text, texts put back only when they are the coded
ones, and never in the training data."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.base.errors import InputError
from analysis.themes.checkset import attach_texts, describe, load_check_set, text_hash

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["bolig", "sundhed"]
ROWS = [{"id": "A-001", "url": "https://example.dk/udsatte", "register": "policy", "municipality": "Vejle",
         "text": "Kommunen  vil skabe flere\nskæve boliger til borgere i hjemløshed."},
        {"id": "A-002", "url": "https://example.dk/udsatte", "register": "policy", "municipality": "Vejle",
         "text": "Rådet holder fire møder om året. Næste møde er 3. marts."}]


def _write(folder: Path) -> None:
    describe(ROWS, seed=7).to_csv(folder / "paragraphs.csv", index=False)
    pd.DataFrame({"id": ["A-001", "A-002"], "bolig": [1, 0], "sundhed": [0, 0]}).to_csv(folder / "annotations.csv",
                                                                                        index=False)


def test_the_project_keeps_first_words_counts_and_hashes_never_the_text(tmp_path):
    table = describe(ROWS, seed=7)
    assert list(table.columns) == ["id", "url", "register", "municipality", "first_words", "n_words", "sha256",
                                   "fingerprint", "half"]
    assert table["first_words"].tolist() == ["Kommunen vil skabe flere skæve", "Rådet holder fire møder om"]
    assert table["n_words"].tolist() == [10, 11]
    assert text_hash("skæve  boliger\n") == text_hash("skæve boliger")  # whitespace does not count
    assert text_hash("skæve boliger") != text_hash("skæve bolig")
    _write(tmp_path)
    stored = (tmp_path / "paragraphs.csv").read_text(encoding="utf-8")
    assert "hjemløshed" not in stored and "skæve" in stored  # five words to find it, not the paragraph


def test_texts_are_put_back_only_when_they_are_the_coded_ones(tmp_path):
    import json

    _write(tmp_path)
    labels = load_check_set(tmp_path, KEYS)
    texts = tmp_path / "texts.jsonl"
    texts.write_text("\n".join(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) for r in ROWS),
                     encoding="utf-8")
    frame = attach_texts(labels, texts)
    assert frame["text"].iat[0].endswith("hjemløshed.") and frame["bolig"].tolist() == [1, 0]
    texts.write_text(json.dumps({"id": "A-001", "text": "Kommunen vil skabe flere boliger."}, ensure_ascii=False),
                     encoding="utf-8")
    with pytest.raises(InputError) as err:
        attach_texts(labels, texts)
    assert str(err.value.problems[0]) == (
        f"{texts}: paragraph A-001 is not the text that was coded (it begins 'Kommunen vil skabe flere boliger.', "
        "the coded one 'Kommunen vil skabe flere skæve'); copy the paragraph again from https://example.dk/udsatte")


def test_a_check_set_with_bad_codes_names_the_file_and_line(tmp_path):
    _write(tmp_path)
    pd.DataFrame({"id": ["A-001", "A-002"], "bolig": [1, 2], "sundhed": [0, 0]}).to_csv(tmp_path / "annotations.csv",
                                                                                        index=False)
    with pytest.raises(InputError) as err:
        load_check_set(tmp_path, KEYS)
    assert str(err.value.problems[0]) == (f"{tmp_path / 'annotations.csv'} line 3: theme column(s) bolig not 0 or 1; "
                                          "code every theme as 0 or 1")


def test_no_check_set_or_locked_test_paragraph_is_in_the_training_text():
    from analysis.base.config import load_config
    from analysis.themes.annotations import load_annotations
    from analysis.themes.devset import load_devset
    from analysis.themes.lexicon import load_codebook

    keys = load_codebook().keys
    check = load_check_set(ROOT / "eval" / "realtext", keys)
    assert check is not None and len(check) >= 250 and check["url"].nunique() >= 60
    dev = load_devset(ROOT / load_config(None)["themes"]["dev_set"], keys)
    corpus = load_annotations(ROOT / "corpus" / "annotations.csv", keys)
    train = set(dev.loc[dev["split"] == "train", "fingerprint"]) | set(corpus["fingerprint"])
    assert not set(check["fingerprint"]) & train
    assert not set(dev.loc[dev["split"] == "test", "fingerprint"]) & train
    # the two coders coded every paragraph
    coders = pd.read_csv(ROOT / "eval" / "realtext" / "annotations_coders.csv", dtype={"id": str})
    assert coders.groupby("id")["coder"].nunique().eq(2).all() and set(coders["id"]) == set(check["id"])


def test_recorded_figures_count_only_for_the_fit_they_were_made_for(tmp_path):
    from analysis.base.config import load_config
    from analysis.themes.checkset import SCORES, check_set_fingerprint, record_key, recorded_scores

    cfg = load_config(None)
    key = record_key("book1", "codes1", cfg)
    assert key != record_key("book2", "codes1", cfg) != record_key("book1", "codes2", cfg)
    other = load_config(None)
    other["themes"]["lexicon_threshold"] = 0.6
    assert record_key("book1", "codes1", other) != key  # another setting: another fit
    assert recorded_scores(tmp_path, key) is None and check_set_fingerprint(tmp_path) == "-"
    pd.DataFrame({"key": [key, "elsewhere"], "method": ["lexicon", "lexicon"], "theme": ["bolig", "bolig"],
                  "split": ["check set"] * 2, "f1": [0.87, 0.5], "text": ["real"] * 2}).to_csv(tmp_path / SCORES,
                                                                                           index=False)
    rows = recorded_scores(tmp_path, key)
    assert rows["f1"].tolist() == [0.87] and "key" not in rows
    assert recorded_scores(tmp_path, record_key("book2", "codes1", cfg)) is None
    assert len(check_set_fingerprint(tmp_path)) == 16


def test_the_reports_judge_by_the_check_set_before_the_corpus_coding():
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_views import F1, _results_with_validation

    from analysis.publish.views import basis_words, figure_basis, measurement_quality

    results = _results_with_validation(dict.fromkeys(F1, 0.95), dict.fromkeys(F1, 0.9))
    check = pd.DataFrame([{"method": "combined", "theme": k, "split": "check set", "n_groups": 79,
                           "n_segments": 262, "f1": f, "precision": f, "recall": f, "support": 30, "text": "real"}
                          for k, f in F1.items()])
    results.validation = pd.concat([results.validation, check], ignore_index=True)
    assert figure_basis(results)["split"] == "check set"
    assert measurement_quality(results).set_index("key").loc["forebyggelse", "f1"] == 0.6  # not the corpus's 0.9
    assert basis_words(results).startswith("262 afsnit virkelig tekst fra 79 offentlige danske sider (tjeksættet")


def test_the_check_set_is_split_by_page_into_a_tuning_and_a_locked_half():
    from analysis.themes.checkset import assign_halves

    urls = [f"https://example.dk/side-{i}" for i in range(40)]
    halves = assign_halves(urls + urls[:5], seed=7)
    assert sorted(halves) == sorted(urls) and list(halves.values()).count("locked") == 20
    assert assign_halves(urls, seed=7) == halves and assign_halves(urls, seed=8) != halves
    table = describe(ROWS, seed=7)
    assert table["half"].nunique() == 1  # one page: one half
    # the shipped set: the halves are fixed in paragraphs.csv, whole pages on one side
    from analysis.themes.lexicon import load_codebook

    shipped = load_check_set(ROOT / "eval" / "realtext", load_codebook().keys)
    assert set(shipped["half"]) == {"tuning", "locked"}
    assert shipped.groupby("url")["half"].nunique().max() == 1
    assert abs((shipped["half"] == "locked").sum() - len(shipped) / 2) < len(shipped) / 5
