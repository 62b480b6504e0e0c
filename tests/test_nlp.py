"""The Danish pipeline: tokens, case-folded lookup lemmas, compounds, stop words, and the cache."""

import pytest

from analysis.config import load_config
from analysis.errors import ConfigError
from analysis.nlp import build_pipeline, lemmatize_word, parse_documents, stop_words, token_table


@pytest.fixture(scope="module")
def cfg():
    return load_config(None)


@pytest.fixture(scope="module")
def nlp(cfg):
    return build_pipeline(cfg)[0]


@pytest.mark.parametrize(
    "word, lemma",
    [
        ("Borgerne", "borger"),  # sentence-initial capital
        ("BOLIGER", "bolig"),
        ("boligerne", "bolig"),
        ("akutboliger", "akutbolig"),  # compound not in the table: by its tail
        ("beskæftigelsesindsatsen", "beskæftigelsesindsats"),
        ("misbrugere", "misbruger"),
        ("fællesskaber", "fællesskab"),
        ("sundt", "sund"),
        ("Sundby", "sundby"),  # a place name is left alone
    ],
)
def test_lemmas(word, lemma):
    assert lemmatize_word(word) == lemma


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("Det gælder bl.a. borgere jf. § 85 i serviceloven.", ["Det", "gælder", "bl.a.", "borgere", "jf.", "§", "85", "i", "serviceloven", "."]),
        ("Tilbud f.eks. på Østerbro, Nørrebro og Ærø.", ["Tilbud", "f.eks.", "på", "Østerbro", ",", "Nørrebro", "og", "Ærø", "."]),
        ("recovery-orienteret rehabilitering", ["recovery-orienteret", "rehabilitering"]),
    ],
)
def test_danish_tokenization(nlp, text, tokens):
    assert [t.text for t in nlp(text)] == tokens


def test_token_table_content_lemmas_leave_out_stop_and_domain_words(cfg, nlp):
    text = "Borgerne i Gentofte Kommune får bl.a. akutboliger jf. § 85."
    docs = {"d": [nlp(text)]}
    table = token_table(docs, {"d": ["d:001"]}, stop_words(cfg))
    assert list(table["text"]) == ["Borgerne", "i", "Gentofte", "Kommune", "får", "bl.a.", "akutboliger", "jf."]
    assert list(table.loc[table["content"], "lemma"]) == ["akutbolig"]
    row = table[table["text"] == "akutboliger"].iloc[0]
    assert text[row["start"]:row["end"]] == "akutboliger"


def test_unknown_trained_pipeline_is_a_config_error(cfg):
    bad = {**cfg, "nlp": {**cfg["nlp"], "model": "da_core_news_xx"}, "_path": "my.yaml"}
    with pytest.raises(ConfigError, match="my.yaml: spaCy pipeline 'da_core_news_xx' is not installed"):
        build_pipeline(bad)


def test_cache_reparses_only_the_changed_document(cfg, tmp_path):
    texts = {"a": ["Boliger til alle.", "Sundhed for alle."], "b": ["Job og uddannelse."]}
    docs, stats = parse_documents(texts, cfg, tmp_path, progress=False)
    assert stats == {"parsed": 2, "cached": 0}
    assert docs["a"][0][0].lemma_ == "bolig"
    _, stats = parse_documents(texts, cfg, tmp_path, progress=False)
    assert stats == {"parsed": 0, "cached": 2}
    texts["b"] = ["Job, uddannelse og fleksjob."]
    docs, stats = parse_documents(texts, cfg, tmp_path, progress=False)
    assert stats == {"parsed": 1, "cached": 1}
    assert [t.text for t in docs["b"][0]][-2:] == ["fleksjob", "."]
    assert docs["a"][0][0].lemma_ == "bolig"  # lemmas survive the cache
