"""The project's own install files agree with each other."""

import re
import sys
from pathlib import Path

from conftest import PROJECT

sys.path.insert(0, str(PROJECT / "tools"))
import write_environment  # noqa: E402


def test_environment_yml_matches_the_lock():
    assert (PROJECT / "environment.yml").read_text(encoding="utf-8") == write_environment.render(), \
        "environment.yml is out of date: run `make lock` (or python tools/write_environment.py)"


def test_lock_pins_every_package_with_hashes_and_a_safe_nbconvert():
    lock = (PROJECT / "requirements.lock").read_text(encoding="utf-8")
    pins = dict(p.split("==") for p in write_environment.locked_pins())
    for name in ("jupyterlab", "pandas", "spacy", "spacy-lookups-data", "scikit-learn", "matplotlib", "nbconvert",
                 "papermill", "typer", "pdfplumber", "python-docx"):
        assert name in pins, name
    assert tuple(int(x) for x in pins["nbconvert"].split(".")[:3]) >= (7, 17, 1)
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n\n", 1)[-1])
    assert all("--hash=sha256:" in b for b in blocks if "==" in b)


def test_readme_names_the_two_commands_first():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    first = readme.index("make report")
    assert first < readme.index("make lab") and readme.index("make test") < readme.index("make lab")
