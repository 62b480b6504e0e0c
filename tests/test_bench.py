"""The benchmark command: its steps, its figures and its files (it times nothing in a test)."""

import csv
import json

from analysis.bench import COLUMNS, make_synthetic_corpus


def test_synthetic_corpus_has_the_size_and_municipalities_asked_for(tmp_path):
    n = make_synthetic_corpus(tmp_path / "c", 12_000, seed=1, municipalities=3)
    rows = list(csv.DictReader(open(tmp_path / "c" / "metadata.csv", encoding="utf-8")))
    assert len(rows) == n == 3  # documents of about 5,000 words
    assert {r["municipality"] for r in rows} == {"København", "Frederiksberg", "Ballerup"}
    words = sum(len((tmp_path / "c" / r["file"]).read_text(encoding="utf-8").split()) for r in rows)
    assert 12_000 <= words < 12_000 + 400
    again = make_synthetic_corpus(tmp_path / "d", 12_000, seed=1, municipalities=3)
    assert again == n and (tmp_path / "c" / rows[0]["file"]).read_bytes() == \
        (tmp_path / "d" / rows[0]["file"]).read_bytes()  # seeded


def test_bench_writes_every_step_with_ratios_to_bare_spacy(tmp_path, cli):
    code, stdout, stderr = cli("bench", "--words", "3000", "--municipalities", "2", "--out", tmp_path, "--no-report")
    assert code == 0, stderr
    rows = list(csv.DictReader(open(tmp_path / "bench" / "bench.csv", encoding="utf-8")))
    assert list(rows[0]) == COLUMNS
    assert [r["step"] for r in rows] == ["bare spaCy (one process)", "fit theme methods (once)", "run, cold",
                                         "run, nothing changed", "run, one document changed"]
    assert rows[0]["ratio_to_spacy"] == "1.0"
    for r in rows:
        assert float(r["seconds"]) > 0 and float(r["peak_mb"]) > 0 and float(r["ratio_to_spacy"]) > 0
    cold = json.loads(rows[2]["stages"])
    assert set(cold) == {"read", "nlp", "themes", "clusters and compare"}
    assert json.loads(rows[4]["stages"])  # the changed run's stages too
    md = (tmp_path / "bench" / "bench.md").read_text(encoding="utf-8")
    assert "| 3,000 | run, cold |" in md and "cores" in md
    assert "- 3,000 words: cold run " in md and "x the cold run" in md
    assert (tmp_path / "bench" / "bench.png").stat().st_size > 10_000
    assert "run, nothing changed" in stdout and "x spaCy" in stdout and "x bare spaCy; nothing changed" in stdout
