"""Speed figures on a synthetic corpus of a given size: cold run, cached re-run, one changed document.

The synthetic corpus is built from the shipped corpus's paragraphs, shuffled with the config
seed into documents of about 5,000 words for many municipalities, so the work is realistic
Danish policy text. It prints figures and ratios; it asserts nothing about time.

Usage::

    python -m analysis bench --words 1000000
"""

from __future__ import annotations

import csv
import random
import shutil
import tempfile
import time
from pathlib import Path

from analysis.config import load_config
from analysis.corpus import load_corpus, load_municipalities
from analysis.paths import DEFAULT_CORPUS


def make_synthetic_corpus(target: Path, words: int, seed: int, source: Path = DEFAULT_CORPUS,
                          doc_words: int = 5000) -> int:
    """Write a corpus of about ``words`` words to ``target``; return the number of documents."""
    loaded = load_corpus(source)
    paragraphs = []
    for path in loaded.ok["path"]:
        text = Path(path).read_text(encoding="utf-8")
        paragraphs.extend(p.strip() for p in text.split("\n\n") if len(p.split()) > 8)
    rng = random.Random(seed)
    names = list(load_municipalities()["municipality"])
    (target / "documents").mkdir(parents=True)
    rows = [["doc_id", "file", "municipality", "doc_type", "year", "title"]]
    written, n = 0, 0
    while written < words:
        n += 1
        chunk, size = [], 0
        while size < doc_words:
            para = rng.choice(paragraphs)
            chunk.append(para)
            size += len(para.split())
        doc_id = f"synth-{n:05d}"
        (target / "documents" / f"{doc_id}.txt").write_text("\n\n".join(chunk) + "\n", encoding="utf-8")
        rows.append([doc_id, f"documents/{doc_id}.txt", names[n % len(names)], "politik", str(2010 + n % 15),
                     f"Syntetisk dokument {n}"])
        written += size
    with open(target / "metadata.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return n


def run_benchmark(words: int = 1_000_000, config: str | Path | None = None, keep: Path | None = None) -> dict:
    """Time the main job on a synthetic corpus; return and print the figures."""
    from analysis.pipeline import run_pipeline

    cfg = load_config(config)
    base = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="udsatte-bench-"))
    corpus, out = base / "corpus", base / "out"
    if corpus.exists():
        shutil.rmtree(corpus)
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    n_docs = make_synthetic_corpus(corpus, words, cfg["seed"])
    t_make = time.perf_counter() - t0

    def timed() -> tuple[float, object]:
        start = time.perf_counter()
        result = run_pipeline(corpus, out, config, progress=False)
        return time.perf_counter() - start, result

    cold, result = timed()
    warm, _ = timed()
    first = sorted((corpus / "documents").iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nEn ny sætning om boliger.\n", encoding="utf-8")
    changed, result2 = timed()
    n_tokens = int(result.segments["n_tokens"].sum())
    figures = {
        "documents": n_docs,
        "segments": len(result.segments),
        "tokens": n_tokens,
        "make_corpus_s": round(t_make, 2),
        "cold_run_s": round(cold, 2),
        "cached_run_s": round(warm, 2),
        "one_changed_s": round(changed, 2),
        "cold_tokens_per_s": round(n_tokens / cold),
        "cached_over_cold": round(warm / cold, 3),
        "changed_parsed": result2.stats.get("parsed"),
    }
    for key, value in figures.items():
        print(f"{key:>20}: {value}")
    if not keep:
        shutil.rmtree(base, ignore_errors=True)
    return figures
