"""Cleaning: NFC, bullets, footnotes, emphasis, hyphenation at line ends."""

import unicodedata

import pytest

from analysis.corpus.clean import clean_inline, join_lines, normalize_text


def test_nfc_joins_decomposed_danish_letters():
    decomposed = unicodedata.normalize("NFD", "på Bornholm går æ, ø og å")
    assert decomposed != "på Bornholm går æ, ø og å"
    assert normalize_text(decomposed) == "på Bornholm går æ, ø og å"


def test_stray_ring_after_a_is_dropped():
    assert normalize_text("også\u030a rammen") == "også rammen"


@pytest.mark.parametrize("bullet", ["•", "●", "▪", "\uf0b7", "*", "–"])
def test_bullets_become_dashes(bullet):
    assert normalize_text(f"  {bullet} Et sted at bo") == "  - Et sted at bo"


def test_footnote_markers_and_lines_are_removed():
    text = "uden den støtte de har behov for¹.\n\n¹ Hvidbog om rehabiliteringsbegrebet. 2004.\n"
    assert normalize_text(text) == "uden den støtte de har behov for.\n\n"


def test_paragraph_sign_and_numbers_survive():
    assert clean_inline("jf. § 85 i serviceloven, bl.a. 2 gange") == "jf. § 85 i serviceloven, bl.a. 2 gange"


def test_markdown_emphasis_is_unwrapped_but_list_star_is_a_bullet():
    text = "**Fokus på ressourcer:** når *Hjemløse, stofmisbrugere* nævnes\n* punkt"
    assert normalize_text(text) == "Fokus på ressourcer: når Hjemløse, stofmisbrugere nævnes\n- punkt"


def test_soft_hyphen_and_nbsp():
    assert normalize_text("beskæf\u00adtigelse\u00a0og\u200b job") == "beskæftigelse og job"


@pytest.mark.parametrize(
    "lines, expected",
    [
        (["Kommunen styrker beskæftigel-", "sesindsatsen"], "Kommunen styrker beskæftigelsesindsatsen"),
        (["Social-", "og Sundhedsudvalget"], "Social- og Sundhedsudvalget"),
        (["via Job-", "Centret"], "via Job-Centret"),
        (["første linje", "anden linje"], "første linje anden linje"),
    ],
)
def test_join_lines(lines, expected):
    assert join_lines(lines) == expected
