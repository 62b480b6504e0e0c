"""Segmentation by the codebook's unit of coding."""

from analysis.corpus.ingest import Block, text_to_blocks
from analysis.corpus.segment import fingerprint_text, split_segments


def test_paragraphs_lists_and_sections():
    blocks = [
        Block("heading", "Målsætninger", 1),
        Block("paragraph", "Kommunen vil:"),
        Block("item", "Et sted at bo"),
        Block("item", "Mulighed for et sundt liv."),
        Block("paragraph", "Det er kommunens ambition at forebygge."),
        Block("heading", "Bolig", 2),
        Block("paragraph", "Der mangler små boliger."),
        Block("heading", "Vision", 1),
        Block("item", "Alle skal have et godt liv."),
    ]
    segs = split_segments("odsherred-2017", blocks)
    assert [s.segment_id for s in segs] == [f"odsherred-2017:00{i}" for i in range(1, 5)]
    assert segs[0].text == "Kommunen vil:\n- Et sted at bo\n- Mulighed for et sundt liv."
    assert segs[0].section == "Målsætninger"
    assert segs[1].text == "Det er kommunens ambition at forebygge."
    assert segs[2].section == "Målsætninger › Bolig"
    assert segs[3].section == "Vision"  # a heading level 1 closes the level-2 one
    assert segs[3].text == "- Alle skal have et godt liv."  # no introducing sentence: a list alone


def test_list_after_finished_sentence_is_its_own_segment():
    segs = split_segments("d", [Block("paragraph", "Politikken evalueres i 2019."), Block("item", "Punkt")])
    assert [s.text for s in segs] == ["Politikken evalueres i 2019.", "- Punkt"]


def test_headings_are_not_segments_and_table_rows_stay_together():
    blocks = text_to_blocks("Notat\t\tSekretariatet\nDato:\t7. januar 2015\n\nBolig\n\nDer er behov for akutboliger.\n")
    segs = split_segments("roedovre-2015", blocks)
    assert [s.text for s in segs] == ["Notat | Sekretariatet\nDato: | 7. januar 2015", "Der er behov for akutboliger."]
    assert segs[1].section == "Bolig"


def test_fingerprint_ignores_layout_but_not_words():
    a = fingerprint_text("Vi opnår vores mål ved at:\n- Give borgeren indflydelse")
    assert a == fingerprint_text("Vi  opnår vores mål ved at: • Give borgeren indflydelse")
    assert a != fingerprint_text("Vi opnår vores mål ved at:\n- Give borgeren mere indflydelse")
