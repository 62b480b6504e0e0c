"""Work spread over the machine's cores: one process per core, each taking whole documents.

The per-document stages (reading, tokenizing, the lexicon) are independent between documents,
so a large corpus is split over worker processes. Workers are forked from the running process
(on Linux), so they start at once with the pipeline, the lemma table and the codebook already
loaded, and only document ids go to them; each returns plain tables (pandas on Arrow), never
spaCy objects. Where fork is not available (macOS, Windows), or the work is small, or
``jobs`` is 1, the same function runs in this process: the results are the same either way.

Usage::

    from analysis.base.parallel import map_documents
    tables = map_documents(parse_one, doc_ids, jobs=2)
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Sizes from which work is spread over the cores (below them, starting the workers costs more
#: than it saves). Read at the time of the call, so a test can lower them.
#: Bytes of documents to read, or characters of text to score (reading, lexicon, predictions).
PARALLEL_MIN_BYTES = 2_000_000
#: Characters to parse with spaCy.
PARALLEL_MIN_CHARS = 2_000_000
#: Bootstrap draws (segments x replicates) from which comparison units are drawn on every core.
PARALLEL_MIN_DRAWS = 5_000_000
#: Segments from which clusters and the comparison are computed at the same time, on two cores.
PARALLEL_MIN_SEGMENTS = 5000

#: The task of the current pool, inherited by the forked workers (a closure cannot be pickled).
_TASK: Callable | None = None


def cores() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int | None) -> int:
    """``jobs`` as a number of processes: None or 0 means every core."""
    return cores() if not jobs or jobs < 1 else int(jobs)


def can_fork() -> bool:
    """Whether workers can be forked safely here (Linux; macOS's system libraries are not fork-safe)."""
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def _call(item):
    return _TASK(item)  # type: ignore[misc]


def will_fork(jobs: int | None, n_items: int) -> bool:
    """Whether :func:`map_documents` would use worker processes for ``n_items`` items."""
    return min(resolve_jobs(jobs), n_items) > 1 and can_fork() and _TASK is None  # no pool in a worker


class Background:
    """A task running in a forked process while this one goes on; :meth:`result` waits for it.

    Where workers cannot be forked, the task runs when :meth:`result` is called. The task must
    not use OpenMP (scikit-learn's KMeans, for one): GNU OpenMP hangs in a forked child of a
    process that has used it. NumPy, SciPy's sparse matrices and pandas are safe.
    """

    def __init__(self, task: Callable[[], R], fork: bool = True):
        global _TASK
        self._task, self._pool, self._future = task, None, None
        if fork and will_fork(2, 2):
            from concurrent.futures import ProcessPoolExecutor

            _TASK = lambda _: task()  # noqa: E731 - inherited by the worker as it is forked
            try:
                self._pool = ProcessPoolExecutor(1, mp_context=mp.get_context("fork"))
                self._future = self._pool.submit(_call, None)  # forks the worker (with the task) at once
            finally:
                _TASK = None

    def result(self) -> R:
        if self._future is None:
            return self._task()
        try:
            return self._future.result()
        finally:
            self._pool.shutdown()


def map_documents(task: Callable[[T], R], items: Iterable[T], jobs: int | None = 1,
                  done: Callable[[R], None] | None = None) -> list[R]:
    """``[task(x) for x in items]``, spread over ``jobs`` forked processes when that is possible.

    ``task`` may be a closure: workers inherit it. Results come back in the order of ``items``;
    ``done`` is called with each as it arrives (for a progress bar).
    """
    global _TASK
    items = list(items)
    results = []
    if not will_fork(jobs, len(items)):
        for x in items:
            results.append(task(x))
            if done:
                done(results[-1])
        return results
    from concurrent.futures import ProcessPoolExecutor

    jobs = min(resolve_jobs(jobs), len(items))
    _TASK = task
    try:
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as pool:
            for result in pool.map(_call, items, chunksize=max(1, len(items) // (jobs * 8))):
                results.append(result)
                if done:
                    done(result)
        return results
    finally:
        _TASK = None
