"""The codebook lexicon: compounds, exact words, phrases, exclusions, scores, codebook errors."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.base.config import load_config
from analysis.base.errors import ConfigError
from analysis.nlp.tokens import build_pipeline, stop_words, token_table
from analysis.themes.lexicon import load_codebook, score_from_evidence, score_themes


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline(load_config(None))[0]


def measure(texts: list[str], codebook, nlp, sections=None):
    ids = [f"d:{i:03d}" for i in range(1, len(texts) + 1)]
    tokens = token_table({"d": [nlp(t) for t in texts]}, {"d": ids}, stop_words(load_config(None)))
    segments = pd.DataFrame({"segment_id": ids, "section": sections or [""] * len(texts), "text": texts,
                             "n_tokens": tokens.groupby("segment_id").size().reindex(ids, fill_value=0).to_numpy()})
    return score_themes(segments, tokens, codebook)


def matched(text: str, theme: str, codebook, nlp) -> list[str]:
    _, matches, _ = measure([text], codebook, nlp)
    return list(matches.loc[matches["theme"] == theme, "surface"])


def test_the_eight_themes_with_labels(codebook):
    assert codebook.keys == ["bolig", "sundhed", "beskaeftigelse", "recovery", "faellesskab", "inddragelse",
                             "forebyggelse", "koordinering"]
    assert codebook.core_keys == ["bolig", "sundhed", "beskaeftigelse", "recovery"]
    assert codebook.labels("da")["beskaeftigelse"] == "Beskæftigelse og uddannelse"
    assert codebook.labels("en")["inddragelse"] == "Participation and the citizen's meeting with the municipality"


@pytest.mark.parametrize(
    "text, theme, surface",
    [
        ("Der er behov for flere akutboliger.", "bolig", "akutboliger"),
        ("Den boligsociale indsats styrkes.", "bolig", "boligsociale"),
        ("Vi tilbyder beskæftigelsesrettede tilbud.", "beskaeftigelse", "beskæftigelsesrettede"),
        ("Kommunen styrker beskæftigelsesindsatsen.", "beskaeftigelse", "beskæftigelsesindsatsen"),
        ("Misbrugsbehandling skal være let tilgængelig.", "sundhed", "misbrugsbehandling"),
        ("Vi vil have en sundhedsfremmende indsats.", "sundhed", "sundhedsfremmende"),
        ("Flere borgere kommer i fleksjob.", "beskaeftigelse", "fleksjob"),
        ("Alkoholmisbrug rammer mange.", "sundhed", "alkoholmisbrug"),
        ("Borgeren skal mestre eget liv.", "recovery", "mestre"),
        ("Vi arbejder med Housing First.", "bolig", "housing first"),
        ("Unge, der bor på gaden, skal have hjælp.", "bolig", "gaden"),
        ("Det er sundt at dyrke motion.", "sundhed", "sundt"),
        ("Hjemløsetællingen viser et fald.", "bolig", "hjemløsetællingen"),
    ],
)
def test_compounds_and_inflections_match(text, theme, surface, codebook, nlp):
    assert surface in matched(text, theme, codebook, nlp)


@pytest.mark.parametrize(
    "text, theme",
    [
        ("Han læser en bog på biblioteket.", "bolig"),  # "bo" must not hit "bog"
        ("Tilbuddet ligger i Sundby.", "sundhed"),  # "sund" must not hit "Sundby"
        ("Rådet skal beskæftige sig med mange spørgsmål.", "beskaeftigelse"),  # the verb is not employment
        ("Vi arbejder for et godt samarbejde med foreningerne.", "beskaeftigelse"),
        ("Der er en risikovurdering.", "bolig"),
    ],
)
def test_negative_cases_do_not_match(text, theme, codebook, nlp):
    assert matched(text, theme, codebook, nlp) == []


@pytest.mark.parametrize(
    "text, theme, rule",
    [
        ("Statusrapportering fremlægges for Social- og Sundhedsudvalget.", "sundhed", "committees and departments"),
        ("Dialoger med deltagelse af Job og Ydelser og Sundhed og Omsorg.", "beskaeftigelse", "named administrative units"),
        ("Politikken omhandler hjemløse, stofmisbrugere, sindslidende og prostituerede.", "bolig",
         "target-group enumerations"),
        ("Fokusområdet understøttes af følgende kommunale planer og indsatser: Sundhedspolitikken, "
         "Den Boligsociale Masterplan, beskæftigelsesindsatsen", "beskaeftigelse", "lists of other plans"),
        ("Repræsentant fra en af kommunens udlejningsboliger", "bolig", "council membership"),
    ],
)
def test_passing_mentions_are_excluded(text, theme, rule, codebook, nlp):
    scores, matches, excluded = measure([text], codebook, nlp)
    assert matches[matches["theme"] == theme].empty
    assert rule in set(excluded.loc[excluded["theme"] == theme, "rule"])
    assert scores[f"theme_{theme}"].item() == 0


def test_substantive_treatment_codes_and_words_explain_it(codebook, nlp):
    text = ("Der er behov for akutboliger til de borgere, der bliver udskrevet fra psykiatrisk hospital. "
            "De udskrives ofte til gaden, da der er stort pres på herbergerne.")
    scores, matches, _ = measure([text], codebook, nlp)
    assert scores["theme_bolig"].item() == 1
    bolig = matches[matches["theme"] == "bolig"].set_index("surface")["term"].to_dict()
    assert bolig == {"akutboliger": "*bolig", "til gaden": "til gaden", "herbergerne": "herberg"}
    assert 0 <= scores["score_bolig"].item() <= 1


def test_one_passing_word_in_a_long_segment_does_not_code(codebook, nlp):
    text = ("Rådet mødes fire gange om året og udarbejder en årsberetning, der beskriver de temaer, som rådet "
            "har arbejdet med, og de forslag, det har givet til byrådet og forvaltningen om lokalpolitiske "
            "spørgsmål, der er vigtige for målgruppen, herunder også spørgsmål om en bolig, og rådet afholder "
            "desuden et årligt møde med politikerne, hvor formanden fremlægger beretningen.")
    scores, matches, _ = measure([text], codebook, nlp)
    assert len(matches[matches["theme"] == "bolig"]) == 1
    assert scores["theme_bolig"].item() == 0


def test_section_heading_helps_but_cannot_code_alone(codebook, nlp):
    scores, matches, _ = measure(["Det er afgørende at have en base."], codebook, nlp, sections=["Bolig"])
    assert scores["evidence_bolig"].item() == 0.5
    assert scores["theme_bolig"].item() == 0
    assert list(matches["where"]) == ["section"]


def test_a_list_codes_the_theme_of_one_of_its_items(codebook, nlp):
    text = ("Udsattepolitikken opstiller en række mål for de kommende år, som skal følges op hvert år af "
            "byrådet og forvaltningen i tæt dialog med de mange parter:\n- udnytter egne evner og lærer "
            "nye ting i hverdagen sammen med andre\n- bliver mere aktive i det lokale liv og i kulturen\n"
            "- lever i trygge og tilgængelige boliger\n- Bolig")
    scores, _, _ = measure([text], codebook, nlp)
    assert scores["theme_bolig"].item() == 1  # "lever i trygge og tilgængelige boliger" is one item
    scores, _, _ = measure([text.rsplit("\n- lever", 1)[0] + "\n- Bolig"], codebook, nlp)
    assert scores["theme_bolig"].item() == 0  # a bare label item does not code


def test_score_curve():
    assert score_from_evidence([0, 1, 2], [10, 10, 10]).round(3).tolist() == [0.0, 0.5, 0.75]
    assert score_from_evidence([2], [160]).round(3).tolist() == [0.5]  # 160 words need two matches


def write_codebook(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cb.yaml"
    path.write_text(body, encoding="utf-8")
    return path


THEME = "themes:\n  bolig:\n    label_da: Bolig\n    label_en: Housing\n    definition: Homes.\n"


@pytest.mark.parametrize(
    "body, message",
    [
        (THEME + "    patterns: [bo]\n", "theme 'bolig': pattern 'bo': stem 'bo' has 2 letters; write '=bo' for the exact word"),
        (THEME, "theme 'bolig': 'patterns' must be a non-empty list"),
        ("themes:\n  bolig:\n    label_en: Housing\n    definition: x\n    patterns: [bolig]\n", "theme 'bolig': missing 'label_da'"),
        (THEME + "    patterns: [{term: bolig, weight: 9}]\n", "theme 'bolig': pattern 'bolig' has weight 9"),
        (THEME + "    patterns: [bolig]\nexclusions:\n  - name: brudt\n    regex: '(udvalg'\n",
         "exclusion 'brudt': invalid regular expression"),
        (THEME + "    patterns: [bolig]\n    colour: red\n", "theme 'bolig': unknown field(s) colour"),
        ("themes: [bolig]\n", "no 'themes' mapping"),
        ("themes:\n  bolig: {label_da: [\n", "not valid YAML"),
    ],
)
def test_codebook_errors_name_file_theme_and_problem(tmp_path, body, message):
    path = write_codebook(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_codebook(path)
    text = str(info.value)
    assert text.startswith(str(path)) and message in text, text


@pytest.mark.parametrize(
    "text, word, counts",
    [
        # "i fællesskab" = jointly: not the citizen's community
        ("Opgaven løses i fællesskab med regionen.", "fællesskab", False),
        ("Vi udarbejder i fællesskab en ny plan for området.", "fællesskab", False),
        ("Flere borgere skal finde et fællesskab, de hører til i.", "fællesskab", True),
        ("Vi vil styrke fællesskaberne i boligområdet.", "fællesskaberne", True),
        # "inkludere" = include or cover, unless people are included in a community
        ("Indsatsen inkluderer også rådgivning om økonomi og gæld.", "inkluderer", False),
        ("Tilbuddet er inkluderet i den samlede pris.", "inkluderet", False),
        ("Borgerne skal inkluderes i lokalsamfundet.", "inkluderes", True),
        ("Vi vil inkludere udsatte borgere i fællesskabet.", "inkludere", True),
        # a body named by words run together is a name
        ("UdsatteNetværket holder møde den 3. marts.", "udsattenetværket", False),
        ("Borgerens netværk skal styrkes.", "netværk", True),
    ],
)
def test_word_sense_rules_keep_the_theme_only_where_it_is_meant(text, word, counts, codebook, nlp):
    assert (word in matched(text, "faellesskab", codebook, nlp)) is counts, text


def test_a_word_sense_rule_names_itself_in_the_exclusions(codebook, nlp):
    _, _, excluded = measure(["Opgaven løses i fællesskab med regionen.",
                              "Indsatsen inkluderer rådgivning.", "UdsatteNetværket mødes i dag."], codebook, nlp)
    assert excluded[["segment_id", "theme", "rule"]].drop_duplicates().values.tolist() == [
        ["d:001", "faellesskab", "jointly (i fællesskab)"],
        ["d:002", "faellesskab", "includes (inkludere = omfatte)"],
        ["d:003", "faellesskab", "names written as one word"]]


@pytest.mark.parametrize(
    "text, theme, codes",
    [
        # who sits on a council and how they are appointed is procedure
        ("Rådet består af fem brugerrepræsentanter, en repræsentant for de frivillige foreninger og to "
         "medlemmer af byrådet.", "inddragelse", False),
        ("Udsatterådet har 11 medlemmer udpeget af byrådet og brugerorganisationerne.", "inddragelse", False),
        ("Udvalget skal udpege to politiske medlemmer til Udsatterådet for perioden 2024-2025.", "inddragelse", False),
        # what the council does is participation
        ("Udsatterådet giver de udsatte borgere en stemme i kommunens politik.", "inddragelse", True),
        ("Udvalget skal udpege to medlemmer til Udsatterådet. Rådet skal sikre, at borgerne bliver hørt, "
         "før der træffes beslutninger om dem.", "inddragelse", True),
        # a definition of the target group says who they are, not what is done
        ("Socialt udsatte er mennesker, der har svært ved at mestre eget liv.", "recovery", False),
        ("Socialt udsatte defineres her som mennesker, der er i høj risiko for udstødelse.", "forebyggelse", False),
        ("Målgruppen er borgere, der har mistet kontakten til arbejdsmarkedet og uddannelsessystemet.",
         "beskaeftigelse", False),
        # the same words as goals or efforts code
        ("Borgeren skal have hjælp til at mestre eget liv.", "recovery", True),
        ("Vi vil forebygge, at unge i risiko ender på herberg.", "forebyggelse", True),
        ("Flere skal tilbage på arbejdsmarkedet gennem virksomhedspraktik.", "beskaeftigelse", True),
    ],
)
def test_membership_and_target_group_definitions_code_no_theme(text, theme, codes, codebook, nlp):
    scores, _, excluded = measure([text], codebook, nlp)
    assert scores[f"theme_{theme}"].item() == int(codes), text
    if not codes:
        assert set(excluded.loc[excluded["theme"] == theme, "rule"]) & {
            "composition of a council", "target-group definitions"}, text
