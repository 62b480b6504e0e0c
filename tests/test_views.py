"""HTML views used in the reports: corpus text is always escaped."""

import pandas as pd
import pytest

from analysis.publish import i18n
from analysis.publish.views import highlight, table_html


def test_table_html_escapes_every_cell_and_aligns_numbers():
    html = table_html(pd.DataFrame({"tekst": ["<img src=x onerror=alert(1)>"], "n": [3], "andel": [0.5]}))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "<td class='num'>3</td>" in html and "<td class='num'>0,50</td>" in html  # Danish by default


def test_empty_table_says_so():
    assert "Ingen forskelle" in table_html(pd.DataFrame({"a": []}), empty="Ingen forskelle")


def test_highlight_marks_spans_and_escapes_the_rest():
    text = "Boliger <b>til</b> alle & flere akutboliger"
    out = highlight(text, [(0, 7), (32, 43)])
    assert out == "<mark>Boliger</mark> &lt;b&gt;til&lt;/b&gt; alle &amp; flere <mark>akutboliger</mark>"


def test_supported_differences_keep_supported_pairs_largest_first_in_words_of_the_language():
    from analysis.publish.views import supported_differences

    d = pd.DataFrame({"theme": ["bolig", "sundhed", "bolig"], "unit_a": ["Aarhus · politik"] * 3,
                      "unit_b": ["Odense · politik", "Odense · politik", "Vejle · notat"],
                      "share_a": [0.5, 0.2, 0.5], "share_b": [0.1, 0.1, 0.8],
                      "difference": [0.4, 0.1, -0.3], "ci_low": [0.012, -0.05, -0.52], "ci_high": [0.61, 0.2, -0.1],
                      "supported": [1, 0, 1], "same_doc_type": [1, 1, 0]})
    labels = {"bolig": "Bolig og hjemløshed", "sundhed": "Sundhed"}
    like = supported_differences(d, labels)
    assert like.values.tolist() == [["Bolig og hjemløshed", "Aarhus · politik", "Odense · politik", "50\u00a0%",
                                     "10\u00a0%", "40", "1 til 61"]]
    assert list(like.columns)[-1] == "95\u00a0%-interval"
    every = supported_differences(d, labels, same_type_only=False)
    assert every["unit_b"].tolist() == ["Odense · politik", "Vejle · notat"]
    assert every["same_doc_type"].tolist() == ["ja", "nej"]
    with i18n.using("en"):
        every = supported_differences(d, labels, same_type_only=False)
    assert every.iloc[1].tolist()[3:] == ["50%", "80%", "-30", "-52 to -10", "no"]


def _results_with_validation(test_f1: dict[str, float], real_f1: dict[str, float] | None = None):
    """Results whose validation table has the method in use on the locked test (synthetic
    development text) and, with ``real_f1``, out of fold on the corpus's own coding (real text)."""
    from types import SimpleNamespace

    from analysis.themes.lexicon import load_codebook

    book = load_codebook()
    rows = [{"method": "combined", "theme": k, "split": "test", "n_groups": 15, "n_segments": 210, "f1": f,
             "f1_low": f - 0.1, "f1_high": min(f + 0.05, 1.0), "precision": f, "recall": f, "support": 20,
             "text": "synthetic"} for k, f in test_f1.items()]
    rows += [{"method": "combined", "theme": k, "split": "cv train: corpus", "n_groups": 4, "n_segments": 129,
              "f1": f, "f1_low": f - 0.1, "f1_high": min(f + 0.05, 1.0), "precision": f, "recall": f, "support": 9,
              "text": "real"} for k, f in (real_f1 or {}).items()]
    rows.append({"method": "lexicon", "theme": "bolig", "split": "cv train: corpus", "n_groups": 4,
                 "n_segments": 129, "f1": 0.5, "f1_low": None, "f1_high": None, "precision": 0.5, "recall": 0.5,
                 "support": 40, "text": "real"})
    meta = {"theme_method": "combined", "config": {"themes": {"indicative_below": 0.8}, "compare": {"confidence": 0.95}}}
    results = SimpleNamespace(codebook=book, keys=book.keys, labels=book.labels("da"), meta=meta,
                              validation=pd.DataFrame(rows))
    return results


F1 = {"bolig": 0.91, "sundhed": 0.79, "beskaeftigelse": 0.86, "recovery": 0.80, "faellesskab": 0.7,
      "inddragelse": 0.81, "forebyggelse": 0.6, "koordinering": 0.85, "macro_core": 0.84, "macro_all": 0.79}


def test_measurement_quality_is_judged_on_real_text_where_there_is_any():
    from analysis.publish.views import INDICATIVE, VALIDATED, flag_labels, measurement_note_html, measurement_quality

    # the locked test (synthetic) says every theme is fine; the real text decides
    results = _results_with_validation(dict.fromkeys(F1, 0.95), F1)
    q = measurement_quality(results).set_index("key")
    assert q.loc["sundhed", "status"] == INDICATIVE and q.loc["recovery", "status"] == VALIDATED
    assert q.loc["bolig", ["f1", "f1_low", "f1_high"]].tolist() == pytest.approx([0.91, 0.81, 0.96])
    assert q.loc["bolig", "method"] == "combined"  # the rows of other methods are not the measurement
    assert set(q["text"]) == {"real"}
    note = measurement_note_html(results)  # Danish by default
    assert ("målt på 129 afsnit virkelig tekst (korpussets egen håndkodning, krydsvalideret efter kommune) fra 4 "
            "kommuner, uden for stikprøven") in note
    assert ("markeret som <em>vejledende</em>: Sundhed, psykiatri og misbrug, Fællesskab og civilsamfund og Tidlig "
            "indsats og forebyggelse;") in note
    assert "<td>0,81–0,96</td>" in note and "<td>vejledende</td>" in note and "<td>valideret</td>" in note
    labels = flag_labels(results)
    assert labels["bolig"] == "Bolig og hjemløshed (F1 0,91)"
    assert labels["sundhed"] == "Sundhed, psykiatri og misbrug (F1 0,79, vejledende)"
    with i18n.using("en"):
        results.labels = results.codebook.labels("en")
        note = measurement_note_html(results)
        assert "129 paragraphs of real text (the corpus&#x27;s own hand coding" in note  # escaped
        assert "<td>0.81–0.96</td>" in note and "<td>indicative only</td>" in note
        assert flag_labels(results)["sundhed"].endswith("(F1 0.79, indicative only)")


def test_a_figure_from_synthetic_text_alone_validates_no_theme():
    from analysis.publish.views import INDICATIVE, flag_labels, measurement_note_html, measurement_quality

    results = _results_with_validation(dict.fromkeys(F1, 0.95))
    results.validation = results.validation[results.validation["text"] == "synthetic"]
    q = measurement_quality(results)
    assert (q["status"] == INDICATIVE).all() and set(q["text"]) == {"synthetic"}
    note = measurement_note_html(results)
    assert ("et låst testsæt med 210 afsnit syntetisk udviklingstekst fra 15 kommuner, skrevet i træningstekstens "
            "stemme; på virkelig tekst er målingen ikke prøvet, så alle temaer er vejledende") in note
    assert flag_labels(results)["bolig"] == "Bolig og hjemløshed (F1 0,95, vejledende)"


def test_without_a_locked_test_every_theme_is_indicative():
    from analysis.publish.views import INDICATIVE, measurement_note_html, measurement_quality

    from analysis.publish.views import flag_labels

    results = _results_with_validation({})
    results.validation = results.validation.iloc[:0]
    assert (measurement_quality(results)["status"] == INDICATIVE).all()
    assert "ikke valideret mod et låst testsæt, så alle temaer er vejledende" in measurement_note_html(results)
    assert flag_labels(results)["bolig"] == "Bolig og hjemløshed (ikke valideret, vejledende)"
