"""Reports: execute the notebooks with papermill and publish them as self-contained HTML.

One report run brings the tables up to date (reusing the caches), executes every notebook
into ``OUT/reports/<run-id>/notebooks/`` (the municipality profile once per municipality),
converts each to HTML that needs no network (figures embedded as data, no scripts from a CDN,
code hidden unless asked for), writes the front page ``index.html`` (what the corpus shows, then
the reports, downloads and the run's metadata; :mod:`analysis.publish.frontpage`) and, only when
every notebook succeeded, points ``OUT/reports/latest`` at the run. A lock keeps two runs from
writing at once.

Usage::

    from analysis.pipeline import ensure_tables
    from analysis.publish.reports import build_reports
    run = build_reports("corpus", "outputs", make_tables=ensure_tables)
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.base.errors import OutputLocked
from analysis.base.paths import NOTEBOOKS_DIR
from analysis.publish.provenance import git_commit, versions

TEMPLATE_DIR = Path(__file__).resolve().with_name("templates")
PROFILE_NOTEBOOK = "04-profile.ipynb"


class ReportLocked(OutputLocked):
    """Another report run holds the lock on this output folder."""


@dataclass
class NotebookResult:
    """One executed notebook: its report name, files, and the error if it failed."""

    name: str
    title: str
    notebook: Path
    html: Path | None = None
    error: str | None = None
    size_mb: float = 0.0
    over_limit: bool = False  # larger than reports.max_html_mb
    seconds: float = 0.0  # executing and converting it
    overhead: float = 0.0  # of which outside its cells: the kernel's start and papermill's own work
    municipality: str | None = None  # the municipality of a profile report


@dataclass
class ReportRun:
    """The result of a report run."""

    run_id: str
    folder: Path
    index: Path
    notebooks: list[NotebookResult] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0  # executing and converting every notebook
    jobs: int = 1  # kernels at once

    @property
    def ok(self) -> bool:
        return all(n.error is None for n in self.notebooks)

    def timing(self) -> str:
        """One line on where the time went: wall time, kernels, and the per-notebook fixed cost."""
        done = [n for n in self.notebooks if n.seconds]
        if not done:
            return ""
        per = sorted(n.seconds for n in done)
        fixed = sorted(n.overhead for n in done)
        return (f"{len(done)} notebooks in {self.seconds:.1f} s on {self.jobs} kernel{'s' if self.jobs > 1 else ''}; "
                f"per notebook median {per[len(per) // 2]:.1f} s, of which {fixed[len(fixed) // 2]:.1f} s is the "
                "kernel's start and papermill's own work")


def slugify(text: str) -> str:
    """A file-name-safe slug of a municipality name ("Høje-Taastrup" -> "hoeje-taastrup")."""
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})
    return re.sub(r"[^a-z0-9]+", "-", text.translate(table).lower()).strip("-")


def _notebook_title(path: Path) -> str:
    """The report's title in the reports' language (``title.<notebook>`` in the catalogue), else
    the notebook's first level-1 Markdown heading, else its file name."""
    import nbformat

    from analysis.publish import i18n

    if i18n.has(f"title.{path.stem}"):
        return i18n.t(f"title.{path.stem}")
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def html_exporter(with_code: bool, language: str = "da"):
    """An nbconvert HTML exporter for offline, shareable reports.

    The "offline" template (``src/analysis/templates/offline``) is the lab template without the
    scripts it would load from a CDN (require.js, MathJax, widgets, mermaid): the reports are
    static and open without network. Images are embedded as data by the notebooks' outputs;
    ``embed_images`` stays off, so a notebook cannot pull files from the host into a report.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input = not with_code
    exporter.exclude_input_prompt = not with_code
    exporter.exclude_output_prompt = True
    exporter.embed_images = False
    exporter.exclude_anchor_links = True
    exporter.language_code = language  # <html lang="da">: screen readers and spelling read Danish as Danish
    return exporter


def _error_summary(notebook: Path, exc: Exception) -> str:
    """One line naming the notebook and the cell that failed."""
    cell = getattr(exc, "cell_index", None)
    count = getattr(exc, "exec_count", None)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).splitlines()[0] if str(getattr(exc, "evalue", exc)) else ""
    where = f"cell {cell}" if cell is not None else "a cell"
    if count is not None:
        where += f" (execution count {count})"
    return f"{notebook.name}: {where} failed with {ename}: {evalue[:200]}"


def _ipc_kernel_manager():
    """A kernel manager that talks to the kernel over local IPC sockets instead of TCP ports."""
    from jupyter_client.manager import KernelManager
    from traitlets import default

    class IPCKernelManager(KernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc"

        @default("ip")
        def _default_ip(self):
            # The socket files' prefix: unique, so kernels started at once never share a socket.
            import tempfile
            import uuid

            return os.path.join(tempfile.gettempdir(), f"udsatte-kernel-{os.getpid()}-{uuid.uuid4().hex[:12]}")

    return IPCKernelManager


def execute_notebook(source: Path, target: Path, parameters: dict, timeout: int) -> str | None:
    """Execute one notebook with papermill; return None on success or a one-line error."""
    import papermill as pm

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(str(source), str(target), parameters=parameters, kernel_name="python3",
                            cwd=str(source.parent), progress_bar=False, execution_timeout=timeout, log_output=False,
                            kernel_manager_class=_ipc_kernel_manager())
    except Exception as exc:  # noqa: BLE001 - papermill raises its own and the kernel's errors
        return _error_summary(target, exc)
    return None


def _kernel_overhead(notebook: Path, seconds: float) -> float:
    """Seconds of a notebook's run outside its cells (kernel start, papermill's own work), from
    the cell durations papermill records."""
    import nbformat

    try:
        book = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - a notebook that failed early may not be readable
        return seconds
    cells = sum(float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0) for c in book.cells)
    return max(seconds - cells, 0.0)


def _run_one(source: Path, target: Path, params: dict, timeout: int, html_path: Path, title: str,
             with_code: bool, language: str = "da") -> dict:
    """Execute one notebook and convert it (in a worker process): error, size, seconds, overhead."""
    import time

    start = time.perf_counter()
    error = execute_notebook(source, target, params, timeout)
    seconds = time.perf_counter() - start
    done = {"error": error, "seconds": seconds, "overhead": _kernel_overhead(target, seconds), "size_mb": 0.0}
    if error is None:
        done["size_mb"] = convert_to_html(target, html_path, title, with_code, language)
    return done


def default_jobs() -> int:
    """Kernels to run at once by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)


def convert_to_html(notebook: Path, target: Path, title: str, with_code: bool, language: str = "da") -> float:
    """Convert an executed notebook to a self-contained HTML file; return its size in MB."""
    import nbformat

    book = nbformat.read(notebook, as_version=4)
    body, _ = html_exporter(with_code, language).from_notebook_node(book, resources={"metadata": {"name": title}})
    target.write_text(body, encoding="utf-8")
    return target.stat().st_size / 1e6


def _index_html(run: ReportRun, out: Path, codebook, results=None) -> str:
    """The front page (:func:`analysis.publish.frontpage.front_page_html`) in the run's language, from
    the run's loaded ``results`` (loaded from ``out`` when not given)."""
    from analysis.publish import i18n
    from analysis.publish.frontpage import front_page_html
    from analysis.publish.views import load_results

    with i18n.using(run.meta["language"]):
        try:
            return front_page_html(results if results is not None else load_results(out, codebook), run)
        except Exception as exc:  # noqa: BLE001 - the links and the run's metadata must still be written
            run.warnings.append(f"{run.index}: the front page's finding could not be made ({type(exc).__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else ''}); the page lists the reports only")
            return front_page_html(None, run)


def _publish_latest(reports: Path, run_id: str) -> None:
    """Point ``reports/latest`` at a run atomically (a symlink, or a text file where links fail)."""
    latest = reports / "latest"
    tmp = reports / f".latest-{run_id}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(run_id, tmp)
        os.replace(tmp, latest)
    except OSError:
        (reports / "LATEST").write_text(run_id + "\n", encoding="utf-8")


def _new_run_id(reports: Path) -> str:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_id, n = stamp, 1
    while (reports / run_id).exists():
        n += 1
        run_id = f"{stamp}-{n}"
    return run_id


def build_reports(corpus: str | Path = "corpus", out: str | Path = "outputs", config: str | Path | None = None,
                  codebook: str | Path | None = None, municipalities: list[str] | None = None,
                  with_code: bool = False, notebooks: str | Path | None = None, wait: float = 0,
                  progress: bool = True, echo=print, skip_bad: bool = False, n_jobs: int | None = None,
                  language: str | None = None, *, make_tables: Callable[..., dict]) -> ReportRun:
    """Run every notebook with papermill and publish HTML reports (see the module docstring).

    Parameters
    ----------
    corpus, out, config, codebook
        As for the main job.
    municipalities : list of str, optional
        Profiles to make (default: every municipality in the corpus).
    with_code : bool
        Show the code cells in the HTML.
    notebooks : str or Path, optional
        Folder of notebooks (default: the project's ``notebooks/``).
    wait : float
        Seconds to wait for another report run's lock (0: fail at once).
    skip_bad : bool
        Report on the good documents when some are bad (the index lists the skipped ones).
    n_jobs : int, optional
        Notebooks executed at once, each in its own kernel (default: the machine's cores).
    language : {"da", "en"}, optional
        The reports' language (default: ``reports.language`` in the config, Danish).
    make_tables : callable
        Brings ``OUT/tables`` up to date and returns the run metadata, called with
        ``(corpus, out, config, codebook, progress=, skip_bad=)`` while the report lock is held:
        :func:`analysis.pipeline.ensure_tables`.

    Raises
    ------
    ReportLocked
        When another run holds the lock.
    InputError
        For bad input (corpus, config, codebook, municipality names).
    """
    from filelock import FileLock, Timeout

    from analysis.base.errors import InputError, Problem
    from analysis.publish.i18n import LANGUAGES

    if language is not None and language not in LANGUAGES:  # before anything is made or written
        raise InputError([Problem("--language", f"'{language}' is not a report language",
                                  fix="use " + " or ".join(LANGUAGES))])

    from analysis.corpus.metadata import resolve_municipality
    from analysis.publish import i18n
    from analysis.publish.workbook import ensure_workbook

    out = Path(out).resolve()
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(reports / ".lock"))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise ReportLocked(f"{reports / '.lock'}: another report run is writing to this output folder; "
                           "wait for it to finish, or pass --wait SECONDS") from None
    try:
        meta = make_tables(corpus, out, config, codebook, progress=progress, skip_bad=skip_bad)
        from analysis.publish.views import load_results

        results = load_results(out, codebook)
        available = results.municipalities
        chosen = available
        if municipalities:
            chosen, problems = [], []
            for name in municipalities:
                official = resolve_municipality(name) or name
                if official in available:
                    chosen.append(official)
                else:
                    problems.append(Problem("--municipality", f"'{name}' has no documents in this corpus",
                                            fix="choose one of " + ", ".join(available)))
            if problems:
                raise InputError(problems)
        source_dir = Path(notebooks) if notebooks else NOTEBOOKS_DIR
        sources = sorted(source_dir.glob("*.ipynb"))
        run_id = _new_run_id(reports)
        folder = reports / run_id
        (folder / "notebooks").mkdir(parents=True)
        base = {"corpus": str(Path(corpus).resolve()), "out": str(out),
                "config": str(Path(config).resolve()) if config else None,
                "codebook": str(Path(codebook).resolve()) if codebook else None, "skip_bad": skip_bad}
        timeout, max_mb, configured = load_report_settings(config)
        language = language or configured
        base["language"] = language
        jobs = []
        with i18n.using(language):
            for source in sources:
                title = _notebook_title(source)
                if source.name == PROFILE_NOTEBOOK:
                    for name in chosen:
                        jobs.append((source, f"profile-{slugify(name)}", i18n.t("title.profile_of", municipality=name),
                                     {**base, "municipality": name}))
                else:
                    jobs.append((source, source.stem, title, dict(base)))
        run = ReportRun(run_id, folder, folder / "index.html")
        targets = [(source, folder / "notebooks" / f"{stem}.ipynb", params, folder / f"{stem}.html", stem, title)
                   for source, stem, title, params in jobs]
        n_jobs = max(1, min(n_jobs or default_jobs(), len(targets)))
        if progress:
            echo(f"executing {len(targets)} notebooks on {n_jobs} kernel{'s' if n_jobs > 1 else ''} at once")
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(_run_one, source, target, params, timeout, html_path, title, with_code, language)
                       for source, target, params, html_path, stem, title in targets]
            for future, (source, target, params, html_path, stem, title) in zip(futures, targets):
                done = future.result()  # in job order: the index lists reports in a fixed order
                result = NotebookResult(stem, title, target, error=done["error"], seconds=done["seconds"],
                                        overhead=done["overhead"], municipality=params.get("municipality"))
                if progress:
                    echo(f"{'failed' if done['error'] else 'done'} {target.name} in {done['seconds']:.1f} s "
                         f"(kernel and papermill {done['overhead']:.1f} s)")
                if done["error"] is None:
                    result.html, result.size_mb = html_path, done["size_mb"]
                    result.over_limit = result.size_mb > max_mb
                    if result.over_limit:
                        run.warnings.append(
                            f"{result.html}: {result.size_mb:.1f} MB, over reports.max_html_mb ({max_mb:g} MB); e-mail "
                            "may refuse it: share the folder, or narrow the report (--municipality, or "
                            "compare.doc_types in the config)")
                run.notebooks.append(result)
        run.seconds = time.perf_counter() - started
        run.jobs = n_jobs
        shutil.copy2(ensure_workbook(out), folder / "analysis.xlsx")
        run.meta = {
            "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "corpus": str(Path(corpus).resolve()), "corpus_fingerprint": meta.get("corpus_fingerprint"),
            "n_documents": meta.get("n_documents"), "n_skipped": meta.get("n_skipped", 0),
            "n_municipalities": len(available),
            "n_segments": meta.get("n_segments"), "codebook_version": meta.get("codebook_version"),
            "theme_method": meta.get("theme_method"), "git_commit": git_commit(), "versions": versions(),
            "language": language,
        }
        run.index.write_text(_index_html(run, out, codebook, results), encoding="utf-8")
        if run.ok:
            _publish_latest(reports, run_id)
        return run
    finally:
        lock.release()


def load_report_settings(config) -> tuple[int, float, str]:
    """Seconds a notebook cell may run, the size an HTML report should stay under (MB) and the
    reports' language."""
    from analysis.base.config import load_config

    settings = load_config(config)["reports"]
    return int(settings["timeout_per_cell"]), float(settings["max_html_mb"]), settings["language"]
