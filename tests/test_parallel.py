"""The same tables from a cold run, a warm run and a run spread over processes.

The thresholds from which work is spread over the cores are lowered to zero, so that the shipped
corpus (small) goes through every parallel path: reading, tokens, the lexicon, the bootstrap
units, and clusters beside the comparison.
"""

import hashlib
from pathlib import Path

import pytest

from analysis import pipeline
from analysis.base import parallel
from analysis.base.parallel import Background, can_fork, map_documents

SHIPPED = Path(__file__).resolve().parent.parent / "corpus"


def table_hashes(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "tables").glob("*.csv"))}


@pytest.mark.slow
@pytest.mark.skipif(not can_fork(), reason="worker processes are forked on Linux only")
def test_cold_warm_and_parallel_runs_give_identical_tables(tmp_path, monkeypatch):
    cold = tmp_path / "cold"
    pipeline.run_pipeline(SHIPPED, cold, progress=False, jobs=1)
    pipeline.run_pipeline(SHIPPED, cold, progress=False, jobs=1)  # warm: every cache is hit
    warm = table_hashes(cold)

    forked = []
    real = map_documents

    def counting(task, items, jobs=1, done=None):
        items = list(items)
        forked.append((len(items), jobs))
        return real(task, items, jobs, done)

    for name in ("PARALLEL_MIN_BYTES", "PARALLEL_MIN_CHARS", "PARALLEL_MIN_DRAWS", "PARALLEL_MIN_SEGMENTS"):
        monkeypatch.setattr(parallel, name, 0)
    monkeypatch.setattr("analysis.base.parallel.map_documents", counting)
    background = []
    real_background = Background.__init__

    def noting(self, task, fork=True):
        background.append(fork)
        real_background(self, task, fork)

    monkeypatch.setattr(Background, "__init__", noting)
    spread = tmp_path / "parallel"
    result = pipeline.run_pipeline(SHIPPED, spread, progress=False, jobs=2)
    assert result.stats["parsed"] == 5
    # reading and tokens (5 documents), the lexicon and the method's predictions (2 groups of
    # documents each); the comparison (with its bootstrap units) runs in a forked process beside
    # the clustering
    assert forked == [(5, 2), (5, 2), (2, 2), (2, 2)]
    assert background == [True]
    assert table_hashes(spread) == warm
    assert table_hashes(spread) == table_hashes(cold)
    assert len(warm) >= 15


def test_a_background_task_gives_its_result_forked_or_not():
    assert Background(lambda: sum(range(10))).result() == 45
    assert Background(lambda: "here", fork=False).result() == "here"


def test_map_documents_keeps_order_and_runs_closures():
    offset = 10
    assert map_documents(lambda x: x + offset, range(50), jobs=2) == list(range(10, 60))
    seen = []
    assert map_documents(lambda x: x * 2, [3, 1, 2], jobs=1, done=seen.append) == [6, 2, 4] and seen == [6, 2, 4]
