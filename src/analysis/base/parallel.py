"""Work spread over the machine's cores, or over a Dask cluster: whole documents per task.

The per-document stages (reading, tokenizing, the lexicon, predictions) are independent between
documents, so a large corpus is split over worker processes. Without a cluster, workers are
forked from the running process (on Linux), so they start at once with the pipeline, the lemma
table and the codebook already loaded, and only document ids go to them; each returns plain
tables (pandas on Arrow), never spaCy objects. Where fork is not available (macOS, Windows), or
the work is small, or ``jobs`` is 1, the same function runs in this process.

Inside :func:`cluster` (``--workers N`` or ``--scheduler ADDRESS``), the same tasks run on a
dask.distributed cluster instead: the task (with what it reads: the texts, the pipeline, the
codebook) is sent once to every worker, and the documents go in batches, so each worker loads
its pipeline once and keeps it for every batch. A batch lost with a worker is run again
elsewhere (retries), results come back in the order of the documents, and the tables are the
same either way. Dask is imported only when a cluster is used.

Usage::

    from analysis.base.parallel import cluster, map_documents
    tables = map_documents(parse_one, doc_ids, jobs=2)
    with cluster(workers=2):
        tables = map_documents(parse_one, doc_ids, jobs=2)   # on a local Dask cluster
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from contextlib import contextmanager
from pathlib import Path
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

#: The Dask client while :func:`cluster` is in use (None: this machine's fork pool).
_CLIENT = None
#: Whether this process is running a task of a cluster (then it never spreads work itself).
_IN_TASK = False
#: Seconds to reach a scheduler before giving up, and how often a batch lost with a worker is run again.
CONNECT_TIMEOUT = 10
RETRIES = 3
#: Batches per worker: enough to balance uneven documents, few enough to keep the overhead small.
BATCHES_PER_WORKER = 4


class ClusterError(Exception):
    """The cluster cannot be used (the scheduler is unreachable, the cluster cannot start)."""


@contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None, echo: Callable[[str], None] | None = None,
            client=None):
    """Run the per-document stages on a Dask cluster inside this block: the scheduler at
    ``scheduler`` (an existing cluster), a local cluster of ``workers`` processes, or a
    ``client`` already connected (one from Dask Gateway or dask-kubernetes, which it leaves
    open); none of them: nothing changes (this machine's fork pool). Yields the client (or None).

    Raises
    ------
    ClusterError
        When the scheduler cannot be reached within :data:`CONNECT_TIMEOUT` seconds, or the local
        cluster cannot start.
    """
    global _CLIENT
    if client is not None:
        if echo:
            echo(f"dask: cluster of {len(client.scheduler_info()['workers'])} workers; dashboard "
                 f"{client.dashboard_link}")
        _CLIENT = client
        try:
            yield client
        finally:
            _CLIENT = None
        return
    if not scheduler and not workers:
        yield None
        return
    import logging

    from distributed import Client, LocalCluster

    local = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        else:
            local = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                                 dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
            client = Client(local, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        if local is not None:
            local.close()
        where = f"the Dask scheduler at {scheduler}" if scheduler else f"a local Dask cluster of {workers} workers"
        raise ClusterError(f"cannot reach {where} within {CONNECT_TIMEOUT} s ({type(exc).__name__}); check the "
                           "address and that the scheduler runs, or leave out --scheduler to run here") from None
    try:
        n = len(client.scheduler_info()["workers"])
        if n == 0:  # a scheduler without workers would leave every task waiting
            try:
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
            except TimeoutError:
                raise ClusterError(f"the Dask scheduler at {scheduler} has no workers (none joined within "
                                   f"{CONNECT_TIMEOUT} s); start workers for it, or leave out --scheduler") from None
            n = len(client.scheduler_info()["workers"])
        if echo:
            what = f"local cluster of {n} workers" if local is not None else f"cluster at {scheduler} ({n} workers)"
            echo(f"dask: {what}; dashboard {client.dashboard_link}")
        _CLIENT = client
        yield client
    finally:
        _CLIENT = None
        client.close()
        if local is not None:
            local.close()


def on_cluster() -> bool:
    """Whether work is sent to a Dask cluster now."""
    return _CLIENT is not None and not _IN_TASK


def require_shared(folder) -> None:
    """Check that every worker of the cluster sees ``folder`` at the same path (the corpus is
    read by the workers); a cluster without that shared filesystem cannot read it.

    Raises
    ------
    ClusterError
        Naming the folder and how many workers cannot see it.
    """
    if not on_cluster():
        return
    path = str(Path(folder).resolve())
    seen = _CLIENT.run(os.path.isdir, path)
    blind = [w for w, ok in seen.items() if not ok]
    if blind:
        raise ClusterError(f"{len(blind)} of the {len(seen)} Dask workers cannot see {path}: the corpus (and "
                           "OUT/cache) must be on a filesystem the workers share at the same path; run where they "
                           "do, or leave out --scheduler")


def _run_batch(task, batch: list) -> list:
    """A cluster task: ``task`` on each item of a batch, in order (never spreading further)."""
    global _IN_TASK
    _IN_TASK = True
    try:
        return [task(x) for x in batch]
    finally:
        _IN_TASK = False


def _map_on_cluster(task: Callable[[T], R], items: list[T], done: Callable[[R], None] | None) -> list[R]:
    from distributed import as_completed

    client = _CLIENT
    n_workers = max(1, len(client.scheduler_info()["workers"]))
    n_batches = min(len(items), n_workers * BATCHES_PER_WORKER)
    cut = [round(i * len(items) / n_batches) for i in range(n_batches + 1)]
    batches = [items[a:b] for a, b in zip(cut, cut[1:]) if b > a]
    remote = client.scatter(task, broadcast=True, hash=False)  # once per worker, not once per batch
    futures = client.map(_run_batch, [remote] * len(batches), batches, pure=False, retries=RETRIES)
    where = {f.key: i for i, f in enumerate(futures)}
    results: list = [None] * len(batches)
    with client.as_current():
        for future in as_completed(futures):
            i = where[future.key]
            results[i] = future.result()
            if done:
                for r in results[i]:
                    done(r)
    return [r for batch in results for r in batch]


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
    """Whether :func:`map_documents` would use forked worker processes for ``n_items`` items."""
    return (min(resolve_jobs(jobs), n_items) > 1 and can_fork() and _TASK is None  # no pool in a worker
            and not _IN_TASK and _CLIENT is None)


def will_spread(jobs: int | None, n_items: int) -> bool:
    """Whether :func:`map_documents` would run ``n_items`` items in other processes (forked or
    on a cluster): then a task must not start processes of its own."""
    return will_fork(jobs, n_items) or (on_cluster() and jobs != 1 and n_items > 1)


class Background:
    """A task running in a forked process while this one goes on; :meth:`result` waits for it.

    Where workers cannot be forked (or a Dask client is open: a fork beside its threads can
    hang), the task runs when :meth:`result` is called. The task must not use OpenMP (scikit-learn's KMeans, for one): GNU OpenMP hangs in a forked child of a
    process that has used it. NumPy, SciPy's sparse matrices and pandas are safe.
    """

    def __init__(self, task: Callable[[], R], fork: bool = True):
        global _TASK
        self._task, self._pool, self._future = task, None, None
        if fork and can_fork() and _TASK is None and not _IN_TASK and _CLIENT is None:
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

    ``task`` may be a closure: workers inherit it (on a cluster it is pickled and sent once to
    each worker). Results come back in the order of ``items``; ``done`` is called with each as it
    arrives (for a progress bar).
    """
    global _TASK
    items = list(items)
    results = []
    if on_cluster() and jobs != 1 and len(items) > 1:  # jobs 1: the caller found the work too small to spread
        return _map_on_cluster(task, items, done)
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
