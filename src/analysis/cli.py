"""The command line: ``python -m analysis <verb>``.

Usage::

    python -m analysis run --corpus corpus --out outputs
    python -m analysis run --skip-bad

Exit codes: 0 success; 1 an unexpected failure or a failed report notebook; 2 bad input (corpus,
config or codebook), with every problem listed on stderr, one line each; 3 another run holds the
output folder's lock.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from analysis.base.errors import InputError, OutputLocked, Problem
from analysis.base.paths import DEFAULT_CORPUS, DEFAULT_OUT

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Compare Danish municipal udsattepolitikker: corpus -> themes -> comparison -> reports.")

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3


@app.callback()
def _root() -> None:
    """Compare Danish municipal udsattepolitikker: corpus -> themes -> comparison -> reports."""

CorpusOpt = typer.Option(DEFAULT_CORPUS, "--corpus", help="Corpus folder (metadata.csv + documents/).")
OutOpt = typer.Option(DEFAULT_OUT, "--out", help="Output folder; tables go to OUT/tables.")
ConfigOpt = typer.Option(None, "--config", help="Settings YAML (default: the project's config.yaml).")
CodebookOpt = typer.Option(None, "--codebook", help="Codebook YAML (default: themes.codebook in the config).")
SchedulerOpt = typer.Option(None, "--scheduler", help="Run the per-document stages on the Dask cluster whose "
                                                      "scheduler is at this address (tcp://host:8786).")
WorkersOpt = typer.Option(None, "--workers", min=1, help="Run the per-document stages on a local Dask cluster of "
                                                         "this many worker processes.")


def _cluster(config, scheduler: str | None, workers: int | None):
    """The Dask cluster the options (else ``engine`` in the config) ask for; none: this machine.
    An unreachable scheduler ends the command with one line (exit 2)."""
    from contextlib import contextmanager

    from analysis.base import parallel

    if scheduler is None and workers is None:
        from analysis.base.config import load_config

        try:
            engine = load_config(config)["engine"]
        except InputError as exc:
            _fail_input(exc)
        scheduler, workers = engine["scheduler"] or None, engine["workers"] or None

    @contextmanager
    def using():
        try:
            with parallel.cluster(scheduler, workers, echo=lambda line: typer.echo(line, err=True)) as client:
                yield client
        except parallel.ClusterError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)

    return using()


def _fail_input(exc: InputError, wrote_nothing: bool = True) -> None:
    for problem in exc.problems:
        typer.echo(f"error: {problem}", err=True)
    n = len(exc.problems)
    if wrote_nothing:
        # --skip-bad helps with bad documents, not with a mistyped option such as --language
        options_only = all(str(p.path).startswith("--") for p in exc.problems)
        typer.echo(f"{n} problem{'s' if n != 1 else ''}; nothing was written (previous outputs kept). "
                   + ("Fix them and re-run." if options_only else
                      "Fix them, or re-run with --skip-bad to process the good documents."), err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def run(
    corpus: Path = CorpusOpt,
    out: Path = OutOpt,
    config: Optional[Path] = ConfigOpt,
    codebook: Optional[Path] = CodebookOpt,
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip bad documents and record why in documents.csv."),
    force: bool = typer.Option(False, "--force", help="Run even when nothing has changed since the last run."),
    excel: bool = typer.Option(False, "--excel", help="Also write OUT/tables/analysis.xlsx (report writes it too)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Processes for reading, tokens and the lexicon of a large corpus "
                                            "[default: every core]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    scheduler: Optional[str] = SchedulerOpt,
    workers: Optional[int] = WorkersOpt,
) -> None:
    """Read, clean, segment and analyse the corpus; measure themes and clusters; write OUT/tables."""
    meta = None
    if not force:
        from analysis.base.freshness import is_current, stat_signature

        meta = is_current(out, stat_signature(corpus, config, codebook, skip_bad))
        if meta is not None:  # decided from file sizes and times, before spaCy or pandas is imported
            typer.echo(f"nothing changed since the run of {meta.get('finished')}: {Path(out) / 'tables'} is up to "
                       f"date ({meta.get('n_documents')} documents, {meta.get('n_segments')} segments; "
                       "--force runs anyway)")
    if meta is None:
        with _cluster(config, scheduler, workers):
            result = _run(corpus, out, config, codebook, skip_bad, quiet, jobs)
        _summarise(result, out)
    if excel:
        from analysis.publish.workbook import ensure_workbook

        typer.echo(f"workbook: {ensure_workbook(out)}")


def _run(corpus, out, config, codebook, skip_bad, quiet, jobs=None):
    from analysis.pipeline import run_pipeline

    try:
        return run_pipeline(corpus, out, config, skip_bad=skip_bad, progress=not quiet, codebook=codebook, jobs=jobs)
    except InputError as exc:
        _fail_input(exc)
    except OutputLocked as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_LOCKED)


def _summarise(result, out: Path) -> None:
    docs = result.documents
    ok = int((docs["status"] == "ok").sum())
    for row in docs[docs["status"] != "ok"].itertuples():
        typer.echo(f"skipped {row.doc_id or '(no doc_id) ' + str(row.file)}: {row.status}", err=True)
    for problem in result.problems:
        if not problem.doc_id:
            typer.echo(f"warning: {problem}", err=True)
    st = result.stats
    typer.echo(f"{ok} documents, {len(result.segments)} segments, {int(result.segments['n_tokens'].sum())} tokens "
               f"({st.get('parsed', 0)} parsed, {st.get('cached', 0)} from cache)")
    trained = [f"{st['n_dev_train']} development-set segments"] if st.get("n_dev_train") else []
    if st.get("n_annotated"):
        trained.append(f"{st['n_annotated']} hand-coded segments of this corpus")
    basis = f"; fitted on {' and '.join(trained)}" if trained else "; no hand coding: the lexicon alone"
    typer.echo(f"themes: {st.get('theme_method')} (codebook {st.get('codebook_version')}{basis})")
    if st.get("annotations_unmatched"):
        typer.echo(f"warning: {st['annotations_unmatched']} annotations match no current segment (their text "
                   "changed); re-code them", err=True)
    stab = st.get("clusters_stability_ari", {})
    typer.echo(f"clusters: k={st.get('clusters_k')} ({st.get('clusters_criterion')}); stability ARI "
               f"kmeans={stab.get('kmeans')} nmf={stab.get('nmf')}")
    typer.echo(f"tables written to {Path(out) / 'tables'}")


@app.command()
def check(
    corpus: Path = CorpusOpt,
    config: Optional[Path] = ConfigOpt,
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Processes for reading [default: every core]."),
) -> None:
    """Check a corpus as `run` would (metadata, files, links, file types, sizes, decoding, empty text,
    PDFs) without tokenizing or writing anything; exit 0 when it is good, 2 with every problem."""
    from analysis.corpus.manage import check_corpus

    try:
        problems, n = check_corpus(corpus, config, jobs)
    except InputError as exc:
        problems, n = exc.problems, 0
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {corpus}; `run` would stop on "
                   "them (or skip those documents with --skip-bad)", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"{corpus}: {n} document{'s' if n != 1 else ''} checked, no problems")


@app.command()
def add(
    files: list[Path] = typer.Argument(..., help="Documents to add (.txt, .md, .pdf, .docx, .html)."),
    municipality: str = typer.Option(..., "--municipality", "-m", help="The municipality (one of the 98)."),
    doc_type: str = typer.Option(..., "--doc-type", help="politik, handleplan, strategi, ..."),
    year: str = typer.Option(..., "--year", help="Year adopted or published (YYYY)."),
    title: Optional[str] = typer.Option(None, "--title", help="Title [default: the first heading, else the "
                                                                "file name]."),
    corpus: Path = CorpusOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Copy documents into the corpus under safe names and append their rows to metadata.csv
    (checked as `run` checks them; nothing is written when a check fails)."""
    from analysis.corpus.manage import add_documents, describe
    from analysis.corpus.metadata import resolve_municipality

    try:
        added = add_documents(files, corpus, municipality, doc_type, year, title, config)
    except InputError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo("nothing was added", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    for a in added:
        typer.echo(describe(a, corpus, resolve_municipality(municipality), doc_type.strip().lower(), year))


@app.command()
def validate(
    corpus: Path = CorpusOpt,
    out: Path = OutOpt,
    config: Optional[Path] = ConfigOpt,
    codebook: Optional[Path] = CodebookOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Compare lexicon, model and combined by grouped cross-validation on the train split; score the
    chosen method once on the locked test split (with bootstrap intervals)."""
    from analysis.coding.own import own_summary
    from analysis.themes.validation import summary_text

    result = _run(corpus, out, config, codebook, False, quiet)
    table = result.extra.get("validation")
    if table is None:
        typer.echo(f"error: no hand coding to validate against: neither the development set "
                   f"(themes.dev_set) nor {corpus}/annotations.csv has 20 coded segments from two municipalities",
                   err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(summary_text(table, result.extra.get("validation_checks"), result.stats))
    typer.echo("\n" + "\n".join(own_summary(table, result.stats, result.extra)))
    typer.echo(f"written to {Path(out) / 'tables' / 'validation.csv'} (and validation_checks.csv, calibration.csv)")


@app.command()
def sample(
    n: int = typer.Option(200, "--n", min=0, help="Paragraphs of the random part (stratified by municipality and "
                                                  "document type)."),
    coder: list[str] = typer.Option(..., "--coder", help="Who codes (repeatable: one sheet per coder)."),
    overlap: int = typer.Option(0, "--overlap", min=0, help="Paragraphs every coder codes (several coders), or "
                                                            "paragraphs other coders have, coded again (one coder)."),
    learning: int = typer.Option(0, "--learning", min=0, help="Further paragraphs the method is least sure of "
                                                              "(teach most; never used for the unbiased figures)."),
    allocation: str = typer.Option("proportional", "--allocation",
                                   help="proportional (every paragraph the same chance) or equal (the same number "
                                        "per municipality)."),
    adjudicate: bool = typer.Option(False, "--adjudicate", help="A sheet of the paragraphs the coders disagree on, "
                                                                "for one adjudicator."),
    language: str = typer.Option("da", "--language", "-l", help="da or en: the sheet's headings and codebook."),
    corpus: Path = CorpusOpt,
    out: Path = OutOpt,
    config: Optional[Path] = ConfigOpt,
    codebook: Optional[Path] = CodebookOpt,
) -> None:
    """Draw a seeded sample of paragraphs to hand-code and write a coding sheet (.xlsx) per coder
    into CORPUS/coding/ (the machine's codes are never on it)."""
    from analysis.coding.loop import sample_for_coding
    from analysis.pipeline import ensure_tables
    from analysis.publish.i18n import check_language

    try:
        check_language(language)
    except ValueError as exc:
        _fail_input(InputError(Problem("--language", str(exc), fix="use da or en")))
    try:
        done = sample_for_coding(corpus, out, n=n, coders=coder, overlap=overlap, learning=learning,
                                   allocation=allocation, language=language, adjudicate=adjudicate, config=config,
                                   codebook=codebook, make_tables=ensure_tables)
    except InputError as exc:
        _fail_input(exc)
        return
    except OutputLocked as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_LOCKED)
    sheets = done.sheets
    if done.covered:
        typer.echo(f"{done.covered} paragraph{'s' if done.covered != 1 else ''} drawn for the random part "
                   f"{'were' if done.covered != 1 else 'was'} coded already (or on a sheet): in the sample without "
                   "being coded again")
    for s in sheets:
        parts = [f"{s.n_random} random"] + ([f"{s.n_learning} learning"] if s.n_learning else []) + \
            ([f"{s.n_again} coded by others too"] if s.n_again else []) + \
            ([f"{s.n_adjudication} to adjudicate"] if s.n_adjudication else [])
        typer.echo(f"{s.path}: {s.n_random + s.n_learning + s.n_again + s.n_adjudication} paragraphs for {s.coder} "
                   f"({', '.join(parts)})")
    if sheets:
        typer.echo("fill in every theme column with 0 or 1 (Excel or LibreOffice), then: python -m analysis code-in "
                   + " ".join(str(s.path) for s in sheets))
    else:
        typer.echo("no sheet to fill in: run `python -m analysis validate` for the figures")


@app.command("code-in")
def code_in(
    sheets: list[Path] = typer.Argument(..., help="Filled coding sheets (.xlsx, or a CSV saved from one)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Read the good rows and list the bad ones."),
    corpus: Path = CorpusOpt,
    out: Path = OutOpt,
    config: Optional[Path] = ConfigOpt,
    codebook: Optional[Path] = CodebookOpt,
) -> None:
    """Read filled coding sheets into CORPUS/annotations.csv and annotations_coders.csv (every row
    checked first; nothing is written unless all are good, or --skip-bad)."""
    from analysis.coding.loop import read_in
    from analysis.pipeline import ensure_tables

    try:
        done = read_in(sheets, corpus, out, config, codebook, skip_bad=skip_bad, make_tables=ensure_tables)
    except InputError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        n = len(exc.problems)
        typer.echo(f"{n} problem{'s' if n != 1 else ''}; nothing was read in (the annotations are as they were). "
                   "Fix them, or read the good rows with --skip-bad.", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    for problem in done.skipped:
        typer.echo(f"skipped: {problem}", err=True)
    for line in done.changed:
        typer.echo(f"changed: {line}")
    typer.echo(f"{done.coded} coded row{'s' if done.coded != 1 else ''} read ({done.new} new, {len(done.changed)} "
               f"changed, {done.unchanged} as before); {done.uncoded} not coded yet")
    if done.written:
        typer.echo("written: " + ", ".join(str(p) for p in done.written)
                   + (f" (previous versions in {done.backups[0].parent})" if done.backups else ""))
    else:
        typer.echo("nothing changed: the annotations already hold these codes")
    typer.echo("next: python -m analysis validate (agreement and the method on this corpus's own coding)")


@app.command()
def bench(
    words: Optional[list[int]] = typer.Option(None, "--words", help="Corpus size in words (repeatable; default "
                                                                     "250,000, 1,000,000 and 4,000,000)."),
    municipalities: int = typer.Option(98, "--municipalities", min=1, max=98, help="Municipalities to spread over."),
    out: Path = OutOpt,
    config: Optional[Path] = ConfigOpt,
    report: bool = typer.Option(True, "--report/--no-report", help="Also time `report` with every profile."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Kernels at once for the report."),
    keep: Optional[Path] = typer.Option(None, "--keep", help="Build the corpora and outputs here and keep them."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Also time the cold run on the Dask cluster "
                                                                      "whose scheduler is at this address."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Also time the cold run on a local Dask "
                                                                         "cluster of this many workers."),
) -> None:
    """Speed figures: run cold, unchanged and with one document changed (and report) against bare spaCy,
    at each corpus size; writes OUT/bench/bench.csv, bench.md and bench.png."""
    from analysis.bench import run_benchmark

    try:
        run_benchmark(words or [250_000, 1_000_000, 4_000_000], config, keep, municipalities, out, report, jobs,
                      echo=typer.echo, workers=workers, scheduler=scheduler)
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED)


@app.command()
def report(
    corpus: Path = CorpusOpt,
    out: Path = OutOpt,
    config: Optional[Path] = ConfigOpt,
    codebook: Optional[Path] = CodebookOpt,
    municipality: Optional[list[str]] = typer.Option(None, "--municipality", "-m",
                                                     help="Make the profile of this municipality (repeatable; "
                                                          "default: every municipality)."),
    with_code: bool = typer.Option(False, "--with-code", help="Show the code cells in the HTML."),
    notebooks: Optional[Path] = typer.Option(None, "--notebooks", help="Folder of notebooks to run.", hidden=True),
    wait: float = typer.Option(0, "--wait", help="Seconds to wait for another report run to finish."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Report on the good documents; skip the bad ones."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Notebooks executed at once, each in its own kernel (default: the cores)."),
    language: Optional[str] = typer.Option(None, "--language", "-l",
                                           help="da or en: the reports' language (default: reports.language "
                                                "in the config, da)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Less output."),
    scheduler: Optional[str] = SchedulerOpt,
    workers: Optional[int] = WorkersOpt,
) -> None:
    """Execute the notebooks with papermill into self-contained HTML reports under OUT/reports/."""
    from analysis.pipeline import ensure_tables
    from analysis.publish.reports import build_reports

    def make_tables(corpus, out, config, codebook, **kwargs):  # the tables on the cluster; the notebooks run here
        from analysis.base.freshness import is_current, stat_signature

        meta = is_current(out, stat_signature(corpus, config, codebook, kwargs.get("skip_bad", False)))
        if meta is not None:  # current: no cluster to start
            return meta
        with _cluster(config, scheduler, workers):
            return ensure_tables(corpus, out, config, codebook, **kwargs)

    try:
        run = build_reports(corpus, out, config, codebook, municipality or None, with_code, notebooks, wait,
                            progress=not quiet, echo=typer.echo, skip_bad=skip_bad, n_jobs=jobs, language=language,
                            make_tables=make_tables)
    except InputError as exc:
        _fail_input(exc)
        return
    except OutputLocked as exc:  # the report lock, or the tables' lock of a concurrent `run`
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_LOCKED)
    for warning in run.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for nb in run.notebooks:
        if nb.error:
            typer.echo(f"error: notebook {nb.error}; the executed notebook is {nb.notebook}", err=True)
    if not run.ok:
        n = sum(1 for nb in run.notebooks if nb.error)
        typer.echo(f"{n} notebook(s) failed; {Path(out) / 'reports' / 'latest'} still points at the last good run",
                   err=True)
        raise typer.Exit(EXIT_FAILED)
    if run.timing():
        typer.echo(run.timing())
    typer.echo(f"{len(run.notebooks)} reports written; open {run.index}")


def main() -> None:
    """Run the CLI (console script ``udsatte``)."""
    app()


if __name__ == "__main__":
    main()
    sys.exit(0)
