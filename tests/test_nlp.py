"""The Danish pipeline: tokens, case-folded lookup lemmas, compounds, stop words, and the cache."""

import pytest

from analysis.base.config import load_config
from analysis.base.errors import ConfigError
from analysis.nlp.tokens import analyse_documents, build_pipeline, lemmatize_word, stop_words, token_table


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
    ids = {"a": ["a:001", "a:002"], "b": ["b:001"]}
    tokens, stats = analyse_documents(texts, ids, cfg, tmp_path, progress=False)
    assert (stats["parsed"], stats["cached"]) == (2, 0)
    assert tokens.iloc[0][["segment_id", "text", "lemma"]].tolist() == ["a:001", "Boliger", "bolig"]
    again, stats = analyse_documents(texts, ids, cfg, tmp_path, progress=False)
    assert (stats["parsed"], stats["cached"]) == (0, 2)
    assert again.equals(tokens)  # the cached tables are the parsed ones
    texts["b"] = ["Job, uddannelse og fleksjob."]
    tokens, stats = analyse_documents(texts, ids, cfg, tmp_path, progress=False)
    assert (stats["parsed"], stats["cached"]) == (1, 1)
    assert tokens[tokens["segment_id"] == "b:001"]["text"].tolist()[-1] == "fleksjob"
    assert tokens.iloc[0]["lemma"] == "bolig"  # lemmas survive the cache


def test_tokenizer_only_and_full_pipeline_give_the_same_table(cfg, nlp):
    """The blank pipeline's lemmas looked up per distinct form equal the lemmatizer run per token."""
    texts = ["Borgerne får akutboliger, og boligerne er små.", "BOLIGER til alle borgere i Ærø."]
    tokenized = token_table({"d": [nlp.tokenizer(t) for t in texts]}, {"d": ["d:001", "d:002"]}, stop_words(cfg))
    full = token_table({"d": [nlp(t) for t in texts]}, {"d": ["d:001", "d:002"]}, stop_words(cfg))
    assert tokenized.equals(full)
    assert tokenized.groupby("segment_id")["i"].apply(list).tolist() == [list(range(7)), list(range(6))]
    assert tokenized.loc[tokenized["text"] == "akutboliger", "lemma"].tolist() == ["akutbolig"]
