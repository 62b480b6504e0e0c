"""HTML views used in the reports: corpus text is always escaped."""

import pandas as pd

from analysis.views import highlight, table_html


def test_table_html_escapes_every_cell_and_aligns_numbers():
    html = table_html(pd.DataFrame({"tekst": ["<img src=x onerror=alert(1)>"], "n": [3], "andel": [0.5]}))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "<td class='num'>3</td>" in html and "<td class='num'>0.50</td>" in html


def test_empty_table_says_so():
    assert "Ingen forskelle" in table_html(pd.DataFrame({"a": []}), empty="Ingen forskelle")


def test_highlight_marks_spans_and_escapes_the_rest():
    text = "Boliger <b>til</b> alle & flere akutboliger"
    out = highlight(text, [(0, 7), (32, 43)])
    assert out == "<mark>Boliger</mark> &lt;b&gt;til&lt;/b&gt; alle &amp; flere <mark>akutboliger</mark>"


def test_supported_differences_keep_supported_pairs_and_name_themes_in_danish():
    from analysis.views import supported_differences

    d = pd.DataFrame({"theme": ["bolig", "sundhed", "bolig"], "unit_a": ["Aarhus · politik"] * 3,
                      "unit_b": ["Odense · politik", "Odense · politik", "Vejle · notat"],
                      "difference": [0.4, 0.1, 0.3], "supported": [1, 0, 1], "same_doc_type": [1, 1, 0]})
    labels = {"bolig": "Bolig og hjemløshed", "sundhed": "Sundhed"}
    like = supported_differences(d, labels)
    assert like[["theme", "unit_b"]].values.tolist() == [["Bolig og hjemløshed", "Odense · politik"]]
    every = supported_differences(d, labels, same_type_only=False)
    assert every["unit_b"].tolist() == ["Odense · politik", "Vejle · notat"]
