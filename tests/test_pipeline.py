"""The `run` command end to end: tables, bad input, --skip-bad, cache, determinism, read-only corpus."""

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from conftest import BAD, add_document


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def ran(corpus, tmp_path, cli):
    out = tmp_path / "out"
    code, stdout, stderr = cli("run", "--corpus", corpus, "--out", out, "--quiet")
    assert code == 0, stderr
    return corpus, out, stdout


def test_run_writes_documents_and_segments(ran):
    corpus, out, stdout = ran
    assert "5 documents" in stdout and f"tables written to {out / 'tables'}" in stdout
    docs = pd.read_csv(out / "tables" / "documents.csv")
    assert list(docs.columns[:3]) == ["doc_id", "file", "municipality"]  # BOM does not leak into the header
    assert set(docs["status"]) == {"ok"}
    row = docs.set_index("doc_id").loc["aarhus-2021-politik"]
    assert (row["kommunekode"], row["region"], row["n_segments"]) == (751, "Region Midtjylland", 5)
    segs = pd.read_csv(out / "tables" / "segments.csv", dtype={"kommunekode": str})
    assert {"doc_id", "municipality", "kommunekode", "doc_type", "year", "segment_id", "section", "text",
            "n_tokens", "lemmas"} <= set(segs.columns)
    aarhus = segs[segs["doc_id"] == "aarhus-2021-politik"].reset_index(drop=True)
    assert list(aarhus["segment_id"]) == [f"aarhus-2021-politik:00{i}" for i in range(1, 6)]
    assert aarhus.loc[4, "text"] == ("Vores mål er at:\n- flere borgere i udsatte positioner får en egen læge\n"
                                     "- tandpleje er gratis for de mest udsatte")
    assert aarhus.loc[4, "section"] == "Sundhed og misbrug"
    assert "akutbolig" in aarhus.loc[1, "lemmas"].split()
    kbh = segs[segs["doc_id"] == "kbh-2018-notat"].iloc[0]
    assert kbh["kommunekode"] == "101" and "Københavns" in kbh["text"]  # æøå intact after CSV round trip
    parquet = pd.read_parquet(out / "tables" / "segments.parquet")
    assert parquet["text"].tolist() == segs["text"].tolist()


def test_second_run_is_byte_identical_and_parses_nothing(ran, cli):
    corpus, out, _ = ran
    before = {n: (out / "tables" / n).read_bytes() for n in ("documents.csv", "segments.csv")}
    code, stdout, _ = cli("run", "--corpus", corpus, "--out", out, "--quiet")
    assert code == 0
    assert "(0 parsed, 5 from cache)" in stdout
    assert {n: (out / "tables" / n).read_bytes() for n in before} == before


def test_changed_document_is_parsed_alone(ran, cli):
    corpus, out, _ = ran
    path = corpus / "documents" / "vejle-2016-beretning.txt"
    path.write_bytes(path.read_bytes() + "\nRådet vil også arbejde med fleksjob.\n".encode("latin-1"))
    code, stdout, _ = cli("run", "--corpus", corpus, "--out", out, "--quiet")
    assert code == 0 and "(1 parsed, 4 from cache)" in stdout


def test_bad_input_lists_every_problem_writes_nothing_and_keeps_old_outputs(ran, cli):
    corpus, out, _ = ran
    old = tree_hash(out / "tables")
    add_document(corpus, "scannet", "scannet.pdf", source=BAD / "scanned.pdf")
    add_document(corpus, "laast", "laast.pdf", source=BAD / "encrypted.pdf", municipality="Gentofe")
    (corpus / "documents" / "glemt.txt").write_text("Om boliger.", encoding="utf-8")
    snapshot = tree_hash(corpus)
    code, _, stderr = cli("run", "--corpus", corpus, "--out", out, "--quiet")
    assert code == 2
    lines = stderr.strip().splitlines()
    assert f"error: {corpus}/metadata.csv line 8: unknown municipality 'Gentofe'; did you mean 'Gentofte'?" in lines
    assert f"error: {corpus}/documents/glemt.txt: file is present but not listed in metadata.csv; " \
           "add a row for it or move it out of the corpus folder" in lines
    assert any(ln.startswith(f"error: {corpus}/documents/scannet.pdf: no text layer (scanned?)") for ln in lines)
    assert lines[-1].startswith("3 problems; nothing was written (previous outputs kept).")
    assert tree_hash(out / "tables") == old
    assert tree_hash(corpus) == snapshot


def test_skip_bad_processes_the_good_and_records_why(corpus, tmp_path, cli):
    add_document(corpus, "scannet", "scannet.pdf", source=BAD / "scanned.pdf")
    add_document(corpus, "tom", "tom.txt", content=b"  \n")
    add_document(corpus, "kodet", "kodet.txt", source=BAD / "binary.txt")
    out = tmp_path / "out"
    code, _, stderr = cli("run", "--corpus", corpus, "--out", out, "--skip-bad", "--quiet")
    assert code == 0
    docs = pd.read_csv(out / "tables" / "documents.csv").set_index("doc_id")
    assert docs.loc["scannet", "status"] == "no text layer (scanned?)"
    assert docs.loc["tom", "status"] == "document is empty or whitespace-only (no paragraphs found)"
    assert docs.loc["kodet", "status"].startswith("cannot be decoded as text")
    assert docs.loc["scannet", "n_segments"] == 0
    assert (docs["status"] == "ok").sum() == 5
    assert "skipped scannet: no text layer (scanned?)" in stderr
    segs = pd.read_csv(out / "tables" / "segments.csv")
    assert set(segs["doc_id"]) == set(docs.index[docs["status"] == "ok"])


def test_bad_config_is_named(corpus, tmp_path, cli):
    config = tmp_path / "config.yaml"
    config.write_text("nlp:\n  batch_sise: 10\nseed: abc\n", encoding="utf-8")
    code, _, stderr = cli("run", "--corpus", corpus, "--out", tmp_path / "out", "--config", config)
    assert code == 2
    assert f"error: {config}: unknown setting 'nlp.batch_sise'; known settings here:" in stderr
    assert f"error: {config}: setting 'seed' is 'abc', expected int; the default is 20261122" in stderr
