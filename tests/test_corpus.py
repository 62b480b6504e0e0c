"""Corpus loading and metadata validation against Denmark's 98 municipalities."""

from pathlib import Path

import pytest

from analysis.base.errors import InputError
from analysis.corpus.metadata import load_corpus, load_municipalities, resolve_municipality, suggest_municipality

from conftest import FIXTURE_CORPUS


def test_reference_table_has_98_municipalities_in_five_regions():
    table = load_municipalities()
    assert len(table) == 98
    assert table["kommunekode"].is_unique and table["municipality"].is_unique
    assert table.groupby("region").size().to_dict() == {
        "Region Hovedstaden": 29, "Region Midtjylland": 19, "Region Nordjylland": 11,
        "Region Sjælland": 17, "Region Syddanmark": 22}
    assert table.set_index("municipality").loc["Rødovre", "kommunekode"] == "175"


@pytest.mark.parametrize(
    "given, official",
    [
        ("Københavns Kommune", "København"),
        ("Frederiksberg Kommune", "Frederiksberg"),
        ("Aarhus", "Aarhus"),
        ("Århus", "Aarhus"),
        ("Århus Kommune", "Aarhus"),
        ("aabenraa", "Aabenraa"),
        ("Åbenrå", "Aabenraa"),
        ("Høje Taastrup", "Høje-Taastrup"),
        ("Lyngby", "Lyngby-Taarbæk"),
        ("Nordfyn", "Nordfyns"),
        ("Odsherreds Kommune", "Odsherred"),
        ("RØDOVRE", "Rødovre"),
        ("Bornholms Regionskommune", "Bornholm"),
    ],
)
def test_common_variants_resolve(given, official):
    assert resolve_municipality(given) == official


@pytest.mark.parametrize("given", ["Gotham", "", "Kommune", "Sundby"])
def test_unknown_names_do_not_resolve(given):
    assert resolve_municipality(given) is None


def test_suggestion_for_a_typo():
    assert suggest_municipality("Gentofe") == "Gentofte"
    assert suggest_municipality("Rødovr") == "Rødovre"


def test_fixture_corpus_loads_with_codes_and_regions():
    corpus = load_corpus(FIXTURE_CORPUS)
    assert corpus.problems == []
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["aarhus-2021-politik", "municipality"] == "Aarhus"
    assert docs.loc["aarhus-2021-politik", "kommunekode"] == "751"
    assert docs.loc["kbh-2018-notat", "municipality"] == "København"
    assert docs.loc["kbh-2018-notat", "region"] == "Region Hovedstaden"
    assert docs.loc["odense-2019-strategi", "year"] == 2019


def _write_meta(corpus: Path, rows: list[str]) -> None:
    header = "doc_id,file,municipality,doc_type,year,title\n"
    (corpus / "metadata.csv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")


def _messages(corpus: Path) -> list[str]:
    return [str(p) for p in load_corpus(corpus).problems]


def test_each_metadata_problem_is_one_line_with_file_line_and_fix(corpus):
    _write_meta(corpus, [
        "aarhus-2021-politik,documents/aarhus-2021-politik.pdf,Gentofe,politik,2021,T",
        "aarhus-2021-politik,documents/odense-2019-strategi.docx,Odense,strategi,2019,T",
        "aalborg,documents/aalborg-2022-handleplan.html,Aalborg,plan,2022,T",
        "kbh,documents/kbh-2018-notat.txt,København,notat,,T",
        "vejle,documents/vejle-2016-beretning.txt,Vejle,beretning,1066,T",
        "missing,documents/findes-ikke.pdf,Vejle,notat,2020,T",
    ])
    msgs = _messages(corpus)
    meta = f"{corpus}/metadata.csv"
    assert f"{meta} line 2: unknown municipality 'Gentofe'; did you mean 'Gentofte'?" in msgs
    assert f"{meta} line 3: duplicate doc_id 'aarhus-2021-politik' (also on line 2); give each document its own doc_id" in msgs
    assert any(m.startswith(f"{meta} line 4: unknown doc_type 'plan'; use one of politik, handleplan") for m in msgs)
    assert any(m.startswith(f"{meta} line 5: missing year") for m in msgs)
    assert any(m.startswith(f"{meta} line 6: impossible year '1066'") for m in msgs)
    assert f"{meta} line 7: file 'documents/findes-ikke.pdf' is listed but missing; add the file or correct the path" in msgs
    assert all("\n" not in m for m in msgs)


def test_unlisted_file_is_reported(corpus):
    (corpus / "documents" / "glemt.pdf").write_bytes(b"%PDF-1.4")
    msgs = _messages(corpus)
    assert msgs == [f"{corpus}/documents/glemt.pdf: file is present but not listed in metadata.csv; "
                    "add a row for it or move it out of the corpus folder"]


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "metadata file is empty"),
        ("doc_id,file,title\n", "missing required column(s) municipality, doc_type, year"),
        ('doc_id,file,municipality,doc_type,year,title\na,documents/x.txt,Vejle,notat,2020,"T\n', "not valid CSV"),
        ("doc_id,file,municipality,doc_type,year,title\na,documents/x.txt,Vejle,notat,2020,T,extra\n",
         "row has 7 fields but the header has 6"),
        ("doc_id,file,municipality,doc_type,title,year\na,documents/x.txt,Vejle,notat,T\n",
         "line 2: row has 5 fields but the header has 6 (no year); quote fields"),
    ],
)
def test_malformed_metadata(corpus, content, expected):
    (corpus / "metadata.csv").write_text(content, encoding="utf-8")
    try:
        msgs = _messages(corpus)
    except InputError as exc:
        msgs = [str(p) for p in exc.problems]
    assert any(expected in m and "metadata.csv" in m for m in msgs), msgs


def test_semicolon_separated_cp1252_metadata_from_excel_is_read(corpus):
    text = (corpus / "metadata.csv").read_text(encoding="utf-8").replace(",", ";")
    (corpus / "metadata.csv").write_bytes(text.encode("cp1252"))
    loaded = load_corpus(corpus)
    assert loaded.problems == []
    assert set(loaded.documents["municipality"]) == {"Aarhus", "Odense", "Aalborg", "København", "Vejle"}


def test_missing_corpus_folder(tmp_path):
    with pytest.raises(InputError, match="corpus folder not found"):
        load_corpus(tmp_path / "nope")


def test_a_row_may_leave_off_empty_optional_columns_at_the_end(corpus):
    from analysis.corpus.metadata import load_corpus

    with open(corpus / "metadata.csv", encoding="utf-8") as f:
        assert f.readline().strip().endswith(",title,author")  # the fixture has an optional column
    (corpus / "documents" / "ny.txt").write_text("Kommunen vil skaffe flere akutboliger.\n", encoding="utf-8")
    with open(corpus / "metadata.csv", "a", encoding="utf-8") as f:
        f.write("ny-2024,documents/ny.txt,Københavns Kommune,politik,2024,Ny politik\n")
    loaded = load_corpus(corpus)
    assert loaded.problems == []
    row = loaded.documents.set_index("doc_id").loc["ny-2024"]
    assert (row["municipality"], row["author"], row["status"]) == ("København", "", "ok")


def test_a_link_to_a_file_outside_the_corpus_is_refused_like_a_path_outside_it(corpus, tmp_path):
    from conftest import add_document

    secret = tmp_path / "elsewhere" / "private.txt"
    secret.parent.mkdir()
    secret.write_text("Fortroligt notat om en borger.\n", encoding="utf-8")
    add_document(corpus, "vejle-2020-link", "link.txt", b"placeholder")
    (corpus / "documents" / "link.txt").unlink()
    (corpus / "documents" / "link.txt").symlink_to(secret)
    add_document(corpus, "vejle-2020-inside", "inside-link.txt", b"placeholder")
    (corpus / "documents" / "inside-link.txt").unlink()  # a link that stays inside the folder is fine
    (corpus / "documents" / "inside-link.txt").symlink_to(corpus / "documents" / "vejle-2016-beretning.txt")
    loaded = load_corpus(corpus)
    status = loaded.documents.set_index("doc_id")["status"]
    assert status["vejle-2020-link"] == "file 'documents/link.txt' is outside the corpus folder"
    assert status["vejle-2020-inside"] == "ok"
    problem = next(p for p in loaded.problems if p.doc_id == "vejle-2020-link")
    assert "copy the document into the corpus folder" in str(problem) and "\n" not in str(problem)
    assert "vejle-2020-link" not in set(loaded.ok["doc_id"])
