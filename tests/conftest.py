"""Shared fixtures: the fixture corpus (a real PDF, DOCX, HTML and cp1252/latin-1 text) and helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_CORPUS = FIXTURES / "corpus"
BAD = FIXTURES / "bad"
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """One cache of trained theme methods for the whole session, away from the user's own."""
    import os

    folder = tmp_path_factory.mktemp("shared-cache")
    old = os.environ.get("ANALYSIS_CACHE")
    os.environ["ANALYSIS_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("ANALYSIS_CACHE", None)
    else:
        os.environ["ANALYSIS_CACHE"] = old


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target


@pytest.fixture
def cli():
    """Run ``python -m analysis`` in-process; returns (exit_code, stdout, stderr)."""
    from analysis.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(app, [str(a) for a in args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return invoke


def add_document(corpus: Path, doc_id: str, filename: str, content: bytes | None = None, source: Path | None = None,
                 municipality: str = "Vejle", doc_type: str = "notat", year: str = "2020") -> None:
    """Add a document file (bytes or a copy of ``source``) and its metadata row to a corpus."""
    path = corpus / "documents" / filename
    if source is not None:
        shutil.copy(source, path)
    else:
        path.write_bytes(content or b"")
    with open(corpus / "metadata.csv", "a", encoding="utf-8") as f:
        f.write(f"{doc_id},documents/{filename},{municipality},{doc_type},{year},Titel for {doc_id},\n")
