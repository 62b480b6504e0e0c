"""The per-document stages on a Dask cluster (a LocalCluster on loopback): the same tables as a
local run, a worker that dies mid-run, a bad document named as locally, an unreachable
scheduler failing fast."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from analysis.base import parallel  # noqa: E402
from analysis.pipeline import run_pipeline  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def spread(monkeypatch):
    """Spread even the small test corpora (the thresholds are for real corpora)."""
    for name in ("PARALLEL_MIN_BYTES", "PARALLEL_MIN_CHARS", "PARALLEL_MIN_DRAWS", "PARALLEL_MIN_SEGMENTS"):
        monkeypatch.setattr(parallel, name, 0)  # every path, the comparison beside the clusters too


@pytest.fixture
def lexicon_only(tmp_path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"themes:\n  dev_set: {tmp_path / 'no-dev-set'}\ncompare:\n  n_bootstrap: 200\n",
                      encoding="utf-8")
    return config


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "tables").glob("*.csv"))}


def test_a_local_cluster_gives_the_tables_of_a_local_run(tmp_path, spread, lexicon_only):
    run_pipeline(PROJECT / "corpus", tmp_path / "here", lexicon_only, progress=False)
    lines = []
    with parallel.cluster(workers=2, echo=lines.append) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        run_pipeline(PROJECT / "corpus", tmp_path / "there", lexicon_only, progress=False)
    assert lines and lines[0].startswith("dask: local cluster of 2 workers; dashboard http://127.0.0.1:")
    assert _tables(tmp_path / "there") == _tables(tmp_path / "here")
    assert not parallel.on_cluster()  # the block left: this machine again


from distributed import WorkerPlugin  # noqa: E402


class _KillOnce(WorkerPlugin):
    """A worker plugin that ends its worker's process at the first task it starts, once per
    flag file (the replacement worker finds the flag and lives)."""

    name = "kill-once"

    def __init__(self, flag: str):
        self.flag = flag

    def setup(self, worker):
        pass

    def teardown(self, worker):
        pass

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and "_run_batch" in str(key) and not os.path.exists(self.flag):
            open(self.flag, "w").close()
            os._exit(1)


def test_a_worker_that_dies_mid_run_is_replaced_and_the_tables_are_the_same(tmp_path, spread, lexicon_only):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    run_pipeline(PROJECT / "corpus", tmp_path / "here", lexicon_only, progress=False)
    flag = tmp_path / "killed"
    with parallel.cluster(workers=2) as client:
        client.register_plugin(_KillOnce(str(flag)))
        run_pipeline(PROJECT / "corpus", tmp_path / "there", lexicon_only, progress=False)
    assert flag.exists()  # a worker did die
    assert _tables(tmp_path / "there") == _tables(tmp_path / "here")


def test_a_bad_document_on_a_worker_is_reported_by_name_as_locally(tmp_path, spread, lexicon_only, corpus):
    from conftest import add_document

    add_document(corpus, "vejle-2020-notat-2", "broken.pdf", b"%PDF-1.4 not really a pdf")
    here = run_pipeline(corpus, tmp_path / "here", lexicon_only, skip_bad=True, progress=False)
    with parallel.cluster(workers=2):
        there = run_pipeline(corpus, tmp_path / "there", lexicon_only, skip_bad=True, progress=False)
    bad = there.documents[there.documents["status"] != "ok"]
    assert list(bad["file"]) == ["documents/broken.pdf"]
    assert bad["status"].tolist() == here.documents.loc[here.documents["status"] != "ok", "status"].tolist()
    assert [str(p) for p in there.problems] == [str(p) for p in here.problems]


def test_an_unreachable_scheduler_fails_fast_with_one_line(monkeypatch, cli, tmp_path):
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 2)
    start = time.perf_counter()
    code, out, err = cli("run", "--out", tmp_path / "out", "--force", "--scheduler", "tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 30
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 2 s")
    assert "Traceback" not in err and not (tmp_path / "out" / "tables").exists()


def test_without_a_cluster_dask_is_not_imported():
    import subprocess

    code = ("import sys; from analysis.base import parallel; from analysis.pipeline import run_pipeline; "
            "print('distributed' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
