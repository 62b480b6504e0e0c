"""The reports' language: one catalogue with every text in Danish and English, Danish number and
date formats, and no key used in code or notebooks that the catalogue lacks."""

import datetime as dt
import json
import re

import pandas as pd
import pytest

from analysis.base.config import load_config
from analysis.base.errors import ConfigError
from analysis.publish import i18n
from conftest import PROJECT


def test_every_key_has_both_languages_with_the_same_fields():
    cat = i18n.catalogue()
    assert len(cat) > 200
    for key, texts in cat.items():
        assert set(texts) == {"da", "en"}, key
        assert i18n._fields(texts["da"]) == i18n._fields(texts["en"]), key


def test_a_catalogue_with_a_missing_translation_or_field_is_refused(tmp_path):
    bad = tmp_path / "messages.yaml"
    bad.write_text('a.b: {da: "Hej {name}"}\nc.d: {da: "Hej {name}", en: "Hello {who}"}\n', encoding="utf-8")
    with pytest.raises(i18n.CatalogueError) as err:
        i18n.catalogue(bad)
    assert "'a.b' must have exactly the languages da, en" in str(err.value)
    assert "'c.d' has different fields per language" in str(err.value)


def test_an_unknown_key_is_an_error_naming_it():
    with pytest.raises(i18n.CatalogueError, match="message 'no.such.key' is not in messages.yaml"):
        i18n.t("no.such.key")


KEY_USE = re.compile(r"""\b(?:t|t_html|say|i18n\.t|i18n\.t_html|i18n\.say)\(\s*f?["']([a-z_0-9.-]+)["']""")


def _sources():
    for path in sorted((PROJECT / "src" / "analysis").rglob("*.py")):
        yield path.relative_to(PROJECT).as_posix(), path.read_text(encoding="utf-8")
    for path in sorted((PROJECT / "notebooks").glob("*.ipynb")):
        book = json.loads(path.read_text(encoding="utf-8"))
        yield path.name, "\n".join("".join(c["source"]) for c in book["cells"])


def test_every_key_used_in_the_code_and_notebooks_is_in_the_catalogue():
    cat = i18n.catalogue()
    used = {(name, key) for name, text in _sources() for key in KEY_USE.findall(text)}
    assert len(used) > 100
    missing = sorted((name, key) for name, key in used if key not in cat and not key.endswith("."))
    assert missing == []


@pytest.mark.parametrize("language, expected", [
    ("da", ["24\u00a0%", "0,86", "1.234,50", "12.345", "-3", "95\u00a0%-interval", "23. november 2026",
            "23. november 2026 kl. 14.05 UTC", "a, b og c", "1 dokument", "5 dokumenter"]),
    ("en", ["24%", "0.86", "1,234.50", "12,345", "-3", "95% interval", "23 November 2026",
            "23 November 2026, 14:05 UTC", "a, b and c", "1 document", "5 documents"]),
])
def test_numbers_dates_and_words_are_written_as_each_language_writes_them(language, expected):
    moment = dt.datetime(2026, 11, 23, 14, 5, tzinfo=dt.timezone.utc)
    with i18n.using(language):
        got = [i18n.pct(0.2424), i18n.num(0.857), i18n.num(1234.5), i18n.integer(12345), i18n.integer(-3),
               i18n.interval_name(0.95), i18n.date(moment), i18n.timestamp(moment.isoformat()),
               i18n.join(["a", "b", "c"]), i18n.count(1, "document"), i18n.count(5, "document")]
    assert got == expected
    assert i18n.language() == "da"  # `using` gives the language back


def test_percentage_points_round_the_difference_not_the_shares():
    assert i18n.points(0.1567) == "16" and i18n.points(-0.0149) == "-1"


def test_the_language_is_a_setting_and_a_wrong_one_is_a_clear_error(tmp_path):
    assert load_config()["reports"]["language"] == "da"
    config = tmp_path / "config.yaml"
    config.write_text("reports:\n  language: fr\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert "setting 'reports.language' is 'fr'" in str(err.value) and "use da or en" in str(err.value)
    with pytest.raises(i18n.CatalogueError, match="language 'fr' is not available; use one of da, en"):
        i18n.use("fr")


def test_tables_show_labels_and_danish_numbers_but_years_stay_plain():
    from analysis.publish.views import table_html

    frame = pd.DataFrame({"municipality": ["Høje-Taastrup"], "year": [2024], "n_tokens": [12345],
                          "f1": [0.857], "own column": ["x"]})
    with i18n.using("da"):
        page = table_html(frame)
        assert "<th>Kommune</th><th>År</th><th>Ord</th><th>F1</th><th>own column</th>" in page
        assert "<td class='num'>2024</td><td class='num'>12.345</td><td class='num'>0,86</td>" in page
        assert "Høje-Taastrup" in page
    with i18n.using("en"):
        page = table_html(frame)
        assert "<th>Municipality</th><th>Year</th><th>Words</th>" in page
        assert "<td class='num'>2024</td><td class='num'>12,345</td><td class='num'>0.86</td>" in page


def test_a_missing_value_does_not_turn_years_and_counts_into_decimals():
    from analysis.publish.views import table_html

    frame = pd.DataFrame({"year": [2024.0, float("nan")], "n_segments": [1234.0, float("nan")], "f1": [0.5, 0.25]})
    with i18n.using("da"):
        page = table_html(frame)
    assert "<td class='num'>2024</td><td class='num'>1.234</td><td class='num'>0,50</td>" in page
    assert "<td class='num'></td><td class='num'></td><td class='num'>0,25</td>" in page


def test_values_filled_into_html_texts_are_escaped():
    with i18n.using("da"):
        text = i18n.t_html("plot.keyness_title", municipality="<b>x</b>")
    assert text == "Kendetegnende ord: &lt;b&gt;x&lt;/b&gt;"
