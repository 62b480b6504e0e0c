"""The conductor: the stages of a run in order, and the freshness check that skips a run whose
tables are current. Each stage's work is in its own package (see the README's "How the code is
laid out").

Usage::

    from analysis.pipeline import run_pipeline
    result = run_pipeline("corpus", "outputs")
    result.segments.head()
"""

from __future__ import annotations

import json
from pathlib import Path

from analysis.base import parallel
from analysis.base.config import load_config
from analysis.base.errors import InputError, Problem
from analysis.base.freshness import is_current, stat_signature, tables_fingerprint
from analysis.base.paths import cache_dir
from analysis.base.result import RunResult
from analysis.base.version import program_version
from analysis.coding.own import correct_shares, measure_own
from analysis.compare.run import clusters_and_comparison
from analysis.corpus.metadata import load_corpus
from analysis.corpus.tables import build_tables, corpus_fingerprint, ingest_corpus
from analysis.nlp import tokens as nlp
from analysis.publish import i18n
from analysis.publish.table_files import write_run
from analysis.publish.views import Results, load_results
from analysis.themes.checkset import check_set_fingerprint
from analysis.themes.devset import devset_path
from analysis.themes.lexicon import load_codebook
from analysis.themes.measure import annotations_fingerprint, measure_themes


def run_pipeline(corpus: str | Path = "corpus", out: str | Path = "outputs", config: str | Path | None = None,
                 skip_bad: bool = False, progress: bool = True, codebook: str | Path | None = None,
                 jobs: int | None = None) -> RunResult:
    """Run the main job and write ``OUT/tables``.

    Parameters
    ----------
    corpus, out : str or Path
        The corpus folder and the output folder.
    config : str or Path, optional
        A settings YAML (defaults to the project's config.yaml).
    skip_bad : bool
        Process the good documents and record each bad one in documents.csv. Without it, any
        problem stops the run before anything is written.
    codebook : str or Path, optional
        The codebook YAML (defaults to ``themes.codebook`` in the config).
    progress : bool
        Show progress bars.
    jobs : int, optional
        Processes for the per-document stages of a large corpus (reading, tokens, lexicon);
        default every core. The tables do not depend on it.

    Raises
    ------
    InputError
        Listing every problem found, when there are problems and ``skip_bad`` is False.
    """
    clock = _Stages()
    signature = stat_signature(corpus, config, codebook, skip_bad)  # before anything is read
    cfg = load_config(config)
    book = load_codebook(codebook or cfg["themes"]["codebook"])
    out = Path(out)
    parallel.require_shared(corpus)  # on a cluster, the workers read the documents
    loaded = load_corpus(corpus)
    segments_by_doc, read_problems = ingest_corpus(loaded, jobs, cache_dir(out) / "segments", cfg["corpus"])
    problems = loaded.problems + read_problems
    if problems and not skip_bad:
        raise InputError(problems)
    if not segments_by_doc:
        raise InputError(problems or [Problem(str(corpus), "no usable documents", fix="add documents")])
    clock.lap("read")
    texts = {d: [s.text for s in segs] for d, segs in segments_by_doc.items()}
    ids = {d: [s.segment_id for s in segs] for d, segs in segments_by_doc.items()}
    tokens, stats = nlp.analyse_documents(texts, ids, cfg, cache_dir(out), progress=progress, jobs=jobs)
    result = build_tables(loaded, segments_by_doc, problems, tokens, stats)
    result.stats.update({"corpus_fingerprint": corpus_fingerprint(loaded), "n_problems": len(problems),
                         "annotations_fingerprint": annotations_fingerprint(Path(corpus), devset_path(cfg)),
                         "check_set_fingerprint": check_set_fingerprint(),
                         "program_version": program_version(), "skip_bad": skip_bad, "stat_signature": signature})
    clock.lap("nlp")
    measure_themes(result, cfg, book, Path(corpus), cache_dir(out), jobs)
    measure_own(result, cfg, book, Path(corpus))
    clock.lap("themes")
    clusters_and_comparison(result, cfg, book, cache_dir(out), jobs)
    correct_shares(result, cfg, book, cache_dir(out))
    clock.lap("clusters and compare")
    result.stats["stage_seconds"] = clock.seconds  # in run.json (writing the tables follows)
    result.stats["stage_peak_mb"] = clock.peak_mb
    write_run(result, cfg, out, Path(corpus))
    return result


class _Stages:
    """Seconds spent in each stage of a run, and the process's peak memory (MB) at the end of
    each (for run.json and the benchmark)."""

    def __init__(self):
        import time

        self._now = time.perf_counter
        self._last = self._now()
        self.seconds: dict[str, float] = {}
        self.peak_mb: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = self._now()
        self.seconds[stage] = round(now - self._last, 3)
        self._last = now
        try:
            import resource

            self.peak_mb[stage] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        except ImportError:  # not on Windows
            pass


def ensure_tables(corpus: str | Path = "corpus", out: str | Path = "outputs", config: str | Path | None = None,
                  codebook: str | Path | None = None, progress: bool = True, skip_bad: bool = False) -> dict:
    """Bring OUT/tables up to date for this corpus, config and codebook; return the run metadata.

    The main job runs only when the tables are missing or were made from another corpus,
    hand coding, config, codebook or program version, or skipped bad documents that this call
    does not allow to skip (each run is cheap when the caches are warm).
    """
    for allowed in ([False, True] if skip_bad else [False]):  # a clean run also serves --skip-bad
        meta = is_current(out, stat_signature(corpus, config, codebook, allowed))
        if meta is not None:
            return meta
    meta_path = Path(out) / "tables" / "run.json"
    cfg = load_config(config)
    book = load_codebook(codebook or cfg["themes"]["codebook"])
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        loaded = load_corpus(corpus)
        wanted = {"corpus_fingerprint": corpus_fingerprint(loaded), "codebook_fingerprint": book.fingerprint,
                  "config_fingerprint": tables_fingerprint(cfg),
                  "annotations_fingerprint": annotations_fingerprint(corpus, devset_path(cfg)),
                  "check_set_fingerprint": check_set_fingerprint(),
                  "program_version": program_version()}
        if all(meta.get(k) == v for k, v in wanted.items()) and (skip_bad or not meta.get("n_skipped")):
            return meta
    run_pipeline(corpus, out, config, skip_bad=skip_bad, progress=progress, codebook=codebook)
    return json.loads(meta_path.read_text(encoding="utf-8"))


def prepare(corpus: str | Path, out: str | Path, config: str | Path | None = None,
            codebook: str | Path | None = None, skip_bad: bool = False, language: str | None = None) -> Results:
    """Bring the tables up to date (running the main job only if needed) and load them: the
    notebooks' first call.

    ``skip_bad=True`` accepts a corpus with bad documents (they are left out and listed in
    the documents table); otherwise bad input raises an error that lists every problem.
    ``language`` ("da" or "en") is the language of every text shown from now on; None takes
    ``reports.language`` from the config.
    """
    i18n.use(language or load_config(config)["reports"]["language"])
    ensure_tables(corpus, out, config, codebook, progress=False, skip_bad=skip_bad)
    return load_results(out, codebook)
