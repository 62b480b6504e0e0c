"""Comparison statistics: bootstrap profiles, differences, keyness, similarity, co-occurrence, KWIC."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.compare import statistics as compare

KEYS = ["bolig", "sundhed"]


def _segments():
    rows = []
    # Aarhus politik: 2 documents, bolig in 6 of 8 segments; Odense politik: bolig in 1 of 8; Vejle notat.
    plan = {("Aarhus", "politik", "a1"): [1, 1, 1, 0], ("Aarhus", "politik", "a2"): [1, 1, 1, 0],
            ("Odense", "politik", "o1"): [0, 0, 0, 0], ("Odense", "politik", "o2"): [1, 0, 0, 0],
            ("Vejle", "notat", "v1"): [1, 1, 0, 0]}
    for (muni, doc_type, doc), flags in plan.items():
        for i, flag in enumerate(flags):
            rows.append({"doc_id": doc, "municipality": muni, "doc_type": doc_type, "segment_id": f"{doc}:{i:03d}",
                         "n_tokens": 10 + i, "theme_bolig": flag, "theme_sundhed": int(i == 3),
                         "lemmas": "bolig akutbolig" if flag else "møde budget", "text": f"Tekst {doc} {i}",
                         "section": "", "year": 2020})
    return pd.DataFrame(rows)


def test_profiles_pool_documents_of_one_type_with_intervals():
    prof = compare.theme_profiles(_segments(), KEYS, n_boot=500, seed=3)
    assert sorted(prof["unit"].unique()) == ["Aarhus · politik", "Odense · politik", "Vejle · notat"]
    row = prof[(prof["unit"] == "Aarhus · politik") & (prof["theme"] == "bolig")].iloc[0]
    assert row["share_segments"] == 0.75 and row["n_documents"] == 2 and row["n_segments"] == 8
    tokens = np.array([10, 11, 12, 13] * 2)
    assert row["share_tokens"] == round(float((tokens * [1, 1, 1, 0, 1, 1, 1, 0]).sum() / tokens.sum()), 4)
    assert row["segments_ci_low"] <= 0.75 <= row["segments_ci_high"]
    assert 0 <= row["segments_ci_low"] < row["segments_ci_high"] <= 1
    again = compare.theme_profiles(_segments(), KEYS, n_boot=500, seed=3)
    assert prof.equals(again)  # seeded
    only = compare.theme_profiles(_segments(), KEYS, doc_types=["notat"], n_boot=50, seed=3)
    assert only["unit"].unique().tolist() == ["Vejle · notat"]


def test_differences_flag_supported_and_like_with_like():
    diff = compare.theme_differences(_segments(), KEYS, n_boot=1000, seed=1)
    row = diff[(diff["theme"] == "bolig") & (diff["unit_a"] == "Aarhus · politik")
               & (diff["unit_b"] == "Odense · politik")].iloc[0]
    assert row["difference"] == 0.625 and row["same_doc_type"] == 1
    assert row["supported"] == int(row["ci_low"] > 0)
    assert row["ci_low"] > 0  # 6/8 against 1/8 is clear even with 8 segments each
    other = diff[(diff["unit_a"] == "Aarhus · politik") & (diff["unit_b"] == "Vejle · notat")]
    assert set(other["same_doc_type"]) == {0}
    same = diff[(diff["theme"] == "sundhed") & (diff["unit_a"] == "Aarhus · politik")
                & (diff["unit_b"] == "Odense · politik")].iloc[0]
    assert same["difference"] == 0 and same["supported"] == 0


def test_keyness_g2_and_log_ratio_on_a_hand_made_example():
    segs = pd.DataFrame({"municipality": ["A", "B"], "doc_type": "politik",
                         "lemmas": [" ".join(["bolig"] * 10 + ["ord"] * 90), " ".join(["bolig"] * 10 + ["ord"] * 990)]})
    table = compare.keyness(segs, min_freq=3)
    row = table[table["municipality"] == "A"].set_index("lemma").loc["bolig"]
    e_a, e_b = 100 * 20 / 1100, 1000 * 20 / 1100
    g2 = 2 * (10 * math.log(10 / e_a) + 10 * math.log(10 / e_b))
    assert row["g2"] == pytest.approx(g2, abs=1e-3)
    assert row["log_ratio"] == pytest.approx(math.log2(10), abs=1e-3)
    assert (row["freq"], row["freq_rest"], row["per_10k"], row["per_10k_rest"]) == (10, 10, 1000.0, 100.0)
    assert "ord" not in set(table.loc[table["municipality"] == "A", "lemma"])  # under-represented


def test_similarity_and_linkage():
    table, linkages = compare.similarity(_segments(), KEYS)
    diag = table[table["unit_a"] == table["unit_b"]]
    assert np.allclose(diag["cosine_themes"], 1.0) and np.allclose(diag["cosine_words"], 1.0)
    units, matrix = linkages["themes"]
    assert units == ["Aarhus · politik", "Odense · politik", "Vejle · notat"] and matrix.shape == (2, 4)


def test_cooccurrence_counts():
    co = compare.cooccurrence(_segments(), KEYS).set_index(["theme_a", "theme_b"])
    assert co.loc[("bolig", "bolig"), "segments"] == 9
    assert co.loc[("bolig", "sundhed"), "segments"] == 0
    assert co.loc[("sundhed", "sundhed"), "segments"] == 5


def test_kwic_of_a_word_and_of_a_theme_escapes_text():
    segs = pd.DataFrame({"segment_id": ["d:001"], "doc_id": "d", "municipality": "Aalborg", "doc_type": "notat",
                         "year": 2022, "section": "", "text": ["Citat: <script>x</script> om akutboliger i byen."],
                         "theme_bolig": [1]})
    tokens = pd.DataFrame({"segment_id": ["d:001"], "start": [29], "end": [40], "lower": ["akutboliger"],
                           "lemma": ["akutbolig"]})
    lines = compare.kwic(segs, tokens, term="akutbolig", window=20)
    assert lines[["left", "match", "right"]].values.tolist() == [["cript>x</script> om ", "akutboliger", " i byen."]]
    assert len(compare.kwic(segs, tokens, term="akut*")) == 1
    occ = pd.DataFrame({"segment_id": ["d:001"], "theme": ["bolig"], "start": [29], "end": [40]})
    assert compare.kwic(segs, theme="bolig", occurrences=occ)["match"].tolist() == ["akutboliger"]
    from analysis.publish.views import kwic_html

    html = kwic_html(compare.kwic(segs, tokens, term="akutboliger", window=40))
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert "<mark>akutboliger</mark>" in html


def test_bootstrap_interval_of_a_document_without_variation_is_a_point():
    prof = compare.theme_profiles(_segments(), KEYS, by="doc_id", n_boot=200, seed=1)
    o1 = prof[(prof["unit"] == "o1") & (prof["theme"] == "bolig")].iloc[0]
    assert (o1["share_segments"], o1["segments_ci_low"], o1["segments_ci_high"]) == (0.0, 0.0, 0.0)
    a1 = prof[(prof["unit"] == "a1") & (prof["theme"] == "sundhed")].iloc[0]
    assert a1["share_segments"] == 0.25 and a1["segments_ci_low"] == 0.0 and a1["segments_ci_high"] >= 0.5


def test_a_typo_in_doc_types_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown document type\(s\) 'politk' in doc_types; use some of politik"):
        compare.theme_profiles(_segments(), KEYS, doc_types=["politk"], n_boot=10)


def test_empty_selection_gives_empty_tables_with_their_columns():
    segs = _segments()
    none = segs[segs["doc_type"] == "forslag"]
    prof = compare.theme_profiles(none, KEYS, n_boot=10)
    assert prof.empty and list(prof.columns) == compare.PROFILE_COLUMNS
    assert compare.theme_differences(none, KEYS, n_boot=10).empty
    table, linkages = compare.similarity(none, KEYS)
    assert table.empty and linkages == {"themes": None, "words": None}
    assert compare.keyness(none).empty
    assert compare.cooccurrence(none, KEYS)["segments"].sum() == 0


def test_units_without_words_are_left_out_of_keyness_without_warnings():
    segs = _segments()
    segs.loc[segs["municipality"] == "Vejle", "lemmas"] = ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = compare.keyness(segs, min_freq=1)
        sim, _ = compare.similarity(segs.assign(lemmas=""), KEYS)
    assert "Vejle" not in set(table["municipality"]) and {"Aarhus", "Odense"} <= set(table["municipality"])
    assert sim.loc[sim["unit_a"] == sim["unit_b"], "cosine_words"].eq(1.0).all()


def test_intervals_of_a_unit_do_not_move_when_other_units_are_added_or_filtered():
    segs = _segments()
    alone = compare.theme_profiles(segs[segs["municipality"] == "Aarhus"], KEYS, n_boot=300, seed=9)
    together = compare.theme_profiles(segs, KEYS, n_boot=300, seed=9)
    pd.testing.assert_frame_equal(alone.reset_index(drop=True),
                                  together[together["municipality"] == "Aarhus"].reset_index(drop=True))
    other_seed = compare.theme_profiles(segs[segs["municipality"] == "Aarhus"], KEYS, n_boot=300, seed=10)
    assert not other_seed["segments_ci_high"].equals(alone["segments_ci_high"]) or \
        not other_seed["tokens_ci_low"].equals(alone["tokens_ci_low"])
