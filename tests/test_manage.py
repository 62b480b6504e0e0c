"""`add` and `check`: growing a corpus without editing metadata.csv by hand, and checking it fast."""

import hashlib
from pathlib import Path

from conftest import BAD, add_document


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() or path.is_symlink():
            h.update(str(path.relative_to(folder)).encode() + (path.read_bytes() if path.exists() else b"link"))
    return h.hexdigest()


def test_check_passes_a_good_corpus_and_writes_nothing(corpus, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = tree_hash(corpus)
    code, stdout, stderr = cli("check", "--corpus", corpus)
    assert code == 0, stderr
    assert stdout.strip() == f"{corpus}: 5 documents checked, no problems"
    assert tree_hash(corpus) == before and not (tmp_path / "outputs").exists()


def test_check_lists_every_problem_of_run_one_line_each(corpus, cli, tmp_path):
    add_document(corpus, "vejle-2020-tekst", "tekst.docx", "Bare tekst om boliger.\n".encode())
    (corpus / "documents" / "løs.txt").write_text("En fil uden række.\n", encoding="utf-8")
    outside = tmp_path / "privat.txt"
    outside.write_text("Fortroligt.\n", encoding="utf-8")
    add_document(corpus, "vejle-2020-link", "link.txt", b"x")
    (corpus / "documents" / "link.txt").unlink()
    (corpus / "documents" / "link.txt").symlink_to(outside)
    add_document(corpus, "vejle-2020-scan", "scan.pdf", source=BAD / "scanned.pdf")
    before = tree_hash(corpus)
    code, stdout, stderr = cli("check", "--corpus", corpus)
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert f"error: {corpus}/documents/tekst.docx: file is plain text, not a Word document as its name says; " \
           "rename it to 'tekst.txt'" in lines
    assert f"error: {corpus}/documents/løs.txt: file is present but not listed in metadata.csv; add a row for " \
           "it or move it out of the corpus folder" in lines
    assert any("file 'documents/link.txt' is outside the corpus folder" in line for line in lines)
    assert any(line.startswith(f"error: {corpus}/documents/scan.pdf: no text layer (scanned?)") for line in lines)
    assert len(lines) == 4 and "4 problems in" in stderr and "Traceback" not in stderr
    assert tree_hash(corpus) == before


def test_add_copies_under_a_safe_name_and_appends_a_checked_row(corpus, cli, tmp_path):
    source = tmp_path / "Udsattepolitik Høje-Taastrup 2024.txt"
    source.write_text("Udsattepolitik for Høje-Taastrup\n\nVi vil skaffe flere billige boliger til "
                      "hjemløse og styrke fællesskaber.\n\nAlle borgere skal have en plan.\n", encoding="utf-8")
    code, stdout, stderr = cli("add", source, "--corpus", corpus, "--municipality", "høje taastrup",
                               "--doc-type", "Politik", "--year", "2024")
    assert code == 0, stderr
    assert stdout.strip() == (f"added {corpus}/documents/udsattepolitik-hoeje-taastrup-2024.txt as "
                              "hoeje-taastrup-2024-politik (Høje-Taastrup, politik, 2024, \"Udsattepolitik for "
                              "Høje-Taastrup\"): 2 paragraphs")
    copied = corpus / "documents" / "udsattepolitik-hoeje-taastrup-2024.txt"
    assert copied.read_bytes() == source.read_bytes()
    last = (corpus / "metadata.csv").read_text(encoding="utf-8").splitlines()[-1]
    assert last.startswith("hoeje-taastrup-2024-politik,documents/udsattepolitik-hoeje-taastrup-2024.txt,"
                           "Høje-Taastrup,politik,2024,Udsattepolitik for Høje-Taastrup")
    # the same again: a second document of the same municipality, year and type gets its own id and name
    code, stdout, _ = cli("add", source, "--corpus", corpus, "-m", "Høje-Taastrup", "--doc-type", "politik",
                          "--year", "2024", "--title", "Anden udgave")
    assert code == 0 and "udsattepolitik-hoeje-taastrup-2024-2.txt as hoeje-taastrup-2024-politik-2" in stdout
    code, stdout, stderr = cli("check", "--corpus", corpus)
    assert code == 0 and "7 documents checked, no problems" in stdout, stderr


def test_add_writes_nothing_when_a_check_fails(corpus, cli, tmp_path):
    good = tmp_path / "god.txt"
    good.write_text("En god politik om boliger.\n", encoding="utf-8")
    fake = tmp_path / "notat.docx"
    fake.write_text("Tekst, ikke Word.\n", encoding="utf-8")
    before = tree_hash(corpus)
    code, _, stderr = cli("add", good, fake, BAD / "scanned.pdf", tmp_path / "findes-ikke.pdf", "--corpus", corpus,
                          "-m", "Gentofe", "--doc-type", "plan", "--year", "1066")
    assert code == 2 and "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert "error: --municipality: unknown municipality 'Gentofe'; did you mean 'Gentofte'?" in errors
    assert any(e.startswith("error: --doc-type: unknown doc_type 'plan'; use one of politik") for e in errors)
    assert any(e.startswith("error: --year: impossible year '1066'") for e in errors)
    assert f"error: {fake}: file is plain text, not a Word document as its name says; rename it to 'notat.txt'" in errors
    assert any(e.startswith(f"error: {BAD / 'scanned.pdf'}: no text layer (scanned?)") for e in errors)
    assert f"error: {tmp_path / 'findes-ikke.pdf'}: file not found; give the path of an existing document" in errors
    assert len(errors) == 6 and stderr.rstrip().endswith("nothing was added")
    assert tree_hash(corpus) == before


def test_add_keeps_the_encoding_and_separator_of_an_excel_metadata_file(corpus, cli, tmp_path):
    rows = (corpus / "metadata.csv").read_text(encoding="utf-8").splitlines()
    excel = "\r\n".join(line.replace(",", ";") if "\"" not in line else line for line in rows[:2]) + "\r\n"
    (corpus / "metadata.csv").write_bytes(excel.encode("cp1252"))
    for path in (corpus / "documents").iterdir():
        if path.name not in rows[1]:
            path.unlink()
    source = tmp_path / "ærø.txt"
    source.write_text("Sundhed og trivsel for udsatte.\n", encoding="utf-8")
    code, _, stderr = cli("add", source, "--corpus", corpus, "-m", "Ærø", "--doc-type", "strategi", "--year", "2023",
                          "--title", "Strategi for sårbare borgere")
    assert code == 0, stderr
    raw = (corpus / "metadata.csv").read_bytes()
    assert raw.endswith("\r\naeroe-2023-strategi;documents/aeroe.txt;Ærø;strategi;2023;Strategi for sårbare "
                        "borgere;\r\n".encode("cp1252"))  # cp1252, ';' and CRLF as Excel saved it; author empty
    code, stdout, stderr = cli("check", "--corpus", corpus)
    assert code == 0, stderr
