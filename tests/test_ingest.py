"""Readers per format: PDF layout, DOCX structure, HTML main content, text encodings, bad files."""

from pathlib import Path

import pytest

from analysis.base.errors import InputError
from analysis.corpus.ingest import Block, decode_text, read_document, text_to_blocks

from conftest import BAD, FIXTURE_CORPUS

DOCS = FIXTURE_CORPUS / "documents"


def texts(blocks, kind=None):
    return [b.text for b in blocks if kind is None or b.kind == kind]


def test_pdf_paragraphs_headings_and_no_running_header_or_page_numbers():
    blocks = read_document(DOCS / "aarhus-2021-politik.pdf")
    assert texts(blocks, "heading") == ["Udsattepolitik for Aarhus", "Sundhed og misbrug"]
    joined = " ".join(texts(blocks))
    assert "Udsattepolitik 2021" not in joined  # running header
    assert "Side 1 af 2" not in joined and "Side 2" not in joined  # page numbers
    paragraphs = texts(blocks, "paragraph")
    assert len(paragraphs) == 5
    assert paragraphs[0].startswith("Aarhus Kommune vil sikre, at borgere i hjemløshed får en varig bolig.")
    assert paragraphs[0].endswith("så boligen kan fastholdes.")
    assert texts(blocks, "item") == ["flere borgere i udsatte positioner får en egen læge",
                                     "tandpleje er gratis for de mest udsatte"]


def test_pdf_word_hyphenated_at_line_end_is_rejoined():
    joined = " ".join(texts(read_document(DOCS / "aarhus-2021-politik.pdf")))
    assert "beskæftigelsesindsatsen" in joined
    assert "beskæftigelses-" not in joined


def test_docx_headings_paragraphs_and_list_items_in_order():
    blocks = read_document(DOCS / "odense-2019-strategi.docx")
    assert [(b.kind, b.level) for b in blocks] == [
        ("heading", 1), ("paragraph", 0), ("heading", 2), ("paragraph", 0), ("item", 0), ("item", 0),
        ("heading", 2), ("paragraph", 0)]
    assert blocks[4].text == "styrke brugerinddragelse og samskabelse"


def test_html_main_content_without_navigation_header_footer_or_scripts():
    blocks = read_document(DOCS / "aalborg-2022-handleplan.html")
    joined = " ".join(texts(blocks))
    for dropped in ("Forside", "Job og Ydelser", "Kontakt os", "Boulevarden", "Cookiepolitik", "tracking",
                    "Relaterede sider"):
        assert dropped not in joined
    assert texts(blocks, "heading") == ["Handleplan for socialt udsatte 2022", "Recovery"]
    assert "<script>alert(1)</script>" in joined  # escaped text in the page stays text
    assert texts(blocks, "item") == ["Peer-medarbejdere ansættes i alle tilbud",
                                     "Recovery-orienteret praksis i bostøtten"]


def test_cp1252_text_is_decoded_with_danish_letters_and_quotes():
    blocks = read_document(DOCS / "kbh-2018-notat.txt")
    assert blocks[1].text == "Københavns Kommune vil bekæmpe hjemløshed med flere skæve huse og “Housing First” – også for unge."


def test_latin1_text_is_decoded():
    blocks = read_document(DOCS / "vejle-2016-beretning.txt")
    assert blocks[0] == Block("heading", "Beretning fra Vejle Udsatteråd", 1)
    assert "værested" in blocks[-1].text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_decode_text_round_trips_danish(encoding):
    text = "Æbler, søer og å: borgernes rådgivning"
    assert decode_text(text.encode(encoding), "x.txt") == text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Borgerens \u0092egen\u0092 bolig".encode("utf-8"), "Borgerens ’egen’ bolig"),  # cp1252 via latin-1
        ("Første linje\x0bAnden linje på sæt".encode("utf-8"), "Første linje\nAnden linje på sæt"),  # Word line break
        ("Side 1\x0cSide 2 om æøå".encode("utf-8"), "Side 1\nSide 2 om æøå"),
        ("Tabel\x07 med en klokke i tekst om økonomi".encode("utf-8"), "Tabel med en klokke i tekst om økonomi"),
        ("Værested\x0bfor udsatte".encode("cp1252"), "Værested\nfor udsatte"),
    ],
)
def test_decode_text_repairs_stray_control_characters(raw, expected):
    assert decode_text(raw, "x.txt") == expected


def test_decode_text_rejects_text_full_of_control_characters():
    with pytest.raises(InputError) as err:
        decode_text(("æøå\nlinje to " + "\x01\x02\x1a" * 20).encode("utf-8"), "x.txt")
    assert str(err.value) == ("x.txt: contains 60 control characters (the first, U+0001, on line 2): it looks like "
                              "a binary file, not text; save it again as plain text (UTF-8), or convert it to PDF "
                              "or DOCX")


def test_a_few_stray_controls_in_a_short_file_are_dropped():
    assert decode_text(("ab\x1a" * 3 + "æøå").encode("utf-8"), "x.txt") == "ababab" + "æøå"


@pytest.mark.parametrize(
    "name, message",
    [
        ("scanned.pdf", "bad/scanned.pdf: no text layer (scanned?); run OCR"),
        ("encrypted.pdf", "bad/encrypted.pdf: encrypted PDF (password-protected); save an unprotected copy"),
        ("corrupt.pdf", "bad/corrupt.pdf: corrupt PDF ("),
        ("binary.txt", "bad/binary.txt: cannot be decoded as text (not UTF-8, cp1252 or latin-1); save it again as UTF-8"),
        ("blank.txt", "bad/blank.txt: document is empty or whitespace-only"),
    ],
)
def test_bad_files_get_one_clear_line(name, message):
    with pytest.raises(InputError) as info:
        read_document(BAD / name, f"bad/{name}")
    assert len(info.value.problems) == 1
    text = str(info.value.problems[0])
    assert text.startswith(message), text
    assert "\n" not in text


def test_zero_byte_file_is_empty(tmp_path):
    path = tmp_path / "tom.pdf"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="tom.pdf: document is empty"):
        read_document(path, "tom.pdf")


def test_text_blocks_from_a_seed_like_layout():
    text = ("Forslag:\nI forbindelse med budgettet foreslår vi en politik.\n\n"
            "Hvad er en udsattepolitik?\nI Danmark er der 25 kommuner med en.\n\n"
            "Vi opnår vores mål ved at:\n\n- Give borgeren indflydelse\n- Sikre en helhedsorienteret indsats\n"
            "  (f.eks. i jobcentret)\n\n"
            "Borgernes livskvalitet handler om meget mere\nend lovgivning.\n\n"
            "Notat\t\tForvaltningen\nDato:\t7. januar 2015\n")
    blocks = text_to_blocks(text)
    assert blocks == [
        Block("heading", "Forslag", 1),
        Block("paragraph", "I forbindelse med budgettet foreslår vi en politik."),
        Block("heading", "Hvad er en udsattepolitik?", 1),
        Block("paragraph", "I Danmark er der 25 kommuner med en."),
        Block("paragraph", "Vi opnår vores mål ved at:"),
        Block("item", "Give borgeren indflydelse"),
        Block("item", "Sikre en helhedsorienteret indsats (f.eks. i jobcentret)"),
        Block("paragraph", "Borgernes livskvalitet handler om meget mere end lovgivning."),
        Block("table", "Notat | Forvaltningen"),
        Block("table", "Dato: | 7. januar 2015"),
    ]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notat.docx", "Bare tekst om boliger og hjemløshed.\n".encode(),
         "file is plain text, not a Word document as its name says; rename it to 'notat.txt'"),
        ("side.pdf", b"<!DOCTYPE html><html><body><p>Boligpolitik</p></body></html>",
         "file is a web page (HTML), not a PDF as its name says; rename it to 'side.html'"),
        ("plan.html", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
         "file is a PDF, not a web page (HTML) as its name says; rename it to 'plan.pdf'"),
        ("gammel.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
         "file is an old Word document (.doc), not a Word document as its name says; open it in Word or "
         "LibreOffice and save it as .docx"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_named_for_what_it_is(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_document(path, f"documents/{name}")
    assert str(info.value.problems[0]) == f"documents/{name}: {message}"


def test_a_zip_with_word_content_is_a_word_file_and_text_in_deep_html_is_kept(tmp_path):
    from analysis.corpus.ingest import sniff

    assert sniff(FIXTURE_CORPUS / "documents" / "odense-2019-strategi.docx") == "docx"
    deep = tmp_path / "dyb.html"
    for depth in (400, 5000):  # past libxml2's default limit (256), and past any parser's
        deep.write_text("<html><head><title>Menu</title></head><body>" + "<div>" * depth
                        + "<p>Boliger til hjemløse &amp; udsatte borgere.</p>" + "</div>" * depth + "</body></html>",
                        encoding="utf-8")
        blocks = read_document(deep, "dyb.html")
        assert [b.text for b in blocks] == ["Boliger til hjemløse & udsatte borgere."], depth
