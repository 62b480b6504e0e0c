"""The front page's finding: the largest supported like-with-like differences in words, the method
in two sentences, and a headline figure that stays readable at 98 municipalities."""

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.publish import frontpage
from analysis.publish import i18n
from analysis.themes.lexicon import load_codebook


def _results(differences: pd.DataFrame, f1: dict[str, float], real: bool = True):
    """Results with the method in use out of fold on the corpus's own coding (real text) at ``f1``
    and on the locked test (synthetic) at 0.95; with ``real=False`` the synthetic figures alone."""
    book = load_codebook()
    rows = [{"method": "combined", "theme": k, "split": "test", "n_groups": 15, "n_segments": 210, "f1": 0.95,
             "f1_low": 0.9, "f1_high": 1.0, "precision": 0.95, "recall": 0.95, "support": 20, "text": "synthetic"}
            for k in f1]
    if real:
        rows += [{"method": "combined", "theme": k, "split": "cv train: corpus", "n_groups": 4, "n_segments": 129,
                  "f1": v, "f1_low": v - 0.1, "f1_high": min(v + 0.05, 1.0), "precision": v, "recall": v,
                  "support": 9, "text": "real"} for k, v in f1.items()]
    meta = {"theme_method": "combined", "config": {"themes": {"indicative_below": 0.8},
                                                   "compare": {"confidence": 0.95}}}
    results = SimpleNamespace(codebook=book, keys=book.keys, meta=meta, validation=pd.DataFrame(rows),
                              differences=differences)
    results.labels = book.labels("da")
    return results


F1 = {"bolig": 0.86, "sundhed": 0.87, "beskaeftigelse": 0.89, "recovery": 0.77, "faellesskab": 0.96,
      "inddragelse": 0.67, "forebyggelse": 0.88, "koordinering": 0.83}

DIFFERENCES = pd.DataFrame([
    # theme, unit_a, unit_b, share_a, share_b, difference, ci_low, ci_high, supported, same_doc_type
    ("inddragelse", "Frederiksberg · politik", "Odsherred · politik", 0.2424, 0.0857, 0.1567, 0.012, 0.32, 1, 1),
    ("bolig", "Aarhus · politik", "Odense · politik", 0.10, 0.40, -0.30, -0.45, -0.12, 1, 1),  # B larger: turned
    ("sundhed", "Aarhus · politik", "Vejle · notat", 0.60, 0.05, 0.55, 0.3, 0.7, 1, 0),  # not like with like
    ("koordinering", "Aarhus · politik", "Odense · politik", 0.70, 0.10, 0.60, -0.02, 0.9, 0, 1),  # not supported
    ("faellesskab", "Aarhus · politik", "Odense · politik", 0.30, 0.20, 0.10, 0.01, 0.2, 1, 1),
    ("bolig", "Aarhus · politik", "Vejle · politik", 0.10, 0.35, -0.25, -0.4, -0.1, 1, 1),  # bolig's second: left out
], columns=["theme", "unit_a", "unit_b", "share_a", "share_b", "difference", "ci_low", "ci_high", "supported",
            "same_doc_type"])


def test_the_largest_supported_like_with_like_differences_are_put_in_words():
    results = _results(DIFFERENCES, F1)
    sentences = frontpage.difference_sentences(results)
    nb = "\u00a0"
    assert sentences == [
        f"Bolig og hjemløshed fylder mere hos Odense (politik) end hos Aarhus (politik): 40{nb}% mod 10{nb}% af "
        f"afsnittene, forskel 30 procentpoint, 95{nb}%-interval 12 til 45.",
        f"Inddragelse og mødet med kommunen fylder mere hos Frederiksberg (politik) end hos Odsherred (politik): "
        f"24{nb}% mod 9{nb}% af afsnittene, forskel 16 procentpoint, 95{nb}%-interval 1 til 32. "
        "<span class='weak'>Temaet er kun vejledende (F1 0,67).</span>",
        f"Fællesskab og civilsamfund fylder mere hos Aarhus (politik) end hos Odense (politik): 30{nb}% mod "
        f"20{nb}% af afsnittene, forskel 10 procentpoint, 95{nb}%-interval 1 til 20.",
    ]
    assert len(frontpage.difference_sentences(results, n=2)) == 2
    with i18n.using("en"):
        results.labels = results.codebook.labels("en")
        first = frontpage.difference_sentences(results)[0]
    assert first == ("Housing and homelessness takes up more of Odense (politik) than of Aarhus (politik): 40% vs 10% "
                     "of the paragraphs, difference 30 percentage points, 95% interval 12 to 45.")


def test_corpus_values_in_the_sentences_are_escaped():
    d = DIFFERENCES.head(1).assign(unit_a="<b>Frederiksberg</b> · politik")
    assert "&lt;b&gt;Frederiksberg&lt;/b&gt; (politik)" in frontpage.difference_sentences(_results(d, F1))[0]


def test_the_method_in_two_sentences_names_the_test_the_range_and_the_weak_themes():
    text = frontpage.method_sentences(_results(DIFFERENCES, F1), "02-themes.html")
    assert ("holdt op mod omhyggelig håndkodning på 129 afsnit virkelig tekst (korpussets egen håndkodning, "
            "krydsvalideret efter kommune) fra 4 kommuner, uden for stikprøven") in text
    assert "F1 ligger mellem 0,67 og 0,96 for de enkelte temaer" in text
    assert "markeret som vejledende (Recovery og rehabilitering og Inddragelse og mødet med kommunen)" in text
    assert text.endswith("se <a href='02-themes.html'>temarapporten</a>.")
    assert len(re.findall(r"\. [A-ZÆØÅ]", text)) == 1  # two sentences ("pr. tema" is no sentence end)
    untested = frontpage.method_sentences(_results(DIFFERENCES, {}), "02-themes.html")
    assert "ikke valideret mod et låst testsæt, så alle temaer er vejledende" in untested
    # the synthetic locked test alone (0.95 everywhere) validates nothing, and says so
    synthetic = frontpage.method_sentences(_results(DIFFERENCES, F1, real=False), "02-themes.html")
    assert "et låst testsæt med 210 afsnit syntetisk udviklingstekst fra 15 kommuner" in synthetic
    assert "på virkelig tekst er målingen ikke prøvet, så alle temaer er vejledende" in synthetic


def test_the_headline_figure_keeps_a_row_per_unit_readable_at_98_municipalities():
    import matplotlib.pyplot as plt

    from analysis.corpus.metadata import load_municipalities
    from analysis.publish import plots

    names = sorted(load_municipalities()["municipality"])
    assert len(names) == 98
    rng = np.random.default_rng(1)
    keys = load_codebook().keys
    rows = []
    for name in names:
        for doc_type in ("politik", "strategi"):
            for key in keys:
                share = float(rng.uniform(0, 0.5))
                rows.append((f"{name} · {doc_type}", name, doc_type, key, share, max(0.0, share - 0.1), share + 0.1))
    profiles = pd.DataFrame(rows, columns=["unit", "municipality", "doc_type", "theme", "share_segments",
                                           "segments_ci_low", "segments_ci_high"])
    fig = plots.plot_headline(profiles, keys)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 196
    assert labels[0] == f"{names[0]} · politik" and labels[-1] == f"{names[-1]} · strategi"
    pitch = ax.get_window_extent().height / 196  # pixels per row
    text_height = max(t.get_window_extent().height for t in ax.get_yticklabels())
    assert pitch >= text_height, (pitch, text_height)  # names never overlap
    assert fig.get_size_inches()[1] < 40
    plt.close(fig)


def test_an_interval_end_under_one_point_is_not_written_as_zero():
    assert i18n.points(0.004) == "0,4" and i18n.points(-0.004) == "-0,4" and i18n.points(0.0) == "0"
    assert i18n.points(0.0096) == "1" and i18n.points(float("nan")) == ""
    assert i18n.interval_name(0.975) == "97,5\u00a0%-interval" and i18n.interval_name(0.9) == "90\u00a0%-interval"


def test_coder_pairs_and_flags_in_figures_are_worded_in_the_language():
    from analysis.publish.plots import _flag_apart, coder_label

    assert coder_label("intercoder, corpus (MK vs LH)") == "to kodere, korpusset (MK mod LH)"
    assert coder_label("intercoder, development set (A vs B)") == "to kodere, udviklingssættet (A mod B)"
    with i18n.using("en"):
        assert coder_label("intercoder, corpus (MK vs LH)") == "intercoder, corpus (MK vs LH)"
        assert coder_label("combined") == "model with the codebook lexicon"
    assert _flag_apart("Bolig (inkl. herberg) (F1 0,86)") == "Bolig (inkl. herberg)\n(F1 0,86)"
    assert _flag_apart("Bolig og hjemløshed") == "Bolig og hjemløshed"


def test_a_front_page_that_cannot_be_made_still_lists_the_reports_and_says_why(tmp_path):
    from analysis.publish.reports import NotebookResult, ReportRun, _index_html

    (tmp_path / "01-corpus.html").write_text("x", encoding="utf-8")
    run = ReportRun("20261130-000000", tmp_path, tmp_path / "index.html")
    run.notebooks = [NotebookResult("01-corpus", "Korpusoversigt", tmp_path / "01-corpus.ipynb",
                                    html=tmp_path / "01-corpus.html", size_mb=0.3),
                     NotebookResult("02-themes", "Temaer", tmp_path / "02-themes.ipynb", error="cell 3 failed")]
    run.meta = {"finished": "2026-11-30T00:00:00+00:00", "corpus": "/x/<corpus>", "corpus_fingerprint": "abc",
                "n_documents": 5, "n_skipped": 0, "n_municipalities": 4, "n_segments": 129,
                "codebook_version": "2026.11-1", "theme_method": "combined", "git_commit": "f00", "versions": {},
                "language": "da"}
    page = _index_html(run, tmp_path / "no-tables", None)  # no tables: the finding cannot be made
    assert "href='01-corpus.html'>Korpusoversigt</a>" in page and "<strong>fejlede</strong> (cell 3 failed)" in page
    assert "/x/&lt;corpus&gt;" in page and "30. november 2026 kl. 00.00 UTC" in page
    assert len(run.warnings) == 1 and "the front page's finding could not be made (FileNotFoundError" in run.warnings[0]
    assert i18n.language() == "da"
