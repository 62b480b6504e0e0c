"""Speed figures on synthetic corpora of given sizes, against bare spaCy on the same texts.

For each size the benchmark builds a corpus from the shipped corpus's paragraphs (shuffled with
the config seed into documents of about 5,000 words over ``--municipalities`` municipalities),
then times, each as its own ``python -m analysis`` process (so Python's start and the imports
count, and each step's peak memory is its own):

- bare spaCy: ``spacy.blank("da")`` with the lookup lemmatizer over the same paragraphs with
  ``nlp.pipe`` in one process, the reference that ratios are taken against;
- fitting the theme methods, which happens once per machine and hand coding (on a one-document
  corpus; a no-op when the shared cache has them);
- ``run`` cold (empty output folder), ``run`` again with nothing changed, ``run`` after one
  document changed, and (unless ``--no-report``) ``report`` with every municipality's profile.

It prints seconds, words per second, peak memory, each run's stages and the ratios, and writes
``OUT/bench/bench.csv``, ``bench.md`` and ``bench.png`` (seconds and memory against corpus size).
It asserts nothing about time.

Usage::

    python -m analysis bench --words 250000 --words 1000000 --out outputs
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis.base.config import load_config
from analysis.base.paths import DEFAULT_CORPUS
from analysis.corpus.metadata import load_corpus, load_municipalities

#: Run in a child process: the command's own peak memory is printed when it ends.
_CHILD = """
import atexit, resource, sys
atexit.register(lambda: print(f"BENCH_PEAK_KB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr))
sys.argv = ["analysis", *sys.argv[1:]]
from analysis.cli import main
main()
"""

_BARE = """
import json, resource, sys, time
start = time.perf_counter()
import spacy
from spacy.language import Language
from spacy.lookups import load_lookups

table = load_lookups("da", ["lemma_lookup"]).get_table("lemma_lookup")

@Language.component("bare_lookup_lemmas")
def lemmas(doc):
    for token in doc:
        token.lemma_ = table.get(token.lower_, token.lower_)
    return doc

paragraphs = [p for p in open(sys.argv[1], encoding="utf-8").read().split("\\n\\n") if p.strip()]
nlp = spacy.blank("da")
nlp.add_pipe("bare_lookup_lemmas")
n = sum(len(doc) for doc in nlp.pipe(paragraphs, batch_size=256))
print(json.dumps({"seconds": time.perf_counter() - start, "tokens": n,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

COLUMNS = ["words", "municipalities", "documents", "step", "seconds", "words_per_s", "peak_mb", "ratio_to_spacy",
           "stages"]


def make_synthetic_corpus(target: Path, words: int, seed: int, source: Path = DEFAULT_CORPUS,
                          doc_words: int = 5000, municipalities: int = 98) -> int:
    """Write a corpus of about ``words`` words to ``target``; return the number of documents."""
    loaded = load_corpus(source)
    paragraphs = []
    for path in loaded.ok["path"]:
        text = Path(path).read_text(encoding="utf-8")
        paragraphs.extend(p.strip() for p in text.split("\n\n") if len(p.split()) > 8)
    rng = random.Random(seed)
    names = list(load_municipalities()["municipality"])[:max(1, min(municipalities, 98))]
    (target / "documents").mkdir(parents=True)
    rows = [["doc_id", "file", "municipality", "doc_type", "year", "title"]]
    written, n = 0, 0
    while written < words:
        n += 1
        chunk, size = [], 0
        while size < min(doc_words, max(words - written, 1)):
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


def _child(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run ``python -m analysis ARGS`` in a new process; return seconds, peak MB and stdout."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"benchmark step 'analysis {' '.join(args[:1])}' failed:\n{done.stderr[-2000:]}")
    peak = [line for line in done.stderr.splitlines() if line.startswith("BENCH_PEAK_KB=")]
    return seconds, (int(peak[-1].split("=")[1]) / 1024 if peak else float("nan")), done.stdout


def _bare_spacy(corpus: Path, env: dict) -> dict:
    texts = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((corpus / "documents").glob("*.txt")))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write(texts)
    try:
        done = subprocess.run([sys.executable, "-c", _BARE, f.name], capture_output=True, text=True, env=env,
                              check=True)
    finally:
        os.unlink(f.name)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_size(words: int, municipalities: int, base: Path, seed: int, config: str | Path | None,
               report: bool, jobs: int | None, echo=print, workers: int | None = None,
               scheduler: str | None = None) -> list[dict]:
    """Every step for one corpus size; rows of :data:`COLUMNS`. With ``workers`` (a local Dask
    cluster) or ``scheduler`` (an existing one), the cold run is also timed on the cluster, on
    the same corpus with caches of its own, and its tables are compared with the local run's."""
    corpus, out = base / "corpus", base / "out"
    n_docs = make_synthetic_corpus(corpus, words, seed, municipalities=municipalities)
    env = dict(os.environ)
    common = ["--corpus", str(corpus), "--out", str(out), "--quiet", *(["--config", str(config)] if config else [])]
    rows = []
    bare = _bare_spacy(corpus, env)
    n_words = bare["tokens"]

    def row(step: str, seconds: float, peak: float, stages: dict | None = None) -> None:
        rows.append({"words": words, "municipalities": municipalities, "documents": n_docs, "step": step,
                     "seconds": round(seconds, 2), "words_per_s": round(n_words / seconds) if seconds else None,
                     "peak_mb": round(peak, 1), "ratio_to_spacy": round(seconds / bare["seconds"], 2),
                     "stages": json.dumps(stages or {}, sort_keys=True)})
        echo(f"{words:>10,} words  {step:<28} {seconds:7.1f} s  {peak:7.0f} MB  {seconds / bare['seconds']:5.1f}x spaCy")

    row("bare spaCy (one process)", bare["seconds"], bare["peak_mb"])
    # The theme methods are fitted once per machine and hand coding (shared cache): fit them on a
    # one-document copy first, so that the cold run times what every new corpus costs.
    tiny = base / "fit"
    (tiny / "documents").mkdir(parents=True)
    first = sorted((corpus / "documents").iterdir())[0]
    shutil.copy(first, tiny / "documents" / first.name)
    with open(corpus / "metadata.csv", encoding="utf-8") as f:
        (tiny / "metadata.csv").write_text("".join(f.readlines()[:2]), encoding="utf-8")
    seconds, peak, _ = _child(["run", "--corpus", str(tiny), "--out", str(base / "fit-out"), "--quiet",
                               *(["--config", str(config)] if config else [])], env)
    row("fit theme methods (once)", seconds, peak)
    for step, extra in (("run, cold", []), ("run, nothing changed", [])):
        seconds, peak, _ = _child(["run", *common, *extra], env)
        stages = json.loads((out / "tables" / "run.json").read_text(encoding="utf-8")).get("stage_seconds")
        row(step, seconds, peak, stages if step.endswith("cold") else None)
    if workers or scheduler:
        on = ["--workers", str(workers)] if workers else ["--scheduler", scheduler]
        elsewhere = base / "out-dask"
        seconds, peak, _ = _child(["run", "--corpus", str(corpus), "--out", str(elsewhere), "--quiet", *on,
                                   *(["--config", str(config)] if config else [])], env)
        row(f"run, cold, on Dask ({workers or scheduler})", seconds, peak,
            json.loads((elsewhere / "tables" / "run.json").read_text(encoding="utf-8")).get("stage_seconds"))
        same = all((elsewhere / "tables" / p.name).read_bytes() == p.read_bytes()
                   for p in sorted((out / "tables").glob("*.csv")))
        echo(f"{'':>16}tables of the Dask run {'identical to' if same else 'DIFFERENT from'} the local run's")
    first = sorted((corpus / "documents").iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nEn ny sætning om boliger.\n", encoding="utf-8")
    seconds, peak, _ = _child(["run", *common], env)
    row("run, one document changed", seconds, peak,
        json.loads((out / "tables" / "run.json").read_text(encoding="utf-8")).get("stage_seconds"))
    echo(f"{words:>10,} words  {summary(rows)}")
    if report:
        seconds, peak, stdout = _child(["report", *common, *(["--jobs", str(jobs)] if jobs else [])], env)
        row("report, every profile", seconds, peak)
        timing = [line for line in stdout.splitlines() if " notebooks in " in line]
        if timing:
            echo(f"{'':>16}{timing[-1]}")
    return rows


def summary(rows: list[dict]) -> str:
    """The issue's ratios for one corpus size: the cold run to bare spaCy, the unchanged re-run's
    seconds, and the run after one changed document to the cold run."""
    by = {r["step"]: r for r in rows}
    cold, same, one = by.get("run, cold"), by.get("run, nothing changed"), by.get("run, one document changed")
    if not (cold and same and one):
        return ""
    dask = [r for s, r in by.items() if s.startswith("run, cold, on Dask")]
    on = (f"; on Dask {cold['seconds'] / dask[0]['seconds']:.2f} of the local cold run's throughput" if dask
          else "")
    return (f"cold run {cold['ratio_to_spacy']:.1f}x bare spaCy; nothing changed {same['seconds']:.2f} s; "
            f"one document changed {one['seconds'] / cold['seconds']:.2f}x the cold run{on}")


def write_outputs(rows: list[dict], folder: Path) -> None:
    """bench.csv, bench.md and bench.png in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "bench.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    cores, memory = os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [f"# Benchmark ({cores} cores, {memory:.0f} GB memory)", "",
             "| words | step | seconds | words/s | peak MB | × bare spaCy | s per million words | MB per million words |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        per = 1e6 / r["words"]
        lines.append(f"| {r['words']:,} | {r['step']} | {r['seconds']} | {r['words_per_s'] or ''} | {r['peak_mb']} | "
                     f"{r['ratio_to_spacy']} | {r['seconds'] * per:.1f} | {r['peak_mb'] * per:.0f} |")
    lines.append("")
    for words in dict.fromkeys(r["words"] for r in rows):
        text = summary([r for r in rows if r["words"] == words])
        if text:
            lines.append(f"- {words:,} words: {text}")
    (folder / "bench.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for step in dict.fromkeys(r["step"] for r in rows):
        part = [r for r in rows if r["step"] == step]
        sizes = [r["words"] / 1e6 for r in part]
        left.plot(sizes, [r["seconds"] for r in part], marker="o", label=step)
        right.plot(sizes, [r["peak_mb"] for r in part], marker="o", label=step)
    left.set(xlabel="Corpus size (million words)", ylabel="Seconds", title="Time")
    right.set(xlabel="Corpus size (million words)", ylabel="Peak memory (MB)", title="Memory")
    left.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(folder / "bench.png", dpi=110)
    plt.close(fig)


def run_benchmark(words: list[int] | int = 1_000_000, config: str | Path | None = None, keep: Path | None = None,
                  municipalities: int = 98, out: Path | None = None, report: bool = True,
                  jobs: int | None = None, echo=print, workers: int | None = None,
                  scheduler: str | None = None) -> list[dict]:
    """Benchmark every size in ``words``; print the figures and write them to ``OUT/bench``."""
    cfg = load_config(config)
    sizes = [words] if isinstance(words, int) else list(words)
    rows = []
    for size in sizes:
        base = Path(keep) / f"w{size}" if keep else Path(tempfile.mkdtemp(prefix="udsatte-bench-"))
        if base.exists():
            shutil.rmtree(base)
        base.mkdir(parents=True)
        try:
            rows.extend(bench_size(size, municipalities, base, cfg["seed"], config, report, jobs, echo, workers,
                                   scheduler))
        finally:
            if not keep:
                shutil.rmtree(base, ignore_errors=True)
    folder = Path(out or "outputs") / "bench"
    write_outputs(rows, folder)
    echo(f"written to {folder / 'bench.csv'}, {folder / 'bench.md'} and {folder / 'bench.png'}")
    return rows
