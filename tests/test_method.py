"""The theme method in use, on hand-made Danish paragraphs it has never seen: themes written in
everyday words must code, passing mentions must not (the codebook's rules)."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.pipeline import run_pipeline

HERE = Path(__file__).resolve().parent / "fixtures" / "method"

#: Paragraph number in eksempler.txt -> the theme it treats in everyday words.
PARAPHRASES = {1: "bolig", 2: "sundhed", 3: "beskaeftigelse", 4: "recovery", 5: "faellesskab", 6: "inddragelse",
               7: "forebyggelse", 8: "koordinering"}
#: Paragraph number -> (kind of passing mention, themes it names only in passing).
TRAPS = {
    9: ("target-group definition", ["bolig", "sundhed"]),
    10: ("policy areas a policy covers", ["bolig", "sundhed", "beskaeftigelse"]),
    11: ("bullets of single nouns", ["bolig", "sundhed", "faellesskab", "beskaeftigelse"]),
    12: ("list of other plans", ["bolig", "sundhed", "beskaeftigelse"]),
    13: ("name of an administrative unit", ["beskaeftigelse"]),
    14: ("partners named only as parties to coordination", ["bolig", "sundhed", "beskaeftigelse"]),
}
KEYS = ["bolig", "sundhed", "beskaeftigelse", "recovery", "faellesskab", "inddragelse", "forebyggelse",
        "koordinering"]


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> pd.DataFrame:
    corpus = tmp_path_factory.mktemp("method") / "corpus"
    (corpus / "documents").mkdir(parents=True)
    shutil.copy(HERE / "eksempler.txt", corpus / "documents" / "eksempler.txt")
    (corpus / "metadata.csv").write_text("doc_id,file,municipality,doc_type,year,title\n"
                                         "eks,documents/eksempler.txt,Vejle,politik,2022,Eksempler\n", encoding="utf-8")
    result = run_pipeline(corpus, corpus.parent / "out", progress=False)
    # no real text of its own to choose by: the lexicon, fitted on the train pool (not the unfitted fallback)
    assert result.stats["theme_method"] == "lexicon" and "model_from_cache" in result.stats
    return result.segments.set_index("position")


@pytest.mark.parametrize("position, theme", sorted(PARAPHRASES.items()))
def test_a_theme_in_everyday_words_is_coded(coded, position, theme):
    row = coded.loc[position]
    assert row[f"theme_{theme}"] == 1, row["text"]
    assert row[f"score_{theme}"] >= 0.5


@pytest.mark.parametrize("position", sorted(TRAPS))
def test_a_passing_mention_is_not_coded(coded, position):
    kind, themes = TRAPS[position]
    row = coded.loc[position]
    assert [t for t in themes if row[f"theme_{t}"]] == [], f"{kind}: {row['text']}"


def test_partners_in_coordination_code_koordinering(coded):
    assert coded.loc[14, "theme_koordinering"] == 1


def test_procedural_text_codes_nothing(coded):
    row = coded.loc[15]
    assert row["text"].startswith("Politikken blev vedtaget")
    assert sum(row[f"theme_{k}"] for k in KEYS) == 0
