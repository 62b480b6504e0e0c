"""The structure of passing mentions: enumerations, example lists, label bullets, target-group
definitions and names of plans and units, on hand-made Danish examples."""

import pandas as pd
import pytest

from analysis.themes.structure import named_unit_mask, passing_spans, structure_features


def spans(text: str, kind: str | None = None) -> list[str]:
    return [text[s:e] for s, e, k in passing_spans(text) if kind is None or k == kind]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Politikken går på tværs af bolig, uddannelse, fritid, sundhed, beskæftigelse og kultur.",
         "bolig, uddannelse, fritid, sundhed, beskæftigelse og kultur"),
        ("Indsatsen sker i samarbejde med jobcentret, psykiatrien, misbrugscentret og boligselskaberne.",
         "jobcentret, psykiatrien, misbrugscentret og boligselskaberne"),
        ("Mange har hjemløshed, misbrug eller psykisk sygdom med i bagagen.",
         "hjemløshed, misbrug eller psykisk sygdom"),
        ("Emnerne var økonomi, ensomhed, tandpleje, ventetider.", "økonomi, ensomhed, tandpleje, ventetider"),
    ],
)
def test_enumerations_of_short_items(text, expected):
    assert expected in spans(text, "enumeration")


@pytest.mark.parametrize(
    "text",
    [
        "Kommunen tilbyder akutboliger og bostøtte til hjemløse, så de kan komme videre.",
        "Når borgeren har fået en bolig, skal vi sikre støtte, og det kræver samarbejde.",
        "Vi vil sikre, at flere får et job, og at færre mister deres bolig.",
        "Borgere, der har et misbrug, skal have tilbud om behandling inden for 14 dage.",
    ],
)
def test_clauses_and_pairs_are_not_enumerations(text):
    assert spans(text, "enumeration") == []


def test_example_lists_run_to_the_end_of_the_clause():
    text = "Vi styrker indsatsen over for borgere med komplekse problemer, fx misbrug og psykisk sygdom. Vi bygger boliger."
    assert spans(text, "examples") == [" misbrug og psykisk sygdom"]
    text = "Rådet har bl.a. drøftet ventetider; næste møde er i maj."
    assert spans(text, "examples") == [" drøftet ventetider"]
    assert spans("Vi tilbyder herunder sundhedsfaglig rådgivning", "examples") == [" sundhedsfaglig rådgivning"]


def test_label_bullets_are_short_items_of_a_list():
    text = "Borgerne har ofte problemer som:\n- Misbrug\n- Hjemløshed\n- Psykisk sygdom"
    assert spans(text, "label bullets") == ["Misbrug", "Hjemløshed", "Psykisk sygdom"]
    goals = "Vi vil:\n- sikre at ingen skal sove på gaden\n- hjælpe flere i job og uddannelse"
    assert spans(goals, "label bullets") == []
    assert spans("Se også:\n- Sundhedspolitikken", "label bullets") == []  # one item is not a list of labels


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Målgruppen er borgere, der er ramt af hjemløshed, misbrug eller psykisk sygdom.",
         "hjemløshed, misbrug eller psykisk sygdom"),
        ("Udsatte borgere er mennesker med misbrug og psykiske lidelser, som har brug for hjælp.",
         "misbrug og psykiske lidelser"),
        ("Politikken er for voksne, der lever med alkohol og ensomhed.", "alkohol og ensomhed"),
    ],
)
def test_target_group_definitions(text, expected):
    assert any(expected in s for s in spans(text, "target group"))


def test_a_sentence_about_help_is_not_a_target_group_definition():
    assert spans("Vi hjælper borgeren med at finde en bolig og et job.", "target group") == []
    assert spans("Vi tilbyder misbrugsbehandling og bostøtte.", "target group") == []


def test_names_of_plans_laws_reforms_and_units():
    words = pd.Series(["Sundhedspolitikken", "hjemløsereformen", "beskæftigelsesområdet", "Socialforvaltningen",
                       "Beskæftigelsesplanen", "serviceloven", "boligen", "misbrugsbehandling", "politikken",
                       "sundhed", "jobcentret"])
    assert named_unit_mask(words).tolist() == [True, True, True, True, True, True, False, False, False, False,
                                               False]


def test_structure_features_count_what_they_find():
    texts = pd.Series(["Målgruppen er borgere, der er ramt af hjemløshed, misbrug eller psykisk sygdom.",
                       "Vi tilbyder akutboliger.",
                       "Problemer:\n- Misbrug\n- Ensomhed"], index=["a", "b", "c"])
    f = structure_features(texts)
    assert f.loc["a", "target_group"] == 1 and f.loc["a", "n_enumerations"] == 1
    assert f.loc["b"].drop("n_lines").sum() == 0
    assert f.loc["c", ["n_lines", "n_bullets", "n_label_bullets"]].tolist() == [3, 2, 2]
    assert 0 < f.loc["a", "passing_share"] < 1
