"""The command line: ``python -m analysis <verb>``.

Usage::

    python -m analysis run --corpus corpus --out outputs
    python -m analysis run --skip-bad

Exit codes: 0 success; 1 an unexpected failure or a failed report notebook; 2 bad input (corpus,
config or codebook), with every problem listed on stderr, one line each; 3 another report run
holds the lock.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from analysis.errors import InputError
from analysis.paths import DEFAULT_CORPUS, DEFAULT_OUT

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Compare Danish municipal udsattepolitikker: corpus -> themes -> comparison -> reports.")

EXIT_BAD_INPUT = 2


@app.callback()
def _root() -> None:
    """Compare Danish municipal udsattepolitikker: corpus -> themes -> comparison -> reports."""

CorpusOpt = typer.Option(DEFAULT_CORPUS, "--corpus", help="Corpus folder (metadata.csv + documents/).")
OutOpt = typer.Option(DEFAULT_OUT, "--out", help="Output folder; tables go to OUT/tables.")
ConfigOpt = typer.Option(None, "--config", help="Settings YAML (default: the project's config.yaml).")


def _fail_input(exc: InputError, wrote_nothing: bool = True) -> None:
    for problem in exc.problems:
        typer.echo(f"error: {problem}", err=True)
    n = len(exc.problems)
    if wrote_nothing:
        typer.echo(f"{n} problem{'s' if n != 1 else ''}; nothing was written (previous outputs kept). "
                   "Fix them, or re-run with --skip-bad to process the good documents.", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def run(
    corpus: Path = CorpusOpt,
    out: Path = OutOpt,
    config: Optional[Path] = ConfigOpt,
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip bad documents and record why in documents.csv."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Read, clean, segment and analyse the corpus; write the tables to OUT/tables."""
    from analysis.pipeline import run_pipeline

    try:
        result = run_pipeline(corpus, out, config, skip_bad=skip_bad, progress=not quiet)
    except InputError as exc:
        _fail_input(exc)
        return
    docs = result.documents
    ok = int((docs["status"] == "ok").sum())
    for row in docs[docs["status"] != "ok"].itertuples():
        typer.echo(f"skipped {row.doc_id}: {row.status}", err=True)
    for problem in result.problems:
        if not problem.doc_id:
            typer.echo(f"warning: {problem}", err=True)
    typer.echo(f"{ok} documents, {len(result.segments)} segments, {int(result.segments['n_tokens'].sum())} tokens "
               f"({result.stats.get('parsed', 0)} parsed, {result.stats.get('cached', 0)} from cache)")
    typer.echo(f"tables written to {Path(out) / 'tables'}")


@app.command()
def bench(
    words: int = typer.Option(1_000_000, "--words", help="Size of the synthetic corpus in words."),
    config: Optional[Path] = ConfigOpt,
    keep: Optional[Path] = typer.Option(None, "--keep", help="Build the corpus and outputs here and keep them."),
) -> None:
    """Print speed figures of the main job on a synthetic corpus (cold, cached, one changed document)."""
    from analysis.bench import run_benchmark

    run_benchmark(words, config, keep)


def main() -> None:
    """Run the CLI (console script ``udsatte``)."""
    app()


if __name__ == "__main__":
    main()
    sys.exit(0)
